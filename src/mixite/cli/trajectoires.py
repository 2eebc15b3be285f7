"""`mixite reloger` (the relocation plan of an urban renewal programme) and `mixite mutations`
(mutations, direct exchanges and vacancy chains)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import BaseOption, app

SortieOption = Annotated[Path, typer.Option("--sortie", help="Dossier où écrire le rapport.")]
GraineOption = Annotated[
    int, typer.Option("--graine", help="Graine des libérations attendues (tirage reproductible).")
]


@app.command(
    "reloger",
    help=(
        "Plan de relogement d'un programme de renouvellement urbain (NPNRU) : chaque ménage de "
        "l'enquête sociale reçoit une proposition qui respecte la charte de relogement, parmi "
        "les logements libérés attendus ; contributions des partenaires, objectifs de la charte, "
        "reste à charge, calendrier et tableau de suivi (rapport HTML, classeur XLSX, CSV)."
    ),
)
def reloger(
    base: BaseOption,
    programme: Annotated[
        Path, typer.Option("--programme", help="Programme de renouvellement urbain (CSV).")
    ],
    enquete: Annotated[
        Path, typer.Option("--enquete", help="Enquête sociale des ménages à reloger (CSV).")
    ],
    charte: Annotated[Path, typer.Option("--charte", help="Charte de relogement (YAML).")],
    sortie: SortieOption,
    suivi: Annotated[
        Path | None,
        typer.Option("--suivi", help="Tableau de suivi complété par les partenaires (CSV)."),
    ] = None,
    graine: GraineOption = 0,
    limite: Annotated[
        float, typer.Option("--limite", help="Limite de temps du solveur (secondes).")
    ] = 120.0,
) -> None:
    from mixite.jobs.trajectoires import read_relocation_inputs, relocation
    from mixite.reports import fr
    from mixite.reports.trajectoires import write_relocation
    from mixite.store import Store

    inputs = read_relocation_inputs(base, programme, enquete, charte, suivi)
    with Store(base) as store:
        result = relocation(store, inputs, seed=graine, time_limit=limite)
    outputs = write_relocation(result, sortie)
    f = result.figures
    typer.echo(
        f"Plan de relogement : {fr.integer(f['planned'])} ménages sur "
        f"{fr.integer(f['to_rehouse'])} reçoivent une proposition conforme à la charte "
        f"(écart à la relaxation linéaire {fr.percent(f['gap'], 2)})."
    )
    targets = result.targets
    for target, share, goal in zip(
        targets["target"].astype(str), targets["share"], targets["target_share"], strict=True
    ):
        typer.echo(
            f"  {fr.RELOCATION_TARGET_LABELS.get(target, target)} : "
            f"{fr.percent(share)} (objectif {fr.percent(goal)})"
        )
    typer.echo(f"  Rapport : {outputs.html}")
    typer.echo(f"  Classeur : {outputs.xlsx}")
    typer.echo(f"  Suivi à compléter : {outputs.followup}")


@app.command(
    "mutations",
    help=(
        "Mutations : rattache chaque demande de mutation à un logement occupé, calcule les "
        "échanges directs entre locataires (--echanges, algorithme Top Trading Cycles) et les "
        "chaînes de libérations ; qui déménage, gain d'adéquation de l'occupation, logements "
        "laissés aux demandeurs extérieurs (rapport HTML et classeur XLSX)."
    ),
)
def mutations(
    base: BaseOption,
    sortie: SortieOption,
    echanges: Annotated[
        bool, typer.Option("--echanges", help="Calculer les échanges directs (bourse d'échange).")
    ] = False,
    graine: GraineOption = 0,
) -> None:
    from mixite.jobs.trajectoires import mutations as mutations_job
    from mixite.reports import fr
    from mixite.reports.trajectoires import write_mutations
    from mixite.store import Store

    with Store(base) as store:
        result = mutations_job(store, exchanges=echanges, seed=graine)
    outputs = write_mutations(result, sortie)
    f = result.figures
    typer.echo(
        f"Mutations : {fr.integer(f['linked'])} demandes rattachées à un logement ; "
        f"{fr.integer(f['exchanges'])} échanges directs, {fr.integer(f['chain_moves'])} "
        f"mutations en chaîne ({fr.decimal(f['mean_chain_length'])} déménagements par "
        f"libération)."
    )
    typer.echo(f"  Rapport : {outputs.html}")
    typer.echo(f"  Classeur : {outputs.xlsx}")
