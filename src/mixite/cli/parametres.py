"""``mixite parametres``: a parameter's value at a date (law, convention or local default), with
its source."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mixite.cli._app import app
from mixite.errors import ParameterError
from mixite.params import Parameters, ParamValue, as_date, default_parameters

NBSP = "\u00a0"
_UNITS = {
    "currency": "€",
    "year": "ans",
    "month": "mois",
    "uc": "UC",
    "households": "ménages",
    "coefficient": "",
}
_UNIT_LABELS = {
    "currency": "euros",
    "/1": "taux",
    "year": "années",
    "month": "mois",
    "uc": "unités de consommation",
    "households": "ménages",
    "coefficient": "coefficient (sans unité)",
}
_ZONE_LABELS = {
    "P": "Zone P (Paris et limitrophes)",
    "I": "Zone I (reste de l'IdF)",
    "A": "Zone A (autres régions)",
}
_PLS = "plafonds.pls"


def format_value(value: Any, unit: str | None) -> str:
    """A parameter value for people: « 25 % », « 26 687 € », « 0,5 UC », « 14 ans », a list
    « 20 % ; 40 % ; 60 % », a small table « plai : plai ; pre1977 : plus »."""
    from mixite.reports import fr

    if isinstance(value, bool):
        return fr.yes_no(value)
    if isinstance(value, int | float):
        if unit == "/1":
            return f"{fr.number(float(value) * 100)}{NBSP}%"
        suffix = _UNITS.get(unit or "", unit or "")
        text = fr.number(float(value))
        return f"{text}{NBSP}{suffix}" if suffix else text
    if isinstance(value, Mapping):
        if _is_epci_table(value):
            return f"table de {len(value)} entrées"
        return " ; ".join(f"{key} : {format_value(item, unit)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        # Bare numbers in a list (class bounds, years): no unit, no thousands separator.
        items = [
            (str(int(v)) if float(v).is_integer() else fr.number(float(v)))
            if isinstance(v, int | float) and not isinstance(v, bool) and unit != "/1"
            else format_value(v, unit)
            for v in value
        ]
        return " ; ".join(items)
    return str(value)


def _is_epci_table(value: Mapping[Any, Any]) -> bool:
    """A table keyed by EPCI SIREN (``seuils_q1``), as opposed to a small table of conventions."""
    return bool(value) and all(str(key).isdigit() and len(str(key)) == 9 for key in value)


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _close(word: str, choices: list[str], limit: int = 6) -> list[str]:
    close = difflib.get_close_matches(word, choices, n=limit, cutoff=0.5)
    if not close:
        head = word.split(".")[0]
        close = [c for c in choices if c.startswith(head)][:limit]
    return close


def _groups(names: list[str]) -> list[str]:
    out = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts)):
            out.add(".".join(parts[:i]))
    return sorted(out)


def _print_leaf(
    console: Console, value: ParamValue, epci: str | None, checked: dt.date | None
) -> None:
    lines = _epci_lines(value, epci) if epci is not None else []
    console.print(f"[bold]{value.name}[/bold] — {value.description}", highlight=False)
    if epci is not None:
        for line in lines:
            console.print(line, highlight=False)
    elif isinstance(value.value, Mapping) and _is_epci_table(value.value):
        console.print(
            f"Valeur : table de {len(value.value)} entrées (par SIREN d'EPCI). "
            "Précisez « --epci SIREN » pour en afficher une.",
            highlight=False,
        )
    else:
        console.print(f"Valeur : {format_value(value.value, value.unit)}", highlight=False)
    if value.unit:
        console.print(f"Unité : {_UNIT_LABELS.get(value.unit, value.unit)}", highlight=False)
    console.print(f"En vigueur depuis le {_day(value.start)}", highlight=False)
    console.print(f"Référence : {value.reference}", highlight=False)
    if value.unconfirmed:
        note = f" ({value.note})" if value.note else ""
        console.print(f"[bold yellow]NON CONFIRMÉ[/bold yellow]{note}", highlight=False)
    elif value.note:
        console.print(f"Note : {value.note}", highlight=False)
    if checked is not None:
        console.print(f"Dernière vérification de la valeur : {_day(checked)}", highlight=False)


def _epci_lines(value: ParamValue, epci: str) -> list[str]:
    """The lines describing one EPCI's entry; ``ParameterError`` when the SIREN is absent."""
    table = value.value
    if not isinstance(table, Mapping):
        raise ParameterError(
            f"Le paramètre « {value.name} » n'est pas une table par EPCI : retirez « --epci »."
        )
    key = epci.strip()
    if key not in table:
        by_name = [
            s
            for s, e in table.items()
            if isinstance(e, Mapping) and key.lower() in str(e.get("nom", "")).lower()
        ]
        close = (by_name or difflib.get_close_matches(key, list(table), n=5, cutoff=0.6))[:5]
        described = [
            f"{s} ({table[s].get('nom')})" if isinstance(table[s], Mapping) else s for s in close
        ]
        hint = f" SIREN proches : {', '.join(described)}." if described else ""
        raise ParameterError(
            f"Pas d'entrée pour l'EPCI « {epci} » dans « {value.name} » au {_day(value.start)} "
            f"(arrêté en vigueur : {len(table)} EPCI).{hint} Donnez le SIREN à 9 chiffres de "
            "l'EPCI (fichier DGCL de composition des EPCI)."
        )
    entry = table[key]
    if isinstance(entry, Mapping):
        name = entry.get("nom")
        lines = [f"EPCI : {key}" + (f" — {name}" if name else "")]
        labels = {"q1": "premier quartile", "q2": "médiane", "q3": "troisième quartile"}
        for field, amount in entry.items():
            if field == "nom":
                continue
            label = labels.get(str(field), str(field))
            lines.append(
                f"Valeur {field} ({label}) : {format_value(amount, value.unit)} par UC et par an"
            )
        return lines
    return [f"EPCI : {key}", f"Valeur : {format_value(entry, value.unit)}"]


