"""CSV engine shared by the readers.

A file is read once by DuckDB with every column as VARCHAR (multi-threaded, no Python loop over
rows); in the same pass each canonical column is converted by one SQL expression and stored
beside the kept raw text (table ``raw``). Validation is one aggregate
query that returns, for every check, the first row that breaks it; the reader raises an
``InputError`` for the earliest bad row in the file, naming the file, its line (header = line 1),
the column as written in the file, the value and the fix.

DuckDB keeps the file order when it loads a table, so ``rowid`` is the data-row index; when an
error is raised, the physical line of that row is found by scanning the file (``physical_line``),
which accounts for blank lines and for quoted values spanning several lines.
"""

from __future__ import annotations

import csv
import difflib
import importlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from mixite.dtypes import from_arrow
from mixite.errors import InputError, Location
from mixite.schema import COMMUNE_CODE_PATTERN, QPV_CODE_PATTERN, SIREN_PATTERN, Column, Table

__all__ = [
    "COMMUNE_COLUMNS",
    "VALUE",
    "Check",
    "CsvSource",
    "Field",
    "RawTable",
    "closest",
    "convert",
    "derived_columns",
    "generic_checks",
    "json_text",
    "load_raw",
    "physical_line",
    "q",
    "raw_text",
    "sibling_communes",
    "sniff",
    "sql_str",
    "value_sql",
]

#: Canonical columns holding commune codes, checked against the packaged COG when available.
COMMUNE_COLUMNS = frozenset(
    {"depcom", "commune", "commune_residence", "wished_communes", "reservataire_commune"}
)

_SEPARATORS = (";", ",")
_TRUE = ("1", "true", "vrai", "oui", "o", "yes", "y")
_FALSE = ("0", "false", "faux", "non", "n", "no")


def q(identifier: str) -> str:
    """Quote a SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    """Quote a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


# ---------------------------------------------------------------------------------------------
# Sniffing: encoding, separator, header
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvSource:
    """What the first line of a CSV file tells: encoding, separator and header."""

    path: Path
    encoding: str
    delimiter: str
    headers: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return data if end < 0 else data[:end]


def sniff(path: Path) -> CsvSource:
    """Read the header line: encoding (UTF-8, with or without BOM, else Latin-1) and separator.

    Raises ``InputError`` for a missing or empty file, a binary or UTF-16 file, a separator other
    than ``;`` or ``,``, and a header with a repeated column name.
    """
    name = path.name
    if not path.is_file():
        raise InputError(
            "Fichier introuvable",
            Location(str(path)),
            "Vérifiez le chemin du fichier.",
        )
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(head) >= 4 and head[1:2] == b"\x00" and head[3:4] == b"\x00"
    ):
        raise InputError(
            "Encodage non pris en charge (UTF-16)",
            Location(name, 1),
            "Enregistrez le fichier en CSV UTF-8 (ou Latin-1), par exemple avec « Enregistrer "
            "sous… > CSV UTF-8 » dans votre tableur.",
        )
    if head.startswith(b"PK\x03\x04") or b"\x00" in head:
        raise InputError(
            "Fichier binaire (classeur Excel ou archive ?) au lieu d'un fichier CSV",
            Location(name, 1),
            "Ouvrez-le dans votre tableur et enregistrez-le en CSV UTF-8 avec le séparateur « ; ».",
        )
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        raise InputError(
            "Fichier vide",
            Location(name),
            "Exportez de nouveau le fichier : il doit commencer par la ligne d'en-tête des "
            "colonnes, suivie d'une ligne par enregistrement.",
        )
    line = _first_line(head).rstrip(b"\r")
    try:
        text = line.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = line.decode("latin-1")
        encoding = "latin-1"
    if not text.strip():
        raise InputError(
            "Ligne d'en-tête vide",
            Location(name, 1),
            "La première ligne du fichier doit donner le nom des colonnes.",
        )
    delimiter = next((s for s in _SEPARATORS if s in text), None)
    if delimiter is None:
        for other, label in (("\t", "des tabulations"), ("|", "des « | »")):
            if other in text:
                raise InputError(
                    f"Séparateur de colonnes non pris en charge : l'en-tête est séparé par {label}",
                    Location(name, 1, value=_shorten(text)),
                    "Enregistrez le fichier en CSV avec le séparateur « ; » (ou « , »).",
                )
        delimiter = ";"
    # A column without a name (often a trailing separator of an export) is kept under a
    # placeholder name and ignored by the readers.
    headers = tuple(
        h.strip() or f"_colonne_{position}"
        for position, h in enumerate(next(csv.reader([text], delimiter=delimiter)), start=1)
    )
    seen: set[str] = set()
    for header in headers:
        if header in seen:
            raise InputError(
                "Colonne présente deux fois dans l'en-tête",
                Location(name, 1, header),
                "Supprimez ou renommez l'une des deux colonnes.",
            )
        seen.add(header)
    return CsvSource(path, encoding, delimiter, headers)


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


