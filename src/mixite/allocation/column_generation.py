"""LP relaxation by column generation on a core of pairs, and its integral roundings.

The LP relaxation (``highs.py``) is solved on a *core* of promising pairs only, growing it by
pricing: with the duals ``y_v >= 0`` (vacancy rows), ``y_a >= 0`` (application rows) and
``y_q <= 0`` (quota rows ``C x >= 0``) of the core's LP, the reduced cost of a pair is
``w - y_v - y_a - C^T y_q``; pairs with a positive reduced cost enter, and when none does the
core's optimum is the full LP optimum. At any round, weak duality gives a valid upper bound of
the full LP::

    sum(y_v) + sum(y_a) + sum(max(reduced cost, 0))

(duals clipped to their signs, so the bound holds whatever the solver's rounding). On assignment
problems the optimum uses a few pairs per vacancy, so the full LP is never built.

The core's fractional solution is then made integral by *LP diving* (``dive``: fix the pairs at
more than one half, or the largest fractional one, to 1 and re-solve) or, on small cores, by
HiGHS's integer program over the core (``core_mip``), started from the best allocation known.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixite.allocation.highs import SolverTimeLimit, highs_model, lp_columns
from mixite.allocation.problem import AllocationProblem, BoolArray, FloatArray, IntArray
from mixite.errors import MixiteError

__all__ = [
    "CORE_ADD_PER_VACANCY",
    "CORE_MAX_ROUNDS",
    "CORE_PER_NODE",
    "CORE_REDUCED_COST_TOLERANCE",
    "CoreLp",
    "core_lp",
    "core_mip",
    "dive",
]

#: Core of the column generation: each vacancy's and each application's best pairs at the
#: Lagrangian prices, plus every pair the flow selected.
CORE_PER_NODE = 10
#: Columns added per round: at most this many per vacancy (largest reduced costs first).
CORE_ADD_PER_VACANCY = 2
CORE_MAX_ROUNDS = 30
CORE_REDUCED_COST_TOLERANCE = 1e-9


def _top_per_group(group: IntArray, value: FloatArray, m: int) -> BoolArray:
    """Mask of the ``m`` largest ``value`` of each ``group`` (ties by index)."""
    n = group.size
    if n == 0 or m <= 0:
        return np.zeros(n, bool)
    order = np.lexsort((-value, group))
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    out = np.zeros(n, bool)
    out[order[rank < m]] = True
    return out


@dataclass(frozen=True)
class CoreLp:
    """LP relaxation solved by column generation on a core of pairs.

    ``value`` is the LP optimum over the core; ``bound`` a valid upper bound of the full LP
    (the dual objective of the core's duals, clipped to their signs, plus the positive reduced
    costs of every pair); ``exact`` when no pair outside the core prices in, so that ``value`` is
    the full LP optimum (up to ``CORE_REDUCED_COST_TOLERANCE`` per pair); ``x`` the LP solution
    over every pair (zero outside the core).
    """

    value: float
    bound: float
    exact: bool
    x: FloatArray
    rounds: int
    seconds: float
    dived: IntArray | None = None  # integral pairs after LP diving (when asked)
    cols: IntArray | None = None  # the core's pairs


def core_lp(
    problem: AllocationProblem,
    prices: FloatArray | None = None,
    seed: IntArray | None = None,
    *,
    per_node: int = CORE_PER_NODE,
    max_rounds: int = CORE_MAX_ROUNDS,
    time_limit: float | None = None,
    dives: int = 0,
) -> CoreLp:
    """LP relaxation by column generation with HiGHS, started from a core of promising pairs.

    The core holds ``seed`` and, at the quota ``prices``, the ``per_node`` best pairs of each
    vacancy and of each application. Each round solves the core's LP (warm-started), prices
    every pair with the row duals (reduced cost ``w − y_v − y_a − C^T y_q``) and adds those with a
    positive reduced cost. The full LP is never built: on assignment problems the optimum uses a
    few pairs per vacancy. Raises ``SolverTimeLimit`` past ``time_limit`` (whole run).

    With ``dives`` > 0, the LP is then dived towards an integral solution (``dive``) and the
    integral pairs are returned in ``dived``.
    """
    import highspy

    start = time.perf_counter()
    pairs = problem.pairs
    n_p, n_v, n_a = len(pairs), len(problem.vacancies), len(problem.applications)
    c = problem.constraint_matrix
    ct = c.T.tocsr()
    w = np.asarray(pairs.weight, np.float64)
    if n_p == 0:
        return CoreLp(value=0.0, bound=0.0, exact=True, x=np.zeros(0), rounds=0, seconds=0.0)
    adjusted = w + (ct @ prices if prices is not None and c.shape[0] else 0.0)
    keep = _top_per_group(pairs.vacancy, adjusted, per_node)
    keep |= _top_per_group(pairs.application, adjusted, per_node)
    if seed is not None:
        keep[seed] = True
    cols = np.flatnonzero(keep).astype(np.int64)
    h = highs_model(problem, integer=False, cols=cols)
    rounds = 0
    exact = False
    bound = np.inf
    while True:
        rounds += 1
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - start)
            if left <= 0:
                raise SolverTimeLimit(
                    f"La relaxation linéaire n'est pas résolue après {time_limit:.0f} s "
                    "(limite atteinte)."
                )
            h.setOptionValue("time_limit", float(left))
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kTimeLimit:
            raise SolverTimeLimit(
                f"La relaxation linéaire n'est pas résolue après {time_limit:.0f} s "
                "(limite atteinte)."
            )
        if status != highspy.HighsModelStatus.kOptimal:
            raise MixiteError(
                f"La relaxation linéaire n'a pas été résolue (statut HiGHS : {status})."
            )
        y = np.asarray(h.getSolution().row_dual, np.float64)
        # Dual feasibility of the maximisation: assignment rows (<= 1) have y >= 0, quota rows
        # (>= 0) have y <= 0; clipping keeps the bound valid whatever the solver's rounding.
        y_v = np.maximum(y[:n_v], 0.0)
        y_a = np.maximum(y[n_v : n_v + n_a], 0.0)
        y_q = np.minimum(y[n_v + n_a :], 0.0)
        reduced = w - y_v[pairs.vacancy] - y_a[pairs.application] - (ct @ y_q if y_q.size else 0.0)
        positive = np.maximum(reduced, 0.0)
        bound = min(bound, float(y_v.sum() + y_a.sum() + positive.sum()))
        reduced[keep] = -np.inf
        entering = np.flatnonzero(reduced > CORE_REDUCED_COST_TOLERANCE)
        if entering.size == 0:
            exact = True
            break
        if rounds >= max_rounds:
            break
        entering = entering[
            _top_per_group(pairs.vacancy[entering], reduced[entering], CORE_ADD_PER_VACANCY)
        ]
        block = lp_columns(problem, entering)
        h.addCols(
            entering.size,
            w[entering],
            np.zeros(entering.size),
            np.ones(entering.size),
            block.nnz,
            block.indptr[:-1].astype(np.int32),
            block.indices.astype(np.int32),
            block.data.astype(np.float64),
        )
        keep[entering] = True
        cols = np.r_[cols, entering]
    value = float(h.getInfo().objective_function_value)
    x = np.zeros(n_p)
    x_core = np.asarray(h.getSolution().col_value, np.float64)
    x[cols] = x_core
    dived = None
    if dives > 0:
        remaining = None if time_limit is None else time_limit - (time.perf_counter() - start)
        dived = cols[dive(h, x_core, dives, remaining)]
    return CoreLp(
        value=value,
        bound=max(bound, value) if not exact else value,
        exact=exact,
        x=x,
        rounds=rounds,
        seconds=time.perf_counter() - start,
        dived=dived,
        cols=cols,
    )


def core_mip(
    problem: AllocationProblem, cols: IntArray, incumbent: IntArray, time_limit: float
) -> IntArray | None:
    """Integer optimum over the core's pairs by HiGHS, started from ``incumbent`` (pairs of the
    core); the best solution found within ``time_limit``, or None."""
    h = highs_model(problem, integer=True, cols=cols)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-6)
    position = np.searchsorted(cols, incumbent)
    inside = (position < cols.size) & (cols[np.minimum(position, cols.size - 1)] == incumbent)
    start = np.zeros(cols.size)
    start[position[inside]] = 1.0
    h.setSolution(cols.size, np.arange(cols.size, dtype=np.int32), start)
    h.run()
    solution = h.getSolution()
    if not solution.value_valid:
        return None
    return cols[np.asarray(solution.col_value, np.float64) > 0.5]


def dive(h: Any, x: FloatArray, max_dives: int, time_limit: float | None) -> IntArray:
    """LP diving on a solved HiGHS model: fix to 1 every pair above one half (they never share a
    row), or the largest fractional one, re-solve (warm start), and repeat while the LP stays
    feasible. Returns the positions of the pairs at 1."""
    import highspy

    start = time.perf_counter()
    for _ in range(max_dives):
        frac = (x > 1e-7) & (x < 1 - 1e-7)
        if not frac.any():
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
        fix = np.flatnonzero(frac & (x > 0.5 + 1e-9))
        if fix.size == 0:
            fix = np.array([int(np.argmax(np.where(frac, x, -1.0)))])
        ones = np.ones(fix.size)
        h.changeColsBounds(fix.size, fix.astype(np.int32), ones, ones)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            h.changeColsBounds(fix.size, fix.astype(np.int32), np.zeros(fix.size), ones)
            break
        x = np.asarray(h.getSolution().col_value, np.float64)
    return np.flatnonzero(x > 1 - 1e-7).astype(np.int64)
