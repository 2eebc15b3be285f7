"""``mixite cotation``: score the applications of a store with a grid, audit it, compare two
grids, or print the explanation an applicant would receive."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mixite.cli._app import app, err_console
from mixite.cotation.demo import step_cotation
from mixite.errors import ConfigError, StoreError
from mixite.synth.demo import DEMO_STEPS, DemoStep

if TYPE_CHECKING:
    from mixite.cotation.run import CotationInputs


def _read_inputs(base: Path, millesime: int | None) -> CotationInputs:
    from mixite.cotation.run import CotationInputs
    from mixite.store import Store

    if not base.exists():
        raise StoreError(
            f"Base « {base} » introuvable. Créez-la avec « mixite importer » ou « mixite demo »."
        )
    with Store(base, read_only=True) as store:
        available = store.millesimes("applications")
        if not available:
            raise StoreError(
                f"La base « {base} » ne contient aucune demande. Importez un fichier de demandes."
            )
        chosen = millesime if millesime is not None else max(available)
        if chosen not in available:
            listed = ", ".join(str(m) for m in available)
            raise StoreError(
                f"Pas de demandes pour le millésime {chosen} dans « {base} » "
                f"(millésimes disponibles : {listed})."
            )
        applications = store.read("applications", chosen)
        attributions = None
        if chosen in store.millesimes("attributions"):
            attributions = store.read("attributions", chosen)
        territory = None
        if chosen in store.millesimes("territory"):
            territory = store.read("territory", chosen)
    return CotationInputs(chosen, applications, attributions, territory)


@app.command(
    "cotation",
    help=(
        "Cote les demandes d'un millésime avec une grille (YAML), produit l'audit de la grille "
        "(qui elle place en tête, parts des publics dans le premier décile et dans les N "
        "premiers) et compare deux grilles ; avec --demande, affiche le texte remis au "
        "demandeur (cotation détaillée, rang parmi les demandes similaires, délai indicatif)."
    ),
)
def cotation(
    base: Annotated[Path, typer.Option("--base", help="Base DuckDB du territoire.")],
    grille: Annotated[Path, typer.Option("--grille", help="Grille de cotation (YAML).")],
    comparer: Annotated[
        Path | None,
        typer.Option("--comparer", help="Seconde grille à comparer à la première (YAML)."),
    ] = None,
    millesime: Annotated[
        int | None,
        typer.Option("--millesime", help="Millésime des demandes (par défaut : le plus récent)."),
    ] = None,
    sortie: Annotated[
        Path | None,
        typer.Option("--sortie", help="Dossier des rapports (HTML, XLSX, CSV) de l'audit."),
    ] = None,
    demande: Annotated[
        str | None,
        typer.Option(
            "--demande",
            help=(
                "Numéro d'une demande à expliquer. Les numéros sont pseudonymisés à l'import : "
                "indiquez le pseudonyme stocké dans la base (colonne application_id)."
            ),
        ),
    ] = None,
    seuil_q1: Annotated[
        float | None,
        typer.Option(
            "--seuil-q1",
            help=(
                "Seuil du premier quartile (€ par UC et par an) ; par défaut celui du "
                "territoire ou de l'arrêté de l'année."
            ),
        ),
    ] = None,
) -> None:
    from mixite.cotation.grid import load_grid
    from mixite.cotation.report import write_audit_report
    from mixite.cotation.run import applicant_report, audit_millesime

    grid = load_grid(grille)
    other = load_grid(comparer) if comparer is not None else None
    if demande is None and sortie is None:
        raise ConfigError(
            "Indiquez --sortie (dossier des rapports d'audit) ou --demande (demande à expliquer)."
        )
    inputs = _read_inputs(base, millesime)
    if demande is not None:
        typer.echo(applicant_report(inputs, grid, demande, seuil_q1))
        return
    assert sortie is not None
    result = audit_millesime(inputs, grid, other, seuil_q1)
    paths = write_audit_report(result, sortie)
    scored = int((~result.scores["excluded"]).sum())
    excluded = int(result.scores["excluded"].sum())
    err_console.print(
        f"{scored} demandes cotées ({excluded} hors cotation), millésime {inputs.millesime}.",
        highlight=False,
    )
    for path in paths:
        typer.echo(str(path))


# ``mixite demo``: the cotation step runs after the import of the demo territory.
if not any(step.run is step_cotation for step in DEMO_STEPS):
    DEMO_STEPS.append(
        DemoStep(
            "Cotation des demandes : audit de la grille illustrative de type Lyon, comparée "
            "au type Paris, et explication d'une demande",
            step_cotation,
        )
    )
