"""``mixite solvabilite``: housing benefit, effort rate and reste à vivre of one case."""

from __future__ import annotations

from typing import Annotated

import typer

from mixite.cli._app import app
from mixite.errors import InputError, Location
from mixite.params import as_date

_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_ZONE_NAMES = {1: "I", 2: "II", 3: "III"}


def _euros(value: float, decimals: int = 2) -> str:
    """``1234.5`` → ``1 234,50 €`` (French separators)."""
    from mixite.reports import fr

    return fr.euros(value, decimals)


def _percent(value: float) -> str:
    from mixite.reports import fr

    if value == float("inf"):
        return "infini (aucune ressource)"
    return fr.percent(value)


def _check(condition: bool, problem: str, option: str, value: object, fix: str) -> None:
    if not condition:
        raise InputError(
            problem, Location("ligne de commande", column=option, value=str(value)), fix
        )


def _shown(value: float) -> str:
    """A typed number as the user may have typed it (``380.5`` → ``380,5``, ``9e9`` →
    ``9000000000``)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def effort_ceiling(text: str) -> float:
    """The charter's maximum effort rate typed as a share (``0,35``) or a percentage
    (``35 %``), as a share in ]0, 1]; a bare number above 1 (``35``) is refused in French with
    the share it probably meant."""
    from mixite.cli._app import parse_number

    option = "--taux-effort-max"
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        number = float(parse_number(raw.rstrip("%").strip() if percent else raw))
    except ValueError as exc:
        raise InputError(
            "Taux d'effort maximal illisible",
            Location("ligne de commande", column=option, value=text),
            f"{exc} ; donnez une part (0,35) ou un pourcentage (35 %).",
        ) from None
    share = number / 100 if percent else number
    if not percent and 1 < number <= 100:
        raise InputError(
            "Taux d'effort maximal supérieur à 100 %",
            Location("ligne de commande", column=option, value=text),
            f"Le taux se donne comme une part : écrivez {_shown(number / 100)} (ou "
            f"« {_shown(number)} % ») pour {_shown(number)} %.",
        )
    _check(0 < share <= 1, "Taux d'effort maximal hors de ]0 ; 100 %]", option, text,
           "Donnez une part entre 0 et 1 (par exemple 0,35) ou un pourcentage (35 %).")  # fmt: skip
    return share


@app.command(
    "solvabilite",
    help=(
        "Calcule l'aide personnalisée au logement (APL) d'un locataire d'un logement social "
        "conventionné, la réduction de loyer de solidarité, le taux d'effort et le reste à vivre "
        "pour un cas, comme pour l'instruction d'un dossier en commission d'attribution."
    ),
)
def solvabilite(
    date: Annotated[
        str, typer.Option("--date", help="Mois de l'aide, au format AAAA-MM (par exemple 2025-11).")
    ],
    zone_apl: Annotated[
        int, typer.Option("--zone-apl", help="Zone APL de la commune du logement : 1, 2 ou 3.")
    ],
    adultes: Annotated[
        int, typer.Option("--adultes", help="Nombre d'adultes : 1 (personne seule) ou 2 (couple).")
    ],
    personnes_a_charge: Annotated[
        int, typer.Option("--personnes-a-charge", help="Nombre de personnes à charge.")
    ],
    loyer: Annotated[
        float, typer.Option("--loyer", help="Loyer principal mensuel hors charges, en euros.")
    ],
    charges: Annotated[
        float, typer.Option("--charges", help="Charges locatives mensuelles réelles, en euros.")
    ],
    ressources_annuelles: Annotated[
        float,
        typer.Option(
            "--ressources-annuelles",
            help="Ressources annuelles retenues pour l'aide au logement, en euros.",
        ),
    ],
    ressources_mensuelles: Annotated[
        float | None,
        typer.Option(
            "--ressources-mensuelles",
            help=(
                "Ressources mensuelles de tout le ménage pour le taux d'effort et le reste à vivre "
                "(par défaut : ressources annuelles ÷ 12)."
            ),
        ),
    ] = None,
    personnes_14_ans: Annotated[
        int | None,
        typer.Option(
            "--personnes-14-ans-et-plus",
            help=(
                "Nombre de personnes de 14 ans ou plus, adultes compris, pour les unités de "
                "consommation (par défaut : les adultes seuls)."
            ),
        ),
    ] = None,
    hlm: Annotated[
        bool,
        typer.Option(
            "--hlm/--hors-hlm",
            help="Bailleur HLM appliquant la réduction de loyer de solidarité (par défaut : oui).",
        ),
    ] = True,
    taux_effort_max: Annotated[
        str | None,
        typer.Option(
            "--taux-effort-max",
            help=(
                "Taux d'effort maximal de la charte, en part (0,35) ou en pourcentage (« 35 % ») ; "
                "par défaut : le paramètre « solvabilite.taux_effort_max » à la date "
                "(mixite parametres)."
            ),
        ),
    ] = None,
    reste_a_vivre_min: Annotated[
        float | None,
        typer.Option(
            "--reste-a-vivre-min",
            help=(
                "Reste à vivre minimal de la charte, en € par UC et par jour ; par défaut : le "
                "paramètre « solvabilite.reste_a_vivre_min » à la date (mixite parametres)."
            ),
        ),
    ] = None,
) -> None:
    from mixite.affordability import (
        MAX_DEPENDANTS,
        Thresholds,
        effort_rate,
        housing_benefit_detail,
        net_housing_cost,
        reste_a_vivre,
    )
    from mixite.household import consumption_units
    from mixite.reports import fr
    from mixite.schema import APPLICATIONS, DWELLINGS

    # Plausible ranges: the bounds of mixite's canonical tables (docs/solvabilite.md).
    MAX_RENT = float(DWELLINGS.column("rent").max or 0)
    MAX_MONTHLY = float(APPLICATIONS.column("monthly_resources").max or 0)
    MAX_ANNUAL = 12 * MAX_MONTHLY

    when = as_date(date)
    charter = Thresholds.charter(when)
    max_effort = (
        charter.max_effort_rate if taux_effort_max is None else effort_ceiling(taux_effort_max)
    )
    if reste_a_vivre_min is None:
        reste_a_vivre_min = charter.min_reste_a_vivre
    for option, amount, negative, too_high, high in (
        ("--loyer", loyer, "Loyer négatif", "Loyer invraisemblable", MAX_RENT),
        ("--charges", charges, "Charges négatives", "Charges invraisemblables", MAX_RENT),
        ("--ressources-annuelles", ressources_annuelles, "Ressources annuelles négatives",
         "Ressources annuelles invraisemblables", MAX_ANNUAL),
        ("--ressources-mensuelles", ressources_mensuelles, "Ressources mensuelles négatives",
         "Ressources mensuelles invraisemblables", MAX_MONTHLY),
        ("--reste-a-vivre-min", reste_a_vivre_min, "Reste à vivre minimal négatif", "", None),
    ):  # fmt: skip
        if amount is None:
            continue
        _check(amount >= 0, negative, option, _shown(amount),
               "Indiquez un montant positif ou nul, en euros.")  # fmt: skip
        if high is not None:
            _check(amount <= high, too_high, option, _shown(amount),
                   f"Indiquez au plus {_euros(high, 0)} (borne des tables de mixite, "
                   "docs/solvabilite.md).")  # fmt: skip
    _check(zone_apl in _ZONE_NAMES, "Zone APL inconnue", "--zone-apl", zone_apl,
           "Indiquez la zone APL de la commune : 1, 2 ou 3.")  # fmt: skip
    _check(adultes in (1, 2), "Nombre d'adultes invalide", "--adultes", adultes,
           "Indiquez 1 pour une personne seule ou 2 pour un couple.")  # fmt: skip
    _check(personnes_a_charge >= 0, "Nombre de personnes à charge négatif",
           "--personnes-a-charge", personnes_a_charge, "Indiquez 0 ou plus.")  # fmt: skip
    _check(personnes_a_charge <= MAX_DEPENDANTS, "Nombre de personnes à charge invraisemblable",
           "--personnes-a-charge", personnes_a_charge,
           f"Indiquez au plus {MAX_DEPENDANTS} personnes à charge (borne des tables de mixite, "
           "docs/solvabilite.md).")  # fmt: skip
    size = adultes + personnes_a_charge
    older = adultes if personnes_14_ans is None else personnes_14_ans
    _check(adultes <= older <= size, "Nombre de personnes de 14 ans ou plus incohérent",
           "--personnes-14-ans-et-plus", older,
           f"Indiquez un nombre entre {adultes} (les adultes) et {size} (tout le ménage).")  # fmt: skip
    monthly = ressources_annuelles / 12 if ressources_mensuelles is None else ressources_mensuelles

    d = housing_benefit_detail(
        zone=zone_apl,
        couple=adultes == 2,
        dependants=personnes_a_charge,
        rent=loyer,
        annual_resources=ressources_annuelles,
        when=when,
        hlm=hlm,
    )
    benefit, rls = float(d.benefit), float(d.rls)
    units = float(consumption_units(adultes, older, size, when)[()])
    cost = float(net_housing_cost(loyer, charges, benefit, rls))
    rate = float(effort_rate(loyer, charges, benefit, monthly, rls))
    rav = float(
        reste_a_vivre(
            loyer, charges, benefit, monthly, units, rls, days_per_month=charter.days_per_month
        )
    )

    household = "couple" if adultes == 2 else "personne seule"
    dependants = f"{personnes_a_charge} personne{'s' if personnes_a_charge > 1 else ''} à charge"
    lines = [
        f"Aide personnalisée au logement, logement conventionné — {_MONTHS[when.month - 1]} "
        f"{when.year}, zone {_ZONE_NAMES.get(zone_apl, zone_apl)}",
        f"Ménage : {household}, {dependants}, {fr.decimal(units, 1)} UC",
        f"Ressources annuelles retenues : {_euros(float(d.resource_base), 0)} "
        f"(arrondies à la centaine supérieure)",
        f"Loyer plafond : {_euros(float(d.rent_ceiling))}",
        f"Loyer retenu : {_euros(float(d.retained_rent))}",
        f"Forfait de charges : {_euros(float(d.charges_allowance))}",
        f"Participation personnelle : {_euros(float(d.personal_participation))}",
        f"Réduction de loyer de solidarité (RLS) : {_euros(rls)}",
        f"Aide au logement : {_euros(benefit, 0)}",
        f"Dépense nette de logement (loyer − RLS + charges − aide) : {_euros(cost)} par mois",
        f"Taux d'effort : {_percent(rate)} (maximum de la charte : {_percent(max_effort)})",
        f"Reste à vivre : {_euros(rav)} par UC et par jour "
        f"(minimum de la charte : {_euros(reste_a_vivre_min)})",
    ]
    ok = rate <= max_effort and rav >= reste_a_vivre_min
    lines.append(
        "Logement abordable selon la charte."
        if ok
        else "Logement non abordable selon la charte (taux d'effort ou reste à vivre)."
    )
    typer.echo("\n".join(lines))
