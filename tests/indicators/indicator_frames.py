"""Builders of tiny canonical frames for the indicator tests (defaults for unused columns)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixite import dtypes
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
    return dtypes.canonical(frame, spec, check_required=False)


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


def random_territory(seed: int, n_dwellings: int) -> dict[str, pd.DataFrame]:
    """A random but consistent territory (canonical frames) for invariant and speed checks.

    Vectorised so that it also builds a million dwellings in a few seconds.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n = n_dwellings
    n_res = max(n // 40, 1)
    communes = np.array(["35238", "35051", "35024", "35206"], dtype=object)
    res = rng.integers(0, n_res, n)
    res_commune = communes[rng.integers(0, len(communes), n_res)]
    res_qpv = rng.random(n_res) < 0.3
    res_landlord = np.array(["111111111", "222222222", "333333333"], dtype=object)[
        rng.integers(0, 3, n_res)
    ]
    rooms = rng.integers(1, 7, n)
    surface = 18.0 + 17.0 * rooms + rng.normal(0, 5, n).clip(-10, 10)
    in_qpv = res_qpv[res]
    rent = surface * np.where(in_qpv, 5.5, 6.8) * rng.uniform(0.8, 1.2, n)
    mode = rng.choice(np.array(["1", "2", "3", "4"], dtype=object), n, p=[0.95, 0.025, 0.015, 0.01])
    year = rng.integers(1950, 2025, n)
    lease = pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 15 * 365, n), "D")
    vac = pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")
    dw = pd.DataFrame(
        {
            "dwelling_id": np.char.add("d", np.arange(n).astype(str)).astype(object),
            "residence_id": np.char.add("r", res.astype(str)).astype(object),
            "landlord_id": res_landlord[res],
            "landlord_name": None,
            "depcom": res_commune[res],
            "commune": res_commune[res],
            "epci": "200000000",
            "address": None,
            "qpv_code": np.where(in_qpv, "QN03501M", None).astype(object),
            "in_qpv": in_qpv,
            "iris": np.char.add(res_commune[res].astype(str), (res % 7).astype(str)).astype(object),
            "x": np.nan,
            "y": np.nan,
            "construction_type": "collectif",
            "rooms": rooms.astype("int64"),
            "surface": surface,
            "construction_year": year.astype("int64"),
            "first_letting_year": pd.array(year + 1, dtype="Int64"),
            "finan_code": "50",
            "finan_family": rng.choice(
                np.array(["plai", "plus", "pls", "pre1977"], dtype=object), n
            ),
            "conventionne": True,
            "new_dwelling": year + 1 >= 2024,
            "dpe_energy": rng.choice(np.array(list("ABCDEFG"), dtype=object), n),
            "rent": np.where(mode == "1", rent, np.nan),
            "occupancy_mode": mode,
            "lease_start": lease.where(mode == "1").astype("datetime64[ns]"),
            "vacancy_start": vac.where(mode == "2").astype("datetime64[ns]"),
        }
    )
    occupied = np.flatnonzero(mode == "1")
    m = len(occupied)
    size = rng.integers(1, 7, m)
    p14 = np.minimum(size, rng.integers(1, 3, m))
    hh = pd.DataFrame(
        {
            "household_id": np.char.add("h", np.arange(m).astype(str)).astype(object),
            "dwelling_id": dw["dwelling_id"].to_numpy()[occupied],
            "entry_date": pd.Timestamp("2015-01-01"),
            "household_size": size.astype("int64"),
            "adults": np.minimum(p14, 2).astype("int64"),
            "persons_14plus": p14.astype("int64"),
            "dependants": (size - np.minimum(p14, 2)).astype("int64"),
            "reference_age": rng.integers(20, 90, m).astype("int64"),
            "single_parent": rng.random(m) < 0.2,
            "employment": rng.choice(np.array(["cdi", "chomage", "retraite"], dtype=object), m),
            "annual_resources": rng.gamma(2.0, 8000.0, m) * np.where(in_qpv[occupied], 0.7, 1.0),
            "housing_benefit": np.where(rng.random(m) < 0.4, 200.0, 0.0),
        }
    )
    k = max(n // 2, 10)
    apps = pd.DataFrame(
        {
            "application_id": np.char.add("p", np.arange(k).astype(str)).astype(object),
            "filing_date": (
                pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 7 * 365, k), "D")
            ).astype("datetime64[ns]"),
            "commune_residence": communes[rng.integers(0, 4, k)],
            "is_mutation": rng.random(k) < 0.3,
            "household_size": (s := rng.integers(1, 6, k)).astype("int64"),
            "adults": np.ones(k, dtype="int64"),
            "persons_14plus": np.ones(k, dtype="int64"),
            "dependants": (s - 1).astype("int64"),
            "monthly_resources": rng.gamma(2.0, 700.0, k),
            "wished_communes": [[c] for c in communes[rng.integers(0, 4, k)]],
            "rooms_min": rng.integers(1, 6, k).astype("int64"),
            "priority_codes": [["b"] if r < 0.2 else [] for r in rng.random(k)],
            "dalo": rng.random(k) < 0.05,
        }
    )
    a = max(n // 15, 10)
    pick = rng.integers(0, n, a)
    attrs = pd.DataFrame(
        {
            "attribution_id": np.char.add("a", np.arange(a).astype(str)).astype(object),
            "application_id": None,
            "dwelling_id": dw["dwelling_id"].to_numpy()[pick],
            "landlord_id": dw["landlord_id"].to_numpy()[pick],
            "commune": dw["commune"].to_numpy()[pick],
            "in_qpv": in_qpv[pick],
            "qpv_code": dw["qpv_code"].to_numpy()[pick],
            "lease_date": (
                pd.Timestamp("2023-07-01") + pd.to_timedelta(rng.integers(0, 365, a), "D")
            ).astype("datetime64[ns]"),
            "reservataire": rng.choice(
                np.array(
                    ["bailleur", "action_logement", "commune", "etat_prioritaire"], dtype=object
                ),
                a,
            ),
            "rooms": rooms[pick].astype("int64"),
            "rent": rent[pick],
            "household_size": (s2 := rng.integers(1, 5, a)).astype("int64"),
            "adults": np.ones(a, dtype="int64"),
            "persons_14plus": np.ones(a, dtype="int64"),
            "monthly_resources": rng.gamma(2.0, 700.0, a),
            "is_mutation": rng.random(a) < 0.3,
            "npnru_relocation": rng.random(a) < 0.02,
            "dalo": rng.random(a) < 0.05,
            "priority": rng.random(a) < 0.2,
        }
    )
    del s2
    reservations = pd.DataFrame(
        {
            "landlord_id": ["111111111", "111111111", "222222222", "333333333"],
            "reservataire": ["action_logement", "etat_prioritaire", "commune", "etat_prioritaire"],
            "reservataire_id": [None, None, "35238", None],
            "share": [0.2, 0.25, 0.15, 0.3],
        }
    )
    territory = pd.DataFrame(
        [
            {
                "name": "Territoire de test",
                "epci": "200000000",
                "q1_reference_epci": "200000000",
                "q1_overrides": None,
                "max_effort_rate": 0.35,
                "min_reste_a_vivre": 12.0,
            }
        ]
    )
    communes_frame = pd.DataFrame(
        {
            "commune": communes,
            "commune_name": ["Rennes", "Cesson", "Bruz", "Saint-Jacques"],
            "epci": ["200000000", "200000000", "200000000", "999999999"],
            "epci_name": "Test",
            "apl_zone": "2",
            "ceiling_zone": "A",
        }
    )
    return {
        "dwellings": dw,
        "households": hh,
        "applications": canonical("applications", apps.to_dict("records"),
                                  housing_situation="locataire_prive", reason="autre",
                                  applicant_age=40, employment="cdi", rooms_max=6, refusals=0),
        "attributions": attrs,
        "reservations": reservations,
        "territory": territory,
        "communes": communes_frame,
    }  # fmt: skip
