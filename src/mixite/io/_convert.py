"""Conversion of a loaded file to its canonical frame.

A file is read once by DuckDB with every column as VARCHAR (``_load``); in the same pass each
canonical column is converted by one SQL expression (``value_sql``, or the reader's own) and
stored beside the kept raw text (table ``raw``). ``convert`` validates the table (``_checks``:
one aggregate query returns, for every check, the first row that breaks it; the earliest bad row
raises an ``InputError`` naming the file, its line, the column as written in the file, the value
and the fix), then selects the converted columns and casts DuckDB's Arrow result to the
canonical frame (``mixite.dtypes.from_arrow``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from mixite.dtypes import from_arrow
from mixite.io._checks import validate
from mixite.io._fields import Check, Field
from mixite.io._load import RawTable
from mixite.io._sql import q, sql_str
from mixite.schema import Table

__all__ = ["convert", "derived_columns", "raw_text", "value_sql"]

_TRUE = ("1", "true", "vrai", "oui", "o", "yes", "y")
_FALSE = ("0", "false", "faux", "non", "n", "no")


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
    validate(
        raw,
        table,
        by_name,
        refs,
        row_checks=row_checks,
        known_communes=known_communes,
        check_cog=check_cog,
        check_key=check_key,
    )
    select = ", ".join(f"{refs[c.name]} AS {q(c.name)}" for c in table.columns)
    arrow = raw.con.sql(f"SELECT {select} FROM raw ORDER BY rowid").to_arrow_table()
    return from_arrow(arrow, table)
