"""The national summary on a hand-built long table of three EPCIs (every expected value computed
by hand in the comments: met = shortfall max(0, ⌈target × N⌉ − achieved) is zero, docs/droit.md
§2.1; national share = Σ numerators / Σ denominators)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixite.indicators import national as summary
from mixite.vocabulary import NATIONAL_COLUMNS

from .national_rows import national_rows


@pytest.fixture
def rows() -> pd.DataFrame:
    return national_rows()


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


def test_a_masked_partner_leaves_the_priority_verdict_unknown(rows: pd.DataFrame) -> None:
    # Statistical secrecy masked A's Action Logement (3/10, met) and B's commune (2/12, not
    # met): A's other partner meets it (2/8) but Action Logement may not → unknown; B's only
    # bound partner is masked → unknown. Masking B's commune beside a known failure would
    # leave B not met: add a second partner of B, 1/12 (⌈3⌉ − 1 = 2: not met).
    masked = rows.copy()
    hidden = (masked["task"] == "quotas") & masked["group"].isin(["action_logement", "commune"])
    masked.loc[hidden, ["denominator", "numerator", "share", "shortfall"]] = np.nan
    table = summary.objectives(masked)
    obs = table.loc[table["source"] == "observe"].set_index(["epci", "indicator"])["met"]
    assert pd.isna(obs[("200000001", "prioritaires")])
    assert pd.isna(obs[("200000002", "prioritaires")])
    failing = masked.loc[hidden & (masked["epci"] == "200000002")].assign(
        group="commune:2", denominator=12.0, numerator=1.0, share=1 / 12, shortfall=2.0
    )
    table = summary.objectives(pd.concat([masked, failing], ignore_index=True))
    obs = table.loc[table["source"] == "observe"].set_index(["epci", "indicator"])["met"]
    verdict = obs[("200000002", "prioritaires")]
    assert not pd.isna(verdict) and not bool(verdict)
