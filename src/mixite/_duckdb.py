"""The one way mixite opens DuckDB: extensions are never installed nor loaded behind its back.

DuckDB installs and loads known extensions on demand (reading a SQLite file, an ``https://``
path…), which downloads code from the network. mixite needs none: every connection disables
automatic installation and loading, and community extensions.
"""

from __future__ import annotations

import duckdb

__all__ = ["SAFE_CONFIG", "connect"]

#: Configuration of every DuckDB connection mixite opens.
SAFE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in memory by default) that never fetches nor loads an extension."""
    return duckdb.connect(database, read_only=read_only, config=dict(SAFE_CONFIG))
