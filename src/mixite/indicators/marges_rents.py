"""Rents and the room for manoeuvre: the net rent of an applicant after housing benefit and RLS,
the median Q1 household of each size, and the rent reduction that would make each residence's
typical dwelling affordable to it (``docs/marges.md``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.affordability import apl_scale, housing_benefit
from mixite.params import Parameters, resolve

__all__ = [
    "median_q1_households",
    "net_rent",
    "rent_reductions",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def net_rent(
    applicants: pd.DataFrame,
    rent: Any,
    apl_zone: Any,
    rls: Any,
    when: dt.date,
    params: Parameters | None = None,
) -> FloatArray:
    """``rent − RLS − housing benefit`` (€/month) for applicants (rows) × rents (broadcast).

    ``applicants`` needs ``couple``, ``dependants``, ``income`` (benefit resource base);
    ``rent``, ``apl_zone``, ``rls`` broadcast against an ``(n, 1)`` applicant axis.
    """
    scale = apl_scale(when, params)
    benefit, granted_rls = housing_benefit(
        zone=np.asarray(apl_zone),
        couple=applicants["couple"].to_numpy(dtype=bool)[:, None],
        dependants=applicants["dependants"].to_numpy(dtype=np.int64)[:, None],
        rent=np.asarray(rent, dtype="float64"),
        annual_resources=applicants["income"].to_numpy(dtype="float64")[:, None],
        scale=scale,
        hlm=np.asarray(rls, dtype=bool),
    )
    out: FloatArray = np.asarray(rent, dtype="float64") - granted_rls - benefit
    return out


def median_q1_households(applicants: pd.DataFrame) -> pd.DataFrame:
    """The median Q1 applicant of each size class: lower median by monthly resources.

    One row per size class present (the applicant row itself, so its composition is real).
    """
    if applicants.empty:
        return applicants.copy()
    ordered = applicants.sort_values(["size_class", "monthly_resources"], kind="stable")
    rows = []
    for _, part in ordered.groupby("size_class", sort=True):
        rows.append(part.iloc[(len(part) - 1) // 2])
    return pd.DataFrame(rows).reset_index(drop=True)


def rent_reductions(
    dwellings: pd.DataFrame,
    medians: pd.DataFrame,
    when_benefit: dt.date,
    params: Parameters | None = None,
    iterations: int = 40,
) -> pd.DataFrame:
    """Per residence outside QPV and size class: the rent reduction making it affordable.

    ``dwellings`` is the first frame returned by ``dwelling_types``; ``medians`` comes from
    ``median_q1_households`` (applicant columns of ``applicant_frame``). The typical dwelling of a
    residence for a size class has the median rent and surface of the residence's dwellings whose
    capped rooms fit the median household's window. The affordable rent is the largest rent whose
    net cost (rent − RLS − benefit + charges) stays within the household's ``budget``, found by
    bisection (the net cost is non-decreasing in the rent); NaN when even a zero rent is too
    dear. Columns: ``residence_id``, ``landlord_id``, ``commune``, ``size_class``,
    ``median_resources``, ``typical_rent``, ``affordable_rent``, ``rent_reduction``.
    """
    p = resolve(params)
    columns = [
        "residence_id", "landlord_id", "commune", "size_class", "median_resources",
        "typical_rent", "affordable_rent", "rent_reduction",
    ]  # fmt: skip
    known = dwellings.loc[dwellings["type_id"] >= 0]
    if known.empty or medians.empty:
        return pd.DataFrame(columns=columns)
    per_m2 = float(p.value("solvabilite.charges_par_m2", when_benefit))
    pieces = []
    for _, household in medians.iterrows():
        fits = (known["rooms_cap"] >= household["rooms_lo"]) & (
            known["rooms_cap"] <= household["rooms_hi"]
        )
        part = known.loc[fits]
        if part.empty:
            continue
        # the RLS applies to the typical dwelling when it applies to half the residence's
        # dwellings or more (a mean of 0/1 flags: the same value as a mean per group in Python)
        typical = (
            part.assign(rls=part["rls"].astype("float64"))
            .groupby("residence_id", sort=True)
            .agg(
                landlord_id=("landlord_id", "first"),
                commune=("commune", "first"),
                typical_rent=("rent", "median"),
                surface=("surface", "median"),
                apl_zone=("apl_zone", "first"),
                rls=("rls", "mean"),
            )
        )
        typical["rls"] = typical["rls"] >= 0.5
        typical["size_class"] = int(household["size_class"])
        typical["median_resources"] = float(household["monthly_resources"])
        typical["budget"] = float(household["budget"])
        for col in ("couple", "dependants", "income"):
            typical[col] = household[col]
        pieces.append(typical.reset_index())
    if not pieces:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(pieces, ignore_index=True)
    charges = per_m2 * frame["surface"].to_numpy(dtype="float64")
    zone = frame["apl_zone"].to_numpy(dtype=np.int64)
    rls = frame["rls"].to_numpy(dtype=bool)
    budget = frame["budget"].to_numpy(dtype="float64")
    scale = apl_scale(when_benefit, p)

    def cost(rent: FloatArray) -> FloatArray:
        benefit, granted_rls = housing_benefit(
            zone=zone,
            couple=frame["couple"].to_numpy(dtype=bool),
            dependants=frame["dependants"].to_numpy(dtype=np.int64),
            rent=rent,
            annual_resources=frame["income"].to_numpy(dtype="float64"),
            scale=scale,
            hlm=rls,
        )
        out: FloatArray = rent - granted_rls - benefit + charges
        return out

    high = frame["typical_rent"].to_numpy(dtype="float64")
    low = np.zeros_like(high)
    fine_at_top = cost(high) <= budget
    possible = cost(low) <= budget
    for _ in range(iterations):
        mid = (low + high) / 2.0
        ok = cost(mid) <= budget
        low = np.where(ok, mid, low)
        high = np.where(ok, high, mid)
    typical_rent = frame["typical_rent"].to_numpy(dtype="float64")
    affordable = np.where(fine_at_top, typical_rent, np.round(low, 2))
    affordable = np.where(possible, affordable, np.nan)
    frame["affordable_rent"] = affordable
    frame["rent_reduction"] = np.round(np.maximum(typical_rent - affordable, 0.0), 2)
    result: pd.DataFrame = frame[columns].sort_values(
        ["residence_id", "size_class"], ignore_index=True
    )
    return result
