"""Maps and GIS layers of the diagnostic: an offline Leaflet page (``carte.html``), a tile-free
Plotly map for the report, a matplotlib drawing for printed documents, and a GeoPackage with
French field names and QGIS styles.

What every map draws (``MapData``): the communes (contours, names, and their share of
attributions outside QPV to first-quartile applicants or relocated households), the QPV
perimeters with their names, and the residences as circles sized by their number of dwellings
and coloured by fragility class, « non classée » included. No map has a basemap: the demo
territory is fictional and must not be drawn over real streets, and a page opened without a
network draws everything (Leaflet is embedded in the page, ``reports/assets/leaflet``).

Residences come with Lambert-93 coordinates (RPLS X/Y, EPSG:2154); QPV perimeters and
communes' contours are stored as WKT in WGS84 (EPSG:4326); the web map uses WGS84, the static
maps and the GeoPackage Lambert-93.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import wkt

from mixite.jobs.results import Names
from mixite.reports import fr
from mixite.vocabulary import Indicator, Level

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mixite.jobs.results import DiagnosticResult

__all__ = [
    "FRAGILITY_COLOURS",
    "SIZE_SCALE",
    "UNCLASSED_COLOUR",
    "MapData",
    "class_colour",
    "communes_geodataframe",
    "draw_map",
    "leaflet_page",
    "map_data",
    "map_figure",
    "map_png",
    "marker_radius",
    "qpv_geodataframe",
    "residences_geodataframe",
    "write_gpkg",
    "write_map_gpkg",
]

#: Colours of the residence classes, from "très fragile" (red) to "favorisée" (green).
FRAGILITY_COLOURS: dict[str, str] = {
    "très fragile": "#b2182b",
    "fragile": "#ef8a62",
    "intermédiaire": "#f7d358",
    "plutôt favorisée": "#67a9cf",
    "favorisée": "#1a9850",
}
#: Colour of the residences without a class (too few surveyed households).
UNCLASSED_COLOUR = "#8c8c8c"
#: Outline colour of the QPV perimeters and of the communes' boundaries.
QPV_COLOUR = "#6a1b9a"
COMMUNE_COLOUR = "#5b6470"
#: Dwellings shown in the legend of the circle sizes.
SIZE_SCALE = (10, 50, 200)
#: Colours of the communes by their share of Q1 attributions outside QPV, from far below the
#: target to the target reached, and for a share not computed (no attribution or secrecy).
_SHARE_COLOURS = ("#d7301f", "#fdae61", "#a6d96a")
_NO_SHARE_COLOUR = "#ffffff"
#: Simplification tolerance of the communes' contours drawn in the web page (metres):
#: invisible at the zoom of a territory, it keeps the page light with IGN contours.
_SIMPLIFY_M = 15.0


def class_colour(label: Any) -> str:
    """The colour of a fragility class (grey for « non classée » or an unknown label)."""
    return FRAGILITY_COLOURS.get(str(label), UNCLASSED_COLOUR)


def marker_radius(dwellings: Any) -> float:
    """Radius (pixels) of a residence's circle: its area grows with its number of dwellings
    (1.5 px plus 0.6 px per square root of a dwelling: 10 → 3.4, 50 → 5.7, 200 → 10)."""
    n = float(dwellings) if dwellings == dwellings and dwellings is not None else 0.0
    return 1.5 + 0.6 * math.sqrt(max(n, 0.0))


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------


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


def _from_wkt(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    shapes = frame.dropna(subset=["geometry_wkt"])
    return gpd.GeoDataFrame(
        shapes.drop(columns=["geometry_wkt"]),
        geometry=[wkt.loads(text) for text in shapes["geometry_wkt"]],
        crs="EPSG:4326",
    )


def qpv_geodataframe(qpv: pd.DataFrame) -> gpd.GeoDataFrame:
    """QPV perimeters (WKT, WGS84) as a GeoDataFrame in EPSG:4326 (those without one dropped)."""
    return _from_wkt(qpv)


def communes_geodataframe(communes: pd.DataFrame) -> gpd.GeoDataFrame:
    """Communes' contours (WKT, WGS84) as a GeoDataFrame in EPSG:4326 (those without one
    dropped)."""
    return _from_wkt(communes)


@dataclass(frozen=True)
class MapData:
    """What the maps of a diagnostic draw, every layer in Lambert-93 (EPSG:2154).

    ``residences``: points with the residence layer's columns; ``qpv``: perimeters with
    ``qpv_code``, ``qpv_name``, ``commune`` and ``dwellings`` (social dwellings inside);
    ``communes``: contours with ``commune``, ``commune_name``, ``dwellings``, ``share_in_qpv``
    and the Q1-outside-QPV indicator (``q1_denominator``, ``q1_numerator``, ``q1_share``);
    ``q1_target`` is the territory's target of that indicator; ``fields``: the residence
    columns shown in pop-ups and the GeoPackage, with their French label and display format.
    """

    title: str
    subtitle: str
    names: Names
    residences: gpd.GeoDataFrame
    qpv: gpd.GeoDataFrame | None
    communes: gpd.GeoDataFrame | None
    classes: tuple[str, ...]
    q1_target: float | None = None
    fields: tuple[tuple[str, str, fr.Format], ...] = field(default_factory=tuple)

    def counts(self) -> dict[str, int]:
        """Residences per fragility class, in the order of ``classes``."""
        found = self.residences["fragility_class"].astype(str).value_counts()
        return {c: int(found.get(c, 0)) for c in self.classes}


#: Residence columns of the pop-ups and the GeoPackage, after the place and the class: column
#: and display format (the French label is the column's definition in the diagnostic).
_RESIDENCE_FIELDS: tuple[tuple[str, fr.Format], ...] = (
    ("households", "int"),
    ("share_under_20", "pct"),
    ("share_under_40", "pct"),
    ("share_under_60", "pct"),
    ("share_single_parent", "pct"),
    ("share_large_family", "pct"),
    ("share_unemployed", "pct"),
    ("share_housing_benefit", "pct"),
    ("share_elderly", "pct"),
    ("median_resources_per_uc", "eur"),
)


def map_data(result: DiagnosticResult) -> MapData:
    """The layers of a diagnostic's maps: residences, QPV (with their social dwellings) and
    communes (with their stock and their Q1-outside-QPV share), in Lambert-93."""
    residences = residences_geodataframe(result.residences)
    qpv = None
    if result.qpv is not None and result.qpv["geometry_wkt"].notna().any():
        qpv = qpv_geodataframe(result.qpv).to_crs("EPSG:2154")
        stock = result.tables.get("stock_quartiers")
        dwellings: dict[str, Any] = {}
        if stock is not None and "qpv_code" in stock:
            dwellings = dict(zip(stock["qpv_code"].astype(str), stock["dwellings"], strict=True))
        qpv["dwellings"] = [dwellings.get(str(c)) for c in qpv["qpv_code"]]
    quotas = result.tables.get("quotas")
    target = None
    q1 = pd.DataFrame(columns=["group", "denominator", "numerator", "share", "target"])
    if quotas is not None and len(quotas):
        of_q1 = quotas[quotas["indicator"] == Indicator.Q1_OUTSIDE_QPV]
        epci = of_q1[of_q1["level"] == Level.EPCI]
        if len(epci):
            target = float(epci["target"].iloc[0])
        q1 = of_q1[of_q1["level"] == Level.COMMUNE]
    communes = None
    if result.communes is not None and result.communes["geometry_wkt"].notna().any():
        communes = communes_geodataframe(result.communes).to_crs("EPSG:2154")
        stock = result.tables.get("stock_communes")
        if stock is not None and len(stock):
            by_code = stock.set_index(stock["commune"].astype(str))
            communes["dwellings"] = communes["commune"].astype(str).map(by_code["dwellings"])
            communes["share_in_qpv"] = communes["commune"].astype(str).map(by_code["share_in_qpv"])
        else:
            communes["dwellings"] = np.nan
            communes["share_in_qpv"] = np.nan
        by_group = q1.set_index(q1["group"].astype(str))
        for column, source in (
            ("q1_denominator", "denominator"),
            ("q1_numerator", "numerator"),
            ("q1_share", "share"),
        ):
            communes[column] = communes["commune"].astype(str).map(by_group[source])
    fields: list[tuple[str, str, fr.Format]] = []
    for column, fmt in _RESIDENCE_FIELDS:
        if column not in residences:
            continue
        definition = result.definition("occupation_residences", column)
        fields.append((column, definition.label if definition else column, fmt))
    return MapData(
        title="Fragilité des résidences, quartiers prioritaires et communes",
        subtitle=f"{result.names.territory} — millésime {result.millesime}",
        names=result.names,
        residences=residences,
        qpv=qpv,
        communes=communes,
        classes=result.fragility_classes,
        q1_target=target,
        fields=tuple(fields),
    )


def _share_class(share: Any, target: float | None) -> int | None:
    """0 below half the target, 1 between half the target and the target, 2 at or above it;
    None when the share is not known."""
    if target is None or share is None or share != share:
        return None
    if share >= target:
        return 2
    return 1 if share >= target / 2 else 0


def _share_legend(target: float) -> list[tuple[str, str]]:
    half = target / 2
    return [
        (_SHARE_COLOURS[0], f"moins de {fr.percent(half)}"),
        (_SHARE_COLOURS[1], f"de {fr.percent(half)} à {fr.percent(target)} (sous l'objectif)"),
        (_SHARE_COLOURS[2], f"{fr.percent(target)} et plus (objectif atteint)"),
        (_NO_SHARE_COLOUR, "non calculée (aucune attribution ou secret statistique)"),
    ]


def _present(value: Any) -> bool:
    return not (value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)))


def _qpv_label(data: MapData, code: Any) -> str:
    return data.names.qpv.get(str(code), str(code))


# ---------------------------------------------------------------------------------------------
# Pop-ups (French text, names beside codes)
# ---------------------------------------------------------------------------------------------


def _lines(title: str, rows: Sequence[tuple[str, str]], note: str = "") -> str:
    body = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(text)}</td></tr>"
        for label, text in rows
    )
    extra = f'<p class="expl">{html.escape(note)}</p>' if note else ""
    return f"<h4>{html.escape(title)}</h4><table>{body}</table>{extra}"


def _residence_popup(data: MapData, row: Any) -> str:
    rows: list[tuple[str, str]] = [
        ("Commune", data.names.commune(row.commune)),
        ("Bailleur", data.names.landlord(row.landlord_id)),
        (
            "Quartier prioritaire",
            _qpv_label(data, row.qpv_code) if _present(row.qpv_code) else "hors QPV",
        ),
        ("Logements", fr.integer(row.dwellings)),
        ("Classe de fragilité", str(row.fragility_class)),
    ]
    for column, label, fmt in data.fields:
        value = getattr(row, column)
        if _present(value):
            rows.append((label, fr.value(value, fmt)))
    rows.insert(0, ("Code de la résidence", str(row.residence_id)))
    note = str(getattr(row, "explanation", "") or "")
    title = data.names.residence(row.residence_id)
    if title == str(row.residence_id):
        title = f"Résidence {title}"
    return _lines(title, rows, note if _present(note) else "")


def _qpv_popup(data: MapData, row: Any) -> str:
    rows = [("Code", str(row.qpv_code))]
    if _present(row.commune):
        rows.append(("Commune", data.names.commune(row.commune)))
    if _present(row.dwellings):
        rows.append(("Logements sociaux", fr.integer(row.dwellings)))
    return _lines(f"Quartier prioritaire {row.qpv_name}", rows)


def _commune_popup(data: MapData, row: Any) -> str:
    rows = [("Code INSEE", str(row.commune))]
    if _present(row.dwellings):
        rows.append(("Logements sociaux", fr.integer(row.dwellings)))
    if _present(row.share_in_qpv):
        rows.append(("Part en QPV", fr.percent(row.share_in_qpv)))
    if _present(row.q1_denominator):
        rows.append(("Attributions hors QPV", fr.integer(row.q1_denominator)))
    if _present(row.q1_numerator):
        rows.append(("dont 1er quartile ou relogés", fr.integer(row.q1_numerator)))
    if _present(row.q1_share):
        rows.append(("Part 1er quartile ou relogés", fr.percent(row.q1_share)))
    else:
        rows.append(("Part 1er quartile ou relogés", "non calculée"))
    if data.q1_target is not None:
        rows.append(("Objectif légal de l'EPCI", fr.percent(data.q1_target, 0)))
    return _lines(data.names.commune(row.commune), rows)


# ---------------------------------------------------------------------------------------------
# The Leaflet page
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS (the copy in ``reports/assets/leaflet``), the CSS images
    inlined as data URIs."""
    folder = resources.files("mixite.reports").joinpath("assets", "leaflet")
    script = folder.joinpath("leaflet.js").read_text(encoding="utf-8")
    css = folder.joinpath("leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = folder.joinpath("images", match.group(1))
        if not image.is_file():
            return match.group(0)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return script, re.sub(r"url\(images/([\w.-]+)\)", inline, css)


def _geojson(frame: gpd.GeoDataFrame, properties: list[dict[str, Any]]) -> dict[str, Any]:
    shapes = frame.to_crs("EPSG:4326").geometry
    features = []
    for shape, props in zip(shapes, properties, strict=True):
        features.append(
            {"type": "Feature", "properties": props, "geometry": shape.__geo_interface__}
        )
    return {"type": "FeatureCollection", "features": features}


def _round_coordinates(data: Any, digits: int = 6) -> Any:
    if isinstance(data, float):
        return round(data, digits)
    if isinstance(data, (list, tuple)):
        return [_round_coordinates(v, digits) for v in data]
    if isinstance(data, dict):
        return {k: _round_coordinates(v, digits) for k, v in data.items()}
    return data


def _legend_html(data: MapData) -> str:
    counts = data.counts()
    rows = []
    for label in data.classes:
        n = counts.get(label, 0)
        plural = "résidence" if n < 2 else "résidences"
        rows.append(
            f'<div class="ligne"><span class="pastille" style="background:{class_colour(label)}">'
            f"</span>{html.escape(label)} <small>({fr.integer(n)} {plural})</small></div>"
        )
    biggest = marker_radius(SIZE_SCALE[-1])
    circles = []
    for n in SIZE_SCALE:
        r = marker_radius(n)
        circles.append(
            f'<span class="taille"><svg width="{2 * biggest + 2:.0f}" height="{2 * r + 2:.0f}">'
            f'<circle cx="{biggest + 1:.1f}" cy="{r + 1:.1f}" r="{r:.1f}" fill="#bbbbbb" '
            f'stroke="#555" stroke-width="0.8"/></svg>{fr.integer(n)} logements</span>'
        )
    parts = [
        "<h4>Résidences par classe de fragilité</h4>",
        *rows,
        '<h4>Taille : nombre de logements</h4><div class="tailles">',
        *circles,
        "</div>",
    ]
    if data.qpv is not None:
        parts.append(
            f'<h4>Quartiers prioritaires</h4><div class="ligne"><span class="contour" '
            f'style="border-color:{QPV_COLOUR}"></span>périmètre et nom du QPV</div>'
        )
    if data.communes is not None and data.q1_target is not None:
        parts.append(
            "<h4>Communes : attributions hors QPV au 1er quartile ou relogés</h4>"
            + "".join(
                f'<div class="ligne"><span class="pastille carre" style="background:{colour}">'
                f"</span>{html.escape(text)}</div>"
                for colour, text in _share_legend(data.q1_target)
            )
        )
    elif data.communes is None:
        parts.append(
            '<p class="expl">Contours des communes non importés : la carte montre les résidences '
            "et les QPV sans les limites communales.</p>"
        )
    return "".join(parts)


def leaflet_page(data: MapData) -> str:
    """A standalone HTML page (Leaflet embedded, no request to the network, no basemap):
    communes as the background (boundaries and names, or their Q1-outside-QPV share), QPV
    perimeters with their names, residences sized by dwellings and coloured by fragility class;
    layer control, legend and pop-ups in French."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    script, css = _leaflet_assets()
    points = data.residences.to_crs("EPSG:4326")
    order = np.argsort(-points["dwellings"].to_numpy(dtype=float), kind="stable")
    classes = list(data.classes)
    # one row per residence: latitude, longitude, radius, colour, class rank, pop-up
    residences = []
    for i in order:
        row = points.iloc[int(i)]
        residences.append(
            [
                round(float(row.geometry.y), 6),
                round(float(row.geometry.x), 6),
                round(marker_radius(row["dwellings"]), 1),
                class_colour(row["fragility_class"]),
                classes.index(row["fragility_class"]) if row["fragility_class"] in classes else -1,
                _residence_popup(data, _Row(row)),
            ]
        )
    qpv = None
    if data.qpv is not None:
        props = [
            {"nom": str(row.qpv_name), "popup": _qpv_popup(data, row)}
            for row in data.qpv.itertuples(index=False)
        ]
        qpv = _round_coordinates(_geojson(data.qpv, props))
    communes = None
    if data.communes is not None:
        props = []
        for row in data.communes.itertuples(index=False):
            level = _share_class(row.q1_share, data.q1_target)
            props.append(
                {
                    "nom": data.names.commune(row.commune),
                    "couleur": _NO_SHARE_COLOUR if level is None else _SHARE_COLOURS[level],
                    "popup": _commune_popup(data, row),
                }
            )
        simple = data.communes.copy()
        simple["geometry"] = simple.geometry.simplify(_SIMPLIFY_M, preserve_topology=True)
        communes = _round_coordinates(_geojson(simple, props))
    bounds_frame = data.communes if data.communes is not None else data.residences
    if bounds_frame is None or bounds_frame.empty:
        bounds = [[41.3, -5.2], [51.1, 9.6]]
    else:
        west, south, east, north = bounds_frame.to_crs("EPSG:4326").total_bounds
        bounds = [[float(south), float(west)], [float(north), float(east)]]
    payload = {
        "residences": residences,
        "qpv": qpv,
        "communes": communes,
        "bounds": bounds,
        "couches": {
            "limites": "Communes : limites et noms",
            "q1": "Communes : part des attributions hors QPV au 1er quartile ou relogés",
            "aucun": "Aucun fond",
            "qpv": "Quartiers prioritaires (QPV)",
            "residences": "Résidences par classe de fragilité",
        },
    }
    env = Environment(
        loader=PackageLoader("mixite.reports", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    return env.get_template("carte.html").render(
        title=data.title,
        subtitle=data.subtitle,
        leaflet_js=script,
        leaflet_css=css,
        legend=_legend_html(data),
        data=_script_json(payload),
        with_q1=communes is not None and data.q1_target is not None,
    )


def _script_json(payload: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` as JavaScript escapes."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Row:
    """Attribute access to a row of a (Geo)DataFrame, for the pop-up builders."""

    def __init__(self, series: pd.Series) -> None:
        self._series = series

    def __getattr__(self, name: str) -> Any:
        return self._series.get(name)


# ---------------------------------------------------------------------------------------------
# Static maps: Plotly (the report) and matplotlib (printed documents)
# ---------------------------------------------------------------------------------------------


def _rings(shape: Any) -> list[Any]:
    polygons = getattr(shape, "geoms", [shape])
    return [p.exterior for p in polygons if not p.is_empty]


def map_figure(data: MapData, height: int = 820) -> Any:
    """A tile-free Plotly map in Lambert-93 metres (prints and works offline): communes'
    boundaries and names, QPV outlines (bold, labelled), residences sized by dwellings with
    transparency, the unclassified ones underneath in grey; a legend of classes and sizes."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if data.communes is not None:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for shape in data.communes.geometry:
            for ring in _rings(shape):
                x, y = ring.xy
                xs += [*x, None]
                ys += [*y, None]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": COMMUNE_COLOUR, "width": 1},
            hoverinfo="skip",
            name="Limites des communes",
            legendgroup="communes",
        )
    located = data.residences
    # unclassified first (underneath), then from the least to the most fragile (on top)
    for label in [data.classes[-1], *reversed(data.classes[:-1])]:
        part = located[located["fragility_class"].astype(str) == label]
        if part.empty:
            continue
        part = part.sort_values("dwellings", ascending=False)
        fig.add_scatter(
            x=part.geometry.x,
            y=part.geometry.y,
            mode="markers",
            name=label,
            legendgroup=label,
            showlegend=False,
            marker={
                "size": [1.4 * marker_radius(n) for n in part["dwellings"]],
                "color": class_colour(label),
                "opacity": 0.6,
                "line": {"color": "white", "width": 0.5},
            },
            text=[
                f"{data.names.residence(r)} — {data.names.commune(c)} — {fr.integer(n)} logements"
                for r, c, n in zip(
                    part["residence_id"], part["commune"], part["dwellings"], strict=True
                )
            ],
            hovertemplate="%{text}<extra>" + html.escape(label) + "</extra>",
        )
    # names of the communes and QPV outlines on top of the residences, so that they stay visible
    if data.communes is not None:
        anchors = data.communes.geometry.representative_point()
        fig.add_scatter(
            x=anchors.x,
            y=anchors.y,
            mode="text",
            text=[data.names.commune(c) for c in data.communes["commune"]],
            textfont={"size": 11, "color": "#2f3640"},
            hoverinfo="skip",
            showlegend=False,
            legendgroup="communes",
        )
    if data.qpv is not None:
        xs, ys = [], []
        for shape in data.qpv.geometry:
            for ring in _rings(shape):
                x, y = ring.xy
                xs += [*x, None]
                ys += [*y, None]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": QPV_COLOUR, "width": 3},
            hoverinfo="skip",
            name="Quartiers prioritaires (QPV)",
            legendgroup="qpv",
        )
        edges = data.qpv.geometry.bounds
        fig.add_scatter(
            x=edges["maxx"],
            y=(edges["miny"] + edges["maxy"]) / 2,
            mode="text",
            text=[str(n) for n in data.qpv["qpv_name"]],
            textposition="middle right",
            textfont={"size": 10, "color": QPV_COLOUR},
            hoverinfo="skip",
            showlegend=False,
            legendgroup="qpv",
        )
    # legend entries: one constant-size symbol per class (drawn in the report's order), then
    # the size scale
    for label in data.classes:
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=label,
            legendgroup=label,
            marker={"size": 10, "color": class_colour(label)},
        )
    for n in SIZE_SCALE:
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=f"{fr.integer(n)} logements",
            legendgroup="tailles",
            legendgrouptitle={"text": "Taille des cercles"} if n == SIZE_SCALE[0] else None,
            marker={"size": 1.4 * marker_radius(n), "color": "#bbbbbb", "line": {"width": 0.5}},
        )
    fig.update_layout(
        title=data.title,
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="white",
        legend={"itemsizing": "trace", "groupclick": "togglegroup"},
    )
    return fig


