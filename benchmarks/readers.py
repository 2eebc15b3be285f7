"""Each file kind read through its own reader, as the product reads it: the one dispatch table
shared by the reader fuzzing (``benchmarks/fuzz_readers.py``) and the robustness probe
(``scripts/probe_robustness.py``, in a child process).

Not a product module: the product reads its files through ``mixite importer`` (the import job)
and each command's own reader; this table names, for the two robustness tools, which reader a
kind of file goes through and with which context.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["CHARTER_DATE", "read_kind"]

#: The plan date given to the charter reader (its targets are checked against it).
CHARTER_DATE = dt.date(2027, 1, 1)


def read_kind(
    kind: str,
    path: Path,
    *,
    known_communes: Iterable[str] | None = None,
    communes: pd.DataFrame | None = None,
    local_applications: Path | None = None,
) -> object:
    """What the reader of ``kind`` gives on ``path`` (a table, a territory, a strategy…).

    ``known_communes`` are the territory's commune codes (the readers that check communes;
    None: each reader's own default, the communes of a sibling ``communes.csv``);
    ``communes`` the communes table that commune contours complete (kind ``contours``);
    ``local_applications`` the local applications extract that a mapping (kind
    ``correspondance``) maps. Any other kind is an import table read by ``read_table``."""
    from mixite.io import (
        read_commitments,
        read_qpv,
        read_rpls,
        read_table,
        read_territory,
        relogement,
        strategy,
    )
    from mixite.io.detect import with_contours
    from mixite.io.sru import read_sru

    known = None if known_communes is None else list(known_communes)
    if kind == "sru":
        return read_sru(path)
    if kind == "programme_relogement":
        return relogement.read_programme(path)
    if kind == "enquete":
        return relogement.read_survey(path, known_communes=known)
    if kind == "suivi_relogement":
        return relogement.read_followup(path)
    if kind == "charte":
        return relogement.read_charter(path, CHARTER_DATE)
    if kind == "strategie":
        return strategy.load_strategy(path)
    if kind == "programmation":
        return strategy.read_programme(path)
    if kind == "rpls":
        return read_rpls(path, known_communes=known)
    if kind == "qpv":
        return read_qpv(path)
    if kind == "territoire":
        return read_territory(path)
    if kind == "engagements":
        return read_commitments(path)
    if kind == "contours":
        if communes is None:
            raise ValueError("contours: the communes table is needed")
        return with_contours(communes, path)
    if kind == "correspondance":
        if local_applications is None:
            raise ValueError("correspondance: the local applications extract is needed")
        return read_table(local_applications, "demandes", path, known_communes=known)
    return read_table(path, kind, known_communes=known)
