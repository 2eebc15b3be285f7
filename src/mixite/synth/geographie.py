"""Communes, QPV perimeters and the placement of residences (Lambert-93, EPSG:2154).

The territory is a centre commune, inner suburbs (sectors of a ring) and outer towns (sectors
of a wider ring) around a point of metropolitan France. The rings' edges and the lines between
sectors are wavy (sums of a few random sine waves) and the sectors have unequal widths, so the
communes tessellate the territory like real ones: no gap, no overlap, one shared edge between
neighbours, and each commune's polygon holds its residences and QPV. Commune codes use the
département code ``96``, which the Code officiel géographique never allocated (Corsica was 20,
overseas départements start at 971, overseas collectivities at 975/98x, foreign countries at
99), so no synthetic code can clash with a real commune.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from mixite.schema import COMMUNES, QPV

_CENTRE_NAMES = ["Mirebourg"]
_SUBURB_STEMS = [
    "Saint-Aubin",
    "Villeneuve",
    "Bellecombe",
    "Le Plessis",
    "Montfleury",
    "Sainte-Luce",
    "Champvert",
    "Les Ormes",
    "Beaulieu",
    "Rochemaure",
]
_OUTER_STEMS = [
    "Vaux",
    "Marsac",
    "Lignières",
    "Courcelles",
    "Fontenay",
    "Saint-Rémy",
    "Aubigny",
    "Boisseuil",
    "Chavagnes",
    "Neuvy",
    "Brézé",
    "Corbières",
]
_QPV_NAMES = [
    "Les Tilleuls",
    "La Source",
    "Le Grand Ensemble",
    "Les Hauts",
    "La Rabière",
    "Le Sanitas",
    "Les Peupliers",
    "Bel-Air",
    "La Croix-Blanche",
    "Les Acacias",
]


@dataclass(frozen=True)
class Geography:
    """Communes (canonical ``communes`` frame plus ``group``), their polygons, and the QPV."""

    communes: pd.DataFrame
    commune_shapes: list[BaseGeometry]
    qpv: pd.DataFrame
    qpv_shapes: list[BaseGeometry]
    qpv_commune: list[int]
    postcodes: list[str]


def _count(spec: dict[str, Any], dwellings: int) -> int:
    n = int(spec["base"]) + dwellings // int(spec["par_logements"])
    return int(min(n, int(spec["max"])))


def _name(stems: list[str], i: int, suffix: str) -> str:
    base = stems[i % len(stems)]
    rank = i // len(stems)
    return f"{base}-{suffix}" if rank == 0 else f"{base}-{suffix}-{rank + 1}"


class _Waves:
    """A smooth random periodic function: ``1 + sum_k a_k sin(k t + phi_k)`` for k = 2..6,
    amplitudes decreasing as 1/k, the total amplitude at most ``amplitude``."""

    def __init__(self, rng: np.random.Generator, amplitude: float) -> None:
        self.k = np.arange(2, 7, dtype=float)
        weights = rng.uniform(0.5, 1.0, len(self.k)) / self.k
        self.a = amplitude * weights / weights.sum()
        self.phi = rng.uniform(0.0, 2 * math.pi, len(self.k))

    def __call__(self, t: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 + np.sin(np.outer(t, self.k) + self.phi) @ self.a)


#: Angular step of the sampled ring edges, and the radial step of the lines between sectors.
_RING_STEPS = 240
_LINE_STEPS = 60


def _ring(cx: float, cy: float, radius: float, waves: _Waves) -> Polygon:
    """A closed wavy ring edge around (cx, cy): ``radius * waves(theta)``."""
    theta = np.linspace(0.0, 2 * math.pi, _RING_STEPS, endpoint=False)
    r = radius * waves(theta)
    return Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def _line(cx: float, cy: float, reach: float, angle: float, waves: _Waves, sway: float) -> Any:
    """A wavy line from (cx, cy), ``reach`` long, swaying around ``angle`` by at most ``sway``
    radians, more far from the centre."""
    r = np.linspace(0.0, reach, _LINE_STEPS)
    swayed = angle + sway * (waves(r / reach * 2 * math.pi) - 1.0) * (r / reach)
    return shapely.LineString(np.column_stack([cx + r * np.cos(swayed), cy + r * np.sin(swayed)]))


def _sector_lines(
    rng: np.random.Generator, cx: float, cy: float, reach: float, n: int, offset: float
) -> tuple[list[Any], np.ndarray]:
    """``n`` wavy lines from the centre cutting a ring into sectors of unequal widths (Dirichlet
    shares, at least a third of the mean) from the angle ``offset``, and the ``n + 1`` sector
    bounds (a ring without commune, n = 0, has no line)."""
    if n == 0:
        return [], np.array([offset, offset + 2 * math.pi])
    widths = 1.0 / 3.0 + (2.0 / 3.0) * rng.dirichlet(np.full(n, 6.0)) * n
    bounds = offset + 2 * math.pi * np.concatenate([[0.0], np.cumsum(widths / widths.sum())])
    # two neighbouring lines never cross: each sways by less than a third of the narrowest sector
    sway = min(0.15, float(np.diff(bounds).min()) / 3.0)
    lines = [_line(cx, cy, reach, bounds[i], _Waves(rng, 1.0), sway) for i in range(n)]
    return (lines if n > 1 else []), bounds


def _sector_of(face: BaseGeometry, cx: float, cy: float, reach: float, bounds: np.ndarray) -> int:
    """Index of the sector holding ``face``: the one whose middle direction crosses it (a line
    sways by less than a third of a sector, so the middle ray stays inside its sector). A sliver
    that no middle ray crosses (a few square metres where a sector line meets a wavy ring edge,
    seen with 27 outer communes) goes to the sector whose angular bounds hold the direction of
    its representative point."""
    for k, middle in enumerate((bounds[:-1] + bounds[1:]) / 2):
        ray = shapely.LineString(
            [(cx, cy), (cx + reach * math.cos(middle), cy + reach * math.sin(middle))]
        )
        if face.intersects(ray):
            return k
    point = face.representative_point()
    turn = 2 * math.pi
    angle = bounds[0] + (math.atan2(point.y - cy, point.x - cx) - bounds[0]) % turn
    return int(min(np.searchsorted(bounds, angle, side="right") - 1, len(bounds) - 2))


def _tessellation(
    rng: np.random.Generator,
    cx: float,
    cy: float,
    radii: tuple[float, float, float],
    counts: tuple[int, int],
    offsets: tuple[float, float],
) -> list[BaseGeometry]:
    """The communes' polygons: the centre, then ``counts[0]`` inner and ``counts[1]`` outer
    sectors. Every edge is drawn once (ring edges and sector lines, noded together) and the
    faces are dissolved per commune, so neighbours share their edges exactly: no gap, no
    overlap."""
    r_c, r_b, r_o = radii
    reach = 1.5 * r_o
    edges = [
        _ring(cx, cy, r, _Waves(rng, amplitude))
        for r, amplitude in ((r_c, 0.18), (r_b, 0.12), (r_o, 0.10))
    ]
    inner_lines, inner_bounds = _sector_lines(rng, cx, cy, reach, counts[0], offsets[0])
    outer_lines, outer_bounds = _sector_lines(rng, cx, cy, reach, counts[1], offsets[1])
    # each line overshoots its ring by 10 m, so that noding cuts the ring (the overshoots are
    # dangles, which polygonize drops)
    inner_ring = edges[1].buffer(10.0).difference(edges[0].buffer(-10.0))
    outer_ring = edges[2].buffer(10.0).difference(edges[1].buffer(-10.0))
    linework = [e.exterior for e in edges]
    linework += [line.intersection(inner_ring) for line in inner_lines]
    linework += [line.intersection(outer_ring) for line in outer_lines]
    faces = list(shapely.polygonize([shapely.union_all(linework)]).geoms)
    parts: list[list[BaseGeometry]] = [[] for _ in range(1 + counts[0] + counts[1])]
    for face in faces:
        point = face.representative_point()
        if edges[0].contains(point):
            parts[0].append(face)
        elif edges[1].contains(point):
            if counts[0]:  # a ring without commune (a one-commune EPCI) is left out
                parts[1 + _sector_of(face, cx, cy, reach, inner_bounds)].append(face)
        elif counts[1]:
            parts[1 + counts[0] + _sector_of(face, cx, cy, reach, outer_bounds)].append(face)
    return [shapely.union_all(p) for p in parts]


def build_geography(
    rng: np.random.Generator, model: dict[str, Any], dwellings: int, epci: str, epci_name: str
) -> Geography:
    """Communes and 2024-generation QPV of a territory of ``dwellings`` social dwellings.

    The communes are fictitious (département ``96``) unless the model lists real ones
    (``territoire.communes``: code, nom, groupe, zone_apl, zone_plafonds, poids — the centre
    first, then the inner suburbs, then the outer towns; ``poids`` is the commune's share of
    the stock outside QPV), as the territories of the synthetic France do; their polygons are
    still drawn around the model's centre point. ``territoire.prefixe_qpv`` replaces the
    prefix of the QPV codes."""
    geo = model["geographie"]
    terr = model["territoire"]
    dep = str(terr["departement"])
    cx, cy = float(terr["centre_x"]), float(terr["centre_y"])
    scale = max(1.0, math.sqrt(dwellings / 40000.0))
    r_c = float(geo["rayon_centre_m"]) * scale
    r_b = float(geo["rayon_banlieue_m"]) * scale
    r_o = float(geo["rayon_couronne_m"]) * scale
    given: list[dict[str, Any]] = list(terr.get("communes") or [])
    if given:
        kinds = [str(c["groupe"]) for c in given]
        n_sub, n_out = kinds.count("banlieue"), kinds.count("couronne")
    else:
        n_sub = _count(geo["banlieue"], dwellings)
        n_out = _count(geo["couronne"], dwellings)

    # the two ring offsets are drawn from ``rng`` and the shapes' waves from a child generator,
    # so that the draws of ``rng`` that place the QPV below stay those of a plain ring layout
    offsets = (float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0, 2 * math.pi)))
    shapes = _one_piece(
        _tessellation(rng.spawn(1)[0], cx, cy, (r_c, r_b, r_o), (n_sub, n_out), offsets)
    )
    names = [_CENTRE_NAMES[0]]
    names += [_name(_SUBURB_STEMS, i, "sur-Mire") for i in range(n_sub)]
    names += [_name(_OUTER_STEMS, i, "en-Val") for i in range(n_out)]
    groups = ["centre"] + ["banlieue"] * n_sub + ["couronne"] * n_out
    n = len(shapes)
    # INSEE-style codes: département + 3 digits, in a stable alphabetical-like order
    # 7 is prime to 1000, so the n (< 1000) codes are distinct and look scattered like real ones
    codes = [f"{dep}{(i * 7 + 1) % 1000:03d}" for i in range(n)]
    postcodes = [f"{dep}{100 + 10 * (i % 90):03d}" for i in range(n)]
    apl_zones = ["2" if g != "couronne" else "3" for g in groups]
    ceiling_zones = ["A"] * n
    if given:
        codes = [str(c["code"]) for c in given]
        names = [str(c["nom"]) for c in given]
        postcodes = [code.replace("2A", "20").replace("2B", "20") for code in codes]
        apl_zones = [str(c["zone_apl"]) for c in given]
        ceiling_zones = [str(c["zone_plafonds"]) for c in given]
    communes = pd.DataFrame(
        {
            "commune": codes,
            "commune_name": names,
            "epci": epci,
            "epci_name": epci_name,
            "apl_zone": apl_zones,
            "ceiling_zone": ceiling_zones,
        },
        columns=COMMUNES.names,
    )
    communes["group"] = groups
    if given:
        communes["weight"] = [float(c["poids"]) for c in given]

    # QPV perimeters: blobs (unions of discs) inside the centre and some suburbs and one outer town
    qpv_shapes: list[BaseGeometry] = []
    qpv_commune: list[int] = []
    hosts: list[int] = [0] * int(geo["qpv_par_centre"])
    hosts += [i for i in range(1, 1 + n_sub) if i == 1 or rng.random() < 0.6]
    if n_out:
        hosts.append(1 + n_sub + int(rng.integers(n_out)))
    for host in hosts:
        poly = shapes[host]
        radius = (r_c if host == 0 else (r_b - r_c) / 2) * 0.22
        inner = poly.buffer(-radius * 1.6)
        if inner.is_empty:
            inner = poly
        minx, miny, maxx, maxy = inner.bounds
        for _ in range(1000):
            px, py = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if inner.contains(Point(px, py)) and all(
                not s.buffer(radius).intersects(Point(px, py)) for s in qpv_shapes
            ):
                break
        discs = [Point(px, py).buffer(radius, quad_segs=8)]
        for _ in range(2):
            ang, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0.4, 0.9) * radius
            discs.append(
                Point(px + dist * math.cos(ang), py + dist * math.sin(ang)).buffer(
                    radius * rng.uniform(0.5, 0.8), quad_segs=8
                )
            )
        blob = shapely.union_all(discs).intersection(poly)
        qpv_shapes.append(shapely.set_precision(blob, 1.0))
        qpv_commune.append(host)
    prefix = str(terr.get("prefixe_qpv") or f"QN0{dep}")
    suffix = "" if terr.get("prefixe_qpv") else "M"
    qpv_codes = [f"{prefix}{k + 1:02d}{suffix}" for k in range(len(qpv_shapes))]
    qpv = pd.DataFrame(
        {
            "qpv_code": qpv_codes,
            "qpv_name": [
                f"{_QPV_NAMES[k % len(_QPV_NAMES)]} ({names[h]})" for k, h in enumerate(qpv_commune)
            ],
            "commune": [codes[h] for h in qpv_commune],
            "generation": 2024,
            "geometry_wkt": None,
        },
        columns=QPV.names,
    )
    qpv["generation"] = qpv["generation"].astype("int64")
    return Geography(communes, shapes, qpv, qpv_shapes, qpv_commune, postcodes)


def _one_piece(shapes: list[BaseGeometry]) -> list[BaseGeometry]:
    """Every commune in one piece: a sliver cut off by a wavy line joins the neighbour with
    which it shares the longest edge (the tessellation keeps no gap and no overlap)."""
    out = list(shapes)
    for i, shape in enumerate(shapes):
        parts = sorted(getattr(shape, "geoms", [shape]), key=lambda p: p.area, reverse=True)
        if len(parts) == 1:
            continue
        out[i] = parts[0]
        for part in parts[1:]:
            edge = part.buffer(1.0)
            j = max(
                (k for k in range(len(out)) if k != i),
                key=lambda k: out[k].intersection(edge).area,
            )
            out[j] = shapely.union(out[j], part)
    return out


def points_in(
    rng: np.random.Generator, shape: BaseGeometry, n: int, exclude: BaseGeometry | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random points (x, y arrays, rounded to the metre) inside ``shape`` minus
    ``exclude``, by rejection sampling in the bounding box."""
    if n == 0:
        return np.zeros(0), np.zeros(0)
    target = shape if exclude is None or exclude.is_empty else shape.difference(exclude)
    shapely.prepare(target)
    minx, miny, maxx, maxy = target.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    got = 0
    while got < n:
        k = max(64, int((n - got) * 2.5))
        x = np.round(rng.uniform(minx, maxx, k))
        y = np.round(rng.uniform(miny, maxy, k))
        ok = shapely.contains_xy(target, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def qpv_of_points(geo: Geography, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """QPV code of each point (point in polygon), ``None`` outside every perimeter."""
    out = np.full(len(x), None, dtype=object)
    for code, shape in zip(geo.qpv["qpv_code"], geo.qpv_shapes, strict=True):
        inside = shapely.contains_xy(shape, x, y)
        out[inside] = code
    return out


def _to_wgs84(shape: BaseGeometry) -> BaseGeometry:
    """A Lambert-93 geometry in WGS84, coordinates rounded to 1e-6° (about 0.1 m)."""
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    wgs = shapely.transform(shape, lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1])))
    return shapely.set_precision(wgs, 1e-6)


def qpv_geojson(geo: Geography) -> dict[str, Any]:
    """The QPV perimeters as a GeoJSON FeatureCollection in WGS84 (coordinates to 1e-6°)."""
    features = []
    for row, shape in zip(geo.qpv.itertuples(index=False), geo.qpv_shapes, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code_qp": row.qpv_code,
                    "lib_qp": row.qpv_name,
                    "insee_com": row.commune,
                    "generation": int(str(row.generation)),
                },
                "geometry": shapely.geometry.mapping(_to_wgs84(shape)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def communes_geojson(geo: Geography) -> dict[str, Any]:
    """The communes' contours as a GeoJSON FeatureCollection in WGS84 with the attributes of
    IGN Admin Express's COMMUNE layer (``INSEE_COM``, ``NOM``, ``SIREN_EPCI``), as a real
    territory's contours would be imported."""
    features = []
    for row, shape in zip(geo.communes.itertuples(index=False), geo.commune_shapes, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "INSEE_COM": row.commune,
                    "NOM": row.commune_name,
                    "SIREN_EPCI": row.epci,
                },
                "geometry": shapely.geometry.mapping(_to_wgs84(shape)),
            }
        )
    return {"type": "FeatureCollection", "features": features}
