"""Room for manoeuvre outside QPV: how many Q1 attributions the stock could take each year.

For the attributions of calendar year Y (``year``), with the store millésime N = Y + 1 (RPLS at
1/1/N with the leases of Y, applications pending at 31/12/Y), the module answers, per landlord,
commune, residence and for the EPCI (definitions in ``docs/marges.md``):

* which pending **Q1 applicants** (12 × monthly resources / UC below the Q1 threshold in force in
  Y, ``household.q1_status``) could take which dwellings outside QPV: the dwelling is
  **eligible** (the household's income is at most the income ceiling of the dwelling's financing
  family, PLAI / PLUS / PLS, the old stock and other financings taking the PLUS ceilings, for the
  household's category of ``household.ceiling_category``, « jeune ménage » and disability
  included; the income is the RFR ``tax_income``, 12 × ``monthly_resources`` when it is
  missing), **adequately sized**
  (rooms within [size + ``ecart_min``, size + ``ecart_max``], bounds clipped to
  [1, ``pieces_max``], the dwelling's rooms capped at ``pieces_max``) and **affordable** (effort
  rate after housing benefit and RLS at most the territory's maximum, reste à vivre at least its
  minimum, ``affordability.territory_thresholds``: ``territoire.yaml``, else the default charter
  ``solvabilite.*``);
* the **expected yearly vacancies** of each dwelling: the turnover rate of its residence
  (``stock.vacancy_turnover`` definitions: leases of Y in dwellings already in service over the
  stock in service) when the residence's stock in service reaches ``parc_min_residence``, else
  the turnover rate of its landlord outside QPV;
* the **maximum attainable share of Q1 attributions outside QPV** of a group g::

      attainable(g) = min(V_ok(g), A(g)) / V(g)

  with V(g) the expected vacancies of g's dwellings outside QPV offered for rent, V_ok(g) those of
  the dwellings that at least one pending Q1 applicant could take (eligible, sized, affordable)
  and A(g) the number of pending Q1 applicants who could take at least one dwelling of g;
* the **binding reason** of a group below the target: the largest of the expected vacancies lost
  to the income ceilings, to the sizes, to the rents, to the turnover (dwellings Q1 applicants
  could take turn over less than the group's others) and to the Q1 demand (the cap A);
* per residence and household size, the **rent reduction** (€/month) that would make the
  residence's typical dwelling for that size (median rent and surface of its adequately sized
  dwellings) affordable to the median Q1 applicant of that size (lower median by monthly
  resources).

Computation: dwellings are grouped into *types* (residence × capped rooms × ceiling kind ×
RLS flag; the type's rent and surface are the medians of its dwellings). The net rent
``rent − RLS − housing benefit`` of each Q1 applicant is computed once on a rent grid (step
``grille_loyer.pas``) for each APL context (zone × RLS flag) and interpolated linearly at the types'
rents, so that a pair applicant × type costs a few array operations; pairs are processed in
applicant blocks (bounded memory). Charges are ``solvabilite.charges_par_m2`` × surface (RPLS
holds no charges). The benefit formula is the one of ``affordability`` for every dwelling: since 2021 the
locatif formula is common to APL, ALF and ALS, so a non-conventionné dwelling only loses the RLS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.affordability import territory_thresholds
from mixite.errors import StoreError
from mixite.indicators._common import safe_ratio
from mixite.indicators.marges_definitions import DEFINITIONS
from mixite.indicators.marges_matching import (
    _match,
    applicant_frame,
    dwelling_types,
    expected_vacancy_rates,
    room_window,
    size_class,
    wished_commune_matrix,
)
from mixite.indicators.marges_rents import median_q1_households, net_rent, rent_reductions
from mixite.indicators.quotas import q1_threshold, quota_indicators
from mixite.params import Parameters, resolve
from mixite.vocabulary import TARGET_PARAMETERS, Indicator, Level

__all__ = [
    "DEFINITIONS",
    "Marges",
    "applicant_frame",
    "dwelling_types",
    "expected_vacancy_rates",
    "median_q1_households",
    "net_rent",
    "rent_reductions",
    "room_for_manoeuvre",
    "room_window",
    "size_class",
    "wished_commune_matrix",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _reason(frame: pd.DataFrame, target: float, no_demand: bool = False) -> pd.Series:
    losses = frame[["loss_rent", "loss_size", "loss_turnover", "loss_demand", "loss_ceiling"]]
    codes = np.array(["loyer", "taille", "vacances", "demande", "plafonds"], dtype=object)
    worst = codes[np.argmax(losses.to_numpy(dtype="float64"), axis=1)] if len(frame) else []
    if no_demand:  # without any Q1 applicant, the demand binds whatever the stock
        worst = np.full(len(frame), "demande", dtype=object)
    share = frame["attainable_share"].to_numpy(dtype="float64")
    out = np.where(
        frame["expected_vacancies"].to_numpy(dtype="float64") <= 0,
        "sans_parc",
        np.where(share >= target - 1e-12, "atteignable", worst),
    )
    return pd.Series(out, index=frame.index, dtype=object)


@dataclass(frozen=True)
class Marges:
    """The room for manoeuvre of one year (frames documented in ``DEFINITIONS``).

    ``groups``: one row per EPCI (``level`` « territoire »), landlord, commune and residence;
    ``by_size``: per level, group and household size class; ``rent_reductions``: per residence
    and size class. ``threshold`` is the Q1 threshold of ``year`` (€/year/UC).
    """

    year: int
    millesime: int
    wished_communes: bool
    threshold: float
    target: float
    max_effort_rate: float
    min_reste_a_vivre: float
    q1_applicants: int
    groups: pd.DataFrame
    by_size: pd.DataFrame
    rent_reductions: pd.DataFrame


_LEVEL_COLUMNS = {
    Level.EPCI: None,
    Level.LANDLORD: "landlord_id",
    Level.COMMUNE: "commune",
    Level.RESIDENCE: "residence_id",
}


def room_for_manoeuvre(
    frames: Mapping[str, pd.DataFrame],
    year: int,
    millesime: int | None = None,
    params: Parameters | None = None,
    strict_q1: bool = True,
    chunk_pairs: int = 2_000_000,
    wished_communes: bool = False,
) -> Marges:
    """Room for manoeuvre outside QPV for the attributions of ``year`` (see module docstring).

    ``frames`` holds the canonical tables of store millésime ``millesime`` (default
    ``year + 1``): ``dwellings``, ``applications``, ``communes``, ``territory`` (required),
    ``landlords`` and ``attributions`` (optional; the achieved share needs the attributions of
    ``year``). Dates: Q1 threshold of ``year``, ceilings and UC at 31/12/``year``, housing benefit
    of December ``year``. ``wished_communes``: an applicant can only take dwellings in the
    communes it wished (``wished_communes`` column; an applicant without any wish can take
    every commune); by default every applicant can take every commune of the territory.
    """
    for name in ("dwellings", "applications", "communes", "territory"):
        if name not in frames or frames[name] is None:
            from mixite.schema import STORE_FILES, import_hint

            raise StoreError(
                f"Il manque le {STORE_FILES[name]}, nécessaire aux marges de manœuvre. "
                + import_hint(name)
            )
    p = resolve(params)
    millesime = year + 1 if millesime is None else millesime
    when = dt.date(year, 12, 31)
    when_benefit = dt.date(year, 12, 1)
    territory = frames["territory"]
    threshold = q1_threshold(territory, year, p)
    target = float(p.value(TARGET_PARAMETERS[Indicator.Q1_OUTSIDE_QPV], when))
    thresholds = territory_thresholds(territory, when, p)
    n_classes = int(p.value("marges.tailles.classe_max", when))

    applicants = applicant_frame(frames["applications"], threshold, when, thresholds, p, strict_q1)
    dwellings, types = dwelling_types(
        frames["dwellings"], frames["communes"], frames.get("landlords"), millesime, when, p
    )
    labels: dict[str, list[str]] = {}
    groups: dict[str, IntArray] = {}
    for level, col in _LEVEL_COLUMNS.items():
        keys = (
            pd.Series(str(Level.EPCI), index=dwellings.index)
            if col is None
            else dwellings[col].astype(object).fillna("non renseigné").astype(str)
        )
        codes, uniques = pd.factorize(keys, sort=True)
        labels[level] = [str(u) for u in uniques]
        if col is None:  # the EPCI row exists even without any dwelling outside QPV
            labels[level] = [str(Level.EPCI)]
        dwellings[f"g_{level}"] = codes
        groups[level] = (
            dwellings.loc[dwellings["type_id"] >= 0]
            .drop_duplicates("type_id")
            .sort_values("type_id")[f"g_{level}"]
            .to_numpy(dtype=np.int64)
        )
    n_groups = {lv: len(labels[lv]) for lv in labels}
    wishes = (
        wished_commune_matrix(applicants, sorted(types["commune"].astype(str).unique()))
        if wished_communes
        else None
    )
    match = _match(
        applicants, types, groups, n_groups, n_classes, when, when_benefit, p, chunk_pairs, wishes
    )

    def per_dwelling(flags: BoolArray) -> BoolArray:
        tid = dwellings["type_id"].to_numpy(dtype=np.int64)
        out: BoolArray = np.where(
            tid >= 0, flags[np.maximum(tid, 0)] if len(flags) else False, False
        )
        return out

    rate = dwellings["rate"].to_numpy(dtype="float64")
    d_elig = per_dwelling(match.type_eligible)
    d_sized = per_dwelling(match.type_sized)
    d_ok = per_dwelling(match.type_ok)
    rows = []
    size_rows = []
    class_values = np.arange(1, n_classes + 1)
    q1_by_class = np.bincount(
        applicants["size_class"].to_numpy(dtype=np.int64) - 1, minlength=n_classes
    )[:n_classes]
    for level in _LEVEL_COLUMNS:
        g = dwellings[f"g_{level}"].to_numpy(dtype=np.int64)
        n = n_groups[level]

        def total(weights: FloatArray, g: IntArray = g, n: int = n) -> FloatArray:
            out: FloatArray = np.asarray(
                np.bincount(g, weights=weights, minlength=n)[:n], dtype="float64"
            )
            return out

        a_ok: FloatArray
        if level == Level.EPCI:
            a_ok = np.array([float(match.applicant_any_ok.sum())])
        else:
            a_ok = match.applicant_ok[level].sum(axis=0)
        frame = pd.DataFrame(
            {
                "level": str(level),
                "group": labels[level],
                "dwellings": total(np.ones(len(g))),
                "dwellings_ok": total(d_ok.astype("float64")),
                "expected_vacancies": total(rate),
                "vacancies_eligible": total(rate * d_elig),
                "vacancies_sized": total(rate * d_sized),
                "vacancies_ok": total(rate * d_ok),
                "q1_applicants_ok": a_ok,
            }
        )
        frame["attainable_q1"] = np.minimum(frame["vacancies_ok"], frame["q1_applicants_ok"])
        frame["attainable_share"] = safe_ratio(frame["attainable_q1"], frame["expected_vacancies"])
        frame["loss_ceiling"] = frame["expected_vacancies"] - frame["vacancies_eligible"]
        frame["loss_size"] = frame["vacancies_eligible"] - frame["vacancies_sized"]
        frame["loss_rent"] = frame["vacancies_sized"] - frame["vacancies_ok"]
        share_ok = safe_ratio(frame["dwellings_ok"], frame["dwellings"]).fillna(0.0)
        frame["loss_turnover"] = np.maximum(
            frame["expected_vacancies"] * share_ok - frame["vacancies_ok"], 0.0
        )
        frame["loss_demand"] = frame["vacancies_ok"] - frame["attainable_q1"]
        frame["dwellings"] = frame["dwellings"].astype(np.int64)
        frame["dwellings_ok"] = frame["dwellings_ok"].astype(np.int64)
        frame["q1_applicants_ok"] = frame["q1_applicants_ok"].astype(np.int64)
        rows.append(frame)
        if level == Level.EPCI:
            per_class_ok = np.bincount(
                applicants["size_class"].to_numpy(dtype=np.int64)[match.applicant_any_ok] - 1,
                minlength=n_classes,
            )[:n_classes, None].astype("float64")
            per_class_sized = match.applicant_sized[level]
        else:
            per_class_ok = match.applicant_ok[level]
            per_class_sized = match.applicant_sized[level]
        vac_class = (
            np.stack(
                [total(rate * per_dwelling(match.type_ok_class[:, c])) for c in range(n_classes)]
            )
            if n_classes
            else np.zeros((0, n))
        )
        for c in range(n_classes):
            size_rows.append(
                pd.DataFrame(
                    {
                        "level": str(level),
                        "group": labels[level],
                        "size_class": int(class_values[c]),
                        "q1_applicants": int(q1_by_class[c]),
                        "q1_applicants_sized": per_class_sized[c].astype(np.int64),
                        "q1_applicants_ok": per_class_ok[c].astype(np.int64),
                        "vacancies_ok": vac_class[c],
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    table["target"] = target
    table = _with_achieved(table, frames.get("attributions"), year, threshold, p, strict_q1)
    table["reason"] = _reason(table, target, no_demand=applicants.empty)
    by_size = pd.concat(size_rows, ignore_index=True)
    by_size["share_ok"] = safe_ratio(by_size["q1_applicants_ok"], by_size["q1_applicants"])
    medians = median_q1_households(applicants)
    reductions = rent_reductions(dwellings, medians, when_benefit, p)
    return Marges(
        year=year,
        millesime=millesime,
        wished_communes=wished_communes,
        threshold=threshold,
        target=target,
        max_effort_rate=thresholds.max_effort_rate,
        min_reste_a_vivre=thresholds.min_reste_a_vivre,
        q1_applicants=len(applicants),
        groups=table,
        by_size=by_size,
        rent_reductions=reductions,
    )


def _with_achieved(
    table: pd.DataFrame,
    attributions: pd.DataFrame | None,
    year: int,
    threshold: float,
    params: Parameters,
    strict: bool,
) -> pd.DataFrame:
    table = table.copy()
    table["achieved_attributions"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["achieved_share"] = np.nan
    if attributions is None or attributions.empty:
        return table
    quotas = quota_indicators(
        attributions,
        year,
        threshold,
        levels=(Level.EPCI, Level.LANDLORD, Level.COMMUNE),
        params=params,
        strict=strict,
    )
    quotas = quotas.loc[quotas["indicator"] == Indicator.Q1_OUTSIDE_QPV].set_index(
        ["level", "group"]
    )
    keys = pd.MultiIndex.from_arrays([table["level"], table["group"]])
    den = quotas["denominator"].reindex(keys)
    share = quotas["share"].reindex(keys)
    table["achieved_attributions"] = pd.array(den.to_numpy(), dtype="Int64")
    table["achieved_share"] = share.to_numpy(dtype="float64")
    return table
