"""Random allocation instances (tests, benchmark): plausible but not calibrated territories.

The income ceilings are illustrative orders of magnitude (single person, zone A, PLUS about
€25,000 a year; PLAI 55 % of PLUS; PLS 130 % of PLUS), not the legal values: the real ones come
from ``mixite.ceilings`` when instances are built from a store. Consumption units follow the
scale of ``mixite.household`` in force on ``SCALE_DATE`` (adults weighted as persons aged 14+,
the other members as children), and the Q1 status is ``household.is_q1`` against the
``q1_share`` quantile of the drawn resources per UC.
"""

from __future__ import annotations

import numpy as np

from mixite.allocation.problem import Applications, Vacancies
from mixite.household import consumption_units, is_q1, resources_per_uc

__all__ = ["random_instance"]

_RESERVATAIRES = np.array(
    ["etat_prioritaire", "action_logement", "commune", "bailleur"], dtype=object
)
_RES_SHARES = np.array([0.25, 0.30, 0.20, 0.25])
#: Date of the UC scale of the random instances.
SCALE_DATE = "2025-01-01"


def random_instance(
    n_vacancies: int,
    n_applications: int,
    rng: np.random.Generator,
    *,
    n_communes: int = 8,
    n_landlords: int = 3,
    qpv_share: float = 0.3,
    q1_share: float = 0.25,
    n_wishes: int = 3,
    no_wish_share: float = 0.1,
) -> tuple[Vacancies, Applications]:
    """Draw vacancies and applications with correlated rooms, rents, incomes and wishes."""
    communes = np.array([f"{69001 + i:05d}" for i in range(n_communes)], dtype=object)
    landlords = np.array([f"{775_000_000 + 17 * i:09d}" for i in range(n_landlords)], dtype=object)
    rooms = rng.integers(1, 6, n_vacancies)
    in_qpv = rng.random(n_vacancies) < qpv_share
    rent_m2 = np.where(in_qpv, 5.5, 6.8) * rng.lognormal(0.0, 0.12, n_vacancies)
    surface = 18.0 + 17.0 * rooms
    cost = rent_m2 * surface + 1.5 * surface
    vacancies = Vacancies.from_arrays(
        ids=np.array([f"L{i:07d}" for i in range(n_vacancies)], dtype=object),
        landlord=landlords[rng.integers(0, n_landlords, n_vacancies)],
        commune=communes[rng.integers(0, n_communes, n_vacancies)],
        in_qpv=in_qpv,
        reservataire=_RESERVATAIRES[rng.choice(_RESERVATAIRES.size, n_vacancies, p=_RES_SHARES)],
        rooms=rooms,
        housing_cost=cost,
        rent=rent_m2 * surface,
        financing=rng.choice(4, n_vacancies, p=[0.15, 0.5, 0.1, 0.25]),
    )
    size = np.minimum(1 + rng.poisson(1.1, n_applications), 8)
    adults = np.where(size == 1, 1, rng.integers(1, 3, n_applications))
    adults = np.minimum(adults, size)
    children = size - adults
    uc = consumption_units(adults, adults, size, SCALE_DATE)
    income = rng.lognormal(np.log(15_000.0), 0.6, n_applications) * uc
    plus = 25_000.0 * (1.0 + 0.45 * (size - 1))
    ceilings = np.stack([0.55 * plus, plus, 1.3 * plus], axis=1)
    # Q1: the lowest quarter of income per consumption unit.
    per_uc = resources_per_uc(income, uc)
    q1 = (
        is_q1(per_uc, float(np.quantile(per_uc, q1_share)), strict=False)
        if n_applications
        else np.zeros(0, bool)
    )
    monthly = income / 12.0 * rng.uniform(0.9, 1.2, n_applications) + 150.0 * children
    dalo = rng.random(n_applications) < 0.03
    priority = dalo | (rng.random(n_applications) < 0.25 + 0.2 * q1)
    need = np.clip(size - (size >= 3), 1, 5)
    wished = np.full((n_applications, n_wishes), "", dtype=object)
    n_w = np.where(
        rng.random(n_applications) < no_wish_share, 0, rng.integers(1, n_wishes + 1, n_applications)
    )
    picks = communes[rng.integers(0, n_communes, (n_applications, n_wishes))]
    for r in range(n_wishes):
        wished[:, r] = np.where(r < n_w, picks[:, r], "")
    applications = Applications.from_arrays(
        ids=np.array([f"D{i:08d}" for i in range(n_applications)], dtype=object),
        q1=q1,
        npnru=rng.random(n_applications) < 0.01,
        priority=priority,
        dalo=dalo,
        employed=rng.random(n_applications) < 0.6 - 0.25 * q1,
        score=rng.gamma(2.0, 10.0, n_applications) + 30.0 * priority + 50.0 * dalo,
        income=income,
        ceilings=ceilings,
        rooms_min=need,
        rooms_max=np.minimum(need + 1, 6),
        monthly_resources=monthly,
        consumption_units=uc,
        wished=wished,
        household_size=size,
        adults=adults,
        persons_14plus=adults + rng.binomial(children, 0.3),
        is_mutation=rng.random(n_applications) < 0.3,
    )
    return vacancies, applications
