"""Vacancy chains (hand-made known answers and invariants) and the occupancy status."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixite.allocation.problem import FIN_PLAI, FIN_PLUS
from mixite.household import occupancy_status
from mixite.trajectoires.chains import FreedDwellings, vacancy_chains
from mixite.trajectoires.ttc import ExchangeMarket


def _market(n: int, **arrays: object) -> ExchangeMarket:
    base: dict[str, object] = {
        "rooms_min": np.full(n, 1),
        "rooms_max": np.full(n, 5),
        "wished": np.full((n, 1), "", dtype=object),
        "income": np.full(n, 15000.0),
        "ceilings": np.tile([20000.0, 30000.0, 40000.0], (n, 1)),
        "landlord": np.full(n, "L1", dtype=object),
        "commune": np.full(n, "A", dtype=object),
        "rooms": np.full(n, 3),
        "rent": np.full(n, 400.0),
        "financing": np.full(n, FIN_PLUS),
    }
    base.update(arrays)
    return ExchangeMarket(**base)  # type: ignore[arg-type]


def test_a_chain_by_hand() -> None:
    # Tenant 0 lives in a T2 and wants a T3; tenant 1 lives in a T3 and wants a T4; tenant 2 in a
    # T4 wants a T2 in B (nothing there). A T4 freed in A goes to 1, 1's T3 to 0, 0's T2 to an
    # external applicant: two mutations, three moves with the external household.
    market = _market(
        3,
        rooms_min=np.array([3, 4, 2]),
        rooms_max=np.array([3, 4, 2]),
        wished=np.array([["A"], ["A"], ["B"]], dtype=object),
        rooms=np.array([2, 3, 4]),
    )
    freed = FreedDwellings(np.array(["A"], dtype=object), np.array([4]), np.array([FIN_PLUS]))
    out = vacancy_chains(
        market, np.ones(3, bool), np.arange(3), freed, 1.0, np.random.default_rng(0)
    )
    assert out.moves[["step", "tenant", "to_freed", "to_tenant"]].values.tolist() == [
        [0, 1, 0, -1],
        [1, 0, -1, 1],
    ]
    assert out.chains.values.tolist() == [[0, 2, 0]]
    assert out.mean_length == 3.0
    # No dwelling offered to mutations: the freed T4 goes straight to an external applicant.
    none = vacancy_chains(
        market, np.ones(3, bool), np.arange(3), freed, 0.0, np.random.default_rng(0)
    )
    assert none.moves.empty and none.chains.values.tolist() == [[0, 0, -1]]
    # The income ceiling: a PLAI T4 (ceiling 20,000 €) is out of reach of a 25,000 € household.
    richer = _market(
        3,
        rooms_min=np.array([3, 4, 2]),
        rooms_max=np.array([3, 4, 2]),
        wished=np.array([["A"], ["A"], ["B"]], dtype=object),
        rooms=np.array([2, 3, 4]),
        income=np.array([15000.0, 25000.0, 15000.0]),
    )
    plai = FreedDwellings(np.array(["A"], dtype=object), np.array([4]), np.array([FIN_PLAI]))
    blocked = vacancy_chains(
        richer, np.ones(3, bool), np.arange(3), plai, 1.0, np.random.default_rng(0)
    )
    assert blocked.chains.values.tolist() == [[0, 0, -1]]


def test_priority_order_decides_who_moves() -> None:
    # Two tenants want the same T3; the order puts tenant 1 first.
    market = _market(
        2, rooms_min=np.array([3, 3]), rooms_max=np.array([3, 3]), rooms=np.array([1, 1])
    )
    freed = FreedDwellings(np.array(["A"], dtype=object), np.array([3]), np.array([FIN_PLUS]))
    out = vacancy_chains(
        market, np.ones(2, bool), np.array([1, 0]), freed, 1.0, np.random.default_rng(0)
    )
    assert out.moves["tenant"].tolist() == [1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 12), st.integers(1, 6), st.integers(0, 10_000), st.floats(0.0, 1.0))
def test_chain_invariants(n: int, n_freed: int, seed: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    market = _market(
        n,
        rooms_min=rng.integers(1, 4, n),
        rooms_max=rng.integers(3, 6, n),
        wished=rng.choice(np.array(["A", "B", ""], dtype=object), (n, 2)),
        commune=rng.choice(np.array(["A", "B"], dtype=object), n),
        rooms=rng.integers(1, 6, n),
    )
    waiting = rng.random(n) < 0.8
    freed = FreedDwellings(
        rng.choice(np.array(["A", "B"], dtype=object), n_freed),
        rng.integers(1, 6, n_freed),
        np.full(n_freed, FIN_PLUS),
    )
    out = vacancy_chains(market, waiting, rng.permutation(n), freed, share, rng)
    moved = out.moves["tenant"].to_numpy()
    assert np.unique(moved).size == moved.size  # nobody moves twice
    assert waiting[moved].all()  # only waiting tenants move
    assert out.chains["mutations"].sum() == len(out.moves)
    for row in out.moves.itertuples():
        if row.step == 0:
            commune, rooms = freed.commune[row.to_freed], freed.rooms[row.to_freed]
        else:
            commune, rooms = market.commune[row.to_tenant], market.rooms[row.to_tenant]
        wishes = [c for c in market.wished[row.tenant] if c]
        assert not wishes or commune in wishes
        assert market.rooms_min[row.tenant] <= rooms <= market.rooms_max[row.tenant]


def test_occupancy_status_by_hand() -> None:
    # mutations.surface_minimale: 9 m² for 1 person, 16 for 2, +9 per person (70 m² for 8+);
    # under-occupied above persons + 1 rooms (CCH L621-2).
    status = occupancy_status(
        household_size=[1, 4, 4, 2, 9, 1],
        rooms=[1, 3, 3, 4, 5, 3],
        surface=[8.0, 34.0, 33.0, 60.0, 69.0, np.nan],
        when="2025-01-01",
    )
    assert status.tolist() == [-1, 0, -1, 1, -1, 1]
