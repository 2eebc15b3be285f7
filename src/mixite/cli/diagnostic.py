"""`mixite diagnostic` and `mixite quotas`: the territorial diagnostic and the legal indicators."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mixite.cli._app import app
from mixite.errors import StoreError
from mixite.synth.demo import DEMO_STEPS, DemoPaths, DemoStep

if TYPE_CHECKING:
    from mixite.reports.common import Format

BaseOption = Annotated[Path, typer.Option("--base", help="Base DuckDB du territoire.")]

#: Short labels of the legal indicators for the terminal table.
SHORT_LABELS = {
    "q1_hors_qpv": "Q1 ou relogés, hors QPV",
    "non_q1_en_qpv": "hors Q1, en QPV",
    "prioritaires": "DALO ou prioritaires",
}


def existing_base(base: Path) -> Path:
    """The store path, or a French error when it does not exist."""
    if not base.exists():
        raise StoreError(
            f"La base « {base} » n'existe pas. Créez-la avec « mixite importer » ou « mixite demo »."
        )
    return base


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
    from mixite.reports.diagnostic import write_diagnostic

    outputs = write_diagnostic(existing_base(base), sortie, millesime)
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
    from rich.table import Table

    from mixite.indicators.diagnostic import quotas_for_year
    from mixite.reports.common import format_value, write_csv_excel
    from mixite.reports.diagnostic import quotas_table
    from mixite.store import Store

    with Store(existing_base(base)) as store:
        table, _ledger = quotas_for_year(store, annee)
    if format is OutputFormat.csv:
        published = quotas_table(table)
        if sortie is not None:
            write_csv_excel(published, sortie)
            typer.echo(f"Indicateurs écrits : {sortie}")
        else:
            typer.echo(published.to_csv(sep=";", index=False, decimal=","), nl=False)
        return
    view = Table(title=f"Objectifs légaux d'attribution — baux signés en {annee}")
    columns: list[tuple[str, str, Format | None]] = [
        ("level", "Échelle", None),
        ("group", "Groupe", None),
        ("indicator", "Indicateur", None),
        ("denominator", "Attributions", "int"),
        ("numerator", "Public cible", "int"),
        ("share", "Réalisé", "pct"),
        ("target", "Objectif", "pct"),
        ("shortfall", "Manque", "int"),
        ("significant_shortfall", "Écart significatif", None),
    ]
    for _, label, fmt in columns:
        view.add_column(label, justify="right" if fmt else "left")
    for _, row in table.iterrows():
        cells = []
        for col, _, fmt in columns:
            value = row[col]
            if col == "indicator":
                value = SHORT_LABELS.get(str(value), value)
            if col == "significant_shortfall":
                value = "oui" if bool(value) else "non"
            cells.append(format_value(value, fmt))
        view.add_row(*cells)
    Console().print(view)


def step_diagnostic(paths: DemoPaths) -> None:
    """Demo step: the diagnostic of the demo store under ``rapport/``."""
    from mixite.reports.diagnostic import write_diagnostic

    outputs = write_diagnostic(paths.store, paths.root / "rapport", paths.millesime)
    paths.made.append(("Diagnostic territorial (HTML)", outputs.html))
    paths.made.append(("Diagnostic (classeur XLSX)", outputs.xlsx))
    paths.made.append(("Résidences et QPV (GeoPackage)", outputs.gpkg))
    paths.made.append(("Indicateurs légaux (CSV)", outputs.quotas_csv))


if not any(step.run is step_diagnostic for step in DEMO_STEPS):
    DEMO_STEPS.append(DemoStep("Diagnostic territorial et objectifs légaux", step_diagnostic))
