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

Statistical secrecy (docs/secret-statistique.md, « Observatoire national »): the verdicts and
the aggregates are computed on every EPCI's **unprotected** figures (``unprotected``: the private
rows of each territory in place of its published ones), so that an EPCI whose small counts are
masked still counts; ``published`` (the rows of the result files) says which EPCI counts are
masked. What is published then gives none of them back: an EPCI's masked counts stay masked in
the per-EPCI table, its verdict is shown only where it cannot pin a masked count
(``verdict_reveals``), and a group's totals, national share, median and number of EPCIs meeting
an objective are masked where they would give back a masked count, or a withheld verdict, by
difference with the published rows.
"""

from __future__ import annotations

import math
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
    "publish_room",
    "room_counts",
    "room_for_manoeuvre",
    "scenario_changes",
    "size_class",
    "unprotected",
    "verdict_reveals",
]

#: Where a share comes from: the observed attributions (task ``quotas``) or a simulated year.
SOURCES = ("observe", "simule")
#: Room for manoeuvre of an EPCI: objective met, attainable but not met, out of reach.
CATEGORIES = ("atteint", "atteignable", "hors_atteinte")

_OBJECTIVE_COLUMNS = [
    "source", "scenario", "epci", "indicator", "denominator", "numerator", "share", "share_low",
    "share_high", "target", "shortfall", "met", "secret", "shown",
]  # fmt: skip


def size_class(dwellings: Any, bounds: Sequence[int]) -> np.ndarray:
    """The lower bound of the size class of each number of dwellings (``bounds`` sorted, the
    first one 0; the last class is open)."""
    d = np.asarray(dwellings, dtype=float)
    b = np.asarray(bounds, dtype=float)
    idx = np.clip(np.searchsorted(b, d, side="right") - 1, 0, len(b) - 1)
    return np.asarray(b[idx], dtype=np.int64)


def _threshold(threshold: int | None) -> int:
    """The secrecy threshold of the published rows: required where they are checked (the
    threshold of the rows' own dates, ``secret_statistique.seuil``, never guessed here)."""
    if threshold is None:
        raise ValueError("published rows need the secrecy threshold they were protected with")
    return threshold


def unprotected(rows: pd.DataFrame, private: pd.DataFrame | None) -> pd.DataFrame:
    """``rows`` with the rows of each (EPCI, task) that has private (unprotected) figures
    replaced by them; ``rows`` as they are without private figures."""
    if private is None or private.empty:
        return rows
    keys = set(zip(private["epci"].astype(str), private["task"].astype(str), strict=True))
    own = [
        (e, t) in keys
        for e, t in zip(rows["epci"].astype(str), rows["task"].astype(str), strict=True)
    ]
    kept = rows.loc[~np.asarray(own, dtype=bool)]
    return pd.concat([f for f in (kept, private) if not f.empty], ignore_index=True)


def _published_epci(published: pd.DataFrame, task: str = Task.QUOTAS) -> pd.DataFrame:
    """The EPCI-level counts of ``task`` as published, indexed by scenario (empty for the
    observed quotas), EPCI and objective."""
    block = published.loc[(published["task"] == task) & (published["level"] == Level.EPCI)]
    block = block.assign(scenario=_scenario(block["scenario"]))
    return block.drop_duplicates(["scenario", "epci", "indicator"]).set_index(
        ["scenario", "epci", "indicator"]
    )


def _published_quotas(published: pd.DataFrame) -> pd.DataFrame:
    """The observed EPCI-level counts as published, indexed by EPCI and objective."""
    return _published_epci(published).droplevel("scenario")


def _scenario(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.notna(), "").astype(str)


def verdict_reveals(
    denominator: float,
    numerator: float,
    met: bool,
    target: float,
    threshold: int,
    priority: bool = False,
) -> bool:
    """Whether publishing ``met`` beside the published counts (``NaN`` where masked) would pin
    a masked count (or its complement, denominator − numerator) to one value.

    A masked count is read as a primary one, from 1 to ``threshold − 1`` (the narrowest reading,
    hence the strictest test). A quartile objective is met when numerator ≥ ⌈target ×
    denominator⌉; a met priority objective (every bound partner meets it) implies it of the
    EPCI's own count, a missed one implies nothing. E.g. 40 attributions published, their Q1
    count masked, objective 25 % met: the count is 10 — revealed; 22 published, met: 6 to 10 —
    not revealed."""
    den_hidden, num_hidden = math.isnan(denominator), math.isnan(numerator)
    if not (den_hidden or num_hidden):
        return False
    if math.isnan(target):
        return True
    small = range(1, threshold)
    dens = small if den_hidden else [int(denominator)]
    nums = small if num_hidden else [int(numerator)]
    feasible = []
    for d in dens:
        need = math.ceil(target * d - 1e-9)
        for n in nums:
            if n > d:
                continue
            reaches = n >= need
            if (reaches if met else True) if priority else reaches == met:
                feasible.append((d, n))
    if not feasible:
        return True
    distinct = {d - n for d, n in feasible}
    if den_hidden:
        distinct_den = {d for d, _ in feasible}
        if len(distinct_den) < 2:
            return True
    if num_hidden and len({n for _, n in feasible}) < 2:
        return True
    return len(distinct) < 2


def identities(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per EPCI: SIREN, name, region, dwellings (sorted by SIREN)."""
    ident = rows[list(NATIONAL_IDENTITY)].drop_duplicates("epci")
    return ident.sort_values("epci").reset_index(drop=True)


def _met(shortfall: pd.Series, denominator: pd.Series) -> pd.Series:
    met = pd.Series(shortfall.to_numpy() == 0, index=shortfall.index, dtype="boolean")
    return met.mask(~(denominator.fillna(0).to_numpy() > 0) | shortfall.isna())


def objectives(
    rows: pd.DataFrame, published: pd.DataFrame | None = None, threshold: int | None = None
) -> pd.DataFrame:
    """One row per source, scenario, EPCI and legal objective: the EPCI-scale counts, share,
    interval, target and shortfall, and whether the objective is met (``met``, NA without
    attributions concerned; for the priority objective, every partner it binds meets it).

    ``rows`` unprotected (``unprotected``) with ``published`` the rows as published: ``secret``
    says that the EPCI's observed counts are masked there, ``shown`` that its verdict may be
    published (``verdict_reveals``, ``threshold`` the secrecy threshold). Without
    ``published``, nothing is secret."""
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
    out["secret"] = False
    out["shown"] = True
    if published is not None:
        limit = _threshold(threshold)
        for task, source in ((Task.QUOTAS, "observe"), (Task.SIMULATION, "simule")):
            mine = (out["source"] == source).to_numpy()
            if not mine.any():
                continue
            pub = _published_epci(published, task)
            part = out.loc[mine]
            keys = pd.MultiIndex.from_arrays(
                [_scenario(part["scenario"]), part["epci"], part["indicator"]]
            )
            den = pub["denominator"].reindex(keys).to_numpy(dtype=float)
            num = pub["numerator"].reindex(keys).to_numpy(dtype=float)
            secret = np.isnan(den) | np.isnan(num)
            shown = [
                not hidden
                or pd.isna(met)
                or not verdict_reveals(d, n, bool(met), float(t), limit, ind == Indicator.PRIORITY)
                for hidden, d, n, met, t, ind in zip(
                    secret, den, num, part["met"], part["target"], part["indicator"], strict=True
                )
            ]  # fmt: skip
            out.loc[mine, "secret"] = secret
            out.loc[mine, "shown"] = np.asarray(shown, dtype=bool)
    out["secret"] = out["secret"].astype(bool)
    out["shown"] = out["shown"].astype(bool)
    return out[_OBJECTIVE_COLUMNS].reset_index(drop=True)


def _small(value: float, threshold: int) -> bool:
    return 0 < value < threshold


def _guard(group: pd.DataFrame, threshold: int) -> dict[str, bool]:
    """What of a group's summary would give back a masked EPCI count or a withheld verdict."""
    hidden = group["secret"].to_numpy(dtype=bool)
    num = group["numerator"].to_numpy(dtype=float)
    den = group["denominator"].to_numpy(dtype=float)
    # the national share gives back the sum of the masked numerators (and of their
    # complements) by difference with the published EPCIs: masked unless both are 0 or large
    x = float(np.nansum(num[hidden]))
    c = float(np.nansum(den[hidden] - num[hidden]))
    share = not hidden.any() or not (_small(x, threshold) or _small(c, threshold))
    # the median is an EPCI's share (or the mean of two): masked when it is a masked one's
    shares = group["share"].to_numpy(dtype=float)
    known = np.flatnonzero(~np.isnan(shares))
    order = known[np.argsort(shares[known], kind="stable")]
    middle = order[[(len(order) - 1) // 2, len(order) // 2]] if len(order) else order
    median = not hidden[middle].any()
    # the number meeting it minus the published verdicts: the withheld verdicts' sum, which
    # tells them all when they agree
    withheld = group["met"].notna().to_numpy() & ~group["shown"].to_numpy(dtype=bool)
    values = group["met"].to_numpy(dtype=object)[withheld]
    met = not withheld.any() or len({bool(v) for v in values}) > 1
    return {"totals": not hidden.any(), "share": share, "median": median, "met": met}


def _summary(block: pd.DataFrame, keys: list[str], threshold: int | None) -> pd.DataFrame:
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
    if "secret" not in block or not (
        block["secret"].to_numpy(dtype=bool).any() or (~block["shown"].to_numpy(dtype=bool)).any()
    ):
        return out
    limit = _threshold(threshold)
    guards = [_guard(group, limit) for _, group in grouped]
    ok = {k: np.array([g[k] for g in guards], dtype=bool) for k in guards[0]}
    out[["numerator", "denominator"]] = out[["numerator", "denominator"]].where(
        pd.Series(ok["totals"], index=out.index), np.nan, axis=0
    )
    out["national_share"] = out["national_share"].where(ok["share"])
    out["median_share"] = out["median_share"].astype(float).where(ok["median"])
    out["met"] = pd.array(
        [int(m) if keep else pd.NA for m, keep in zip(out["met"], ok["met"], strict=True)],
        dtype="Int64",
    )
    out["share_met"] = out["share_met"].where(ok["met"])
    return out


def attainment(
    rows: pd.DataFrame, published: pd.DataFrame | None = None, threshold: int | None = None
) -> pd.DataFrame:
    """Per source (observed, simulated), scenario and legal objective: the EPCIs with a verdict
    (``epcis``), those meeting it (``met``) and their share, the national share (sum of the
    numerators over sum of the denominators), the median share and the target (``published``
    and ``threshold``: ``objectives``; what would give back a masked count is masked)."""
    table = objectives(rows, published, threshold)
    columns = ["source", "scenario", "indicator", "epcis", "met", "share_met", "national_share",
               "median_share", "numerator", "denominator", "target"]  # fmt: skip
    if table.empty:
        return pd.DataFrame(columns=columns)
    return _summary(table, ["source", "scenario", "indicator"], threshold)[columns]


def _main_objectives(
    rows: pd.DataFrame, published: pd.DataFrame | None, threshold: int | None
) -> pd.DataFrame:
    """The objectives of the observed attributions, else of the simulated baseline."""
    table = objectives(rows, published, threshold)
    if (table["source"] == "observe").any():
        return table.loc[table["source"] == "observe"].copy()
    sim = table.loc[table["source"] == "simule"]
    if sim.empty:
        return sim.copy()
    first = sim["scenario"].iloc[0]
    return pd.DataFrame(sim.loc[sim["scenario"] == first])


def epci_table(
    rows: pd.DataFrame,
    bounds: Sequence[int],
    published: pd.DataFrame | None = None,
    threshold: int | None = None,
) -> pd.DataFrame:
    """One row per EPCI: identity, size class (lower bound, ``size_class``), for each legal
    objective the observed share, interval (``_low``, ``_high``), attributions concerned,
    shortfall and verdict (``_met``), whether its counts are masked (``_secret``), its
    simulated share under the baseline (``_simulated``), the diagnostic's shares (QPV,
    vacancy, turnover, applications per attribution) and the attainable Q1 share outside QPV
    with its binding reason. With ``published`` (``objectives``), the observed figures are the
    published ones and a verdict is shown only where ``verdict_reveals`` allows it."""
    ident = identities(published if published is not None else rows)
    ident["size_class"] = size_class(ident["dwellings"], bounds)
    table = objectives(rows, published, threshold)
    out = ident
    obs = table.loc[table["source"] == "observe"]
    shown = published if published is not None else rows
    pub = _published_quotas(shown) if "task" in shown else pd.DataFrame()
    for ind in Indicator:
        part = obs.loc[obs["indicator"] == ind].set_index("epci")
        figures = (
            pub.xs(str(ind), level="indicator")
            if len(pub) and str(ind) in pub.index.get_level_values("indicator")
            else part.iloc[0:0]
        )
        values = {
            f"{ind}_share": figures["share"],
            f"{ind}_low": figures["share_low"],
            f"{ind}_high": figures["share_high"],
            f"{ind}_attributions": figures["denominator"],
            f"{ind}_shortfall": figures["shortfall"],
        }
        for column, series in values.items():
            out[column] = out["epci"].map(series)
        met = part["met"].astype("boolean").mask(~part["shown"].astype(bool))
        out[f"{ind}_met"] = out["epci"].map(met).astype("boolean")
        out[f"{ind}_secret"] = out["epci"].map(part["secret"]).fillna(False).astype(bool)
    sim = table.loc[table["source"] == "simule"]
    if not sim.empty:
        # the baseline's share as published (a masked one stays masked)
        simulated = _published_epci(shown, Task.SIMULATION).reset_index()
        baseline = simulated.loc[simulated["scenario"] == str(sim["scenario"].iloc[0])]
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


def distribution(
    rows: pd.DataFrame,
    epci: pd.DataFrame,
    key: str,
    published: pd.DataFrame | None = None,
    threshold: int | None = None,
) -> pd.DataFrame:
    """Per value of ``key`` (``region`` or ``size_class`` of ``epci_table``) and legal
    objective: EPCIs, dwellings, EPCIs meeting the objective and their share, national and
    median shares (observed attributions, else the simulated baseline; ``published`` and
    ``threshold``: ``attainment``)."""
    table = _main_objectives(rows, published, threshold)
    extra = ["region_name"] if key == "region" else []
    columns = [key, *extra, "indicator", "epcis", "met", "share_met", "national_share",
               "median_share", "dwellings", "target"]  # fmt: skip
    if table.empty:
        return pd.DataFrame(columns=columns)
    merged = table.merge(epci[["epci", key, *extra, "dwellings"]], on="epci", how="left")
    out = _summary(merged, [key, *extra, "indicator"], threshold)
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


def publish_room(
    room: pd.DataFrame, rows: pd.DataFrame, published: pd.DataFrame, threshold: int | None = None
) -> pd.DataFrame:
    """The room for manoeuvre per EPCI (``room_for_manoeuvre`` of the unprotected ``rows``) as
    published: the achieved share, the room and the shortfall only where the quotas task
    published the EPCI's Q1 count outside QPV (the same attributions: published once, there),
    the attainable share as the diagnostic published it, the category only where its verdict
    may be published (``objectives``) and the attainable share is."""
    out = room.copy()
    table = objectives(rows, published, threshold)
    q1 = table.loc[
        (table["source"] == "observe") & (table["indicator"] == Indicator.Q1_OUTSIDE_QPV)
    ].set_index("epci")
    pub = _published_quotas(published)
    counted = (
        pub.xs(str(Indicator.Q1_OUTSIDE_QPV), level="indicator")
        if len(pub) and str(Indicator.Q1_OUTSIDE_QPV) in pub.index.get_level_values("indicator")
        else pd.DataFrame(columns=["denominator", "numerator"])
    )
    visible = (
        out["epci"].map(counted["denominator"]).notna()
        & out["epci"].map(counted["numerator"]).notna()
    ).to_numpy()
    for column in ("achieved_share", "room", "shortfall"):
        out[column] = out[column].where(visible)
    diag = published.loc[
        (published["task"] == Task.DIAGNOSTIC)
        & (published["level"] == Level.EPCI)
        & (published["indicator"] == NationalIndicator.ATTAINABLE_Q1)
    ].set_index("epci")
    out["attainable_share"] = out["epci"].map(diag["share"])
    verdict = out["epci"].map(q1["shown"]).fillna(True).astype(bool).to_numpy()
    attainable = out["attainable_share"].notna().to_numpy()
    out["category"] = out["category"].where(attainable & (visible | verdict))
    return out


def room_counts(room: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """EPCIs per category and binding reason of the room for manoeuvre, with their share of
    the EPCIs that have a result, and the sum of their shortfalls (attributions). ``room``
    unprotected; ``published`` its published form (``publish_room``): a cell's shortfall is
    masked where one of its EPCIs' is, and the EPCI counts where the withheld categories
    would come back by difference with the published ones (they all agree)."""
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
        ["category", "reason"], key=lambda s: s.map(order) if s.name == "category" else s
    ).reset_index(drop=True)
    if published is not None:
        shown = published.set_index("epci")
        cells = list(zip(known["category"], known["reason"].fillna(""), strict=True))
        # an EPCI meeting the objective has no shortfall: its cell's sum is 0, whatever is masked
        hidden_gap = (
            known["epci"].map(shown["shortfall"]).isna().to_numpy()
            & known["shortfall"].notna().to_numpy()
            & (known["category"] != "atteint").to_numpy()
        )
        withheld = known["epci"].map(shown["category"]).isna().to_numpy()
        masked_cells = {c for c, h in zip(cells, hidden_gap, strict=True) if h}
        keys = list(zip(out["category"], out["reason"].fillna(""), strict=True))
        out["shortfall"] = out["shortfall"].where(
            np.array([k not in masked_cells for k in keys], dtype=bool)
        )
        if withheld.any() and len({c for c, w in zip(cells, withheld, strict=True) if w}) == 1:
            out["epcis"] = pd.array([pd.NA] * len(out), dtype="Int64")
            out["share"] = np.nan
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
