"""``mixite cotation``: score the applications of a store with a grid, audit it, compare two
grids, or print the explanation an applicant would receive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import BaseOption, app, err_console
from mixite.errors import ConfigError


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
    base: BaseOption,
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
                "Numéro unique (SNE) d'une demande à expliquer, retrouvé grâce à la clé de "
                "pseudonymisation placée à côté de la base ; ou son pseudonyme."
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
    from mixite.jobs import cotation as jobs
    from mixite.reports.cotation import applicant_letter, write_audit_report
    from mixite.store import Store

    grid = load_grid(grille)
    other = load_grid(comparer) if comparer is not None else None
    if demande is None and sortie is None:
        raise ConfigError(
            "Indiquez --sortie (dossier des rapports d'audit) ou --demande (demande à expliquer)."
        )
    with Store(base) as store:
        inputs = jobs.load_inputs(store, millesime)
    if demande is not None:
        import dataclasses

        pseudonym = jobs.resolve_application(inputs, demande, base)
        letter = jobs.applicant_of_inputs(inputs, grid, pseudonym, seuil_q1)
        typer.echo(applicant_letter(dataclasses.replace(letter, number=demande)))
        return
    assert sortie is not None
    audit = jobs.audit_inputs(inputs, grid, other, seuil_q1)
    paths = write_audit_report(audit, sortie)
    scored = int((~audit.scores["excluded"]).sum())
    excluded = int(audit.scores["excluded"].sum())
    err_console.print(
        f"{scored} demandes cotées ({excluded} hors cotation), millésime {inputs.millesime}.",
        highlight=False,
    )
    for path in paths:
        typer.echo(str(path))
