"""The rates of the yearly dynamics, on hand-made data (expected values computed in comments)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mixite.params import default_parameters, load_parameters
from mixite.projection.rates import (
    demand_model,
    departure_model,
    household_type,
    relet_delay_days,
)


def _params(tmp_path: Path, smoothing: float) -> object:
    folder = tmp_path / "params"
    folder.mkdir(parents=True)
    (folder / "projection.yaml").write_text(
        "departs:\n"
        "  classes_age:\n    values:\n      2000-01-01: {value: [30, 45, 65], reference: test}\n"
        f"  lissage_menages:\n    values:\n      2000-01-01: {{value: {smoothing}, "
        "reference: test}\n",
        encoding="utf-8",
    )
    return default_parameters().merged(load_parameters(folder))


def test_household_types() -> None:
    # Single, couple without child, couple with children, single parent.
    assert household_type(np.array([1, 2, 2, 1]), np.array([0, 0, 3, 1])).tolist() == [0, 1, 2, 3]


def test_departures_without_smoothing(tmp_path: Path) -> None:
    # Ten single persons aged 50, not Q1, in residence 0: two moved in last year (share 0.2);
    # ten couples without child aged 35 in residence 1: one moved in (share 0.1).
    htype = np.array([0] * 10 + [1] * 10)
    age = np.array([50.0] * 10 + [35.0] * 10)
    q1 = np.zeros(20, bool)
    residence = np.array([0] * 10 + [1] * 10)
    recent = np.zeros(20, bool)
    recent[[0, 1, 10]] = True
    model = departure_model(
        htype, age, q1, residence, recent, np.ones(20, bool), 2, 0.25, 2025,
        _params(tmp_path, 0.0),  # type: ignore[arg-type]
    )  # fmt: skip
    assert model.overall_share == pytest.approx(3 / 20)
    # Each residence holds one class: observed = expected, factor 1.
    np.testing.assert_allclose(model.residence_factor, [1.0, 1.0])
    # Exit probability: the moving hazard −ln(1 − 0.2) times the non-mutation share 0.75.
    got = model.exit_probability(htype[:1], age[:1], q1[:1], residence[:1])
    assert got[0] == pytest.approx(1 - np.exp(np.log(0.8) * 0.75))
    got = model.exit_probability(htype[10:11], age[10:11], q1[10:11], residence[10:11])
    assert got[0] == pytest.approx(1 - np.exp(np.log(0.9) * 0.75))


def test_departures_are_smoothed_towards_the_territory(tmp_path: Path) -> None:
    # With 10 households of weight: cell share (2 + 10 × 0.15) / (10 + 10) = 0.175.
    htype = np.array([0] * 10 + [1] * 10)
    age = np.array([50.0] * 10 + [35.0] * 10)
    recent = np.zeros(20, bool)
    recent[[0, 1, 10]] = True
    model = departure_model(
        htype, age, np.zeros(20, bool), np.zeros(20, np.int64), recent, np.ones(20, bool), 1,
        0.0, 2025, _params(tmp_path, 10.0),  # type: ignore[arg-type]
    )  # fmt: skip
    cell = model.cell(htype[:1], age[:1], np.zeros(1, bool))[0]
    assert model.cell_share[cell] == pytest.approx(0.175)
    # Households outside the eligible set (first lettings) do not count.
    eligible = np.ones(20, bool)
    eligible[0] = False
    again = departure_model(
        htype, age, np.zeros(20, bool), np.zeros(20, np.int64), recent, eligible, 1, 0.0, 2025,
        _params(tmp_path / "b", 0.0),  # type: ignore[arg-type]
    )  # fmt: skip
    assert again.overall_share == pytest.approx(2 / 19)


def test_demand_renewal_at_stationarity() -> None:
    # Pending seniorities (years) 0.2, 0.5, 2, 3: F = 2 filed within a year; with A = 1
    # attribution, q = 1 − (4 − 2) / (4 − 1) = 1/3 keeps the stock: (4 − 1)(1 − 1/3) + 2 = 4.
    model = demand_model(np.array([0.2, 0.5, 2.0, 3.0]), 1)
    assert model.filings_per_year == 2
    assert model.lapse_probability == pytest.approx(1 / 3)
    assert (4 - 1) * (1 - model.lapse_probability) + model.filings_per_year == pytest.approx(4)


def test_relet_delay_by_littles_law() -> None:
    # 10 vacant dwellings, 100 relets a year: 365 × 10 / 100 = 36.5 days.
    assert relet_delay_days(10, 100, 30.0) == pytest.approx(36.5)
    assert relet_delay_days(10, 0, 30.0) == 30.0
    assert relet_delay_days(500, 100, 30.0) == 365.0


def test_expected_flows_weigh_each_commune_convention_by_its_dwellings() -> None:
    import pandas as pd

    from mixite.projection.base import expected_flows

    reservations = pd.DataFrame(
        {
            "landlord_id": ["L1", "L1", "L1"],
            "reservataire": ["etat_prioritaire", "commune", "commune"],
            "reservataire_id": [None, "96001", "96002"],
            "share": [0.25, 0.10, 0.20],
        }
    )
    landlords = np.array(["L1"] * 4, dtype=object)
    communes = np.array(["96001", "96001", "96001", "96002"], dtype=object)
    flows = expected_flows(reservations, landlords, communes)
    # A dwelling of 96001: 0.25 prefect, 0.10 its commune, 0.65 the landlord's own stock; of
    # 96002: 0.25, 0.20, 0.55. Over 3 + 1 dwellings: commune (3 × 0.10 + 0.20) / 4 = 0.125,
    # landlord (3 × 0.65 + 0.55) / 4 = 0.625.
    assert flows == pytest.approx({"etat_prioritaire": 0.25, "commune": 0.125, "bailleur": 0.625})
    assert expected_flows(None, landlords, communes) is None
