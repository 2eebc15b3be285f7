"""`mixite web`: the partners' and applicants' web application on a store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import BaseOption, app
from mixite.errors import ConfigError


@app.command(
    "web",
    help=(
        "Application web des partenaires et des demandeurs : objectifs légaux par partenaire, "
        "dépôts d'attributions, documents, simulateur de cotation et délais d'attente "
        "(http://127.0.0.1:PORT)."
    ),
)
def web(
    base: BaseOption,
    port: Annotated[int, typer.Option("--port", help="Port d'écoute.")] = 8000,
    hote: Annotated[
        str, typer.Option("--hote", help="Adresse d'écoute (127.0.0.1 : ce poste seulement).")
    ] = "127.0.0.1",
    grille: Annotated[
        Path | None,
        typer.Option("--grille", help="Grille de cotation du simulateur (YAML)."),
    ] = None,
    ppgdid: Annotated[
        Path | None,
        typer.Option("--ppgdid", help="Configuration du PPGDID (YAML, docs/formats.md)."),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--sans-demo",
            help="Créer un compte de démonstration par rôle (mots de passe affichés).",
        ),
    ] = False,
    enquete: Annotated[
        Path | None,
        typer.Option(
            "--enquete",
            help="Enquête sociale des ménages à reloger (CSV de « mixite reloger ») : "
            "les ménages du suivi des relogements.",
        ),
    ] = None,
    suivi: Annotated[
        Path | None,
        typer.Option(
            "--suivi",
            help="Tableau de suivi des relogements (suivi-relogement.csv) : "
            "les étapes déjà renseignées (avec --enquete).",
        ),
    ] = None,
    processus: Annotated[
        int,
        typer.Option(
            "--processus",
            min=1,
            max=16,
            help="Processus du serveur (gunicorn, 4 fils chacun) ; plus d'un ne sert que sur "
            "une machine dont les cœurs sont libres.",
        ),
    ] = 1,
    preparer: Annotated[
        bool,
        typer.Option("--preparer", help="Préparer la base de l'application et quitter."),
    ] = False,
) -> None:
    from mixite.web.paths import web_folder
    from mixite.web.server import configure, prepare, serve

    configure(base, grille, ppgdid)
    if suivi is not None and enquete is None:
        raise ConfigError(
            "« --suivi » demande aussi « --enquete » (les ménages et leurs bailleurs)."
        )
    accounts = prepare(demo, enquete, suivi)
    typer.echo(f"Dossier de l'application : {web_folder(base.resolve())}")
    if accounts:
        typer.echo(
            "Comptes de démonstration (mots de passe valables jusqu'au prochain lancement) :"
        )
        for account in accounts:
            partner = f" — {account.partner}" if account.partner else ""
            typer.echo(f"  {account.username} / {account.password} ({account.role}{partner})")
    if preparer:
        return
    typer.echo(f"Ouvrez http://{hote}:{port}/ dans un navigateur (Ctrl-C pour arrêter).")
    serve(hote, port, processus)
