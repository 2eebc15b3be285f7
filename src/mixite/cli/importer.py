"""``mixite importer`` (files → store, one transaction) and ``mixite info`` (what a store holds)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import BaseOption, app, err_console, is_interactive


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
    from mixite.reports.fr import integer

    return integer(value)


def _rows(value: int) -> str:
    return f"{_fmt_int(value)} ligne{'s' if value > 1 else ''}"


@app.command(
    "importer",
    help=(
        "Importe des fichiers (RPLS, demandes, attributions, occupation, QPV…) dans la base "
        "DuckDB du territoire, en une seule transaction : en cas d'erreur ou d'interruption, la "
        "base reste inchangée. Réimporter un millésime remplace les tables importées. Les "
        "logements sans QPV connu sont situés dans les périmètres des QPV par leurs coordonnées."
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
    communes_contours: Annotated[
        Path | None,
        typer.Option(
            "--communes-contours",
            help="Contours des communes : couche COMMUNE d'Admin Express (IGN) en shapefile, "
            "GeoPackage ou GeoJSON, avec l'attribut INSEE_COM.",
        ),
    ] = None,
    bailleurs: Annotated[Path | None, typer.Option("--bailleurs", help="Bailleurs (CSV).")] = None,
    sru: Annotated[
        Path | None,
        typer.Option(
            "--sru",
            help="Inventaire SRU des communes (« Communes et inventaire SRU », taux de logements "
            "sociaux des communes, ou sru.csv).",
        ),
    ] = None,
    territoire: Annotated[
        Path | None, typer.Option("--territoire", help="Description du territoire (YAML).")
    ] = None,
    engagements: Annotated[
        Path | None,
        typer.Option(
            "--engagements",
            help="Taux adaptés et engagements de la CIA (YAML, engagements.yaml).",
        ),
    ] = None,
    suivi_relogement: Annotated[
        Path | None,
        typer.Option(
            "--suivi-relogement",
            help="Tableau de suivi des relogements NPNRU complété par les partenaires "
            "(suivi-relogement.csv écrit par « mixite reloger ») : les ménages relogés comptent "
            "dans l'objectif hors QPV et dans la section relogement de la CIA.",
        ),
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
    from mixite.jobs.importing import OPTION_TABLES, import_files, plan_import
    from mixite.store import STORE_TABLES

    given = {
        "communes": communes,
        "communes_contours": communes_contours,
        "rpls": rpls,
        "demandes": demandes,
        "attributions": attributions,
        "occupation": occupation,
        "qpv": qpv,
        "reservations": reservations,
        "bailleurs": bailleurs,
        "sru": sru,
        "territoire": territoire,
        "engagements": engagements,
        "suivi_relogement": suivi_relogement,
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
        result = import_files(
            base,
            millesime,
            plan,
            reading=lambda table, file: advance(f"Lecture de {file.name}"),
            writing=lambda table, rows: advance(f"Écriture de « {STORE_TABLES[table].label} »"),
        )
    typer.echo(f"Millésime {millesime} importé dans « {base} » :")
    if "commune_contours" in plan.files and "communes" in result.rows:
        typer.echo(f"  contours des communes : {plan.files['commune_contours'].name}")
    for table, rows in result.rows.items():
        typer.echo(f"  {STORE_TABLES[table].label} : {_rows(rows)}")
    for warning in result.warnings:
        err_console.print(f"[yellow]Attention :[/yellow] {warning}", highlight=False)


@app.command(
    "info",
    help="Affiche le contenu d'une base : lignes par millésime et par table, logements en QPV "
    "et comment ils ont été situés, attributions dont le QPV déclaré diffère de celui du logement.",
)
def info(base: BaseOption) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    from mixite.jobs.importing import info as info_job
    from mixite.reports.fr import QPV_SOURCE_LABELS, integer, percent
    from mixite.store import STORE_TABLES, Store

    with Store(base) as store:
        result = info_job(store)
    summary = result.summary
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"Base : {base}")
    console.print(f"Territoire : {result.territory or 'non renseigné'}")
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
    if result.qpv is None:
        return
    console.print("Logements en QPV (géographie en vigueur au 1er janvier du millésime) :")
    for row in result.qpv.to_dict("records"):
        share = row["in_qpv"] / row["dwellings"] if row["dwellings"] else None
        console.print(
            f"  Millésime {row['millesime']} : {integer(row['dwellings'])} logements, dont "
            f"{integer(row['in_qpv'])} en QPV ({percent(share)})"
        )
        for code, label in QPV_SOURCE_LABELS.items():
            if not row[code]:
                continue
            inside = row[f"in_qpv_{code}"]
            console.print(f"    {label} : {integer(row[code])}, dont {integer(inside)} en QPV")
        if row["inconnu"]:
            console.print(
                "    → importez les périmètres des QPV (--qpv) pour situer les logements au QPV "
                "inconnu par leurs coordonnées (ils sont comptés hors QPV)."
            )
        disagreements = row["disagreements"]
        if disagreements is None or disagreements != disagreements:
            text = "pas d'attribution dans ce millésime"
        else:
            text = integer(disagreements)
        console.print(f"    attributions dont le QPV déclaré diffère de celui du logement : {text}")
