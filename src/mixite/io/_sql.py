"""SQL text helpers of the file engine: quoted identifiers, string literals and lists."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["q", "sql_list", "sql_str"]


def q(identifier: str) -> str:
    """Quote a SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    """Quote a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Iterable[str]) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join(sql_str(v) for v in values) + "]"
