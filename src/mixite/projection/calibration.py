"""The commissions' preferences for mutations and for priority households, calibrated so that
the first projected year reproduces the observed profile of attributions.

The allocation simulation designates candidates by their cotation score (and the commission's
preference for solvent households, ``commission.preference_solvabilite``). Commissions also
favour mutations (internal moves free a dwelling for someone else) and priority households more
than grids say; the projection adds ``preference_mutations`` and ``preference_prioritaires``
(``projection.strategy.Attributions``, in units of the score's range) to the score. Both shares
grow with their preference, so each is found by bisection on the first year (mean of a few
replicates with common seeds), one after the other, twice (they interact a little).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mixite.projection.base import ProjectionBase
    from mixite.projection.strategy import StrategyPlan

__all__ = ["Calibration", "calibrate_preferences", "first_year_profile"]


@dataclass(frozen=True)
class Calibration:
    """Calibrated preferences and the first year's shares they give, against the observed."""

    preference_mutations: float
    preference_prioritaires: float
    mutation_share: float
    priority_share: float
    observed_mutation_share: float
    observed_priority_share: float


def _with_preferences(plan: StrategyPlan, mutations: float, priority: float) -> StrategyPlan:
    from dataclasses import replace

    attributions = plan.strategy.attributions.model_copy(
        update={"preference_mutations": mutations, "preference_prioritaires": priority}
    )
    strategy = plan.strategy.model_copy(update={"attributions": attributions})
    return replace(plan, strategy=strategy)


def first_year_profile(
    base: ProjectionBase, plan: StrategyPlan, seeds: list[int]
) -> dict[str, float]:
    """Mean over ``seeds`` of the first projected year's profile of the attributions in the
    base's dwellings: ``mutation_share``, ``priority_share``, ``turnover_rate`` (leases in dwellings of the base / the base's stock
    offered for rent, the RPLS definition)."""
    from mixite.projection.engine import run_replicate

    def counts(_state: Any, record: Any) -> Any:
        return None if record is None else record.counts

    rows = [run_replicate(base, plan, 1, seed, observe=counts)[1] for seed in seeds]
    att = np.array([max(r["moves_in_base"], 1.0) for r in rows])
    return {
        "mutation_share": float(np.mean([r["attributions_mutation_base"] for r in rows] / att)),
        "priority_share": float(np.mean([r["attributions_priority"] for r in rows] / att)),
        "turnover_rate": float(
            np.mean([r["moves_in_base"] for r in rows])
            / max(base.observed.get("turnover_base", 1.0), 1.0)
        ),
    }


def calibrate_preferences(
    base: ProjectionBase,
    plan: StrategyPlan,
    seed: int,
    *,
    replicates: int = 2,
    steps: int = 5,
    sweeps: int = 1,
    upper: float = 0.25,
) -> tuple[StrategyPlan, Calibration]:
    """``plan`` with the preferences for mutations and priority households whose first-year
    shares are closest to the observed ones (``base.observed``), and the calibration's figures.
    Without observed attributions the plan is returned unchanged."""
    observed_m = base.observed.get("mutation_share")
    observed_p = base.observed.get("priority_share")
    seeds = [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, replicates)]
    mutations = plan.strategy.attributions.preference_mutations
    priority = plan.strategy.attributions.preference_prioritaires
    if observed_m is None or observed_p is None:
        profile = first_year_profile(base, plan, seeds)
        return plan, Calibration(
            mutations,
            priority,
            profile["mutation_share"],
            profile["priority_share"],
            np.nan,
            np.nan,
        )

    def share(m: float, p: float, key: str) -> float:
        return first_year_profile(base, _with_preferences(plan, m, p), seeds)[key]

    for _ in range(sweeps):
        low, high = 0.0, upper
        for _ in range(steps):
            mid = (low + high) / 2
            if share(mid, priority, "mutation_share") < observed_m:
                low = mid
            else:
                high = mid
        mutations = (low + high) / 2
        low, high = 0.0, upper
        for _ in range(steps):
            mid = (low + high) / 2
            if share(mutations, mid, "priority_share") < observed_p:
                low = mid
            else:
                high = mid
        priority = (low + high) / 2
    calibrated = _with_preferences(plan, round(mutations, 4), round(priority, 4))
    profile = first_year_profile(base, calibrated, seeds)
    return calibrated, Calibration(
        round(mutations, 4),
        round(priority, 4),
        profile["mutation_share"],
        profile["priority_share"],
        float(observed_m),
        float(observed_p),
    )
