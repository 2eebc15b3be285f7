"""Which pending Q1 applicants could take which dwellings outside QPV: applicants' size classes and
affordability thresholds, dwelling types (residence × rooms × ceiling kind × RLS), expected yearly
vacancies, and the matching of applicants to types under the income ceilings, the typology and
the effort rate and reste à vivre after housing benefit (``docs/marges.md``)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit

from mixite.affordability import Thresholds
from mixite.ceilings import category_ceiling
from mixite.household import annual_resources, ceiling_category, consumption_units, q1_status
from mixite.indicators._common import require_columns
from mixite.indicators.marges_rents import net_rent
from mixite.params import Parameters, resolve

__all__ = [
    "applicant_frame",
    "dwelling_types",
    "expected_vacancy_rates",
    "room_window",
    "size_class",
    "wished_commune_matrix",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def size_class(household_size: Any, max_class: int) -> IntArray:
    """Household size class 1..``max_class`` (the last one reads « ``max_class`` and more »)."""
    out: IntArray = np.clip(np.asarray(household_size, dtype=np.int64), 1, max_class)
    return out


def room_window(
    household_size: Any, when: dt.date, params: Parameters | None = None
) -> tuple[IntArray, IntArray]:
    """Adequate rooms ``(min, max)`` for households: size + ``ecart_min`` … size + ``ecart_max``.

    Both bounds are clipped to [1, ``marges.adequation.pieces_max``]; a dwelling's rooms are
    capped at the same maximum before the comparison (a T7 counts as a T6).
    """
    p = resolve(params)
    low = int(p.value("marges.adequation.ecart_min", when))
    high = int(p.value("marges.adequation.ecart_max", when))
    cap = int(p.value("marges.adequation.pieces_max", when))
    size = np.asarray(household_size, dtype=np.int64)
    lo: IntArray = np.clip(size + low, 1, cap)
    hi: IntArray = np.clip(size + high, 1, cap)
    return lo, hi


def expected_vacancy_rates(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.Series:
    """Expected yearly vacancies of each dwelling: the turnover rate of its residence or landlord.

    RPLS turnover definitions of ``stock.vacancy_turnover`` (leases of N-1 in dwellings already in
    service, over the stock in service offered for rent), computed separately inside and outside
    QPV. A residence whose stock in service is below ``marges.mobilite.parc_min_residence`` takes
    its landlord's rate (same QPV status); a dwelling not offered for rent gets 0. Indexed like
    ``dwellings``.
    """
    from mixite.indicators.stock import vacancy_turnover

    p = resolve(params)
    when = dt.date(millesime, 1, 1)
    minimum = int(p.value("marges.mobilite.parc_min_residence", when))
    offered_modes = [str(m) for m in p.value("indicateurs.vacance.modes_proposes", when)]
    frame = dwellings.reset_index(drop=True)
    qpv = frame["in_qpv"].astype(bool).map({True: "Q", False: "H"}).astype(str)
    res_key = frame["residence_id"].astype(str) + "|" + qpv
    lan_key = frame["landlord_id"].astype(object).fillna("?").astype(str) + "|" + qpv
    rates = []
    for key in (res_key, lan_key):
        tmp = frame.assign(residence_id=key.to_numpy())
        table = vacancy_turnover(tmp, millesime, "residence", p).set_index("residence_id")
        rates.append(table)
    res_table, lan_table = rates
    res_rate = res_key.map(res_table["turnover_rate"]).to_numpy(dtype="float64")
    res_base = res_key.map(res_table["turnover_base"]).to_numpy(dtype="float64")
    lan_rate = lan_key.map(lan_table["turnover_rate"]).to_numpy(dtype="float64")
    rate = np.where((res_base >= minimum) & np.isfinite(res_rate), res_rate, lan_rate)
    rate = np.nan_to_num(rate, nan=0.0)
    offered = frame["occupancy_mode"].astype(object).isin(offered_modes).to_numpy()
    return pd.Series(np.where(offered, rate, 0.0), index=dwellings.index, name="rate")


def applicant_frame(
    applications: pd.DataFrame,
    threshold: float,
    when: dt.date,
    thresholds: Thresholds,
    params: Parameters | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """The pending Q1 applicants with what the matching needs, one row each.

    Columns added to the applications: ``size_class``, ``rooms_lo``/``rooms_hi`` (adequate
    rooms), ``income`` (RFR, 12 × monthly resources when missing: ceilings and benefit base),
    ``couple`` (two adults), ``units`` (UC of ``mixite.household``) and ``budget`` (€/month: the
    largest net housing cost meeting both the effort rate and the reste à vivre,
    ``min(max_effort_rate × M, M − min_reste_a_vivre × UC × days_per_month)``, ``thresholds``).
    """
    require_columns(
        applications,
        [
            "household_size",
            "adults",
            "persons_14plus",
            "dependants",
            "monthly_resources",
            "tax_income",
        ],
        "applications",
    )
    p = resolve(params)
    q1 = q1_status(applications, threshold, when, p, strict).to_numpy(dtype=bool)
    frame = applications.loc[q1].reset_index(drop=True).copy()
    monthly = frame["monthly_resources"].to_numpy(dtype="float64")
    tax = pd.to_numeric(frame["tax_income"], errors="coerce").to_numpy(dtype="float64")
    frame["income"] = np.where(np.isfinite(tax), tax, annual_resources(monthly))
    size = frame["household_size"].to_numpy(dtype=np.int64)
    frame["size_class"] = size_class(size, int(p.value("marges.tailles.classe_max", when)))
    lo, hi = room_window(size, when, p)
    frame["rooms_lo"], frame["rooms_hi"] = lo, hi
    frame["couple"] = frame["adults"].to_numpy(dtype=np.int64) >= 2
    frame["units"] = consumption_units(
        frame["adults"], frame["persons_14plus"], frame["household_size"], when, p
    )
    floor = (
        thresholds.min_reste_a_vivre
        * frame["units"].to_numpy(dtype="float64")
        * thresholds.days_per_month
    )
    frame["budget"] = np.minimum(thresholds.max_effort_rate * monthly, monthly - floor)
    return frame


def dwelling_types(
    dwellings: pd.DataFrame,
    communes: pd.DataFrame,
    landlords: pd.DataFrame | None,
    millesime: int,
    when: dt.date,
    params: Parameters | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dwellings outside QPV offered for rent, and their types.

    Returns ``(dwellings, types)``. The dwellings frame adds ``rate`` (expected vacancies),
    ``rooms_cap``, ``kind`` (ceiling kind), ``ceiling_zone``, ``apl_zone``, ``rls`` (RLS applies:
    conventionné dwelling of a landlord of ``marges.rls.categories_bailleurs``; every landlord when
    the landlords table is missing), ``charges`` and ``type_id``. A missing rent is replaced by the
    median rent of the same residence and rooms; dwellings still without rent or zone get no type
    (``type_id`` −1: never accessible). Types are residence × capped rooms × kind × RLS flag with
    the median rent and surface of their dwellings.
    """
    require_columns(
        dwellings,
        ["residence_id", "landlord_id", "commune", "in_qpv", "rooms", "surface", "finan_family"],
        "dwellings",
    )
    require_columns(communes, ["commune", "apl_zone", "ceiling_zone"], "communes")
    p = resolve(params)
    rates = expected_vacancy_rates(dwellings, millesime, p)
    offered_modes = [str(m) for m in p.value("indicateurs.vacance.modes_proposes", when)]
    keep = (~dwellings["in_qpv"].astype(bool)).to_numpy() & dwellings["occupancy_mode"].astype(
        object
    ).isin(offered_modes).to_numpy()
    out = dwellings.loc[keep].copy()
    out["rate"] = rates.loc[keep].to_numpy()
    out = out.reset_index(drop=True)
    cap = int(p.value("marges.adequation.pieces_max", when))
    out["rooms_cap"] = np.clip(out["rooms"].to_numpy(dtype=np.int64), 1, cap)
    kinds: Mapping[str, str] = p.value("marges.plafonds.famille_financement", when)
    out["kind"] = out["finan_family"].map(lambda f: kinds.get(str(f), "plus"))
    zones = communes.drop_duplicates("commune").set_index("commune")
    out["ceiling_zone"] = out["commune"].map(zones["ceiling_zone"])
    out["apl_zone"] = pd.to_numeric(out["commune"].map(zones["apl_zone"]), errors="coerce")
    rls_kinds = {str(k) for k in p.value("marges.rls.categories_bailleurs", when)}
    if landlords is not None and len(landlords):
        kind_of = landlords.drop_duplicates("landlord_id").set_index("landlord_id")["landlord_kind"]
        hlm = out["landlord_id"].map(kind_of).isin(rls_kinds).to_numpy()
    else:
        hlm = np.ones(len(out), dtype=bool)
    conv = (
        out["conventionne"].astype(bool).to_numpy()
        if "conventionne" in out
        else np.ones(len(out), dtype=bool)
    )
    out["rls"] = hlm & conv
    rent = pd.to_numeric(out["rent"], errors="coerce").astype("float64")
    fill = rent.groupby([out["residence_id"], out["rooms_cap"]]).transform("median")
    out["rent"] = rent.fillna(fill)
    per_m2 = float(p.value("solvabilite.charges_par_m2", when))
    out["charges"] = per_m2 * pd.to_numeric(out["surface"], errors="coerce").fillna(0.0)
    valid = (
        out["rent"].notna() & out["apl_zone"].isin([1, 2, 3]) & out["ceiling_zone"].notna()
    ).to_numpy()
    keys = ["residence_id", "rooms_cap", "kind", "rls"]
    grouped = out.loc[valid].groupby(keys, sort=True)
    types = grouped.agg(
        landlord_id=("landlord_id", "first"),
        commune=("commune", "first"),
        ceiling_zone=("ceiling_zone", "first"),
        apl_zone=("apl_zone", "first"),
        rent=("rent", "median"),
        surface=("surface", "median"),
        dwellings=("rent", "size"),
        vacancies=("rate", "sum"),
    ).reset_index()
    types["charges"] = per_m2 * types["surface"].astype("float64")
    type_id = np.full(len(out), -1, dtype=np.int64)
    type_id[valid] = grouped.ngroup().to_numpy(dtype=np.int64)
    out["type_id"] = type_id
    return out, types


