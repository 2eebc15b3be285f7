"""Statistical secrecy (issue 21 item 4): primary and secondary suppression on the table shapes
mixite publishes, checked by hand and by the attacker-side audit, which must be able to fail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixite.indicators.secrecy import (
    Count,
    Identity,
    Part,
    Ratio,
    Shape,
    Structure,
    audit,
    protect,
)

T = 11  # secret_statistique.seuil


def _epci_or(dim: str) -> Any:
    def dims(row: Mapping[str, Any]) -> dict[str, str]:
        return {} if row["group"] == "epci" else {dim: str(row["group"])}

    return dims


ONE_WAY = Shape(row_dims=_epci_or("g"), counts=(Count("n", "people"),), margins=("g",))


def test_a_total_row_does_not_give_back_a_masked_cell() -> None:
    # 113 = 3 + 50 + 60: masking 3 alone leaves 113 − 50 − 60 = 3; the smallest other cell of at
    # least 11 (50) is masked with it, so that the reader only knows 3 + 50 = 53.
    frame = pd.DataFrame({"group": ["epci", "a", "b", "c"], "n": [113, 3, 50, 60]})
    before = audit({"t": frame}, {"t": ONE_WAY}, Structure(), T)
    assert [(f.row, f.kind, f.value) for f in before] == [(1, "publiée", 3.0)]
    result = protect({"t": frame}, {"t": ONE_WAY}, Structure(), T)
    out = result.tables["t"]
    assert out["n"].isna().tolist() == [False, True, True, False]
    assert (result.primary, result.secondary) == (1, 1)
    assert audit(result.tables, {"t": ONE_WAY}, Structure(), T) == []
    # Primary suppression alone (the old rule) is caught by the audit: 3 is recomputed.
    primary_only = frame.astype({"n": "Int64"})
    primary_only.loc[1, "n"] = pd.NA
    found = audit({"t": primary_only}, {"t": ONE_WAY}, Structure(), T)
    assert [(f.row, f.kind, f.value) for f in found] == [(1, "recalculable", 3.0)]


def test_the_complement_of_a_share_is_a_count() -> None:
    # 97 % of 300 applications are Q1: the 9 others are a small cell. 50 % of 400 is fine.
    frame = pd.DataFrame({"c": ["x", "y"], "pending": [300, 400], "share": [0.97, 0.5]})
    shape = Shape(
        dims=("c",),
        counts=(Count("pending", "pending"),),
        ratios=(Ratio("share", "q1", "pending"),),
    )
    found = audit({"t": frame}, {"t": shape}, Structure(), T)
    assert [(f.kind, f.value) for f in found] == [("recalculable", 9.0)]
    out = protect({"t": frame}, {"t": shape}, Structure(), T).tables["t"]
    assert out["pending"].tolist() == [300, 400]  # the denominator stays
    assert np.isnan(out.loc[0, "share"]) and out.loc[1, "share"] == 0.5
    # A share of 1 % of 300 publishes 3 persons: masked as well.
    small = frame.assign(share=[0.01, 0.5])
    assert np.isnan(protect({"t": small}, {"t": shape}, Structure(), T).tables["t"].loc[0, "share"])


QUOTAS = Shape(
    row_dims=_epci_or("landlord"),
    counts=(Count("den", "outside_qpv"), Count("num", "q1_outside_qpv")),
    ratios=(Ratio("share", "q1_outside_qpv", "outside_qpv"),),
    follows={"ci_low": ("num", "den")},
    margins=("landlord",),
)


def test_the_quotas_subtraction_of_the_issue() -> None:
    # Issue 21: 411 attributions outside QPV, 403 of them Q1: 411 − 403 = 8 is a small cell.
    # Landlords: A 150 (147 Q1: 3 others), B 130 (130: none), C 131 (126: 5 others).
    frame = pd.DataFrame(
        {"group": ["epci", "A", "B", "C"], "den": [411, 150, 130, 131], "num": [403, 147, 130, 126]}
    )
    frame["share"] = frame["num"] / frame["den"]
    frame["ci_low"] = frame["share"] - 0.01
    found = audit({"q": frame}, {"q": QUOTAS}, Structure(), T)
    # Complements: EPCI 8, A 3, C 5 (B: 0 is no one).
    assert sorted(f.value for f in found) == [3.0, 5.0, 8.0]
    result = protect({"q": frame}, {"q": QUOTAS}, Structure(), T)
    assert audit(result.tables, {"q": QUOTAS}, Structure(), T) == []
    out = result.tables["q"]
    # Every share whose complement is small is masked, with its interval; the denominators stay.
    assert out["den"].notna().all()
    assert out["share"].isna().tolist() == out["ci_low"].isna().tolist()
    assert out.loc[[0, 1, 3], "share"].isna().all()


def test_a_two_way_table_with_its_margins() -> None:
    # 2 × 3 table with row and column totals (as a composition table with its groups). The
    # single small cell (4) needs more than one partner: masking one more cell in its row leaves
    # it to its column; the rectangle of four inner cells, or its row partner with the two
    # column totals, protects it.
    cells = {("r1", "a"): 4, ("r1", "b"): 30, ("r1", "c"): 40, ("r2", "a"): 25, ("r2", "b"): 35,
             ("r2", "c"): 45}  # fmt: skip
    rows = [{"r": r, "k": k, "n": n} for (r, k), n in cells.items()]
    for r in ("r1", "r2"):
        rows.append({"r": r, "k": "tot", "n": sum(n for (rr, _), n in cells.items() if rr == r)})
    for k in ("a", "b", "c"):
        rows.append({"r": "tot", "k": k, "n": sum(n for (_, kk), n in cells.items() if kk == k)})
    rows.append({"r": "tot", "k": "tot", "n": sum(cells.values())})
    frame = pd.DataFrame(rows)

    def dims(row: Mapping[str, Any]) -> dict[str, str]:
        return {d: str(row[d]) for d in ("r", "k") if row[d] != "tot"}

    shape = Shape(row_dims=dims, counts=(Count("n", "people"),), margins=("r", "k"))
    result = protect({"t": frame}, {"t": shape}, Structure(), T)
    out = result.tables["t"].set_index(["r", "k"])["n"]
    assert pd.isna(out[("r1", "a")])
    assert audit(result.tables, {"t": shape}, Structure(), T) == []
    assert result.secondary >= 3
    _brute_force_check(frame, result.tables["t"])


def test_cells_shared_by_two_tables_are_masked_in_both() -> None:
    # The same households per residence in two tables, and the QPV total in a third: the
    # secondary cell chosen in one table must not be shown by the other.
    res = pd.DataFrame({"residence_id": ["r1", "r2", "r3"], "households": [5, 40, 60]})
    other = pd.DataFrame({"residence_id": ["r1", "r2", "r3"], "households": [5, 40, 60]})
    qpv = pd.DataFrame({"qpv_code": ["Q1"], "households": [105]})
    structure = Structure(
        implied={"residence_id": {r: {"qpv_code": "Q1"} for r in ("r1", "r2", "r3")}}
    )
    shapes = {
        "res": Shape(dims=("residence_id",), counts=(Count("households", "households"),)),
        "other": Shape(dims=("residence_id",), counts=(Count("households", "households"),)),
        "qpv": Shape(dims=("qpv_code",), counts=(Count("households", "households"),)),
    }
    frames = {"res": res, "other": other, "qpv": qpv}
    result = protect(frames, shapes, structure, T)
    assert result.tables["res"]["households"].isna().tolist() == [True, True, False]
    assert result.tables["other"]["households"].isna().tolist() == [True, True, False]
    assert audit(result.tables, shapes, structure, T) == []
    # Masking r1 in both tables but r2 in only one: the audit finds r1 and r2 again.
    leaky = dict(result.tables)
    leaky["other"] = other.astype({"households": "Int64"})
    leaky["other"].loc[0, "households"] = pd.NA
    kinds = {(f.kind, f.value) for f in audit(leaky, shapes, structure, T)}
    assert ("recalculable", 5.0) in kinds


def test_identities_between_measures() -> None:
    # All attributions = outside QPV + in QPV; publishing all and outside gives in-QPV = 7.
    frame = pd.DataFrame({"all": [120], "outside": [113], "inside": [7]})
    shape = Shape(
        counts=(Count("all", "att"), Count("outside", "att:out"), Count("inside", "att:in"))
    )
    structure = Structure(identities=(Identity("att", ("att:out", "att:in")),))
    result = protect({"t": frame}, {"t": shape}, structure, T)
    out = result.tables["t"].iloc[0]
    assert pd.isna(out["inside"]) and (pd.isna(out["all"]) or pd.isna(out["outside"]))
    assert audit(result.tables, {"t": shape}, structure, T) == []


def test_a_part_without_share_column() -> None:
    frame = pd.DataFrame({"offered": [500], "vacant": [495]})
    shape = Shape(
        counts=(Count("offered", "offered"), Count("vacant", "vacant")),
        parts=(Part("vacant", "offered"),),
    )
    assert [f.value for f in audit({"t": frame}, {"t": shape}, Structure(), T)] == [5.0]
    result = protect({"t": frame}, {"t": shape}, Structure(), T)
    assert result.tables["t"]["vacant"].isna().all()


def test_public_counts_are_not_masked_but_still_add_up() -> None:
    # Dwellings are public (secret=False): shown even when small.
    frame = pd.DataFrame({"group": ["epci", "a", "b"], "n": [53, 3, 50]})
    shape = Shape(
        row_dims=_epci_or("g"), counts=(Count("n", "dwellings"),), margins=("g",), secret=False
    )
    result = protect({"t": frame}, {"t": shape}, Structure(), T)
    assert result.tables["t"]["n"].tolist() == [53, 3, 50]
    assert audit(result.tables, {"t": shape}, Structure(), T) == []


def test_follow_columns_are_masked_with_their_counts() -> None:
    frame = pd.DataFrame(
        {"c": ["x", "y"], "n": [4, 30], "mean": [1.5, 2.0], "text": ["a 25 %", "b"]}
    )
    shape = Shape(
        dims=("c",),
        counts=(Count("n", "people"),),
        follows={"mean": ("n",), "text": ("mean",)},
    )
    out = protect({"t": frame}, {"t": shape}, Structure(), T).tables["t"]
    assert pd.isna(out.loc[0, "n"]) and np.isnan(out.loc[0, "mean"]) and out.loc[0, "text"] is None
    assert out.loc[1, "mean"] == 2.0 and out.loc[1, "text"] == "b"


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threshold"):
        protect({}, {}, Structure(), 0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=2, max_size=4),
)
def test_random_two_way_tables_leak_nothing(cells: list[list[int]]) -> None:
    # Hypothesis: whatever the counts, after protection no published cell is small and no masked
    # cell (nor a small hidden total) can be recomputed from the margins; checked independently
    # by brute force over the unknown cells (every completion consistent with what is shown).
    rows = []
    for i, line in enumerate(cells):
        for j, n in enumerate(line):
            rows.append({"r": f"r{i}", "k": f"k{j}", "n": n})
        rows.append({"r": f"r{i}", "k": "tot", "n": sum(line)})
    for j in range(3):
        rows.append({"r": "tot", "k": f"k{j}", "n": sum(line[j] for line in cells)})
    rows.append({"r": "tot", "k": "tot", "n": sum(map(sum, cells))})
    frame = pd.DataFrame(rows)

    def dims(row: Mapping[str, Any]) -> dict[str, str]:
        return {d: str(row[d]) for d in ("r", "k") if row[d] != "tot"}

    shape = Shape(row_dims=dims, counts=(Count("n", "people"),), margins=("r", "k"))
    out = protect({"t": frame}, {"t": shape}, Structure(), T).tables["t"]
    shown = out["n"].dropna().astype(int)
    assert not ((shown >= 1) & (shown < T)).any()
    assert audit({"t": out}, {"t": shape}, Structure(), T) == []
    _brute_force_check(frame, out)


def _brute_force_check(truth: pd.DataFrame, published: pd.DataFrame) -> None:
    """Independently of the linear algebra of ``protect``: every masked inner cell from 1 to
    ``T − 1`` ranges over an interval of positive width among the non-negative tables that agree
    with every published cell (two linear programs per cell, SciPy's HiGHS). A masked zero may be
    given back by a zero total (non-negativity): it discloses no one."""
    from scipy.optimize import linprog

    inner = truth[(truth["r"] != "tot") & (truth["k"] != "tot")]
    masked = [i for i in inner.index if pd.isna(published.loc[i, "n"])]
    if not masked:
        return
    position = {i: j for j, i in enumerate(masked)}
    a_eq, b_eq = [], []
    for i in truth.index:
        r, k = truth.loc[i, "r"], truth.loc[i, "k"]
        if pd.isna(published.loc[i, "n"]):
            continue
        members = inner
        if r != "tot":
            members = members[members["r"] == r]
        if k != "tot":
            members = members[members["k"] == k]
        row = np.zeros(len(masked))
        known = 0.0
        for m in members.index:
            if m in position:
                row[position[m]] = 1.0
            else:
                known += float(published.loc[m, "n"])
        if row.any():
            a_eq.append(row)
            b_eq.append(float(published.loc[i, "n"]) - known)
    for i in masked:
        if not 1 <= truth.loc[i, "n"] < T:
            continue
        objective = np.zeros(len(masked))
        objective[position[i]] = 1.0
        bounds = [(0, None)] * len(masked)
        low = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
        high = linprog(-objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
        assert low.status == 0
        upper = np.inf if high.status == 3 else -high.fun
        assert upper - low.fun >= 1 - 1e-9, (truth.loc[i].to_dict(), low.fun, upper)


def test_the_diagnostic_of_a_territory_leaks_nothing(petite_store: Any) -> None:
    # The checker on a demo-like territory: the tables the diagnostic job publishes (workbook,
    # quotas.csv, GeoPackage residence layer) show no count of persons from 1 to 10, and no
    # masked cell or small hidden count can be recomputed from them. The old rule (primary
    # suppression only) fails the same checker.
    from mixite.indicators._common import suppress_small_cells
    from mixite.indicators.diagnostic import TABLES, territorial_diagnostic
    from mixite.indicators.diagnostic_secrecy import shapes, structure
    from mixite.jobs._load import load_snapshot
    from mixite.jobs.diagnostic import diagnostic
    from mixite.store import Store

    with Store(petite_store) as store:
        result = diagnostic(store)
        snapshot = load_snapshot(store, None)
        raw = territorial_diagnostic(snapshot.frames(), snapshot.millesime, None)
    dwellings = snapshot.require("dwellings", "le test")
    threshold = result.secrecy_threshold
    assert threshold == T
    found = audit(result.tables, shapes(), structure(dwellings, result.tables), threshold)
    assert [f.message for f in found if f.kind != "incohérence"] == []
    layer = result.residences.set_index("residence_id")
    published = result.tables["occupation_residences"].set_index("residence_id")
    assert (
        layer["share_under_20"]
        .isna()
        .equals(published["share_under_20"].reindex(layer.index).isna())
    )
    old = {
        name: suppress_small_cells(
            frame,
            [c for c in TABLES[name].counts if c in frame.columns],
            threshold,
            {k: [c for c in v if c in frame.columns] for k, v in TABLES[name].derived.items()},
        )
        for name, frame in raw.items()
        if name in TABLES
    }
    leaks = audit(old, shapes(), structure(dwellings, old), threshold)
    assert any(f.kind == "recalculable" for f in leaks)
