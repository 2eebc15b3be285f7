"""The national observatory's summary: every EPCI's results gathered into the tables of the
national report.

Input: the national long format (``vocabulary.NATIONAL_COLUMNS``), one block of rows per EPCI and
task (``jobs.national``). An objective of CCH art. L441-1 is **met** by an EPCI when its
shortfall is zero (docs/droit.md §2.1: max(0, ⌈target × attributions⌉ − achieved)): at the EPCI
scale for the two quartile objectives, and, for the priority objective, when every reservataire
it binds (all but the State) and every landlord's non-reserved stock meet theirs. An EPCI with
no attribution concerned has no verdict. The national share of an objective is the ratio of
the sums over the EPCIs (as ANCOLS computes the national 15.5 % of 2019), beside the median of
the EPCIs' shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixite.vocabulary import NATIONAL_IDENTITY, Indicator, Level, NationalIndicator, Task

__all__ = [
    "CATEGORIES",
    "SOURCES",
    "attainment",
    "distribution",
    "epci_table",
    "identities",
    "objectives",
    "room_counts",
    "room_for_manoeuvre",
    "scenario_changes",
    "size_class",
]

#: Where a share comes from: the observed attributions (task ``quotas``) or a simulated year.
SOURCES = ("observe", "simule")
#: Room for manoeuvre of an EPCI: objective met, attainable but not met, out of reach.
CATEGORIES = ("atteint", "atteignable", "hors_atteinte")

_OBJECTIVE_COLUMNS = [
    "source", "scenario", "epci", "indicator", "denominator", "numerator", "share", "share_low",
    "share_high", "target", "shortfall", "met",
]  # fmt: skip


def size_class(dwellings: Any, bounds: Sequence[int]) -> np.ndarray:
    """The lower bound of the size class of each number of dwellings (``bounds`` sorted, the
    first one 0; the last class is open)."""
    d = np.asarray(dwellings, dtype=float)
    b = np.asarray(bounds, dtype=float)
    idx = np.clip(np.searchsorted(b, d, side="right") - 1, 0, len(b) - 1)
    return np.asarray(b[idx], dtype=np.int64)


def identities(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per EPCI: SIREN, name, region, dwellings (sorted by SIREN)."""
    ident = rows[list(NATIONAL_IDENTITY)].drop_duplicates("epci")
    return ident.sort_values("epci").reset_index(drop=True)


def _met(shortfall: pd.Series, denominator: pd.Series) -> pd.Series:
    met = pd.Series(shortfall.to_numpy() == 0, index=shortfall.index, dtype="boolean")
    return met.mask(~(denominator.fillna(0).to_numpy() > 0) | shortfall.isna())