def _ceiling_matrix(
    applicants: pd.DataFrame, combos: list[tuple[str, str]], when: dt.date, params: Parameters
) -> FloatArray:
    out = np.empty((len(applicants), len(combos)), dtype="float64")
    category, extra = ceiling_category(applicants, when, params)
    for j, (kind, zone) in enumerate(combos):
        zones = np.full(len(applicants), zone, dtype=object)
        out[:, j] = category_ceiling(kind, zones, category, extra, when, params)
    return out


@dataclass(frozen=True)
class _Match:
    """What the applicant × type matching yields."""

    type_eligible: BoolArray  # (T,) at least one Q1 applicant under the ceiling
    type_sized: BoolArray  # (T,) … under the ceiling and adequately sized
    type_ok: BoolArray  # (T,) … and affordable
    type_ok_class: BoolArray  # (T, C) accessible to an applicant of size class c
    applicant_ok: dict[str, FloatArray]  # level → (C, G) applicants with an accessible type
    applicant_sized: dict[str, FloatArray]  # level → (C, G) applicants with a sized type
    applicant_any_ok: BoolArray  # (A,) applicant has an accessible type anywhere


@njit(cache=True, nogil=True)
def _match_window(
    members: Any,
    offset: int,
    cols: Any,
    under: Any,
    wishes: Any,
    use_wishes: bool,
    c_combo: Any,
    c_commune: Any,
    table: Any,
    c_ctx: Any,
    c_low: Any,
    c_rest: Any,
    c_weight: Any,
    c_charges: Any,
    budget: Any,
    a_class: Any,
    c_groups: Any,
    type_sized: Any,
    type_ok: Any,
    type_ok_class: Any,
    applicant_any_ok: Any,
    ok_counts: Any,
    sized_counts: Any,
) -> None:  # pragma: no cover - compiled by Numba (tested through _match)
    """Match the applicants ``members`` of one room window with the types ``cols`` of that
    window (``c_*``: the types' values in the order of ``cols``), in place; ``table`` holds the
    net rents of applicants ``offset``, ``offset + 1``…

    A pair is eligible when the applicant is under the type's ceiling (and, with
    ``use_wishes``, wished its commune); it is accessible when, moreover, the net rent
    interpolated on the applicant's grid plus charges is within its budget, computed as
    « low × (1 − w) + high × w + charges » in that order: the same float64 operations as the
    array version it replaces, so the same verdicts. Counts each applicant once per group of
    each level where it has an accessible type (and, with ``use_wishes``, an eligible one; the
    caller counts those through the ceilings otherwise)."""
    n_cols = cols.shape[0]
    n_levels = c_groups.shape[0]
    max_groups = ok_counts.shape[2]
    seen_ok = np.full((n_levels, max_groups), -1, dtype=np.int64)
    seen_sized = np.full((n_levels, max_groups), -1, dtype=np.int64)
    ok = np.empty(n_cols, dtype=np.bool_)
    for i in range(members.shape[0]):
        a = members[i]
        c = a_class[a]
        limit = budget[a]
        eligible = under[a]
        # branch-free pass over the window's types, then the bookkeeping of the accessible ones
        for j in range(n_cols):
            low = table[c_ctx[j], a - offset, c_low[j]] * c_rest[j]
            high = table[c_ctx[j], a - offset, c_low[j] + 1] * c_weight[j]
            net = low + high
            net = net + c_charges[j]
            ok[j] = (net <= limit) & eligible[c_combo[j]]
        if use_wishes:
            wished = wishes[a]
            for j in range(n_cols):
                if eligible[c_combo[j]] and wished[c_commune[j]]:
                    type_sized[cols[j]] = True
                    for k in range(n_levels):
                        g = c_groups[k, j]
                        if seen_sized[k, g] != i:
                            seen_sized[k, g] = i
                            sized_counts[k, c, g] += 1
                else:
                    ok[j] = False
        any_ok = False
        for j in range(n_cols):
            if ok[j]:
                any_ok = True
                t = cols[j]
                type_ok[t] = True
                type_ok_class[t, c] = True
                for k in range(n_levels):
                    g = c_groups[k, j]
                    if seen_ok[k, g] != i:
                        seen_ok[k, g] = i
                        ok_counts[k, c, g] += 1
        if any_ok:
            applicant_any_ok[a] = True


