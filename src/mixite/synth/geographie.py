"""Communes, QPV perimeters and the placement of residences (Lambert-93, EPSG:2154).

The territory is a centre commune (a disc), inner suburbs (sectors of a ring) and outer towns
(sectors of a wider ring) around a point of metropolitan France. Commune codes use the
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


def _sector(cx: float, cy: float, r0: float, r1: float, a0: float, a1: float) -> Polygon:
    steps = max(4, int((a1 - a0) / (math.pi / 60)))
    angles = np.linspace(a0, a1, steps)
    outer = [(cx + r1 * math.cos(a), cy + r1 * math.sin(a)) for a in angles]
    inner = [(cx + r0 * math.cos(a), cy + r0 * math.sin(a)) for a in angles[::-1]]
    return Polygon(outer + inner)


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

    shapes: list[BaseGeometry] = [Point(cx, cy).buffer(r_c, quad_segs=32)]
    names = [_CENTRE_NAMES[0]]
    groups = ["centre"]
    offset = float(rng.uniform(0, 2 * math.pi))
    for i in range(n_sub):
        a0 = offset + 2 * math.pi * i / n_sub
        shapes.append(_sector(cx, cy, r_c, r_b, a0, a0 + 2 * math.pi / n_sub))
        names.append(_name(_SUBURB_STEMS, i, "sur-Mire"))
        groups.append("banlieue")
    offset = float(rng.uniform(0, 2 * math.pi))
    for i in range(n_out):
        a0 = offset + 2 * math.pi * i / n_out
        shapes.append(_sector(cx, cy, r_b, r_o, a0, a0 + 2 * math.pi / n_out))
        names.append(_name(_OUTER_STEMS, i, "en-Val"))
        groups.append("couronne")
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


def qpv_geojson(geo: Geography) -> dict[str, Any]:
    """The QPV perimeters as a GeoJSON FeatureCollection in WGS84 (coordinates to 1e-6°)."""
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    features = []
    for row, shape in zip(geo.qpv.itertuples(index=False), geo.qpv_shapes, strict=True):
        wgs = shapely.transform(
            shape, lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1]))
        )
        wgs = shapely.set_precision(wgs, 1e-6)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code_qp": row.qpv_code,
                    "lib_qp": row.qpv_name,
                    "insee_com": row.commune,
                    "generation": int(str(row.generation)),
                },
                "geometry": shapely.geometry.mapping(wgs),
            }
        )
    return {"type": "FeatureCollection", "features": features}
