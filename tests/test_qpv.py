"""QPV membership: generation in force by date, location by coordinates (Lambert-93, WGS84),
attributions judged against their dwelling's QPV at the lease date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from indicators.indicator_frames import attributions as attribution_frame
from indicators.indicator_frames import dwellings as dwelling_frame
from mixite.qpv import (
    generation_in_force,
    judge_attributions,
    locate_dwellings,
    locate_points,
    location_counts,
    to_wgs84,
)

# A square perimeter around the origin of Lambert-93 (3° E, 46.5° N: by definition of the
# projection, EPSG:2154, the point x = 700 000 m, y = 6 600 000 m), 0.01° wide.
SQUARE = "POLYGON ((2.99 46.49, 3.01 46.49, 3.01 46.51, 2.99 46.51, 2.99 46.49))"
FAR = "POLYGON ((5.99 46.49, 6.01 46.49, 6.01 46.51, 5.99 46.51, 5.99 46.49))"
PERIMETERS = pd.DataFrame(
    {
        "qpv_code": ["QN99901M", "QN99902N", "QP999001"],
        "qpv_name": ["Carré", "Loin", "Carré 2015"],
        "commune": ["99999", "99999", "99999"],
        "generation": [2024, 2024, 2015],
        "geometry_wkt": [SQUARE, FAR, SQUARE],
    }
)


@pytest.mark.parametrize(
    ("commune", "day", "expected"),
    [
        # docs/droit.md §10: 2015 list until 31/12/2023 mainland, 31/12/2024 overseas.
        ("95127", "2023-12-31", 2015),
        ("95127", "2024-01-01", 2024),
        ("97411", "2024-12-31", 2015),
        ("97411", "2025-01-01", 2024),
        ("98735", "2024-06-30", 2015),
        ("2A004", "2024-06-30", 2024),
    ],
)
def test_generation_in_force_follows_the_decrees(commune: str, day: str, expected: int) -> None:
    assert generation_in_force([commune], dt.date.fromisoformat(day)).tolist() == [expected]


def test_generation_per_lease_date() -> None:
    dates = pd.Series(pd.to_datetime(["2023-06-01", "2024-06-01", "2024-06-01", None]))
    got = generation_in_force(["69123", "69123", "97101", "69123"], dates)
    assert got.tolist() == [2015, 2024, 2015, 0]


def test_one_date_for_every_commune() -> None:
    """One date for every commune (the stock of a millésime) gives what the same date repeated
    per commune gives (docs/droit.md §10: 1 July 2024 is under the 2024 list in mainland France,
    the 2015 list overseas); no date, no generation."""
    communes = ["69123", "97101", "2A004"]
    day = dt.date(2024, 7, 1)
    assert generation_in_force(communes, day).tolist() == [2024, 2015, 2024]
    assert generation_in_force(communes, pd.Series([day] * 3)).tolist() == [2024, 2015, 2024]
    assert generation_in_force(communes, None).tolist() == [0, 0, 0]
    assert generation_in_force([], day).tolist() == []


def test_lambert93_origin_and_wgs84_points() -> None:
    # x = 700 000, y = 6 600 000 is 3° E, 46.5° N by definition of Lambert-93.
    lon, lat = to_wgs84(
        [700_000.0, 3.0, 700_000.0, 3.0, None],
        [6_600_000.0, 46.5, 6_600_000.0, 46.5, 1.0],
        [2154, 4326, None, 2154, None],
    )
    assert lon[:4] == pytest.approx([3.0, 3.0, 3.0, 3.0], abs=1e-9)
    assert lat[:4] == pytest.approx([46.5, 46.5, 46.5, 46.5], abs=1e-9)
    # a point declared Lambert-93 whose values are degrees is read as WGS84 (4th); none: NaN
    assert np.isnan(lon[4]) and np.isnan(lat[4])


def test_points_outside_france_are_unknown() -> None:
    lon, lat = to_wgs84([0.0, 100.0], [0.0, 10.0], None)  # Gulf of Guinea, Thailand
    assert np.isnan(lon).all() and np.isnan(lat).all()


def test_locate_points_inside_outside_boundary_unknown() -> None:
    lon = [3.0, 3.02, 3.01, np.nan, 6.0]
    lat = [46.5, 46.5, 46.5, 46.5, 46.5]
    got = locate_points(lon, lat, PERIMETERS[PERIMETERS["generation"] == 2024])
    assert got.tolist() == ["QN99901M", None, "QN99901M", None, "QN99902N"]


def _dwellings() -> pd.DataFrame:
    rows = [
        # geocoded by the SDES: left as it is
        {"dwelling_id": "D1", "qpv_2024": "QN99902N", "qpv_2024_source": "geocode"},
        # unknown, Lambert-93 coordinates in the square
        {"dwelling_id": "D2", "x": 700_000.0, "y": 6_600_000.0, "epsg": 2154},
        # unknown, WGS84 coordinates without code, in the square
        {"dwelling_id": "D3", "x": 3.001, "y": 46.501},
        # unknown, outside every perimeter
        {"dwelling_id": "D4", "x": 4.0, "y": 46.5, "epsg": 4326},
        # unknown, no coordinates
        {"dwelling_id": "D5"},
        # declared by the landlord (2015 list)
        {"dwelling_id": "D6", "qpv_2015": "QP999001", "qpv_2015_source": "declare"},
    ]
    frame = dwelling_frame(rows)
    for generation in (2024, 2015):
        column = f"qpv_{generation}_source"
        frame[column] = frame[column].fillna("inconnu")
    return frame


def test_locate_dwellings_by_coordinates_and_generation_in_force() -> None:
    located = locate_dwellings(_dwellings(), PERIMETERS, 2025)
    assert located["qpv_2024"].tolist() == ["QN99902N", "QN99901M", "QN99901M", None, None, None]
    assert located["qpv_2024_source"].tolist() == [
        "geocode", "coordonnees", "coordonnees", "coordonnees", "inconnu", "inconnu",
    ]  # fmt: skip
    # the 2015 perimeter holds D2 and D3 too; D6 keeps its declaration
    assert located["qpv_2015"].tolist() == [None, "QP999001", "QP999001", None, None, "QP999001"]
    # millésime 2025 (mainland): the 2024 list is in force
    assert located["qpv_code"].tolist() == located["qpv_2024"].tolist()
    assert located["in_qpv"].tolist() == [True, True, True, False, False, False]
    # millésime 2023: the 2015 list
    old = locate_dwellings(_dwellings(), PERIMETERS, 2023)
    assert old["in_qpv"].tolist() == [False, True, True, False, False, True]
    counts = location_counts(located, 2025)
    assert counts["dwellings"] == 6 and counts["in_qpv"] == 3
    assert (counts["geocode"], counts["coordonnees"], counts["inconnu"]) == (1, 3, 2)
    assert counts["in_qpv_coordonnees"] == 2


def test_without_perimeters_unknown_dwellings_stay_unknown() -> None:
    located = locate_dwellings(_dwellings(), None, 2025)
    assert located["in_qpv"].tolist() == [True, False, False, False, False, False]
    assert location_counts(located, 2025)["inconnu"] == 5  # all but the geocoded D1


def test_attributions_are_judged_at_the_lease_date() -> None:
    dwellings = locate_dwellings(_dwellings(), PERIMETERS, 2025)
    rows = [
        # 2024 lease, declared outside QPV, dwelling D2 in QN99901M: judged in QPV
        {"attribution_id": "A1", "dwelling_id": "D2", "lease_date": "2024-03-01", "in_qpv": False},
        # 2024 lease, declared in QPV, dwelling D4 outside every QPV: judged outside
        {
            "attribution_id": "A2",
            "dwelling_id": "D4",
            "lease_date": "2024-03-01",
            "in_qpv": True,
            "qpv_code": "QN99901M",
        },
        # 2023 lease: the 2015 list; declared with a 2024 code → the 2015 QPV of its dwelling
        {
            "attribution_id": "A3",
            "dwelling_id": "D3",
            "lease_date": "2023-05-01",
            "in_qpv": True,
            "qpv_code": "QN99901M",
        },
        # dwelling unknown to the stock: the declaration stands, a 2024 code in 2023 is flagged
        {
            "attribution_id": "A4",
            "dwelling_id": "ZZ",
            "lease_date": "2023-05-01",
            "in_qpv": True,
            "qpv_code": "QN99901M",
        },
        # agreement: no row
        {
            "attribution_id": "A5",
            "dwelling_id": "D1",
            "lease_date": "2024-03-01",
            "in_qpv": True,
            "qpv_code": "QN99902N",
        },
        # dwelling of unknown QPV (D5): the declaration stands, no disagreement
        {"attribution_id": "A6", "dwelling_id": "D5", "lease_date": "2024-03-01", "in_qpv": True},
    ]
    frame = attribution_frame(rows)
    judged, disagreements = judge_attributions(frame, dwellings)
    assert judged["in_qpv"].tolist() == [True, False, True, True, True, True]
    assert judged["qpv_code"].tolist()[:3] == ["QN99901M", None, "QP999001"]
    kinds = dict(zip(disagreements["attribution_id"], disagreements["kind"], strict=True))
    assert kinds == {"A1": "hors_qpv", "A2": "en_qpv", "A3": "code", "A4": "generation"}
    assert disagreements.set_index("attribution_id").loc["A3", "generation"] == 2015
