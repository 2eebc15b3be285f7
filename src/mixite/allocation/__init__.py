"""Allocation of the year's vacancies: problem, optimiser with its LP bound, year simulation.

The core works on plain arrays (``problem.py``) and does not depend on the store, the cotation
engine or the affordability engine; see ``docs/allocation.md``.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Public name → module defining it. The names are imported on first use (PEP 562), so that
#: importing a submodule (``mixite demo`` steps, the CLI) does not load the whole package.
_LAZY = {
    "AllocationCheckError": "mixite.allocation.optimise",
    "AllocationResult": "mixite.allocation.optimise",
    "greedy": "mixite.allocation.optimise",
    "optimise": "mixite.allocation.optimise",
    "solve_lp": "mixite.allocation.optimise",
    "solve_mip": "mixite.allocation.optimise",
    "DEFAULT_K": "mixite.allocation.problem",
    "AllocationProblem": "mixite.allocation.problem",
    "Applications": "mixite.allocation.problem",
    "Pairs": "mixite.allocation.problem",
    "QuotaConstraint": "mixite.allocation.problem",
    "Quotas": "mixite.allocation.problem",
    "Thresholds": "mixite.allocation.problem",
    "Vacancies": "mixite.allocation.problem",
    "WeightCoefficients": "mixite.allocation.problem",
    "build_pairs": "mixite.allocation.problem",
    "build_problem": "mixite.allocation.problem",
    "AcceptanceModel": "mixite.allocation.simulate",
    "SimulationConfig": "mixite.allocation.simulate",
    "SimulationResult": "mixite.allocation.simulate",
    "quota_shares": "mixite.allocation.simulate",
    "replicate_intervals": "mixite.allocation.simulate",
    "simulate_replicates": "mixite.allocation.simulate",
    "simulate_year": "mixite.allocation.simulate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        # a submodule, as the eager imports used to bind them (``mixite.synth.generateur``)
        if importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
