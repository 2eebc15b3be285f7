"""``mixite projeter``: the occupancy over the CIA's years under one or several strategies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import BaseOption, app, err_console, is_interactive


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar of the replicates on a terminal (stderr), nothing when piped."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not is_interactive():
        yield lambda _done, _total: None
        return
    with Progress(
        TextColumn("Réplications"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("projection", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@app.command(
    "projeter",
    help=(
        "Projette l'occupation du parc social sur les années de la CIA selon une ou plusieurs "
        "stratégies (offre, renouvellement urbain, attributions, loyers, accompagnement) : "
        "départs, vieillissement, demandes et commissions année après année, avec des "
        "intervalles sur les réplications. Écrit une page de comparaison, un classeur, un "
        "GeoPackage par stratégie (une couche par année) et les rôles des quartiers."
    ),
)
def projeter(
    base: BaseOption,
    strategie: Annotated[
        list[Path],
        typer.Option(
            "--strategie",
            help="Fichier de stratégie YAML ; répétez l'option pour comparer (la première sert "
            "de référence).",
        ),
    ],
    sortie: Annotated[
        Path, typer.Option("--sortie", help="Dossier où écrire la projection et la comparaison.")
    ],
    horizon: Annotated[
        int, typer.Option("--horizon", min=1, max=30, help="Nombre d'années projetées.")
    ] = 6,
    replications: Annotated[
        int,
        typer.Option("--replications", min=1, max=1000, help="Nombre de réplications."),
    ] = 20,
    graine: Annotated[int, typer.Option("--graine", help="Graine des tirages aléatoires.")] = 0,
    millesime: Annotated[
        int | None,
        typer.Option("--millesime", help="Millésime de départ (défaut : le plus récent)."),
    ] = None,
    processus: Annotated[
        int | None,
        typer.Option(
            "--processus",
            min=1,
            help="Processus entre lesquels répartir les réplications (défaut : les cœurs).",
        ),
    ] = None,
    calibrer: Annotated[
        bool,
        typer.Option(
            "--calibrer",
            help="Calibre d'abord les préférences des commissions pour les mutations et les "
            "ménages prioritaires, pour que la première année reproduise le profil des "
            "attributions observées, puis les applique à toutes les stratégies.",
        ),
    ] = False,
) -> None:
    from mixite.io.strategy import load_strategy
    from mixite.jobs.projection import projection
    from mixite.reports.projection import summary_lines, write_projection
    from mixite.store import Store

    plans = [load_strategy(p) for p in strategie]
    with Store(base) as store, _progress() as advance:
        result = projection(
            store,
            plans,
            horizon,
            replications,
            graine,
            millesime=millesime,
            workers=processus,
            calibrate=calibrer,
            progress=advance,
        )
    outputs = write_projection(result, sortie)
    for line in summary_lines(result):
        err_console.print(line)
    err_console.print(
        f"Fichiers écrits dans « {sortie} » ({outputs.html.name}, {outputs.xlsx.name}, "
        f"{len(outputs.gpkg)} GeoPackage, {outputs.csv.name})."
    )
