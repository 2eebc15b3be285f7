"""Result of an allocation problem and its checks.

An ``AllocationResult`` is the selected pairs ``x`` of an ``AllocationProblem`` (indices into
``problem.pairs``) with its objective ``sum(w[p] * x[p])``, whether it meets every quota
(``meets_quotas``: ``C x >= 0`` up to ``QUOTA_TOLERANCE``, ``problem.py``), the best known upper
bound (LP relaxation or Lagrangian dual) and the solver's diagnostics. It is immutable, and
``check()`` recomputes everything it claims from the problem's data: each dwelling and each
application at most once, every pair admissible (eligibility, size, wished commune,
affordability, reservation pool, evaluated again outside the K-bounded pair list), the objective,
the quotas when the result says they are met, and the objective under the bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mixite.allocation.problem import (
    AllocationProblem,
    FloatArray,
    IntArray,
    meets_quotas,
    unmet_quotas,
)
from mixite.errors import MixiteError

__all__ = ["AllocationCheckError", "AllocationResult"]


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

    @classmethod
    def of_selection(
        cls, problem: AllocationProblem, selected: IntArray, method: str, **extra: object
    ) -> AllocationResult:
        """The result of the pairs ``selected`` (sorted and frozen): its objective is their total
        weight and it is feasible when they meet every quota (``meets_quotas``)."""
        selected = np.sort(np.asarray(selected, np.int64))
        selected.setflags(write=False)
        objective = float(problem.pairs.weight[selected].sum())
        feasible = meets_quotas(problem, selected)
        return cls(problem, selected, objective, feasible, method, **extra)  # type: ignore[arg-type]

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
        unmet = unmet_quotas(self.slacks())
        if self.feasible and unmet.any():
            names = [c.name for c, u in zip(pb.constraints, unmet, strict=True) if u]
            raise AllocationCheckError(
                "Objectifs annoncés atteints mais non respectés : " + ", ".join(names) + "."
            )
        if self.feasible and self.bound is not None and objective > self.bound * (1 + 1e-7) + 1e-6:
            raise AllocationCheckError(
                f"Objectif {objective:.6f} supérieur à la borne {self.bound:.6f}."
            )
