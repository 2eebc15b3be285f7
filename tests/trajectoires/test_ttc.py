"""Top Trading Cycles: individually rational, Pareto efficient and strategy-proof (checked by
brute force on random small markets), and the eligibility rules of the preference lists."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixite.allocation.problem import FIN_OTHER, FIN_PLAI, FIN_PLUS
from mixite.trajectoires.ttc import (
    ExchangeMarket,
    exchange_cycles,
    exchange_preferences,
    top_trading_cycles,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def markets(draw: st.DrawFn, max_n: int = 5) -> list[list[int]]:
    """Random strict lists: each tenant lists a random ordered subset of the others."""
    n = draw(st.integers(1, max_n))
    prefs = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        chosen = draw(st.permutations(others))
        prefs.append(list(chosen[: draw(st.integers(0, len(others)))]))
    return prefs


def rank(prefs: list[int], own: int, dwelling: int) -> int:
    """Position of a dwelling in a tenant's order: listed ones first, then their own, then the
    unlisted ones (all equally bad)."""
    if dwelling in prefs:
        return prefs.index(dwelling)
    return len(prefs) if dwelling == own else len(prefs) + 1


def test_hand_made_market() -> None:
    # Tenants 0 and 1 want each other's dwelling; 2 wants 0's (taken by the 0–1 cycle) then its
    # own; 3 wants 2's, which 2 keeps. Cycles: (0 1), then 2 and 3 keep their own.
    prefs = [[1], [0, 2], [0], [2]]
    out = top_trading_cycles(prefs)
    assert out.tolist() == [1, 0, 2, 3]
    assert exchange_cycles(out) == [[0, 1]]
    # A three-cycle 0 → 1 → 2 → 0 (each receives the dwelling of the next).
    assert top_trading_cycles([[1], [2], [0]]).tolist() == [1, 2, 0]
    assert exchange_cycles(np.array([1, 2, 0])) == [[0, 1, 2]]


def test_bad_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        top_trading_cycles([[3], []])
    with pytest.raises(ValueError, match="twice"):
        top_trading_cycles([[1, 1], []])


@SETTINGS
@given(markets(6))
def test_individually_rational_and_a_permutation(prefs: list[list[int]]) -> None:
    out = top_trading_cycles(prefs)
    assert sorted(out.tolist()) == list(range(len(prefs)))
    for i, d in enumerate(out.tolist()):
        assert rank(prefs[i], i, d) <= rank(prefs[i], i, i)


def _allocations(n: int) -> itertools.permutations[tuple[int, ...]]:
    return itertools.permutations(range(n))


@SETTINGS
@given(markets(5))
def test_pareto_efficient_against_brute_force(prefs: list[list[int]]) -> None:
    # No permutation of the dwellings makes every tenant at least as well off and one better off.
    n = len(prefs)
    out = top_trading_cycles(prefs).tolist()
    mine = [rank(prefs[i], i, out[i]) for i in range(n)]
    for other in _allocations(n):
        theirs = [rank(prefs[i], i, other[i]) for i in range(n)]
        dominated = all(t <= m for t, m in zip(theirs, mine, strict=True)) and any(
            t < m for t, m in zip(theirs, mine, strict=True)
        )
        assert not dominated, (prefs, out, other)


def _all_lists(i: int, n: int) -> list[list[int]]:
    others = [j for j in range(n) if j != i]
    return [list(p) for k in range(len(others) + 1) for p in itertools.permutations(others, k)]


@settings(max_examples=40, deadline=None)
@given(markets(4))
def test_strategy_proof_exhaustively(prefs: list[list[int]]) -> None:
    # Every possible report of every tenant, the others truthful: never strictly better for the
    # tenant's true list.
    n = len(prefs)
    truthful = top_trading_cycles(prefs).tolist()
    for i in range(n):
        honest = rank(prefs[i], i, truthful[i])
        for lie in _all_lists(i, n):
            reported = [*prefs[:i], lie, *prefs[i + 1 :]]
            got = top_trading_cycles(reported)[i]
            assert rank(prefs[i], i, int(got)) >= honest, (prefs, i, lie)


def _market(**over: object) -> ExchangeMarket:
    n = 4
    base: dict[str, object] = {
        "rooms_min": np.array([3, 2, 2, 1]),
        "rooms_max": np.array([4, 2, 3, 2]),
        "wished": np.array([["A", ""], ["A", "B"], ["B", ""], ["", ""]], dtype=object),
        "income": np.array([20000.0, 20000.0, 50000.0, 20000.0]),
        "ceilings": np.tile([25000.0, 40000.0, 52000.0], (n, 1)),
        "landlord": np.array(["L1", "L1", "L2", "L1"], dtype=object),
        "commune": np.array(["A", "A", "B", "A"], dtype=object),
        "rooms": np.array([2, 3, 2, 4]),
        "rent": np.array([400.0, 500.0, 300.0, 600.0]),
        "financing": np.array([FIN_PLUS, FIN_PLUS, FIN_PLAI, FIN_OTHER]),
    }
    base.update(over)
    return ExchangeMarket(**base)  # type: ignore[arg-type]


def test_preferences_follow_the_eligibility_rules() -> None:
    market = _market()
    # Same landlord only: tenant 0 (3–4 rooms in A) may take 1's T3 and 3's T4 (both L1), the
    # T3 first (closer to its minimum of 3 rooms); tenant 1 (T2 in A or B) takes 0's T2 in A
    # (2's T2 in B is another landlord's); tenant 2 wishes B only, where the sole dwelling is its
    # own; tenant 3 (no wish, 1–2 rooms) takes 0's T2 (L1).
    assert exchange_preferences(market, inter_landlord=False, max_list=10) == [[1, 3], [0], [], [0]]
    # Inter-landlord exchanges: tenant 1 may also take 2's PLAI T2 in B (its second commune),
    # ranked after A; tenant 3 may take 2's PLAI T2 too (income 20,000 € under the 25,000 € PLAI
    # ceiling), first since its rent is lower (300 € < 400 €).
    assert exchange_preferences(market, inter_landlord=True, max_list=10) == [
        [1, 3],
        [0, 2],
        [],
        [2, 0],
    ]
    # An agreement between L1 and L2 has the same effect as inter-landlord exchanges for them.
    agreed = exchange_preferences(
        market, inter_landlord=False, max_list=10, agreements=frozenset({("L2", "L1")})
    )
    assert agreed == [[1, 3], [0, 2], [], [2, 0]]
    # The income ceiling: with 30,000 € tenant 3 is over the PLAI ceiling of 2's dwelling.
    richer = _market(income=np.array([20000.0, 20000.0, 50000.0, 30000.0]))
    assert exchange_preferences(richer, inter_landlord=True, max_list=10)[3] == [0]
    # The list length.
    assert exchange_preferences(market, inter_landlord=True, max_list=1)[3] == [2]


def _reference_lists(market: ExchangeMarket, inter: bool, max_list: int) -> list[list[int]]:
    """The preference lists by their definition, tenant by tenant over every dwelling."""
    out = []
    for i in range(len(market)):
        wishes = [c for c in market.wished[i] if c]
        keys = []
        for j in range(len(market)):
            if j == i:
                continue
            commune = market.commune[j]
            if wishes and commune not in wishes:
                continue
            if not market.rooms_min[i] <= market.rooms[j] <= market.rooms_max[i]:
                continue
            fin = FIN_PLUS if market.financing[j] == FIN_OTHER else market.financing[j]
            if market.income[i] > market.ceilings[i, fin]:
                continue
            if not inter and market.landlord[i] != market.landlord[j]:
                continue
            rank = wishes.index(commune) if wishes else 0
            keys.append((rank, market.rooms[j] - market.rooms_min[i], market.rent[j], j))
        out.append([k[3] for k in sorted(keys)][:max_list])
    return out


@SETTINGS
@given(st.integers(1, 30), st.integers(0, 10_000), st.booleans(), st.integers(1, 6))
def test_preference_lists_match_their_definition(
    n: int, seed: int, inter: bool, max_list: int
) -> None:
    rng = np.random.default_rng(seed)
    market = _market(
        rooms_min=rng.integers(1, 4, n),
        rooms_max=rng.integers(3, 6, n),
        wished=rng.choice(np.array(["A", "B", "C", ""], dtype=object), (n, 2)),
        income=rng.choice([15000.0, 26000.0, 45000.0], n),
        ceilings=np.tile([25000.0, 40000.0, 52000.0], (n, 1)),
        landlord=rng.choice(np.array(["L1", "L2"], dtype=object), n),
        commune=rng.choice(np.array(["A", "B", "C"], dtype=object), n),
        rooms=rng.integers(1, 6, n),
        rent=rng.choice([300.0, 400.0, 500.0], n),
        financing=rng.integers(0, 4, n),
    )
    got = exchange_preferences(market, inter_landlord=inter, max_list=max_list)
    assert got == _reference_lists(market, inter, max_list)
