"""Vacancy chains: how many moves a freed dwelling triggers through the mutation applications.

A dwelling freed by a departure (the stock's turnover) is offered to a tenant who applies for a
mutation with probability ``mutation_share`` (the share of attributions that go to mutations),
and otherwise to an external applicant. When a tenant takes it, the dwelling they leave is freed
in turn: the chain goes on until a freed dwelling goes to an external applicant (the chain's
end) or no waiting tenant can take it. This is the vacancy chain model of housing mobility
(H. C. White, « Chains of Opportunity », Harvard University Press, 1970; for social housing,
the « effet de chaîne » of mutations in the CALEOL reviews).

Which tenant takes a freed dwelling: among the waiting tenants for whom it is admissible (wished
commune or none, typology within their wish, income under the ceiling of its financing), the
first in ``order`` (the caller's priority: over-occupied households first, then seniority).
Landlords do not restrict chains (a mutation to another landlord's dwelling is an ordinary
attribution). Deterministic for a given ``rng``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.allocation.problem import FIN_OTHER, FIN_PLUS
from mixite.trajectoires.ttc import ExchangeMarket

__all__ = ["FreedDwellings", "VacancyChains", "vacancy_chains"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class FreedDwellings:
    """Dwellings freed by departures (not occupied by a waiting tenant), one row each."""

    commune: npt.NDArray[np.object_]
    rooms: IntArray
    financing: IntArray

    def __len__(self) -> int:
        return int(self.rooms.shape[0])


@dataclass(frozen=True)
class VacancyChains:
    """The chains: ``moves`` one row per tenant's move (``chain``, ``step`` from 0, ``tenant``,
    ``to_freed``: the freed dwelling taken at step 0, else -1, ``to_tenant``: the tenant whose
    dwelling is taken at a later step, else -1); ``chains`` one row per freed dwelling
    (``chain``, ``mutations``: tenants who moved, ``end_tenant``: the tenant whose dwelling
    finally goes to an external applicant, -1 when it is the freed dwelling itself)."""

    moves: pd.DataFrame
    chains: pd.DataFrame

    @property
    def mean_length(self) -> float:
        """Mean moves per freed dwelling, the external applicant at the end included."""
        if self.chains.empty:
            return 0.0
        return float(self.chains["mutations"].mean()) + 1.0


class _Index:
    """Waiting tenants by (commune, rooms) they accept, each list in priority order."""

    def __init__(self, market: ExchangeMarket, waiting: BoolArray, order: IntArray) -> None:
        self.market = market
        self.waiting = waiting.copy()
        self.rank = np.empty(len(market), dtype=np.int64)
        self.rank[order] = np.arange(order.size)
        self.lists: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.cursor: dict[tuple[str, int], int] = defaultdict(int)
        for i in order.tolist():
            if not waiting[i]:
                continue
            communes = [str(c) for c in market.wished[i].tolist() if c != ""] or ["*"]
            for commune in communes:
                for r in range(int(market.rooms_min[i]), int(market.rooms_max[i]) + 1):
                    self.lists[(commune, r)].append(i)

    def _first(self, key: tuple[str, int], fin: int) -> int:
        items = self.lists.get(key)
        if not items:
            return -1
        c = self.cursor[key]
        while c < len(items) and not self.waiting[items[c]]:
            c += 1
        self.cursor[key] = c  # tenants before the cursor have all moved
        for i in items[c:]:
            if self.waiting[i] and self.market.income[i] <= self.market.ceilings[i, fin]:
                return i
        return -1

    def take(self, commune: str, rooms: int, financing: int) -> int:
        """The first waiting tenant (by priority) who can take a dwelling of this commune, rooms
        and financing, or -1; the tenant leaves the waiting list."""
        fin = FIN_PLUS if financing == FIN_OTHER else financing
        candidates = (self._first((commune, rooms), fin), self._first(("*", rooms), fin))
        found = [i for i in candidates if i >= 0]
        if not found:
            return -1
        best = min(found, key=lambda i: int(self.rank[i]))
        self.waiting[best] = False
        return best


def vacancy_chains(
    market: ExchangeMarket,
    waiting: BoolArray,
    order: IntArray,
    freed: FreedDwellings,
    mutation_share: float,
    rng: np.random.Generator,
) -> VacancyChains:
    """The chains started by each freed dwelling, in the order given (module docstring).

    ``market`` holds the tenants applying for a mutation and their dwellings; ``waiting`` marks
    those still to move (the others, e.g. already matched by an exchange, are ignored); ``order``
    is a permutation of the tenants, highest priority first.
    """
    index = _Index(market, np.asarray(waiting, dtype=bool), np.asarray(order, np.int64))
    moves: list[tuple[int, int, int, int, int]] = []
    chains: list[tuple[int, int, int]] = []
    for start in range(len(freed)):
        commune = str(freed.commune[start])
        rooms = int(freed.rooms[start])
        financing = int(freed.financing[start])
        step, last = 0, -1
        while rng.random() < mutation_share:
            tenant = index.take(commune, rooms, financing)
            if tenant < 0:
                break
            moves.append((start, step, tenant, start if step == 0 else -1, last))
            step += 1
            last = tenant
            commune = str(market.commune[tenant])
            rooms = int(market.rooms[tenant])
            financing = int(market.financing[tenant])
        chains.append((start, step, last))
    return VacancyChains(
        pd.DataFrame(moves, columns=["chain", "step", "tenant", "to_freed", "to_tenant"]).astype(
            np.int64
        ),
        pd.DataFrame(chains, columns=["chain", "mutations", "end_tenant"]).astype(np.int64),
    )
