"""The national results pinned on three small EPCIs of the synthetic France (same seed → same
rows): the rows of ``tests/data/national/pinned_rows.json`` were computed by
``national.runner.process_territory`` (import, diagnostic, quotas, simulation) before its
speed-up (issue 20), and every optimisation must reproduce them exactly. Regenerate them
(``PYTHONPATH=src python tests/test_national_pinned.py``) only for a change that is meant to
alter the national results, and say why in the commit."""

from __future__ import annotations

import json
import math
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.national import generate_france
from mixite.national.runner import process_territory, result_path
from mixite.national.territories import discover

PINNED = Path(__file__).resolve().parent / "data" / "national" / "pinned_rows.json"
#: CC Faucigny - Glières, CC de Petite Camargue, CC du Limouxin (2,424, 1,705 and 821 dwellings)
SIRENS = ("200000172", "243000593", "200071926")
TASKS = ("diagnostic", "quotas", "simulation")


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


@lru_cache(maxsize=1)
def _rows() -> dict[str, dict[str, list[list[Any]]]]:
    """Per task and SIREN, the rows written by a national run (every column, in order)."""
    work = Path(tempfile.mkdtemp(prefix="mixite-national-pinned-"))
    generate_france(work / "france", 2025, 2025, 1.0, set(SIRENS))
    out: dict[str, dict[str, list[list[Any]]]] = {task: {} for task in TASKS}
    for territory in discover(work / "france"):
        report = process_territory(territory, TASKS, work / "national", 2025)
        assert report.status == "fait", report.errors
        for task in TASKS:
            frame = pd.read_parquet(result_path(work / "national", task, territory.siren))
            out[task][territory.siren] = [
                [str(c) for c in frame.columns],
                *([_cell(v) for v in row] for row in frame.itertuples(index=False)),
            ]
    return out


def test_the_national_rows_are_the_pinned_ones() -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    rows = _rows()
    assert sorted(pinned) == sorted(rows)
    for task in TASKS:
        assert sorted(pinned[task]) == sorted(SIRENS)
        for siren in SIRENS:
            expected, got = pinned[task][siren], rows[task][siren]
            assert got[0] == expected[0], (task, siren)
            assert len(got) == len(expected), (task, siren)
            for line, (a, b) in enumerate(zip(got[1:], expected[1:], strict=True)):
                assert a == b, (task, siren, line, a, b)


if __name__ == "__main__":  # regenerate the pinned rows
    PINNED.parent.mkdir(parents=True, exist_ok=True)
    PINNED.write_text(json.dumps(_rows(), ensure_ascii=False), encoding="utf-8")
    sys.exit(0)
