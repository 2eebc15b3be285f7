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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

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
    """
    n = len(market)
    if n == 0:
        return []
    width = market.wished.shape[1] if market.wished.ndim == 2 else 0
    tenant_rows = []
    for r in range(width):
        col = market.wished[:, r]
        keep = np.flatnonzero(col != "")
        tenant_rows.append(
            pd.DataFrame({"tenant": keep, "commune": col[keep].astype(str), "rank": r})
        )
    no_wish = (
        np.flatnonzero((market.wished == "").all(axis=1)) if width else np.arange(n, dtype=np.int64)
    )
    communes = np.unique(market.commune.astype(str))
    if no_wish.size:
        tenant_rows.append(
            pd.DataFrame(
                {
                    "tenant": np.repeat(no_wish, communes.size),
                    "commune": np.tile(communes, no_wish.size),
                    "rank": 0,
                }
            )
        )
    wishes = pd.concat(tenant_rows, ignore_index=True).drop_duplicates(["tenant", "commune"])
    dwellings = pd.DataFrame({"dwelling": np.arange(n), "commune": market.commune.astype(str)})
    pairs = wishes.merge(dwellings, on="commune", how="inner")
    t = pairs["tenant"].to_numpy(np.int64)
    d = pairs["dwelling"].to_numpy(np.int64)
    rooms = market.rooms[d]
    fin = np.where(market.financing[d] == FIN_OTHER, FIN_PLUS, market.financing[d])
    ok = (
        (t != d)
        & (rooms >= market.rooms_min[t])
        & (rooms <= market.rooms_max[t])
        & (market.income[t] <= market.ceilings[t, fin])
    )
    if not inter_landlord:
        same = market.landlord[t] == market.landlord[d]
        if agreements:
            pairs_ok = np.array(
                [
                    (str(a), str(b)) in agreements or (str(b), str(a)) in agreements
                    for a, b in zip(market.landlord[t], market.landlord[d], strict=True)
                ],
                dtype=bool,
            )
            same = same | pairs_ok
        ok &= same
    frame = pd.DataFrame(
        {
            "tenant": t[ok],
            "rank": pairs["rank"].to_numpy(np.int64)[ok],
            "distance": np.abs(rooms[ok] - market.rooms_min[t[ok]]),
            "rent": market.rent[d[ok]],
            "dwelling": d[ok],
        }
    ).sort_values(["tenant", "rank", "distance", "rent", "dwelling"], kind="stable")
    frame = frame[frame.groupby("tenant").cumcount() < max_list]
    out: list[list[int]] = [[] for _ in range(n)]
    tenants = frame["tenant"].to_numpy(np.int64)
    listed = frame["dwelling"].to_numpy(np.int64)
    if tenants.size:
        bounds = np.flatnonzero(np.diff(tenants)) + 1
        for chunk_t, chunk_d in zip(
            np.split(tenants, bounds), np.split(listed, bounds), strict=True
        ):
            out[int(chunk_t[0])] = chunk_d.tolist()
    return out
