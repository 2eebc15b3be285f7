"""Map and GeoPackage outputs: offline page, French legend and pop-ups, layers in Lambert-93,
French field names and QGIS styles."""

from __future__ import annotations

import json
import math
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from mixite.jobs.results import Names
from mixite.reports.maps import (
    FRAGILITY_COLOURS,
    UNCLASSED_COLOUR,
    MapData,
    leaflet_page,
    map_figure,
    map_png,
    marker_radius,
    qpv_geodataframe,
    residences_geodataframe,
    write_gpkg,
    write_map_gpkg,
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
CLASSES = (
    "très fragile",
    "fragile",
    "intermédiaire",
    "plutôt favorisée",
    "favorisée",
    "non classée (effectif insuffisant)",
)
NAMES = Names(
    territory="Mirebourg Agglo",
    landlords={"999961001": "Mirebourg Habitat"},
    communes={"96001": "Mirebourg", "96008": "Saint-Aubin-sur-Mire"},
    residences={"P0000001": "12 rue des Tilleuls, Mirebourg"},
    qpv={"QN09601M": "Les Tilleuls (Mirebourg)"},
)
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


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


def test_marker_area_grows_with_dwellings() -> None:
    # 1.5 + 0.6 * sqrt(n): 10 → 3.397, 200 → 9.985
    assert marker_radius(10) == pytest.approx(1.5 + 0.6 * math.sqrt(10))
    assert marker_radius(200) == pytest.approx(9.985, abs=1e-3)
    sizes = [marker_radius(n) for n in (1, 5, 20, 80, 300)]
    assert sizes == sorted(sizes)
    assert marker_radius(float("nan")) == 1.5


@pytest.fixture
def data() -> MapData:
    """Two communes (squares of 2 km), one QPV in the first, three residences: one fragile in
    the QPV, one unclassified outside, one favoured in the second commune."""
    communes = gpd.GeoDataFrame(
        {
            "commune": ["96001", "96008"],
            "commune_name": ["Mirebourg", "Saint-Aubin-sur-Mire"],
            "dwellings": [300, 12],
            "share_in_qpv": [0.4, 0.0],
            "q1_denominator": [40, float("nan")],
            "q1_numerator": [5, float("nan")],
            "q1_share": [0.125, float("nan")],
        },
        geometry=[box(700000, 6650000, 702000, 6652000), box(702000, 6650000, 704000, 6652000)],
        crs="EPSG:2154",
    )
    qpv = gpd.GeoDataFrame(
        {
            "qpv_code": ["QN09601M"],
            "qpv_name": ["Les Tilleuls (Mirebourg)"],
            "commune": ["96001"],
            "generation": [2024],
            "dwellings": [250],
        },
        geometry=[box(700500, 6650500, 701500, 6651500)],
        crs="EPSG:2154",
    )
    residences = residences_geodataframe(
        pd.DataFrame(
            {
                "residence_id": ["P0000001", "P0000002", "P0000003"],
                "x": [701000.0, 700200.0, 703000.0],
                "y": [6651000.0, 6651800.0, 6651000.0],
                "commune": ["96001", "96001", "96008"],
                "landlord_id": ["999961001"] * 3,
                "in_qpv": [True, False, False],
                "qpv_code": ["QN09601M", None, None],
                "dwellings": [250, 8, 4],
                "households": [240.0, float("nan"), 4.0],
                "share_under_40": [0.5, float("nan"), 0.0],
                "fragility_index": [1.2, float("nan"), -1.0],
                "fragility_class": ["fragile", CLASSES[-1], "favorisée"],
                "explanation": ["ménages sous 40 % du plafond PLUS 50 % (moyenne 20 %)", "", ""],
            }
        )
    )
    return MapData(
        title="Fragilité des résidences",
        subtitle="Mirebourg Agglo — millésime 2025",
        names=NAMES,
        residences=residences,
        qpv=qpv,
        communes=communes,
        classes=CLASSES,
        q1_target=0.25,
        fields=(
            ("households", "Ménages occupants", "int"),
            ("share_under_40", "Ménages sous 40 % du plafond PLUS", "pct"),
        ),
    )


def _payload(page: str) -> dict[str, object]:
    match = re.search(r"var DATA = (\{.*?\});\n", page)
    assert match is not None
    loaded: dict[str, object] = json.loads(match.group(1))
    return loaded


def test_page_embeds_leaflet_and_requests_nothing(data: MapData) -> None:
    page = leaflet_page(data)
    assert "Leaflet 1.9.4" in page
    # every script and stylesheet is inline; the markup outside them loads nothing either (the
    # headless-browser test checks that no request at all leaves the page)
    assert re.search(r"<script[^>]*\ssrc=", page) is None and "<link" not in page
    markup = re.sub(r"<(script|style)>.*?</\1>", "", page, flags=re.S)
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup) is None
    assert "tileLayer" not in page.split("</script>", 1)[1]  # no basemap
    assert "url(images/layers.png)" not in page  # the control's image is inlined


