"""Several strategies over the years, replicated: the replicates spread over processes, then
summarised (``outputs.summarise``) into one ``StrategyOutcome`` per strategy.

Replicate ``r`` of every strategy uses the same seed (common random numbers): the strategies
are compared on the same draws, which narrows the intervals of their differences.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixite.projection.outputs import (
    ledger_imbalance,
    objective_years,
    summarise,
    validation_table,
)

if TYPE_CHECKING:
    from mixite.projection.base import ProjectionBase
    from mixite.projection.relocation import RelocationRule
    from mixite.projection.strategy import StrategyPlan

__all__ = ["StrategyOutcome", "project", "quota_targets"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class StrategyOutcome:
    """One strategy projected, summarised over its replicates (means and intervals).

    ``residences`` and ``neighbourhoods`` describe the units (the ``residence`` and
    ``neighbourhood`` index of the yearly tables); the yearly tables hold one row per year (the
    base year N-1, then the projected years) and unit.
    """

    name: str
    description: str
    residences: pd.DataFrame
    neighbourhoods: pd.DataFrame
    territory: pd.DataFrame
    residence_years: pd.DataFrame
    neighbourhood_years: pd.DataFrame
    quotas: pd.DataFrame
    objectives: pd.DataFrame
    flux: pd.DataFrame
    ledger: pd.DataFrame
    rents: pd.DataFrame
    validation: pd.DataFrame
    replicates: int
    #: The relocations of the households of demolished residences per year
    #: (``engine.RELOCATION_COUNTS``, means and intervals; empty without relocation).
    relocation: pd.DataFrame = field(default_factory=pd.DataFrame)


# The shared inputs of the worker processes (set once per process by ``_init``).
_SHARED: dict[str, Any] = {}


def _init(base: ProjectionBase, plans: Sequence[StrategyPlan], horizon: int, rule: Any) -> None:
    _SHARED.update(base=base, plans=list(plans), horizon=horizon, rule=rule)


def _task(plan_index: int, seed: int) -> tuple[list[Any], pd.DataFrame, pd.DataFrame]:
    from mixite.projection.engine import run_replicate

    plan = _SHARED["plans"][plan_index]
    captured: dict[str, Any] = {}

    def observe(state: Any, record: Any) -> Any:
        from mixite.projection.outputs import year_tables

        captured["residences"] = state.residences
        captured["neighbourhoods"] = state.neighbourhood_list
        return year_tables(state, record)

    years = run_replicate(
        _SHARED["base"], plan, _SHARED["horizon"], seed, rule=_SHARED["rule"], observe=observe
    )
    units = pd.DataFrame({"neighbourhood": captured["neighbourhoods"]})
    return years, captured["residences"], units


def quota_targets(
    plan: StrategyPlan,
    quotas: pd.DataFrame,
    params: Any = None,
    commitments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The quota table with the ``target`` of each row, from the year's scenario and the
    partners' ``commitments`` (``Scenario.quotas``): the Q1 and non-Q1 targets of the EPCI and
    of each landlord (its own commitment, else the per-landlord rate, else the EPCI's: the law
    sets the Q1 share for each landlord too), the priority target of each reservataire not exempt
    and of each landlord's own stock; NaN elsewhere (as ``jobs.allocation.with_targets``)."""
    from mixite.vocabulary import Indicator, Level, reservataire_key

    by_year = {
        int(y): plan.scenario(int(y)).quotas(params, commitments) for y in quotas["year"].unique()
    }
    targets = []
    for year, level, indicator, group in zip(
        quotas["year"],
        quotas["level"],
        quotas["indicator"],
        quotas["group"].astype(str),
        strict=True,
    ):
        q = by_year[int(year)]
        target: float | None = None
        if indicator == Indicator.Q1_OUTSIDE_QPV:
            if level == Level.EPCI:
                target = q.q1_outside_qpv
            elif level == Level.LANDLORD:
                default = q.q1_outside_qpv_landlord
                target = q.rate(indicator, group, q.q1_outside_qpv if default is None else default)
        elif indicator == Indicator.NON_Q1_IN_QPV:
            if level == Level.EPCI:
                target = q.non_q1_in_qpv
            elif level == Level.LANDLORD:
                default = q.non_q1_in_qpv_landlord
                target = q.rate(indicator, group, q.non_q1_in_qpv if default is None else default)
        elif level == Level.RESERVATAIRE and not q.exempt(group):
            target = q.rate(indicator, group, q.priority_per_reservataire)
        elif level == Level.LANDLORD_NON_RESERVED:
            target = q.rate(
                indicator, reservataire_key("bailleur", group), q.priority_per_reservataire
            )
        targets.append(np.nan if target is None else float(target))
    out = quotas.copy()
    out["target"] = np.asarray(targets, dtype=np.float64)
    return out


def _fragility_class(index: pd.Series, millesime: int, params: Any) -> np.ndarray[Any, Any]:
    from mixite.indicators.fragility import CLASS_LABELS, UNCLASSED
    from mixite.params import resolve

    bounds = [
        float(b)
        for b in resolve(params).value(
            "indicateurs.fragilite.bornes_classes", dt.date(millesime, 1, 1)
        )
    ]
    values = index.to_numpy(dtype=float)
    cls = np.searchsorted(-np.asarray(bounds), -np.nan_to_num(values, nan=0.0), side="left")
    labels = np.asarray(CLASS_LABELS, dtype=object)[cls]
    out: np.ndarray[Any, Any] = np.where(np.isfinite(values), labels, UNCLASSED)
    return out


