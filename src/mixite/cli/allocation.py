"""``mixite simuler``, ``mixite optimiser`` and ``mixite frontiere``: next year's attributions
under one or several scenarios, simulated (commission process) or optimised (best lawful
allocation and its bound), and the frontier of the Q1 objective against priority."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mixite.cli._app import BaseOption, app, err_console

if TYPE_CHECKING:
    from mixite.jobs.results import Mode

_SCENARIO = typer.Option(
    "--scenario",
    help="Fichier de scénario YAML ; répétez l'option pour comparer (le premier sert de référence).",
)
_SORTIE = typer.Option("--sortie", help="Dossier où écrire les indicateurs et la comparaison.")
_DETAILS = typer.Option(
    "--details-menages",
    help="Écrit aussi, par scénario, donnees/attributions_<scénario>.csv : une ligne par "
    "attribution "
    "(identifiant RPLS du logement, pseudonyme de la demande, taille et ressources du ménage). "
    "Ce sont des données personnelles : à conserver comme la base, à ne pas diffuser.",
)


def _run(
    base: Path,
    scenarios: list[Path],
    sortie: Path,
    mode: Mode,
    lp_limit: float | None = None,
    calibrate: bool = False,
    details: bool = False,
) -> None:
    from mixite.allocation.scenario import load_scenario
    from mixite.jobs.allocation import run_scenarios
    from mixite.reports.allocation import (
        calibration_note,
        merged_note,
        run_summary,
        write_allocation,
    )
    from mixite.store import Store

    loaded = [load_scenario(p) for p in scenarios]
    with Store(base) as store:
        runs = run_scenarios(store, loaded, mode, lp_limit, calibrate)
    write_allocation(runs, sortie, details)
    if runs.calibration:
        err_console.print(calibration_note(runs))
    for run in runs.runs:
        err_console.print(run_summary(run))
    for name, same in runs.merged.items():
        err_console.print(merged_note(name, same, mode))
    err_console.print(f"Fichiers écrits dans « {sortie} » (comparaison.html, comparaison.xlsx).")
    if details:
        err_console.print(
            "Attributions ménage par ménage écrites (donnees/attributions_<scénario>.csv) : données "
            "personnelles, à ne pas diffuser."
        )


@app.command(
    "simuler",
    help=(
        "Simule une année de commissions d'attribution (orientation par le flux, trois candidats, "
        "refus, fléchage) pour chaque scénario et écrit les attributions, les indicateurs "
        "d'objectifs par partenaire avec intervalles, et une comparaison HTML/XLSX."
    ),
)
def simuler(
    base: BaseOption,
    scenario: Annotated[list[Path], _SCENARIO],
    sortie: Annotated[Path, _SORTIE],
    calibrer: Annotated[
        bool,
        typer.Option(
            "--calibrer",
            help="Calibre d'abord la préférence de la commission pour la solvabilité sur le "
            "scénario de référence, pour qu'il reproduise la part Q1 hors QPV observée dans la "
            "base, puis l'applique à tous les scénarios.",
        ),
    ] = False,
    details_menages: Annotated[bool, _DETAILS] = False,
) -> None:
    _run(base, scenario, sortie, "simuler", calibrate=calibrer, details=details_menages)


@app.command(
    "optimiser",
    help=(
        "Calcule, pour chaque scénario, la meilleure répartition des logements libérés qui "
        "respecte les objectifs légaux (flot à coût minimal et prix lagrangiens, borne de la "
        "relaxation linéaire) et écrit les attributions, les indicateurs et une comparaison."
    ),
)
def optimiser(
    base: BaseOption,
    scenario: Annotated[list[Path], _SCENARIO],
    sortie: Annotated[Path, _SORTIE],
    limite_lp: Annotated[
        float | None,
        typer.Option(
            "--limite-lp",
            help="Temps maximal (secondes) de la relaxation linéaire ; au-delà, la borne "
            "lagrangienne du flot est donnée ; 0 : pas de relaxation linéaire.",
        ),
    ] = None,
    details_menages: Annotated[bool, _DETAILS] = False,
) -> None:
    _run(base, scenario, sortie, "optimiser", limite_lp, details=details_menages)


@app.command(
    "frontiere",
    help=(
        "Frontière des marges de manœuvre côté attributions : pour chaque objectif de part du "
        "premier quartile hors QPV, l'allocation optimale de l'année, la part atteinte et le "
        "score de priorité sacrifié (EPCI, ou un bailleur avec --bailleur)."
    ),
)
def frontiere(
    base: BaseOption,
    scenario: Annotated[Path, typer.Option("--scenario", help="Fichier de scénario YAML.")],
    sortie: Annotated[Path, _SORTIE],
    bailleur: Annotated[
        str | None, typer.Option("--bailleur", help="SIREN d'un bailleur (défaut : l'EPCI).")
    ] = None,
    cibles: Annotated[
        str,
        typer.Option("--cibles", help="Objectifs de part Q1 hors QPV, séparés par des virgules."),
    ] = "0,0.1,0.2,0.25,0.3,0.4",
) -> None:
    from mixite.allocation.scenario import load_scenario
    from mixite.errors import ConfigError
    from mixite.jobs.allocation import frontier
    from mixite.reports.allocation import write_frontier
    from mixite.store import Store

    try:
        alphas = [float(c.replace(",", ".")) for c in cibles.split(",") if c.strip()]
    except ValueError:
        raise ConfigError(
            f"Objectifs « {cibles} » illisibles : donnez des parts entre 0 et 1 séparées par des "
            "virgules, par exemple « 0,0.25,0.4 »."
        ) from None
    loaded = load_scenario(scenario)
    with Store(base) as store:
        result = frontier(store, loaded, alphas, bailleur)
    write_frontier(result, sortie)
    err_console.print(f"Frontière écrite dans « {sortie} » (frontiere.csv, frontiere.html).")
