"""Reader of communes' contours: IGN Admin Express (layer COMMUNE) or any GeoJSON, shapefile or
GeoPackage with the same attributes, and their attachment to the ``communes`` table.

Admin Express publishes one polygon per commune with ``INSEE_COM`` (code INSEE) and ``NOM``
(older editions: ``NOM_COM``), in Lambert-93 for metropolitan France; its GeoPackage holds
several layers, of which ``commune`` is read. Attribute names are matched case-insensitively.
Geometries are converted to WGS84 and kept as WKT, like the QPV perimeters (``io/qpv.py``).
A contours file covers a whole département or France: only the communes of the territory are
kept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.errors import InputError, Location
from mixite.io._spelling import closest
from mixite.schema import COMMUNE_CODE_PATTERN

__all__ = [
    "CONTOUR_COLUMNS",
    "attach_contours",
    "is_contours_file",
    "read_commune_contours",
]

#: Columns of the frame ``read_commune_contours`` returns.
CONTOUR_COLUMNS = ("commune", "commune_name", "geometry_wkt")
_CODE_NAMES = ("insee_com", "code_insee", "insee", "code_commune", "codgeo", "depcom")
_NAME_NAMES = ("nom", "nom_com", "nom_m", "nom_commune", "libelle", "libgeo")
#: Attributes that make a geographic file a QPV file rather than communes' contours.
_QPV_NAMES = ("code_qp", "code_quartier", "code_qpv")
#: Layer names of the communes in an Admin Express GeoPackage.
_LAYER_NAMES = ("commune", "communes")
_FORMATS = "un GeoJSON, un shapefile (avec ses fichiers .dbf, .shx, .prj) ou un GeoPackage"


def _fields(file: Path, layer: str | None = None) -> list[str]:
    import pyogrio

    info = pyogrio.read_info(file, layer=layer)
    return [str(f) for f in info["fields"]]


def _layers(file: Path) -> list[str]:
    import pyogrio

    return [str(row[0]) for row in pyogrio.list_layers(file)]


def _unreadable(file: Path, exc: Exception) -> InputError:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(
        "Fichier géographique illisible",
        Location(file.name),
        f"Fournissez {_FORMATS} valide. Détail : {detail}",
    )


def _pick(fields: list[str], names: tuple[str, ...]) -> str | None:
    folded = {f.casefold(): f for f in fields}
    for name in names:
        if name in folded:
            return folded[name]
    return None


def _communes_layer(file: Path) -> str | None:
    """The layer holding the communes: the only one, else the one named ``commune``, else the
    first one with a code INSEE attribute (None when the file has a single layer)."""
    layers = _layers(file)
    if len(layers) <= 1:
        return None
    for layer in layers:
        if layer.casefold() in _LAYER_NAMES:
            return layer
    for layer in layers:
        if _pick(_fields(file, layer), _CODE_NAMES) is not None:
            return layer
    raise InputError(
        "Aucune couche de communes dans le GeoPackage",
        Location(file.name, value=", ".join(layers)),
        "Donnez le GeoPackage d'Admin Express (couche « commune ») ou un fichier dont une "
        "couche a l'attribut INSEE_COM (code INSEE de la commune).",
    )


def is_contours_file(path: str | Path) -> bool:
    """True when a geographic file holds communes' contours: a code INSEE attribute
    (``INSEE_COM``…) and no QPV code attribute (``code_qp``…)."""
    file = Path(path)
    try:
        fields = _fields(file, _communes_layer(file))
    except InputError:
        return False
    except Exception:  # unreadable here: the reader chosen afterwards reports it in French
        return False
    return _pick(fields, _QPV_NAMES) is None and _pick(fields, _CODE_NAMES) is not None


def read_commune_contours(path: str | Path) -> pd.DataFrame:
    """The communes' contours of a file: columns ``commune`` (code INSEE), ``commune_name``
    and ``geometry_wkt`` (WGS84), one row per commune; ``InputError`` (French) on a bad file."""
    import geopandas as gpd

    file = Path(path)
    if not file.is_file():
        raise InputError(
            "Fichier introuvable", Location(str(file)), "Vérifiez le chemin du fichier."
        )
    try:
        layer = _communes_layer(file)
        frame: Any = gpd.read_file(file, layer=layer)
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise _unreadable(file, exc) from exc
    fields = [str(c) for c in frame.columns if c != "geometry"]
    code_col = _pick(fields, _CODE_NAMES)
    if code_col is None:
        suggestion = closest("INSEE_COM", fields)
        fix = (
            f"Renommez l'attribut « {suggestion} » en « INSEE_COM »"
            if suggestion
            else "Ajoutez l'attribut « INSEE_COM » (code INSEE de la commune)"
        )
        raise InputError(
            "Attribut obligatoire « INSEE_COM » absent",
            Location(file.name, column="INSEE_COM"),
            f"{fix} : c'est le nom qu'utilise la couche COMMUNE d'Admin Express (IGN).",
        )
    if len(frame) == 0:
        raise InputError(
            "Le fichier ne contient aucune commune",
            Location(file.name),
            "Vérifiez l'export : il doit contenir au moins un contour de commune.",
        )
    if frame.crs is None:
        raise InputError(
            "Projection des coordonnées inconnue",
            Location(file.name),
            "Le fichier ne dit pas dans quel système sont ses coordonnées : joignez le fichier "
            ".prj du shapefile (Admin Express est en Lambert-93), ou fournissez un GeoJSON en "
            "WGS84.",
        )
    codes = frame[code_col].astype("string").str.strip()
    pattern = re.compile(COMMUNE_CODE_PATTERN)
    bad = ~codes.fillna("").str.match(pattern)
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        value = codes.iloc[position]
        raise InputError(
            f"Code INSEE mal formé (entité n° {position + 1})",
            Location(file.name, column=code_col, value=None if pd.isna(value) else str(value)),
            "Un code INSEE de commune a 5 caractères (par exemple 01053, ou 2A004 en Corse) : "
            "vérifiez que les zéros de tête n'ont pas été perdus.",
        )
    duplicated = codes.duplicated()
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        first = int((codes == codes.iloc[position]).to_numpy().nonzero()[0][0])
        raise InputError(
            f"Commune en double (entités n° {first + 1} et {position + 1})",
            Location(file.name, column=code_col, value=str(codes.iloc[position])),
            "Chaque commune doit apparaître une seule fois : fusionnez ses polygones en un "
            "multipolygone ou supprimez le doublon.",
        )
    kinds = frame.geometry.geom_type.dropna()
    wrong = ~kinds.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        position = int(wrong.index[wrong.to_numpy()][0])
        raise InputError(
            f"Géométrie qui n'est pas un contour (entité n° {int(position) + 1} : "
            f"{kinds.loc[position]})",
            Location(file.name, column="geometry", value=str(codes.iloc[int(position)])),
            "Les communes doivent être des polygones : donnez la couche COMMUNE d'Admin "
            "Express, pas celle des chefs-lieux.",
        )
    geometry = frame.to_crs(4326).geometry if frame.crs.to_epsg() != 4326 else frame.geometry
    name_col = _pick(fields, _NAME_NAMES)
    names = frame[name_col].astype("string").str.strip() if name_col else codes
    return pd.DataFrame(
        {
            "commune": codes.astype(object).to_numpy(),
            "commune_name": names.astype(object).to_numpy(),
            "geometry_wkt": [None if g is None or g.is_empty else g.wkt for g in geometry],
        },
        columns=list(CONTOUR_COLUMNS),
    )


def attach_contours(communes: pd.DataFrame, contours: pd.DataFrame, source: str) -> pd.DataFrame:
    """The ``communes`` frame with ``geometry_wkt`` filled from ``contours`` (by code INSEE);
    the territory's communes missing from the file keep an empty contour. ``InputError`` when
    no commune of the file belongs to the territory."""
    shapes = dict(zip(contours["commune"], contours["geometry_wkt"], strict=True))
    found = [shapes.get(str(c)) for c in communes["commune"]]
    if not any(shape is not None for shape in found):
        sample = ", ".join(str(c) for c in list(communes["commune"])[:3])
        raise InputError(
            "Aucune commune du territoire dans le fichier de contours",
            Location(source, column="INSEE_COM"),
            f"Les codes INSEE du territoire (par exemple {sample}) n'y figurent pas : donnez le "
            "fichier Admin Express du bon département, ou vérifiez le millésime du COG.",
        )
    out = communes.copy()
    out["geometry_wkt"] = pd.Series(found, index=out.index, dtype=object)
    return out
