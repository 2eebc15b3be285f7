"""Demand indicators on five pending applications (millésime 2025: pending at 31/12/2024)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mixite.indicators.demand import (
    application_attributes,
    demand_pressure,
    demand_profile,
    demand_seniority,
    q1_threshold_comparison,
    q1_threshold_from_demand,
)
from mixite.params import Parameters

from .indicator_frames import applications, attributions

EPCI = {"35238", "35051"}


def _applications() -> pd.DataFrame:
    # Resources per UC (12 × monthly / UC): p1 10800, p2 12000, p3 9600 (UC 1.5), p4 20000
    # (UC 1.8), p5 6000. Seniority at 31/12/2024 in whole months: 6, 24, 59, 0, 60.
    return applications(
        [
            {"application_id": "p1", "wished_communes": ["35238"], "rooms_min": 2,
             "filing_date": "2024-06-01", "monthly_resources": 900.0},
            {"application_id": "p2", "wished_communes": ["35238", "35051"], "rooms_min": 3,
             "filing_date": "2022-12-31", "is_mutation": True, "monthly_resources": 1000.0,
             "priority_codes": ["b"]},
            {"application_id": "p3", "commune_residence": "35051", "rooms_min": 1,
             "filing_date": "2020-01-15", "household_size": 2, "adults": 2, "persons_14plus": 2,
             "monthly_resources": 1200.0, "dalo": True},
            {"application_id": "p4", "wished_communes": ["35051"], "rooms_min": 5,
             "filing_date": "2024-12-01", "household_size": 3, "adults": 2, "persons_14plus": 2,
             "monthly_resources": 3000.0},
            {"application_id": "p5", "wished_communes": ["35999"], "rooms_min": 2,
             "filing_date": "2019-12-31", "monthly_resources": 500.0},
        ]
    )  # fmt: skip


def _attributions() -> pd.DataFrame:
    return attributions(
        [
            {"attribution_id": "b1", "commune": "35238", "rooms": 2, "is_mutation": True},
            {"attribution_id": "b2", "commune": "35238", "rooms": 3},
            {"attribution_id": "b3", "commune": "35051", "rooms": 3},
            {"attribution_id": "b4", "commune": "35051", "rooms": 1, "lease_date": "2023-05-01"},
        ]
    )


def test_attributes(params: Parameters) -> None:
    out = application_attributes(_applications(), 2025, params)
    assert out["commune_demanded"].tolist() == ["35238", "35238", "35051", "35051", "35999"]
    assert out["typology"].tolist() == ["T2", "T3", "T1", "T5+", "T2"]
    assert out["seniority_months"].tolist() == [6, 24, 59, 0, 60]


def test_pressure_by_commune(params: Parameters) -> None:
    out = demand_pressure(_applications(), _attributions(), 2025, params=params).set_index(
        "commune"
    )
    # 35238: 2 pending (1 without mutation) for 2 attributions of 2024 (1 without mutation).
    assert out.loc["35238", ["pending", "pending_excl_mutations"]].tolist() == [2, 1]
    assert out.loc["35238", "pressure"] == 1.0
    assert out.loc["35238", "pressure_excl_mutations"] == 1.0
    # 35051: p3 and p4 for b3 only (b4 is of 2023) → 2 demands per attribution.
    assert out.loc["35051", "pressure"] == 2.0
    # 35999: demand without any attribution: pressure undefined.
    assert math.isnan(out.loc["35999", "pressure"])


def test_pressure_by_typology(params: Parameters) -> None:
    out = demand_pressure(
        _applications(), _attributions(), 2025, by="typologie", params=params
    ).set_index("typologie")
    # T2: p1, p5 for b1 (a mutation) → 2.0; without mutations 2 for 0 → undefined.
    assert out.loc["T2", "pressure"] == 2.0
    assert math.isnan(out.loc["T2", "pressure_excl_mutations"])
    # T3: p2 for b2, b3 → 0.5.
    assert out.loc["T3", "pressure"] == 0.5
    total = demand_pressure(_applications(), _attributions(), 2025, by="territoire", params=params)
    assert total.iloc[0]["pressure"] == pytest.approx(5 / 3)


def test_seniority_classes(params: Parameters) -> None:
    out = demand_seniority(_applications(), 2025, params=params).set_index("seniority_class")
    # Bounds 12, 24, 36, 60 months: 6 and 0 → < 12; 24 → 24-35; 59 → 36-59; 60 → 60+.
    assert out["pending"].to_dict() == {
        "moins de 12 mois": 2,
        "24 à 35 mois": 1,
        "36 à 59 mois": 1,
        "60 mois et plus": 1,
    }
    # Each class's median is its own applications' (0 and 6 → 3), inside the class: the issue
    # « ancienneté médiane 12 for every class, 60 months and more included » cannot come back.
    assert out["median_seniority_months"].to_dict() == {
        "moins de 12 mois": 3.0,
        "24 à 35 mois": 24.0,
        "36 à 59 mois": 59.0,
        "60 mois et plus": 60.0,
    }


def test_profile(params: Parameters) -> None:
    out = demand_profile(_applications(), 2025, 10000.0, params=params).iloc[0]
    # Q1 below 10000 €/UC: p3 (9600) and p5 (6000) → 2/5.
    assert out["share_q1"] == pytest.approx(0.4)
    assert (out["share_mutation"], out["share_priority"], out["share_dalo"]) == (0.2, 0.2, 0.2)
    by_commune = demand_profile(
        _applications(), 2025, 10000.0, by="commune_demanded", params=params
    ).set_index("commune_demanded")
    assert by_commune.loc["35051", "share_q1"] == 0.5


def test_q1_threshold_recomputed(params: Parameters) -> None:
    # All 5: sorted 6000 9600 10800 12000 20000; highest value of the lowest quartile = rank
    # ceil(0.25 × 5) = 2 → 9600.
    assert q1_threshold_from_demand(_applications(), 2025, params=params) == (9600.0, 5)
    # Without mutations (p2 out): 6000 9600 10800 20000 → rank 1 → 6000.
    got = q1_threshold_from_demand(_applications(), 2025, include_mutations=False, params=params)
    assert got == (6000.0, 4)
    # EPCI communes only (p5 out): 9600 10800 12000 20000 → rank 1 → 9600.
    assert (
        q1_threshold_from_demand(_applications(), 2025, epci_communes=EPCI, params=params)[0]
        == 9600.0
    )


def test_q1_threshold_comparison(params: Parameters) -> None:
    out = q1_threshold_comparison(_applications(), 2025, 8000.0, EPCI, params)
    assert len(out) == 4
    first = out.iloc[0]
    assert first["variant"] == "toutes les demandes"
    assert first["gap_ratio"] == pytest.approx(9600 / 8000 - 1)
    assert out["demands"].tolist() == [5, 4, 4, 3]
