"""Jobs of the store: read official files into a millésime in one transaction, and describe
what a store holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mixite.errors import InputError, Location
from mixite.jobs.results import ImportResult, StoreInfo

if TYPE_CHECKING:
    import pandas as pd

    from mixite.io.mapping import ColumnMapping
    from mixite.store import Store

__all__ = ["OPTION_TABLES", "ImportPlan", "import_files", "info", "plan_import", "read_plan"]

#: Option name (French) → store table, in the order files are read (communes first: their codes
#: are accepted by the other readers).
OPTION_TABLES: dict[str, str] = {
    "communes": "communes",
    "rpls": "dwellings",
    "demandes": "applications",
    "attributions": "attributions",
    "occupation": "households",
    "qpv": "qpv",
    "reservations": "reservations",
    "bailleurs": "landlords",
    "sru": "sru",
    "territoire": "territory",
    "engagements": "commitments",
    # not a table: the contours fill the communes' ``geometry_wkt`` (``io.detect.CONTOURS``)
    "communes_contours": "commune_contours",
}
_CONTOURS = "commune_contours"
_READ_ORDER = list(OPTION_TABLES.values())
#: Suffixes of the files a folder import reads; the geographic ones are ``GEO_SUFFIXES``.
_FOLDER_SUFFIXES = (".csv", ".txt", ".yaml", ".yml")
#: Companion files of a shapefile, read with it.
_SHAPEFILE_PARTS = (".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


@dataclass
class ImportPlan:
    """Which file feeds which store table, the column mapping and its table, ignored files."""

    files: dict[str, Path]
    mapping: ColumnMapping | None = None
    mapping_table: str | None = None
    ignored: tuple[str, ...] = ()


def _mapping_table(mapping: ColumnMapping, explicit: dict[str, Path]) -> str:
    from mixite.io.tables import table_spec

    if mapping.table is not None:
        return table_spec(mapping.table).name
    if len(explicit) == 1:
        return next(iter(explicit))
    raise InputError(
        "Le fichier de correspondance ne dit pas à quel type de fichier il s'applique",
        Location(mapping.source, column="table"),
        "Ajoutez une ligne « table: demandes » (ou rpls, attributions, occupation…) au fichier "
        "de correspondance.",
    )


def plan_import(
    explicit: dict[str, Path], folder: Path | None, mapping_file: Path | None
) -> ImportPlan:
    """Match files to store tables: explicit files (by option), then a folder's files recognised
    by their header; the mapping applies to its ``table`` (or to the only explicit file).

    Two files for one table, a missing file or folder are ``InputError``; unrecognised files of
    the folder are returned in ``ignored`` (the command lists them in a warning).
    """
    from mixite.io import detect_kind, load_mapping
    from mixite.io.qpv import GEO_SUFFIXES

    suffixes = (*_FOLDER_SUFFIXES, *GEO_SUFFIXES)
    for table, file in explicit.items():
        if not file.is_file():
            raise InputError(
                "Fichier introuvable",
                Location(str(file)),
                f"Vérifiez le chemin donné pour les données « {_label(table)} ».",
            )
    mapping = load_mapping(mapping_file) if mapping_file is not None else None
    mapping_table = _mapping_table(mapping, explicit) if mapping is not None else None
    files = dict(explicit)
    ignored: list[str] = []
    if folder is not None:
        if not folder.is_dir():
            raise InputError("Dossier introuvable", Location(str(folder)), "Vérifiez le chemin.")
        unknown: list[Path] = []
        for file in sorted(folder.iterdir()):
            if not file.is_file() or file.name.startswith("."):
                continue
            if file.suffix.lower() in _SHAPEFILE_PARTS and file.with_suffix(".shp").exists():
                continue
            if file.suffix.lower() not in suffixes:
                ignored.append(file.name)
                continue
            if file.resolve() in {f.resolve() for f in files.values()}:
                continue
            try:
                kind = detect_kind(file)
            except InputError:
                unknown.append(file)
                continue
            _add(files, kind, file)
        # A file whose headers are those of a local extract is recognised through the mapping.
        if mapping_table is not None and mapping_table not in files and len(unknown) == 1:
            _add(files, mapping_table, unknown.pop())
        ignored.extend(f.name for f in unknown)
    if not files:
        raise InputError(
            "Aucun fichier à importer",
            Location(str(folder) if folder is not None else "(ligne de commande)"),
            "Donnez au moins un fichier (--rpls, --demandes…) ou un dossier (--dossier).",
        )
    return ImportPlan(files, mapping, mapping_table, tuple(sorted(ignored)))


def _label(table: str) -> str:
    """What the files of ``table`` hold, in French."""
    from mixite.store import STORE_TABLES

    return "contours des communes" if table == _CONTOURS else STORE_TABLES[table].label


def _add(files: dict[str, Path], table: str, file: Path) -> None:
    if table in files:
        raise InputError(
            f"Deux fichiers contiennent la même table « {_label(table)} » "
            f"({files[table].name} et {file.name})",
            Location(file.name),
            "Gardez un seul fichier par type de données.",
        )
    files[table] = file


def read_plan(
    plan: ImportPlan,
    step: Callable[[str, Path], None] | None = None,
    communes: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Read and validate every file of ``plan`` (before any write): ``{table: canonical frame}``.

    ``step(table, file)`` is called before each file is read (progress display). A communes'
    contours file fills the ``geometry_wkt`` of the communes read in the plan, else of
    ``communes`` (those the store already holds for the millésime).
    """
    from mixite.io import (
        read_commitments,
        read_qpv,
        read_rpls,
        read_sru,
        read_table,
        read_territory,
    )
    from mixite.io.detect import with_contours

    frames: dict[str, pd.DataFrame] = {}
    known: list[str] | None = None
    for table in sorted(plan.files, key=_READ_ORDER.index):
        file = plan.files[table]
        if step is not None:
            step(table, file)
        mapping = plan.mapping if plan.mapping_table == table else None
        if table == "dwellings":
            frame = read_rpls(file, mapping=mapping, known_communes=known)
        elif table == "qpv":
            frame = read_qpv(file, mapping=mapping)
        elif table == "territory":
            frame = read_territory(file)
        elif table == "commitments":
            frame = read_commitments(file)
        elif table == _CONTOURS:
            frames["communes"] = with_contours(frames.get("communes", communes), file)
            continue
        elif table == "sru":
            frame = read_sru(file, mapping=mapping, known_communes=known)
        else:
            frame = read_table(file, table, mapping, known_communes=known)
        if table == "communes":
            known = [str(c) for c in frame["commune"]]
        frames[table] = frame
    return frames