def test_legend_is_complete_and_french(data: MapData) -> None:
    payload_free = leaflet_page(data)
    legend = json.loads(re.search(r"div.innerHTML = (\".*?\");\n", payload_free).group(1))  # type: ignore[union-attr]
    for label in CLASSES:
        assert label in legend
    # one residence per class present: counts in French, « non classée » included
    assert "non classée (effectif insuffisant) <small>(1 résidence)</small>" in legend
    assert "très fragile <small>(0 résidence)</small>" in legend
    for n in ("10 logements", "50 logements", "200 logements"):
        assert n in legend
    # share classes around the 25 % target: half of it is 12,5 %
    assert "moins de 12,5\u00a0%" in legend
    assert "25,0\u00a0% et plus (objectif atteint)" in legend
    assert "non calculée" in legend


def test_popups_show_names_and_no_raw_values(data: MapData) -> None:
    payload = _payload(leaflet_page(data))
    residences = payload["residences"]
    assert isinstance(residences, list) and len(residences) == 3
    # the largest residence is drawn first (smaller ones stay clickable on top)
    assert residences[0][2] == round(marker_radius(250), 1)
    popups = [r[5] for r in residences]
    first = popups[0]
    for text in (
        "12 rue des Tilleuls, Mirebourg",
        "P0000001",
        "Mirebourg Habitat",
        "Les Tilleuls (Mirebourg)",
    ):
        assert text in first
    # a residence without a known address is titled by its identifier
    assert "Résidence P0000002" in popups[1]
    assert "50,0\u00a0%" in first and "240" in first
    assert "hors QPV" in popups[1]
    assert residences[1][3] == UNCLASSED_COLOUR and residences[0][3] == FRAGILITY_COLOURS["fragile"]
    communes = payload["communes"]["features"]  # type: ignore[index]
    qpv = payload["qpv"]["features"]  # type: ignore[index]
    texts = popups + [f["properties"]["popup"] for f in communes + qpv]
    for text in texts:
        for raw in ("True", "False", "NaN", "nan", "<NA>", "None", "residence_id", "q1_share"):
            assert raw not in text, (raw, text)
    assert [f["properties"]["nom"] for f in communes] == ["Mirebourg", "Saint-Aubin-sur-Mire"]
    assert qpv[0]["properties"]["nom"] == "Les Tilleuls (Mirebourg)"
    # 12,5 % is below the target and at least half of it: the middle colour
    assert communes[0]["properties"]["couleur"] == "#fdae61"
    assert communes[1]["properties"]["couleur"] == "#ffffff"
    assert "non calculée" in communes[1]["properties"]["popup"]


def test_gpkg_has_french_fields_names_and_qgis_styles(data: MapData, tmp_path: Path) -> None:
    path = write_map_gpkg(data, tmp_path / "residences.gpkg")
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert layers == {
        "residences": "Point",
        "qpv": "Polygon",
        "communes": "Polygon",
        "layer_styles": None,
    }
    res = gpd.read_file(path, layer="residences")
    for layer in ("residences", "qpv", "communes"):
        fields = [c for c in gpd.read_file(path, layer=layer).columns if c != "geometry"]
        assert not [f for f in fields if SNAKE.match(f)], (layer, fields)
    row = res.iloc[0]
    assert row["Résidence"] == "12 rue des Tilleuls, Mirebourg"
    assert row["Code de la résidence"] == "P0000001"
    assert row["Commune"] == "Mirebourg" and row["Code commune"] == "96001"
    assert row["Bailleur"] == "Mirebourg Habitat" and row["SIREN du bailleur"] == "999961001"
    assert row["Quartier prioritaire"] == "Les Tilleuls (Mirebourg)"
    assert row["En QPV"] == "oui" and res.iloc[1]["En QPV"] == "non"
    assert row["Ménages sous 40 % du plafond PLUS (%)"] == 50.0
    assert res.crs.to_epsg() == 2154
    communes = gpd.read_file(path, layer="communes")
    assert list(communes["Part 1er quartile ou relogés (%)"].iloc[:1]) == [12.5]
    with sqlite3.connect(path) as con:
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles"
        ).fetchall()
        registered = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    assert registered == ("attributes",)
    styles = {name: (column, qml, default) for name, column, qml, default in rows}
    assert set(styles) == {"residences", "qpv", "communes"}
    column, qml, default = styles["residences"]
    assert column == "geom" and default == 1
    root = ET.fromstring(qml)
    renderer = root.find("renderer-v2")
    assert renderer is not None and renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "Classe de fragilité" and "Classe de fragilité" in res.columns
    values = [c.get("value") for c in renderer.iter("category")]
    assert values == list(CLASSES)
    expressions = [o.get("value") for o in root.iter("Option") if o.get("name") == "expression"]
    assert expressions and all('"Logements"' in e for e in expressions)
    qpv_style = ET.fromstring(styles["qpv"][1])
    label = qpv_style.find("labeling/settings/text-style")
    assert label is not None and label.get("fieldName") == "Quartier prioritaire"


def test_static_map_draws_outlines_above_residences(data: MapData, tmp_path: Path) -> None:
    fig = map_figure(data)
    names = [t.name for t in fig.data]
    residences = [i for i, t in enumerate(fig.data) if t.name == "fragile" and t.x[0] is not None]
    qpv = names.index("Quartiers prioritaires (QPV)")
    assert residences and qpv > max(residences)
    texts = [t for t in fig.data if t.mode == "text"]
    shown = [str(v) for t in texts for v in t.text]
    assert "Mirebourg" in shown and "Les Tilleuls (Mirebourg)" in shown
    png = map_png(data, tmp_path / "carte.png", width_cm=8, dpi=60)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