def draw_map(ax: Axes, data: MapData) -> None:
    """Draw the map on a matplotlib ``ax`` (Lambert-93 metres, no axes): communes' boundaries
    and names, QPV outlines and names, residences sized by dwellings and coloured by class, and
    a legend of the classes. For printed documents (PNG, PDF)."""
    from matplotlib.lines import Line2D

    if data.communes is not None:
        data.communes.boundary.plot(ax=ax, color=COMMUNE_COLOUR, linewidth=0.6, zorder=1)
        for shape, code in zip(data.communes.geometry, data.communes["commune"], strict=True):
            anchor = shape.representative_point()
            ax.annotate(
                data.names.commune(code),
                (anchor.x, anchor.y),
                ha="center",
                va="center",
                fontsize=6,
                color="#2f3640",
                zorder=5,
            )
    if data.qpv is not None:
        # outlines above the residences (zorder 3 > 2), so that they stay visible
        data.qpv.boundary.plot(ax=ax, color=QPV_COLOUR, linewidth=1.4, zorder=3)
        for shape, name in zip(data.qpv.geometry, data.qpv["qpv_name"], strict=True):
            _, miny, maxx, maxy = shape.bounds
            ax.annotate(
                str(name), (maxx, (miny + maxy) / 2), ha="left", va="center",
                fontsize=5, color=QPV_COLOUR, zorder=5,
            )  # fmt: skip
    for label in [data.classes[-1], *reversed(data.classes[:-1])]:
        part = data.residences[data.residences["fragility_class"].astype(str) == label]
        if part.empty:
            continue
        ax.scatter(
            part.geometry.x,
            part.geometry.y,
            s=[(0.8 * marker_radius(n)) ** 2 for n in part["dwellings"]],
            c=class_colour(label),
            alpha=0.6,
            linewidths=0.2,
            edgecolors="white",
            zorder=2,
        )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=class_colour(c), label=c)
        for c in data.classes
    ]
    handles += [
        Line2D(
            [], [], marker="o", linestyle="", color="#bbbbbb",
            markersize=0.8 * marker_radius(n), label=f"{fr.integer(n)} logements",
        )
        for n in SIZE_SCALE
    ]  # fmt: skip
    if data.qpv is not None:
        handles.append(Line2D([], [], color=QPV_COLOUR, label="Quartier prioritaire (QPV)"))
    ax.legend(handles=handles, loc="lower left", fontsize=6, frameon=True)
    ax.set_aspect("equal")
    ax.set_axis_off()


