"""The national summary on a hand-built long table of three EPCIs (every expected value computed
by hand in the comments: met = shortfall max(0, ⌈target × N⌉ − achieved) is zero, docs/droit.md
§2.1; national share = Σ numerators / Σ denominators)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixite.indicators import national as summary
from mixite.vocabulary import NATIONAL_COLUMNS

A = {"epci": "200000001", "epci_name": "CA Alpha", "region": "24",
     "region_name": "Centre-Val de Loire", "dwellings": 1000}  # fmt: skip
B = {"epci": "200000002", "epci_name": "CA Bêta", "region": "24",
     "region_name": "Centre-Val de Loire", "dwellings": 6000}  # fmt: skip
C = {"epci": "200000003", "epci_name": "CU Gamma", "region": "11",
     "region_name": "Île-de-France", "dwellings": 60000}  # fmt: skip


def _short(target: float, den: float, num: float) -> float:
    return float(max(0, math.ceil(target * den - 1e-9) - num))


def row(ident: dict[str, Any], task: str, level: str, group: str, indicator: str, den: float,
        num: float, target: float = np.nan, scenario: str = "", detail: str | None = None,
        ) -> dict[str, Any]:  # fmt: skip
    share = num / den if den else np.nan
    out = {c: None for c in NATIONAL_COLUMNS}
    out.update(ident)
    out.update(
        task=task, scenario=scenario, level=level, group=group, indicator=indicator,
        denominator=float(den), numerator=float(num), share=share, target=target,
        share_low=share, share_high=share,
        shortfall=np.nan if np.isnan(target) else _short(target, den, num), detail=detail,
    )  # fmt: skip
    return out


def quotas(ident: dict[str, Any], q1: tuple[int, int], non_q1: tuple[int, int],
           prio: tuple[int, int], bound: list[tuple[str, str, int, int]]) -> list[dict[str, Any]]:  # fmt: skip
    e = ident["epci"]
    rows = [
        row(ident, "quotas", "epci", e, "q1_hors_qpv", *q1, target=0.25),
        row(ident, "quotas", "epci", e, "non_q1_en_qpv", *non_q1, target=0.5),
        row(ident, "quotas", "epci", e, "prioritaires", *prio, target=0.25, detail="descriptif"),
    ]
    for level, group, den, num in bound:
        rows.append(row(ident, "quotas", level, group, "prioritaires", den, num, target=0.25))
    # the State's contingent: descriptive only, never part of the verdict
    rows.append(row(ident, "quotas", "reservataire", "etat_prioritaire", "prioritaires", 20, 2,
                    target=0.25, detail="descriptif"))  # fmt: skip
    return rows


@pytest.fixture
def rows() -> pd.DataFrame:
    data = []
    # A: Q1 12/40 = 30 % (⌈10⌉ − 12 < 0: met); non-Q1 8/20 (⌈10⌉ − 8 = 2: not met);
    # priority: Action Logement 3/10 (⌈2.5⌉ = 3: met), landlord's own 2/8 (⌈2⌉ = 2: met) → met
    data += quotas(A, (40, 12), (20, 8), (60, 20),
                   [("reservataire", "action_logement", 10, 3), ("bailleur_non_reserve", "L1", 8, 2)])  # fmt: skip
    # B: Q1 20/100 (⌈25⌉ − 20 = 5: not met); non-Q1 30/50 (met); priority: commune 2/12 (⌈3⌉ − 2 = 1)
    data += quotas(B, (100, 20), (50, 30), (80, 20), [("reservataire", "commune", 12, 2)])
    # C: no attribution outside QPV (no verdict); non-Q1 5/10 (met); no bound partner
    data += quotas(C, (0, 0), (10, 5), (10, 3), [])
    # diagnostic: room for manoeuvre (attainable) beside the achieved share
    for ident, att, reason, ach in (
        (A, (100, 90), "atteignable", (40, 12)),  # achieved 30 % ≥ 25 %: met
        (B, (100, 15), "loyer", (100, 20)),  # attainable 15 % < 25 %: out of reach
        (C, (10, 5), "atteignable", (30, 3)),  # achieved 10 %, attainable 50 %: room
    ):
        e = ident["epci"]
        data.append(row(ident, "diagnostic", "epci", e, "q1_hors_qpv_atteignable", *att,
                        target=0.25, detail=reason))  # fmt: skip
        data.append(row(ident, "diagnostic", "epci", e, "q1_hors_qpv", *ach, target=0.25))
        data.append(row(ident, "diagnostic", "epci", e, "parc_en_qpv", ident["dwellings"], 300))
    # simulation: A 25 % → 31 %, B 18 % → 20 %
    for ident, base, other in ((A, (100, 25), (100, 31)), (B, (100, 18), (100, 20))):
        e = ident["epci"]
        data.append(row(ident, "simulation", "epci", e, "q1_hors_qpv", *base, target=0.25,
                        scenario="Référence"))  # fmt: skip
        data.append(row(ident, "simulation", "epci", e, "q1_hors_qpv", *other, target=0.25,
                        scenario="Fléchage 30 %"))  # fmt: skip
    return pd.DataFrame(data, columns=list(NATIONAL_COLUMNS))


BOUNDS = [0, 2000, 5000, 15000, 50000]


def test_size_classes_are_lower_bounds() -> None:
    got = summary.size_class([0, 1999, 2000, 6000, 49999, 50000, 228000], BOUNDS)
    assert got.tolist() == [0, 0, 2000, 5000, 15000, 50000, 50000]


def test_verdicts_per_epci(rows: pd.DataFrame) -> None:
    table = summary.objectives(rows)
    obs = table.loc[table["source"] == "observe"].set_index(["epci", "indicator"])["met"]
    met = {key: (None if pd.isna(v) else bool(v)) for key, v in obs.items()}
    assert met[("200000001", "q1_hors_qpv")] is True
    assert met[("200000002", "q1_hors_qpv")] is False
    assert met[("200000003", "q1_hors_qpv")] is None  # no attribution outside QPV
    assert met[("200000001", "non_q1_en_qpv")] is False
    assert met[("200000003", "non_q1_en_qpv")] is True
    # priority: every bound partner (not the State's contingent, descriptive)
    assert met[("200000001", "prioritaires")] is True
    assert met[("200000002", "prioritaires")] is False
    assert met[("200000003", "prioritaires")] is None


def test_share_of_epcis_meeting_each_objective(rows: pd.DataFrame) -> None:
    a = summary.attainment(rows)
    obs = a.loc[a["source"] == "observe"].set_index("indicator")
    assert obs.loc["q1_hors_qpv", ["epcis", "met"]].tolist() == [2, 1]
    assert obs.loc["q1_hors_qpv", "share_met"] == pytest.approx(0.5)
    # (12 + 20 + 0) / (40 + 100 + 0)
    assert obs.loc["q1_hors_qpv", "national_share"] == pytest.approx(32 / 140)
    assert obs.loc["non_q1_en_qpv", ["epcis", "met"]].tolist() == [3, 2]
    assert obs.loc["non_q1_en_qpv", "national_share"] == pytest.approx(43 / 80)
    assert obs.loc["prioritaires", ["epcis", "met"]].tolist() == [2, 1]
    sim = a.loc[a["source"] == "simule"].set_index(["scenario", "indicator"])
    # baseline: A 25/100 met (⌈25⌉ − 25 = 0), B 18/100 not met
    assert sim.loc[("Référence", "q1_hors_qpv"), ["epcis", "met"]].tolist() == [2, 1]
    assert sim.loc[("Référence", "q1_hors_qpv"), "national_share"] == pytest.approx(43 / 200)


def test_distributions_by_region_and_size(rows: pd.DataFrame) -> None:
    epci = summary.epci_table(rows, BOUNDS)
    assert epci.set_index("epci")["size_class"].to_dict() == {
        "200000001": 0, "200000002": 5000, "200000003": 50000,
    }  # fmt: skip
    by_region = summary.distribution(rows, epci, "region")
    q1 = by_region.loc[by_region["indicator"] == "q1_hors_qpv"].set_index("region")
    assert q1.loc["24", ["epcis", "met", "dwellings"]].tolist() == [2, 1, 7000]
    assert q1.loc["24", "region_name"] == "Centre-Val de Loire"
    assert q1.loc["11", "epcis"] == 0 and np.isnan(q1.loc["11", "share_met"])
    # the legal objectives in the order of the law
    assert by_region.loc[by_region["region"] == "24", "indicator"].tolist() == [
        "q1_hors_qpv", "non_q1_en_qpv", "prioritaires",
    ]  # fmt: skip
    by_size = summary.distribution(rows, epci, "size_class")
    non_q1 = by_size.loc[by_size["indicator"] == "non_q1_en_qpv"].set_index("size_class")
    assert non_q1["met"].to_dict() == {0: 0, 5000: 1, 50000: 1}


def test_epci_table_carries_every_figure(rows: pd.DataFrame) -> None:
    e = summary.epci_table(rows, BOUNDS).set_index("epci")
    assert e.loc["200000002", "q1_hors_qpv_share"] == pytest.approx(0.2)
    assert e.loc["200000002", "q1_hors_qpv_shortfall"] == 5
    assert e.loc["200000001", "q1_hors_qpv_simulated"] == pytest.approx(0.25)
    assert e.loc["200000002", "reason"] == "loyer"
    assert e.loc["200000001", "parc_en_qpv"] == pytest.approx(0.3)


def test_room_for_manoeuvre_categories(rows: pd.DataFrame) -> None:
    room = summary.room_for_manoeuvre(rows).set_index("epci")
    assert room["category"].to_dict() == {
        "200000001": "atteint", "200000002": "hors_atteinte", "200000003": "atteignable",
    }  # fmt: skip
    # C: achieved 3 of 30, ⌈0.25 × 30⌉ = 8 → 5 missing; room 50 % − 10 % = 40 points
    assert room.loc["200000003", "shortfall"] == 5
    assert room.loc["200000003", "room"] == pytest.approx(0.4)
    counts = summary.room_counts(summary.room_for_manoeuvre(rows))
    assert counts["category"].tolist() == ["atteint", "atteignable", "hors_atteinte"]
    assert counts["share"].tolist() == pytest.approx([1 / 3] * 3)


def test_change_per_epci_against_the_baseline(rows: pd.DataFrame) -> None:
    changes = summary.scenario_changes(rows).set_index(["epci", "indicator"])
    assert changes.loc[("200000001", "q1_hors_qpv"), "change"] == pytest.approx(0.06)
    assert changes.loc[("200000002", "q1_hors_qpv"), "change"] == pytest.approx(0.02)
    assert set(changes["scenario"]) == {"Fléchage 30 %"}
    assert not bool(changes.loc[("200000002", "q1_hors_qpv"), "baseline_met"])


def test_empty_rows_give_empty_tables() -> None:
    empty = pd.DataFrame(columns=list(NATIONAL_COLUMNS))
    assert summary.attainment(empty).empty
    assert summary.room_for_manoeuvre(empty).empty
    assert summary.scenario_changes(empty).empty
