"""``mixite demo`` steps: simulate and optimise the demo territory's year with the two example
scenarios (baseline and fléchage)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mixite.errors import ConfigError

if TYPE_CHECKING:
    from mixite.allocation.run import Mode
    from mixite.synth.demo import DemoPaths

EXAMPLE_SCENARIOS = Path(__file__).resolve().parents[3] / "exemples" / "scenarios"
SCENARIOS = ("reference.yaml", "flechage.yaml")
#: Time limit of the LP relaxation of each demo optimisation (seconds). The column generation
#: around the Lagrangian prices converges in about ten seconds on the demo territory; the limit
#: only guards the demo's duration on a loaded machine (past it, the Lagrangian bound is kept).
DEMO_LP_TIME_LIMIT = 120.0


def _step(paths: DemoPaths, mode: Mode) -> None:
    from mixite.allocation.run import run_scenarios

    if not EXAMPLE_SCENARIOS.is_dir():
        raise ConfigError(
            f"Dossier des scénarios d'exemple « {EXAMPLE_SCENARIOS} » introuvable : l'étape "
            "d'attribution de la démonstration s'exécute depuis une copie du dépôt mixite."
        )
    folder = paths.outputs / ("simulation" if mode == "simuler" else "optimisation")
    run_scenarios(
        paths.store, [EXAMPLE_SCENARIOS / s for s in SCENARIOS], folder, mode, DEMO_LP_TIME_LIMIT
    )
    label = "simulées" if mode == "simuler" else "optimisées"
    paths.made.append((f"Attributions {label} : comparaison (HTML)", folder / "comparaison.html"))
    paths.made.append((f"Attributions {label} : comparaison (XLSX)", folder / "comparaison.xlsx"))


def step_simulation(paths: DemoPaths) -> None:
    """Simuler l'année avec les scénarios de référence et de fléchage."""
    _step(paths, "simuler")


def step_optimisation(paths: DemoPaths) -> None:
    """Optimiser l'année avec les scénarios de référence et de fléchage."""
    _step(paths, "optimiser")
