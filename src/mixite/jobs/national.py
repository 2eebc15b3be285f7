"""Jobs of the national observatory (``mixite national``): each task on one territory's store,
returned in the national long format (``vocabulary.NATIONAL_COLUMNS``: the EPCI's identity, the
task, the long format of the application layer), and the national summary of every territory.

The tasks call the territory jobs (``jobs.diagnostic.diagnostic`` and ``quotas``,
``jobs.allocation.run_scenarios``) exactly as the command line does; the orchestration (which
territories, in which process, on which machine) is ``mixite.national``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixite.errors import StoreError
from mixite.jobs._load import StoreLike, territory_row
from mixite.jobs.results import Names, NationalResult
from mixite.params import Parameters, resolve
from mixite.vocabulary import (
    LONG_COLUMNS,
    NATIONAL_COLUMNS,
    NATIONAL_IDENTITY,
    Indicator,
    Level,
    NationalIndicator,
    Task,
)

if TYPE_CHECKING:
    from mixite.allocation.scenario import Scenario
    from mixite.jobs.results import MargesResult

__all__ = [
    "TASKS",
    "default_scenarios",
    "diagnostic_rows",
    "national_summary",
    "quota_rows",
    "simulation_rows",
    "territory_identity",
    "with_identity",
]

#: The diagnostic tables the national observatory publishes (``diagnostic_rows``).
NATIONAL_DIAGNOSTIC_TABLES = ("stock_qpv", "vacance_territoire", "demande_territoire")

#: The tasks, in the order they run on a territory.
TASKS: tuple[Task, ...] = (Task.DIAGNOSTIC, Task.QUOTAS, Task.SIMULATION)


def territory_identity(store: StoreLike, millesime: int | None = None) -> dict[str, Any]:
    """The EPCI's identity in the national results: SIREN and name (``territory`` table),
    region code and name (the region of most of its communes, COG 2026) and number of
    dwellings of the millésime (the latest one when None)."""
    from mixite import geo

    years = store.millesimes("dwellings")
    if not years:
        raise StoreError("La base ne contient aucun logement : importez d'abord un millésime.")
    year = max(years) if millesime is None else millesime
    territory = territory_row(store, year)
    known = [y for y in store.millesimes("communes") if y <= year]
    codes = store.read("communes", max(known))["commune"] if known else pd.Series(dtype=object)
    regions = geo.region_of(codes)
    region = str(regions.dropna().mode().iloc[0]) if regions.notna().any() else ""
    summary = getattr(store, "summary", None)
    if summary is not None:
        table = summary()
        rows = table.loc[(table["millesime"] == year) & (table["table"] == "dwellings"), "rows"]
        dwellings = int(rows.iloc[0]) if len(rows) else 0
    else:
        dwellings = len(store.read("dwellings", year))
    return {
        "epci": str(territory.iloc[0]["epci"]),
        "epci_name": str(territory.iloc[0]["name"]),
        "region": region,
        "region_name": geo.region_names().get(region, region),
        "dwellings": dwellings,
    }


def with_identity(
    rows: pd.DataFrame, identity: Mapping[str, Any], task: str, scenario: str = ""
) -> pd.DataFrame:
    """``rows`` (long format) with the EPCI's identity, the task and the scenario, every column
    of ``NATIONAL_COLUMNS`` in order (missing ones empty)."""
    out = rows.copy()
    for key in NATIONAL_IDENTITY:
        out[key] = identity[key]
    out["task"] = str(task)
    if "scenario" not in out:
        out["scenario"] = scenario
    for column in NATIONAL_COLUMNS:
        if column not in out:
            out[column] = None if column in ("group_name", "detail") else np.nan
    out = out[list(NATIONAL_COLUMNS)]
    for column in ("denominator", "numerator", "share", "target", "share_low", "share_high"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    out["shortfall"] = pd.to_numeric(out["shortfall"], errors="coerce").astype("float64")
    out["dwellings"] = out["dwellings"].astype("int64")
    for column in ("epci", "epci_name", "region", "region_name", "task", "scenario", "level",
                   "group", "indicator", "group_name", "detail"):  # fmt: skip
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out.reset_index(drop=True)


def _group_names(table: pd.DataFrame, names: Names) -> list[str | None]:
    out: list[str | None] = []
    for level, group in zip(table["level"], table["group"], strict=True):
        code = str(group)
        if level == Level.EPCI:
            out.append(names.territory)
        elif level in (Level.LANDLORD, Level.LANDLORD_NON_RESERVED):
            out.append(names.landlords.get(code))
        elif level == Level.COMMUNE:
            out.append(names.communes.get(code))
        else:
            out.append(None)
    return out


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def diagnostic_rows(
    store: StoreLike, millesime: int | None = None, params: Parameters | None = None
) -> pd.DataFrame:
    """The national diagnostic of a territory (long format, statistical secrecy applied): share
    of the stock in QPV, vacancy, turnover, applications per attribution at the EPCI level, and
    the room for manoeuvre outside QPV (attainable Q1 share, binding reason in ``detail``) of the
    EPCI and of each landlord (``jobs.diagnostic.diagnostic_tables`` and ``marges``: secrecy
    applied over the tables this publication shows, not over the whole diagnostic)."""
    from mixite.errors import MixiteError
    from mixite.jobs._load import load_names, load_snapshot
    from mixite.jobs.diagnostic import diagnostic_tables, marges

    # one snapshot for both: the room for manoeuvre of the year's leases reads the same millésime
    snapshot = load_snapshot(store, millesime)
    year, tables = diagnostic_tables(
        store, NATIONAL_DIAGNOSTIC_TABLES, millesime, params, snapshot=snapshot
    )
    epci = str(territory_row(store, year).iloc[0]["epci"])
    names = load_names(store)
    try:
        marges_result: MargesResult | None = marges(store, year - 1, params, snapshot=snapshot)
    except MixiteError:  # no rents, no applications, no attributions: the other rows stay
        marges_result = None
    rows: list[dict[str, Any]] = []

    def add(indicator: str, num: Any, den: Any, share: Any, level: str = Level.EPCI,
            group: str = epci, **extra: Any) -> None:  # fmt: skip
        rows.append(
            {
                "level": str(level),
                "group": group,
                "indicator": str(indicator),
                "numerator": _number(num),
                "denominator": _number(den),
                "share": _number(share),
                **extra,
            }
        )

    stock = tables.get("stock_qpv")
    if stock is not None and len(stock):
        total = pd.to_numeric(stock["dwellings"], errors="coerce").sum()
        in_qpv = pd.to_numeric(
            stock.loc[stock["qpv_status"] == "QPV", "dwellings"], errors="coerce"
        ).sum()
        add(NationalIndicator.STOCK_IN_QPV, in_qpv, total, in_qpv / total if total else np.nan)
    vac = tables.get("vacance_territoire")
    if vac is not None and len(vac):
        row = vac.iloc[0]
        add(NationalIndicator.VACANCY, row["vacant"], row["offered"], row["vacancy_rate"])
        add(NationalIndicator.TURNOVER, row["moves_in"], row["turnover_base"], row["turnover_rate"])
    dem = tables.get("demande_territoire")
    if dem is not None and len(dem):
        row = dem.iloc[0]
        add(NationalIndicator.PRESSURE, row["pending"], row["attributions"], row["pressure"])
    if marges_result is not None:
        groups = marges_result.groups
        shown = groups.loc[groups["level"].isin([Level.EPCI, Level.LANDLORD])]
        for line in shown.itertuples():
            level = str(line.level)
            achieved = _number(line.achieved_attributions)
            # the legal share of the same year, beside what was attainable
            add(
                Indicator.Q1_OUTSIDE_QPV,
                np.round(_number(line.achieved_share) * achieved),
                achieved,
                line.achieved_share,
                level=level,
                group=epci if level == Level.EPCI else str(line.group),
                target=_number(line.target),
            )
            add(
                NationalIndicator.ATTAINABLE_Q1,
                line.attainable_q1,
                line.expected_vacancies,
                line.attainable_share,
                level=level,
                group=epci if level == Level.EPCI else str(line.group),
                target=_number(line.target),
                detail=str(line.reason),
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[*LONG_COLUMNS, "group_name", "detail"])
    frame["group_name"] = _group_names(frame, names)
    return frame


def latest_attribution_year(store: StoreLike) -> int:
    """The year of the leases of the latest millésime holding attributions."""
    years = store.millesimes("attributions")
    if not years:
        raise StoreError(
            "La base ne contient aucune attribution : les objectifs légaux ne peuvent pas être "
            "calculés. Importez un fichier d'attributions."
        )
    return max(years) - 1


def quota_rows(
    store: StoreLike, year: int | None = None, params: Parameters | None = None
) -> pd.DataFrame:
    """The legal quota indicators of the leases of ``year`` (the year before the latest
    millésime when None) at every level, with the exact interval of each share and the
    shortfall in attributions (``jobs.diagnostic.quotas``); statistical secrecy applied
    (``indicators.diagnostic_secrecy.protect_quotas``: small counts masked with their share,
    interval and shortfall, and partners so that no masked count comes back by subtraction)."""
    from mixite.indicators.diagnostic_secrecy import protect_quotas
    from mixite.jobs.diagnostic import quotas

    result = quotas(store, latest_attribution_year(store) if year is None else year, params)
    table = protect_quotas(result.table, result.secrecy_threshold).tables["quotas"]
    table = table.rename(columns={"ci_low": "share_low", "ci_high": "share_high"})
    keep = [*LONG_COLUMNS, "share_low", "share_high", "shortfall"]
    out = table[keep].copy()
    for column in ("denominator", "numerator", "share", "share_low", "share_high", "shortfall"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    out["group_name"] = _group_names(out, result.names)
    # the priority objective binds reservataires and landlords' own stock, not the EPCI
    applies = table["target_applies"].astype(bool).to_numpy()
    out["detail"] = pd.Series("descriptif", index=out.index, dtype=object).mask(applies, None)
    return out


def default_scenarios(
    store: StoreLike, scenarios: Sequence[Scenario] = (), seed: int = 0, replicates: int = 1
) -> list[Scenario]:
    """The scenarios of the national simulation, the first being the baseline: none given, the
    current rules (legal objectives, no fléchage) on the store's latest millésime; one given,
    the same scenario with the legal objectives and no fléchage as baseline, then it; several,
    as given."""
    from mixite.allocation.scenario import Flechage, Objectifs, Scenario

    if len(scenarios) > 1:
        return list(scenarios)
    if scenarios:
        chosen = scenarios[0]
        baseline = chosen.model_copy(
            update={"nom": "Référence", "objectifs": Objectifs(), "flechage": Flechage()}
        )
        return [baseline, chosen]
    years = store.millesimes("dwellings")
    if not years:
        raise StoreError("La base ne contient aucun logement : importez d'abord un millésime.")
    return [Scenario(nom="Référence", annee=max(years), graine=seed, replicats=replicates)]


def simulation_rows(store: StoreLike, scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """A simulated year of attributions under each scenario (``jobs.allocation.run_scenarios``,
    commission process): the quota shares per level, the mean over the replicates with their
    range (``share_low``, ``share_high``) and the shortfall of the mean, one ``scenario`` per
    scenario name; statistical secrecy applied (``ScenarioRun.published``: a mean count
    strictly between 0 and the threshold is masked, with its share and shortfall)."""
    from mixite.indicators.quotas import shortfall
    from mixite.jobs.allocation import run_scenarios

    runs = run_scenarios(store, scenarios, "simuler")
    pieces = []
    for run in runs.runs:
        table = run.published
        out = table[[c for c in [*LONG_COLUMNS, "share_low", "share_high"] if c in table]].copy()
        # no shortfall without a target, nor where secrecy masked the counts
        known = out[["target", "denominator", "numerator"]].notna().all(axis=1)
        out["shortfall"] = np.where(
            known,
            shortfall(
                out["target"].fillna(0.0),
                out["denominator"].fillna(0.0),
                out["numerator"].fillna(0.0),
            ),
            np.nan,
        )
        out["scenario"] = run.scenario.nom
        out["group_name"] = _group_names(out, runs.names)
        pieces.append(out)
    return pd.concat(pieces, ignore_index=True)


def _size_bounds(params: Parameters | None, when: dt.date) -> list[int]:
    return [int(b) for b in resolve(params).value("national.classes_taille", when)]


def national_summary(
    rows: pd.DataFrame,
    failures: pd.DataFrame,
    tasks: Sequence[str],
    skipped: int = 0,
    params: Parameters | None = None,
    when: dt.date | None = None,
) -> NationalResult:
    """The national result of every territory's rows (``NATIONAL_COLUMNS``): one row per EPCI,
    the share of EPCIs meeting each objective, the distributions by region and by size class,
    the room for manoeuvre and, with several scenarios, the change per EPCI against the
    baseline (``indicators.national``). ``failures``: the territories that failed (``epci``,
    ``epci_name``, ``error``); ``skipped``: territories already done by an earlier run."""
    from mixite.indicators import national as summary

    when = when or dt.date.today()
    bounds = _size_bounds(params, when)
    scenarios = tuple(
        dict.fromkeys(rows.loc[rows["task"] == Task.SIMULATION, "scenario"].astype(str))
    )
    epci = summary.epci_table(rows, bounds)
    room = summary.room_for_manoeuvre(rows)
    return NationalResult(
        rows=rows,
        epci=epci,
        attainment=summary.attainment(rows),
        by_region=summary.distribution(rows, epci, "region"),
        by_size=summary.distribution(rows, epci, "size_class"),
        room=room,
        room_counts=summary.room_counts(room),
        scenario_changes=summary.scenario_changes(rows) if len(scenarios) > 1 else None,
        failures=failures.reset_index(drop=True),
        tasks=tuple(str(t) for t in tasks),
        scenarios=scenarios,
        size_bounds=tuple(bounds),
        skipped=skipped,
    )
