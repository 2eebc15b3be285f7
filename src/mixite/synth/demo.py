"""The demo pipeline: a list of steps, each a function of the demo paths.

``mixite demo`` runs ``DEMO_STEPS`` in order; a capability adds its analysis to the demo with
one line, ``DEMO_STEPS.append(DemoStep("libellé en français", function))``, where ``function``
receives the ``DemoPaths`` and records what it made in ``paths.made``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Seed and size of the demo territory (fixed: the demo is reproducible).
DEMO_SEED = 2025
DEMO_SIZE = "moyenne"
DEMO_MILLESIME = 2025


@dataclass
class DemoPaths:
    """Where the demo writes: ``root/donnees`` (files), ``root/territoire.duckdb`` (store),
    ``root/sorties`` (reports of later steps); ``made`` collects what each step produced."""

    root: Path
    millesime: int = DEMO_MILLESIME
    made: list[tuple[str, Path]] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "donnees"

    @property
    def store(self) -> Path:
        return self.root / "territoire.duckdb"

    @property
    def outputs(self) -> Path:
        return self.root / "sorties"


def step_generate(paths: DemoPaths) -> None:
    """Generate the demo territory (taille moyenne, fixed seed) into ``donnees/``."""
    import numpy as np

    from mixite.synth.generateur import generate
    from mixite.synth.modele import size_profile

    result = generate(
        paths.data, np.random.default_rng(DEMO_SEED), size_profile(DEMO_SIZE), paths.millesime
    )
    paths.made.append(("Fichiers du territoire synthétique", paths.data))
    paths.made.append(("Rapport de calibration", result.paths["calibration"]))


def read_generated(folder: Path) -> dict[str, pd.DataFrame]:
    """Read a generated folder through mixite's real readers (``mixite.io``), one canonical
    frame per store table."""
    from mixite.io import read_folder

    frames: dict[str, pd.DataFrame] = read_folder(folder)
    return frames


def step_import(paths: DemoPaths) -> None:
    """Read the generated files with the real readers and import them into the store."""
    from mixite.store import import_millesime

    frames = read_generated(paths.data)
    if paths.store.exists():
        paths.store.unlink()
    import_millesime(paths.store, paths.millesime, frames)
    paths.made.append(("Base DuckDB du territoire", paths.store))


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: a French label (printed) and the function to run."""

    label: str
    run: Callable[[DemoPaths], None]


#: The demo, in order. Later capabilities append their step here (one line each).
DEMO_STEPS: list[DemoStep] = [
    DemoStep("Génération du territoire synthétique (taille moyenne, graine fixe)", step_generate),
    DemoStep("Lecture des fichiers et import dans la base DuckDB", step_import),
]


def run_demo(
    root: Path,
    steps: list[DemoStep] | None = None,
    report: Callable[[str], None] | None = None,
) -> DemoPaths:
    """Run the demo steps into ``root``; ``report`` receives one French line per step."""
    paths = DemoPaths(root)
    root.mkdir(parents=True, exist_ok=True)
    for step in steps if steps is not None else DEMO_STEPS:
        if report is not None:
            report(f"→ {step.label}")
        step.run(paths)
    return paths
