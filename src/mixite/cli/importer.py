"""``mixite importer`` (files → store, one transaction) and ``mixite info`` (what a store holds)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mixite.cli._app import app, err_console, is_interactive
from mixite.errors import InputError, Location, StoreError

if TYPE_CHECKING:
    import pandas as pd

    from mixite.io.mapping import ColumnMapping

__all__ = ["ImportPlan", "plan_import", "read_plan"]

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
    "territoire": "territory",
}
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
    from mixite.store import STORE_TABLES

    suffixes = (*_FOLDER_SUFFIXES, *GEO_SUFFIXES)
    for table, file in explicit.items():
        if not file.is_file():
            raise InputError(
                "Fichier introuvable",
                Location(str(file)),
                f"Vérifiez le chemin donné pour les données « {STORE_TABLES[table].label} ».",
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


def _add(files: dict[str, Path], table: str, file: Path) -> None:
    from mixite.store import STORE_TABLES

    if table in files:
        raise InputError(
            f"Deux fichiers contiennent la même table « {STORE_TABLES[table].label} » "
            f"({files[table].name} et {file.name})",
            Location(file.name),
            "Gardez un seul fichier par type de données.",
        )
    files[table] = file


def read_plan(
    plan: ImportPlan, step: Callable[[str, Path], None] | None = None
) -> dict[str, pd.DataFrame]:
    """Read and validate every file of ``plan`` (before any write): ``{table: canonical frame}``.

    ``step(table, file)`` is called before each file is read (progress display).
    """
    from mixite.io import read_qpv, read_rpls, read_table, read_territory

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
        else:
            frame = read_table(file, table, mapping, known_communes=known)
        if table == "communes":
            known = [str(c) for c in frame["commune"]]
        frames[table] = frame
    return frames


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar on a terminal (stderr), nothing when the output is piped."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not is_interactive():
        yield lambda _label: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("Préparation", total=total)
        first = [True]

        def advance(label: str) -> None:
            if not first[0]:
                bar.advance(task)
            first[0] = False
            bar.update(task, description=label)

        yield advance
        bar.update(task, completed=total)


def _fmt_int(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _rows(value: int) -> str:
    return f"{_fmt_int(value)} ligne{'s' if value > 1 else ''}"


@app.command(
    "importer",
    help=(
        "Importe des fichiers (RPLS, demandes, attributions, occupation, QPV…) dans la base "
        "DuckDB du territoire, en une seule transaction : en cas d'erreur ou d'interruption, la "
        "base reste inchangée. Réimporter un millésime remplace les tables importées."
    ),
)
def importer(
    base: Annotated[
        Path, typer.Option("--base", help="Base DuckDB du territoire (créée si absente).")
    ],
    millesime: Annotated[
        int, typer.Option("--millesime", help="Millésime N : situation au 1er janvier N.")
    ],
    rpls: Annotated[
        Path | None, typer.Option("--rpls", help="Fichier RPLS « données détaillées au logement ».")
    ] = None,
    demandes: Annotated[
        Path | None, typer.Option("--demandes", help="Demandes en cours au 31/12/N-1 (CSV).")
    ] = None,
    attributions: Annotated[
        Path | None, typer.Option("--attributions", help="Attributions (baux signés en N-1, CSV).")
    ] = None,
    occupation: Annotated[
        Path | None, typer.Option("--occupation", help="Occupation du parc social (OPS, CSV).")
    ] = None,
    qpv: Annotated[
        Path | None, typer.Option("--qpv", help="Périmètres des QPV (GeoJSON, shapefile) ou liste.")
    ] = None,
    reservations: Annotated[
        Path | None, typer.Option("--reservations", help="Conventions de réservation (CSV).")
    ] = None,
    communes: Annotated[
        Path | None, typer.Option("--communes", help="Communes du territoire (CSV).")
    ] = None,
    bailleurs: Annotated[Path | None, typer.Option("--bailleurs", help="Bailleurs (CSV).")] = None,
    territoire: Annotated[
        Path | None, typer.Option("--territoire", help="Description du territoire (YAML).")
    ] = None,
    dossier: Annotated[
        Path | None,
        typer.Option("--dossier", help="Dossier dont les fichiers sont reconnus par leur en-tête."),
    ] = None,
    correspondance: Annotated[
        Path | None,
        typer.Option(
            "--correspondance", help="Correspondance des colonnes d'un extrait local (YAML)."
        ),
    ] = None,
) -> None:
    from mixite.store import STORE_TABLES, import_millesime

    given = {
        "communes": communes,
        "rpls": rpls,
        "demandes": demandes,
        "attributions": attributions,
        "occupation": occupation,
        "qpv": qpv,
        "reservations": reservations,
        "bailleurs": bailleurs,
        "territoire": territoire,
    }
    explicit = {OPTION_TABLES[k]: v for k, v in given.items() if v is not None}
    plan = plan_import(explicit, dossier, correspondance)
    if plan.ignored:
        err_console.print(
            "[yellow]Attention :[/yellow] fichiers non reconnus, ignorés : "
            + ", ".join(plan.ignored),
            highlight=False,
        )
    with _progress(2 * len(plan.files)) as advance:
        frames = read_plan(plan, lambda table, file: advance(f"Lecture de {file.name}"))
        counts = import_millesime(
            base,
            millesime,
            frames,
            progress=lambda table, rows: advance(f"Écriture de « {STORE_TABLES[table].label} »"),
        )
    typer.echo(f"Millésime {millesime} importé dans « {base} » :")
    for table in sorted(counts, key=_READ_ORDER.index):
        typer.echo(f"  {STORE_TABLES[table].label} : {_rows(counts[table])}")


@app.command("info", help="Affiche le contenu d'une base : lignes par millésime et par table.")
def info(
    base: Annotated[Path, typer.Option("--base", help="Base DuckDB du territoire.")],
) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    from mixite.store import STORE_TABLES, Store

    if not base.exists():
        raise StoreError(
            f"Base « {base} » introuvable. Créez-la avec « mixite importer --base {base} "
            "--millesime AAAA … »."
        )
    with Store(base) as store:
        summary = store.summary()
        name = None
        if store.millesimes("territory"):
            name = str(store.read("territory")["name"].iloc[0])
    console = Console(highlight=False)
    console.print(f"Base : {base}")
    console.print(f"Territoire : {name if name is not None else 'non renseigné'}")
    if summary.empty:
        console.print("La base est vide : importez des fichiers avec « mixite importer ».")
        return
    table = RichTable(title="Contenu de la base")
    table.add_column("Millésime", justify="right")
    table.add_column("Table")
    table.add_column("Lignes", justify="right")
    for year, name_, rows in zip(
        summary["millesime"].tolist(),
        summary["table"].tolist(),
        summary["rows"].tolist(),
        strict=True,
    ):
        table.add_row(str(year), STORE_TABLES[str(name_)].label, _fmt_int(int(rows)))
    console.print(table)