@dataclass
class RawTable:
    """A CSV file loaded as table ``raw`` (all VARCHAR) in a private DuckDB connection."""

    con: duckdb.DuckDBPyConnection
    source: CsvSource
    rows: int
    derived: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def headers(self) -> tuple[str, ...]:
        return self.source.headers

    def close(self) -> None:
        self.con.close()


def _read_sql(
    source: CsvSource,
    encoding: str,
    keep: Sequence[str] | None,
    derived: Sequence[tuple[str, str]],
) -> str:
    selected = "*" if keep is None else ", ".join(q(h) for h in keep) or "1 AS _none"
    selected += "".join(f", {expr} AS {q(alias)}" for alias, expr in derived)
    columns = "{" + ", ".join(f"{sql_str(h)}: 'VARCHAR'" for h in source.headers) + "}"
    return (
        f"CREATE OR REPLACE TABLE raw AS SELECT {selected} FROM read_csv({sql_str(str(source.path))}, "
        f"delim={sql_str(source.delimiter)}, quote='\"', escape='\"', header=true, "
        f"auto_detect=false, columns={columns}, encoding={sql_str(encoding)}, "
        f"ignore_errors=true, store_rejects=true, rejects_table='rejects', "
        f"rejects_scan='reject_scans')"
    )


def load_raw(
    path: Path,
    *,
    allow_empty: bool = False,
    keep: Callable[[tuple[str, ...]], Sequence[str]] | None = None,
    derive: Callable[[tuple[str, ...]], Sequence[tuple[str, str]]] | None = None,
) -> RawTable:
    """Load a CSV file with every column as text; raise ``InputError`` on a malformed line.

    UTF-8 is tried first; Latin-1 is used only when a line is not valid UTF-8. ``keep`` chooses,
    from the header, the columns to keep in table ``raw`` (all by default); every line is parsed
    and checked for its number of fields anyway. ``derive`` gives, from the header, converted
    columns ``(alias, SQL)`` computed in the same pass over the file (see ``derived_columns``).
    """
    source = sniff(path)
    kept = None if keep is None else list(keep(source.headers))
    derived = [] if derive is None else list(derive(source.headers))
    con = duckdb.connect()
    try:
        encodings = [source.encoding] if source.encoding == "latin-1" else ["utf-8", "latin-1"]
        for encoding in encodings:
            con.execute("DROP TABLE IF EXISTS rejects; DROP TABLE IF EXISTS reject_scans")
            con.execute(_read_sql(source, encoding, kept, derived))
            rejects = con.execute(
                "SELECT line, error_type, csv_line, error_message FROM rejects "
                "ORDER BY line LIMIT 1"
            ).fetchall()
            if not rejects:
                source = CsvSource(source.path, encoding, source.delimiter, source.headers)
                break
            line, error_type, csv_line, message = rejects[0]
            if error_type == "INVALID ENCODING" and encoding == "utf-8":
                continue
            _raise_reject(source, int(line), str(error_type), str(csv_line or ""), str(message))
        rows = int(con.execute("SELECT count(*) FROM raw").fetchall()[0][0])
    except BaseException:
        con.close()
        raise
    if rows == 0 and not allow_empty:
        con.close()
        raise InputError(
            "Le fichier ne contient que la ligne d'en-tête, sans aucune donnée",
            Location(source.name, 2),
            "Exportez au moins une ligne de données sous l'en-tête.",
        )
    return RawTable(con, source, rows, frozenset(alias for alias, _ in derived))


def _raise_reject(source: CsvSource, line: int, kind: str, csv_line: str, message: str) -> None:
    expected = len(source.headers)
    found = _count_fields(csv_line, source.delimiter)
    shown = _shorten(csv_line.strip())
    where = Location(source.name, line, value=shown)
    if kind == "MISSING COLUMNS":
        raise InputError(
            f"Ligne incomplète : {found} champs au lieu de {expected}",
            where,
            "Vérifiez que la ligne n'a pas été coupée et que les valeurs contenant le séparateur "
            f"« {source.delimiter} » sont entre guillemets.",
        )
    if kind == "TOO MANY COLUMNS":
        raise InputError(
            f"Ligne trop longue : {found} champs au lieu de {expected}",
            where,
            f"Mettez entre guillemets les valeurs qui contiennent le séparateur « {source.delimiter} ».",
        )
    if kind == "INVALID ENCODING":
        raise InputError(
            "Caractères illisibles dans l'encodage détecté",
            where,
            "Enregistrez le fichier en CSV UTF-8.",
        )
    raise InputError(
        "Ligne illisible (guillemet non fermé ?)",
        where,
        "Fermez les guillemets ouverts et mettez entre guillemets les valeurs qui contiennent "
        f"le séparateur « {source.delimiter} ».",
    )