def map_png(data: MapData, path: Path, width_cm: float = 17.0, dpi: int = 200) -> Path:
    """The map as a PNG image ``width_cm`` wide (square), for a Word document."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inches = width_cm / 2.54
    fig, ax = plt.subplots(figsize=(inches, inches))
    try:
        draw_map(ax, data)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# GeoPackage for QGIS
# ---------------------------------------------------------------------------------------------


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """A GeoPackage for QGIS, every layer in Lambert-93; replaces an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    for name, frame in layers.items():
        frame.to_crs("EPSG:2154").to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


#: French field names of the GeoPackage's layers (the class and size fields drive the styles).
CLASS_FIELD = "Classe de fragilité"
SIZE_FIELD = "Logements"
QPV_NAME_FIELD = "Quartier prioritaire"
COMMUNE_NAME_FIELD = "Commune"


def _percent_field(values: pd.Series) -> pd.Series:
    return (pd.to_numeric(values, errors="coerce") * 100).round(1)


def _gpkg_residences(data: MapData) -> gpd.GeoDataFrame:
    res = data.residences
    out = pd.DataFrame(
        {
            "Résidence": [data.names.residence(r) for r in res["residence_id"]],
            "Code de la résidence": res["residence_id"].astype(str),
            COMMUNE_NAME_FIELD: [data.names.commune(c) for c in res["commune"]],
            "Code commune": res["commune"].astype(str),
            "Bailleur": [data.names.landlord(b) for b in res["landlord_id"]],
            "SIREN du bailleur": res["landlord_id"].astype(str),
            "En QPV": [fr.yes_no(v) for v in res["in_qpv"]],
            QPV_NAME_FIELD: [_qpv_label(data, c) if _present(c) else None for c in res["qpv_code"]],
            "Code QPV": [str(c) if _present(c) else None for c in res["qpv_code"]],
            SIZE_FIELD: res["dwellings"].astype("int64"),
            CLASS_FIELD: res["fragility_class"].astype(str),
        },
        index=res.index,
    )
    for column, label, fmt in data.fields:
        if fmt == "pct":
            out[f"{label} (%)"] = _percent_field(res[column])
        elif fmt == "int":
            out[label] = pd.to_numeric(res[column], errors="coerce").round().astype("Int64")
        elif fmt == "eur":
            out[f"{label} (€)"] = pd.to_numeric(res[column], errors="coerce").round()
        else:
            out[label] = res[column]
    if "fragility_index" in res:
        out["Indice de fragilité"] = pd.to_numeric(res["fragility_index"]).round(2)
    if "explanation" in res:
        out["Explication"] = (
            res["explanation"]
            .astype(object)
            .where(res["explanation"].astype(str).str.len() > 0, None)
        )
    return gpd.GeoDataFrame(out, geometry=res.geometry.to_numpy(), crs=res.crs)


