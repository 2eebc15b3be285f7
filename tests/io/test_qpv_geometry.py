"""QPV perimeters are checked before import: a plausible coordinate system, polygons only, valid
shapes (repaired when GEOS can), inside France; every refusal is a French message (no GDAL/GEOS
English)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from mixite.errors import InputError
from mixite.io import read_qpv

SQUARE_WGS84 = [[[2.30, 48.99], [2.31, 48.99], [2.31, 49.0], [2.30, 49.0], [2.30, 48.99]]]


def geojson(path: Path, geometry: dict[str, object], crs: str | None = None, **props: str) -> Path:
    data: dict[str, object] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code_qp": "QN09501M", "lib_qp": "Noyer Crapaud", **props},
                "geometry": geometry,
            }
        ],
    }
    if crs is not None:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_wgs84_square_is_read(tmp_path: Path) -> None:
    frame = read_qpv(
        geojson(tmp_path / "q.geojson", {"type": "Polygon", "coordinates": SQUARE_WGS84})
    )
    assert shapely.from_wkt(frame["geometry_wkt"].iloc[0]).bounds == pytest.approx(
        (2.30, 48.99, 2.31, 49.0)
    )


def test_lambert93_metres_without_crs_are_read_as_lambert93(tmp_path: Path) -> None:
    # The Lambert-93 origin (700 000 m, 6 600 000 m) is 3° E, 46.5° N (EPSG:2154 definition).
    x, y = 700_000.0, 6_600_000.0
    ring = [[[x, y], [x + 100, y], [x + 100, y + 100], [x, y + 100], [x, y]]]
    frame = read_qpv(geojson(tmp_path / "q.geojson", {"type": "Polygon", "coordinates": ring}))
    x0, y0, _, _ = shapely.from_wkt(frame["geometry_wkt"].iloc[0]).bounds
    assert (x0, y0) == pytest.approx((3.0, 46.5), abs=1e-6)


def test_swapped_latitude_and_longitude_are_refused(tmp_path: Path) -> None:
    swapped = [[[lat, lon] for lon, lat in SQUARE_WGS84[0]]]
    with pytest.raises(InputError, match="Longitude et latitude inversées"):
        read_qpv(geojson(tmp_path / "q.geojson", {"type": "Polygon", "coordinates": swapped}))


def test_a_perimeter_outside_france_is_refused(tmp_path: Path) -> None:
    far = [[[30.0, 10.0], [30.1, 10.0], [30.1, 10.1], [30.0, 10.0]]]
    with pytest.raises(InputError, match="Périmètre hors de France") as caught:
        read_qpv(geojson(tmp_path / "q.geojson", {"type": "Polygon", "coordinates": far}))
    assert "QN09501M" in str(caught.value)


def test_points_are_not_perimeters(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"pas un polygone.*type point"):
        read_qpv(geojson(tmp_path / "q.geojson", {"type": "Point", "coordinates": [2.3, 48.99]}))


def test_a_self_intersecting_polygon_is_repaired(tmp_path: Path) -> None:
    # A bow tie (the ring crosses itself): invalid, GEOS makes two triangles of it.
    bow = [[[2.30, 48.99], [2.31, 49.0], [2.31, 48.99], [2.30, 49.0], [2.30, 48.99]]]
    frame = read_qpv(geojson(tmp_path / "q.geojson", {"type": "Polygon", "coordinates": bow}))
    shape = shapely.from_wkt(frame["geometry_wkt"].iloc[0])
    assert shape.is_valid and shape.area == pytest.approx(0.5 * 0.01 * 0.01)
    # the repair is said (the import shows it beside its cross-file warnings), never silent
    from mixite.io.qpv import WARNINGS

    assert len(frame.attrs[WARNINGS]) == 1 and "QN09501M" in frame.attrs[WARNINGS][0]


def test_a_valid_perimeter_has_no_warning(tmp_path: Path) -> None:
    frame = read_qpv(
        geojson(tmp_path / "q.geojson", {"type": "Polygon", "coordinates": SQUARE_WGS84})
    )
    assert frame.attrs.get("avertissements") is None


def test_an_entity_without_geometry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"Périmètre absent \(entité n° 1") as caught:
        read_qpv(geojson(tmp_path / "q.geojson", None))  # type: ignore[arg-type]
    assert "QN09501M" in str(caught.value)


def test_an_unreadable_file_gets_a_french_message(tmp_path: Path) -> None:
    path = tmp_path / "q.geojson"
    path.write_text("ceci n'est pas du GeoJSON", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_qpv(path)
    message = str(caught.value)
    assert message.startswith("Fichier géographique illisible")
    assert "not recognized" not in message and "Détail" not in message


def test_a_shapefile_without_its_index_gets_a_french_message(tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"code_qp": ["QN09501M"], "lib_qp": ["Noyer Crapaud"]},
        geometry=[shapely.Polygon(SQUARE_WGS84[0])],
        crs="EPSG:4326",
    )
    frame.to_file(tmp_path / "qpv.shp")
    (tmp_path / "qpv.shx").unlink()
    with pytest.raises(InputError, match=r"« qpv\.shx » absent"):
        read_qpv(tmp_path / "qpv.shp")


def test_a_shapefile_in_lambert93_is_converted(tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"code_qp": ["QN09501M"], "lib_qp": ["Noyer Crapaud"]},
        geometry=[shapely.Polygon(SQUARE_WGS84[0])],
        crs="EPSG:4326",
    ).to_crs(2154)
    frame.to_file(tmp_path / "qpv.shp")
    got = read_qpv(tmp_path / "qpv.shp")
    assert shapely.from_wkt(got["geometry_wkt"].iloc[0]).bounds == pytest.approx(
        (2.30, 48.99, 2.31, 49.0), abs=1e-6
    )
