"""Readers of mixite's own CSV formats (demandes, attributions, occupation, réservations,
communes, bailleurs, liste de QPV), documented in ``docs/formats.md``.

Headers are the French ``Column.header`` of ``schema.py`` (the canonical English name is also
accepted); ``;`` or ``,``; UTF-8 with or without BOM, else Latin-1; ISO or ``JJ/MM/AAAA`` dates;
booleans ``0``/``1``; lists separated by ``|``. Extra columns are ignored; a nullable column may
be absent (it is then empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.errors import InputError, Location
from mixite.io._convert import convert, derived_columns, raw_text, value_sql
from mixite.io._fields import Check, Field
from mixite.io._load import load_raw
from mixite.io._spelling import closest
from mixite.io.mapping import ColumnMapping, as_mapping
from mixite.schema import TABLES, Column, Table

__all__ = ["TABLE_ALIASES", "read_table", "read_table_spec", "resolve_columns", "table_spec"]

#: French file kinds and file stems accepted for ``table_name``.
TABLE_ALIASES: dict[str, str] = {
    "rpls": "dwellings",
    "logements": "dwellings",
    "demandes": "applications",
    "occupation": "households",
    "menages": "households",
    "ménages": "households",
    "bailleurs": "landlords",
    "quartiers": "qpv",
}


def table_spec(table_name: str) -> Table:
    """The canonical table for a canonical name or a French alias (``demandes``…)."""
    name = TABLE_ALIASES.get(table_name.lower(), table_name.lower())
    try:
        return TABLES[name]
    except KeyError:
        kinds = sorted({*TABLES, *TABLE_ALIASES})
        raise InputError(
            "Type de fichier inconnu",
            Location("(paramètre)", value=table_name),
            f"Types permis : {', '.join(kinds)}.",
        ) from None


def _fold(text: str) -> str:
    return text.strip().casefold()


def resolve_columns(
    file_name: str,
    headers: Iterable[str],
    targets: Mapping[str, tuple[str, ...]],
    required: Iterable[str],
    mapping: ColumnMapping,
    describe: Mapping[str, str],
    reserved: Iterable[str] = (),
) -> dict[str, str]:
    """Map each target (canonical column) to the file header that holds it.

    ``targets[name]`` lists the names accepted for the column (first = the one shown to users).
    A mapping entry ``file header → target name`` takes precedence. Raises ``InputError`` for a
    mapping to an unknown column, two headers for one column, or a required column absent (with
    the closest header of the file as a suggestion, among the headers not in ``reserved``).
    """
    header_list = list(headers)
    reserved = set(reserved)
    accepted: dict[str, str] = {}
    for target, names in targets.items():
        for n in names:
            accepted.setdefault(_fold(n), target)
    found: dict[str, str] = {}
    for file_header, target_name in mapping.columns.items():
        mapped = accepted.get(_fold(target_name))
        if mapped is None:
            suggestion = closest(target_name, [names[0] for names in targets.values()])
            hint = f" Vouliez-vous dire « {suggestion} » ?" if suggestion else ""
            raise InputError(
                "La correspondance désigne une colonne mixite inconnue",
                Location(mapping.source, column=file_header, value=target_name),
                f"Utilisez un en-tête mixite documenté dans docs/formats.md.{hint}",
            )
        matches = [h for h in header_list if h == file_header] or [
            h for h in header_list if _fold(h) == _fold(file_header)
        ]
        if matches:
            if mapped in found and found[mapped] != matches[0]:
                raise InputError(
                    "Deux colonnes du fichier correspondent à la même colonne mixite",
                    Location(file_name, 1, targets[mapped][0], f"{found[mapped]} / {matches[0]}"),
                    "Gardez une seule correspondance pour cette colonne.",
                )
            found[mapped] = matches[0]
    for header in header_list:
        direct = accepted.get(_fold(header))
        if direct is None or direct in found or header in mapping.columns:
            continue
        found[direct] = header
    for target in required:
        if target in found:
            continue
        shown = targets[target][0]
        free = [h for h in header_list if h not in found.values() and h not in reserved]
        suggestion = closest(shown, free)
        if suggestion is not None:
            fix = (
                f"Renommez la colonne « {suggestion} » en « {shown} », ou déclarez la "
                "correspondance dans un fichier de correspondance YAML (voir docs/formats.md)."
            )
        else:
            fix = (
                f"Ajoutez la colonne « {shown} » ({describe.get(target, '')}), ou déclarez la "
                "correspondance dans un fichier de correspondance YAML (voir docs/formats.md)."
            )
        raise InputError("Colonne obligatoire absente", Location(file_name, 1, shown), fix)
    return found


def _value_map(mapping: ColumnMapping, col: Column) -> dict[str, str] | None:
    for key in (col.name, col.header):
        if key in mapping.values:
            return mapping.values[key]
    return None


def _composition_checks(table: Table, sources: dict[str, str]) -> list[Check]:
    """Consistency of household composition and of ranges (cross-column checks)."""

    def has(*names: str) -> bool:
        return all(n in table.names and n in sources for n in names)

    def val(name: str) -> str:
        col = table.column(name)
        return value_sql(col.dtype, raw_text(sources[name]))

    def shown(*names: str) -> str:
        parts = [f"'{sources[n]}=' || coalesce({raw_text(sources[n])}, '')" for n in names]
        return " || ', ' || ".join(parts)

    out: list[Check] = []
    if has("adults", "household_size"):
        out.append(
            Check(
                f"{val('adults')} > {val('household_size')}",
                "Composition du ménage incohérente : plus d'adultes que de personnes",
                f"« {sources['adults']} » doit être inférieur ou égal à « {sources['household_size']} ».",
                value_sql=shown("adults", "household_size"),
                column=sources["adults"],
            )
        )
    if has("persons_14plus", "household_size"):
        out.append(
            Check(
                f"{val('persons_14plus')} > {val('household_size')}",
                "Composition du ménage incohérente : plus de personnes de 14 ans ou plus que de "
                "personnes",
                f"« {sources['persons_14plus']} » doit être inférieur ou égal à "
                f"« {sources['household_size']} ».",
                value_sql=shown("persons_14plus", "household_size"),
                column=sources["persons_14plus"],
            )
        )
    if has("persons_14plus", "adults"):
        out.append(
            Check(
                f"{val('persons_14plus')} < {val('adults')}",
                "Composition du ménage incohérente : moins de personnes de 14 ans ou plus que "
                "d'adultes",
                f"« {sources['persons_14plus']} » compte les adultes : il doit être au moins égal "
                f"à « {sources['adults']} ».",
                value_sql=shown("persons_14plus", "adults"),
                column=sources["persons_14plus"],
            )
        )
    if has("dependants", "household_size"):
        out.append(
            Check(
                f"{val('dependants')} >= {val('household_size')}",
                "Composition du ménage incohérente : autant de personnes à charge que de personnes",
                f"« {sources['dependants']} » doit être inférieur à « {sources['household_size']} ».",
                value_sql=shown("dependants", "household_size"),
                column=sources["dependants"],
            )
        )
    if has("rooms_min", "rooms_max"):
        out.append(
            Check(
                f"{val('rooms_min')} > {val('rooms_max')}",
                "Typologie souhaitée incohérente : minimum supérieur au maximum",
                f"« {sources['rooms_min']} » doit être inférieur ou égal à « {sources['rooms_max']} ».",
                value_sql=shown("rooms_min", "rooms_max"),
                column=sources["rooms_min"],
            )
        )
    if has("filing_date", "renewal_date"):
        out.append(
            Check(
                f"{val('renewal_date')} < {val('filing_date')}",
                "Date de renouvellement antérieure à la date de dépôt",
                "Corrigez l'une des deux dates.",
                value_sql=shown("filing_date", "renewal_date"),
                column=sources["renewal_date"],
            )
        )
    if has("in_qpv", "qpv_code"):
        out.append(
            Check(
                f"{val('qpv_code')} IS NOT NULL AND NOT coalesce({val('in_qpv')}, true)",
                "Logement hors QPV alors qu'un code QPV est renseigné",
                f"Mettez « {sources['in_qpv']} » à 1, ou videz « {sources['qpv_code']} ».",
                value_sql=shown("in_qpv", "qpv_code"),
                column=sources["in_qpv"],
            )
        )
    return out


def read_table(
    path: str | Path,
    table_name: str,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    *,
    known_communes: Iterable[str] | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Read one of mixite's CSV formats into the canonical frame of ``table_name``.

    ``table_name`` is a canonical table name (``applications``…) or a French kind (``demandes``…).
    ``mapping`` (see ``mixite.io.mapping``) renames the user's headers and recodes values.
    ``known_communes`` are commune codes accepted even when absent from the COG (the
    territory's ``communes.csv``). ``dwellings`` files are read by ``read_rpls``.
    """
    table = table_spec(table_name)
    if table.name == "dwellings":
        from mixite.io.rpls import read_rpls

        return read_rpls(path, mapping=mapping, known_communes=known_communes)
    return read_table_spec(
        path, table, mapping, known_communes=known_communes, allow_empty=allow_empty
    )


