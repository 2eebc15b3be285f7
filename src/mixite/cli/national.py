"""``mixite national``: every EPCI of a folder, each imported into its own store and analysed by
the chosen tasks on a Dask cluster (local by default), then the national report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mixite.cli._app import app, err_console, is_interactive

if TYPE_CHECKING:
    from mixite.national.runner import TerritoryReport


def _sirens(text: str | None) -> set[str] | None:
    if text is None:
        return None
    return {s.strip() for s in text.split(",") if s.strip()}


@app.command(
    "national",
    help=(
        "Observatoire national : importe chaque territoire du dossier dans sa propre base, "
        "lance les tâches choisies (diagnostic, objectifs légaux, simulation) comme tâches Dask "
        "(un travailleur par cœur, ou un cluster existant avec --cluster) et écrit le rapport "
        "national (HTML, XLSX, Parquet). Une relance saute les territoires déjà faits."
    ),
)
def national(
    dossier: Annotated[
        Path,
        typer.Option(
            "--dossier",
            help="Dossier des territoires : un sous-dossier de fichiers par EPCI "
            "(« mixite generer --france »).",
        ),
    ],
    sortie: Annotated[
        Path,
        typer.Option("--sortie", help="Dossier des bases, des résultats et du rapport national."),
    ],
    taches: Annotated[
        str,
        typer.Option(
            "--taches", help="Tâches, séparées par des virgules : diagnostic, quotas, simulation."
        ),
    ] = "diagnostic,quotas",
    scenario: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            help="Scénario YAML de la simulation, comparé à la référence (les mêmes réglages "
            "avec les objectifs légaux et sans fléchage) ; répétez l'option pour en comparer "
            "plusieurs (le premier sert alors de référence).",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Adresse d'un ordonnanceur Dask existant (tcp://machine:8786) ; par défaut, un "
            "cluster local d'un travailleur par cœur.",
        ),
    ] = None,
    travailleurs: Annotated[
        int | None,
        typer.Option("--travailleurs", help="Nombre de travailleurs du cluster local."),
    ] = None,
    millesime: Annotated[
        int, typer.Option("--millesime", help="Millésime des fichiers des territoires.")
    ] = 2025,
    epci: Annotated[
        str | None,
        typer.Option("--epci", help="SIREN des EPCI à traiter, séparés par des virgules."),
    ] = None,
    graine: Annotated[
        int, typer.Option("--graine", help="Graine de la simulation (scénario par défaut).")
    ] = 0,
    replicats: Annotated[
        int,
        typer.Option("--replicats", help="Réplicats de la simulation (scénario par défaut)."),
    ] = 1,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mixite.allocation.scenario import load_scenario
    from mixite.national.runner import parse_tasks, run_national
    from mixite.reports import fr
    from mixite.reports.national import write_national

    tasks = parse_tasks(taches)
    scenarios = [load_scenario(p) for p in scenario or []]
    interactive = is_interactive()
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not interactive,
    )
    job = bar.add_task("Territoires", total=None)

    def started(dashboard: str | None, workers: int, todo: int) -> None:
        where = f"ordonnanceur {cluster}" if cluster else "cluster local"
        err_console.print(
            f"{fr.integer(todo)} territoire(s) à traiter sur {fr.integer(workers)} "
            f"travailleur(s) Dask ({where})."
            + (f" Tableau de bord : {dashboard}" if dashboard else "")
        )
        bar.update(job, total=todo)

    def progress(done: int, total: int, report: TerritoryReport) -> None:
        bar.update(job, completed=done, description=report.name[:40])
        if not interactive and report.errors:
            err_console.print(f"Échec : {report.name} ({report.siren})")

    with bar:
        run = run_national(
            dossier,
            tasks,
            sortie,
            millesime=millesime,
            scenarios=scenarios,
            cluster=cluster,
            workers=travailleurs,
            sirens=_sirens(epci),
            seed=graine,
            replicates=replicats,
            started=started,
            progress=progress,
        )
    outputs = write_national(run.result, sortie)
    done = sum(1 for r in run.reports if r.status == "fait")
    skipped = sum(1 for r in run.reports if r.status == "deja_fait")
    failed = [r for r in run.reports if r.status == "echec"]
    typer.echo(
        f"{fr.integer(done)} territoire(s) traité(s), {fr.integer(skipped)} déjà fait(s), "
        f"{fr.integer(len(failed))} en échec ({fr.decimal(run.seconds, 0)} s)."
    )
    for report in failed:
        for step, message in report.errors:
            err_console.print(
                f"[bold red]Échec[/bold red] {report.name} ({report.siren}), "
                f"{fr.TASK_LABELS.get(step, step)} : {message}",
                highlight=False,
                soft_wrap=True,
            )
    typer.echo("Rapport national :")
    for label, path in (
        ("Page", outputs.html),
        ("Classeur", outputs.xlsx),
        ("Résultats (Parquet)", outputs.parquet),
        ("EPCI (Parquet)", outputs.epci_parquet),
    ):
        typer.echo(f"  {label} : {path}")
    if failed:
        # status 1: the run finished, but not every territory (2 is a refused command); a
        # SystemExit, because the application returns a typer.Exit's status without exiting
        raise SystemExit(1)
