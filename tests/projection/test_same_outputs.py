"""The projection's outputs pinned on a small territory (same seed → same outputs): the figures
of ``tests/data/projection/pinned_outputs.json`` were computed by the engine before its
speed-up (issue 17) and every optimisation must reproduce them. Regenerate them
(``python tests/projection/test_same_outputs.py``) only for a change that is meant to alter the
projection's results, and say why in the commit."""

from __future__ import annotations

import json
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixite.allocation.scenario import load_scenario
from mixite.io import read_folder
from mixite.projection.base import build_base
from mixite.projection.engine import run_replicate
from mixite.projection.outputs import year_tables
from mixite.projection.strategy import (
    Attributions,
    Demolition,
    Offre,
    Reequilibrage,
    Rehabilitation,
    Renouvellement,
    Strategy,
    StrategyPlan,
    Vente,
    parse_programme,
)
from mixite.synth import generate, size_profile

SCENARIO = Path(__file__).resolve().parents[2] / "exemples" / "scenarios" / "reference.yaml"
PINNED = Path(__file__).resolve().parents[1] / "data" / "projection" / "pinned_outputs.json"
SEEDS = (3, 17)


@lru_cache(maxsize=1)
def _frames() -> dict[str, pd.DataFrame]:
    folder = Path(tempfile.mkdtemp(prefix="mixite-pinned-"))
    generate(folder, np.random.default_rng(23), size_profile(dwellings=1200), 2025)
    return read_folder(folder)


def _plan(frames: dict[str, pd.DataFrame]) -> StrategyPlan:
    """Every lever at once: supply, a demolition, a sale, a rehabilitation, rents, support."""
    dw = frames["dwellings"]
    sizes = dw.groupby("residence_id").size().sort_values(kind="stable")
    residences = sizes.index.astype(str).tolist()
    communes = sorted(frames["communes"]["commune"].astype(str))
    landlords = sorted(dw["landlord_id"].astype(str).unique())
    programme = parse_programme(
        pd.DataFrame(
            [
                {
                    "commune": communes[0],
                    "annee_livraison": "2026",
                    "residence": "Nouvelle",
                    "bailleur": landlords[0],
                    "financement": "PLAI",
                    "t1": "3",
                    "t2": "6",
                    "t3": "6",
                    "t4": "3",
                    "t5": "1",
                    "loyer_m2": "5,5",
                    "qpv": "",
                }
            ],
            dtype=object,
        ),
        "p.csv",
    )
    strategy = Strategy(
        nom="Épinglée",
        attributions=Attributions(
            scenario=str(SCENARIO), preference_mutations=0.1, preference_prioritaires=0.1
        ),
        offre=Offre(ventes=[Vente(residence=residences[-2], annee=2026, logements=4)]),
        renouvellement=Renouvellement(
            demolitions=[Demolition(residence=residences[-1], annee=2025)],
            rehabilitations=[
                Rehabilitation(residence=residences[-3], annee=2026, hausse_loyer=0.05)
            ],
        ),
        loyers=[Reequilibrage(a_partir_de=2026, part_baisse_hors_qpv=0.5)],
        accompagnement={2025: 20, 2026: 20, 2027: 20},
    )
    return StrategyPlan(strategy, load_scenario(SCENARIO), programme=programme)


def _json_frame(frame: pd.DataFrame) -> list[list[Any]]:
    out = []
    for row in frame.itertuples(index=False):
        out.append([v if isinstance(v, str) else (None if pd.isna(v) else float(v)) for v in row])
    return out


def outputs() -> dict[str, Any]:
    """The figures pinned: per seed and year, the territory, the ledger, the residences' Q1
    households and fragility, the quota results."""
    frames = _frames()
    plan = _plan(frames)
    base = build_base(frames, 2025, [plan])
    out: dict[str, Any] = {}
    for seed in SEEDS:
        years = run_replicate(base, plan, 3, seed, observe=year_tables)
        out[str(seed)] = [
            {
                "territory": _json_frame(tables["territory"]),
                "ledger": _json_frame(tables["ledger"]) if "ledger" in tables else [],
                "residences": _json_frame(
                    tables["residences"][["residence", "households", "q1_households", "rent_m2"]]
                ),
                "fragility": _json_frame(tables["residences"][["fragility_index"]]),
                "quotas": _json_frame(
                    tables["quotas"][["level", "group", "indicator", "numerator", "denominator"]]
                )
                if "quotas" in tables
                else [],
                "ledger_columns": list(tables["ledger"].columns) if "ledger" in tables else [],
            }
            for tables in years
        ]
    return out


def _same(a: Any, b: Any, where: str) -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        # Counts are exact; sums of floats may differ in the last bits when summed in another
        # order.
        assert np.isclose(a, b, rtol=1e-9, atol=1e-12), (where, a, b)
    else:
        assert a == b, (where, a, b)


def test_same_seed_gives_the_pinned_outputs() -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    _same(outputs(), pinned, "outputs")


if __name__ == "__main__":
    PINNED.write_text(json.dumps(outputs(), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{PINNED} written", file=sys.stderr)
