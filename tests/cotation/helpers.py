"""Hand-made canonical applications for the cotation tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from mixite.cotation.fields import ScoringContext
from mixite.dtypes import canonical
from mixite.household import UcScale
from mixite.schema import (
    APPLICATIONS,
    ATTRIBUTIONS,
    EMPLOYMENT,
    HOUSING_SITUATIONS,
    PRIORITY_CODES,
    REASONS,
)

#: Modified OECD scale (docs/droit.md §3.3 (Unités de consommation): 1 / 0.5 / 0.3), written here so tests do not depend on
#: the packaged parameters.
OECD = UcScale(first_adult=1.0, other_14_plus=0.5, child_under_14=0.3)
REFERENCE = dt.date(2025, 1, 1)
CONTEXT = ScoringContext(reference_date=REFERENCE, q1_threshold=9000.0, uc_scale=OECD)

DEFAULTS: dict[str, Any] = {
    "filing_date": pd.Timestamp("2024-01-01"),
    "renewal_date": pd.NaT,
    "commune_residence": "69123",
    "housing_situation": "locataire_prive",
    "is_mutation": False,
    "reason": "trop_cher",
    "applicant_age": 35,
    "employment": "cdi",
    "household_size": 1,
    "adults": 1,
    "persons_14plus": 1,
    "dependants": 0,
    "single_parent": False,
    "disability": False,
    "monthly_resources": 1500.0,
    "tax_income": None,
    "current_rent": None,
    "current_rooms": None,
    "wished_communes": ["69123"],
    "rooms_min": 2,
    "rooms_max": 3,
    "priority_codes": [],
    "priority_justified": False,
    "dalo": False,
    "npnru_relocation": False,
    "refusals": 0,
}


def applications(*rows: dict[str, Any]) -> pd.DataFrame:
    """A canonical ``applications`` frame: each row overrides ``DEFAULTS``; ids ``D1``, ``D2``…"""
    records = []
    for i, row in enumerate(rows, start=1):
        record = {"application_id": f"D{i}", **DEFAULTS, **row}
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=APPLICATIONS.names)
    return canonical(frame, APPLICATIONS, check_required=False)


def random_applications(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` random but consistent canonical applications (for property tests)."""
    size = rng.integers(1, 7, n)
    adults = np.minimum(rng.integers(1, 3, n), size)
    older = np.minimum(size, adults + rng.integers(0, 3, n))
    codes = list(PRIORITY_CODES)
    communes = ["69123", "69266", "69259", "69034"]
    priority = [list(rng.choice(codes, size=k, replace=False)) for k in rng.integers(0, 3, n)]
    wished = [list(rng.choice(communes, size=k, replace=False)) for k in rng.integers(0, 4, n)]
    rooms = rng.integers(0, 6, n).astype(float)
    rent = rng.uniform(200, 1200, n)
    frame = pd.DataFrame(
        {
            "application_id": [f"D{i:05d}" for i in range(n)],
            "filing_date": pd.to_datetime("2015-01-01")
            + pd.to_timedelta(rng.integers(0, 3650, n), unit="D"),
            "renewal_date": pd.NaT,
            "commune_residence": rng.choice(np.array([*communes, None], dtype=object), n),
            "housing_situation": rng.choice(list(HOUSING_SITUATIONS), n).astype(object),
            "is_mutation": rng.random(n) < 0.3,
            "reason": rng.choice(list(REASONS), n).astype(object),
            "applicant_age": rng.integers(18, 90, n),
            "employment": rng.choice(list(EMPLOYMENT), n).astype(object),
            "household_size": size,
            "adults": adults,
            "persons_14plus": older,
            "dependants": size - adults,
            "single_parent": (adults == 1) & (size > 1),
            "disability": rng.random(n) < 0.1,
            "monthly_resources": rng.uniform(0, 4000, n).round(2),
            "tax_income": np.nan,
            "current_rent": np.where(rng.random(n) < 0.7, rent, np.nan),
            "current_rooms": pd.array(np.where(rooms > 0, rooms, np.nan), dtype="Float64").astype(
                "Int64"
            ),
            "wished_communes": wished,
            "rooms_min": rng.integers(1, 5, n),
            "rooms_max": rng.integers(5, 7, n),
            "priority_codes": priority,
            "priority_justified": rng.random(n) < 0.5,
            "dalo": rng.random(n) < 0.05,
            "npnru_relocation": rng.random(n) < 0.02,
            "refusals": rng.integers(0, 4, n),
        }
    )
    frame["renewal_date"] = frame["renewal_date"].astype("datetime64[ns]")
    frame["filing_date"] = frame["filing_date"].astype("datetime64[ns]")
    frame["priority_codes"] = [[str(c) for c in codes_] for codes_ in frame["priority_codes"]]
    frame["wished_communes"] = [[str(c) for c in w] for w in frame["wished_communes"]]
    return frame[APPLICATIONS.names]


ATTRIBUTION_DEFAULTS: dict[str, Any] = {
    "dwelling_id": None,
    "landlord_id": "999961004",
    "commune": "69123",
    "in_qpv": False,
    "qpv_code": None,
    "lease_date": pd.Timestamp("2024-06-01"),
    "reservataire": "bailleur",
    "rooms": 2,
    "rent": 450.0,
    "household_size": 1,
    "adults": 1,
    "persons_14plus": 1,
    "monthly_resources": 1200.0,
    "is_mutation": False,
    "npnru_relocation": False,
    "dalo": False,
    "priority": False,
}


def attributions(*rows: dict[str, Any]) -> pd.DataFrame:
    """A canonical ``attributions`` frame: rows override ``ATTRIBUTION_DEFAULTS``."""
    records = [
        {"attribution_id": f"A{i}", "application_id": f"S{i}", **ATTRIBUTION_DEFAULTS, **row}
        for i, row in enumerate(rows, start=1)
    ]
    frame = pd.DataFrame.from_records(records, columns=ATTRIBUTIONS.names)
    return canonical(frame, ATTRIBUTIONS, check_required=False)
