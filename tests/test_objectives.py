"""Split of the EPCI objective between partners: exact sums, caps, hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from mixite.objectives import epci_objective, largest_remainder, own_objectives, split_objective


def test_proportional_split_by_hand() -> None:
    # 25 % of 100 + 60 + 40 = 200 expected attributions → 50; exact quotas 25 / 15 / 10.
    partners = pd.DataFrame({"partner": ["OPH", "ESH", "SEM"], "expected": [100, 60, 40]})
    out = split_objective(partners, 0.25, "proportionnel")
    assert out["objective"].tolist() == [25, 15, 10]
    assert out.attrs["total"] == 50 and out.attrs["reachable"]


def test_own_objectives_are_never_redistributed() -> None:
    # docs/droit.md §2.3: four reservataires with 10 attributions each owe ceil(0.25 × 10) = 3
    # each (12 in all), not the EPCI's ceil(0.25 × 40) = 10 spread as 3, 3, 2, 2.
    partners = pd.DataFrame(
        {"partner": ["c1", "c2", "c3", "c4"], "expected": [10] * 4, "rate": [0.25] * 4}
    )
    out = own_objectives(partners)
    assert out["objective"].tolist() == [3, 3, 3, 3]
    assert out["objective_rate"].tolist() == [0.3] * 4
    # A partner's own rate (its CIA commitment, 35 %): ceil(3.5) = 4; 25 % of 4 is exactly 1.
    mixed = pd.DataFrame({"partner": ["a", "b"], "expected": [10, 4], "rate": [0.35, 0.25]})
    assert own_objectives(mixed)["objective"].tolist() == [4, 1]


def test_largest_remainder_by_hand() -> None:
    # 3.6 / 2.3 / 1.1 → floors 3 / 2 / 1 (6), one more unit to the largest remainder (0.6).
    assert largest_remainder(np.array([3.6, 2.3, 1.1]), 7).tolist() == [4, 2, 1]


def test_capped_split_redistributes_by_hand() -> None:
    # Target 25 % of 200 = 50. Proportional shares 25 / 15 / 10, but OPH can do only 10 % of 100
    # = 10: the 15 left go to ESH and SEM in proportion 60:40 → 15 + 9 = 24 and 10 + 6 = 16.
    partners = pd.DataFrame(
        {
            "partner": ["OPH", "ESH", "SEM"],
            "expected": [100, 60, 40],
            "attainable_share": [0.1, 0.5, 0.5],
        }
    )
    out = split_objective(partners, 0.25, "plafonne")
    assert out["objective"].tolist() == [10, 24, 16]


def test_effort_sharing_by_hand() -> None:
    # Caps 20 and 30, achieved 10 and 10; total 25 % of 200 = 50 ⇒ λ = (50-20)/(10+20) = 1.
    # With 40 % of 100: caps 40 / 50 … keep it simple: λ = (50 - 20) / (30 + 40) = 3/7.
    partners = pd.DataFrame(
        {
            "partner": ["A", "B"],
            "expected": [100, 100],
            "attainable_share": [0.4, 0.5],
            "achieved": [10, 10],
        }
    )
    out = split_objective(partners, 0.25, "effort")
    # exact: A = 10 + 3/7*30 = 22.857, B = 10 + 3/7*40 = 27.143 → 23 and 27
    assert out["objective"].tolist() == [23, 27]


def test_unreachable_total_is_reported() -> None:
    partners = pd.DataFrame({"partner": ["A"], "expected": [100], "attainable_share": [0.1]})
    out = split_objective(partners, 0.25, "plafonne")
    assert not out.attrs["reachable"] and out["objective"].tolist() == [10]


def test_epci_objective_rounds_up_without_float_noise() -> None:
    assert epci_objective(0.25, 400) == 100
    assert epci_objective(0.25, 401) == 101


partner_tables = st.lists(
    st.tuples(
        st.integers(0, 2000),
        st.floats(0, 1, allow_nan=False),
        st.floats(0, 1, allow_nan=False),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    partner_tables, st.floats(0.05, 0.6), st.sampled_from(["proportionnel", "plafonne", "effort"])
)
def test_split_sums_exactly_and_respects_caps(
    rows: list[tuple[int, float, float]], rate: float, method: str
) -> None:
    expected = [r[0] for r in rows]
    share = [r[1] for r in rows]
    partners = pd.DataFrame(
        {
            "partner": [f"p{i}" for i in range(len(rows))],
            "expected": expected,
            "attainable_share": share,
            "achieved": [r[2] * e * s for r, e, s in zip(rows, expected, share, strict=True)],
        }
    )
    out = split_objective(partners, rate, method)  # type: ignore[arg-type]
    total = epci_objective(rate, sum(expected))
    assert (out["objective"] >= 0).all()
    assert (out["objective"] <= out["cap"]).all()
    if out.attrs["reachable"]:
        assert out["objective"].sum() == total
    else:
        assert out["objective"].sum() == out["cap"].sum() < total
