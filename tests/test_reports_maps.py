"""Map and GeoPackage outputs: layers in Lambert-93, colours by class."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from mixite.reports.maps import (
    FRAGILITY_COLOURS,
    qpv_geodataframe,
    residences_geodataframe,
    residences_map,
    write_gpkg,
)

RESIDENCES = pd.DataFrame(
    {
        "residence_id": ["R1", "R2", "R3"],
        "x": [652000.0, 653000.0, None],
        "y": [6862000.0, 6863000.0, None],
        "classe": ["fragile", "favorisée", "fragile"],
    }
)
QPV = pd.DataFrame(
    {
        "qpv_code": ["QN99901M"],
        "qpv_name": ["Les Tilleuls"],
        "geometry_wkt": ["POLYGON((2.35 48.85,2.36 48.85,2.36 48.86,2.35 48.86,2.35 48.85))"],
    }
)


def test_gpkg_layers_are_lambert93(tmp_path: Path) -> None:
    path = write_gpkg(
        {"residences": residences_geodataframe(RESIDENCES), "qpv": qpv_geodataframe(QPV)},
        tmp_path / "r.gpkg",
    )
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"residences": "Point", "qpv": "Polygon"}
    back = gpd.read_file(path, layer="residences")
    assert back.crs.to_epsg() == 2154
    # the residence without coordinates is dropped; (652000, 6862000) survives unchanged
    assert len(back) == 2 and back.geometry.iloc[0].x == 652000.0


def test_map_colours_residences_by_class() -> None:
    page = residences_map(
        residences_geodataframe(RESIDENCES),
        qpv_geodataframe(QPV),
        "classe",
        ["residence_id"],
        "Fragilité",
    )
    assert FRAGILITY_COLOURS["fragile"] in page and FRAGILITY_COLOURS["favorisée"] in page
    assert "Les Tilleuls" in page