def objectives(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per source, scenario, EPCI and legal objective: the EPCI-scale counts, share,
    interval, target and shortfall, and whether the objective is met (``met``, NA without
    attributions concerned; for the priority objective, every partner it binds meets it)."""
    pieces = []
    legal = [str(i) for i in Indicator]
    for task, source in ((Task.QUOTAS, "observe"), (Task.SIMULATION, "simule")):
        block = rows.loc[(rows["task"] == task) & rows["indicator"].isin(legal)]
        if block.empty:
            continue
        epci = block.loc[block["level"] == Level.EPCI].copy()
        epci["source"] = source
        epci["met"] = _met(epci["shortfall"], epci["denominator"])
        # priority: every reservataire it binds and every landlord's non-reserved stock
        # a partner whose counts statistical secrecy masked (NaN) is bound, its verdict unknown
        bound = block.loc[
            (block["indicator"] == Indicator.PRIORITY)
            & block["level"].isin([Level.RESERVATAIRE, Level.LANDLORD_NON_RESERVED])
            & ~(block["denominator"].to_numpy() == 0)
        ]
        bound = bound.loc[
            bound["detail"].isna() if task == Task.QUOTAS else bound["target"].notna()
        ]
        if not bound.empty:
            ok = pd.array(bound["shortfall"].to_numpy() == 0, dtype="boolean")
            ok[bound["shortfall"].isna().to_numpy()] = pd.NA
            # every partner meets it; unknown when one is masked and none is known to fail
            verdict = (
                bound.assign(ok=ok)
                .groupby(["scenario", "epci"])["ok"]
                .agg(lambda s: s.array.all(skipna=False))
            )
            prio = epci["indicator"] == Indicator.PRIORITY
            keys = pd.MultiIndex.from_frame(epci.loc[prio, ["scenario", "epci"]])
            epci.loc[prio, "met"] = pd.array(
                verdict.reindex(keys).to_numpy(dtype=object), dtype="boolean"
            )
            epci.loc[prio, "target"] = float(bound["target"].max())
        pieces.append(epci)
    if not pieces:
        return pd.DataFrame(columns=_OBJECTIVE_COLUMNS)
    out = pd.concat(pieces, ignore_index=True)
    out["met"] = out["met"].astype("boolean")
    return out[_OBJECTIVE_COLUMNS].reset_index(drop=True)


def _summary(block: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = block.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        epcis=("met", lambda s: int(s.notna().sum())),
        met=("met", lambda s: int(s.fillna(False).sum())),
        numerator=("numerator", "sum"),
        denominator=("denominator", "sum"),
        median_share=("share", "median"),
        target=("target", "max"),
    ).reset_index()
    out["epcis"] = out["epcis"].astype("int64")
    out["met"] = out["met"].astype("int64")
    epcis = out["epcis"].to_numpy(dtype=float)
    den = out["denominator"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_met"] = np.where(epcis > 0, out["met"].to_numpy(dtype=float) / epcis, np.nan)
        out["national_share"] = np.where(
            den > 0, out["numerator"].to_numpy(dtype=float) / den, np.nan
        )
    return out


def attainment(rows: pd.DataFrame) -> pd.DataFrame:
    """Per source (observed, simulated), scenario and legal objective: the EPCIs with a verdict
    (``epcis``), those meeting it (``met``) and their share, the national share (sum of the
    numerators over sum of the denominators), the median share and the target."""
    table = objectives(rows)
    columns = ["source", "scenario", "indicator", "epcis", "met", "share_met", "national_share",
               "median_share", "numerator", "denominator", "target"]  # fmt: skip
    if table.empty:
        return pd.DataFrame(columns=columns)
    return _summary(table, ["source", "scenario", "indicator"])[columns]


def _main_objectives(rows: pd.DataFrame) -> pd.DataFrame:
    """The objectives of the observed attributions, else of the simulated baseline."""
    table = objectives(rows)
    if (table["source"] == "observe").any():
        return table.loc[table["source"] == "observe"].copy()
    sim = table.loc[table["source"] == "simule"]
    if sim.empty:
        return sim.copy()
    first = sim["scenario"].iloc[0]
    return pd.DataFrame(sim.loc[sim["scenario"] == first])


def epci_table(rows: pd.DataFrame, bounds: Sequence[int]) -> pd.DataFrame:
    """One row per EPCI: identity, size class (lower bound, ``size_class``), for each legal
    objective the observed share, interval (``_low``, ``_high``), attributions concerned,
    shortfall and verdict (``_met``), its simulated share under the baseline
    (``_simulated``), the diagnostic's shares (QPV, vacancy, turnover, applications per
    attribution) and the attainable Q1 share outside QPV with its binding reason."""
    ident = identities(rows)
    ident["size_class"] = size_class(ident["dwellings"], bounds)
    table = objectives(rows)
    out = ident
    obs = table.loc[table["source"] == "observe"]
    for ind in Indicator:
        part = obs.loc[obs["indicator"] == ind].set_index("epci")
        values = {
            f"{ind}_share": part["share"],
            f"{ind}_low": part["share_low"],
            f"{ind}_high": part["share_high"],
            f"{ind}_attributions": part["denominator"],
            f"{ind}_shortfall": part["shortfall"],
            f"{ind}_met": part["met"],
        }
        for column, series in values.items():
            out[column] = out["epci"].map(series)
        out[f"{ind}_met"] = out[f"{ind}_met"].astype("boolean")
    sim = table.loc[table["source"] == "simule"]
    if not sim.empty:
        baseline = sim.loc[sim["scenario"] == sim["scenario"].iloc[0]]
        for ind in Indicator:
            part = baseline.loc[baseline["indicator"] == ind].set_index("epci")
            out[f"{ind}_simulated"] = out["epci"].map(part["share"])
    diag = rows.loc[(rows["task"] == Task.DIAGNOSTIC) & (rows["level"] == Level.EPCI)]
    for figure in NationalIndicator:
        part = diag.loc[diag["indicator"] == figure].set_index("epci")
        if part.empty:
            continue
        out[str(figure)] = out["epci"].map(part["share"])
        if figure is NationalIndicator.ATTAINABLE_Q1:
            out["reason"] = out["epci"].map(part["detail"])
    return out.reset_index(drop=True)


def distribution(rows: pd.DataFrame, epci: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per value of ``key`` (``region`` or ``size_class`` of ``epci_table``) and legal
    objective: EPCIs, dwellings, EPCIs meeting the objective and their share, national and
    median shares (observed attributions, else the simulated baseline)."""
    table = _main_objectives(rows)
    extra = ["region_name"] if key == "region" else []
    columns = [key, *extra, "indicator", "epcis", "met", "share_met", "national_share",
               "median_share", "dwellings", "target"]  # fmt: skip
    if table.empty:
        return pd.DataFrame(columns=columns)
    merged = table.merge(epci[["epci", key, *extra, "dwellings"]], on="epci", how="left")
    out = _summary(merged, [key, *extra, "indicator"])
    stock = epci.groupby(key)["dwellings"].sum()
    out["dwellings"] = out[key].map(stock).astype("int64")
    rank = {str(ind): k for k, ind in enumerate(Indicator)}
    out["_rank"] = out["indicator"].map(rank)
    return out.sort_values([key, "_rank"]).reset_index(drop=True)[columns]