def import_files(
    base: Path,
    millesime: int,
    plan: ImportPlan,
    reading: Callable[[str, Path], None] | None = None,
    writing: Callable[[str, int], None] | None = None,
) -> ImportResult:
    """Read and validate every file of ``plan``, then import them as ``millesime`` of the store
    ``base`` in one transaction (``store.import_millesime``); ``reading(table, file)`` and
    ``writing(table, rows)`` report progress."""
    from mixite.store import Store, import_millesime

    existing = None
    if _CONTOURS in plan.files and "communes" not in plan.files and base.exists():
        with Store(base) as store:
            if millesime in store.millesimes("communes"):
                existing = store.read("communes", millesime)
    frames = read_plan(plan, reading, existing)
    frames = located(base, millesime, frames)
    rows = import_millesime(base, millesime, frames, progress=writing)
    ordered = {t: rows[t] for t in sorted(rows, key=_READ_ORDER.index)}
    return ImportResult(millesime, ordered, plan.ignored)


def _stored(base: Path, millesime: int, table: str) -> pd.DataFrame | None:
    """The store's ``table`` of ``millesime`` (else of its latest millésime for the QPV
    perimeters, which do not change from one millésime to the next), None when absent."""
    from mixite.store import Store

    if not base.exists():
        return None
    with Store(base) as store:
        years = store.millesimes(table)
        if millesime in years:
            return store.read(table, millesime)
        if table == "qpv" and years:
            return store.read(table, max(years))
    return None


def located(base: Path, millesime: int, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``frames`` with the dwellings located in the QPV perimeters (``qpv.locate_dwellings``).

    The dwellings are those being imported, or, when only perimeters are imported, those the
    store already holds for ``millesime`` (located anew and imported again in the same
    transaction). The perimeters are those being imported, else the store's. Dwellings located
    by their coordinates in an earlier import are located again in the new perimeters.
    """
    from mixite.qpv import GENERATIONS, generation_columns, locate_dwellings

    dwellings = frames.get("dwellings")
    if dwellings is None:
        if "qpv" not in frames:
            return frames
        dwellings = _stored(base, millesime, "dwellings")
        if dwellings is None:
            return frames
        for generation in GENERATIONS:
            code, source = generation_columns(generation)
            again = dwellings[source] == "coordonnees"
            dwellings.loc[again, code] = None
            dwellings.loc[again, source] = "inconnu"
    perimeters = frames.get("qpv")
    if perimeters is None:
        perimeters = _stored(base, millesime, "qpv")
    out = dict(frames)
    out["dwellings"] = locate_dwellings(dwellings, perimeters, millesime)
    return out


def info(store: Store) -> StoreInfo:
    """Rows per (millésime, table) of a store, its territory's name (None when absent) and, per
    millésime of the stock, its dwellings in QPV by how they were located and the attributions
    whose declared QPV disagrees with their dwelling's (``qpv.location_counts``,
    ``qpv.judge_attributions``)."""
    import pandas as pd

    from mixite.qpv import judge_attributions, location_counts

    summary = store.summary()
    name = None
    if store.millesimes("territory"):
        name = str(store.read("territory")["name"].iloc[0])
    rows = []
    with_attributions = set(store.millesimes("attributions"))
    for year in store.millesimes("dwellings"):
        dwellings = store.read("dwellings", year)
        counts: dict[str, int | None] = {"millesime": year, **location_counts(dwellings, year)}
        counts["disagreements"] = None
        if year in with_attributions:
            _, disagreements = judge_attributions(store.read("attributions", year), dwellings)
            counts["disagreements"] = len(disagreements)
        rows.append(counts)
    qpv = pd.DataFrame(rows) if rows else None
    return StoreInfo(name, summary, qpv)
