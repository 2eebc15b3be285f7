"""Reader of QPV perimeters (ANCT GeoJSON / shapefile / GeoPackage) and QPV lists (CSV).

Attribute names differ between publications: the code is read from ``code_qp`` (also
``CODE_QP``, ``code_quartier``), the name from ``lib_qp`` or ``nom_qp``, the commune from
``insee_com`` or ``code_commune`` (case-insensitive). The generation comes from the code: ``QP…``
= 2015 geography (décret 2014-1750), ``QN…`` = 2024 geography (décret 2023-1314). Geometries
are checked (a plausible coordinate system, polygons only, valid shapes — repaired when GEOS
can —, inside France; ``docs/formats.md`` §4), converted to WGS84 and kept as WKT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixite.dtypes import canonical
from mixite.errors import InputError, Location
from mixite.io._spelling import closest
from mixite.io.mapping import ColumnMapping, as_mapping
from mixite.schema import QPV, QPV_CODE_PATTERN

__all__ = ["GEO_SUFFIXES", "WARNINGS", "read_qpv"]

#: Key of ``DataFrame.attrs`` holding the French warnings of a read (a repaired perimeter), shown
#: by the import beside its cross-file warnings.
WARNINGS = "avertissements"

GEO_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg", ".zip")
_CODE_NAMES = ("code_qp", "code_quartier", "code_qpv", "qp", "code")
_NAME_NAMES = ("lib_qp", "nom_qp", "libelle_qp", "nom_quartier", "lib_quartier", "nom")
_COMMUNE_NAMES = ("insee_com", "code_commune", "commune_qp_code", "insee_commune", "depcom")
_GENERATION = {"QP": 2015, "QN": 2024}
WGS84 = 4326
LAMBERT_93 = 2154


def read_qpv(
    path: str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
) -> pd.DataFrame:
    """Read QPV perimeters (GeoJSON, shapefile, GeoPackage) or a QPV list (CSV) into the
    canonical ``qpv`` frame; ``InputError`` (French) on a bad file or code."""
    file = Path(path)
    if file.suffix.lower() not in GEO_SUFFIXES:
        from mixite.io.tables import read_table

        return read_table(file, "qpv", mapping)
    if not file.is_file():
        raise InputError(
            "Fichier introuvable", Location(str(file)), "Vérifiez le chemin du fichier."
        )
    rules = as_mapping(mapping)
    frame = _read_geo(file)
    columns = {rules.columns.get(c, c).lower(): c for c in frame.columns if c != "geometry"}
    code_col = _pick(columns, ("code_qp", *_CODE_NAMES))
    if code_col is None:
        shown = [c for c in frame.columns if c != "geometry"]
        suggestion = closest("code_qp", shown)
        fix = (
            f"Renommez l'attribut « {suggestion} » en « code_qp »"
            if suggestion
            else "Ajoutez l'attribut « code_qp » (code du QPV)"
        )
        raise InputError(
            "Attribut obligatoire « code_qp » absent",
            Location(file.name, column="code_qp"),
            f"{fix}, ou déclarez la correspondance dans un fichier de correspondance YAML.",
        )
    name_col = _pick(columns, _NAME_NAMES)
    commune_col = _pick(columns, _COMMUNE_NAMES)
    codes = frame[code_col].astype("string").str.strip()
    pattern = re.compile(QPV_CODE_PATTERN)
    bad = ~codes.fillna("").str.match(pattern)
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        value = codes.iloc[position]
        raise InputError(
            f"Code QPV mal formé (entité n° {position + 1})",
            Location(file.name, column=code_col, value=None if pd.isna(value) else str(value)),
            "Un code QPV s'écrit QP suivi de 6 caractères (géographie 2015, par exemple "
            "QP095019) ou QN suivi de 6 caractères (géographie 2024, par exemple QN09501M).",
        )
    duplicated = codes.duplicated()
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        first = int((codes == codes.iloc[position]).to_numpy().nonzero()[0][0])
        raise InputError(
            f"Code QPV en double (entités n° {first + 1} et {position + 1})",
            Location(file.name, column=code_col, value=str(codes.iloc[position])),
            "Chaque QPV doit apparaître une seule fois : fusionnez ses polygones en un "
            "multipolygone ou supprimez le doublon.",
        )
    geometry, repaired = _wkt(frame, file.name, codes)
    out = pd.DataFrame(
        {
            "qpv_code": codes.astype(object),
            "qpv_name": (
                frame[name_col].astype("string").str.strip() if name_col else codes.astype("string")
            ).astype(object),
            "commune": (
                # A QPV over several communes lists them (« 95018; 95063 »): the first one.
                frame[commune_col].astype("string").str.split(";").str[0].str.strip().str.zfill(5)
                if commune_col
                else pd.Series([None] * len(frame))
            ),
            "generation": codes.str[:2].map(_GENERATION).astype("int64"),
            "geometry_wkt": geometry,
        }
    )
    result = canonical(out, QPV)
    if repaired:
        result.attrs[WARNINGS] = [
            f"{file.name} : périmètre invalide réparé (GEOS, « make_valid ») pour "
            f"{', '.join(repaired)} ; vérifiez-le dans QGIS (outil « Vérifier la validité »)."
        ]
    return result


def _pick(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


def _read_geo(file: Path) -> Any:
    import geopandas as gpd

    suffix = file.suffix.lower()
    if suffix == ".shp":
        for part in (".shx", ".dbf"):
            if not file.with_suffix(part).exists() and not file.with_suffix(part.upper()).exists():
                raise InputError(
                    f"Fichier « {file.with_suffix(part).name} » absent à côté du shapefile",
                    Location(file.name),
                    "Un shapefile est fait de plusieurs fichiers (.shp, .shx, .dbf, .prj) : "
                    "copiez-les tous dans le même dossier, ou exportez les périmètres en GeoJSON.",
                )
    try:
        frame = gpd.read_file(file)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputError(
            "Fichier géographique illisible",
            Location(file.name),
            _unreadable_fix(file, str(exc)),
        ) from exc
    if len(frame) == 0:
        raise InputError(
            "Le fichier ne contient aucun QPV",
            Location(file.name),
            "Vérifiez l'export : il doit contenir au moins un périmètre.",
        )
    return frame


def _unreadable_fix(file: Path, detail: str) -> str:
    """The French fix for a file GDAL cannot read (its English message is not shown)."""
    text = detail.lower()
    if file.suffix.lower() == ".zip":
        return (
            "L'archive ne contient pas de couche géographique lisible : décompressez-la et "
            "importez le fichier .geojson, .gpkg ou .shp qu'elle contient."
        )
    if "not recognized" in text or "unsupported" in text or "failed to read" in text:
        return (
            "Le contenu n'est pas reconnu comme un GeoJSON, un shapefile ou un GeoPackage : "
            "vérifiez que le fichier n'est pas tronqué ou enregistré sous un autre format, puis "
            "exportez-le de nouveau."
        )
    return (
        "Fournissez un GeoJSON, un shapefile (avec ses fichiers .dbf, .shx, .prj) ou un "
        "GeoPackage valide, par exemple exporté de nouveau depuis QGIS."
    )


def _wkt(frame: Any, file_name: str, codes: pd.Series) -> tuple[pd.Series, list[str]]:
    """The perimeters as WKT in WGS84, after the checks of ``docs/formats.md`` §4: a plausible
    coordinate system, a perimeter for every entity, polygons only, valid shapes (repaired when
    GEOS can: the codes repaired are returned, to be said), inside France."""
    import shapely

    geometry = getattr(frame, "geometry", None)
    if geometry is None:
        return pd.Series([None] * len(frame), dtype=object), []
    frame = _plausible_crs(frame, file_name, codes)
    if frame.crs is not None and frame.crs.to_epsg() != WGS84:
        frame = frame.to_crs(WGS84)
    shapes = np.asarray(frame.geometry.to_numpy(), dtype=object)
    out: list[str | None] = []
    repaired: list[str] = []
    for position, shape in enumerate(shapes):
        where = Location(file_name, column="geometry", value=str(codes.iloc[position]))
        if shape is None or shape.is_empty:
            raise InputError(
                f"Périmètre absent (entité n° {position + 1} sans géométrie)",
                where,
                "Chaque entité d'un fichier de périmètres doit porter le polygone de son QPV : "
                "supprimez l'entité, ou importez une liste de QPV sans périmètres en CSV "
                "(fichier CSV).",
            )
        polygonal = _polygonal(shape)
        if polygonal is None:
            raise InputError(
                f"Géométrie qui n'est pas un polygone (entité n° {position + 1}, type "
                f"{_GEOMETRY_NAMES.get(shape.geom_type, shape.geom_type)})",
                where,
                "Un QPV est un polygone ou un multipolygone : vérifiez que vous importez la "
                "couche des périmètres, pas celle des centroïdes ou des contours en lignes.",
            )
        if not polygonal.is_valid:
            repaired.append(str(codes.iloc[position]))
            polygonal = _polygonal(shapely.make_valid(polygonal))
            if polygonal is None or polygonal.is_empty:
                raise InputError(
                    f"Périmètre invalide et irréparable (entité n° {position + 1})",
                    where,
                    "Corrigez la géométrie (par exemple avec l'outil « Réparer les géométries » "
                    "de QGIS), puis exportez de nouveau les périmètres.",
                )
        x0, y0, x1, y1 = polygonal.bounds
        if not _in_france(x0, y0, x1, y1):
            raise InputError(
                f"Périmètre hors de France (entité n° {position + 1}, emprise "
                f"{x0:.4f} ; {y0:.4f} – {x1:.4f} ; {y1:.4f} en longitude ; latitude)",
                where,
                "Vérifiez le système de coordonnées du fichier (fichier .prj d'un shapefile, "
                "membre « crs » d'un GeoJSON) : les QPV doivent être en France.",
            )
        out.append(polygonal.wkt)
    return pd.Series(out, dtype=object), repaired


_GEOMETRY_NAMES = {
    "Point": "point",
    "MultiPoint": "multipoint",
    "LineString": "ligne",
    "MultiLineString": "multiligne",
    "LinearRing": "anneau",
    "GeometryCollection": "collection",
}


def _polygonal(shape: Any) -> Any:
    """``shape`` when it is a (multi)polygon, the union of its polygons for a collection holding
    some, else None."""
    import shapely

    if shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    if shape.geom_type == "GeometryCollection":
        parts = [g for g in shape.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        if parts:
            return shapely.union_all(parts)
    return None


def _in_france(x0: float, y0: float, x1: float, y1: float) -> bool:
    from mixite.qpv import FRANCE_BOXES

    margin = 0.05
    return any(
        x0 >= bx0 - margin and y0 >= by0 - margin and x1 <= bx1 + margin and y1 <= by1 + margin
        for bx0, by0, bx1, by1 in FRANCE_BOXES
    )


def _plausible_crs(frame: Any, file_name: str, codes: pd.Series) -> Any:
    """``frame`` with a coordinate system whose reading puts it in France.

    A file without system is read as WGS84 when its coordinates are degrees and as Lambert-93
    when they are Lambert-93 metres; a file declared in WGS84 (a GeoJSON's default) whose
    coordinates are Lambert-93 metres is read in Lambert-93. Longitude and latitude swapped, or
    metres without any system, are errors in French.
    """
    valid = frame[~frame.geometry.isna() & ~frame.geometry.is_empty]
    if valid.empty:
        return frame
    x0, y0, x1, y1 = (float(v) for v in valid.total_bounds)
    degrees = -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    lambert = 0 <= x0 <= x1 <= 1_300_000 and 6_000_000 <= y0 <= y1 <= 7_200_000
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    if frame.crs is None or (epsg == WGS84 and not degrees):
        if degrees:
            return frame.set_crs(WGS84, allow_override=True)
        if lambert:
            return frame.set_crs(LAMBERT_93, allow_override=True)
        raise InputError(
            "Système de coordonnées inconnu",
            Location(file_name, column="geometry"),
            "Le fichier ne dit pas dans quel système sont ses coordonnées et elles ne sont ni "
            "en degrés (WGS84) ni en Lambert-93 : joignez le fichier .prj du shapefile, ou "
            "exportez les périmètres en GeoJSON WGS84 (EPSG:4326).",
        )
    swapped = not _in_france(x0, y0, x1, y1) and _in_france(y0, x0, y1, x1)
    if epsg == WGS84 and degrees and swapped:
        raise InputError(
            "Longitude et latitude inversées",
            Location(file_name, column="geometry", value=str(codes.iloc[0])),
            "Les coordonnées sont écrites latitude d'abord : exportez de nouveau les "
            "périmètres en WGS84 (EPSG:4326) avec la longitude en premier.",
        )
    return frame
