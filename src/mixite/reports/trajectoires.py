"""The residential trajectories as files: the relocation plan (``mixite reloger``) and the
mutations with exchanges and vacancy chains (``mixite mutations``).

Presentation only: every figure comes from the jobs' results (``jobs.trajectoires``). The
relocation report has the plan per household (pseudonyms), each partner's contribution against
the charter, the indicators against the targets, the distribution of the change of the reste à
charge, a calendar chart, and the follow-up table that the partners fill and give back to
``mixite reloger --suivi`` (``donnees/suivi-relogement.csv``, a data file in the documented format,
``docs/formats.md``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mixite.reports import fr
from mixite.reports.common import Section, Sheet, plotly_div, render_page, table_html, write_xlsx
from mixite.reports.fr import Format
from mixite.reports.safe import neutralise_frame
from mixite.schema import FOLLOWUP_STATUSES, RELOCATION_FOLLOWUP

if TYPE_CHECKING:
    from mixite.jobs.results import MutationsResult, RelocationResult

__all__ = [
    "MutationsOutputs",
    "RelocationOutputs",
    "followup_frame",
    "write_mutations",
    "write_relocation",
]

_PARTNER_PREFIX = "partenaire:"
#: The mark of these outputs (pages, workbooks): working documents of the partners, not
#: publications, outside statistical secrecy by the rule of ``docs/secret-statistique.md``.
WORKING_NOTICE = (
    "Document de travail — non diffusable : document des partenaires, non destiné à la "
    "publication ; les ménages y sont désignés par un pseudonyme et les effectifs ne sont pas "
    "masqués."
)
#: The footer of these pages.
WORKING_FOOTER = f"Produit par mixite. {WORKING_NOTICE}"


@dataclass(frozen=True)
class RelocationOutputs:
    """Paths written by ``write_relocation``."""

    html: Path
    xlsx: Path
    followup: Path


@dataclass(frozen=True)
class MutationsOutputs:
    """Paths written by ``write_mutations``."""

    html: Path
    xlsx: Path


def _yes(value: Any) -> str:
    return fr.yes_no(value)


def _plan_table(result: RelocationResult) -> tuple[pd.DataFrame, dict[str, Format]]:
    names = result.names
    plan = result.plan

    def text(column: str, label: object) -> list[str]:
        return [fr.MISSING if v is None or pd.isna(v) else label(v) for v in plan[column]]  # type: ignore[operator]

    frame = pd.DataFrame(
        {
            "Ménage (pseudonyme)": plan["household_id"],
            "Opération": plan["operation"],
            "Résidence quittée": text("origin_residence", names.residence),
            "Année de l'opération": plan["deadline"],
            "Proposition": [
                "logement proposé" if p else "aucun logement admissible" for p in plan["planned"]
            ],
            "Année du relogement": plan["year"],
            "Logement proposé": plan["dwelling_id"],
            "Résidence": text("residence_id", names.residence),
            "Bailleur": text("landlord_id", names.landlord),
            "Contingent": text("partner", lambda k: fr.reservataire_name(str(k), names)),
            "Commune": text("commune", names.commune),
            "En QPV": [_yes(v) for v in plan["in_qpv"]],
            "QPV": text("qpv_code", lambda q: names.qpv.get(str(q), str(q)) if q else fr.MISSING),
            "Pièces": plan["rooms"],
            "Neuf ou récent": [_yes(v) for v in plan["recent"]],
            "Loyer (€/mois)": plan["rent"],
            "Minoration de loyer (€/mois)": plan["rent_reduction"],
            "Reste à charge actuel (€/mois)": plan["cost_before"],
            "Reste à charge proposé (€/mois)": plan["cost_after"],
            "Évolution du reste à charge (€/mois)": plan["rise"],
            "Rang de la commune souhaitée": plan["wish_rank"],
            "Besoins particuliers": [
                "" if v is None or pd.isna(v) else str(v) for v in plan["needs"]
            ],
            "Besoins à vérifier": [
                "à vérifier" if bool(v) else "" for v in plan["to_verify"].fillna(False)
            ],
            "Indemnité pour minoration de loyer (€)": plan["indemnity"],
        }
    )
    formats: dict[str, Format] = {
        "Indemnité pour minoration de loyer (€)": "eur",
        "Année de l'opération": "text",
        "Année du relogement": "text",
        "Pièces": "int",
        "Loyer (€/mois)": "eur",
        "Minoration de loyer (€/mois)": "eur",
        "Reste à charge actuel (€/mois)": "eur",
        "Reste à charge proposé (€/mois)": "eur",
        "Évolution du reste à charge (€/mois)": "eur",
        "Rang de la commune souhaitée": "int",
    }
    return frame, formats


def _targets_table(result: RelocationResult) -> tuple[pd.DataFrame, dict[str, Format]]:
    t = result.targets
    frame = pd.DataFrame(
        {
            "Objectif de la charte": [fr.RELOCATION_TARGET_LABELS.get(x, x) for x in t["target"]],
            "Ménages": t["households"],
            "Part réalisée": t["share"],
            "Objectif": t["target_share"],
            "Ménages manquants": t["shortfall"],
            "Statut": ["atteint" if m else "non atteint" for m in t["met"]],
        }
    )
    return frame, {
        "Ménages": "int",
        "Part réalisée": "pct",
        "Objectif": "pct",
        "Ménages manquants": "int",
    }


def _contributions_table(result: RelocationResult) -> tuple[pd.DataFrame, dict[str, Format]]:
    c = result.contributions
    frame = pd.DataFrame(
        {
            "Partenaire": [fr.reservataire_name(str(k), result.names) for k in c["partner"]],
            "Relogements proposés": c["relocations"],
            "Part des relogements": c["share"],
            "Part minimale de la charte": c["charter_share"],
            "Relogements manquants": c["shortfall"],
            "Statut": [
                fr.MISSING if pd.isna(s) else ("atteint" if m <= 1e-9 else "non atteint")
                for s, m in zip(c["charter_share"], c["shortfall"], strict=True)
            ],
            "Source": [fr.source(str(x)) for x in c["source"]],
        }
    ).sort_values("Relogements proposés", ascending=False, kind="stable")
    return frame, {
        "Relogements proposés": "int",
        "Part des relogements": "pct",
        "Part minimale de la charte": "pct",
        "Relogements manquants": "int",
    }


def _charter_table(result: RelocationResult) -> pd.DataFrame:
    rows = []
    for key, label in fr.CHARTER_RULE_LABELS.items():
        value = result.charter_values.get(key)
        if isinstance(value, bool):
            shown = fr.yes_no(value)
        elif key.startswith("part_"):
            shown = fr.percent(value)
        else:
            shown = fr.number(value)
        source = fr.source(result.charter_sources.get(key, ""))
        rows.append({"Règle": label, "Valeur": shown, "Source": source})
    return pd.DataFrame(rows)


def _indemnity_blocks(result: RelocationResult) -> tuple[list[str], pd.DataFrame | None]:
    """The indemnity section's paragraphs and its table per landlord (None without amounts)."""
    if result.indemnities is None:
        return [
            "<p>La charte ne donne pas le montant de l'indemnité pour minoration de loyer de "
            "l'ANRU : mixite ne la calcule pas. Ses montants (selon la zone et la typologie "
            "depuis 2021) ne sont pas confirmés dans les sources de mixite ; la charte peut les "
            "indiquer (clé « indemnite_minoration_loyer », "
            f"{fr.source('docs/formats.md')}).</p>"
        ], None
    amounts = ", ".join(
        f"{fr.integer(k)} pièce{'s' if k > 1 else ''} : {fr.euros(v)}"
        for k, v in sorted(result.indemnity_amounts.items())
    )
    text = (
        "<p>L'ANRU verse au bailleur qui reloge une indemnité pour minoration de loyer quand le "
        "ménage est relogé dans un logement neuf ou récent dont le loyer est ramené au loyer "
        "plafond de son aide au logement. Montants de la charte par relogement éligible "
        f"({amounts} ; le dernier montant vaut aussi pour les logements plus grands), source : "
        f"{html.escape(result.indemnity_source)}. Total pour le plan : "
        f"{fr.euros(result.figures['indemnity'])}.</p>"
    )
    t = result.indemnities
    frame = pd.DataFrame(
        {
            "Bailleur": [result.names.landlord(str(x)) for x in t["landlord_id"]],
            "Relogements proposés": t["relocations"],
            "dont éligibles à l'indemnité": t["eligible"],
            "Indemnité due (€)": t["amount"],
        }
    ).sort_values("Indemnité due (€)", ascending=False, kind="stable")
    return [text], frame