def _relocation(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The relocations per year over replicates (``summarise``) with the shares of the rehoused
    outside QPV and in new or recent dwellings, empty when no household had to be relocated in
    any year of any replicate."""
    counts = ("waiting_start", "to_relocate")
    if not any(len(f) and float(f[list(counts)].to_numpy().sum()) > 0 for f in frames):
        return pd.DataFrame()
    out = summarise(frames, ["year"])
    # Shares of the mean rehoused (a ratio of the published means, NaN without relocation).
    for share, part in (
        ("share_outside_qpv", "rehoused_outside_qpv"),
        ("share_recent", "rehoused_recent"),
    ):
        out[share] = np.where(
            out["rehoused"] > 0, out[part] / out["rehoused"].where(out["rehoused"] > 0), np.nan
        )
    return out


def _outcome(
    base: ProjectionBase,
    plan: StrategyPlan,
    runs: list[tuple[list[Any], pd.DataFrame, pd.DataFrame]],
) -> StrategyOutcome:
    from mixite.indicators.roles import neighbourhood_roles

    params = base.params
    residences = runs[0][1].reset_index(drop=True)
    residences.insert(0, "residence", np.arange(len(residences)))
    keys = runs[0][2]["neighbourhood"].tolist()
    described = base.neighbourhoods.set_index("neighbourhood")
    neighbourhoods = pd.DataFrame(
        {
            "neighbourhood": np.arange(len(keys)),
            "key": keys,
            "kind": [
                described["kind"].get(k, "qpv" if not k.startswith("HQPV-") else "commune")
                for k in keys
            ],
            "commune": [str(described["commune"].get(k, k.removeprefix("HQPV-"))) for k in keys],
        }
    )

    def stack(name: str) -> list[pd.DataFrame]:
        return [
            pd.concat([y[name] for y in years if name in y], ignore_index=True)
            for years, _, _ in runs
            if any(name in y for y in years)
        ]

    territory = summarise(stack("territory"), ["year"])
    residence_years = summarise(stack("residences"), ["residence", "year"])
    residence_years["fragility_class"] = _fragility_class(
        residence_years["fragility_index"], base.millesime, params
    )
    neighbourhood_years = summarise(stack("neighbourhoods"), ["neighbourhood", "year"])
    neighbourhood_years["fragility_class"] = _fragility_class(
        neighbourhood_years["fragility_index"], base.millesime, params
    )
    roles = []
    for year, part in neighbourhood_years.groupby("year", sort=True):
        flows = part.copy()
        if float(year) == base.millesime - 1:  # type: ignore[arg-type]
            flows["mutations_out"] = np.nan  # not observed in the base year
        roles.append(neighbourhood_roles(flows, base.millesime, params))
    neighbourhood_years = pd.concat(roles, ignore_index=True)
    ledgers = stack("ledger")
    for frame in ledgers:
        frame["imbalance"] = ledger_imbalance(frame)
    ledger = summarise(ledgers, ["year"])
    quotas = quota_targets(
        plan,
        summarise(stack("quotas"), ["year", "level", "group", "indicator"]),
        params,
        base.commitments,
    )
    landlords = sorted({str(x) for x in residences["landlord_id"] if str(x)})
    rents_frames = [
        f.groupby(["year", "landlord_id"], as_index=False)[
            ["relets", "lowered", "rent_mass_before", "rent_mass_after"]
        ].sum()
        for f in stack("rents")
    ]
    return StrategyOutcome(
        name=plan.name,
        description=plan.strategy.description,
        residences=residences,
        neighbourhoods=neighbourhoods,
        territory=territory,
        residence_years=residence_years,
        neighbourhood_years=neighbourhood_years,
        quotas=quotas,
        objectives=objective_years(quotas, landlords),
        flux=summarise(stack("flux"), ["year", "landlord_id", "reservataire"]),
        ledger=ledger,
        rents=summarise(rents_frames, ["year", "landlord_id"]),
        validation=validation_table(dict(base.observed), ledgers, []),
        replicates=len(runs),
        relocation=_relocation(stack("relocation")),
    )


def project(
    base: ProjectionBase,
    plans: Sequence[StrategyPlan],
    horizon: int,
    replicates: int,
    seed: int,
    workers: int = 1,
    progress: Progress | None = None,
    rule: RelocationRule | None = None,
) -> list[StrategyOutcome]:
    """Every strategy of ``plans`` over ``horizon`` years, ``replicates`` times each, the
    replicates spread over ``workers`` processes (1: in this process); ``progress(done, total)``
    after each replicate. One ``StrategyOutcome`` per strategy, in order."""
    seeds = [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, replicates)]
    tasks = [(i, s) for i in range(len(plans)) for s in seeds]
    results: dict[tuple[int, int], Any] = {}
    total = len(tasks)
    if workers <= 1 or total <= 1:
        _init(base, plans, horizon, rule)
        try:
            for k, (i, s) in enumerate(tasks):
                results[(i, s)] = _task(i, s)
                if progress is not None:
                    progress(k + 1, total)
        finally:
            _SHARED.clear()
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(workers, total),
            mp_context=context,
            initializer=_init,
            initargs=(base, list(plans), horizon, rule),
        ) as pool:
            futures = {pool.submit(_task, i, s): (i, s) for i, s in tasks}
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress is not None:
                    progress(done, total)
    return [_outcome(base, plan, [results[(i, s)] for s in seeds]) for i, plan in enumerate(plans)]
