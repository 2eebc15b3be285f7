"""``mixite simuler`` and ``mixite optimiser``: next year's attributions under one or several
scenarios, simulated (commission process) or optimised (best lawful allocation and its bound)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixite.allocation.demo import step_optimisation, step_simulation
from mixite.allocation.run import Mode, run_scenarios
from mixite.cli._app import app, err_console
from mixite.synth.demo import DEMO_STEPS, DemoStep

_BASE = typer.Option("--base", help="Base DuckDB du territoire.")
_SCENARIO = typer.Option(
    "--scenario",
    help="Fichier de scénario YAML ; répétez l'option pour comparer (le premier sert de référence).",
)
_SORTIE = typer.Option("--sortie", help="Dossier où écrire les attributions et la comparaison.")


def _run(
    base: Path, scenarios: list[Path], sortie: Path, mode: Mode, lp_limit: float | None = None
) -> None:
    runs = run_scenarios(base, scenarios, sortie, mode, lp_limit)
    for run in runs:
        err_console.print(run.summary)
    err_console.print(f"Fichiers écrits dans « {sortie} » (comparaison.html, comparaison.xlsx).")


@app.command(
    "simuler",
    help=(
        "Simule une année de commissions d'attribution (orientation par le flux, trois candidats, "
        "refus, fléchage) pour chaque scénario et écrit les attributions, les indicateurs "
        "d'objectifs par partenaire avec intervalles, et une comparaison HTML/XLSX."
    ),
)
def simuler(
    base: Annotated[Path, _BASE],
    scenario: Annotated[list[Path], _SCENARIO],
    sortie: Annotated[Path, _SORTIE],
) -> None:
    _run(base, scenario, sortie, "simuler")


@app.command(
    "optimiser",
    help=(
        "Calcule, pour chaque scénario, la meilleure répartition des logements libérés qui "
        "respecte les objectifs légaux (flot à coût minimal et prix lagrangiens, borne de la "
        "relaxation linéaire) et écrit les attributions, les indicateurs et une comparaison."
    ),
)
def optimiser(
    base: Annotated[Path, _BASE],
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
) -> None:
    _run(base, scenario, sortie, "optimiser", limite_lp)


# ``mixite demo``: simulation then optimisation, after the import of the demo territory.
if not any(step.run is step_simulation for step in DEMO_STEPS):
    DEMO_STEPS.append(
        DemoStep(
            "Attributions simulées : scénario de référence et fléchage de 30 % hors QPV",
            step_simulation,
        )
    )
if not any(step.run is step_optimisation for step in DEMO_STEPS):
    DEMO_STEPS.append(
        DemoStep(
            "Attributions optimisées sous les objectifs légaux, avec la borne lagrangienne",
            step_optimisation,
        )
    )
