"""The one way mixite opens DuckDB: extensions are never installed nor loaded behind its back.

DuckDB installs and loads known extensions on demand (reading a SQLite file, an ``https://``
path…), which downloads code from the network. mixite needs none: every connection disables
automatic installation and loading, and community extensions.

In-memory work (the file readers) uses cursors of one process-wide in-memory database: opening a
DuckDB database costs tens of milliseconds, a cursor a few. Each cursor is a connection of its
own: its temporary tables (the readers' ``raw`` table and DuckDB's rejects tables) are private
to it and dropped when it is closed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

__all__ = ["SAFE_CONFIG", "connect", "one_thread"]

#: Configuration of every DuckDB database mixite opens.
SAFE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    # DuckDB's default, stated because mixite relies on it: a table keeps the order of the file
    # it was read from, also when a large file is read on several threads (the simulation draws
    # in table order; tests/io/test_row_order.py)
    "preserve_insertion_order": True,
}

_LOCK = threading.Lock()
_SHARED: dict[int, duckdb.DuckDBPyConnection] = {}
#: DuckDB threads of the databases opened now (None: DuckDB's default, one per core).
_THREADS: list[int | None] = [None]


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No DuckDB progress bar: DuckDB prints its own bar on standard output for queries longer
    than two seconds (a large file read, a large store written), in the middle of mixite's own
    progress display and in the logs of the national run. A connection setting, not a database
    one (DuckDB refuses it in ``config``); the cursors of a connection inherit it."""
    con.execute("SET enable_progress_bar = false")
    return con


def _shared_memory() -> duckdb.DuckDBPyConnection:
    """The in-memory database of this process (a new one after a fork)."""
    pid = os.getpid()
    with _LOCK:
        database = _SHARED.get(pid)
        if database is None:
            _SHARED.clear()
            database = _quiet(duckdb.connect(":memory:", config=dict(SAFE_CONFIG)))
            _SHARED[pid] = database
        return database


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never fetches nor loads an extension: a file database, or (by
    default) a fresh cursor of the process's in-memory database, whose temporary tables are its
    own. Close it when done."""
    if database == ":memory:" and not read_only:
        return _shared_memory().cursor()
    config = dict(SAFE_CONFIG)
    if _THREADS[0] is not None:
        config["threads"] = _THREADS[0]
    return _quiet(duckdb.connect(database, read_only=read_only, config=config))


@contextmanager
def one_thread() -> Iterator[None]:
    """DuckDB on one thread inside the block: the in-memory database of the readers and the
    databases opened in the block. Where processes already share the cores (the national run's
    Dask workers, one per core: docs/national.md), a second DuckDB thread per process only adds
    the cost of coordinating it (measured: 12 % more CPU time to read a territory's files)."""
    shared = _shared_memory()
    before = _THREADS[0]
    _THREADS[0] = 1
    shared.execute("SET threads TO 1")
    try:
        yield
    finally:
        _THREADS[0] = before
        if before is None:
            shared.execute("RESET threads")
        else:
            shared.execute(f"SET threads TO {int(before)}")
