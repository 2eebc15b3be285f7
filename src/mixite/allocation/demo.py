"""``mixite demo`` steps: simulate and optimise the demo territory's year with the two example
scenarios (baseline and fléchage), then trace the frontier of the landlord whose objectives cost
the most dwellings left vacant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mixite.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from mixite.allocation.run import Mode, ScenarioRun
    from mixite.synth.demo import DemoPaths

EXAMPLE_SCENARIOS = Path(__file__).resolve().parents[3] / "exemples" / "scenarios"
SCENARIOS = ("reference.yaml", "flechage.yaml")
#: Time limit of the LP relaxation of each demo optimisation (seconds). The column generation
#: around the Lagrangian prices converges in about ten seconds on the demo territory; the limit
#: only guards the demo's duration on a loaded machine (past it, the Lagrangian bound is kept).
DEMO_LP_TIME_LIMIT = 120.0
#: Targets of the demo's landlord frontier (shares of Q1 attributions outside QPV).
DEMO_FRONTIER_TARGETS = (0.0, 0.1, 0.2, 0.25, 0.3)


def _step(paths: DemoPaths, mode: Mode) -> None:
    from mixite.allocation.run import run_scenarios

    if not EXAMPLE_SCENARIOS.is_dir():
        raise ConfigError(
            f"Dossier des scénarios d'exemple « {EXAMPLE_SCENARIOS} » introuvable : l'étape "
            "d'attribution de la démonstration s'exécute depuis une copie du dépôt mixite."
        )
    folder = paths.outputs / ("simulation" if mode == "simuler" else "optimisation")
    runs = run_scenarios(
        paths.store, [EXAMPLE_SCENARIOS / s for s in SCENARIOS], folder, mode, DEMO_LP_TIME_LIMIT
    )
    label = "simulées" if mode == "simuler" else "optimisées"
    paths.made.append((f"Attributions {label} : comparaison (HTML)", folder / "comparaison.html"))
    paths.made.append((f"Attributions {label} : comparaison (XLSX)", folder / "comparaison.xlsx"))
    if mode == "optimiser" and runs:
        _frontier_step(paths, runs[0])


def costliest_landlord(indicators: pd.DataFrame) -> str | None:
    """The landlord whose objectives leave the largest share of its non-QPV dwellings vacant
    (optimum with the objectives against the optimum without them); None when none does."""
    import numpy as np

    rows = indicators.loc[indicators["perimetre"].str.startswith("bailleur ")]
    free = rows["hors_qpv_sans_objectifs"].to_numpy(dtype=float)
    lost = (free - rows["hors_qpv"].to_numpy(dtype=float)) / np.maximum(free, 1.0)
    if not len(rows) or lost.max() <= 0:
        return None
    return str(rows["perimetre"].iloc[int(np.argmax(lost))]).removeprefix("bailleur ")


def _frontier_step(paths: DemoPaths, run: ScenarioRun) -> None:
    from mixite.allocation.frontier import frontier
    from mixite.allocation.run import write_frontier

    landlord = costliest_landlord(run.indicators)
    if landlord is None:
        return
    table = frontier(run.problem, DEMO_FRONTIER_TARGETS, landlord=landlord)
    page = write_frontier(
        table, paths.outputs / "frontiere", paths.store, run.scenario.nom, landlord
    )
    paths.made.append((f"Frontière des marges de manœuvre du bailleur {landlord} (HTML)", page))


def step_simulation(paths: DemoPaths) -> None:
    """Simuler l'année avec les scénarios de référence et de fléchage."""
    _step(paths, "simuler")


def step_optimisation(paths: DemoPaths) -> None:
    """Optimiser l'année avec les scénarios de référence et de fléchage."""
    _step(paths, "optimiser")
