"""Min-cost flow with Lagrangian prices on the quotas (method ``"flow"``), then LP polishing.

Maximise ``sum(w[p] * x[p])`` over the admissible pairs ``p`` subject to each vacancy and each
application at most once, and the quota constraints ``C @ x >= 0`` (``problem.py``). A Lagrangian
relaxation of the quotas:

1. for prices ``lam >= 0`` the relaxed problem ``max sum((w + lam @ C + eps) * x)`` is a bipartite
   assignment, solved exactly by OR-Tools' min-cost flow (source → vacancy → application → sink,
   plus a source → sink bypass arc so that leaving a dwelling empty is allowed); arcs are loaded
   with the bulk NumPy API. ``eps`` is a tiny deterministic perturbation (``TIE_BREAK`` × a
   pseudo-random number of the pair) that breaks integer-cost ties: without it, many pairs flip at
   once at the critical price and the quota overshoots (issue 7);
2. the prices move by a per-constraint sign-based step that halves whenever the constraint's
   subgradient changes sign (a bisection run on every price at once), starting from a step of
   ``initial_step`` and stopping when every step is below ``price_tolerance`` or after
   ``max_iterations``;
3. the last and the least violated assignments are repaired greedily (``repair.py``) and filled;
   when the repair fails, the empty assignment (always lawful) is returned, with its gap;
4. every ``L(lam) = max_x sum((w + lam @ C) * x)`` is an upper bound of the optimum; the smallest
   (corrected for rounding and perturbation) is reported as the Lagrangian bound.

With ``polish``, the LP relaxation is then solved by column generation around the pairs the best
prices favour (``column_generation.py``): it gives the exact LP bound and, rounded (integral part
repaired and filled, or LP diving, or on small cores HiGHS's MIP over the core), usually a better
lawful allocation than the greedy repair: at the critical prices many pairs tie, and the repair
picks among them one quota at a time. The better lawful allocation is kept (method ``"flow+lp"``
or ``"flow+mip"`` when the polish found it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mixite.allocation.column_generation import core_lp, core_mip
from mixite.allocation.highs import SolverTimeLimit
from mixite.allocation.problem import (
    AllocationProblem,
    FloatArray,
    IntArray,
    meets_quotas,
    unmet_quotas,
)
from mixite.allocation.repair import fill, repair, round_lp
from mixite.allocation.result import AllocationResult
from mixite.errors import MixiteError

__all__ = [
    "CORE_MIP_MAX_PAIRS",
    "CORE_MIP_TIME_LIMIT",
    "COST_RANGE",
    "POLISH_DIVES",
    "TIE_BREAK",
    "optimise_flow",
]

#: Relative size of the tie-breaking perturbation (per pair, times the weight scale).
TIE_BREAK = 1e-5
#: Integer cost range used by the min-cost flow.
COST_RANGE = 1e7
#: LP re-solves of the diving that rounds the polished LP solution.
POLISH_DIVES = 40
#: Cores up to this many pairs are then solved as integer programs by HiGHS, within the limit
#: (seconds): on small territories the integrality gap, not the rounding, is what remains.
CORE_MIP_MAX_PAIRS = 20_000
CORE_MIP_TIME_LIMIT = 20.0


@dataclass
class _Flow:
    """Fixed arc structure of the assignment network; costs change with the prices."""

    problem: AllocationProblem
    apps: IntArray  # compact application index per pair
    n_apps: int
    tails: IntArray
    heads: IntArray
    caps: IntArray
    scale: float

    @classmethod
    def build(cls, problem: AllocationProblem, weight_span: float) -> _Flow:
        pairs = problem.pairs
        n_v = len(problem.vacancies)
        uniq, apps = np.unique(pairs.application, return_inverse=True)
        n_a = uniq.size
        source, sink = 0, 1 + n_v + n_a
        tails = np.r_[np.zeros(n_v), 1 + pairs.vacancy, 1 + n_v + np.arange(n_a), source]
        heads = np.r_[1 + np.arange(n_v), 1 + n_v + apps, np.full(n_a, sink), sink]
        caps = np.r_[np.ones(n_v + len(pairs) + n_a), n_v]
        scale = COST_RANGE / max(weight_span, 1e-9)
        return cls(
            problem,
            apps.astype(np.int64),
            int(n_a),
            tails.astype(np.int32),
            heads.astype(np.int32),
            caps.astype(np.int64),
            scale,
        )

    def solve(self, adjusted: FloatArray) -> IntArray:
        """Selected pairs maximising the adjusted weights (exact for the rounded costs)."""
        from ortools.graph.python import min_cost_flow

        n_v = len(self.problem.vacancies)
        n_a = self.n_apps
        cost = np.r_[
            np.zeros(n_v, np.int64),
            -np.rint(adjusted * self.scale).astype(np.int64),
            np.zeros(n_a + 1, np.int64),
        ]
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(self.tails, self.heads, self.caps, cost)
        supplies = np.zeros(n_v + n_a + 2, np.int64)
        supplies[0], supplies[-1] = n_v, -n_v
        mcf.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
        status = mcf.solve()
        if status != mcf.OPTIMAL:
            raise MixiteError(f"Le flot à coût minimal a échoué (statut OR-Tools : {status}).")
        pair_arcs = np.arange(n_v, n_v + len(self.problem.pairs))
        flows = mcf.flows(pair_arcs)
        return np.flatnonzero(np.asarray(flows) > 0).astype(np.int64)


def _perturbation(n: int, span: float) -> FloatArray:
    """Deterministic per-pair tie breaker in [0, TIE_BREAK * span) (SplitMix64 of the index)."""
    z = np.arange(n, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53) * TIE_BREAK * span


def optimise_flow(
    problem: AllocationProblem,
    max_iterations: int,
    initial_step: float,
    price_tolerance: float,
    max_repair_moves: int,
    polish: bool = True,
    polish_time_limit: float | None = None,
) -> AllocationResult:
    """The best lawful allocation found by the Lagrangian flow (module docstring), repaired and,
    with ``polish``, improved by the LP relaxation's roundings (``polish_time_limit`` seconds at
    most for the column generation); its bound is the smaller of the Lagrangian and LP bounds."""
    start = time.perf_counter()
    pairs = problem.pairs
    n_v = len(problem.vacancies)
    c = problem.constraint_matrix
    ct = c.T.tocsr()
    n_c = c.shape[0]
    if len(pairs) == 0:
        return AllocationResult.of_selection(
            problem, np.zeros(0, np.int64), "flow", bound=0.0, lagrangian_bound=0.0
        )
    w = np.asarray(pairs.weight, np.float64)
    span = float(np.abs(w).max()) + 2.0 * initial_step * 2
    eps = _perturbation(len(pairs), span)
    lam = np.zeros(n_c)
    step = np.full(n_c, initial_step)
    last_sign = np.zeros(n_c)
    best_bound = np.inf
    best_lam = lam
    seen = np.zeros(len(pairs), bool)
    candidates: list[tuple[float, IntArray]] = []
    flow: _Flow | None = None
    selected = np.zeros(0, np.int64)
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        adjusted = w + (ct @ lam if n_c else 0.0)
        lam_span = float(np.abs(adjusted).max()) + 1e-9
        if flow is None or lam_span > span:
            span = max(span, lam_span) * 1.5
            flow = _Flow.build(problem, span)
        selected = flow.solve(adjusted + eps)
        dual = float(adjusted[selected].sum()) + n_v * (TIE_BREAK * span + 2.0 / flow.scale)
        if dual < best_bound:
            best_bound, best_lam = dual, lam.copy()
        seen[selected] = True
        slack = problem.slacks(selected)
        unmet = unmet_quotas(slack)
        violation = float(-np.minimum(slack, 0.0).sum())
        candidates.append((violation, selected))
        if n_c == 0 or (not unmet.any() and not (lam > 0).any()):
            break
        sign = np.where(unmet, 1.0, -1.0)
        sign[(sign < 0) & (lam <= 0)] = 0.0  # satisfied at zero price: stays at zero
        flip = (sign != 0) & (last_sign != 0) & (sign != last_sign)
        step[flip] *= 0.5
        lam = np.maximum(lam + sign * step, 0.0)
        last_sign = np.where(sign != 0, sign, last_sign)
        active = (sign != 0) & (step > price_tolerance)
        if not active.any():
            break
    # Primal: repair the last solution and the least violated one, keep the best feasible.
    best: tuple[float, IntArray, int] | None = None
    tried: list[IntArray] = [selected]
    least = min(candidates, key=lambda item: (item[0], -float(w[item[1]].sum())))[1]
    if least is not selected:
        tried.append(least)
    for sel in tried:
        repaired, moves = repair(problem, sel, max_repair_moves)
        repaired = fill(problem, repaired)
        feasible = meets_quotas(problem, repaired)
        value = float(w[repaired].sum())
        key = (1.0 if feasible else 0.0) * 1e18 + value
        if best is None or key > best[0]:
            best = (key, repaired, moves)
    assert best is not None
    if best[0] < 1e18:  # repair failed: leaving every dwelling empty always meets the quotas
        best = (1e18, np.zeros(0, np.int64), 0)
    method = "flow"
    bound = best_bound
    lp_bound: float | None = None
    if polish and n_c:
        # LP polish: the LP relaxation by column generation around the pairs the prices favour
        # gives the exact LP bound and, rounded, usually a better lawful allocation than the
        # greedy repair (at the critical prices many pairs tie, and the repair picks among them
        # one quota at a time).
        try:
            core = core_lp(
                problem,
                best_lam,
                np.flatnonzero(seen),
                time_limit=polish_time_limit,
                dives=POLISH_DIVES,
            )
        except SolverTimeLimit:
            core = None
        if core is not None:
            bound = min(bound, core.bound)
            lp_bound = core.value if core.exact else None
            tries = [round_lp(problem, core.x, max_repair_moves)]
            if core.dived is not None:
                repaired, _ = repair(problem, core.dived, max_repair_moves)
                tries.append(fill(problem, repaired, np.where(core.x > 1e-9, core.x, 0.0)))
            for rounded in tries:
                better = float(w[rounded].sum()) > float(w[best[1]].sum())
                if better and meets_quotas(problem, rounded):
                    best, method = (1e18, rounded, best[2]), "flow+lp"
            if core.cols is not None and core.cols.size <= CORE_MIP_MAX_PAIRS:
                # Small core: HiGHS's MIP over it, from the best allocation so far.
                cols = np.unique(np.r_[core.cols, best[1]])
                exact = core_mip(problem, cols, best[1], CORE_MIP_TIME_LIMIT)
                if (
                    exact is not None
                    and meets_quotas(problem, exact)
                    and float(w[exact].sum()) > float(w[best[1]].sum()) + 1e-9
                ):
                    best, method = (1e18, exact, best[2]), "flow+mip"
    return AllocationResult.of_selection(
        problem,
        best[1],
        method,
        bound=bound,
        lp_bound=lp_bound,
        lagrangian_bound=best_bound,
        prices=lam,
        iterations=iterations,
        seconds=time.perf_counter() - start,
        repair_moves=best[2],
    )
