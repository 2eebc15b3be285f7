"""Optimal assignment of the year's vacancies under the legal quotas.

Maximise ``sum(w[p] * x[p])`` over the admissible pairs ``p`` subject to each vacancy and each
application at most once, and the quota constraints ``C @ x >= 0`` (``problem.py``).

Method ``"flow"`` (the default on large instances), a Lagrangian relaxation of the quotas:

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
3. the last and the least violated assignments are repaired greedily: while a quota is not met,
   apply the cheapest move (swap in a qualifying free applicant, fill an empty dwelling with one,
   or leave the dwelling of a non-qualifying one empty) that makes no other quota worse; when no
   such move exists, the empty assignment (always lawful) is returned, with its gap;
4. every ``L(lam) = max_x sum((w + lam @ C) * x)`` is an upper bound of the optimum; the smallest
   (corrected for rounding and perturbation) is reported as the Lagrangian bound.

Method ``"lp"`` solves the LP relaxation with HiGHS (``highspy``): the exact upper bound; its
integral part, repaired then filled greedily (empty dwellings to free applicants, best weight
first, never breaking a quota), is the returned allocation. With ``with_lp_bound`` the flow's
allocation is compared with this rounded LP allocation and the better one is kept.
Method ``"mip"`` solves the integer problem with HiGHS: exact, for small instances only.
``"auto"`` uses MIP up to ``MIP_MAX_PAIRS`` pairs, otherwise the flow.

The result is immutable and ``check()`` verifies every constraint and the objective.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from mixite.allocation.problem import AllocationProblem
from mixite.errors import MixiteError

__all__ = [
    "MIP_MAX_PAIRS",
    "AllocationCheckError",
    "AllocationResult",
    "SolverTimeLimit",
    "greedy",
    "optimise",
    "solve_lp",
    "solve_mip",
]

Method = Literal["auto", "flow", "mip", "lp"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MIP_MAX_PAIRS = 3_000
#: Relative size of the tie-breaking perturbation (per pair, times the weight scale).
TIE_BREAK = 1e-5
#: Integer cost range used by the min-cost flow.
COST_RANGE = 1e7
#: Slack tolerated on a quota (floating point), in assignments.
QUOTA_TOLERANCE = 1e-7


class AllocationCheckError(MixiteError):
    """An allocation result breaks one of its constraints."""


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """Selected pairs of an allocation problem, with its objective, bound and diagnostics."""

    problem: AllocationProblem = field(repr=False)
    selected: IntArray  # indices into problem.pairs
    objective: float
    feasible: bool  # every quota met
    method: str
    bound: float | None = None  # best known upper bound (LP, or Lagrangian)
    lp_bound: float | None = None
    lagrangian_bound: float | None = None
    prices: FloatArray | None = None
    iterations: int = 0
    seconds: float = 0.0
    repair_moves: int = 0

    @property
    def gap(self) -> float | None:
        """Relative gap ``(bound - objective) / bound`` (feasible results only)."""
        if self.bound is None or self.bound <= 0 or not self.feasible:
            return None
        return max(self.bound - self.objective, 0.0) / self.bound

    @property
    def vacancy(self) -> IntArray:
        return self.problem.pairs.vacancy[self.selected]

    @property
    def application(self) -> IntArray:
        return self.problem.pairs.application[self.selected]

    def slacks(self) -> FloatArray:
        return self.problem.slacks(self.selected)

    def check(self) -> None:
        """Raise ``AllocationCheckError`` (in French) when a constraint or a figure is wrong."""
        pb = self.problem
        sel = self.selected
        if sel.size and (sel.min() < 0 or sel.max() >= len(pb.pairs)):
            raise AllocationCheckError("Une attribution ne correspond à aucun couple admissible.")
        if np.unique(sel).size != sel.size:
            raise AllocationCheckError("Un même couple logement–demande est retenu deux fois.")
        v, a = self.vacancy, self.application
        if np.unique(v).size != v.size:
            raise AllocationCheckError("Un logement est attribué deux fois.")
        if np.unique(a).size != a.size:
            raise AllocationCheckError("Une demande est satisfaite deux fois.")
        ok, weight = pb.evaluate(v, a)
        if not ok.all():
            raise AllocationCheckError(
                "Une attribution ne respecte pas l'éligibilité, l'adéquation ou la solvabilité."
            )
        objective = float(weight.sum())
        if abs(objective - self.objective) > 1e-6 * max(1.0, abs(objective)):
            raise AllocationCheckError(
                f"Objectif annoncé {self.objective:.6f}, recalculé {objective:.6f}."
            )
        slack = self.slacks()
        met = bool((slack >= -QUOTA_TOLERANCE).all())
        if self.feasible and not met:
            names = [c.name for c, s in zip(pb.constraints, slack, strict=True) if s < 0]
            raise AllocationCheckError(
                "Objectifs annoncés atteints mais non respectés : " + ", ".join(names) + "."
            )
        if self.feasible and self.bound is not None and objective > self.bound * (1 + 1e-7) + 1e-6:
            raise AllocationCheckError(
                f"Objectif {objective:.6f} supérieur à la borne {self.bound:.6f}."
            )


def _result(
    problem: AllocationProblem, selected: IntArray, method: str, **extra: object
) -> AllocationResult:
    selected = np.sort(np.asarray(selected, np.int64))
    selected.setflags(write=False)
    objective = float(problem.pairs.weight[selected].sum())
    feasible = bool((problem.slacks(selected) >= -QUOTA_TOLERANCE).all())
    return AllocationResult(problem, selected, objective, feasible, method, **extra)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# HiGHS: LP relaxation and exact MIP
# ---------------------------------------------------------------------------------------------


def _lp_columns(problem: AllocationProblem, cols: IntArray) -> sp.csc_matrix:
    """Constraint matrix of the LP restricted to the pairs ``cols``: one row per vacancy, one per
    application, then the quota rows (``C``)."""
    pairs = problem.pairs
    n_v, n_a = len(problem.vacancies), len(problem.applications)
    n = cols.size
    ones = np.ones(n)
    j = np.arange(n)
    a_v = sp.csr_matrix((ones, (pairs.vacancy[cols], j)), shape=(n_v, n))
    a_a = sp.csr_matrix((ones, (pairs.application[cols], j)), shape=(n_a, n))
    return sp.vstack([a_v, a_a, problem.constraint_matrix[:, cols]]).tocsc()


def _highs_model(problem: AllocationProblem, integer: bool, cols: IntArray | None = None) -> Any:
    """HiGHS model of the LP (or MIP) over the pairs ``cols`` (every pair when None)."""
    import highspy

    if cols is None:
        cols = np.arange(len(problem.pairs), dtype=np.int64)
    n_v, n_a = len(problem.vacancies), len(problem.applications)
    n_c = problem.constraint_matrix.shape[0]
    matrix = _lp_columns(problem, cols)
    lp = highspy.HighsLp()
    lp.num_col_ = cols.size
    lp.num_row_ = n_v + n_a + n_c
    lp.col_cost_ = np.asarray(problem.pairs.weight[cols], np.float64)
    lp.col_lower_ = np.zeros(cols.size)
    lp.col_upper_ = np.ones(cols.size)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.r_[np.full(n_v + n_a, -inf), np.zeros(n_c)]
    lp.row_upper_ = np.r_[np.ones(n_v + n_a), np.full(n_c, inf)]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * cols.size
    h = _silent_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    return h


def _silent_highs() -> Any:
    """A HiGHS instance, created with the C-level stdout closed (its banner is not ours to print)."""
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class SolverTimeLimit(MixiteError):
    """HiGHS stopped at its time limit."""


def solve_lp(
    problem: AllocationProblem, time_limit: float | None = None
) -> tuple[float, FloatArray]:
    """LP relaxation by HiGHS: (optimal value, fractional x); ``SolverTimeLimit`` past the limit."""
    import highspy

    if len(problem.pairs) == 0:
        return 0.0, np.zeros(0)
    h = _highs_model(problem, integer=False)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kTimeLimit:
        raise SolverTimeLimit(
            f"La relaxation linéaire n'est pas résolue après {time_limit:.0f} s (limite atteinte)."
        )
    if status != highspy.HighsModelStatus.kOptimal:
        raise MixiteError(f"La relaxation linéaire n'a pas été résolue (statut HiGHS : {status}).")
    x = np.asarray(h.getSolution().col_value, np.float64)
    return float(h.getInfo().objective_function_value), x  # type: ignore[attr-defined]


def solve_mip(problem: AllocationProblem, time_limit: float = 60.0) -> AllocationResult:
    """Exact integer optimum by HiGHS (small instances)."""
    import highspy

    start = time.perf_counter()
    if len(problem.pairs) == 0:
        return _result(problem, np.zeros(0, np.int64), "mip", bound=0.0, seconds=0.0)
    h = _highs_model(problem, integer=True)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise MixiteError(f"Le programme en nombres entiers n'a pas été résolu (statut {status}).")
    x = np.asarray(h.getSolution().col_value)
    selected = np.flatnonzero(x > 0.5)
    bound = float(h.getInfo().mip_dual_bound)
    res = _result(problem, selected, "mip", seconds=time.perf_counter() - start)
    return AllocationResult(
        problem,
        res.selected,
        res.objective,
        res.feasible,
        "mip",
        bound=max(bound, res.objective),
        seconds=res.seconds,
    )


# ---------------------------------------------------------------------------------------------
# Greedy reference (no quota awareness)
# ---------------------------------------------------------------------------------------------


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
    return _result(problem, np.array(chosen, np.int64), "greedy")


# ---------------------------------------------------------------------------------------------
# Min-cost flow with Lagrangian prices
# ---------------------------------------------------------------------------------------------


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


def _repair(problem: AllocationProblem, selected: IntArray, max_moves: int) -> tuple[IntArray, int]:
    """Greedy repair of unmet quotas; returns the new selection and the number of moves."""
    pairs = problem.pairs
    c = problem.constraint_matrix.tocsc()
    c_rows = problem.constraint_matrix
    n_v, n_a = len(problem.vacancies), len(problem.applications)
    x = np.zeros(len(pairs), bool)
    x[selected] = True
    pair_of_v = np.full(n_v, -1, np.int64)
    pair_of_v[pairs.vacancy[selected]] = selected
    app_used = np.zeros(n_a, bool)
    app_used[pairs.application[selected]] = True
    slack = np.asarray(c_rows @ x.astype(np.float64), np.float64)
    moves = 0
    blocked: set[int] = set()
    while moves < max_moves:
        violated = [
            i for i in np.argsort(slack) if slack[i] < -QUOTA_TOLERANCE and i not in blocked
        ]
        if not violated:
            break
        k = int(violated[0])
        row = c_rows.getrow(k)
        idx, coef = row.indices, row.data
        # Candidate moves: (add pair p or -1, remove pair q or -1).
        free = ~x[idx] & ~app_used[pairs.application[idx]]
        q_of = pair_of_v[pairs.vacancy[idx]]
        q_coef = np.zeros(idx.size)
        has_q = q_of >= 0
        q_coef[has_q] = np.asarray(c[k, q_of[has_q]].todense()).ravel()
        add_p = free & (~has_q | (q_coef < coef))
        drop = x[idx] & (coef < 0)
        cand_add, cand_rem = idx[add_p], q_of[add_p]
        cand_add = np.r_[cand_add, np.full(int(drop.sum()), -1)]
        cand_rem = np.r_[cand_rem, idx[drop]]
        if cand_add.size == 0:
            blocked.add(k)
            continue
        w_add = np.where(cand_add >= 0, pairs.weight[np.maximum(cand_add, 0)], 0.0)
        w_rem = np.where(cand_rem >= 0, pairs.weight[np.maximum(cand_rem, 0)], 0.0)
        dense_add = np.asarray(c[:, np.maximum(cand_add, 0)].todense()) * (cand_add >= 0)
        dense_rem = np.asarray(c[:, np.maximum(cand_rem, 0)].todense()) * (cand_rem >= 0)
        delta = dense_add - dense_rem
        new = slack[:, None] + delta
        valid = (new >= np.minimum(slack, 0.0)[:, None] - QUOTA_TOLERANCE).all(axis=0)
        valid &= delta[k] > 0
        if not valid.any():
            blocked.add(k)
            continue
        cost = (w_rem - w_add) / np.where(delta[k] > 0, delta[k], 1.0)
        cost[~valid] = np.inf
        best = int(np.argmin(cost))
        p, q = int(cand_add[best]), int(cand_rem[best])
        if q >= 0:
            x[q] = False
            app_used[pairs.application[q]] = False
            pair_of_v[pairs.vacancy[q]] = -1
        if p >= 0:
            x[p] = True
            app_used[pairs.application[p]] = True
            pair_of_v[pairs.vacancy[p]] = p
        slack = slack + delta[:, best]
        moves += 1
        blocked.clear()
    return np.flatnonzero(x).astype(np.int64), moves


def _fill(
    problem: AllocationProblem, selected: IntArray, preference: FloatArray | None = None
) -> IntArray:
    """Give empty dwellings to free applicants, keeping every quota met: pairs by decreasing
    ``preference`` (e.g. their LP value), then by decreasing weight."""
    pairs = problem.pairs
    c = problem.constraint_matrix.tocsc()
    x = np.zeros(len(pairs), bool)
    x[selected] = True
    used_v = np.zeros(len(problem.vacancies), bool)
    used_v[pairs.vacancy[selected]] = True
    used_a = np.zeros(len(problem.applications), bool)
    used_a[pairs.application[selected]] = True
    slack = np.asarray(problem.constraint_matrix @ x.astype(np.float64), np.float64)
    cand = np.flatnonzero(~used_v[pairs.vacancy] & ~used_a[pairs.application])
    if preference is None:
        cand = cand[np.argsort(-pairs.weight[cand], kind="stable")]
    else:
        cand = cand[np.lexsort((-pairs.weight[cand], -preference[cand]))]
    if cand.size == 0:
        return selected
    cols = np.asarray(c[:, cand].todense()) if c.shape[0] else np.zeros((0, cand.size))
    for j, p in enumerate(cand.tolist()):
        v, a = pairs.vacancy[p], pairs.application[p]
        if used_v[v] or used_a[a]:
            continue
        new = slack + cols[:, j]
        if (new < np.minimum(slack, 0.0) - QUOTA_TOLERANCE).any():
            continue
        slack = new
        x[p] = used_v[v] = used_a[a] = True
    return np.flatnonzero(x).astype(np.int64)


def _round_lp(problem: AllocationProblem, x: FloatArray, max_repair_moves: int) -> IntArray:
    """Integral part of an LP solution (``x`` over every pair), repaired, then filled with the
    fractional pairs first (largest LP value first)."""
    integral = np.flatnonzero(x > 1 - 1e-7).astype(np.int64)
    repaired, _ = _repair(problem, integral, max_repair_moves)
    return _fill(problem, repaired, np.where(x > 1e-9, x, 0.0))


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
    core_size: int
    rounds: int
    seconds: float
    dived: IntArray | None = None  # integral pairs after LP diving (when asked)
    cols: IntArray | None = None  # the core's pairs


#: Core of the column generation: each vacancy's and each application's best pairs at the
#: Lagrangian prices, plus every pair the flow selected.
CORE_PER_NODE = 10
#: Columns added per round: at most this many per vacancy (largest reduced costs first).
CORE_ADD_PER_VACANCY = 2
CORE_MAX_ROUNDS = 30
CORE_REDUCED_COST_TOLERANCE = 1e-9
#: LP re-solves of the diving that rounds the polished LP solution.
POLISH_DIVES = 40
#: Cores up to this many pairs are then solved as integer programs by HiGHS, within the limit
#: (seconds): on small territories the integrality gap, not the rounding, is what remains.
CORE_MIP_MAX_PAIRS = 20_000
CORE_MIP_TIME_LIMIT = 20.0


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

    With ``dives`` > 0, the LP is then dived towards an integral solution (``_dive``) and the
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
        return CoreLp(0.0, 0.0, True, np.zeros(0), 0, 0, 0.0)
    adjusted = w + (ct @ prices if prices is not None and c.shape[0] else 0.0)
    keep = _top_per_group(pairs.vacancy, adjusted, per_node)
    keep |= _top_per_group(pairs.application, adjusted, per_node)
    if seed is not None:
        keep[seed] = True
    cols = np.flatnonzero(keep).astype(np.int64)
    h = _highs_model(problem, integer=False, cols=cols)
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
        block = _lp_columns(problem, entering)
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
        dived = cols[_dive(h, x_core, dives, remaining)]
    return CoreLp(
        value,
        max(bound, value) if not exact else value,
        exact,
        x,
        int(cols.size),
        rounds,
        time.perf_counter() - start,
        dived,
        cols,
    )


def _core_mip(
    problem: AllocationProblem, cols: IntArray, incumbent: IntArray, time_limit: float
) -> IntArray | None:
    """Integer optimum over the core's pairs by HiGHS, started from ``incumbent`` (pairs of the
    core); the best solution found within ``time_limit``, or None."""
    h = _highs_model(problem, integer=True, cols=cols)
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


def _dive(h: Any, x: FloatArray, max_dives: int, time_limit: float | None) -> IntArray:
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


def _optimise_flow(
    problem: AllocationProblem,
    max_iterations: int,
    initial_step: float,
    price_tolerance: float,
    max_repair_moves: int,
    polish: bool = True,
    polish_time_limit: float | None = None,
) -> AllocationResult:
    start = time.perf_counter()
    pairs = problem.pairs
    n_v = len(problem.vacancies)
    c = problem.constraint_matrix
    ct = c.T.tocsr()
    n_c = c.shape[0]
    if len(pairs) == 0:
        return _result(problem, np.zeros(0, np.int64), "flow", bound=0.0, lagrangian_bound=0.0)
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
        violation = float(-np.minimum(slack, 0.0).sum())
        candidates.append((violation, selected))
        if n_c == 0 or (violation <= QUOTA_TOLERANCE and not (lam > 0).any()):
            break
        sign = np.where(slack < -QUOTA_TOLERANCE, 1.0, -1.0)
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
        repaired, moves = _repair(problem, sel, max_repair_moves)
        repaired = _fill(problem, repaired)
        feasible = bool((problem.slacks(repaired) >= -QUOTA_TOLERANCE).all())
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
            tries = [_round_lp(problem, core.x, max_repair_moves)]
            if core.dived is not None:
                repaired, _ = _repair(problem, core.dived, max_repair_moves)
                tries.append(_fill(problem, repaired, np.where(core.x > 1e-9, core.x, 0.0)))
            for rounded in tries:
                feasible = bool((problem.slacks(rounded) >= -QUOTA_TOLERANCE).all())
                if feasible and float(w[rounded].sum()) > float(w[best[1]].sum()):
                    best, method = (1e18, rounded, best[2]), "flow+lp"
            if core.cols is not None and core.cols.size <= CORE_MIP_MAX_PAIRS:
                # Small core: HiGHS's MIP over it, from the best allocation so far.
                cols = np.unique(np.r_[core.cols, best[1]])
                exact = _core_mip(problem, cols, best[1], CORE_MIP_TIME_LIMIT)
                if exact is not None:
                    feasible = bool((problem.slacks(exact) >= -QUOTA_TOLERANCE).all())
                    if feasible and float(w[exact].sum()) > float(w[best[1]].sum()) + 1e-9:
                        best, method = (1e18, exact, best[2]), "flow+mip"
    return _result(
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
        result = _optimise_flow(
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
        selected = _round_lp(problem, x, max_repair_moves)
        return _result(
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
        rounded = _result(problem, _round_lp(problem, x, max_repair_moves), "lp")
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
    return AllocationResult(
        problem,
        result.selected,
        result.objective,
        result.feasible,
        result.method,
        bound=bound,
        lp_bound=value,
        lagrangian_bound=result.lagrangian_bound,
        prices=result.prices,
        iterations=result.iterations,
        seconds=result.seconds,
        repair_moves=result.repair_moves,
    )
