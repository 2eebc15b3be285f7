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
from dataclasses import dataclass
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
    "NationalRows",
    "default_scenarios",
    "diagnostic_rows",
    "national_diagnostic",
    "national_quotas",
    "national_simulation",
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


@dataclass(frozen=True)
class NationalRows:
    """What a task gives the national observatory for one territory: ``published``, the rows of
    its result file (EPCI level, statistical secrecy applied), and ``private``, the same figures
    unprotected (and, for the quotas, the partners the priority verdict needs), written beside
    the territory's store (``bases/``, never in the report) so that the national aggregates
    count every EPCI, masked or not (docs/secret-statistique.md, « Observatoire national »)."""

    published: pd.DataFrame
    private: pd.DataFrame


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
    """The published national diagnostic of a territory (``national_diagnostic``)."""
    return national_diagnostic(store, millesime, params).published


def national_diagnostic(
    store: StoreLike, millesime: int | None = None, params: Parameters | None = None
) -> NationalRows:
    """The national diagnostic of a territory, EPCI level (long format): share of the stock in
    QPV, vacancy, turnover, applications per attribution and the room for manoeuvre outside QPV
    (attainable Q1 share, binding reason in ``detail``; ``jobs.diagnostic.diagnostic_tables``
    and ``marges``, secrecy applied over the tables this publication shows).

    The achieved Q1 share outside QPV of the same leases, beside the attainable one, is only in
    the private rows: its attributions are published once, by the quotas task
    (``national_quotas``), protected with the territory's other objectives — two files each
    protecting the same count on its own would give it back (docs/secret-statistique.md). The
    landlords' room for manoeuvre stays in the territory's own ``mixite diagnostic``."""
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
    private: list[dict[str, Any]] = []

    def add(indicator: str, num: Any, den: Any, share: Any, into: list[dict[str, Any]] = rows,
            **extra: Any) -> None:  # fmt: skip
        into.append(
            {
                "level": str(Level.EPCI),
                "group": epci,
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
        shown = marges_result.groups
        raw = marges_result.marges.groups
        for line, truth in zip(
            shown.loc[shown["level"] == Level.EPCI].itertuples(),
            raw.loc[raw["level"] == Level.EPCI].itertuples(),
            strict=True,
        ):
            target = _number(line.target)
            add(NationalIndicator.ATTAINABLE_Q1, line.attainable_q1, line.expected_vacancies,
                line.attainable_share, target=target, detail=str(line.reason))  # fmt: skip
            add(NationalIndicator.ATTAINABLE_Q1, truth.attainable_q1, truth.expected_vacancies,
                truth.attainable_share, into=private, target=target,
                detail=str(truth.reason))  # fmt: skip
            achieved = _number(truth.achieved_attributions)
            # the legal share of the same year, beside what was attainable (private only)
            add(Indicator.Q1_OUTSIDE_QPV, np.round(_number(truth.achieved_share) * achieved),
                achieved, truth.achieved_share, into=private, target=target)  # fmt: skip
    secret = [r for r in rows if r["indicator"] != NationalIndicator.ATTAINABLE_Q1] + private
    return NationalRows(_diagnostic_frame(rows, names), _diagnostic_frame(secret, names))


def _diagnostic_frame(rows: list[dict[str, Any]], names: Names) -> pd.DataFrame:
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
    """The published legal quota indicators of a territory (``national_quotas``)."""
    return national_quotas(store, year, params).published


def national_quotas(
    store: StoreLike, year: int | None = None, params: Parameters | None = None
) -> NationalRows:
    """The legal quota indicators of the leases of ``year`` (the year before the latest
    millésime when None), with the exact interval of each share and the shortfall in
    attributions (``jobs.diagnostic.quotas``).

    Published: the EPCI level only, under statistical secrecy
    (``indicators.diagnostic_secrecy.protect_quotas``: small counts masked with their share,
    interval and shortfall, and what would give them back — the attributions outside and in
    QPV add up to all of them). The partners (landlords, reservataires, communes) are the
    territory's own business, in its ``mixite diagnostic``: protected with them, a small EPCI
    would lose its own share for a small partner. Private: every level unprotected, the
    national verdicts' input (the priority objective binds the partners)."""
    from mixite.indicators.diagnostic_secrecy import protect_quotas
    from mixite.jobs.diagnostic import quotas

    result = quotas(store, latest_attribution_year(store) if year is None else year, params)
    epci = result.table.loc[result.table["level"] == Level.EPCI].reset_index(drop=True)
    table = protect_quotas(epci, result.secrecy_threshold).tables["quotas"]
    return NationalRows(_quota_frame(table, result.names), _quota_frame(result.table, result.names))


def _quota_frame(table: pd.DataFrame, names: Names) -> pd.DataFrame:
    table = table.rename(columns={"ci_low": "share_low", "ci_high": "share_high"})
    keep = [*LONG_COLUMNS, "share_low", "share_high", "shortfall"]
    out = table[keep].copy()
    for column in ("denominator", "numerator", "share", "share_low", "share_high", "shortfall"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    out["group_name"] = _group_names(out, names)
    # the priority objective binds reservataires and landlords' own stock, not the EPCI
    applies = table["target_applies"].astype(bool).to_numpy()
    out["detail"] = pd.Series("descriptif", index=out.index, dtype=object).mask(applies, None)
    return out.reset_index(drop=True)


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
    """The published simulated year of a territory (``national_simulation``)."""
    return national_simulation(store, scenarios).published


def national_simulation(store: StoreLike, scenarios: Sequence[Scenario]) -> NationalRows:
    """A simulated year of attributions under each scenario (``jobs.allocation.run_scenarios``,
    commission process): the quota shares per level, the mean over the replicates with their
    range (``share_low``, ``share_high``) and the shortfall of the mean, one ``scenario`` per
    scenario name. Published: statistical secrecy applied (``ScenarioRun.published``: a mean
    count strictly between 0 and the threshold is masked, with its share and shortfall).
    Private: the same rows unprotected, so that an EPCI whose simulated counts are masked keeps
    its verdict in the national aggregates."""
    from mixite.jobs.allocation import run_scenarios

    runs = run_scenarios(store, scenarios, "simuler")
    published, private = [], []
    for run in runs.runs:
        published.append(_simulated_frame(run.published, run.scenario.nom, runs.names))
        private.append(_simulated_frame(run.indicators, run.scenario.nom, runs.names))
    return NationalRows(
        pd.concat(published, ignore_index=True), pd.concat(private, ignore_index=True)
    )


def _simulated_frame(table: pd.DataFrame, scenario: str, names: Names) -> pd.DataFrame:
    from mixite.indicators.quotas import shortfall

    out = table[[c for c in [*LONG_COLUMNS, "share_low", "share_high"] if c in table]].copy()
    for column in ("denominator", "numerator", "share", "target"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    # no shortfall without a target, nor where secrecy masked the counts
    known = out[["target", "denominator", "numerator"]].notna().all(axis=1)
    out["shortfall"] = np.where(
        known,
        shortfall(
            out["target"].fillna(0.0), out["denominator"].fillna(0.0), out["numerator"].fillna(0.0)
        ),
        np.nan,
    )
    out["scenario"] = scenario
    out["group_name"] = _group_names(out, names)
    return out.reset_index(drop=True)


def _size_bounds(params: Parameters | None, when: dt.date) -> list[int]:
    return [int(b) for b in resolve(params).value("national.classes_taille", when)]


def national_summary(
    rows: pd.DataFrame,
    failures: pd.DataFrame,
    tasks: Sequence[str],
    skipped: int = 0,
    params: Parameters | None = None,
    when: dt.date | None = None,
    private: pd.DataFrame | None = None,
) -> NationalResult:
    """The national result of every territory's rows (``NATIONAL_COLUMNS``): one row per EPCI,
    the share of EPCIs meeting each objective, the distributions by region and by size class,
    the room for manoeuvre and, with several scenarios, the change per EPCI against the
    baseline (``indicators.national``). ``failures``: the territories that failed (``epci``,
    ``epci_name``, ``error``); ``skipped``: territories already done by an earlier run.

    ``rows`` are the published rows (statistical secrecy applied); ``private`` the territories'
    unprotected figures (``NationalRows.private``): the verdicts and the aggregates count every
    EPCI from them, and what is published gives back no masked count
    (``indicators.national``, docs/secret-statistique.md)."""
    from mixite.indicators import national as summary
    from mixite.indicators._common import small_cell_threshold

    when = when or dt.date.today()
    bounds = _size_bounds(params, when)
    threshold = small_cell_threshold(params, when)
    scenarios = tuple(
        dict.fromkeys(rows.loc[rows["task"] == Task.SIMULATION, "scenario"].astype(str))
    )
    truth = summary.unprotected(rows, private)
    epci = summary.epci_table(truth, bounds, rows, threshold)
    room = summary.room_for_manoeuvre(truth)
    shown_room = summary.publish_room(room, truth, rows, threshold)
    return NationalResult(
        rows=rows,
        epci=epci,
        attainment=summary.attainment(truth, rows, threshold),
        by_region=summary.distribution(truth, epci, "region", rows, threshold),
        by_size=summary.distribution(truth, epci, "size_class", rows, threshold),
        room=shown_room,
        room_counts=summary.room_counts(room, shown_room),
        scenario_changes=summary.scenario_changes(rows) if len(scenarios) > 1 else None,
        failures=failures.reset_index(drop=True),
        tasks=tuple(str(t) for t in tasks),
        scenarios=scenarios,
        size_bounds=tuple(bounds),
        skipped=skipped,
    )
