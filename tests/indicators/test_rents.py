"""Rent indicators on six let dwellings and one vacant one (hand computations below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixite.indicators.rents import qpv_rent_gap, rent_segment_edges, rent_segments, rent_table
from mixite.params import Parameters

from .indicator_frames import dwellings

# id, rooms, QPV, rent (€/month), surface (m²), financing family
ROWS = [
    ("d1", 2, True, 300.0, 50.0, "pre1977"),  # 6.0 €/m²
    ("d2", 2, True, 330.0, 50.0, "plus"),  # 6.6 €/m²
    ("d3", 2, False, 400.0, 50.0, "plus"),  # 8.0 €/m²
    ("d4", 3, True, 420.0, 70.0, "pre1977"),  # 6.0 €/m²
    ("d5", 3, False, 490.0, 70.0, "plus"),  # 7.0 €/m²
    ("d6", 3, False, 560.0, 70.0, "pls"),  # 8.0 €/m²
    ("d7", 3, False, None, 70.0, "plus"),  # vacant: no rent, left out
]


def _stock() -> pd.DataFrame:
    return dwellings(
        [
            {
                "dwelling_id": i,
                "rooms": r,
                "in_qpv": q,
                "rent": rent,
                "surface": s,
                "finan_family": f,
            }
            for i, r, q, rent, s, f in ROWS
        ]
    )


def test_rent_per_m2_is_sum_of_rents_over_sum_of_surfaces(params: Parameters) -> None:
    out = rent_table(_stock(), 2025, by=("typology", "qpv_status"), params=params)
    got = out.set_index(["typology", "qpv_status"])
    # T2 in QPV: (300 + 330) / (50 + 50) = 6.3 €/m²; T3 outside: (490 + 560) / 140 = 7.5 €/m².
    assert got.loc[("T2", "QPV"), "rent_m2"] == pytest.approx(6.3)
    assert got.loc[("T3", "hors QPV"), "rent_m2"] == pytest.approx(7.5)
    assert got.loc[("T3", "hors QPV"), "dwellings_with_rent"] == 2  # d7 has no rent
    assert got.loc[("T3", "hors QPV"), "mean_rent"] == pytest.approx(525.0)
    assert got.loc[("T2", "QPV"), "median_rent_m2"] == pytest.approx(6.3)


def test_default_breakdown_has_financing(params: Parameters) -> None:
    out = rent_table(_stock(), 2025, params=params)
    assert list(out.columns[:3]) == ["typology", "finan_family", "qpv_status"]
    assert out["dwellings_with_rent"].sum() == 6


def test_qpv_gap_same_typology_and_standardised_total(params: Parameters) -> None:
    out = qpv_rent_gap(_stock(), 2025, params).set_index("typology")
    # T2: outside 8.0 vs QPV 6.3 → gap 1.7 €/m², ratio 6.3 / 8 − 1 = −0.2125.
    assert out.loc["T2", "gap_eur_m2"] == pytest.approx(1.7)
    assert out.loc["T2", "gap_ratio"] == pytest.approx(-0.2125)
    # T3: outside 7.5 vs QPV 6.0 → gap 1.5, ratio −0.2.
    assert out.loc["T3", "gap_ratio"] == pytest.approx(-0.2)
    # All: weights = QPV typology mix (T2: 2/3, T3: 1/3).
    # QPV 2/3 × 6.3 + 1/3 × 6.0 = 6.2; outside 2/3 × 8.0 + 1/3 × 7.5 = 7.8333…
    assert out.loc["ensemble", "rent_m2_qpv"] == pytest.approx(6.2)
    assert out.loc["ensemble", "rent_m2_outside"] == pytest.approx(23.5 / 3)
    assert out.loc["ensemble", "gap_eur_m2"] == pytest.approx(23.5 / 3 - 6.2)
    assert out.loc["ensemble", "dwellings_qpv"] == 3


def test_rent_segments_are_quartiles(params: Parameters) -> None:
    # Rents per m² sorted: 6.0 6.0 6.6 7.0 8.0 8.0; linear quantiles at 0, ¼, ½, ¾, 1 sit at
    # positions 0, 1.25, 2.5, 3.75, 5 → 6.0, 6.15, 6.8, 7.75, 8.0.
    edges = rent_segment_edges(_stock(), 2025, params)
    np.testing.assert_allclose(edges, [6.0, 6.15, 6.8, 7.75, 8.0])
    out = rent_segments(_stock(), 2025, params).set_index("segment")
    assert out["dwellings_with_rent"].to_dict() == {"S1": 2, "S2": 1, "S3": 1, "S4": 2}
    # S1 = d1 and d4, both in QPV; S4 = d3 and d6, both outside.
    assert out.loc["S1", "share_in_qpv"] == 1.0
    assert out.loc["S4", "share_in_qpv"] == 0.0
    assert out.loc["S4", "rent_m2"] == pytest.approx(960.0 / 120.0)
