"""`mixite marges`: room for manoeuvre outside QPV (attainable share of Q1 attributions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import app
from mixite.errors import StoreError
from mixite.synth.demo import DEMO_STEPS, DemoPaths, DemoStep


@app.command(
    "marges",
    help=(
        "Marges de manœuvre hors QPV : part maximale des attributions au premier quartile "
        "atteignable par bailleur, commune, résidence et pour l'EPCI, raison principale et "
        "baisses de loyer (rapport HTML et classeur XLSX)."
    ),
)
def marges(
    base: Annotated[Path, typer.Option("--base", help="Base DuckDB du territoire.")],
    annee: Annotated[int, typer.Option("--annee", help="Année de signature des baux.")],
    sortie: Annotated[Path, typer.Option("--sortie", help="Dossier où écrire le rapport.")],
    communes_souhaitees: Annotated[
        bool,
        typer.Option(
            "--communes-souhaitees",
            help="Ne proposer à chaque demandeur que des logements des communes qu'il a demandées.",
        ),
    ] = False,
) -> None:
    from mixite.reports.common import format_value
    from mixite.reports.marges import write_marges

    if not base.exists():
        raise StoreError(
            f"La base « {base} » n'existe pas. Créez-la avec « mixite importer » ou « mixite demo »."
        )
    outputs = write_marges(base, sortie, annee, wished_communes=communes_souhaitees)
    typer.echo(f"Marges de manœuvre hors QPV, attributions {annee} :")
    typer.echo(f"  Rapport : {outputs.html}")
    typer.echo(f"  Classeur : {outputs.xlsx}")
    groups = outputs.marges.groups
    epci = groups.loc[groups["level"] == "territoire"]
    if len(epci):
        row = epci.iloc[0]
        typer.echo(
            f"EPCI : part atteignable {format_value(row['attainable_share'], 'pct')}, "
            f"part réalisée {format_value(row['achieved_share'], 'pct')} "
            f"(objectif {format_value(row['target'], 'pct')})."
        )


def step_marges(paths: DemoPaths) -> None:
    """Demo step: the room for manoeuvre of the demo's attribution year under ``marges/``."""
    from mixite.reports.marges import write_marges

    outputs = write_marges(paths.store, paths.root / "marges", paths.millesime - 1)
    paths.made.append(("Marges de manœuvre hors QPV (HTML)", outputs.html))
    paths.made.append(("Marges de manœuvre (XLSX)", outputs.xlsx))


if not any(step.run is step_marges for step in DEMO_STEPS):
    DEMO_STEPS.append(DemoStep("Marges de manœuvre hors QPV", step_marges))
