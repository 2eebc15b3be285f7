"""Fixtures shared across test packages: a small synthetic territory imported into a store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mixite.io import read_folder
from mixite.store import import_millesime
from mixite.synth import generate, size_profile


@pytest.fixture(scope="session")
def petite_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `petite` synthetic territory (seed 11, millésime 2025) read back and imported."""
    folder = tmp_path_factory.mktemp("petite_donnees")
    result = generate(folder, np.random.default_rng(11), size_profile("petite"), 2025)
    path = tmp_path_factory.mktemp("petite_base") / "territoire.duckdb"
    import_millesime(path, 2025, read_folder(result.folder))
    return path
