"""Allocation of the year's vacancies: problem, optimiser with its LP bound, year simulation.

The core works on plain arrays (``problem.py``) and does not depend on the store, the cotation
engine or the affordability engine; see ``docs/allocation.md``.
"""

from mixite.allocation.optimise import (
    AllocationCheckError,
    AllocationResult,
    greedy,
    optimise,
    solve_lp,
    solve_mip,
)
from mixite.allocation.problem import (
    DEFAULT_K,
    AllocationProblem,
    Applications,
    Pairs,
    QuotaConstraint,
    Quotas,
    Thresholds,
    Vacancies,
    WeightCoefficients,
    build_pairs,
    build_problem,
)
from mixite.allocation.simulate import (
    AcceptanceModel,
    SimulationConfig,
    SimulationResult,
    quota_shares,
    replicate_intervals,
    simulate_replicates,
    simulate_year,
)

__all__ = [
    "DEFAULT_K",
    "AcceptanceModel",
    "AllocationCheckError",
    "AllocationProblem",
    "AllocationResult",
    "Applications",
    "Pairs",
    "QuotaConstraint",
    "Quotas",
    "SimulationConfig",
    "SimulationResult",
    "Thresholds",
    "Vacancies",
    "WeightCoefficients",
    "build_pairs",
    "build_problem",
    "greedy",
    "optimise",
    "quota_shares",
    "replicate_intervals",
    "simulate_replicates",
    "simulate_year",
    "solve_lp",
    "solve_mip",
]
