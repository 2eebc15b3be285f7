"""`mixite diagnostic` and `mixite quotas`: the territorial diagnostic and the legal indicators."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import BaseOption, app


@app.command(
    "diagnostic",
    help="Diagnostic territorial : rapport HTML, classeur XLSX, couches GPKG, carte, quotas CSV.",
)
def diagnostic(
    base: BaseOption,
    sortie: Annotated[Path, typer.Option("--sortie", help="Dossier où écrire le rapport.")],
    millesime: Annotated[
        int | None, typer.Option("--millesime", help="Millésime (par défaut : le plus récent).")
    ] = None,
) -> None:
    from mixite.jobs.diagnostic import diagnostic as diagnostic_job
    from mixite.reports.diagnostic import write_diagnostic
    from mixite.store import Store

    with Store(base) as store:
        result = diagnostic_job(store, millesime)
    outputs = write_diagnostic(result, sortie)
    typer.echo("Diagnostic écrit :")
    for label, path in (
        ("Rapport", outputs.html),
        ("Classeur", outputs.xlsx),
        ("Couches SIG (Lambert-93)", outputs.gpkg),
        ("Carte interactive", outputs.map_html),
        ("Indicateurs légaux", outputs.quotas_csv),
    ):
        typer.echo(f"  {label} : {path}")


class OutputFormat(StrEnum):
    texte = "texte"
    csv = "csv"


@app.command(
    "quotas", help="Objectifs légaux d'attribution d'une année, par partenaire (CCH art. L441-1)."
)
def quotas(
    base: BaseOption,
    annee: Annotated[int, typer.Option("--annee", help="Année de signature des baux.")],
    format: Annotated[
        OutputFormat,
        typer.Option("--format", help="texte (tableau lisible) ou csv (« ; », UTF-8)."),
    ] = OutputFormat.texte,
    sortie: Annotated[
        Path | None, typer.Option("--sortie", help="Fichier CSV à écrire (avec --format csv).")
    ] = None,
) -> None:
    from rich.console import Console

    from mixite.jobs.diagnostic import quotas as quotas_job
    from mixite.reports.common import write_csv_excel
    from mixite.reports.diagnostic import quotas_table
    from mixite.reports.quotas import quotas_console_table
    from mixite.reports.safe import csv_text
    from mixite.store import Store

    with Store(base) as store:
        result = quotas_job(store, annee)
    if format is OutputFormat.csv:
        published = quotas_table(result.table, result.names, result.definition)
        if sortie is not None:
            write_csv_excel(published, sortie)
            typer.echo(f"Indicateurs écrits : {sortie}")
        else:
            typer.echo(csv_text(published), nl=False)
        return
    Console().print(quotas_console_table(result))
