"""Hand-made canonical applications for the cotation tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from mixite.cotation.fields import ScoringContext, UcScale
from mixite.schema import APPLICATIONS

#: Modified OECD scale (domaine.md §3: 1 / 0.5 / 0.3), written here so tests do not depend on
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
    for col in APPLICATIONS.columns:
        if col.dtype == "int":
            frame[col.name] = frame[col.name].astype("Int64" if col.nullable else "int64")
        elif col.dtype == "float":
            frame[col.name] = frame[col.name].astype("float64")
        elif col.dtype == "bool":
            frame[col.name] = frame[col.name].astype(bool)
        elif col.dtype == "date":
            frame[col.name] = pd.to_datetime(frame[col.name]).astype("datetime64[ns]")
        elif col.dtype == "str":
            frame[col.name] = frame[col.name].astype(object)
    return frame
