"""`mixite documents`: document-cadre, CIA draft and annual review (DOCX and HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.choices import SPLIT_METHODS
from mixite.cli._app import app
from mixite.cli.diagnostic import existing_base
from mixite.errors import ConfigError
from mixite.synth.demo import DEMO_STEPS, DemoPaths, DemoStep


@app.command(
    "documents",
    help=(
        "Rédige le document-cadre d'orientations, le projet de convention intercommunale "
        "d'attribution et le bilan annuel (DOCX modifiables et HTML). Méthodes de répartition "
        "des objectifs : " + ", ".join(f"{k} ({v})" for k, v in SPLIT_METHODS.items()) + "."
    ),
)
def documents(
    base: Annotated[Path, typer.Option("--base", help="Base DuckDB du territoire.")],
    annee: Annotated[int, typer.Option("--annee", help="Année des attributions (baux signés).")],
    sortie: Annotated[Path, typer.Option("--sortie", help="Dossier où écrire les documents.")],
    methode: Annotated[
        str, typer.Option("--methode", help="Répartition des objectifs entre partenaires.")
    ] = "plafonne",
) -> None:
    from mixite.objectives import METHODS
    from mixite.reports.documents import write_documents

    if methode not in METHODS:
        raise ConfigError(
            f"Méthode « {methode} » inconnue. Méthodes possibles : {', '.join(METHODS)}."
        )
    outputs = write_documents(existing_base(base), annee, sortie, methode)  # type: ignore[arg-type]
    typer.echo("Documents écrits :")
    for docx, html in zip(outputs.docx, outputs.html, strict=True):
        typer.echo(f"  {docx}  (HTML : {html.name})")


def step_documents(paths: DemoPaths) -> None:
    """Demo step: the three policy documents for the demo's attribution year."""
    from mixite.reports.documents import write_documents

    outputs = write_documents(paths.store, paths.millesime - 1, paths.root / "documents")
    for docx in outputs.docx:
        paths.made.append((f"Document « {docx.stem} » (DOCX, HTML à côté)", docx))


if not any(step.run is step_documents for step in DEMO_STEPS):
    DEMO_STEPS.append(DemoStep("Documents : document-cadre, projet de CIA, bilan", step_documents))
