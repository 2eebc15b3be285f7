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


def _highs_model(problem: AllocationProblem, integer: bool) -> object:
    import highspy

    pairs = problem.pairs
    n_p, n_v, n_a = len(pairs), len(problem.vacancies), len(problem.applications)
    c = problem.constraint_matrix
    n_c = c.shape[0]
    ones = np.ones(n_p)
    cols = np.arange(n_p)
    a_v = sp.csr_matrix((ones, (pairs.vacancy, cols)), shape=(n_v, n_p))
    a_a = sp.csr_matrix((ones, (pairs.application, cols)), shape=(n_a, n_p))
    matrix = sp.vstack([a_v, a_a, c]).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = n_p
    lp.num_row_ = n_v + n_a + n_c
    lp.col_cost_ = np.asarray(pairs.weight, np.float64)
    lp.col_lower_ = np.zeros(n_p)
    lp.col_upper_ = np.ones(n_p)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.r_[np.full(n_v + n_a, -inf), np.zeros(n_c)]
    lp.row_upper_ = np.r_[np.ones(n_v + n_a), np.full(n_c, inf)]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_p
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
        h.setOptionValue("time_limit", float(time_limit))  # type: ignore[attr-defined]
    h.run()  # type: ignore[attr-defined]
    status = h.getModelStatus()  # type: ignore[attr-defined]
    if status == highspy.HighsModelStatus.kTimeLimit:
        raise SolverTimeLimit(
            f"La relaxation linéaire n'est pas résolue après {time_limit:.0f} s (limite atteinte)."
        )
    if status != highspy.HighsModelStatus.kOptimal:
        raise MixiteError(f"La relaxation linéaire n'a pas été résolue (statut HiGHS : {status}).")
    x = np.asarray(h.getSolution().col_value, np.float64)  # type: ignore[attr-defined]
    return float(h.getInfo().objective_function_value), x  # type: ignore[attr-defined]


def solve_mip(problem: AllocationProblem, time_limit: float = 60.0) -> AllocationResult:
    """Exact integer optimum by HiGHS (small instances)."""
    import highspy

    start = time.perf_counter()
    if len(problem.pairs) == 0:
        return _result(problem, np.zeros(0, np.int64), "mip", bound=0.0, seconds=0.0)
    h = _highs_model(problem, integer=True)
    h.setOptionValue("time_limit", float(time_limit))  # type: ignore[attr-defined]
    h.setOptionValue("mip_rel_gap", 0.0)  # type: ignore[attr-defined]
    h.run()  # type: ignore[attr-defined]
    status = h.getModelStatus()  # type: ignore[attr-defined]
    if status != highspy.HighsModelStatus.kOptimal:
        raise MixiteError(f"Le programme en nombres entiers n'a pas été résolu (statut {status}).")
    x = np.asarray(h.getSolution().col_value)  # type: ignore[attr-defined]
    selected = np.flatnonzero(x > 0.5)
    bound = float(h.getInfo().mip_dual_bound)  # type: ignore[attr-defined]
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


def _fill(problem: AllocationProblem, selected: IntArray) -> IntArray:
    """Give empty dwellings to free applicants, best weight first, keeping every quota met."""
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
    cand = cand[np.argsort(-pairs.weight[cand], kind="stable")]
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
    """Integral part of an LP solution, repaired then filled."""
    integral = np.flatnonzero(x > 1 - 1e-7).astype(np.int64)
    repaired, _ = _repair(problem, integral, max_repair_moves)
    return _fill(problem, repaired)


def _optimise_flow(
    problem: AllocationProblem,
    max_iterations: int,
    initial_step: float,
    price_tolerance: float,
    max_repair_moves: int,
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
        best_bound = min(best_bound, dual)
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
    return _result(
        problem,
        best[1],
        "flow",
        bound=best_bound,
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
) -> AllocationResult:
    """Optimise the allocation; ``with_lp_bound`` adds the HiGHS LP bound and the gap.

    When the LP is not solved within ``lp_time_limit`` seconds, the result keeps the flow's
    Lagrangian bound (``lp_bound`` is then None): the gap is still a valid upper bound. A limit
    of 0 skips the LP (building the HiGHS model alone takes about a minute at 400,000 pairs).
    """
    if method == "auto":
        method = "mip" if len(problem.pairs) <= MIP_MAX_PAIRS else "flow"
    if method == "mip":
        result = solve_mip(problem)
    elif method == "flow":
        result = _optimise_flow(
            problem, max_iterations, initial_step, price_tolerance, max_repair_moves
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
    if with_lp_bound and (lp_time_limit is None or lp_time_limit > 0):
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
    return result
