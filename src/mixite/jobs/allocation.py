"""Jobs of the allocation: a year of attributions under scenarios, simulated (commission
process) or optimised (best lawful allocation and its bound), the calibration of the commission
model on the observed attributions, and the frontier of the Q1 objective against priority.

Results are in the long format of ``mixite.vocabulary`` (level, group, indicator, denominator,
numerator, share, target), the EPCI's group being its SIREN.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mixite.errors import StoreError
from mixite.jobs._load import StoreLike, communes_of, load_commitments, load_names, load_snapshot
from mixite.jobs.results import AllocationRuns, FrontierResult, Mode, ScenarioRun
from mixite.vocabulary import Indicator, Level

if TYPE_CHECKING:
    from mixite.allocation.problem import AllocationProblem
    from mixite.allocation.scenario import Scenario

__all__ = [
    "build_problem",
    "calibrate_scenario",
    "costliest_landlord",
    "frontier",
    "observed_q1_share",
    "run_scenario",
    "run_scenarios",
    "with_targets",
]


def build_problem(
    store: StoreLike, scenario: Scenario
) -> tuple[AllocationProblem, dict[str, float] | None, str]:
    """The allocation problem of a scenario on the store's millésime (the scenario's, else the
    latest), the reservation flows (the scenario's, else the shares of the vacancies the
    store's conventions directed to each reservataire type) and the EPCI's SIREN. The objectives
    are the scenario's, else each partner's own (its commitment, the territory's adapted rate or
    the legal one: ``Scenario.quotas`` with the store's ``commitments``)."""
    from mixite.allocation.problem import build_problem as build
    from mixite.allocation.scenario import (
        applications_from_store,
        default_flows,
        housing_aid,
        vacancies_from_store,
    )

    snapshot = load_snapshot(
        store,
        scenario.millesime,
        ("dwellings", "applications", "territory", "communes", "reservations"),
    )
    m = snapshot.millesime
    purpose = "la simulation des attributions"
    territory = snapshot.require("territory", purpose)
    dwellings = snapshot.require("dwellings", purpose)
    applications = snapshot.require("applications", purpose)
    # Without communes.csv, the communes of the stock with their zones from mixite's table.
    communes = communes_of(snapshot)
    assert communes is not None
    reservations = snapshot.get("reservations")
    rng = np.random.default_rng(scenario.graine)
    vac = vacancies_from_store(dwellings, scenario, reservations, rng, communes)
    apps = applications_from_store(applications, territory, communes, scenario, m)
    problem = build(
        vac,
        apps,
        scenario.quotas(commitments=load_commitments(store)),
        scenario.thresholds(territory),
        k=scenario.k,
        aid=housing_aid(apps, vac, scenario.annee),
    )
    flows = scenario.flux if scenario.flux is not None else default_flows(vac)
    return problem, flows, str(territory.iloc[0]["epci"])


def with_targets(problem: AllocationProblem, table: pd.DataFrame) -> pd.DataFrame:
    """The quota results with the ``target`` of each row: the scenario's Q1 and non-Q1 targets
    for the EPCI and each landlord's own (its commitment when it has one), each reservataire's
    and each landlord's own-stock priority target (the State's contingents are exempt); NaN
    where no objective applies. ``target_national`` is the scenario's rate for every partner
    (the national default, or the scenario's what-if), shown beside each partner's own."""
    from mixite.vocabulary import reservataire_key

    q = problem.quotas
    level = table["level"].to_numpy(dtype=object)
    indicator = table["indicator"].to_numpy(dtype=object)
    group = table["group"].astype(str).to_numpy(dtype=object)
    targets = []
    defaults = []
    for lv, ind, g in zip(level, indicator, group, strict=True):
        target: float | None = None
        default: float | None = None
        if ind == Indicator.Q1_OUTSIDE_QPV:
            if lv == Level.EPCI:
                target = default = q.q1_outside_qpv
            elif lv == Level.LANDLORD:
                default = q.q1_outside_qpv_landlord
                target = q.rate(ind, g, default)
        elif ind == Indicator.NON_Q1_IN_QPV:
            if lv == Level.EPCI:
                target = default = q.non_q1_in_qpv
            elif lv == Level.LANDLORD:
                default = q.non_q1_in_qpv_landlord
                target = q.rate(ind, g, default)
        elif lv == Level.RESERVATAIRE and not q.exempt(g):
            default = q.priority_per_reservataire
            target = q.rate(ind, g, default)
        elif lv == Level.LANDLORD_NON_RESERVED:
            default = q.priority_per_reservataire
            target = q.rate(ind, reservataire_key("bailleur", g), default)
        targets.append(np.nan if target is None else float(target))
        defaults.append(np.nan if default is None else float(default))
    out = table.copy()
    out["target"] = np.asarray(targets, dtype=np.float64)
    out["target_national"] = np.asarray(defaults, dtype=np.float64)
    return out


def _with_unconstrained(
    problem: AllocationProblem, table: pd.DataFrame, epci: str
) -> tuple[pd.DataFrame, int]:
    """The optimiser's results with, per level and group, the attributions of the optimum
    without any quota (``attributions_free``) and those outside QPV (``outside_qpv_free``), and
    that optimum's total: the objectives are ratios, so the optimum may meet them by leaving
    dwellings that only non-qualifying applicants can take vacant; the difference shows how many.
    """
    from mixite.allocation.optimise import optimise
    from mixite.allocation.problem import Quotas
    from mixite.allocation.simulate import quota_shares

    free = optimise(dataclasses.replace(problem, quotas=Quotas()), polish=False)
    free.check()
    counts = quota_shares(
        problem.vacancies, problem.applications, free.vacancy, free.application, epci=epci
    )
    keys = ["level", "group"]
    total = counts.loc[counts["indicator"] == Indicator.PRIORITY, [*keys, "denominator"]]
    outside = counts.loc[counts["indicator"] == Indicator.Q1_OUTSIDE_QPV, [*keys, "denominator"]]
    out = table.merge(
        total.rename(columns={"denominator": "attributions_free"}), on=keys, how="left"
    ).merge(outside.rename(columns={"denominator": "outside_qpv_free"}), on=keys, how="left")
    for column in ("attributions_free", "outside_qpv_free"):
        out[column] = out[column].fillna(0).astype("int64")
    return out, len(free.selected)


def run_scenario(
    store: StoreLike, scenario: Scenario, mode: Mode, lp_time_limit: float | None = None
) -> ScenarioRun:
    """One scenario's year: the optimum under the objectives and its bound (``optimiser``), or
    the simulated commissions over the scenario's replicates (``simuler``)."""
    from mixite.allocation.optimise import optimise
    from mixite.allocation.simulate import (
        _attributions_frame,
        quota_shares,
        replicate_intervals,
        simulate_replicates,
    )

    problem, flows, epci = build_problem(store, scenario)
    figures: dict[str, float | None] = {"vacancies": float(len(problem.vacancies))}
    if mode == "optimiser":
        result = optimise(problem, with_lp_bound=True, lp_time_limit=lp_time_limit)
        result.check()
        dates = [pd.Timestamp(scenario.annee, 7, 1).date()] * len(result.selected)
        frame = _attributions_frame(
            problem.vacancies,
            problem.applications,
            result.vacancy,
            result.application,
            [str(r) for r in problem.vacancies.reservataire[result.vacancy]],
            dates,
            scenario.graine,
        )
        table = quota_shares(
            problem.vacancies, problem.applications, result.vacancy, result.application, epci=epci
        )
        table, free_total = _with_unconstrained(problem, table, epci)
        figures |= {
            "attributions": float(len(result.selected)),
            "feasible": float(result.feasible),
            "gap": result.gap,
            "objective": float(result.objective),
            "bound": None if result.bound is None else float(result.bound),
            "attributions_free": float(free_total),
        }
    else:
        config = scenario.simulation_config(flows)
        runs = simulate_replicates(problem, config, scenario.graine, scenario.replicats)
        frame = runs[0].attributions
        table = replicate_intervals(problem, runs, epci=epci)
        figures |= {
            "attributions": float(np.mean([len(r.vacancy) for r in runs])),
            "replicates": float(scenario.replicats),
        }
    from mixite.indicators._common import small_cell_threshold
    from mixite.indicators.outputs_secrecy import protect_scenario

    indicators = with_targets(problem, table)
    threshold = small_cell_threshold(None, dt.date(scenario.annee, 1, 1))
    published = protect_scenario(indicators, threshold).tables["indicators"]
    return ScenarioRun(scenario, mode, problem, frame, indicators, figures, published)


def observed_q1_share(store: StoreLike, millesime: int | None = None) -> tuple[int, float]:
    """Year and EPCI share of Q1-or-NPNRU attributions outside QPV observed in the store: the
    leases of the year before the millésime (latest millésime holding attributions when None)."""
    from mixite.indicators.quotas import q1_threshold, quota_indicators

    snapshot = load_snapshot(store, millesime, ("attributions", "territory"), anchor="attributions")
    year = snapshot.millesime - 1
    purpose = "la part observée des attributions au premier quartile"
    territory = snapshot.require("territory", purpose)
    table = quota_indicators(
        snapshot.require("attributions", purpose),
        year,
        q1_threshold(territory, year),
        levels=(Level.EPCI,),
        strict=False,
    )
    row = table.loc[table["indicator"] == Indicator.Q1_OUTSIDE_QPV]
    if row.empty or not np.isfinite(float(row["share"].iloc[0])):
        raise StoreError(
            f"Aucune attribution hors QPV en {year} dans la base : la préférence de la "
            "commission ne peut pas être calibrée ; indiquez-la dans le scénario "
            "(commission.preference_solvabilite)."
        )
    return year, float(row["share"].iloc[0])


def calibrate_scenario(store: StoreLike, scenario: Scenario) -> tuple[Scenario, dict[str, float]]:
    """The scenario with ``commission.preference_solvabilite`` calibrated so that its simulated
    EPCI share of Q1 attributions outside QPV matches the share observed in the store, and the
    calibration's figures (``year``, ``observed``, ``simulated``, ``preference``)."""
    from mixite.allocation.simulate import calibrate_solvency_preference

    problem, flows, _ = build_problem(store, scenario)
    year, observed = observed_q1_share(store, scenario.millesime)
    preference, simulated = calibrate_solvency_preference(
        problem, scenario.simulation_config(flows), observed, scenario.graine
    )
    commission = scenario.commission.model_copy(update={"preference_solvabilite": preference})
    figures = {
        "year": float(year),
        "observed": observed,
        "simulated": simulated,
        "preference": preference,
    }
    return scenario.model_copy(update={"commission": commission}), figures


def run_scenarios(
    store: StoreLike,
    scenarios: Sequence[Scenario],
    mode: Mode,
    lp_time_limit: float | None = None,
    calibrate: bool = False,
) -> AllocationRuns:
    """Every scenario's year, the first one being the baseline.

    ``lp_time_limit`` bounds the HiGHS LP of each optimisation (seconds; None = no limit). With
    ``calibrate`` (simulation), the commission's preference for solvency is calibrated on the
    baseline against the store's observed attributions and applied to every scenario.
    """
    chosen = list(scenarios)
    calibration: dict[str, float] | None = None
    if calibrate and mode == "simuler" and chosen:
        calibrated, calibration = calibrate_scenario(store, chosen[0])
        preference = calibrated.commission.preference_solvabilite
        chosen = [
            s.model_copy(
                update={
                    "commission": s.commission.model_copy(
                        update={"preference_solvabilite": preference}
                    )
                }
            )
            for s in chosen
        ]
    runs: list[ScenarioRun] = []
    merged: dict[str, str] = {}
    seen: dict[str, str] = {}
    for sc in chosen:
        key = optimisation_key(sc) if mode == "optimiser" else sc.model_dump_json()
        if key in seen:
            merged[sc.nom] = seen[key]
            continue
        seen[key] = sc.nom
        runs.append(run_scenario(store, sc, mode, lp_time_limit))
    return AllocationRuns(mode, tuple(runs), load_names(store), calibration, merged)


#: Scenario fields that only the simulated commissions use: two scenarios that differ only by
#: them give the same optimisation problem.
SIMULATION_ONLY_FIELDS = frozenset({"nom", "flechage", "acceptation", "commission", "replicats"})


def optimisation_key(scenario: Scenario) -> str:
    """What an optimisation depends on in a scenario (its fields but the simulation's)."""
    return scenario.model_dump_json(exclude=set(SIMULATION_ONLY_FIELDS))


def costliest_landlord(indicators: pd.DataFrame) -> str | None:
    """The landlord whose objectives leave the largest share of its non-QPV dwellings vacant
    (optimum with the objectives against the optimum without them); None when none does."""
    rows = indicators.loc[
        (indicators["level"] == Level.LANDLORD)
        & (indicators["indicator"] == Indicator.Q1_OUTSIDE_QPV)
    ]
    if rows.empty:
        return None
    free = rows["outside_qpv_free"].to_numpy(dtype=float)
    lost = (free - rows["denominator"].to_numpy(dtype=float)) / np.maximum(free, 1.0)
    if lost.max() <= 0:
        return None
    return str(rows["group"].iloc[int(np.argmax(lost))])


def frontier(
    store: StoreLike,
    scenario: Scenario,
    targets: Sequence[float],
    landlord: str | None = None,
) -> FrontierResult:
    """The frontier of the Q1 objective outside QPV against the priority given up, for the
    EPCI or one landlord (``allocation.frontier.frontier``)."""
    problem, _, _ = build_problem(store, scenario)
    return frontier_of_problem(problem, scenario.nom, targets, landlord, store)


def frontier_of_problem(
    problem: AllocationProblem,
    scenario_name: str,
    targets: Sequence[float],
    landlord: str | None,
    store: StoreLike,
) -> FrontierResult:
    """The frontier on an already built problem (the demo reuses the optimisation's)."""
    from mixite.allocation.frontier import frontier as trace

    table = trace(problem, targets, landlord=landlord)
    return FrontierResult(table, scenario_name, landlord, load_names(store))
