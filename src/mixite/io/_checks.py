"""Validation of a loaded file: the checks derived from the schema (missing value, parse error,
bounds, codes, format, future date), commune codes against the COG, the reader's own checks and
the uniqueness of the key. ``validate`` runs them in one aggregate query and raises an
``InputError`` at the earliest bad row, naming its physical line, the column as written in the
file, the value and the fix."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mixite._duckdb import connect
from mixite.errors import InputError, Location
from mixite.io._fields import VALUE, Check, Field
from mixite.io._load import RawTable
from mixite.io._sniff import physical_line, sniff
from mixite.io._sql import q, sql_list, sql_str
from mixite.schema import COMMUNE_CODE_PATTERN, QPV_CODE_PATTERN, SIREN_PATTERN, Column, Table

__all__ = ["COMMUNE_COLUMNS", "generic_checks", "sibling_communes", "validate"]

#: Canonical columns holding commune codes, checked against the packaged COG when available.
COMMUNE_COLUMNS = frozenset(
    {"depcom", "commune", "commune_residence", "wished_communes", "reservataire_commune"}
)


_PARSE_PROBLEMS = {
    "int": (
        "Nombre entier illisible",
        "Écrivez un nombre entier, sans décimale ni espace (par exemple 3).",
    ),
    "float": (
        "Nombre illisible",
        "Écrivez un nombre avec un point ou une virgule décimale, sans séparateur de milliers "
        "(par exemple 1234,50).",
    ),
    "date": (
        "Date illisible ou inexistante",
        "Écrivez une date réelle au format AAAA-MM-JJ (par exemple 2025-03-31) ou JJ/MM/AAAA.",
    ),
    "bool": ("Valeur booléenne illisible", "Écrivez 1 pour oui et 0 pour non."),
}


def bound_text(number: float) -> str:
    """A bound of an error message: « 20 », « 0,5 » (a file's value as its writer reads it)."""
    return str(int(number)) if float(number).is_integer() else str(number).replace(".", ",")


def _pattern_check(col: Column, value: str, label: str) -> Check | None:
    if col.pattern is None:
        return None
    if col.pattern == COMMUNE_CODE_PATTERN:
        problem, fix = (
            "Code commune mal formé",
            "Un code commune INSEE a 5 caractères (par exemple 95127, ou 2A004 en Corse) ; "
            "vérifiez que le zéro initial n'a pas été perdu par le tableur.",
        )
    elif col.pattern == SIREN_PATTERN:
        problem, fix = (
            "Numéro SIREN mal formé",
            "Un SIREN a 9 chiffres, sans espace (par exemple 200056232).",
        )
    elif col.pattern == QPV_CODE_PATTERN:
        problem, fix = (
            "Code QPV mal formé",
            "Un code QPV s'écrit QP suivi de 6 caractères (géographie 2015, par exemple "
            "QP095019) ou QN suivi de 6 caractères (géographie 2024, par exemple QN09501M).",
        )
    else:
        problem, fix = (
            "Code mal formé",
            f"La valeur doit respecter le format attendu pour « {label} » ({col.description}).",
        )
    return Check(
        f"{value} IS NOT NULL AND NOT regexp_matches({value}, {sql_str(col.pattern)})",
        problem,
        fix,
    )


def generic_checks(fld: Field, value: str) -> list[Check]:
    """Checks derived from the schema: missing value, parse error, bounds, codes, format, future.

    ``value`` is the SQL of the field's converted value.
    """
    col = fld.column
    raw = fld.raw
    label = fld.label
    checks: list[Check] = []
    if not col.nullable and col.dtype != "list":
        checks.append(
            Check(
                f"{raw} IS NULL",
                "Valeur manquante dans une colonne obligatoire",
                f"Renseignez « {label} » ({col.description}) sur cette ligne.",
            )
        )
    if col.dtype in _PARSE_PROBLEMS:
        problem, fix = _PARSE_PROBLEMS[col.dtype]
        checks.append(Check(f"{raw} IS NOT NULL AND {value} IS NULL", problem, fix))
    if col.min is not None or col.max is not None:
        low = "" if col.min is None else bound_text(col.min)
        high = "" if col.max is None else bound_text(col.max)
        if col.min is not None and col.max is not None:
            bounds = f"entre {low} et {high}"
        elif col.min is not None:
            bounds = f"au moins {low}"
        else:
            bounds = f"au plus {high}"
        conds = []
        if col.min is not None:
            conds.append(f"{value} < {col.min}")
        if col.max is not None:
            conds.append(f"{value} > {col.max}")
        checks.append(
            Check(
                f"({' OR '.join(conds)})",
                "Valeur impossible",
                f"« {label} » ({col.description}) doit être {bounds}.",
            )
        )
    if col.codes is not None and col.dtype == "str":
        checks.append(
            Check(
                f"{value} IS NOT NULL AND NOT list_contains({sql_list(col.codes)}, {value})",
                "Code inconnu",
                f"Codes permis pour « {label} » : {', '.join(col.codes)}.",
            )
        )
    if col.codes is not None and col.dtype == "list":
        bad = f"list_filter({value}, lambda x: NOT list_contains({sql_list(col.codes)}, x))"
        checks.append(
            Check(
                f"len({bad}) > 0",
                "Code inconnu dans la liste",
                f"Codes permis pour « {label} », séparés par « | » : {', '.join(col.codes)}.",
                value_sql=f"{bad}[1]",
            )
        )
    if col.dtype == "list" and col.name in COMMUNE_COLUMNS:
        bad = f"list_filter({value}, lambda x: NOT regexp_matches(x, {sql_str(COMMUNE_CODE_PATTERN)}))"
        checks.append(
            Check(
                f"len({bad}) > 0",
                "Code commune mal formé dans la liste",
                "Un code commune INSEE a 5 caractères (par exemple 95127) ; séparez les codes "
                "par « | ».",
                value_sql=f"{bad}[1]",
            )
        )
    pattern = _pattern_check(col, value, label)
    if pattern is not None:
        checks.append(pattern)
    if col.dtype == "date":
        checks.append(
            Check(
                f"{value} > current_date",
                "Date dans le futur",
                "Corrigez la date : elle doit être passée (antérieure à la date du jour).",
            )
        )
    return checks


# ---------------------------------------------------------------------------------------------
# Commune codes against the COG
# ---------------------------------------------------------------------------------------------


def _cog_checker() -> Callable[[str], bool] | None:
    """``mixite.geo.is_known_commune`` when the packaged COG is available, else ``None``."""
    try:
        geo = importlib.import_module("mixite.geo")
    except ImportError:
        return None
    checker = getattr(geo, "is_known_commune", None)
    return checker if callable(checker) else None


def sibling_communes(path: Path) -> set[str]:
    """Commune codes of the ``communes.csv`` beside ``path`` (empty when absent or unreadable).

    They are the territory's declared communes, accepted even when the COG does not know them.
    """
    other = path.with_name("communes.csv")
    if other == path or not other.is_file():
        return set()
    try:
        source = sniff(other)
    except InputError:
        return set()
    column = next((h for h in source.headers if h.casefold() in ("code_commune", "commune")), None)
    if column is None:
        return set()
    con = connect()
    try:
        rows = con.execute(
            f"SELECT DISTINCT trim({q(column)}) FROM read_csv(?, delim=?, header=true, "
            "all_varchar=true, ignore_errors=true)",
            [str(other), source.delimiter],
        ).fetchall()
    except duckdb.Error:
        return set()
    finally:
        con.close()
    return {str(r[0]) for r in rows if r[0]}


def _plm_arrondissement(code: str) -> bool:
    return (
        len(code) == 5
        and code.isdigit()
        and (
            75101 <= int(code) <= 75120
            or 69381 <= int(code) <= 69389
            or 13201 <= int(code) <= 13216
        )
    )


def _cog_checks(
    raw: RawTable,
    table: Table,
    by_name: dict[str, Field],
    refs: dict[str, str],
    known_communes: Iterable[str] | None,
) -> list[tuple[Check, Field | None]]:
    """Checks flagging the commune codes unknown to the COG (none when it is not packaged)."""
    checker = _cog_checker()
    if checker is None:
        return []
    known = set(known_communes if known_communes is not None else sibling_communes(raw.source.path))
    out: list[tuple[Check, Field | None]] = []
    for col in table.columns:
        fld = by_name[col.name]
        if col.name not in COMMUNE_COLUMNS or fld.source is None or table.name == "communes":
            continue
        value = refs[col.name]
        if col.dtype == "list":
            codes_sql = f"SELECT DISTINCT unnest({value}) FROM raw"
        else:
            codes_sql = f"SELECT DISTINCT {value} FROM raw WHERE {value} IS NOT NULL"
        codes = [str(r[0]) for r in raw.con.execute(codes_sql).fetchall() if r[0] is not None]
        unknown = sorted(
            c
            for c in codes
            if c not in known and not _plm_arrondissement(c) and _is_code(c) and not checker(c)
        )
        if not unknown:
            continue
        bad_list = sql_list(unknown)
        fix = (
            "Vérifiez le code INSEE de la commune (Code officiel géographique 2026) ; pour une "
            "commune fictive ou qui n'existe plus, déclarez-la dans le fichier communes.csv du "
            "territoire."
        )
        if col.dtype == "list":
            bad = f"list_filter({value}, lambda x: list_contains({bad_list}, x))"
            check = Check(
                f"len({bad}) > 0",
                "Commune inconnue du Code officiel géographique",
                fix,
                value_sql=f"{bad}[1]",
            )
        else:
            check = Check(
                f"list_contains({bad_list}, {value})",
                "Commune inconnue du Code officiel géographique",
                fix,
            )
        out.append((check, fld))
    return out


def _is_code(code: str) -> bool:
    return re.fullmatch(COMMUNE_CODE_PATTERN, code) is not None


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@dataclass
class _Found:
    line: int
    order: int
    check: Check
    fld: Field | None


def validate(
    raw: RawTable,
    table: Table,
    by_name: dict[str, Field],
    refs: dict[str, str],
    *,
    row_checks: Sequence[Check] = (),
    known_communes: Iterable[str] | None = None,
    check_cog: bool = True,
    check_key: bool = True,
) -> None:
    """Raise ``InputError`` at the earliest bad row of ``raw`` (checks in column order on a tie),
    then for commune codes unknown to the COG (``known_communes`` are accepted: the territory's
    own ``communes.csv``), then for a duplicate key.

    ``by_name`` maps each canonical column to its field; ``refs`` to the SQL of its converted
    value.
    """
    checks: list[tuple[Check, Field | None]] = []
    for col in table.columns:
        fld = by_name[col.name]
        own = generic_checks(fld, refs[col.name]) if fld.generic else []
        custom = [
            Check(
                c.condition.replace(VALUE, refs[col.name]),
                c.problem,
                c.fix,
                None if c.value_sql is None else c.value_sql.replace(VALUE, refs[col.name]),
                c.column,
            )
            for c in fld.checks
        ]
        checks.extend((c, fld) for c in (*own, *custom))
    checks.extend((c, None) for c in row_checks)
    if check_cog:
        checks.extend(_cog_checks(raw, table, by_name, refs, known_communes))
    if checks:
        aggregates = ", ".join(f"min(rowid) FILTER (WHERE {c.condition})" for c, _ in checks)
        firsts = raw.con.execute(f"SELECT {aggregates} FROM raw").fetchall()[0]
        found = [
            _Found(int(row) + 2, order, check, fld)
            for order, ((check, fld), row) in enumerate(zip(checks, firsts, strict=True))
            if row is not None
        ]
        if found:
            first = min(found, key=lambda f: (f.line, f.order))
            _raise_check(raw, first)
    if check_key:
        _check_key(raw, table, by_name, refs)


def _raise_check(raw: RawTable, found: _Found) -> None:
    check, fld = found.check, found.fld
    shown_sql = check.value_sql or (fld.raw if fld is not None else "NULL")
    row = raw.con.execute(
        f"SELECT CAST({shown_sql} AS VARCHAR) FROM raw WHERE rowid = ?", [found.line - 2]
    ).fetchall()
    value = row[0][0] if row else None
    column = check.column or (fld.label if fld is not None else None)
    line = physical_line(raw.source, found.line - 2)
    raise InputError(check.problem, Location(raw.name, line, column, value), check.fix)


def _check_key(
    raw: RawTable, table: Table, by_name: dict[str, Field], refs: dict[str, str]
) -> None:
    fields = [by_name[k] for k in table.key]
    key = f"row({', '.join(refs[k] for k in table.key)})"
    dup = raw.con.execute(
        f"SELECT 1 FROM raw GROUP BY {key} HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if not dup:
        return
    row = raw.con.execute(
        f"WITH k AS (SELECT rowid AS r, {key} AS k FROM raw), "
        "f AS (SELECT k, min(r) AS first_row FROM k GROUP BY k HAVING count(*) > 1) "
        "SELECT f.first_row, min(k.r) AS second_row FROM k JOIN f ON k.k = f.k "
        "WHERE k.r > f.first_row GROUP BY f.first_row ORDER BY second_row LIMIT 1"
    ).fetchall()
    first, second = int(row[0][0]) + 2, int(row[0][1]) + 2
    shown = raw.con.execute(
        f"SELECT concat_ws(' ; ', {', '.join(f'CAST({f.raw} AS VARCHAR)' for f in fields)}) "
        f"FROM raw WHERE rowid = ?",
        [second - 2],
    ).fetchall()
    labels = " + ".join(f"« {f.label} »" for f in fields)
    first_line = physical_line(raw.source, first - 2)
    raise InputError(
        f"Identifiant en double (déjà présent ligne {first_line})",
        Location(
            raw.name,
            physical_line(raw.source, second - 2),
            " + ".join(f.label for f in fields),
            shown[0][0] if shown else None,
        ),
        f"Chaque valeur de {labels} doit être unique dans le fichier : supprimez le doublon ou "
        "corrigez l'identifiant.",
    )
