"""``mixite generer`` (synthetic territory in the official formats) and ``mixite demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.cli._app import app, err_console, is_interactive
from mixite.errors import ConfigError

_FILE_LABELS = {
    "rpls": "RPLS (logements, colonnes ouvertes et restreintes)",
    "applications": "demandes en cours au 31/12",
    "attributions": "attributions de l'année",
    "households": "ménages occupants (OPS)",
    "reservations": "conventions de réservation en flux",
    "communes": "communes",
    "landlords": "bailleurs",
    "qpv": "périmètres QPV (GeoJSON WGS84)",
    "commune_contours": "contours des communes (GeoJSON WGS84, attributs d'Admin Express)",
    "territory": "description du territoire",
    "commitments": "taux adaptés et engagements de la CIA",
    "calibration": "rapport de calibration",
}


@app.command(
    "generer",
    help=(
        "Écrit un territoire synthétique (fictif) dans les formats officiels : RPLS, demandes, "
        "attributions, occupation, QPV, réservations, et un rapport de calibration ; avec "
        "--france, un territoire par EPCI des arrêtés du premier quartile."
    ),
)
def generer(
    dossier: Annotated[Path, typer.Option("--dossier", help="Dossier où écrire les fichiers.")],
    france: Annotated[
        bool,
        typer.Option(
            "--france",
            help="France synthétique : un territoire par EPCI des arrêtés du premier quartile "
            "(nom, SIREN, communes et seuils réels), dans un sous-dossier par SIREN, et l'index "
            "france.csv.",
        ),
    ] = False,
    epci: Annotated[
        str | None,
        typer.Option("--epci", help="Avec --france : SIREN à générer, séparés par des virgules."),
    ] = None,
    echelle: Annotated[
        float,
        typer.Option(
            "--echelle",
            help="Avec --france : facteur sur la taille de chaque territoire (essais sur une "
            "fraction de la France ; 200 logements au moins).",
        ),
    ] = 1.0,
    travailleurs: Annotated[
        int,
        typer.Option(
            "--travailleurs",
            help="Avec --france : travailleurs Dask (1 : un territoire après l'autre, sans Dask).",
        ),
    ] = 1,
    cluster: Annotated[
        str | None,
        typer.Option("--cluster", help="Avec --france : adresse d'un ordonnanceur Dask."),
    ] = None,
    graine: Annotated[
        int, typer.Option("--graine", help="Graine du générateur : même graine, mêmes fichiers.")
    ] = 2025,
    taille: Annotated[
        str | None,
        typer.Option(
            "--taille",
            help="Taille du territoire : petite (≈ 5 000 logements), moyenne (≈ 40 000), "
            "grande (≈ 150 000). Par défaut : moyenne.",
        ),
    ] = None,
    logements: Annotated[
        int | None,
        typer.Option(
            "--logements",
            help="Nombre exact de logements (jusqu'à l'échelle nationale, 5,4 millions), "
            "à la place de --taille.",
        ),
    ] = None,
    millesime: Annotated[
        int,
        typer.Option(
            "--millesime",
            help="Millésime N : parc au 1er janvier N, attributions de N-1, demandes au 31/12/N-1.",
        ),
    ] = 2025,
) -> None:
    import numpy as np
    from rich.progress import Progress

    from mixite.synth.generateur import generate
    from mixite.synth.modele import SIZES, size_profile

    if france:
        if taille is not None or logements is not None:
            raise ConfigError(
                "--france fixe la taille de chaque EPCI : retirez --taille et --logements "
                "(--echelle réduit toute la France)."
            )
        _france(dossier, graine, millesime, epci, echelle, travailleurs, cluster)
        return
    if epci is not None or echelle != 1.0 or travailleurs != 1 or cluster is not None:
        raise ConfigError("--epci, --echelle, --travailleurs et --cluster vont avec --france.")
    if taille is not None and logements is not None:
        raise ConfigError("Donnez soit --taille, soit --logements, pas les deux.")
    if taille is not None and taille not in SIZES:
        raise ConfigError(f"Taille « {taille} » inconnue. Choisissez parmi : {', '.join(SIZES)}.")
    if not 2025 <= millesime <= 2100:
        raise ConfigError(
            f"Millésime {millesime} hors du domaine couvert : les seuils du premier quartile "
            "sont connus à partir de 2024 (attributions de N-1). Donnez une année entre 2025 "
            "et 2100."
        )
    profile = size_profile(taille, logements)
    rng = np.random.default_rng(graine)
    if is_interactive():
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("Génération des logements…", total=profile.dwellings)
            result = generate(
                dossier,
                rng,
                profile,
                millesime,
                progress=lambda done, total: bar.update(task, completed=done),
            )
    else:
        result = generate(dossier, rng, profile, millesime)
    counts = result.counts
    typer.echo(
        f"Territoire synthétique « {profile.name} » (graine {graine}, millésime {millesime}) : "
        f"{counts['dwellings']} logements, {counts['applications']} demandes, "
        f"{counts['attributions']} attributions."
    )
    for key, path in result.paths.items():
        typer.echo(f"  {path}  ({_FILE_LABELS[key]})")
    off = [f for f in result.figures if not f.ok]
    if off:
        typer.echo(
            "Écarts à la calibration : "
            + ", ".join(f.label for f in off)
            + " (voir calibration.md)."
        )
    else:
        typer.echo("Tous les indicateurs de calibration sont dans leur tolérance.")


def _france(
    folder: Path,
    seed: int,
    millesime: int,
    epci: str | None,
    scale: float,
    workers: int,
    cluster: str | None,
) -> None:
    """``generer --france``: the synthetic France, then its national calibration figures."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from mixite.national.generation import generate_france
    from mixite.reports import fr

    if not 2025 <= millesime <= 2100:
        raise ConfigError(
            f"Millésime {millesime} hors du domaine couvert : donnez une année entre 2025 et 2100."
        )
    if not 0 < scale <= 1:
        raise ConfigError(f"Échelle {fr.number(scale, 4)} impossible : donnez un nombre de 0 à 1.")
    sirens = {s.strip() for s in epci.split(",") if s.strip()} if epci else None
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=not is_interactive(),
    )
    job = bar.add_task("Territoires", total=None)
    with bar:
        result = generate_france(
            folder,
            millesime,
            seed,
            scale,
            sirens,
            workers,
            cluster,
            started=lambda _d, _w, todo: bar.update(job, total=todo),
            progress=lambda done, _t, item: bar.update(
                job, completed=done, description=item.name[:40]
            ),
        )
    made = [t for t in result.territories if t.generated]
    dwellings = sum(t.counts.get("dwellings", 0) for t in made)
    typer.echo(
        f"France synthétique (graine {seed}, millésime {millesime}) : "
        f"{fr.integer(len(result.territories))} territoire(s) dans « {folder} » "
        f"({fr.integer(len(made))} généré(s), {fr.integer(dwellings)} logements ; "
        f"{fr.integer(len(result.territories) - len(made))} déjà présent(s)), "
        f"{fr.decimal(result.seconds, 0)} s."
    )
    typer.echo(f"  {result.index}  (index des territoires)")
    typer.echo("Calibration nationale des profils (toute la France) :")
    for f in result.figures:
        value = fr.integer(f.value) if f.unit == "n" else fr.percent(f.value)
        target = fr.integer(f.target) if f.unit == "n" else fr.percent(f.target)
        status = "OK" if f.ok else "écart"
        typer.echo(f"  {f.label} : {value} (cible {target}) {status}")


@app.command(
    "demo",
    help=(
        "Génère le territoire de démonstration (taille moyenne, graine fixe), l'importe dans "
        "une base DuckDB par les lecteurs de fichiers, lance les analyses disponibles et "
        "affiche les chemins produits."
    ),
)
def demo(
    dossier: Annotated[Path, typer.Option("--dossier", help="Dossier de la démonstration.")] = Path(
        "demo"
    ),
) -> None:
    from mixite.demo import run_demo

    paths = run_demo(dossier, report=lambda line: err_console.print(line))
    if paths.store.exists():
        _print_store_summary(paths.store)
    typer.echo("Produit par la démonstration :")
    for label, path in paths.made:
        typer.echo(f"  {label} : {path}")


def _print_store_summary(store: Path) -> None:
    from mixite.reports import fr
    from mixite.store import STORE_TABLES, Store

    with Store(store, read_only=True) as st:
        summary = st.summary()
    typer.echo("Contenu de la base :")
    for row in summary.itertuples(index=False):
        label = STORE_TABLES[str(row.table)].label
        typer.echo(f"  millésime {row.millesime}, {label} : {fr.count(row.rows, 'ligne')}")
