"""`mixite documents`: document-cadre, CIA draft and annual review (DOCX and HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.choices import SPLIT_METHODS
from mixite.cli._app import BaseOption, app


@app.command(
    "documents",
    help=(
        "Rédige le document-cadre d'orientations, le projet de convention intercommunale "
        "d'attribution et le bilan annuel (DOCX modifiables et HTML). Méthodes de répartition "
        "des objectifs : " + ", ".join(f"{k} ({v})" for k, v in SPLIT_METHODS.items()) + "."
    ),
)
def documents(
    base: BaseOption,
    annee: Annotated[int, typer.Option("--annee", help="Année des attributions (baux signés).")],
    sortie: Annotated[Path, typer.Option("--sortie", help="Dossier où écrire les documents.")],
    methode: Annotated[
        str, typer.Option("--methode", help="Répartition des objectifs entre partenaires.")
    ] = "plafonne",
    charte: Annotated[
        Path | None,
        typer.Option(
            "--charte",
            help="Charte intercommunale de relogement (YAML) : ses objectifs sont comparés aux "
            "relogements du suivi importé dans la section relogement.",
        ),
    ] = None,
) -> None:
    from mixite.jobs.documents import documents as documents_job
    from mixite.reports.documents import write_documents
    from mixite.store import Store

    with Store(base) as store:
        result = documents_job(store, annee, methode, charter=charte)
    outputs = write_documents(result, sortie)
    typer.echo("Documents écrits :")
    for docx, html in zip(outputs.docx, outputs.html, strict=True):
        typer.echo(f"  {docx}  (HTML : {html.name})")
