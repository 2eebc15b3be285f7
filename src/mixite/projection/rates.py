"""The rates of the yearly dynamics estimated on the territory's data: departures from the
social stock, new applications and their lapse (``docs/projection.md``, « Dynamique annuelle »).

**Departures.** The occupancy survey (OPS) does not record who leaves; it records when each
occupant moved in. Under stationarity with a constant hazard per class of households, the share
of a class that moved in during the last year equals the share that moves out each year. So the
yearly moving-out share of a class (household type × age class of the reference person × first
quartile or not) is the share of its households whose date of entry falls in year N-1, dwellings
let for the first time that year excluded (their entry did not replace a departure); it is
shrunk towards the territory's share with a weight of ``projection.departs.lissage_menages``
households (empirical Bayes). A residence multiplies it by the ratio of its observed to its
expected recent movers, shrunk the same way. Part of these moves are internal mutations, which
the projection produces through the attributions: the exit share keeps the moves out of the
social stock only, ``1 − mutation share of the year's attributions``.

**Applications.** The commissions of a year draw on the applications pending at its 1 January.
At its end, the pending applications not satisfied lapse (non-renewal, withdrawal) with a
probability ``q``, and the year's new applications still pending at 31 December join: as many as
the store's pending applications filed during the last twelve months (``F``), resampled from
them. At stationarity the pending stock ``P`` stays the same, ``P = (P − A) × (1 − q) + F`` with
``A`` the year's attributions, hence ``q = 1 − (P − F) / (P − A)``.

**Relet delay.** By Little's law, the mean time a dwelling stays vacant is the vacant stock over
the yearly relets: ``365 × vacant dwellings at 1 January / leases of the previous year in
dwellings already in service`` days (the RPLS turnover's numerator); a freed dwelling is offered
to the commissions after that delay (the parameter ``projection.vacance.delai_jours`` when the
store holds no lease of that year).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.params import Parameters, resolve

__all__ = [
    "HOUSEHOLD_TYPES",
    "DemandModel",
    "DepartureModel",
    "demand_model",
    "departure_model",
    "household_type",
    "recent_entries",
    "relet_delay_days",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Household types of the departure classes (codes 0 to 3).
HOUSEHOLD_TYPES = ("personne_seule", "couple_sans_enfant", "couple_avec_enfants", "monoparentale")
_CAP = 0.95  # a yearly moving-out share never reaches 1


def household_type(adults: IntArray, dependants: IntArray) -> IntArray:
    """Household type code (``HOUSEHOLD_TYPES``): one adult or more, with or without dependants."""
    couple = np.asarray(adults) >= 2
    children = np.asarray(dependants) > 0
    out: IntArray = np.where(couple, np.where(children, 2, 1), np.where(children, 3, 0)).astype(
        np.int64
    )
    return out


@dataclass(frozen=True, eq=False)
class DepartureModel:
    """Yearly moving-out shares per class of households and factors per residence."""

    age_bounds: tuple[int, ...]
    #: Yearly share moving out (all moves), by cell ``type × age class × Q1``.
    cell_share: FloatArray
    #: Factor of each residence (index of the residences table), 1 for unknown ones.
    residence_factor: FloatArray
    #: Share of the year's attributions that were internal mutations (moves within the stock).
    mutation_share: float
    #: Territory's yearly share of households moving out.
    overall_share: float

    def cell(self, htype: IntArray, age: FloatArray, q1: BoolArray) -> IntArray:
        """Cell index of each household."""
        n_age = len(self.age_bounds) + 1
        age_class = np.digitize(np.asarray(age, dtype=float), self.age_bounds)
        out: IntArray = (np.asarray(htype) * n_age + age_class) * 2 + np.asarray(q1, dtype=int)
        return out.astype(np.int64)

    def exit_probability(
        self, htype: IntArray, age: FloatArray, q1: BoolArray, residence: IntArray
    ) -> FloatArray:
        """Yearly probability that each household leaves the social stock (moves out of it)."""
        share = self.cell_share[self.cell(htype, age, q1)]
        res = np.asarray(residence, dtype=np.int64)
        factor = np.where(
            (res >= 0) & (res < self.residence_factor.size),
            self.residence_factor[np.clip(res, 0, max(self.residence_factor.size - 1, 0))]
            if self.residence_factor.size
            else 1.0,
            1.0,
        )
        moving = np.minimum(share * factor, _CAP)
        hazard = -np.log1p(-moving) * (1.0 - self.mutation_share)
        out: FloatArray = -np.expm1(-hazard)
        return out


def departure_model(
    htype: IntArray,
    age: FloatArray,
    q1: BoolArray,
    residence: IntArray,
    recent: BoolArray,
    eligible: BoolArray,
    n_residences: int,
    mutation_share: float,
    millesime: int,
    params: Parameters | None = None,
) -> DepartureModel:
    """The departure model estimated on the occupants at 1 January of ``millesime`` (module
    docstring): ``recent`` marks households that moved in during the previous year, ``eligible``
    those whose dwelling was not let for the first time that year; ``residence`` indexes the
    residences table (``n_residences`` rows); ``mutation_share`` in [0, 1)."""
    when = dt.date(millesime, 1, 1)
    p = resolve(params)
    bounds = tuple(int(b) for b in p.value("projection.departs.classes_age", when))
    k = float(p.value("projection.departs.lissage_menages", when))
    probe = DepartureModel(bounds, np.zeros(0), np.zeros(0), 0.0, 0.0)
    n_cells = len(HOUSEHOLD_TYPES) * (len(bounds) + 1) * 2
    cells = probe.cell(htype, age, q1)
    el = np.asarray(eligible, dtype=bool)
    rec = np.asarray(recent, dtype=bool) & el
    n_total = float(el.sum())
    overall = float(rec.sum()) / n_total if n_total else 0.0
    n_cell = np.bincount(cells[el], minlength=n_cells).astype(float)
    r_cell = np.bincount(cells[rec], minlength=n_cells).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (r_cell + k * overall) / (n_cell + k)
    share = np.minimum(np.nan_to_num(share, nan=overall), _CAP)
    res = np.asarray(residence, dtype=np.int64)
    known = el & (res >= 0)
    expected = np.bincount(res[known], weights=share[cells[known]], minlength=n_residences)
    observed = np.bincount(res[known & rec], minlength=n_residences).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (observed + k * overall) / (expected + k * overall)
    factor = np.where(np.isfinite(factor), factor, 1.0)
    return DepartureModel(
        bounds,
        share.astype(np.float64),
        np.asarray(factor, dtype=np.float64),
        float(min(max(mutation_share, 0.0), 0.99)),
        overall,
    )


@dataclass(frozen=True)
class DemandModel:
    """Yearly renewal of the pending applications (module docstring)."""

    #: New applications still pending at the end of their year of filing, joining each year.
    filings_per_year: int
    #: Probability that an application pending at the end of a year lapses.
    lapse_probability: float


def demand_model(seniority_years: FloatArray, attributions: int) -> DemandModel:
    """The demand's renewal estimated on the pending applications' seniorities (years, at
    1 January) and the attributions of the previous year (module docstring)."""
    s = np.asarray(seniority_years, dtype=float)
    s = s[np.isfinite(s)]
    pending = s.size
    recent = int((s < 1.0).sum())
    if pending == 0 or pending <= attributions:
        return DemandModel(recent, 0.0)
    lapse = 1.0 - (pending - recent) / (pending - attributions)
    return DemandModel(recent, float(min(max(lapse, 0.0), 1.0)))


def relet_delay_days(vacant: int, relets: int, fallback: float) -> float:
    """Days a freed dwelling waits before its commission (module docstring, Little's law),
    ``fallback`` without relets; within [0, 365]."""
    if relets <= 0:
        return float(fallback)
    return float(min(max(365.0 * vacant / relets, 0.0), 365.0))


def recent_entries(entry: pd.Series, millesime: int) -> BoolArray:
    """Whether each date of entry falls in the year before ``millesime``."""
    out: BoolArray = (pd.to_datetime(entry).dt.year == millesime - 1).to_numpy(dtype=bool)
    return out
