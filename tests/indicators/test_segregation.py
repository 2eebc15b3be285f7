"""Segregation indices: a hand computation, then agreement with PySAL ``segregation``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segregation.local import MultiLocationQuotient
from segregation.multigroup import MultiDissim, MultiInfoTheory
from segregation.singlegroup import Dissim, Entropy, Interaction, Isolation

from mixite.indicators.segregation import (
    income_quartile,
    location_quotients,
    multigroup_indices,
    random_allocation_test,
    segregation_table,
    two_group_indices,
)


def _households(x: list[int], t: list[int]) -> tuple[pd.Series, pd.Series]:
    """One row per household from unit counts (x_i in the group among t_i)."""
    units, flags = [], []
    for i, (xi, ti) in enumerate(zip(x, t, strict=True)):
        units += [f"u{i}"] * ti
        flags += [True] * xi + [False] * (ti - xi)
    return pd.Series(units), pd.Series(flags)


def test_two_units_by_hand() -> None:
    # Unit A: 3 of 4 in the group; unit B: 1 of 4. X = 4, Y = 4, T = 8.
    units, flags = _households([3, 1], [4, 4])
    got = two_group_indices(units, flags)
    # D = ½ (|3/4 − 1/4| + |1/4 − 3/4|) = 0.5.
    assert got["dissimilarity"] == pytest.approx(0.5)
    # xPx = 3/4 × 3/4 + 1/4 × 1/4 = 0.625; xPy = 1 − 0.625.
    assert got["isolation"] == pytest.approx(0.625)
    assert got["exposure"] == pytest.approx(0.375)
    # E = ln 2; E_A = E_B = −(¾ ln ¾ + ¼ ln ¼); H = 1 − E_A / ln 2.
    e_a = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    assert got["theil"] == pytest.approx(1 - e_a / np.log(2))


def test_two_group_indices_match_pysal() -> None:
    rng = np.random.default_rng(20261129)
    t = rng.integers(5, 60, size=40)
    x = rng.binomial(t, rng.uniform(0.05, 0.7, size=40))
    units, flags = _households(list(x), list(t))
    got = two_group_indices(units, flags)
    # Our units are sorted by label; PySAL does not depend on the order.
    df = pd.DataFrame({"x": x, "t": t})
    assert got["dissimilarity"] == pytest.approx(Dissim(df, "x", "t").statistic)
    assert got["isolation"] == pytest.approx(Isolation(df, "x", "t").statistic)
    assert got["exposure"] == pytest.approx(Interaction(df, "x", "t").statistic)
    assert got["theil"] == pytest.approx(Entropy(df, "x", "t").statistic)


def test_multigroup_indices_and_location_quotients_match_pysal() -> None:
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 25, size=(30, 4))
    counts[counts.sum(axis=1) == 0, 0] = 1
    units, groups = [], []
    for i, row in enumerate(counts):
        for m, n in enumerate(row):
            units += [f"u{i:02d}"] * int(n)
            groups += [f"Q{m + 1}"] * int(n)
    got = multigroup_indices(pd.Series(units), pd.Series(groups))
    df = pd.DataFrame(counts, columns=["Q1", "Q2", "Q3", "Q4"])
    assert got["dissimilarity"] == pytest.approx(MultiDissim(df, list(df.columns)).statistic)
    assert got["theil"] == pytest.approx(MultiInfoTheory(df, list(df.columns)).statistic)
    lq = location_quotients(pd.Series(units), pd.Series(groups))
    expected = MultiLocationQuotient(df, list(df.columns)).statistics
    np.testing.assert_allclose(
        lq["location_quotient"].to_numpy().reshape(30, 4), expected, rtol=1e-12
    )


def test_location_quotient_by_hand() -> None:
    # Unit A holds 3 of the territory's 4 group members among 4 households; P = 4/8.
    units, flags = _households([3, 1], [4, 4])
    lq = location_quotients(units, flags.map({True: "g", False: "autres"}))
    row = lq[(lq["unit"] == "u0") & (lq["group"] == "g")].iloc[0]
    assert row["location_quotient"] == pytest.approx((3 / 4) / (4 / 8))
    assert row["unit_households"] == 4


def test_income_quartiles() -> None:
    # Values 1..8: linear quartile cuts 2.75, 4.5, 6.25.
    got = income_quartile(np.arange(1, 9)).tolist()
    assert got == ["Q1", "Q1", "Q2", "Q2", "Q3", "Q3", "Q4", "Q4"]


def test_segregation_table_shape() -> None:
    units, flags = _households([3, 1, 0], [4, 4, 2])
    frame = pd.DataFrame(
        {"residence_id": units, "iris": units.str[:1], "poor": flags, "quartile": "Q1"}
    )
    frame.loc[::2, "quartile"] = "Q4"
    out = segregation_table(frame, ("residence_id", "iris"), ("poor",), ("quartile",))
    assert out[["unit", "group"]].values.tolist() == [
        ["residence_id", "poor"],
        ["residence_id", "quartile"],
        ["iris", "poor"],
        ["iris", "quartile"],
    ]
    # One IRIS for everybody: no segregation at all.
    assert out.loc[2, "dissimilarity"] == 0.0
    assert out.loc[0, "households"] == 10


def test_random_allocation_test() -> None:
    # Fully separated: 20 units of 10 households, the group fills units 0–9. No shuffle can
    # reach D = 1, so p = 1 / (1 + 49).
    units, flags = _households([10] * 10 + [0] * 10, [10] * 20)
    got = random_allocation_test(units, flags, np.random.default_rng(1), permutations=49)
    assert got["dissimilarity"] == pytest.approx(1.0)
    assert got["dissimilarity_p_value"] == pytest.approx(1 / 50)
    # Under chance with units of 10 the dissimilarity is far from 0 (small-unit bias).
    assert 0.1 < got["dissimilarity_random"] < 0.5
    # Households placed at random: the observed value is of the order of the baseline.
    rng = np.random.default_rng(2)
    mixed = pd.Series(rng.random(200) < 0.5)
    again = random_allocation_test(units, mixed, np.random.default_rng(3), permutations=49)
    assert again["dissimilarity_p_value"] > 0.05
    # Same seed, same result.
    assert random_allocation_test(units, mixed, np.random.default_rng(3), permutations=49) == again