def read_table_spec(
    path: str | Path,
    table: Table,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    *,
    known_communes: Iterable[str] | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Read a CSV file in the format of ``table`` (a ``schema.Table`` that need not be a store
    table, such as the inputs of ``mixite reloger``), with the checks and French errors of
    ``read_table``."""
    rules = as_mapping(mapping)
    file = Path(path)
    plan: dict[str, Any] = {}

    def keep(headers: tuple[str, ...]) -> list[str]:
        # Fields are planned from the header alone; their values are converted in the same
        # pass over the file as the load itself.
        plan["fields"], plan["sources"] = _fields(file.name, headers, table, rules)
        return list(dict.fromkeys(plan["sources"].values()))

    raw = load_raw(
        file,
        allow_empty=allow_empty,
        keep=keep,
        derive=lambda _headers: derived_columns(table, plan["fields"]),
    )
    try:
        frame = convert(
            raw,
            table,
            plan["fields"],
            row_checks=_composition_checks(table, plan["sources"]),
            known_communes=known_communes,
        )
    finally:
        raw.close()
    if table.name == "communes":
        frame = _with_zones(frame, file.name, plan["sources"])
    return frame


def _with_zones(frame: pd.DataFrame, file_name: str, sources: dict[str, str]) -> pd.DataFrame:
    """The territory's communes with their zones: those of the file, else those of mixite's
    table of the communes of France (``mixite.zones``); ``InputError`` for a commune absent from
    that table whose zone the file leaves empty."""
    from mixite.zones import commune_zones

    shipped = commune_zones(frame["commune"])
    for column in ("apl_zone", "ceiling_zone"):
        missing = frame[column].isna()
        if not missing.any():
            continue
        frame.loc[missing, column] = shipped.loc[missing, column].to_numpy(dtype=object)
        still = frame[column].isna()
        if still.any():
            position = int(still.to_numpy().nonzero()[0][0])
            header = sources.get(column, TABLES["communes"].column(column).header)
            code = str(frame["commune"].iloc[position])
            raise InputError(
                f"Zone vide pour la commune « {code} », inconnue du Code officiel géographique",
                Location(file_name, position + 2, header),
                f"Renseignez « {header} » pour cette commune : mixite ne connaît les zones que "
                "des communes du COG 2026.",
            )
    return frame


def _fields(
    file_name: str, headers: tuple[str, ...], table: Table, rules: ColumnMapping
) -> tuple[list[Field], dict[str, str]]:
    """The fields of ``table`` for a file with these headers, and canonical name → file
    header; ``InputError`` when a required column is missing."""
    targets = {c.name: (c.header, c.name) for c in table.columns}
    # A QPV list may omit the generation: it follows from the code (QP… 2015, QN… 2024).
    derived = {"generation"} if table.name == "qpv" else set()
    required = [c.name for c in table.columns if not c.nullable and c.name not in derived]
    describe = {c.name: c.description for c in table.columns}
    sources = resolve_columns(file_name, headers, targets, required, rules, describe)
    fields = []
    for col in table.columns:
        header = sources.get(col.name)
        if header is None and col.name in derived:
            code = raw_text(sources["qpv_code"])
            fields.append(
                Field(
                    col,
                    None,
                    "NULL::VARCHAR",
                    value=f"(CASE left({code}, 2) WHEN 'QP' THEN 2015 WHEN 'QN' THEN 2024 END)",
                    generic=False,
                )
            )
        elif header is None:
            fields.append(Field(col, None, "NULL::VARCHAR", shown_column=col.header))
        else:
            fields.append(Field(col, header, raw_text(header, _value_map(rules, col))))
    return fields, sources
