"""Builders of tiny canonical frames for the indicator tests (defaults for unused columns)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixite.schema import TABLES


def canonical(table: str, rows: list[dict[str, Any]], **defaults: Any) -> pd.DataFrame:
    """A canonical frame of ``table``: every row takes ``defaults`` then its own values."""
    spec = TABLES[table]
    records = [{**defaults, **row} for row in rows]
    frame = pd.DataFrame(records)
    for col in spec.columns:
        if col.name not in frame.columns:
            fill: Any = {"bool": False, "list": None}.get(col.dtype)
            frame[col.name] = [[] for _ in range(len(frame))] if col.dtype == "list" else fill
        if col.dtype == "date":
            frame[col.name] = pd.to_datetime(frame[col.name]).astype("datetime64[ns]")
        elif col.dtype == "bool":
            frame[col.name] = frame[col.name].astype(bool)
        elif col.dtype == "float":
            frame[col.name] = pd.to_numeric(frame[col.name]).astype("float64")
        elif col.dtype == "int":
            frame[col.name] = frame[col.name].astype("Int64" if col.nullable else "int64")
        elif col.dtype == "str":
            frame[col.name] = frame[col.name].astype(object)
    return frame[spec.names]


def dwellings(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return canonical(
        "dwellings",
        rows,
        commune="35238",
        depcom="35238",
        in_qpv=False,
        rooms=3,
        surface=60.0,
        construction_year=1980,
        first_letting_year=1981,
        finan_family="pre1977",
        finan_code="50",
        occupancy_mode="1",
        new_dwelling=False,
        construction_type="collectif",
    )


def households(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return canonical(
        "households",
        rows,
        entry_date="2015-01-01",
        household_size=1,
        adults=1,
        persons_14plus=1,
        dependants=0,
        reference_age=40,
        single_parent=False,
        employment="cdi",
        annual_resources=20000.0,
        housing_benefit=0.0,
    )


def attributions(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return canonical(
        "attributions",
        rows,
        landlord_id="111111111",
        commune="35238",
        in_qpv=False,
        lease_date="2024-06-01",
        reservataire="bailleur",
        rooms=3,
        household_size=1,
        adults=1,
        persons_14plus=1,
        monthly_resources=2000.0,
        is_mutation=False,
        npnru_relocation=False,
        dalo=False,
        priority=False,
    )


def applications(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return canonical(
        "applications",
        rows,
        filing_date="2024-01-01",
        housing_situation="locataire_prive",
        is_mutation=False,
        reason="trop_cher",
        applicant_age=35,
        employment="cdi",
        household_size=1,
        adults=1,
        persons_14plus=1,
        dependants=0,
        monthly_resources=1500.0,
        rooms_min=2,
        rooms_max=3,
        dalo=False,
        npnru_relocation=False,
        refusals=0,
    )