def _count_fields(line: str, delimiter: str) -> int:
    text = line.strip("\r\n")
    if not text:
        return 0
    try:
        return len(next(csv.reader([text], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return text.count(delimiter) + 1


# ---------------------------------------------------------------------------------------------
# Conversion plans
# ---------------------------------------------------------------------------------------------


#: Placeholder, in the SQL of a field's own checks, for its converted value.
VALUE = "{value}"


@dataclass(frozen=True)
class Check:
    """A condition (SQL, true on a bad row) with its French problem and fix.

    ``value_sql`` gives the value shown in the message (default: the field's raw text). In the
    checks of a ``Field``, ``{value}`` stands for the field's converted value.
    """

    condition: str
    problem: str
    fix: str
    value_sql: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Field:
    """How one canonical column is obtained from the raw table.

    ``source`` is the file header it comes from (``None`` for a computed column); ``raw`` is a
    SQL expression of its trimmed text (``NULL`` when empty, value maps applied); ``value``
    overrides the dtype conversion; ``checks`` replace the checks derived from the schema when
    ``generic`` is false.
    """

    column: Column
    source: str | None
    raw: str
    value: str | None = None
    checks: tuple[Check, ...] = ()
    generic: bool = True
    future_ok: bool = False
    shown_column: str | None = None

    @property
    def label(self) -> str:
        return self.shown_column or self.source or self.column.header


def raw_text(header: str, value_map: dict[str, str] | None = None) -> str:
    """SQL of a raw column: trimmed, ``NULL`` when empty, user value map applied."""
    base = f"nullif(trim({q(header)}), '')"
    if not value_map:
        return base
    cases = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in value_map.items())
    return f"(CASE {base} {cases} ELSE {base} END)"


def value_sql(dtype: str, raw: str) -> str:
    """SQL converting trimmed text to the canonical dtype (``NULL`` when unreadable)."""
    if dtype == "str":
        return raw
    number = (
        f"TRY_CAST(replace(replace(replace(replace({raw}, ' ', ''), chr(160), ''), chr(8239), ''), "
        "',', '.') AS DOUBLE)"
    )
    if dtype == "int":
        return (
            f"(CASE WHEN isfinite({number}) AND {number} = trunc({number}) "
            f"AND abs({number}) < 1e15 THEN CAST({number} AS BIGINT) END)"
        )
    if dtype == "float":
        return f"(CASE WHEN isfinite({number}) THEN {number} END)"
    if dtype == "date":
        # JJ/MM/AAAA when a slash comes 2nd or 3rd, else ISO AAAA-MM-JJ (an hour may follow).
        return (
            f"(CASE WHEN strpos({raw}, '/') IN (2, 3) "
            f"THEN CAST(try_strptime({raw}, '%d/%m/%Y') AS DATE) "
            f"WHEN regexp_full_match(left({raw}, 10), '[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}') "
            f"THEN TRY_CAST(left({raw}, 10) AS DATE) END)"
        )
    if dtype == "bool":
        return (
            f"(CASE WHEN lower({raw}) IN ({', '.join(sql_str(v) for v in _TRUE)}) THEN true "
            f"WHEN lower({raw}) IN ({', '.join(sql_str(v) for v in _FALSE)}) THEN false END)"
        )
    if dtype == "list":
        return (
            f"(CASE WHEN {raw} IS NULL THEN []::VARCHAR[] ELSE list_filter("
            f"list_transform(string_split({raw}, '|'), lambda x: trim(x)), lambda x: x <> '') END)"
        )
    raise ValueError(dtype)


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


def _fmt(number: float) -> str:
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


def generic_checks(fld: Field, value: str | None = None) -> list[Check]:
    """Checks derived from the schema: missing value, parse error, bounds, codes, format, future.

    ``value`` is the SQL of the converted value (default: the field's conversion expression).
    """
    col = fld.column
    raw = fld.raw
    value = value or fld.value or value_sql(col.dtype, raw)
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
        low = "" if col.min is None else _fmt(col.min)
        high = "" if col.max is None else _fmt(col.max)
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
                f"{value} IS NOT NULL AND NOT list_contains({_sql_list(col.codes)}, {value})",
                "Code inconnu",
                f"Codes permis pour « {label} » : {', '.join(col.codes)}.",
            )
        )
    if col.codes is not None and col.dtype == "list":
        bad = f"list_filter({value}, lambda x: NOT list_contains({_sql_list(col.codes)}, x))"
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
    if col.dtype == "date" and not fld.future_ok:
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
    con = duckdb.connect()
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
    return code.isdigit() and (
        75101 <= int(code) <= 75120 or 69381 <= int(code) <= 69389 or 13201 <= int(code) <= 13216
    )