_INDEMNITY_FORMATS: dict[str, Format] = {
    "Relogements proposés": "int",
    "dont éligibles à l'indemnité": "int",
    "Indemnité due (€)": "eur",
}


def _rise_table(result: RelocationResult) -> pd.DataFrame:
    r = result.rise
    return pd.DataFrame(
        {
            "Évolution du reste à charge": [fr.RISE_BAND_LABELS.get(b, b) for b in r["band"]],
            "Ménages": r["households"],
        }
    )


def _calendar_table(result: RelocationResult) -> pd.DataFrame:
    c = result.calendar
    return pd.DataFrame(
        {
            "Année": c["year"].astype(str),
            "Ménages dont l'opération a lieu cette année": c["operations_households"],
            "Logements libérés attendus (rotation et livraisons)": c["offers"],
            "Relogements prévus": c["planned"],
        }
    )


def followup_frame(result: RelocationResult) -> pd.DataFrame:
    """The follow-up table with the headers of its file format (``schema.RELOCATION_FOLLOWUP``),
    ready to be filled and re-imported."""
    f = result.followup.copy()
    f["lease_date"] = pd.to_datetime(f["lease_date"]).dt.strftime("%Y-%m-%d")
    for col in ("cost_before", "cost_after"):
        f[col] = f[col].astype("Float64").round(2)
    return f.rename(columns={c.name: c.header for c in RELOCATION_FOLLOWUP.columns})


