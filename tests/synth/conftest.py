"""Generated territories shared by the synth tests (generated once per session)."""

from __future__ import annotations

import numpy as np
import pytest

from mixite.synth import GenerationResult, generate, size_profile


@pytest.fixture(scope="session")
def petite(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    folder = tmp_path_factory.mktemp("petite")
    return generate(folder, np.random.default_rng(7), size_profile("petite"), 2025)


@pytest.fixture(scope="session")
def moyenne(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    folder = tmp_path_factory.mktemp("moyenne")
    return generate(folder, np.random.default_rng(2025), size_profile("moyenne"), 2025)