# ---------------------------------------------------------------------------------------------
# Conversion and validation
# ---------------------------------------------------------------------------------------------


@dataclass
class _Found:
    line: int
    order: int
    check: Check
    fld: Field | None


def convert(
    raw: RawTable,
    table: Table,
    fields: Sequence[Field],
    *,
    row_checks: Sequence[Check] = (),
    known_communes: Iterable[str] | None = None,
    check_cog: bool = True,
    check_key: bool = True,
) -> pd.DataFrame:
    """Validate and convert ``raw`` to the canonical frame of ``table``.

    Raises ``InputError`` at the earliest bad row (checks in column order on a tie), then for
    commune codes unknown to the COG (``known_communes`` are accepted: the territory's own
    ``communes.csv``), then for a duplicate key.
    """
    by_name = {f.column.name: f for f in fields}
    missing = [c.name for c in table.columns if c.name not in by_name]
    if missing:
        raise ValueError(f"no field for {missing}")
    # Values materialised while loading (``derived_columns``) are read as columns; the others
    # (those that need the row number) are computed in place.
    refs = {
        c.name: (
            q(_alias(c.name))
            if _alias(c.name) in raw.derived
            else f"({by_name[c.name].value or value_sql(c.dtype, by_name[c.name].raw)})"
        )
        for c in table.columns
    }
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
        checks.extend(_cog_condition(raw, table, by_name, refs, known_communes))
    if checks:
        aggregates = ", ".join(f"min(rowid) FILTER (WHERE {c.condition})" for c, _ in checks)
        firsts = raw.con.execute(f"SELECT {aggregates} FROM {_JOINED}").fetchall()[0]
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
    select = ", ".join(f"{refs[c.name]} AS {q(c.name)}" for c in table.columns)
    arrow = raw.con.sql(f"SELECT {select} FROM raw ORDER BY rowid").to_arrow_table()
    return from_arrow(arrow, table)


_JOINED = "raw"


def _alias(name: str) -> str:
    return "v_" + name


def derived_columns(table: Table, fields: Sequence[Field]) -> list[tuple[str, str]]:
    """``(alias, SQL)`` of the converted values that can be computed while the file is loaded
    (all but those using the row number), for ``load_raw(derive=…)``."""
    out = []
    for fld in fields:
        expr = fld.value or value_sql(fld.column.dtype, fld.raw)
        if "rowid" not in expr:
            out.append((_alias(fld.column.name), expr))
    return out


def _cog_condition(
    raw: RawTable,
    table: Table,
    by_name: dict[str, Field],
    refs: dict[str, str],
    known_communes: Iterable[str] | None,
) -> list[tuple[Check, Field | None]]:
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
        bad_list = _sql_list(unknown)
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


def physical_line(source: CsvSource, index: int) -> int:
    """Line of the file (header = 1) where data row ``index`` (0-based) starts.

    Error path only: the file is scanned with Python's ``csv`` module, which counts the lines of
    quoted values with line breaks and the blank lines DuckDB skips.
    """
    encoding = "utf-8-sig" if source.encoding == "utf-8" else source.encoding
    with source.path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        if next(reader, None) is None:
            return index + 2
        row_number = 0
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader, None)
            except csv.Error:
                break
            if record is None:
                break
            if not record:
                continue
            if row_number == index:
                return start
            row_number += 1
    return index + 2


def _raise_check(raw: RawTable, found: _Found) -> None:
    check, fld = found.check, found.fld
    shown_sql = check.value_sql or (fld.raw if fld is not None else "NULL")
    row = raw.con.execute(
        f"SELECT CAST({shown_sql} AS VARCHAR) FROM {_JOINED} WHERE rowid = ?", [found.line - 2]
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
        f"FROM {_JOINED} WHERE rowid = ?",
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


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` (case- and accent-insensitive), if any is close."""
    pool = list(candidates)
    folded = {_fold(c): c for c in pool}
    match = difflib.get_close_matches(_fold(name), list(folded), n=1, cutoff=0.75)
    return folded[match[0]] if match else None


def _fold(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in norm if not unicodedata.combining(ch)).replace(" ", "_")


def json_text(value: Any) -> str:
    """Compact, sorted JSON text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
