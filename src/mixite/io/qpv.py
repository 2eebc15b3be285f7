"""Reader of QPV perimeters (ANCT GeoJSON / shapefile / GeoPackage) and QPV lists (CSV).

Attribute names differ between publications: the code is read from ``code_qp`` (also
``CODE_QP``, ``code_quartier``), the name from ``lib_qp`` or ``nom_qp``, the commune from
``insee_com`` or ``code_commune`` (case-insensitive). The generation comes from the code: ``QP…``
= 2015 geography (décret 2014-1750), ``QN…`` = 2024 geography (décret 2023-1314). Geometries
are converted to WGS84 and kept as WKT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.dtypes import canonical
from mixite.errors import InputError, Location
from mixite.io._spelling import closest
from mixite.io.mapping import ColumnMapping, as_mapping
from mixite.schema import QPV, QPV_CODE_PATTERN

__all__ = ["GEO_SUFFIXES", "read_qpv"]

GEO_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg", ".zip")
_CODE_NAMES = ("code_qp", "code_quartier", "code_qpv", "qp", "code")
_NAME_NAMES = ("lib_qp", "nom_qp", "libelle_qp", "nom_quartier", "lib_quartier", "nom")
_COMMUNE_NAMES = ("insee_com", "code_commune", "commune_qp_code", "insee_commune", "depcom")
_GENERATION = {"QP": 2015, "QN": 2024}


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
    geometry = _wkt(frame)
    out = pd.DataFrame(
        {
            "qpv_code": codes.astype(object),
            "qpv_name": (
                frame[name_col].astype("string").str.strip() if name_col else codes.astype("string")
            ).astype(object),
            "commune": (
                frame[commune_col].astype("string").str.strip().str.zfill(5)
                if commune_col
                else pd.Series([None] * len(frame))
            ),
            "generation": codes.str[:2].map(_GENERATION).astype("int64"),
            "geometry_wkt": geometry,
        }
    )
    return canonical(out, QPV)


def _pick(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


def _read_geo(file: Path) -> pd.DataFrame:
    import geopandas as gpd

    try:
        frame: pd.DataFrame = gpd.read_file(file)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputError(
            "Fichier géographique illisible",
            Location(file.name),
            "Fournissez un GeoJSON, un shapefile (avec ses fichiers .dbf, .shx, .prj) ou un "
            f"GeoPackage valide. Détail : {str(exc).splitlines()[0] if str(exc) else exc}",
        ) from exc
    if len(frame) == 0:
        raise InputError(
            "Le fichier ne contient aucun QPV",
            Location(file.name),
            "Vérifiez l'export : il doit contenir au moins un périmètre.",
        )
    return frame


def _wkt(frame: Any) -> pd.Series:
    geometry = getattr(frame, "geometry", None)
    if geometry is None:
        return pd.Series([None] * len(frame), dtype=object)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        geometry = frame.to_crs(4326).geometry
    return pd.Series([None if g is None or g.is_empty else g.wkt for g in geometry], dtype=object)