def _match(
    applicants: pd.DataFrame,
    types: pd.DataFrame,
    groups: Mapping[str, IntArray],
    n_groups: Mapping[str, int],
    n_classes: int,
    when_ceiling: dt.date,
    when_benefit: dt.date,
    params: Parameters,
    chunk_pairs: int,
    wishes: BoolArray | None = None,
) -> _Match:
    """Match Q1 applicants with dwelling types. ``wishes`` (applicants × communes of
    ``types["commune"]`` in sorted order), when given, restricts each applicant to the communes
    it wished."""
    n_a, n_t = len(applicants), len(types)
    communes = sorted(types["commune"].astype(str).unique().tolist())
    t_commune = (
        types["commune"].astype(str).map({c: i for i, c in enumerate(communes)}).to_numpy()
    ).astype(np.int64)
    combos = sorted(set(zip(types["kind"], types["ceiling_zone"], strict=True)))
    combo_index = {c: i for i, c in enumerate(combos)}
    t_combo = np.array(
        [combo_index[c] for c in zip(types["kind"], types["ceiling_zone"], strict=True)],
        dtype=np.int64,
    )
    ceilings = (
        _ceiling_matrix(applicants, combos, when_ceiling, params)
        if n_a
        else np.zeros((0, len(combos)))
    )
    income = applicants["income"].to_numpy(dtype="float64")
    # applicant × combo: the income is under the ceiling of the combo's kind and zone
    under: BoolArray = income[:, None] <= ceilings
    eligible_combo: BoolArray = np.asarray(
        under.any(axis=0) if n_a else np.zeros(len(combos), dtype=bool),
        dtype=bool,
    )
    type_eligible = eligible_combo[t_combo] if n_t else np.zeros(0, dtype=bool)
    if wishes is not None and n_a and n_t:
        reach = (under.astype(np.float32).T @ wishes.astype(np.float32)) > 0  # combo × commune
        type_eligible = reach[t_combo, t_commune]

    # Net rent of every applicant on a rent grid, per APL context (zone × RLS flag).
    step = float(params.value("marges.grille_loyer.pas", when_benefit))
    t_rent = types["rent"].to_numpy(dtype="float64")
    n_grid = math.floor((float(t_rent.max()) if n_t else 0.0) / step) + 2
    grid = step * np.arange(n_grid, dtype="float64")
    contexts = sorted(
        set(zip(types["apl_zone"].astype(int), types["rls"].astype(bool), strict=True))
    )
    ctx_index = {c: i for i, c in enumerate(contexts)}
    t_ctx = np.array(
        [
            ctx_index[c]
            for c in zip(types["apl_zone"].astype(int), types["rls"].astype(bool), strict=True)
        ],
        dtype=np.int64,
    )
    position = t_rent / step
    i0 = np.minimum(np.floor(position).astype(np.int64), n_grid - 2)
    weight = position - i0
    t_charges = types["charges"].to_numpy(dtype="float64")
    t_rooms = types["rooms_cap"].to_numpy(dtype=np.int64)

    type_sized = np.zeros(n_t, dtype=bool)
    type_ok = np.zeros(n_t, dtype=bool)
    type_ok_class = np.zeros((n_t, n_classes), dtype=bool)
    levels = list(groups)
    n_levels, max_groups = len(levels), max([n_groups[lv] for lv in levels], default=1)
    t_groups = np.zeros((n_levels, n_t), dtype=np.int64)
    for k, lv in enumerate(levels):
        t_groups[k] = groups[lv]
    ok_counts = np.zeros((n_levels, n_classes, max_groups), dtype=np.int64)
    sized_counts = np.zeros((n_levels, n_classes, max_groups), dtype=np.int64)
    applicant_any_ok = np.zeros(n_a, dtype=bool)

    a_lo = applicants["rooms_lo"].to_numpy(dtype=np.int64)
    a_hi = applicants["rooms_hi"].to_numpy(dtype=np.int64)
    a_class = applicants["size_class"].to_numpy(dtype=np.int64) - 1
    budget = applicants["budget"].to_numpy(dtype="float64")
    rest = 1.0 - weight
    use_wishes = wishes is not None
    wish = np.ascontiguousarray(wishes if wishes is not None else np.zeros((n_a, 1), dtype=bool))
    under = np.ascontiguousarray(under)
    windows = sorted(set(zip(a_lo.tolist(), a_hi.tolist(), strict=True)))
    a_window = np.zeros(n_a, dtype=np.int64)
    window_types = []
    for w, (lo, hi) in enumerate(windows):
        members = np.flatnonzero((a_lo == lo) & (a_hi == hi))
        a_window[members] = w
        cols = np.flatnonzero((t_rooms >= lo) & (t_rooms <= hi))
        window_types.append(cols)
        if not len(cols) or use_wishes:
            continue
        # without wishes, eligibility is the ceiling's: a type is sized when one applicant of
        # the window is under its ceiling, and an applicant has a sized type in a group when it
        # is under the ceiling of one of the group's types of the window
        c_combo, c_groups = t_combo[cols], t_groups[:, cols]
        member_under = under[members]
        type_sized[cols] |= np.asarray(member_under.any(axis=0), dtype=bool)[c_combo]
        # applicants counted by (ceilings they are under, size class): few distinct patterns
        patterns, pattern_of = np.unique(member_under, axis=0, return_inverse=True)
        per_pattern = np.zeros((len(patterns), n_classes), dtype=np.int64)
        np.add.at(per_pattern, (pattern_of.reshape(-1), a_class[members]), 1)
        for k in range(n_levels):
            combo_in = np.zeros((len(combos), max_groups), dtype=np.int64)
            combo_in[c_combo, c_groups[k]] = 1
            has_sized = (patterns.astype(np.int64) @ combo_in) > 0  # pattern × group
            sized_counts[k] += per_pattern.T @ has_sized.astype(np.int64)
    # Net rent of a block of applicants on the rent grid, per APL context (zone × RLS flag):
    # context × applicant × grid, one buffer reused from block to block; then the block's
    # applicants matched with the types of their room window.
    rows = max(1, chunk_pairs // n_grid)
    table = np.empty((len(contexts), min(rows, n_a), n_grid), dtype="float64")
    for start in range(0, n_a, rows):
        stop = min(start + rows, n_a)
        part = applicants.iloc[start:stop]
        for i, (zone, rls) in enumerate(contexts):
            table[i, : stop - start] = net_rent(
                part, grid[None, :], zone, rls, when_benefit, params
            )
        for w, cols in enumerate(window_types):
            members = start + np.flatnonzero(a_window[start:stop] == w)
            if not len(cols) or not len(members):
                continue
            _match_window(
                members,
                start,
                cols,
                under,
                wish,
                use_wishes,
                t_combo[cols],
                t_commune[cols],
                table,
                t_ctx[cols],
                i0[cols],
                rest[cols],
                weight[cols],
                t_charges[cols],
                budget,
                a_class,
                np.ascontiguousarray(t_groups[:, cols]),
                type_sized,
                type_ok,
                type_ok_class,
                applicant_any_ok,
                ok_counts,
                sized_counts,
            )
    applicant_ok = {
        lv: ok_counts[k, :, : n_groups[lv]].astype("float64") for k, lv in enumerate(levels)
    }
    applicant_sized = {
        lv: sized_counts[k, :, : n_groups[lv]].astype("float64") for k, lv in enumerate(levels)
    }
    return _Match(
        type_eligible=type_eligible,
        type_sized=type_sized,
        type_ok=type_ok,
        type_ok_class=type_ok_class,
        applicant_ok=applicant_ok,
        applicant_sized=applicant_sized,
        applicant_any_ok=applicant_any_ok,
    )


def wished_commune_matrix(applicants: pd.DataFrame, communes: list[str]) -> BoolArray:
    """Boolean matrix applicants × ``communes``: the commune is among the applicant's wishes.

    An applicant whose list of wished communes is empty can take every commune; wishes outside
    ``communes`` are ignored.
    """
    require_columns(applicants, ["wished_communes"], "applications")
    index = {c: j for j, c in enumerate(communes)}
    out = np.zeros((len(applicants), len(communes)), dtype=bool)
    for i, wished in enumerate(applicants["wished_communes"]):
        codes = [str(c) for c in (wished if isinstance(wished, (list, tuple, np.ndarray)) else [])]
        if not codes:
            out[i] = True
            continue
        for code in codes:
            j = index.get(code)
            if j is not None:
                out[i, j] = True
    return out