def _gpkg_qpv(data: MapData) -> gpd.GeoDataFrame:
    assert data.qpv is not None
    qpv = data.qpv
    out = pd.DataFrame(
        {
            QPV_NAME_FIELD: qpv["qpv_name"].astype(str),
            "Code QPV": qpv["qpv_code"].astype(str),
            COMMUNE_NAME_FIELD: [
                data.names.commune(c) if _present(c) else None for c in qpv["commune"]
            ],
            "Code commune": [str(c) if _present(c) else None for c in qpv["commune"]],
            "Logements sociaux": pd.to_numeric(qpv["dwellings"], errors="coerce").astype("Int64"),
        },
        index=qpv.index,
    )
    return gpd.GeoDataFrame(out, geometry=qpv.geometry.to_numpy(), crs=qpv.crs)


def _gpkg_communes(data: MapData) -> gpd.GeoDataFrame:
    assert data.communes is not None
    com = data.communes
    out = pd.DataFrame(
        {
            COMMUNE_NAME_FIELD: [data.names.commune(c) for c in com["commune"]],
            "Code commune": com["commune"].astype(str),
            "Logements sociaux": pd.to_numeric(com["dwellings"], errors="coerce").astype("Int64"),
            "Part en QPV (%)": _percent_field(com["share_in_qpv"]),
            "Attributions hors QPV": pd.to_numeric(com["q1_denominator"]).astype("Int64"),
            "Dont 1er quartile ou relogés": pd.to_numeric(com["q1_numerator"]).astype("Int64"),
            "Part 1er quartile ou relogés (%)": _percent_field(com["q1_share"]),
            "Objectif de l'EPCI (%)": (
                round(data.q1_target * 100, 1) if data.q1_target is not None else None
            ),
        },
        index=com.index,
    )
    return gpd.GeoDataFrame(out, geometry=com.geometry.to_numpy(), crs=com.crs)


