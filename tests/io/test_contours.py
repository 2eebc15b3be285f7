"""Communes' contours (IGN Admin Express COMMUNE layer): reading, recognition by header,
attachment to the communes' table, import with ``--communes-contours``, French errors."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import wkt
from shapely.geometry import Point, box
from typer.testing import CliRunner

from mixite.cli import app, main
from mixite.errors import InputError
from mixite.io import detect_kind, read_folder
from mixite.io.contours import attach_contours, read_commune_contours
from mixite.store import Store, import_millesime

RUNNER = CliRunner()

#: Two neighbouring squares of 1 km in Lambert-93 (like Admin Express in metropolitan France).
SQUARES = [box(650000, 6860000, 651000, 6861000), box(651000, 6860000, 652000, 6861000)]


def admin_express(**columns: list[object]) -> gpd.GeoDataFrame:
    """An Admin-Express-like COMMUNE layer (Lambert-93) with the given attributes."""
    base: dict[str, list[object]] = {
        "ID": ["COMMUNE_0000000009754033", "COMMUNE_0000000009754034"],
        "NOM": ["Ambérieu-en-Bugey", "Ambérieux-en-Dombes"],
        "INSEE_COM": ["01004", "01005"],
        "SIREN_EPCI": ["240100883", "200042497"],
    }
    base.update(columns)
    return gpd.GeoDataFrame(pd.DataFrame(base), geometry=SQUARES, crs="EPSG:2154")


def communes_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "commune": ["01004", "01005"],
            "commune_name": ["Ambérieu-en-Bugey", "Ambérieux-en-Dombes"],
            "epci": ["240100883", "200042497"],
            "epci_name": ["CC de la Plaine de l'Ain", "CC de la Dombes"],
            "apl_zone": ["3", "3"],
            "ceiling_zone": ["A", "A"],
            "geometry_wkt": [None, None],
        }
    )


def test_shapefile_in_lambert93_is_read_in_wgs84(tmp_path: Path) -> None:
    path = tmp_path / "COMMUNE.shp"
    admin_express().to_file(path)
    frame = read_commune_contours(path)
    assert list(frame["commune"]) == ["01004", "01005"]
    assert list(frame["commune_name"]) == ["Ambérieu-en-Bugey", "Ambérieux-en-Dombes"]
    first = wkt.loads(frame["geometry_wkt"].iloc[0])
    # (650000, 6860000) in Lambert-93 is about 2.4° E, 48.8° N (the projection's origin is
    # 3° E, 46.5° N at (700000, 6600000)); a square of 1 km is 1 / (111.3 cos 48.8°) = 0.0136°
    # of longitude wide
    minx, miny, maxx, _ = first.bounds
    assert 2.2 < minx < 2.6 and 48.6 < miny < 49.0
    assert 0.012 < maxx - minx < 0.015


def test_geopackage_of_admin_express_uses_its_commune_layer(tmp_path: Path) -> None:
    path = tmp_path / "ADMIN-EXPRESS.gpkg"
    dep = gpd.GeoDataFrame(
        {"insee_dep": ["01"], "nom": ["Ain"]}, geometry=[SQUARES[0]], crs="EPSG:2154"
    )
    dep.to_file(path, layer="departement")
    frame = admin_express()
    frame.columns = [c.lower() if c != "geometry" else c for c in frame.columns]
    frame.set_geometry("geometry").to_file(path, layer="commune")
    read = read_commune_contours(path)
    assert list(read["commune"]) == ["01004", "01005"]
    assert detect_kind(path) == "commune_contours"


def test_detect_kind_tells_contours_from_qpv(tmp_path: Path) -> None:
    contours = tmp_path / "communes.geojson"
    admin_express().to_crs(4326).to_file(contours)
    qpv = tmp_path / "qpv.geojson"
    gpd.GeoDataFrame(
        {"code_qp": ["QN00101M"], "lib_qp": ["Les Tilleuls"], "insee_com": ["01004"]},
        geometry=[SQUARES[0]],
        crs="EPSG:2154",
    ).to_crs(4326).to_file(qpv)
    assert detect_kind(contours) == "commune_contours"
    assert detect_kind(qpv) == "qpv"


def test_contours_fill_the_communes_of_a_folder(tmp_path: Path) -> None:
    communes = communes_frame().drop(columns="geometry_wkt")
    communes.columns = [
        "code_commune",
        "nom_commune",
        "siren_epci",
        "nom_epci",
        "zone_apl",
        "zone_plafonds",
    ]
    communes.to_csv(tmp_path / "communes.csv", sep=";", index=False)
    admin_express().to_crs(4326).to_file(tmp_path / "communes.geojson")
    frames = read_folder(tmp_path)
    assert set(frames) == {"communes"}
    shapes = [wkt.loads(w) for w in frames["communes"]["geometry_wkt"]]
    # the two squares share their north-south edge of 1 km: 0.009° of latitude (111 km per °)
    assert shapes[0].intersection(shapes[1]).length == pytest.approx(1 / 111.2, rel=0.01)


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_commune_contours(path)
    return caught.value


def test_missing_code_attribute_suggests_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "c.geojson"
    admin_express().rename(columns={"INSEE_COM": "INSEE_CO"}).to_file(path)
    error = _error(path)
    assert "« INSEE_COM » absent" in str(error)
    assert "Renommez l'attribut « INSEE_CO » en « INSEE_COM »" in str(error)
    assert "c.geojson" in str(error)


def test_code_without_its_leading_zero_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.geojson"
    admin_express(INSEE_COM=["1004", "01005"]).to_file(path)
    error = _error(path)
    assert error.problem == "Code INSEE mal formé (entité n° 1)"
    assert error.where.value == "1004" and error.where.column == "INSEE_COM"
    assert "zéros de tête" in error.fix


def test_duplicate_commune_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.geojson"
    admin_express(INSEE_COM=["01004", "01004"]).to_file(path)
    error = _error(path)
    assert error.problem == "Commune en double (entités n° 1 et 2)"
    assert error.where.value == "01004"


def test_shapefile_without_projection_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "COMMUNE.shp"
    admin_express().to_file(path)
    path.with_suffix(".prj").unlink()
    error = _error(path)
    assert error.problem == "Projection des coordonnées inconnue"
    assert ".prj" in error.fix


def test_points_are_not_contours(tmp_path: Path) -> None:
    path = tmp_path / "CHFLIEU_COMMUNE.geojson"
    frame = admin_express()
    frame["geometry"] = [Point(650500, 6860500), Point(651500, 6860500)]
    frame.to_file(path)
    error = _error(path)
    assert error.problem == "Géométrie qui n'est pas un contour (entité n° 1 : Point)"
    assert "chefs-lieux" in error.fix


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "c.geojson"
    path.write_text("{pas du json", encoding="utf-8")
    assert _error(path).problem == "Fichier géographique illisible"


def test_no_commune_of_the_territory_in_the_file() -> None:
    contours = pd.DataFrame(
        {"commune": ["75056"], "commune_name": ["Paris"], "geometry_wkt": ["POINT (2 48)"]}
    )
    with pytest.raises(InputError) as caught:
        attach_contours(communes_frame(), contours, "COMMUNE.shp")
    assert caught.value.problem == "Aucune commune du territoire dans le fichier de contours"
    assert "01004" in caught.value.fix


def test_import_contours_into_an_existing_millesime(tmp_path: Path) -> None:
    base = tmp_path / "t.duckdb"
    import_millesime(base, 2025, {"communes": communes_frame()})
    path = tmp_path / "COMMUNE.shp"
    admin_express().to_file(path)
    result = RUNNER.invoke(
        app,
        ["importer", "--base", str(base), "--millesime", "2025", "--communes-contours", str(path)],
    )
    assert result.exit_code == 0, result.output
    assert "contours des communes : COMMUNE.shp" in result.output
    with Store(base) as store:
        communes = store.read("communes", 2025)
    assert communes["geometry_wkt"].notna().all()
    assert list(communes["epci_name"]) == list(communes_frame()["epci_name"])


def test_import_contours_without_communes_is_refused_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "COMMUNE.shp"
    admin_express().to_file(path)
    base = tmp_path / "t.duckdb"
    argv = ["mixite", "importer", "--base", str(base), "--millesime", "2025"]
    monkeypatch.setattr(sys, "argv", [*argv, "--communes-contours", str(path)])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Contours des communes sans la table des communes" in err
    assert "Traceback" not in err
    assert not base.exists()
