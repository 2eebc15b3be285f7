"""Optimal assignment of the year's vacancies under the legal quotas: the choice of method.

Maximise ``sum(w[p] * x[p])`` over the admissible pairs ``p`` subject to each vacancy and each
application at most once, and the quota constraints ``C @ x >= 0`` (``problem.py``).

* ``"flow"`` (the default on large instances): Lagrangian relaxation of the quotas solved by
  min-cost flow, repaired, then polished by the LP relaxation (``flow.py``, ``repair.py``,
  ``column_generation.py``);
* ``"lp"``: the LP relaxation by HiGHS (``highs.py``), the exact upper bound; its integral part,
  repaired then filled greedily (empty dwellings to free applicants, best weight first, never
  breaking a quota), is the returned allocation. With ``with_lp_bound`` the flow's allocation is
  compared with this rounded LP allocation and the better one is kept;
* ``"mip"``: the integer problem by HiGHS, exact, for small instances only;
* ``"auto"``: MIP up to ``MIP_MAX_PAIRS`` pairs, otherwise the flow.

``greedy`` (pairs by decreasing weight, no quota) is the reference the tests compare with. The
result is immutable and ``check()`` verifies every constraint and the objective (``result.py``).
This module is the optimiser's public surface: the names of the solver modules are re-exported
here.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Literal

import numpy as np

from mixite.allocation.column_generation import CoreLp, core_lp
from mixite.allocation.flow import optimise_flow
from mixite.allocation.highs import SolverTimeLimit, solve_lp, solve_mip
from mixite.allocation.problem import AllocationProblem
from mixite.allocation.repair import round_lp
from mixite.allocation.result import AllocationCheckError, AllocationResult
from mixite.errors import MixiteError

__all__ = [
    "MIP_MAX_PAIRS",
    "AllocationCheckError",
    "AllocationResult",
    "CoreLp",
    "Method",
    "SolverTimeLimit",
    "core_lp",
    "greedy",
    "optimise",
    "solve_lp",
    "solve_mip",
]

Method = Literal["auto", "flow", "mip", "lp"]

MIP_MAX_PAIRS = 3_000


def greedy(problem: AllocationProblem) -> AllocationResult:
    """Take pairs by decreasing weight when both sides are free (reference for tests)."""
    pairs = problem.pairs
    order = np.argsort(-pairs.weight, kind="stable")
    used_v = np.zeros(len(problem.vacancies), bool)
    used_a = np.zeros(len(problem.applications), bool)
    chosen: list[int] = []
    for p in order.tolist():
        v, a = pairs.vacancy[p], pairs.application[p]
        if not used_v[v] and not used_a[a]:
            used_v[v] = used_a[a] = True
            chosen.append(p)
    return AllocationResult.of_selection(problem, np.array(chosen, np.int64), "greedy")


def optimise(
    problem: AllocationProblem,
    method: Method = "auto",
    *,
    with_lp_bound: bool = False,
    max_iterations: int = 40,
    initial_step: float = 0.5,
    price_tolerance: float = 1e-3,
    max_repair_moves: int = 10_000,
    lp_time_limit: float | None = None,
    polish: bool = True,
) -> AllocationResult:
    """Optimise the allocation; ``with_lp_bound`` adds the LP bound and the gap.

    With the flow, ``polish`` solves the LP relaxation by column generation around the pairs the
    Lagrangian prices favour (``core_lp``): the exact LP bound (``lp_bound``) and a rounded
    allocation that replaces the flow's when better. ``with_lp_bound`` then builds the full HiGHS
    LP only when that column generation did not converge. ``lp_time_limit`` (seconds) bounds each
    LP; past it the result keeps the Lagrangian bound (``lp_bound`` is None), still a valid upper
    bound. A limit of 0 skips every LP.
    """
    lp_allowed = lp_time_limit is None or lp_time_limit > 0
    if method == "auto":
        method = "mip" if len(problem.pairs) <= MIP_MAX_PAIRS else "flow"
    if method == "mip":
        result = solve_mip(problem)
    elif method == "flow":
        result = optimise_flow(
            problem,
            max_iterations,
            initial_step,
            price_tolerance,
            max_repair_moves,
            polish=polish and lp_allowed,
            polish_time_limit=lp_time_limit,
        )
    elif method == "lp":
        start = time.perf_counter()
        value, x = solve_lp(problem)
        selected = round_lp(problem, x, max_repair_moves)
        return AllocationResult.of_selection(
            problem,
            selected,
            "lp",
            bound=value,
            lp_bound=value,
            seconds=time.perf_counter() - start,
        )
    else:
        raise MixiteError(f"Méthode d'optimisation inconnue : « {method} ».")
    if not with_lp_bound or not lp_allowed or result.lp_bound is not None:
        return result
    try:
        value, x = solve_lp(problem, lp_time_limit)
    except SolverTimeLimit:
        return result
    bound = value if result.bound is None else min(value, result.bound)
    if result.method == "flow":
        # The rounded LP solution, repaired and filled, sometimes beats the flow's.
        rounded = AllocationResult.of_selection(
            problem, round_lp(problem, x, max_repair_moves), "lp"
        )
        if rounded.feasible and (not result.feasible or rounded.objective > result.objective):
            result = AllocationResult(
                problem,
                rounded.selected,
                rounded.objective,
                True,
                "flow+lp",
                lagrangian_bound=result.lagrangian_bound,
                prices=result.prices,
                iterations=result.iterations,
                seconds=result.seconds,
            )
    return replace(result, bound=bound, lp_bound=value)