def write_map_gpkg(data: MapData, path: Path) -> Path:
    """The GeoPackage of the map for QGIS (Lambert-93): layers ``residences``, ``qpv`` and
    ``communes`` (when present) with French field names and names beside codes, and a QGIS
    style per layer in the ``layer_styles`` table (QGIS applies it when the layer is opened):
    residences by fragility class and sized by dwellings, QPV and communes outlined and
    labelled."""
    layers = {"residences": _gpkg_residences(data)}
    styles = {"residences": _qml_residences(data.classes)}
    if data.qpv is not None:
        layers["qpv"] = _gpkg_qpv(data)
        styles["qpv"] = _qml_outline(QPV_COLOUR, QPV_NAME_FIELD, 0.6, "106,27,154,25")
    if data.communes is not None:
        layers["communes"] = _gpkg_communes(data)
        styles["communes"] = _qml_outline(COMMUNE_COLOUR, COMMUNE_NAME_FIELD, 0.3, "0,0,0,0")
    write_gpkg(layers, path)
    _write_styles(path, styles)
    return path


def _rgb(colour: str, alpha: int = 255) -> str:
    value = colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _xml(text: str) -> str:
    return html.escape(text, quote=True)


def _option(name: str, value: str, kind: str = "QString") -> str:
    return f'<Option name="{_xml(name)}" type="{kind}" value="{_xml(value)}"/>'


