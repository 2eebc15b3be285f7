"""Exact binomial inference (against SciPy) and small-cell suppression."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mixite.indicators import small_cell_threshold, suppress_small_cells
from mixite.indicators.inference import clopper_pearson, p_value_below, wilson
from mixite.params import Parameters, default_parameters

CASES = [(0, 10), (3, 10), (10, 10), (17, 80), (1, 1), (250, 1000)]


@pytest.mark.parametrize(("k", "n"), CASES)
def test_intervals_match_scipy_binomtest(k: int, n: int) -> None:
    result = stats.binomtest(k, n)
    exact = result.proportion_ci(0.95, method="exact")
    score = result.proportion_ci(0.95, method="wilson")
    low, high = clopper_pearson([k], [n], 0.95)
    assert (low[0], high[0]) == pytest.approx((exact.low, exact.high))
    wl, wh = wilson([k], [n], 0.95)
    assert (wl[0], wh[0]) == pytest.approx((score.low, score.high))


@pytest.mark.parametrize(("k", "n"), CASES)
def test_one_sided_p_value_matches_scipy(k: int, n: int) -> None:
    expected = stats.binomtest(k, n, p=0.25, alternative="less").pvalue
    assert p_value_below([k], [n], 0.25)[0] == pytest.approx(expected)


def test_empty_groups_give_nan() -> None:
    low, high = clopper_pearson([0], [0], 0.95)
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert math.isnan(p_value_below([0], [0], 0.25)[0])


def test_suppression_blanks_small_counts_and_their_rates() -> None:
    frame = pd.DataFrame(
        {
            "commune": ["a", "b", "c", "d"],
            "households": [100, 40, 3, 0],
            "poor": [4, 0, 2, 0],
            "share_poor": [0.04, 0.0, 2 / 3, np.nan],
            "mean_income": [1.0, 2.0, 3.0, 4.0],
        }
    )
    out = suppress_small_cells(
        frame,
        ["households", "poor"],
        threshold=5,
        derived={"households": ["mean_income"], "poor": ["share_poor"]},
    )
    # Counts 1..4 are blanked; 0 and ≥ 5 are kept.
    assert out["households"].tolist() == [100, 40, pd.NA, 0]
    assert out["poor"].tolist() == [pd.NA, 0, pd.NA, 0]
    # Rates derived from a blanked count are blanked on the same rows only.
    assert np.isnan(out["share_poor"].to_numpy()).tolist() == [True, False, True, True]
    assert np.isnan(out["mean_income"].to_numpy()).tolist() == [False, False, True, False]
    # No published count lies in 1..threshold−1; the input is untouched.
    published = out[["households", "poor"]].to_numpy(dtype="float64", na_value=np.nan).ravel()
    assert not ((published >= 1) & (published < 5)).any()
    assert frame.loc[2, "households"] == 3


def test_threshold_from_parameters(params: Parameters) -> None:
    # conftest writes secret_statistique.seuil = 5.
    assert small_cell_threshold(params, "2025-01-01") == 5


def test_packaged_conventions_load() -> None:
    p = default_parameters()
    assert p.value("indicateurs.occupation.age_senior", "2025-01-01") == 65
    assert p.value("quotas.q1_hors_qpv", "2025-01-01") == 0.25


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=1, max_size=20),
    threshold=st.integers(1, 12),
)
def test_suppression_invariants(counts: list[int], threshold: int) -> None:
    frame = pd.DataFrame({"n": counts, "rate": [c / 40 for c in counts]})
    out = suppress_small_cells(frame, ["n"], threshold, {"n": ["rate"]})
    for before, after, rate in zip(counts, out["n"], out["rate"], strict=True):
        if 1 <= before < threshold:
            assert after is pd.NA and np.isnan(rate)
        else:
            assert after == before and rate == before / 40
