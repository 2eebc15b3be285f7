"""QPV membership of dwellings and attributions: which generation is in force at a date, where a
dwelling is by its coordinates, and whether an attribution's declared QPV agrees with its dwelling.

Rules (``docs/droit.md`` §10 « Géographie prioritaire (QPV) »): a dwelling is « en QPV » for the
attribution objectives according to the geography in force on the lease date. Two generations
exist: the 2015 list (décrets n° 2014-1750 and 2014-1751), in force until 31 December 2023 in
mainland France and 31 December 2024 overseas, and the 2024 list (décret n° 2023-1314), in force
from 1 January 2024 in mainland France and 1 January 2025 overseas. The dates are the dated
parameters ``qpv.geographie_en_vigueur.metropole`` and ``.outre_mer``.

Each dwelling carries both generations (``qpv_2024``, ``qpv_2015``) and how each is known
(``qpv_2024_source``, ``qpv_2015_source``: ``schema.QPV_SOURCES``). The RPLS reader fills them
from the geocoded and declared columns; ``locate_dwellings`` then locates the dwellings whose
membership is unknown in the imported perimeters, by a point-in-polygon test of their
coordinates (a spatial index, shapely's ``STRtree``; Lambert-93, WGS84 and the other EPSG codes
of the RPLS ``EPSG`` column are converted to WGS84, the system of the stored perimeters), and
sets ``qpv_code`` / ``in_qpv`` to the generation in force on 1 January of the millésime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from mixite.params import Parameters, resolve

__all__ = [
    "DISAGREEMENTS",
    "GENERATIONS",
    "generation_columns",
    "generation_in_force",
    "in_force",
    "is_overseas",
    "judge_attributions",
    "locate_dwellings",
    "locate_points",
    "location_counts",
    "to_wgs84",
]

#: The two generations of the geography, most recent first, with the code prefix of each.
GENERATIONS: dict[int, str] = {2024: "QN", 2015: "QP"}
#: Commune code prefixes of the overseas departments and collectivities.
_OVERSEAS_PREFIXES = ("97", "98")
#: WGS84 boxes (lon min, lat min, lon max, lat max) of France: mainland and Corsica, Antilles,
#: Guiana, Réunion, Mayotte, Saint-Pierre-et-Miquelon, French Polynesia, New Caledonia, Wallis.
FRANCE_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (-5.8, 41.2, 10.0, 51.3),
    (-63.3, 14.3, -60.7, 18.2),
    (-54.7, 2.0, -51.5, 6.0),
    (55.1, -21.5, 56.0, -20.8),
    (44.9, -13.1, 45.4, -12.5),
    (-56.5, 46.7, -56.0, 47.2),
    (-155.0, -28.0, -134.0, -7.0),
    (163.0, -23.0, 169.0, -19.0),
    (-178.5, -14.5, -176.0, -13.0),
)
#: Lambert-93 bounds of mainland France, metres (for coordinates without an EPSG code).
_L93_BOUNDS = (0.0, 6_000_000.0, 1_300_000.0, 7_200_000.0)
WGS84 = 4326
LAMBERT_93 = 2154


def generation_columns(generation: int) -> tuple[str, str]:
    """The dwellings columns of a generation: (code column, source column)."""
    return f"qpv_{generation}", f"qpv_{generation}_source"


def is_overseas(communes: Iterable[Any] | pd.Series) -> np.ndarray:  # type: ignore[type-arg]
    """Whether each commune code is overseas (codes 97… and 98…)."""
    codes = pd.Series(list(communes), dtype=object).fillna("").astype(str)
    return codes.str.startswith(_OVERSEAS_PREFIXES).to_numpy(dtype=bool)


def generation_in_force(
    communes: Iterable[Any] | pd.Series,
    when: Any,
    params: Parameters | None = None,
) -> np.ndarray:  # type: ignore[type-arg]
    """The generation (2015 or 2024) in force on ``when`` for each commune code.

    ``when`` is one date, or one date per commune (an array or Series of dates). Parameters
    ``qpv.geographie_en_vigueur.metropole`` and ``.outre_mer`` (``docs/droit.md`` §10).
    """
    p = resolve(params)
    codes = pd.Series(list(communes), dtype=object)
    overseas = is_overseas(codes)
    out = np.zeros(len(codes), dtype=np.int64)
    if not np.ndim(when):  # one date for every commune: read the parameters once
        stamp = pd.to_datetime(when)
        if len(codes) and not pd.isna(stamp):
            day = stamp.date()
            out[~overseas] = int(p.value("qpv.geographie_en_vigueur.metropole", day))
            out[overseas] = int(p.value("qpv.geographie_en_vigueur.outre_mer", day))
        return out
    dates = pd.to_datetime(pd.Series(when))
    days = dates.dt.date.to_numpy(dtype=object)
    for day in pd.unique(days):
        at = days == day
        if day is None or pd.isna(day):
            continue
        out[at & ~overseas] = int(p.value("qpv.geographie_en_vigueur.metropole", day))
        out[at & overseas] = int(p.value("qpv.geographie_en_vigueur.outre_mer", day))
    return out


def _inside(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    ok = np.zeros(lon.shape, dtype=bool)
    for x0, y0, x1, y1 in FRANCE_BOXES:
        ok |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return ok


def to_wgs84(x: Any, y: Any, epsg: Any = None) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Longitudes and latitudes (WGS84) of points given in the system ``epsg`` (one code per
    point, or None), NaN where unknown.

    A point without code is read as WGS84 when its values are degrees, as Lambert-93 when they
    fall in the Lambert-93 bounds of mainland France; a declared code whose transform leaves
    France is tried the other way round (a WGS84 point declared 2154, for instance). A point that
    lands outside France in every reading is left unknown.
    """
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    xs = pd.to_numeric(pd.Series(np.asarray(x, dtype=object)), errors="coerce").to_numpy(float)
    ys = pd.to_numeric(pd.Series(np.asarray(y, dtype=object)), errors="coerce").to_numpy(float)
    n = len(xs)
    if epsg is None or np.ndim(epsg) == 0:
        codes = np.full(n, -1 if epsg is None else int(epsg), dtype=np.int64)
    else:
        codes = (
            pd.to_numeric(pd.Series(np.asarray(epsg, dtype=object)), errors="coerce")
            .fillna(-1)
            .to_numpy(dtype=np.int64)
        )
    known = np.isfinite(xs) & np.isfinite(ys)
    degrees = known & (np.abs(xs) <= 180) & (np.abs(ys) <= 90)
    x0, y0, x1, y1 = _L93_BOUNDS
    metres = known & (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    guessed = np.where(degrees, WGS84, np.where(metres, LAMBERT_93, -1))
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)

    def project(code: int, rows: np.ndarray) -> None:  # type: ignore[type-arg]
        if code == WGS84:
            lo, la = xs[rows], ys[rows]
        else:
            try:
                crs = CRS.from_epsg(int(code))
            except CRSError:
                return
            transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
            lo, la = transformer.transform(xs[rows], ys[rows])
        lo, la = np.asarray(lo, dtype=float), np.asarray(la, dtype=float)
        good = _inside(lo, la)
        target = np.flatnonzero(rows)[good]
        lon[target], lat[target] = lo[good], la[good]

    declared = known & (codes > 0)
    for code in np.unique(codes[declared]):
        project(int(code), declared & (codes == code))
    retry = known & np.isnan(lon) & (guessed > 0)
    for code in np.unique(guessed[retry]):
        project(int(code), retry & (guessed == code))
    return lon, lat


