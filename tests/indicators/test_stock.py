"""Stock indicators on a hand-made 8-dwelling territory (millésime 2025: RPLS at 1/1/2025)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixite.indicators.stock import (
    construction_era,
    stock_by,
    stock_composition,
    vacancy_turnover,
)
from mixite.params import Parameters

from .indicator_frames import dwellings

# id, commune, QPV, rooms, mode, vacancy start, lease start, new, first letting, year built, landlord
ROWS = [
    ("d1", "35238", True, 1, "1", None, "2024-03-01", False, 1970, 1970, "A"),
    ("d2", "35238", True, 2, "2", "2024-06-15", None, False, 1970, 1970, "A"),  # vacant > 3 months
    ("d3", "35238", True, 3, "2", "2024-11-20", None, False, 1970, 1970, "A"),  # vacant < 3 months
    ("d4", "35238", False, 4, "1", None, "2018-05-01", False, 1995, 1995, "B"),
    ("d5", "35051", False, 5, "1", None, "2024-09-01", True, 2024, 2024, "B"),  # first letting
    ("d6", "35051", False, 6, "3", None, None, False, 1960, 1960, "B"),  # vide: not offered
    ("d7", "35051", False, 3, "1", None, "2024-01-10", False, 2005, 2005, "B"),
    ("d8", "35051", False, 2, "4", None, "2023-12-31", False, 2012, 2012, "A"),
]


def _stock() -> pd.DataFrame:
    return dwellings(
        [
            {
                "dwelling_id": i,
                "residence_id": f"r-{i}",
                "commune": c,
                "in_qpv": q,
                "rooms": r,
                "occupancy_mode": m,
                "vacancy_start": v,
                "lease_start": lease,
                "new_dwelling": new,
                "first_letting_year": first,
                "construction_year": built,
                "landlord_id": ll,
                "surface": 20.0 * r,
            }
            for i, c, q, r, m, v, lease, new, first, built, ll in ROWS
        ]
    )


def test_vacancy_and_turnover_of_the_territory(params: Parameters) -> None:
    out = vacancy_turnover(_stock(), 2025, params=params).iloc[0]
    # Offered for rent = modes 1, 2, 4, 5: d1 d2 d3 d4 d5 d7 d8 = 7 (d6 is « vide »).
    assert out["offered"] == 7
    # Vacant = mode 2: d2, d3 → 2/7.
    assert out["vacant"] == 2
    assert out["vacancy_rate"] == pytest.approx(2 / 7)
    # More than 3 months at 1/1/2025: started before 1/10/2024 → d2 only → 1/7.
    assert out["vacant_long"] == 1
    assert out["long_vacancy_rate"] == pytest.approx(1 / 7)
    # Turnover base: offered and not new (d5 first let in 2024) → 6; leases of 2024 in it:
    # d1 (2024-03-01), d7 (2024-01-10) → 2/6 (d8's lease is 2023, d5's is a first letting).
    assert out["turnover_base"] == 6
    assert out["moves_in"] == 2
    assert out["turnover_rate"] == pytest.approx(2 / 6)


def test_vacancy_by_qpv_status(params: Parameters) -> None:
    out = vacancy_turnover(_stock(), 2025, by="qpv", params=params).set_index("qpv_status")
    # QPV: d1 d2 d3 offered, 2 vacant; outside: d4 d5 d7 d8 offered, none vacant.
    assert out.loc["QPV", "vacancy_rate"] == pytest.approx(2 / 3)
    assert out.loc["hors QPV", "vacancy_rate"] == 0.0
    # Outside QPV turnover: base d4 d7 d8 = 3, moves d7 → 1/3.
    assert out.loc["hors QPV", "turnover_rate"] == pytest.approx(1 / 3)


def test_counts_by_commune_and_landlord(params: Parameters) -> None:
    by_commune = stock_by(_stock(), "commune", 2025, params).set_index("commune")
    assert by_commune["dwellings"].to_dict() == {"35051": 4, "35238": 4}
    assert by_commune.loc["35238", "share_in_qpv"] == pytest.approx(3 / 4)
    assert by_commune["share"].sum() == pytest.approx(1.0)
    # Mean surface 35238: 20 × (1 + 2 + 3 + 4) / 4 = 50 m².
    assert by_commune.loc["35238", "mean_surface"] == pytest.approx(50.0)
    by_landlord = stock_by(_stock(), "bailleur", 2025, params).set_index("landlord_id")
    assert by_landlord["dwellings"].to_dict() == {"A": 4, "B": 4}


def test_typology_composition_caps_at_t5(params: Parameters) -> None:
    out = stock_composition(_stock(), "commune", "typologie", 2025, params)
    got = {(r.commune, r.typology): r.dwellings for r in out.itertuples()}
    # 35051 has rooms 5, 6, 3, 2 → T5+ twice, T3, T2.
    assert got[("35051", "T5+")] == 2
    assert got[("35051", "T3")] == 1
    assert out.loc[out["commune"] == "35051", "share_in_group"].sum() == pytest.approx(1.0)


def test_construction_eras() -> None:
    years = pd.Series([1900, 1949, 1974, 1975, 2019, 2020, 2024])
    got = construction_era(years, [0, 1949, 1975, 2020]).tolist()
    assert got == [
        "avant 1949",
        "1949-1974",
        "1949-1974",
        "1975-2019",
        "1975-2019",
        "2020 et après",
        "2020 et après",
    ]


def test_unknown_grouping_is_refused(params: Parameters) -> None:
    with pytest.raises(ValueError, match="unknown grouping"):
        stock_by(_stock(), "quartier", 2025, params)


def test_outside_qpv_label_for_qpv_codes(params: Parameters) -> None:
    stock = _stock()
    stock["qpv_code"] = np.where(stock["in_qpv"], "QN03501M", None)
    out = stock_by(stock, "qpv_code", 2025, params).set_index("qpv_code")
    assert out["dwellings"].to_dict() == {"QN03501M": 3, "hors QPV": 5}


def test_unknown_first_letting_year_falls_back_on_construction(params: Parameters) -> None:
    stock = _stock()
    stock["first_letting_year"] = stock["first_letting_year"].astype("Int64")
    # d7 (built 2005, lease 2024) loses its first-letting year: still in service before 2024.
    # d5 (built 2024, new) loses it too: still a first letting.
    stock.loc[stock["dwelling_id"].isin(["d5", "d7"]), "first_letting_year"] = pd.NA
    out = vacancy_turnover(stock, 2025, params=params).iloc[0]
    assert (out["turnover_base"], out["moves_in"]) == (6, 2)
