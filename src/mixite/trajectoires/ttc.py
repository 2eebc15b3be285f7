"""Direct exchanges of dwellings among tenants: Top Trading Cycles (Shapley and Scarf, 1974).

A housing market (« bourse d'échange ») of ``n`` tenants, each the occupant of one dwelling:
tenant ``i`` occupies dwelling ``i``. Each tenant states a strict preference list over the other
tenants' dwellings that they would rather have than their own, best first; their own dwelling
ranks just after the list and every dwelling not listed ranks below it.

Top Trading Cycles (attributed to David Gale in Shapley and Scarf, « On cores and indivisibility »,
Journal of Mathematical Economics 1, 1974): every remaining tenant points at the occupant of
their best remaining dwelling (at themselves when none listed remains); the graph has at least
one cycle; the tenants of each cycle receive the dwelling they point at and leave; repeat. The
outcome is individually rational (nobody receives a dwelling below their own), Pareto efficient
and the unique core allocation (Roth and Postlewaite, 1977), and no tenant gains by misstating
their list (Roth, « Incentive compatibility in a market with indivisible goods », Economics
Letters 9, 1982). The implementation follows pointers along a path and closes each cycle when the
path meets itself; it runs in time linear in the total length of the lists.

``exchange_preferences`` builds the lists from the tenants' wishes under the landlords'
eligibility rules (typology, income ceilings, same landlord or inter-landlord agreement).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mixite.allocation.problem import FIN_OTHER, FIN_PLUS

__all__ = [
    "ExchangeMarket",
    "exchange_cycles",
    "exchange_preferences",
    "top_trading_cycles",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def top_trading_cycles(preferences: Sequence[Sequence[int]]) -> IntArray:
    """The dwelling each tenant receives (``out[i]`` = index of the dwelling, ``i`` = keeps own).

    ``preferences[i]`` lists, best first, the dwellings tenant ``i`` prefers to their own; an
    entry equal to ``i`` ends the list (what follows is ignored), entries out of range or repeated
    raise ``ValueError``.
    """
    n = len(preferences)
    prefs: list[list[int]] = []
    for i, raw in enumerate(preferences):
        row: list[int] = []
        seen: set[int] = set()
        for d in raw:
            d = int(d)
            if d < 0 or d >= n:
                raise ValueError(f"tenant {i} lists dwelling {d} outside 0..{n - 1}")
            if d in seen:
                raise ValueError(f"tenant {i} lists dwelling {d} twice")
            if d == i:
                break
            seen.add(d)
            row.append(d)
        prefs.append(row)
    out = np.full(n, -1, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)  # dwelling i left the market (tenant i too)
    cursor = [0] * n
    on_path = np.full(n, -1, dtype=np.int64)  # position of a tenant on the current path

    def target(i: int) -> int:
        row = prefs[i]
        c = cursor[i]
        while c < len(row) and taken[row[c]]:
            c += 1
        cursor[i] = c
        return row[c] if c < len(row) else i

    path: list[int] = []
    for start in range(n):
        if taken[start]:
            continue
        path.append(start)
        on_path[start] = 0
        while path:
            nxt = target(path[-1])
            pos = int(on_path[nxt])
            if pos < 0:
                on_path[nxt] = len(path)
                path.append(nxt)
                continue
            # a cycle path[pos:]: each tenant receives the dwelling they point at
            cycle = path[pos:]
            for k, tenant in enumerate(cycle):
                out[tenant] = cycle[(k + 1) % len(cycle)]
            for tenant in cycle:
                taken[tenant] = True
                on_path[tenant] = -1
            del path[pos:]
    return out


def exchange_cycles(assignment: IntArray) -> list[list[int]]:
    """The exchange cycles of an assignment (tenants, in the order each hands over to the next;
    tenants who keep their dwelling are left out), longest first."""
    n = assignment.shape[0]
    seen = np.zeros(n, dtype=bool)
    cycles: list[list[int]] = []
    for start in range(n):
        if seen[start] or assignment[start] == start:
            seen[start] = True
            continue
        cycle = []
        i = start
        while not seen[i]:
            seen[i] = True
            cycle.append(i)
            i = int(assignment[i])
        cycles.append(cycle)
    cycles.sort(key=lambda c: (-len(c), c[0]))
    return cycles


@dataclass(frozen=True, eq=False)
class ExchangeMarket:
    """Tenants applying for a mutation and the dwelling each occupies (arrays of equal length).

    Tenant side: ``rooms_min``/``rooms_max`` (wished typology), ``wished`` (n, r) commune codes in
    order of preference ("" = none; a tenant without wished commune accepts every commune),
    ``income`` (€/year, compared with the ceilings) and ``ceilings`` (n, 3: PLAI, PLUS, PLS
    ceilings of the household, €/year). Dwelling side (the dwelling tenant ``i`` occupies):
    ``landlord``, ``commune``, ``rooms``, ``rent`` (€/month) and ``financing`` (0 PLAI, 1 PLUS,
    2 PLS, 3 old or other stock, under the PLUS ceiling as the allocation problem does).
    """

    rooms_min: IntArray
    rooms_max: IntArray
    wished: npt.NDArray[np.object_]
    income: FloatArray
    ceilings: FloatArray
    landlord: npt.NDArray[np.object_]
    commune: npt.NDArray[np.object_]
    rooms: IntArray
    rent: FloatArray
    financing: IntArray

    def __len__(self) -> int:
        return int(self.rooms.shape[0])


def exchange_preferences(
    market: ExchangeMarket,
    inter_landlord: bool,
    max_list: int,
    agreements: frozenset[tuple[str, str]] = frozenset(),
) -> list[list[int]]:
    """Each tenant's strict preference list over the other tenants' dwellings (best first).

    A dwelling ``j`` is on tenant ``i``'s list when it is in one of their wished communes (every
    commune without wish), its rooms are within their typology, their income is at most the
    ceiling of its financing, and it belongs to the same landlord or ``inter_landlord`` is True or
    the pair of landlords is in ``agreements`` (either order). Order: wished commune rank, then
    rooms closest to the wished minimum, then lower rent, then index (strict). At most
    ``max_list`` dwellings are kept (the length of a stated list).

    Dwellings are bucketed by (commune, rooms, landlord), each bucket sorted by (rent, index); a
    tenant's list merges the buckets it may use in that order and stops at ``max_list``, so the
    work follows the lists' length rather than the market's size squared.
    """
    n = len(market)
    if n == 0:
        return []
    rents = market.rent.astype(np.float64)
    order = np.lexsort((np.arange(n), rents))
    buckets: dict[tuple[str, int, str], list[tuple[float, int]]] = {}
    by_commune_rooms: dict[tuple[str, int], list[str]] = {}
    communes = market.commune.astype(str)
    landlords = market.landlord.astype(str)
    for j in order.tolist():
        key = (communes[j], int(market.rooms[j]), landlords[j])
        if key not in buckets:
            buckets[key] = []
            by_commune_rooms.setdefault(key[:2], []).append(key[2])
        buckets[key].append((float(rents[j]), j))
    every_commune = sorted(set(communes.tolist()))
    fin = np.where(market.financing == FIN_OTHER, FIN_PLUS, market.financing)
    partners: dict[str, set[str]] = {}
    for a, b in agreements:
        partners.setdefault(str(a), set()).add(str(b))
        partners.setdefault(str(b), set()).add(str(a))
    out: list[list[int]] = [[] for _ in range(n)]
    for i in range(n):
        wishes = (
            [str(c) for c in market.wished[i].tolist() if c != ""]
            if market.wished.ndim == 2
            else []
        )
        groups = [[c] for c in dict.fromkeys(wishes)] if wishes else [every_commune]
        allowed = None if inter_landlord else {landlords[i], *partners.get(landlords[i], ())}
        income = float(market.income[i])
        row: list[int] = []
        for group in groups:
            for rooms in range(int(market.rooms_min[i]), int(market.rooms_max[i]) + 1):
                lists = [
                    buckets[(commune, rooms, landlord)]
                    for commune in group
                    for landlord in by_commune_rooms.get((commune, rooms), ())
                    if allowed is None or landlord in allowed
                ]
                merged = lists[0] if len(lists) == 1 else heapq.merge(*lists)
                for _, j in merged:
                    if j != i and income <= market.ceilings[i, fin[j]]:
                        row.append(j)
                        if len(row) == max_list:
                            break
                if len(row) == max_list:
                    break
            if len(row) == max_list:
                break
        out[i] = row
    return out
