"""`mixite marges`: room for manoeuvre outside QPV (attainable share of Q1 attributions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import BaseOption, app


@app.command(
    "marges",
    help=(
        "Marges de manœuvre hors QPV : part maximale des attributions au premier quartile "
        "atteignable par bailleur, commune, résidence et pour l'EPCI, raison principale et "
        "baisses de loyer (rapport HTML et classeur XLSX)."
    ),
)
def marges(
    base: BaseOption,
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
    from mixite.jobs.diagnostic import marges as marges_job
    from mixite.reports import fr
    from mixite.reports.marges import write_marges
    from mixite.store import Store
    from mixite.vocabulary import Level

    with Store(base) as store:
        result = marges_job(store, annee, wished_communes=communes_souhaitees)
    outputs = write_marges(result, sortie)
    typer.echo(f"Marges de manœuvre hors QPV, attributions {annee} :")
    typer.echo(f"  Rapport : {outputs.html}")
    typer.echo(f"  Classeur : {outputs.xlsx}")
    groups = result.groups
    epci = groups.loc[groups["level"] == Level.EPCI]
    if len(epci):
        row = epci.iloc[0]
        typer.echo(
            f"EPCI : part atteignable {fr.percent(row['attainable_share'])}, "
            f"part réalisée {fr.percent(row['achieved_share'])} "
            f"(objectif {fr.percent(row['target'])})."
        )
