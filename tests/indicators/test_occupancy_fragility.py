"""Occupancy shares and the fragility index on hand-made households (computations below)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mixite.errors import InputError
from mixite.indicators.fragility import UNCLASSED, fragility_index
from mixite.indicators.occupancy import household_flags, occupancy_profile
from mixite.params import Parameters

from .indicator_frames import dwellings, households

CEILING = 20000.0  # same PLUS ceiling for everybody, €/year


def _dwellings() -> pd.DataFrame:
    place = [("d1", "r1", True), ("d2", "r1", True), ("d3", "r2", False), ("d4", "r3", False)]
    place.append(("d5", "r3", False))
    return dwellings(
        [
            {
                "dwelling_id": d,
                "residence_id": r,
                "in_qpv": q,
                "qpv_code": "QN03501M" if q else None,
            }
            for d, r, q in place
        ]
    )


def _households() -> pd.DataFrame:
    return households(
        [
            # 15 % of the ceiling, unemployed single parent with benefit
            {"household_id": "h1", "dwelling_id": "d1", "annual_resources": 3000.0,
             "employment": "chomage", "single_parent": True, "housing_benefit": 100.0,
             "household_size": 2, "persons_14plus": 1, "dependants": 1},
            # exactly 40 % (not « under 40 % »), benefit, aged 70
            {"household_id": "h2", "dwelling_id": "d2", "annual_resources": 8000.0,
             "housing_benefit": 50.0, "reference_age": 70},
            # exactly 60 %: under none of the classes
            {"household_id": "h3", "dwelling_id": "d3", "annual_resources": 12000.0},
            # large family by dependants (3) and size (5); 2 adults, 2 persons 14+ → UC 2.4
            {"household_id": "h4", "dwelling_id": "d4", "annual_resources": 16000.0,
             "household_size": 5, "adults": 2, "persons_14plus": 2, "dependants": 3},
            # 10 %, unemployed, aged 64 (not elderly)
            {"household_id": "h5", "dwelling_id": "d5", "annual_resources": 2000.0,
             "employment": "chomage", "reference_age": 64},
        ]
    )  # fmt: skip


def test_household_flags(params: Parameters) -> None:
    hh = _households()
    flags = household_flags(hh, np.full(len(hh), CEILING), 2025, params)
    assert flags["under_20"].tolist() == [True, False, False, False, True]
    assert flags["under_40"].tolist() == [True, False, False, False, True]
    assert flags["under_60"].tolist() == [True, True, False, False, True]
    assert flags["large_family"].tolist() == [False, False, False, True, False]
    assert flags["elderly"].tolist() == [False, True, False, False, False]
    # h4: UC = 1 + 0.5 × (2 − 1) + 0.3 × (5 − 2) = 2.4 → 16000 / 2.4 €/UC.
    assert flags.loc[3, "resources_per_uc"] == pytest.approx(16000 / 2.4)
    # h1: 2 persons, one under 14 → UC 1.3.
    assert flags.loc[0, "resources_per_uc"] == pytest.approx(3000 / 1.3)


def test_large_family_by_size_alone(params: Parameters) -> None:
    hh = households([{"household_id": "x", "dwelling_id": "d", "household_size": 5,
                      "persons_14plus": 3, "dependants": 2}])  # fmt: skip
    assert household_flags(hh, [CEILING], 2025, params)["large_family"].tolist() == [True]


def test_profile_per_residence(params: Parameters) -> None:
    hh = _households()
    out = occupancy_profile(
        hh, _dwellings(), 2025, ceiling=np.full(len(hh), CEILING), params=params
    ).set_index("residence_id")
    assert out["households"].to_dict() == {"r1": 2, "r2": 1, "r3": 2}
    # r1 = h1, h2: under 20 % ½, under 60 % 2/2, single parent ½, benefit 2/2, elderly ½.
    r1 = out.loc["r1"]
    assert (r1["share_under_20"], r1["share_under_60"]) == (0.5, 1.0)
    assert (r1["share_single_parent"], r1["share_housing_benefit"], r1["share_elderly"]) == (
        0.5,
        1.0,
        0.5,
    )
    assert bool(r1["in_qpv"]) is True
    # r2 = h3 alone, at 60 % of the ceiling: every share is 0.
    assert out.loc["r2", "share_under_60"] == 0.0
    # r3 = h4, h5: large family ½, unemployed ½.
    assert (out.loc["r3", "share_large_family"], out.loc["r3", "share_unemployed"]) == (0.5, 0.5)
    # median resources per UC in r3: h4 16000 / 2.4, h5 2000 / 1 → mean of the two.
    assert out.loc["r3", "median_resources_per_uc"] == pytest.approx((16000 / 2.4 + 2000) / 2)


def test_profile_in_and_outside_qpv(params: Parameters) -> None:
    hh = _households()
    out = occupancy_profile(
        hh, _dwellings(), 2025, by="in_qpv", ceiling=np.full(len(hh), CEILING), params=params
    ).set_index("in_qpv")
    # Outside QPV: h3, h4, h5 → under 20 % = h5 only = 1/3.
    assert out.loc[False, "share_under_20"] == pytest.approx(1 / 3)
    assert out.loc[True, "share_under_20"] == pytest.approx(1 / 2)


def test_household_in_unknown_dwelling_is_an_input_error(params: Parameters) -> None:
    hh = households([{"household_id": "x", "dwelling_id": "zz"}])
    with pytest.raises(InputError, match="absent du RPLS"):
        occupancy_profile(hh, _dwellings(), 2025, ceiling=[CEILING], params=params)


def _profile(values: list[float], households_: list[int] | None = None) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "residence_id": [f"r{i}" for i in range(n)],
            "households": households_ or [10] * n,
            "share_unemployed": values,
            "share_under_20": [0.2] * n,
        }
    )


def test_fragility_classes_on_standardised_scores(params: Parameters) -> None:
    # Shares 0, .1, .2, .3, .4: mean .2, population sd √(0.1 / 5) = 0.1414 → z = ±1.414, ±0.707, 0.
    out = fragility_index(
        _profile([0.0, 0.1, 0.2, 0.3, 0.4]), 2025, weights={"share_unemployed": 1.0}, params=params
    )
    np.testing.assert_allclose(
        out["fragility_index"], [-math.sqrt(2), -math.sqrt(0.5), 0.0, math.sqrt(0.5), math.sqrt(2)]
    )
    # Bounds 1, 0.35, −0.35, −1 (indicateurs.fragilite.bornes_classes).
    assert out["fragility_class"].tolist() == [
        "favorisée",
        "plutôt favorisée",
        "intermédiaire",
        "fragile",
        "très fragile",
    ]
    assert out["explanation"].iloc[4] == "personne de référence au chômage 40 % (moyenne 20 %)"
    assert out["explanation"].iloc[0] == "personne de référence au chômage 0 % (moyenne 20 %)"
    # Acronyms keep their capitals in explanations.
    both = fragility_index(
        _profile([0.0, 0.1, 0.2, 0.3, 0.4]).assign(share_under_20=[0.0, 0.1, 0.2, 0.3, 0.5]),
        2025,
        weights={"share_unemployed": 1.0, "share_under_20": 1.0},
        params=params,
    )
    assert both["explanation"].iloc[4] == (
        "ménages sous 20 % du plafond PLUS 50 % (moyenne 22 %) ; "
        "personne de référence au chômage 40 % (moyenne 20 %)"
    )


def test_contributions_add_up_and_small_residences_are_not_classed(params: Parameters) -> None:
    profile = _profile([0.0, 0.2, 0.4, 0.9], households_=[10, 10, 10, 2])
    profile["share_under_20"] = [0.1, 0.3, 0.2, 0.0]
    weights = {"share_unemployed": 2.0, "share_under_20": 1.0}
    out = fragility_index(profile, 2025, weights=weights, min_households=5, params=params)
    # The 2-household residence is out of the reference: unemployed mean .2, sd √(0.08/3);
    # under-20 mean .2, sd √(0.02/3). Residence r2: z = (0.2/√(0.08/3), 0) → index = 2/3 × z.
    z_unemp = 0.2 / math.sqrt(0.08 / 3)
    assert out.loc[2, "fragility_index"] == pytest.approx(2 / 3 * z_unemp)
    contrib = out[["contrib_share_unemployed", "contrib_share_under_20"]].sum(axis=1)
    np.testing.assert_allclose(contrib[:3], out["fragility_index"][:3])
    assert out.loc[3, "fragility_class"] == UNCLASSED
    assert math.isnan(out.loc[3, "fragility_index"])


def test_counts_accompany_shares(params: Parameters) -> None:
    hh = _households()
    out = occupancy_profile(
        hh, _dwellings(), 2025, ceiling=np.full(len(hh), CEILING), params=params
    ).set_index("residence_id")
    # r1: h1 unemployed → 1 household; r3: h5 → 1; r2: none.
    assert out["n_unemployed"].to_dict() == {"r1": 1, "r2": 0, "r3": 1}
    assert out.loc["r1", "n_housing_benefit"] == 2


def test_missing_ceilings_module_is_an_input_error(
    params: Parameters, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name == "mixite.ceilings":
            raise ModuleNotFoundError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    communes = pd.DataFrame({"commune": ["35238"], "ceiling_zone": ["A"]})
    with pytest.raises(InputError, match="plafonds de ressources"):
        occupancy_profile(_households(), _dwellings(), 2025, communes=communes, params=params)
    with pytest.raises(InputError, match="table des communes"):
        occupancy_profile(_households(), _dwellings(), 2025, params=params)
