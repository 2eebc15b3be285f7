"""A read-only store that remembers what it read (the ``StoreLike`` seam of the jobs).

The tasks of one territory read the same tables several times (the diagnostic, its room for
manoeuvre, the quotas and the simulation each load their snapshot); a read-only DuckDB file does
not change while it is open, so the millésimes and the frames are read once. Each caller gets
its own copy of a frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from mixite.store import Store

__all__ = ["CachedStore"]


class CachedStore:
    """``StoreLike`` over an open read-only ``Store``: ``millesimes`` and ``read`` cached."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._years: dict[str | None, list[int]] = {}
        self._frames: dict[tuple[str, int | None], pd.DataFrame] = {}

    def millesimes(self, table: str | None = None) -> list[int]:
        if table not in self._years:
            self._years[table] = self._store.millesimes(table)
        return list(self._years[table])

    def read(self, table: str, millesime: int | None = None) -> pd.DataFrame:
        key = (table, millesime)
        if key not in self._frames:
            self._frames[key] = self._store.read(table, millesime)
        return self._frames[key].copy()

    def summary(self) -> pd.DataFrame:
        return self._store.summary()