def _followup_sheet(result: RelocationResult) -> pd.DataFrame:
    """The follow-up table in words (headers and statuses), for the workbook."""
    f = result.followup.copy()
    f["status"] = [FOLLOWUP_STATUSES.get(str(s), str(s)) for s in f["status"]]
    f["lease_date"] = pd.to_datetime(f["lease_date"])
    labels = {
        c.name: c.description[:1].upper() + c.description[1:] for c in RELOCATION_FOLLOWUP.columns
    }
    return f.rename(columns=labels)


def _calendar_chart(result: RelocationResult) -> str:
    import plotly.graph_objects as go

    c = result.calendar
    figure = go.Figure()
    figure.add_bar(
        x=c["year"].astype(str),
        y=c["operations_households"],
        name="Ménages dont l'opération a lieu",
    )
    figure.add_bar(x=c["year"].astype(str), y=c["planned"], name="Relogements prévus")
    figure.add_scatter(
        x=c["year"].astype(str),
        y=c["offers"],
        name="Logements libérés attendus",
        mode="lines+markers",
        yaxis="y2",
    )
    figure.update_layout(
        barmode="group",
        height=380,
        margin={"l": 50, "r": 50, "t": 30, "b": 40},
        yaxis={"title": "ménages"},
        yaxis2={"title": "logements libérés", "overlaying": "y", "side": "right"},
        legend={"orientation": "h"},
    )
    return plotly_div(figure)