def locate_points(lon: Any, lat: Any, perimeters: pd.DataFrame) -> np.ndarray:  # type: ignore[type-arg]
    """The code of the QPV perimeter holding each point (WGS84), None outside every perimeter or
    when the point is unknown (NaN).

    ``perimeters``: ``qpv_code`` and ``geometry_wkt`` (WGS84). Points on a boundary belong to the
    perimeter; a point in two perimeters (overlapping shapes) takes the smaller code.
    """
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lon), None, dtype=object)
    shapes = perimeters.dropna(subset=["geometry_wkt"]).sort_values("qpv_code")
    known = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if shapes.empty or known.size == 0:
        return out
    geoms = shapely.from_wkt(shapes["geometry_wkt"].to_numpy(dtype=object))
    codes = shapes["qpv_code"].to_numpy(dtype=object)
    tree = shapely.STRtree(geoms)
    points = shapely.points(lon[known], lat[known])
    hits = tree.query(points, predicate="intersects")
    if hits.size == 0:
        return out
    point_idx, shape_idx = hits
    order = np.lexsort((shape_idx, point_idx))
    point_idx, shape_idx = point_idx[order], shape_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    out[known[point_idx[first]]] = codes[shape_idx[first]]
    return out


def in_force(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> tuple[pd.Series, pd.Series]:
    """(QPV code, source) of each dwelling for the generation in force on 1 January of
    ``millesime`` in its commune."""
    generation = generation_in_force(dwellings["commune"], dt.date(millesime, 1, 1), params)
    code = pd.Series(None, index=dwellings.index, dtype=object)
    source = pd.Series("inconnu", index=dwellings.index, dtype=object)
    for gen in GENERATIONS:
        col, src = generation_columns(gen)
        if col not in dwellings:
            continue
        at = generation == gen
        code[at] = dwellings.loc[at, col].to_numpy(dtype=object)
        source[at] = dwellings.loc[at, src].fillna("inconnu").to_numpy(dtype=object)
    code = code.where(code.notna(), None)
    return code, source


def locate_dwellings(
    dwellings: pd.DataFrame,
    qpv: pd.DataFrame | None,
    millesime: int,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """``dwellings`` located in the QPV perimeters, with the generation in force set.

    For each generation whose perimeters ``qpv`` holds (``generation``, ``geometry_wkt``), the
    dwellings whose membership is unknown (source ``inconnu``: no geocoded code, no declared code
    and no geocoded column filled in the file) and whose coordinates are known are located by a
    point-in-polygon test (source ``coordonnees``, in or outside a QPV). ``qpv_code`` and
    ``in_qpv`` become those of the generation in force on 1 January of ``millesime`` in the
    dwelling's commune. Returns a copy.
    """
    out = dwellings.copy()
    lon: np.ndarray | None = None  # type: ignore[type-arg]
    lat: np.ndarray | None = None  # type: ignore[type-arg]
    for gen in GENERATIONS:
        col, src = generation_columns(gen)
        if qpv is None or qpv.empty:
            break
        perimeters = qpv[(qpv["generation"] == gen) & qpv["geometry_wkt"].notna()]
        if perimeters.empty:
            continue
        unknown = (out[src].fillna("inconnu") == "inconnu") & out[col].isna()
        if not unknown.any():
            continue
        if lon is None or lat is None:
            epsg = out.get("epsg")
            lon, lat = to_wgs84(out["x"], out["y"], epsg)
        rows = unknown.to_numpy() & np.isfinite(lon)
        found = locate_points(lon[rows], lat[rows], perimeters)
        index = out.index[rows]
        out.loc[index, col] = found
        out.loc[index, src] = "coordonnees"
    code, _ = in_force(out, millesime, params)
    out["qpv_code"] = code
    out["in_qpv"] = code.notna().to_numpy()
    return out


def location_counts(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> dict[str, int]:
    """Counts of dwellings by how their QPV (generation in force on 1 January of ``millesime``)
    is known: ``dwellings``, ``in_qpv``, then one count per ``schema.QPV_SOURCES`` code, and
    ``in_qpv_<source>`` (dwellings in a QPV by each source)."""
    from mixite.schema import QPV_SOURCES

    code, source = in_force(dwellings, millesime, params)
    inside = code.notna()
    out = {"dwellings": len(dwellings), "in_qpv": int(inside.sum())}
    for key in QPV_SOURCES:
        out[key] = int((source == key).sum())
        out[f"in_qpv_{key}"] = int(((source == key) & inside).sum())
    return out


#: Kinds of disagreement between an attribution's declared QPV and its dwelling's: declared in
#: QPV but the dwelling is outside, declared outside but the dwelling is in, another QPV, a code
#: of a generation not in force on the lease date (wording: ``reports.fr``).
DISAGREEMENTS = ("en_qpv", "hors_qpv", "code", "generation")


def judge_attributions(
    attributions: pd.DataFrame,
    dwellings: pd.DataFrame | None,
    params: Parameters | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each attribution judged against the QPV geography in force on its lease date.

    The generation in force is ``generation_in_force(commune, lease_date)``. When the attribution's
    dwelling is in ``dwellings`` (by ``dwelling_id``) and its membership of that generation is
    known (geocoded, declared or located by its coordinates), the attribution takes the dwelling's
    QPV (``in_qpv``, ``qpv_code``); otherwise its declaration stands. Returns the judged
    attributions (same columns) and the disagreements: one row per attribution whose declaration
    differs from its dwelling's QPV, or whose declared code belongs to a generation not in force
    on the lease date (columns ``attribution_id``, ``dwelling_id``, ``commune``, ``lease_date``,
    ``generation``, ``declared_in_qpv``, ``declared_qpv``, ``dwelling_in_qpv``, ``dwelling_qpv``,
    ``kind`` in ``DISAGREEMENTS``).
    """
    judged = attributions.copy()
    generation = generation_in_force(judged["commune"], judged["lease_date"], params)
    declared_in = judged["in_qpv"].astype(bool).to_numpy()
    declared_code = judged["qpv_code"].astype(object).where(judged["qpv_code"].notna(), None)
    dwelling_code = pd.Series(None, index=judged.index, dtype=object)
    known = np.zeros(len(judged), dtype=bool)
    if dwellings is not None and len(dwellings) and "dwelling_id" in judged:
        place = dwellings.drop_duplicates("dwelling_id").set_index("dwelling_id")
        ids = judged["dwelling_id"]
        for gen in GENERATIONS:
            col, src = generation_columns(gen)
            if col not in place:
                continue
            at = (generation == gen) & ids.isin(place.index).to_numpy()
            if not at.any():
                continue
            rows = place.loc[ids[at].to_numpy()]
            sources = rows[src].fillna("inconnu").to_numpy(dtype=object)
            dwelling_code[at] = rows[col].to_numpy(dtype=object)
            known[np.flatnonzero(at)] = sources != "inconnu"
    dwelling_code = dwelling_code.where(dwelling_code.notna(), None)
    dwelling_in = dwelling_code.notna().to_numpy()
    prefix = np.array([GENERATIONS.get(int(g), "") for g in generation], dtype=object)
    wrong_generation = np.array(
        [
            c is not None and not str(c).startswith(p)
            for c, p in zip(declared_code, prefix, strict=True)
        ],
        dtype=bool,
    )
    kind = np.full(len(judged), None, dtype=object)
    kind[known & declared_in & ~dwelling_in] = "en_qpv"
    kind[known & ~declared_in & dwelling_in] = "hors_qpv"
    same_side = known & declared_in & dwelling_in
    codes_differ = same_side & np.array(
        [a is not None and a != b for a, b in zip(declared_code, dwelling_code, strict=True)],
        dtype=bool,
    )
    kind[codes_differ & (kind == None)] = "code"  # noqa: E711 - element-wise on an object array
    kind[wrong_generation & (kind == None)] = "generation"  # noqa: E711
    disagreements = pd.DataFrame(
        {
            "attribution_id": judged["attribution_id"].to_numpy(dtype=object),
            "dwelling_id": judged["dwelling_id"].to_numpy(dtype=object)
            if "dwelling_id" in judged
            else None,
            "commune": judged["commune"].to_numpy(dtype=object),
            "lease_date": judged["lease_date"].to_numpy(),
            "generation": generation,
            "declared_in_qpv": declared_in,
            "declared_qpv": declared_code.to_numpy(dtype=object),
            "dwelling_in_qpv": dwelling_in,
            "dwelling_qpv": dwelling_code.to_numpy(dtype=object),
            "kind": kind,
        }
    )
    disagreements = disagreements[disagreements["kind"].notna()].reset_index(drop=True)
    judged.loc[known, "in_qpv"] = dwelling_in[known]
    judged.loc[known, "qpv_code"] = dwelling_code[known].to_numpy(dtype=object)
    judged["in_qpv"] = judged["in_qpv"].astype(bool)
    return judged, disagreements