def room_for_manoeuvre(rows: pd.DataFrame) -> pd.DataFrame:
    """Per EPCI with a room-for-manoeuvre result (task ``diagnostic``): achieved and attainable
    shares of Q1 attributions outside QPV, target, category (``CATEGORIES``: met; attainable
    but not met; out of reach) and binding reason, the room in points (attainable − achieved)
    and the shortfall in attributions."""
    diag = rows.loc[(rows["task"] == Task.DIAGNOSTIC) & (rows["level"] == Level.EPCI)]
    att = diag.loc[diag["indicator"] == NationalIndicator.ATTAINABLE_Q1].set_index("epci")
    ach = diag.loc[diag["indicator"] == Indicator.Q1_OUTSIDE_QPV].set_index("epci")
    columns = ["epci", "epci_name", "region", "region_name", "dwellings", "achieved_share",
               "attainable_share", "target", "category", "reason", "room", "shortfall"]  # fmt: skip
    if att.empty:
        return pd.DataFrame(columns=columns)
    out = identities(rows)
    out = out.loc[out["epci"].isin(att.index)].copy()
    out["achieved_share"] = out["epci"].map(ach["share"])
    out["attainable_share"] = out["epci"].map(att["share"])
    out["target"] = out["epci"].map(att["target"])
    out["reason"] = out["epci"].map(att["detail"])
    achieved = out["achieved_share"].to_numpy(dtype=float)
    attainable = out["attainable_share"].to_numpy(dtype=float)
    target = out["target"].to_numpy(dtype=float)
    category = np.where(
        achieved >= target - 1e-12,
        "atteint",
        np.where(attainable >= target - 1e-12, "atteignable", "hors_atteinte"),
    )
    unknown = np.isnan(achieved) | np.isnan(attainable)
    out["category"] = pd.Series(category, index=out.index, dtype=object).mask(unknown, None)
    out["room"] = attainable - achieved
    den = out["epci"].map(ach["denominator"]).to_numpy(dtype=float)
    num = out["epci"].map(ach["numerator"]).to_numpy(dtype=float)
    out["shortfall"] = np.maximum(np.ceil(target * den - 1e-9) - num, 0)
    return out[columns].reset_index(drop=True)


def room_counts(room: pd.DataFrame) -> pd.DataFrame:
    """EPCIs per category and binding reason of the room for manoeuvre, with their share of
    the EPCIs that have a result, and the sum of their shortfalls (attributions)."""
    columns = ["category", "reason", "epcis", "share", "shortfall"]
    known = room.loc[room["category"].notna()]
    if known.empty:
        return pd.DataFrame(columns=columns)
    out = (
        known.groupby(["category", "reason"], dropna=False)
        .agg(epcis=("epci", "size"), shortfall=("shortfall", "sum"))
        .reset_index()
    )
    out["share"] = out["epcis"] / len(known)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    out = out.sort_values(
        ["category", "epcis"], key=lambda s: s.map(order) if s.name == "category" else -s
    )
    return out[columns].reset_index(drop=True)


def scenario_changes(rows: pd.DataFrame) -> pd.DataFrame:
    """Per EPCI, legal objective and scenario other than the baseline (the first simulated
    one): the simulated share under the baseline and under the scenario, the change (scenario
    − baseline, in share points) and the verdicts under both."""
    table = objectives(rows)
    sim = table.loc[table["source"] == "simule"]
    columns = ["scenario", "epci", "epci_name", "region_name", "indicator", "baseline_share",
               "share", "change", "baseline_met", "met"]  # fmt: skip
    if sim.empty:
        return pd.DataFrame(columns=columns)
    names = list(dict.fromkeys(sim["scenario"]))
    base = sim.loc[sim["scenario"] == names[0]].set_index(["epci", "indicator"])
    pieces = []
    for name in names[1:]:
        other = sim.loc[sim["scenario"] == name].copy()
        keys = pd.MultiIndex.from_frame(other[["epci", "indicator"]])
        other["baseline_share"] = base["share"].reindex(keys).to_numpy()
        other["baseline_met"] = pd.array(
            base["met"].reindex(keys).to_numpy(dtype=object), dtype="boolean"
        )
        other["change"] = other["share"] - other["baseline_share"]
        pieces.append(other)
    if not pieces:
        return pd.DataFrame(columns=columns)
    out = pd.concat(pieces, ignore_index=True)
    ident = identities(rows).set_index("epci")
    out["epci_name"] = out["epci"].map(ident["epci_name"])
    out["region_name"] = out["epci"].map(ident["region_name"])
    return pd.DataFrame(out[columns].reset_index(drop=True))
