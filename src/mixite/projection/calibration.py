"""The commissions' preferences calibrated so that the first projected year reproduces the
observed profile of attributions (in the dwellings already in service).

The allocation simulation designates candidates by their cotation score and the commission's
preference for solvent households (``commission.preference_solvabilite`` of the allocation
scenario, which lowers the share of first-quartile households). Commissions also weigh
mutations (internal moves free a dwelling for someone else) and priority households otherwise
than grids say; the projection adds ``preference_mutations`` and ``preference_prioritaires``
(``projection.strategy.Attributions``, in units of the score's range, between ``-upper`` and
``upper``: negative when commissions favour them less than the grid) to the score. Each share
moves monotonically with its preference, so each preference is found by bisection on the first
year (mean of a few replicates with common seeds), one after the other: mutations against their
share, then priority households against theirs, then the solvency preference against the share
of Q1 or relocated households outside QPV, the figure the projection is about (``sweeps``
times: they interact a little).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mixite.projection.base import ProjectionBase
    from mixite.projection.strategy import StrategyPlan

__all__ = ["Calibration", "calibrate_preferences", "first_year_profile", "with_preferences"]


@dataclass(frozen=True)
class Calibration:
    """Calibrated preferences and the first year's shares they give, against the observed."""

    preference_mutations: float
    preference_prioritaires: float
    preference_solvabilite: float
    mutation_share: float
    priority_share: float
    q1_outside_qpv: float
    observed_mutation_share: float
    observed_priority_share: float
    observed_q1_outside_qpv: float


def with_preferences(
    plan: StrategyPlan, mutations: float, priority: float, solvency: float | None = None
) -> StrategyPlan:
    """``plan`` with the commissions' preferences for mutations and priority households, and
    (when given) the solvency preference replacing its scenarios'."""
    from dataclasses import replace

    update: dict[str, Any] = {
        "preference_mutations": mutations,
        "preference_prioritaires": priority,
    }
    if solvency is not None:
        update["preference_solvabilite"] = solvency
    attributions = plan.strategy.attributions.model_copy(update=update)
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
    outside = np.array([max(r["attributions_outside_qpv"], 1.0) for r in rows])
    return {
        "q1_outside_qpv": float(
            np.mean([r["attributions_q1_outside_qpv"] for r in rows] / outside)
        ),
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
    steps: int = 8,
    sweeps: int = 1,
    upper: float = 0.25,
    solvency_upper: float = 1.0,
) -> tuple[StrategyPlan, Calibration]:
    """``plan`` with the commissions' preferences whose first-year shares are closest to the
    observed ones (``base.observed``; module docstring), and the calibration's figures. Without
    observed attributions the plan is returned unchanged."""
    observed_m = base.observed.get("mutation_share")
    observed_p = base.observed.get("priority_share")
    observed_q = base.observed.get("q1_outside_qpv")
    seeds = [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, replicates)]
    mutations = plan.strategy.attributions.preference_mutations
    priority = plan.strategy.attributions.preference_prioritaires
    solvency = plan.scenario(base.millesime).commission.preference_solvabilite
    if observed_m is None or observed_p is None or observed_q is None:
        profile = first_year_profile(base, plan, seeds)
        return plan, Calibration(
            mutations,
            priority,
            solvency,
            profile["mutation_share"],
            profile["priority_share"],
            profile["q1_outside_qpv"],
            np.nan,
            np.nan,
            np.nan,
        )

    def share(m: float, p: float, s: float, key: str) -> float:
        return first_year_profile(base, with_preferences(plan, m, p, s), seeds)[key]

    def bisect(measure: Any, target: float, low: float, high: float, rising: bool) -> float:
        for _ in range(steps):
            mid = (low + high) / 2
            if (measure(mid) < target) == rising:
                low = mid
            else:
                high = mid
        return (low + high) / 2

    for _ in range(sweeps):
        p, s = priority, solvency
        mutations = bisect(
            lambda x, p=p, s=s: share(x, p, s, "mutation_share"), observed_m, -upper, upper, True
        )
        m = mutations
        priority = bisect(
            lambda x, m=m, s=s: share(m, x, s, "priority_share"), observed_p, -upper, upper, True
        )
        p = priority
        solvency = bisect(
            lambda x, m=m, p=p: share(m, p, x, "q1_outside_qpv"),
            observed_q,
            0.0,
            solvency_upper,
            rising=False,
        )
    mutations, priority, solvency = round(mutations, 4), round(priority, 4), round(solvency, 4)
    calibrated = with_preferences(plan, mutations, priority, solvency)
    profile = first_year_profile(base, calibrated, seeds)
    return calibrated, Calibration(
        mutations,
        priority,
        solvency,
        profile["mutation_share"],
        profile["priority_share"],
        profile["q1_outside_qpv"],
        float(observed_m),
        float(observed_p),
        float(observed_q),
    )
