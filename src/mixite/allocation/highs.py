"""The allocation problem as a HiGHS model: LP relaxation and exact integer program.

Variables ``x[p]`` in [0, 1] (integers for the MIP), one per admissible pair ``p``::

    max  sum(w[p] * x[p])
    s.t. sum(x[p] for p of vacancy v)     <= 1   for each vacancy
         sum(x[p] for p of application a) <= 1   for each application
         C @ x                            >= 0   the quota rows (``problem.py``)

The LP relaxation (``solve_lp``) is the reference upper bound of the optimum; the MIP
(``solve_mip``) is exact, for small instances. HiGHS (``highspy``) is created silently: its
banner goes to the C-level stdout, which is closed while the instance is made.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from mixite.allocation.problem import AllocationProblem, FloatArray, IntArray
from mixite.allocation.result import AllocationResult
from mixite.errors import MixiteError

__all__ = [
    "SolverTimeLimit",
    "highs_model",
    "lp_columns",
    "silent_highs",
    "solve_lp",
    "solve_mip",
]


class SolverTimeLimit(MixiteError):
    """HiGHS stopped at its time limit."""


def lp_columns(problem: AllocationProblem, cols: IntArray) -> sp.csc_matrix:
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


def highs_model(problem: AllocationProblem, integer: bool, cols: IntArray | None = None) -> Any:
    """HiGHS model of the LP (or MIP) over the pairs ``cols`` (every pair when None)."""
    import highspy

    if cols is None:
        cols = np.arange(len(problem.pairs), dtype=np.int64)
    n_v, n_a = len(problem.vacancies), len(problem.applications)
    n_c = problem.constraint_matrix.shape[0]
    matrix = lp_columns(problem, cols)
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


def silent_highs() -> Any:
    """A HiGHS instance with its banner silenced and its log off (for the other models built on
    HiGHS, such as the relocation plan of ``mixite.trajectoires``)."""
    h = _silent_highs()
    h.setOptionValue("output_flag", False)
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


def solve_lp(
    problem: AllocationProblem, time_limit: float | None = None
) -> tuple[float, FloatArray]:
    """LP relaxation by HiGHS: (optimal value, fractional x); ``SolverTimeLimit`` past the limit."""
    import highspy

    if len(problem.pairs) == 0:
        return 0.0, np.zeros(0)
    h = highs_model(problem, integer=False)
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
        return AllocationResult.of_selection(
            problem, np.zeros(0, np.int64), "mip", bound=0.0, seconds=0.0
        )
    h = highs_model(problem, integer=True)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise MixiteError(f"Le programme en nombres entiers n'a pas été résolu (statut {status}).")
    x = np.asarray(h.getSolution().col_value)
    selected = np.flatnonzero(x > 0.5)
    bound = float(h.getInfo().mip_dual_bound)
    res = AllocationResult.of_selection(
        problem, selected, "mip", seconds=time.perf_counter() - start
    )
    return replace(res, bound=max(bound, res.objective))
