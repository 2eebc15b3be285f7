"""The entry point: French errors without traceback, exit status 2 (conventions.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mixite", *args], capture_output=True, text=True, timeout=120
    )


def test_missing_option_is_french_without_traceback() -> None:
    done = _run("quotas")
    assert done.returncode == 2
    assert "option obligatoire manquante : --base" in done.stderr
    assert "Traceback" not in done.stderr


def test_mixite_error_exits_2(tmp_path: Path) -> None:
    done = _run("info", "--base", str(tmp_path / "absente.duckdb"))
    assert done.returncode == 2
    assert done.stderr.startswith("Erreur :") and "Traceback" not in done.stderr


def test_help_is_french() -> None:
    done = _run("quotas", "--help")
    assert done.returncode == 0
    assert "Affiche cette aide et quitte." in done.stdout
    assert "Show this message" not in done.stdout
