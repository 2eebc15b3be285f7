"""Recognise a file by its header (or extension) and read it with the right reader."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mixite.errors import InputError, Location
from mixite.io._sniff import sniff
from mixite.io.commitments import read_commitments
from mixite.io.contours import attach_contours, is_contours_file, read_commune_contours
from mixite.io.qpv import GEO_SUFFIXES, read_qpv
from mixite.io.rpls import read_rpls
from mixite.io.sru import read_sru, sru_layout
from mixite.io.tables import read_table
from mixite.io.territory import read_territory
from mixite.schema import TABLES

__all__ = ["CONTOURS", "FILE_NAMES", "detect_kind", "read_any", "read_folder"]

#: The kind of a communes' contours file: not a store table of its own, its polygons fill the
#: ``geometry_wkt`` column of the ``communes`` table.
CONTOURS = "commune_contours"

#: mixite's file names, per store table.
FILE_NAMES: dict[str, str] = {
    "dwellings": "rpls.csv",
    "applications": "demandes.csv",
    "attributions": "attributions.csv",
    "households": "occupation.csv",
    "reservations": "reservations.csv",
    "communes": "communes.csv",
    "landlords": "bailleurs.csv",
    "qpv": "qpv.geojson",
    "sru": "sru.csv",
    CONTOURS: "communes.geojson",
    "territory": "territoire.yaml",
    "commitments": "engagements.yaml",
}
_MIN_SHARE = 0.6


def detect_kind(path: str | Path) -> str:
    """The store table a file feeds (``dwellings``, ``applications``… ``qpv``, ``territory``),
    or ``CONTOURS`` for communes' contours.

    YAML files are the territory, except ``engagements*.yaml`` (the adapted rates and the
    partners' commitments, table ``commitments``); a GeoJSON/shapefile/GeoPackage file holds
    communes' contours when it has a code INSEE attribute (``INSEE_COM``, as Admin Express) and
    no QPV code, else QPV perimeters; a CSV file is recognised by its header: RPLS when it has
    ``DEPCOM`` and ``FINAN_CODE``, an SRU publication by its own headers
    (``mixite.io.sru.sru_layout``), else the
    mixite table whose key columns are all present and which has the largest share of its
    columns present (at least 60 %).
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "commitments" if file.stem.casefold().startswith("engagements") else "territory"
    if suffix in GEO_SUFFIXES:
        return CONTOURS if is_contours_file(file) else "qpv"
    raw_headers = sniff(file).headers
    headers = {h.strip().casefold() for h in raw_headers}
    if {"depcom", "finan_code"} <= headers:
        return "dwellings"
    if sru_layout(raw_headers) is not None:
        return "sru"
    best: tuple[float, int, str] | None = None
    for table in TABLES.values():
        if table.name == "dwellings":
            continue
        present = {
            c.name
            for c in table.columns
            if c.header.casefold() in headers or c.name.casefold() in headers
        }
        if not set(table.key) <= present:
            continue
        share = len(present) / len(table.columns)
        score = (share, len(present), table.name)
        if share >= _MIN_SHARE and (best is None or score[:2] > best[:2]):
            best = score
    if best is None:
        raise InputError(
            "Type de fichier non reconnu d'après son en-tête",
            Location(file.name, 1),
            "Utilisez les en-têtes documentés dans docs/formats.md (RPLS, demandes, attributions, "
            "occupation, réservations, communes, bailleurs), ou précisez le type du fichier.",
        )
    return best[2]


def read_any(
    path: str | Path, *, known_communes: Iterable[str] | None = None
) -> tuple[str, pd.DataFrame]:
    """Detect the kind of a file and read it: ``(table name, canonical frame)``."""
    file = Path(path)
    kind = detect_kind(file)
    if kind == "territory":
        return kind, read_territory(file)
    if kind == "commitments":
        return kind, read_commitments(file)
    if kind == "qpv":
        return kind, read_qpv(file)
    if kind == CONTOURS:
        return kind, read_commune_contours(file)
    if kind == "dwellings":
        return kind, read_rpls(file, known_communes=known_communes)
    if kind == "sru":
        return kind, read_sru(file, known_communes=known_communes)
    return kind, read_table(file, kind, known_communes=known_communes)


def read_folder(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read every recognised file of a folder: ``{table name: canonical frame}``.

    ``communes.csv`` is read first; its codes are accepted by the other readers even when
    the COG does not know them (synthetic or recently merged communes). A communes' contours
    file fills the ``geometry_wkt`` column of the communes. Raises ``InputError`` when two files
    feed the same table, when a file is not recognised, or when contours come without the
    communes' table.
    """
    directory = Path(folder)
    if not directory.is_dir():
        raise InputError("Dossier introuvable", Location(str(directory)), "Vérifiez le chemin.")
    files = sorted(
        p
        for p in directory.iterdir()
        if p.is_file()
        and p.suffix.lower() in (".csv", ".txt", ".yaml", ".yml", *GEO_SUFFIXES)
        and not p.name.startswith(".")
    )
    kinds: dict[str, Path] = {}
    for file in files:
        kind = detect_kind(file)
        if kind in kinds:
            raise InputError(
                f"Deux fichiers du dossier contiennent la même table ({kinds[kind].name} et {file.name})",
                Location(file.name),
                "Gardez un seul fichier par type dans le dossier.",
            )
        kinds[kind] = file
    frames: dict[str, pd.DataFrame] = {}
    known: list[str] | None = None
    if "communes" in kinds:
        frames["communes"] = read_table(kinds["communes"], "communes")
        known = list(frames["communes"]["commune"])
    for kind, file in kinds.items():
        if kind not in ("communes", CONTOURS):
            frames[kind] = read_any(file, known_communes=known)[1]
    if CONTOURS in kinds:
        frames["communes"] = with_contours(frames.get("communes"), kinds[CONTOURS])
    return frames


def with_contours(communes: pd.DataFrame | None, file: Path) -> pd.DataFrame:
    """The communes with their contours read from ``file``; ``InputError`` when the communes'
    table is missing (the contours only complete it)."""
    if communes is None:
        raise InputError(
            "Contours des communes sans la table des communes",
            Location(file.name),
            "Les contours complètent la table des communes (zones, EPCI) : importez-les avec "
            "le fichier des communes (--communes), ou après lui dans le même millésime.",
        )
    return attach_contours(communes, read_commune_contours(file), file.name)