def _row_label(key: str) -> str:
    if key == "personne_supplementaire":
        return "Personne supplémentaire"
    return f"Catégorie {key}" if key.isdigit() else key


def _print_group(console: Console, params: Parameters, prefix: str, when: dt.date) -> None:
    from mixite.ceilings import ZONES

    names = [n for n in params.names() if n.startswith(prefix + ".")]
    values = {n[len(prefix) + 1 :]: params.get(n, when) for n in names}
    console.print(f"[bold]{prefix}[/bold] au {_day(when)}", highlight=False)
    two_level = all(len(k.split(".")) == 2 for k in values)
    unconfirmed = False
    if two_level:
        columns = list(dict.fromkeys(k.split(".")[0] for k in values))
        if set(columns) <= set(ZONES):
            columns = [z for z in ZONES if z in columns]
        rows = list(dict.fromkeys(k.split(".")[1] for k in values))
        table = Table(show_lines=False)
        table.add_column("")
        for column in columns:
            table.add_column(_ZONE_LABELS.get(column, column), justify="right")
        for row in rows:
            cells = []
            for column in columns:
                item = values.get(f"{column}.{row}")
                if item is None:
                    cells.append("—")
                    continue
                mark = " *" if item.unconfirmed else ""
                unconfirmed = unconfirmed or item.unconfirmed
                cells.append(format_value(item.value, item.unit) + mark)
            table.add_row(_row_label(row), *cells)
        console.print(table)
    else:
        table = Table()
        for header in ("Paramètre", "Valeur", "Depuis le"):
            table.add_column(header)
        for key, item in values.items():
            mark = " *" if item.unconfirmed else ""
            unconfirmed = unconfirmed or item.unconfirmed
            table.add_row(key, format_value(item.value, item.unit) + mark, _day(item.start))
        console.print(table)
    references = sorted({item.reference for item in values.values()})
    for reference in references:
        console.print(f"Référence : {reference}", highlight=False)
    if unconfirmed:
        console.print(
            "* NON CONFIRMÉ : valeur dérivée ou à vérifier (voir docs/parametres.md).",
            highlight=False,
        )


def _print_pls(console: Console, params: Parameters, when: dt.date) -> None:
    from mixite.ceilings import CATEGORY_KEYS, ZONES, ceiling_table
    from mixite.reports import fr

    factor = params.get("plafonds.majoration_pls", when)
    console.print(
        f"[bold]{_PLS}[/bold] au {_day(when)} — plafonds PLS calculés : PLUS × "
        f"{fr.number(float(factor.value))}, arrondi à l'euro le plus proche",
        highlight=False,
    )
    tables = {zone: ceiling_table("pls", zone, when, params) for zone in ZONES}
    table = Table()
    table.add_column("")
    for zone in ZONES:
        table.add_column(_ZONE_LABELS[zone], justify="right")
    for key in CATEGORY_KEYS:
        table.add_row(_row_label(key), *(format_value(tables[z][key], "currency") for z in ZONES))
    console.print(table)
    console.print(f"Référence : {factor.reference}", highlight=False)


@app.command(
    "parametres",
    help=(
        "Affiche la valeur d'un paramètre à une date (valeur légale, convention statistique ou "
        "valeur locale par défaut), avec son unité, sa date d'effet et sa référence (par exemple "
        "« quotas.q1_hors_qpv », « plafonds.plus », « seuils_q1 --epci SIREN », "
        "« solvabilite »). Sans nom : la liste des paramètres."
    ),
)
def parametres(
    nom: Annotated[
        str | None, typer.Argument(help="Nom du paramètre ou d'un groupe (ex. plafonds.plai).")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Date d'application AAAA-MM-JJ (par défaut : aujourd'hui)."),
    ] = None,
    epci: Annotated[
        str | None,
        typer.Option("--epci", help="SIREN de l'EPCI, pour un paramètre par EPCI (seuils_q1)."),
    ] = None,
) -> None:
    params = default_parameters()
    console = Console(highlight=False, soft_wrap=True)
    when = as_date(date) if date else dt.date.today()
    names = params.names()
    if nom is None:
        for name in names:
            console.print(name, highlight=False)
        return
    if nom == _PLS:
        _print_pls(console, params, when)
        return
    if nom in names:
        parameter = params.parameter(nom)
        _print_leaf(console, parameter.at(when), epci, parameter.last_value_still_valid_on)
        return
    if any(n.startswith(nom + ".") for n in names):
        if epci is not None:
            raise ParameterError(
                f"« --epci » ne s'applique qu'à un paramètre par EPCI, pas au groupe « {nom} »."
            )
        _print_group(console, params, nom, when)
        return
    close = _close(nom, names + _groups(names) + [_PLS])
    hint = f" Noms proches : {', '.join(close)}." if close else ""
    raise ParameterError(
        f"Paramètre inconnu « {nom} ».{hint} « mixite parametres » sans nom liste tous les "
        "paramètres."
    )
