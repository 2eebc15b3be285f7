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
from scipy import sparse

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
    table = np.empty((n_a, len(contexts) * n_grid), dtype="float64")
    for i, (zone, rls) in enumerate(contexts):
        rows = max(1, chunk_pairs // n_grid)
        for start in range(0, n_a, rows):
            part = applicants.iloc[start : start + rows]
            table[start : start + rows, i * n_grid : (i + 1) * n_grid] = net_rent(
                part, grid[None, :], zone, rls, when_benefit, params
            )
    position = t_rent / step
    i0 = np.minimum(np.floor(position).astype(np.int64), n_grid - 2)
    weight = position - i0
    col0 = t_ctx * n_grid + i0
    t_charges = types["charges"].to_numpy(dtype="float64")
    t_rooms = types["rooms_cap"].to_numpy(dtype=np.int64)

    type_sized = np.zeros(n_t, dtype=bool)
    type_ok = np.zeros(n_t, dtype=bool)
    type_ok_class = np.zeros((n_t, n_classes), dtype=bool)
    onehot = {
        level: sparse.csr_matrix(
            (np.ones(n_t, dtype=np.float32), (np.arange(n_t), g)), shape=(n_t, n_groups[level])
        )
        for level, g in groups.items()
    }
    applicant_ok = {lv: np.zeros((n_classes, n_groups[lv])) for lv in groups}
    applicant_sized = {lv: np.zeros((n_classes, n_groups[lv])) for lv in groups}
    applicant_any_ok = np.zeros(n_a, dtype=bool)

    a_lo = applicants["rooms_lo"].to_numpy(dtype=np.int64)
    a_hi = applicants["rooms_hi"].to_numpy(dtype=np.int64)
    a_class = applicants["size_class"].to_numpy(dtype=np.int64) - 1
    budget = applicants["budget"].to_numpy(dtype="float64")
    windows = sorted(set(zip(a_lo.tolist(), a_hi.tolist(), strict=True)))
    for lo, hi in windows:
        members = np.flatnonzero((a_lo == lo) & (a_hi == hi))
        cols = np.flatnonzero((t_rooms >= lo) & (t_rooms <= hi))
        if not len(cols):
            continue
        sel = {lv: onehot[lv][cols] for lv in groups}
        # combo × group: a type of the window with this combo is in the group (without wishes,
        # an applicant has a sized type in a group iff it is under the ceiling of one of them)
        combo_in = {
            lv: sparse.csr_matrix(
                (np.ones(len(cols), dtype=np.float32), (t_combo[cols], groups[lv][cols])),
                shape=(len(combos), n_groups[lv]),
            )
            for lv in groups
        }
        rows = max(1, chunk_pairs // len(cols))
        c_combo, c_low, c_high = t_combo[cols], col0[cols], col0[cols] + 1
        c_weight, c_rest, c_charges = weight[cols], 1.0 - weight[cols], t_charges[cols]
        for start in range(0, len(members), rows):
            block = members[start : start + rows]
            elig = under[np.ix_(block, c_combo)]
            if wishes is not None:
                elig &= wishes[np.ix_(block, t_commune[cols])]
            sub = table[block]
            # net rent interpolated on the grid, plus charges, within the budget: the same
            # operations in the same order as « low × (1 − w) + high × w + charges », in place
            net = sub[:, c_low]
            net *= c_rest
            high = sub[:, c_high]
            high *= c_weight
            net += high
            net += c_charges
            ok = np.less_equal(net, budget[block, None])
            ok &= elig
            del net, high, sub
            type_sized[cols] |= elig.any(axis=0)
            ok_any_rows = ok.any(axis=0)
            type_ok[cols] |= ok_any_rows
            classes = a_class[block]
            in_class = [(c, classes == c) for c in np.unique(classes)]
            for c, rows_c in in_class:
                type_ok_class[cols, c] |= ok[rows_c].any(axis=0)
            any_ok = ok.any(axis=1)
            applicant_any_ok[block] |= any_ok
            ok_float = ok.astype(np.float32)
            for lv in groups:
                if n_groups[lv] == 1:  # every type in the one group
                    has_ok = any_ok[:, None]
                else:
                    has_ok = np.asarray(ok_float @ sel[lv]) > 0
                if wishes is None:
                    has_sized = np.asarray(under[block].astype(np.float32) @ combo_in[lv]) > 0
                else:
                    has_sized = np.asarray(elig.astype(np.float32) @ sel[lv]) > 0
                # integer counts per class and group, exact in any order (``np.add.at`` was slow)
                for c, rows_c in in_class:
                    applicant_ok[lv][c] += has_ok[rows_c].sum(axis=0)
                    applicant_sized[lv][c] += has_sized[rows_c].sum(axis=0)
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