def write_relocation(result: RelocationResult, out_dir: Path) -> RelocationOutputs:
    """Write ``relogement.html``, ``relogement.xlsx`` and ``donnees/suivi-relogement.csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    f = result.figures
    plan, plan_formats = _plan_table(result)
    targets, target_formats = _targets_table(result)
    contributions, contribution_formats = _contributions_table(result)
    charter = _charter_table(result)
    rise = _rise_table(result)
    calendar = _calendar_table(result)
    follow = _followup_sheet(result)
    indemnity_text, indemnities = _indemnity_blocks(result)
    statuses = pd.DataFrame(
        {
            "Code du statut": list(FOLLOWUP_STATUSES),
            "Signification": list(FOLLOWUP_STATUSES.values()),
        }
    )
    territory = result.names.territory
    summary = (
        f"<p>{fr.integer(f['households'])} ménages enquêtés, dont "
        f"{fr.integer(f['already_rehoused'])} déjà relogés selon le suivi importé ; "
        f"{fr.integer(f['planned'])} des {fr.integer(f['to_rehouse'])} ménages à reloger "
        f"reçoivent une proposition qui respecte la charte (calendrier, plafonds de ressources, "
        f"typologie, communes souhaitées, acceptation d'un QPV, hausse du reste à charge), parmi "
        f"{fr.integer(f['offers'])} libérations attendues. Évolution médiane du reste à charge : "
        f"{fr.euros(f['median_rise'], 2)} par mois.</p>"
        f"<p>Le plan maximise d'abord le nombre de ménages relogés, puis s'approche au plus près "
        f"des objectifs de la charte, puis maximise la satisfaction des vœux (programme en "
        f"nombres entiers résolu par HiGHS ; {fr.integer(f['pairs'])} couples ménage–logement). "
        f"Valeur des vœux : {fr.decimal(f['objective'])}, borne de la relaxation linéaire "
        f"{fr.decimal(f['lp_bound'])}, écart {fr.percent(f['gap'], 2)}. Chaque proposition est "
        f"vérifiée une seconde fois contre la charte. Méthode : "
        f"{fr.source('docs/trajectoires.md')}.</p>"
        f"<p>Charte : {html.escape(result.charter_name)} ({html.escape(result.charter_source)}). "
        f"Parc au 1er janvier {result.millesime}.</p>"
    )
    sections = [
        Section("Le plan en bref", (summary,), "bref"),
        Section(
            "Objectifs de la charte",
            (
                table_html(targets, target_formats, status_column="Statut"),
                table_html(
                    charter,
                    note="Valeurs de la charte ; « valeur par défaut » : la "
                    "charte ne fixe pas la règle, mixite applique son paramètre.",
                ),
            ),
            "objectifs",
        ),
        Section(
            "Contributions des partenaires",
            (
                table_html(
                    contributions,
                    contribution_formats,
                    status_column="Statut",
                    note="Relogements proposés sur le contingent de chaque réservataire (le parc "
                    "non réservé d'un bailleur est son propre contingent).",
                ),
            ),
            "contributions",
        ),
        Section(
            "Reste à charge",
            (
                table_html(
                    rise,
                    {"Ménages": "int"},
                    note="Reste à charge = loyer (après minoration) + charges − aide au "
                    "logement et RLS, calculées pour le logement quitté et le logement proposé.",
                ),
            ),
            "reste-a-charge",
        ),
        Section(
            "Indemnité pour minoration de loyer (ANRU)",
            (
                *indemnity_text,
                *(() if indemnities is None else (table_html(indemnities, _INDEMNITY_FORMATS),)),
            ),
            "indemnite",
        ),
        Section(
            "Besoins particuliers",
            (
                f"<p>{fr.integer(f['with_needs'])} ménages enquêtés déclarent un besoin "
                "particulier (rez-de-chaussée, ascenseur, accessibilité aux personnes à mobilité "
                "réduite, autre). Un logement dont le parc décrit l'étage, l'ascenseur ou "
                "l'accessibilité n'est proposé que s'il y répond ; quand le parc ne le décrit "
                f"pas, la proposition est marquée « à vérifier » ({fr.integer(f['to_verify'])} "
                "propositions) : la MOUS le vérifie avant la visite."
                + (
                    " Le parc de la base ne décrit ni l'étage, ni l'ascenseur, ni "
                    "l'accessibilité des logements : toutes les propositions faites à ces "
                    "ménages sont à vérifier."
                    if not f.get("described_offers")
                    else ""
                )
                + "</p>",
            ),
            "besoins",
        ),
        Section("Calendrier", (_calendar_chart(result), table_html(calendar)), "calendrier"),
        Section(
            "Plan par ménage",
            (
                table_html(
                    plan,
                    plan_formats,
                    max_rows=100,
                    note="Ménages désignés par leur "
                    "pseudonyme ; la table complète est dans le classeur.",
                ),
            ),
            "plan",
        ),
        Section(
            "Suivi des relogements",
            (
                "<p>Le fichier donnees/suivi-relogement.csv (format de données de mixite, "
                f"{fr.source('docs/formats.md')}) reprend chaque ménage avec son statut. Les "
                "partenaires et la MOUS le complètent (statut, refus, logement et date du bail) "
                "et le redonnent au plan suivant, comme tableau de suivi : les ménages relogés "
                "sortent du plan et leurs "
                "logements des libérations, et un logement refusé n'est pas reproposé au même "
                "ménage.</p>",
                table_html(statuses),
            ),
            "suivi",
        ),
    ]
    html_path = out_dir / "relogement.html"
    html_path.write_text(
        render_page(
            f"Plan de relogement — {territory}",
            f"Parc au 1er janvier {result.millesime} · produit par mixite",
            sections,
            footer=WORKING_FOOTER,
        ),
        encoding="utf-8",
    )
    xlsx = write_xlsx(
        out_dir / "relogement.xlsx",
        [
            Sheet("Objectifs", targets, "Objectifs de la charte", formats=target_formats),
            Sheet("Charte", charter, "Règles de la charte et leurs sources"),
            Sheet(
                "Contributions",
                contributions,
                "Contributions des partenaires",
                formats=contribution_formats,
            ),
            Sheet("Reste à charge", rise, "Évolution du reste à charge"),
            *(
                ()
                if indemnities is None
                else (
                    Sheet(
                        "Indemnités",
                        indemnities,
                        "Indemnité pour minoration de loyer due à chaque bailleur",
                        formats=_INDEMNITY_FORMATS,
                    ),
                )
            ),
            Sheet("Calendrier", calendar, "Calendrier des opérations et des relogements"),
            Sheet("Plan", plan, "Plan par ménage (pseudonymes)", formats=plan_formats),
            Sheet("Suivi", follow, "Suivi des relogements (à compléter)"),
            Sheet("Statuts", statuses, "Statuts du suivi"),
        ],
        title=f"Plan de relogement — {territory}",
        notice=WORKING_NOTICE,
    )
    # a data file in mixite's input format (headers and codes of the format), for --suivi
    csv = out_dir / "donnees" / "suivi-relogement.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(followup_frame(result)).to_csv(csv, sep=";", index=False, encoding="utf-8-sig")
    return RelocationOutputs(html_path, xlsx, csv)


def _movers_table(result: MutationsResult) -> pd.DataFrame:
    m = result.movers
    names = result.names
    return pd.DataFrame(
        {
            "Demande (pseudonyme)": m["application_id"],
            "Mouvement": [fr.MOVE_KIND_LABELS.get(k, k) for k in m["kind"]],
            "Bailleur": [names.landlord(x) for x in m["landlord_id"]],
            "Commune quittée": [names.commune(x) for x in m["from_commune"]],
            "Pièces quittées": m["from_rooms"],
            "Personnes": m["household_size"],
            "Commune d'arrivée": [names.commune(x) for x in m["to_commune"]],
            "Pièces obtenues": m["to_rooms"],
            "Occupation avant": [
                fr.OCCUPANCY_LABELS.get(int(s), str(s)) for s in m["status_before"]
            ],
            "Occupation après": [
                fr.OCCUPANCY_LABELS.get(int(s), str(s)) for s in m["status_after"]
            ],
        }
    )


def write_mutations(result: MutationsResult, out_dir: Path) -> MutationsOutputs:
    """Write ``mutations.html`` and ``mutations.xlsx``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    f = result.figures
    movers = _movers_table(result)
    cycles = result.cycles.rename(columns={"length": "Ménages du cycle", "cycles": "Cycles"})
    chains = result.chains.rename(
        columns={"length": "Déménagements (demandeur extérieur compris)", "chains": "Chaînes"}
    )
    freed = result.freed_by_rooms.rename(
        columns={"rooms": "Pièces", "dwellings": "Logements laissés aux demandeurs extérieurs"}
    )
    share_note = (
        "mesurée dans les attributions de la base"
        if result.mutation_share_source == "mesurée"
        else "valeur par défaut de mixite, faute d'attributions dans la base"
    )
    exchange_text = (
        f"<p>Bourse d'échange : {fr.integer(f['exchanges'])} locataires échangent directement "
        f"leur logement, en {fr.integer(f['cycles'])} cycles (algorithme Top Trading Cycles : "
        f"personne ne reçoit un logement moins bien classé que le sien, aucun autre échange ne "
        f"ferait mieux pour tous, et personne ne gagne à mentir sur ses préférences).</p>"
        if result.exchanges
        else "<p>Échanges directs non calculés (non demandés).</p>"
    )
    summary = (
        f"<p>{fr.integer(f['applications'])} demandes de mutation en cours, dont "
        f"{fr.integer(f['linked'])} rattachées à un logement occupé de leur commune et de leur "
        f"taille (le SNE ne donne pas le logement actuel ; les autres ne sont pas traitées).</p>"
        + exchange_text
        + f"<p>Chaînes de libérations : {fr.integer(f['freed'])} logements libérés par des "
        f"départs dans l'année ; chacun est proposé à une mutation avec une probabilité de "
        f"{fr.percent(f['mutation_share'])} ({share_note}). {fr.integer(f['chain_moves'])} "
        f"locataires déménagent ainsi ; une libération entraîne en moyenne "
        f"{fr.decimal(f['mean_chain_length'])} déménagements, le demandeur extérieur qui prend "
        f"le dernier logement compris.</p>"
        f"<p>Occupation des ménages qui déménagent : {fr.integer(f['over_before'])} en "
        f"suroccupation avant, {fr.integer(f['over_after'])} après ; "
        f"{fr.integer(f['under_before'])} en sous-occupation avant, "
        f"{fr.integer(f['under_after'])} après. Ménages en suroccupation qui restent en attente : "
        f"{fr.integer(f['over_waiting'])}. Méthode : {fr.source('docs/trajectoires.md')}.</p>"
    )
    sections = [
        Section("En bref", (summary,), "bref"),
        Section("Cycles d'échange", (table_html(cycles),), "cycles"),
        Section("Chaînes de libérations", (table_html(chains),), "chaines"),
        Section(
            "Logements laissés aux demandeurs extérieurs",
            (table_html(freed, note="Dernier logement de chaque chaîne, par nombre de pièces."),),
            "liberes",
        ),
        Section(
            "Qui déménage",
            (
                table_html(
                    movers,
                    {"Pièces quittées": "int", "Pièces obtenues": "int", "Personnes": "int"},
                    max_rows=100,
                ),
            ),
            "menages",
        ),
    ]
    territory = result.names.territory
    html_path = out_dir / "mutations.html"
    html_path.write_text(
        render_page(
            f"Mutations et échanges — {territory}",
            f"Millésime {result.millesime} · produit par mixite",
            sections,
            with_plotly=False,
            footer=WORKING_FOOTER,
        ),
        encoding="utf-8",
    )
    xlsx = write_xlsx(
        out_dir / "mutations.xlsx",
        [
            Sheet("Cycles", cycles, "Cycles d'échange"),
            Sheet("Chaînes", chains, "Chaînes de libérations"),
            Sheet("Libérés", freed, "Logements laissés aux demandeurs extérieurs"),
            Sheet("Ménages", movers, "Qui déménage (pseudonymes)"),
        ],
        title=f"Mutations et échanges — {territory}",
        notice=WORKING_NOTICE,
    )
    return MutationsOutputs(html_path, xlsx)
