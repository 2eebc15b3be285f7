"""Same seed → byte-identical files; another seed → different files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mixite.synth import FILES, generate, size_profile


def read_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _run(folder: Path, seed: int, chunk: int = 1_000) -> dict[str, bytes]:
    # a small chunk forces several chunks, so the chunked writing path is exercised
    generate(folder, np.random.default_rng(seed), size_profile(dwellings=2_500), 2025, chunk=chunk)
    return read_bytes(folder)


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = _run(tmp_path / "a", 11)
    second = _run(tmp_path / "b", 11)
    assert set(first) == set(FILES.values())
    for name in first:
        assert first[name] == second[name], name


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    first = _run(tmp_path / "a", 11)
    other = _run(tmp_path / "b", 12)
    for name in ("rpls.csv", "demandes.csv", "attributions.csv", "occupation.csv", "qpv.geojson"):
        assert first[name] != other[name], name


def test_identical_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    """Two separate runs (string hashing randomised differently) write the same bytes."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from pathlib import Path; "
        "from mixite.synth import generate, size_profile; "
        "generate(Path(sys.argv[1]), np.random.default_rng(5), size_profile(dwellings=1500), 2025)"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / seed)], check=True, env=env)
    assert read_bytes(tmp_path / "1") == read_bytes(tmp_path / "2")