def _qml_marker(index: int, colour: str) -> str:
    size_expression = f'1.0 + 0.45 * sqrt(coalesce("{SIZE_FIELD}", 0))'
    return (
        f'<symbol type="marker" name="{index}" alpha="0.8" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleMarker" enabled="1" pass="0" locked="0"><Option type="Map">'
        + _option("color", _rgb(colour))
        + _option("name", "circle")
        + _option("outline_color", "255,255,255,255")
        + _option("outline_style", "solid")
        + _option("outline_width", "0.15")
        + _option("outline_width_unit", "MM")
        + _option("size", "2")
        + _option("size_unit", "MM")
        + '</Option><data_defined_properties><Option type="Map">'
        + _option("name", "")
        + '<Option name="properties" type="Map"><Option name="size" type="Map">'
        + _option("active", "true", "bool")
        + _option("expression", size_expression)
        + _option("type", "3", "int")
        + "</Option></Option>"
        + _option("type", "collection")
        + "</Option></data_defined_properties></layer></symbol>"
    )


def _qml_residences(classes: Sequence[str]) -> str:
    """QGIS style (QML) of the residences: categories of the fragility class, « non classée »
    included, circles sized by the number of dwellings."""
    categories = "".join(
        f'<category render="true" symbol="{i}" value="{_xml(c)}" label="{_xml(c)}"/>'
        for i, c in enumerate(classes)
    )
    symbols = "".join(_qml_marker(i, class_colour(c)) for i, c in enumerate(classes))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
        f'<renderer-v2 type="categorizedSymbol" attr="{_xml(CLASS_FIELD)}" symbollevels="0" '
        'forceraster="0" enableorderby="1">'
        f"<categories>{categories}</categories><symbols>{symbols}</symbols>"
        '<orderby><orderByClause asc="0" nullsFirst="0">'
        f"&quot;{_xml(SIZE_FIELD)}&quot;</orderByClause></orderby>"
        "</renderer-v2></qgis>"
    )


