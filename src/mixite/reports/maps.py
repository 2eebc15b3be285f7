"""Maps and GIS exports: a Folium (Leaflet) map of QPV perimeters and residences, a GeoPackage.

Residences come with Lambert-93 coordinates (RPLS X/Y, EPSG:2154); web maps use WGS84
(EPSG:4326). QPV perimeters are stored as WKT in WGS84.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import wkt

__all__ = [
    "FRAGILITY_COLOURS",
    "qpv_geodataframe",
    "residences_geodataframe",
    "residences_map",
    "write_gpkg",
]

#: Colours of the residence classes, from "très fragile" (red) to "favorisée" (green).
FRAGILITY_COLOURS: dict[str, str] = {
    "très fragile": "#b2182b",
    "fragile": "#ef8a62",
    "intermédiaire": "#f7d358",
    "plutôt favorisée": "#67a9cf",
    "favorisée": "#1a9850",
}
_DEFAULT_COLOUR = "#777777"


def residences_geodataframe(
    residences: pd.DataFrame, x: str = "x", y: str = "y"
) -> gpd.GeoDataFrame:
    """Residences as points in Lambert-93 (EPSG:2154); rows without coordinates are dropped."""
    located = residences.dropna(subset=[x, y])
    return gpd.GeoDataFrame(
        located.drop(columns=[x, y]),
        geometry=gpd.points_from_xy(located[x], located[y]),
        crs="EPSG:2154",
    )


def qpv_geodataframe(qpv: pd.DataFrame) -> gpd.GeoDataFrame:
    """QPV perimeters (WKT, WGS84) as a GeoDataFrame in EPSG:4326."""
    shapes = qpv.dropna(subset=["geometry_wkt"])
    return gpd.GeoDataFrame(
        shapes.drop(columns=["geometry_wkt"]),
        geometry=[wkt.loads(text) for text in shapes["geometry_wkt"]],
        crs="EPSG:4326",
    )


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """A GeoPackage for QGIS, every layer in Lambert-93; replaces an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    for name, frame in layers.items():
        frame.to_crs("EPSG:2154").to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def residences_map(
    residences: gpd.GeoDataFrame,
    qpv: gpd.GeoDataFrame | None,
    class_column: str,
    popup_columns: Sequence[str],
    title: str,
) -> str:
    """A standalone Leaflet map (HTML): QPV perimeters and residences coloured by class.

    The map tiles and Leaflet itself are loaded from the web when the page is opened.
    """
    import folium

    points = residences.to_crs("EPSG:4326")
    if points.empty:
        centre = [46.6, 2.4]
    else:
        bounds = points.total_bounds
        centre = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    fmap = folium.Map(location=centre, zoom_start=12, tiles="OpenStreetMap", control_scale=True)
    if qpv is not None and not qpv.empty:
        folium.GeoJson(
            qpv.to_crs("EPSG:4326")[["qpv_code", "qpv_name", "geometry"]],
            name="Quartiers prioritaires (QPV)",
            style_function=lambda _: {"color": "#6a1b9a", "weight": 2, "fillOpacity": 0.12},
            tooltip=folium.GeoJsonTooltip(fields=["qpv_code", "qpv_name"], aliases=["Code", "Nom"]),
        ).add_to(fmap)
    # One GeoJSON layer (not one marker object per residence): a territory of 130,000
    # dwellings has more than 10,000 residences, which folium renders in seconds this way.
    # A millésime without occupancy has no household count: its popups show what exists.
    popup_columns = [c for c in popup_columns if c in points.columns and c != class_column]
    shown = points[[class_column, *popup_columns, "geometry"]].copy()
    shown[class_column] = shown[class_column].astype(str)
    for column in popup_columns:
        shown[column] = shown[column].astype(object).where(shown[column].notna(), "").astype(str)
    shown["couleur"] = [FRAGILITY_COLOURS.get(c, _DEFAULT_COLOUR) for c in shown[class_column]]
    folium.GeoJson(
        shown,
        name="Résidences",
        marker=folium.CircleMarker(radius=5, fill=True, fill_opacity=0.85),
        style_function=lambda feature: {
            "color": feature["properties"]["couleur"],
            "fillColor": feature["properties"]["couleur"],
        },
        popup=folium.GeoJsonPopup(fields=[class_column, *popup_columns]),
    ).add_to(fmap)
    legend = "".join(
        f'<div><span style="background:{colour};display:inline-block;width:12px;height:12px"></span> '
        f"{html.escape(name)}</div>"
        for name, colour in FRAGILITY_COLOURS.items()
    )
    fmap.get_root().html.add_child(  # type: ignore[attr-defined]
        folium.Element(
            f'<div style="position:fixed;bottom:20px;left:20px;z-index:9999;background:white;'
            f'padding:8px;border:1px solid #999;font:12px sans-serif"><b>{html.escape(title)}</b>{legend}</div>'
        )
    )
    folium.LayerControl().add_to(fmap)
    return str(fmap.get_root().render())
