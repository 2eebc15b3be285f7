"""From a near-lawful or fractional selection to a lawful allocation: repair, fill, rounding.

* **Repair** (``repair``): while a quota is not met (``unmet_quotas``), apply the cheapest move
  that raises its slack and makes no other quota worse. A move adds a pair ``p`` and/or removes a
  pair ``q``: swap in a qualifying free applicant on an assigned dwelling (``q`` is that
  dwelling's pair), fill an empty dwelling with one (no ``q``), or leave the dwelling of a
  non-qualifying household empty (no ``p``). Its cost is the weight lost per unit of slack
  gained, ``(w[q] - w[p]) / delta_k``; a quota with no such move is set aside until the next
  move. When the quotas cannot all be repaired, the caller returns the empty assignment, which
  always meets them.
* **Fill** (``fill``): give empty dwellings to free applicants, pairs by decreasing preference
  (e.g. their LP value) then weight, skipping any pair that would make a quota worse.
* **Rounding** (``round_lp``): the integral part of an LP solution, repaired, then filled with
  the fractional pairs first.
"""

from __future__ import annotations

import numpy as np

from mixite.allocation.problem import (
    QUOTA_TOLERANCE,
    AllocationProblem,
    BoolArray,
    FloatArray,
    IntArray,
    unmet_quotas,
)

__all__ = ["fill", "repair", "round_lp"]


def _not_worse(new: FloatArray, old: FloatArray) -> BoolArray:
    """Per quota (broadcasting): the slack ``new`` is no worse than ``old``, i.e. a met quota
    stays met and an unmet one does not fall further (up to ``QUOTA_TOLERANCE``)."""
    out: BoolArray = new >= np.minimum(old, 0.0) - QUOTA_TOLERANCE
    return out


def repair(problem: AllocationProblem, selected: IntArray, max_moves: int) -> tuple[IntArray, int]:
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
        unmet = unmet_quotas(slack)
        violated = [i for i in np.argsort(slack) if unmet[i] and i not in blocked]
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
        valid = _not_worse(new, slack[:, None]).all(axis=0)
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


def fill(
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
        if not _not_worse(new, slack).all():
            continue
        slack = new
        x[p] = used_v[v] = used_a[a] = True
    return np.flatnonzero(x).astype(np.int64)


def round_lp(problem: AllocationProblem, x: FloatArray, max_repair_moves: int) -> IntArray:
    """Integral part of an LP solution (``x`` over every pair), repaired, then filled with the
    fractional pairs first (largest LP value first)."""
    integral = np.flatnonzero(x > 1 - 1e-7).astype(np.int64)
    repaired, _ = repair(problem, integral, max_repair_moves)
    return fill(problem, repaired, np.where(x > 1e-9, x, 0.0))