def _qml_outline(colour: str, label_field: str, width_mm: float, fill: str) -> str:
    """QGIS style (QML) of an outlined polygon layer labelled by ``label_field``."""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
        '<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0">'
        '<symbols><symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" enabled="1" pass="0" locked="0"><Option type="Map">'
        + _option("color", fill)
        + _option("outline_color", _rgb(colour))
        + _option("outline_style", "solid")
        + _option("outline_width", str(width_mm))
        + _option("outline_width_unit", "MM")
        + _option("style", "solid")
        + "</Option></layer></symbol></symbols></renderer-v2>"
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName="{_xml(label_field)}" isExpression="0" fontSize="9" '
        f'fontSizeUnit="Point" textColor="{_rgb(colour)}" textOpacity="1" namedStyle="Bold">'
        '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.8"/></text-style>'
        '<placement placement="0" overrunDistance="0" dist="0"/>'
        '<rendering obstacle="1" drawLabels="1" displayAll="1" fontMinPixelSize="3" '
        'fontMaxPixelSize="10000" fontLimitPixelSize="0" scaleVisibility="0" labelPerPart="0"/>'
        "</settings></labeling></qgis>"
    )


def _write_styles(path: Path, styles: dict[str, str]) -> None:
    """Store QGIS styles in the GeoPackage's ``layer_styles`` table (the table QGIS writes with
    « Enregistrer le style dans la base de données » and reads when a layer is opened),
    registered in ``gpkg_contents`` as an attribute table."""
    import pyogrio

    geometry_columns = {
        layer: str(pyogrio.read_info(path, layer=layer)["geometry_name"] or "geom")
        for layer in styles
    }
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
        )
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
            "'Styles QGIS des couches', strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )
        con.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)",
            [
                (layer, geometry_columns[layer], f"mixite {layer}", qml, "Style de mixite")
                for layer, qml in styles.items()
            ],
        )
