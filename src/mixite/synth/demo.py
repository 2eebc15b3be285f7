"""The demo pipeline: a list of steps, each a function of the demo paths.

``mixite demo`` runs ``DEMO_STEPS`` in order; a capability adds its analysis to the demo by
appending one function to that list (it receives ``DemoPaths`` and returns the paths it made).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixite.errors import MixiteError
from mixite.synth.generateur import FILES, generate
from mixite.synth.modele import size_profile

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
    result = generate(
        paths.data, np.random.default_rng(DEMO_SEED), size_profile(DEMO_SIZE), paths.millesime
    )
    paths.made.append(("Fichiers du territoire synthétique", paths.data))
    paths.made.append(("Rapport de calibration", result.paths["calibration"]))


def read_generated(folder: Path) -> dict[str, pd.DataFrame]:
    """Read a generated folder through mixite's real readers (``mixite.io``), one canonical
    frame per store table."""
    try:
        from mixite import io as mio
    except ImportError as exc:  # the readers are a separate module of the project
        raise MixiteError(
            "Les lecteurs de fichiers (module mixite.io) sont absents de cette installation : "
            "impossible d'importer le territoire. Réinstallez mixite."
        ) from exc
    frames: dict[str, pd.DataFrame] = {"dwellings": mio.read_rpls(folder / FILES["rpls"])}
    for table in (
        "applications",
        "attributions",
        "households",
        "reservations",
        "communes",
        "landlords",
    ):
        frames[table] = mio.read_table(folder / FILES[table], table)
    read_qpv = getattr(mio, "read_qpv", None)
    read_territory = getattr(mio, "read_territory", None)
    if read_qpv is not None:
        frames["qpv"] = read_qpv(folder / FILES["qpv"])
    if read_territory is not None:
        frames["territory"] = read_territory(folder / FILES["territory"])
    return frames


def step_import(paths: DemoPaths) -> None:
    """Read the generated files with the real readers and import them into the store."""
    try:
        store_module: Any = importlib.import_module("mixite.store")
    except ImportError as exc:
        raise MixiteError(
            "Le module de stockage (mixite.store) est absent de cette installation : "
            "impossible de créer la base. Réinstallez mixite."
        ) from exc
    frames = read_generated(paths.data)
    if paths.store.exists():
        paths.store.unlink()
    store_module.import_millesime(paths.store, paths.millesime, frames)
    paths.made.append(("Base DuckDB du territoire", paths.store))


#: The demo, in order. Later capabilities append their step here (one line each).
DEMO_STEPS: list[Callable[[DemoPaths], None]] = [step_generate, step_import]


def run_demo(
    root: Path,
    steps: list[Callable[[DemoPaths], None]] | None = None,
    report: Callable[[str], None] | None = None,
) -> DemoPaths:
    """Run the demo steps into ``root``; ``report`` receives one French line per step."""
    paths = DemoPaths(root)
    root.mkdir(parents=True, exist_ok=True)
    for step in steps if steps is not None else DEMO_STEPS:
        if report is not None:
            doc = (step.__doc__ or step.__name__).strip().splitlines()[0]
            report(f"→ {doc}")
        step(paths)
    return paths
