"""The entry point: French errors without traceback, exit status 2 (conventions.md)."""

from __future__ import annotations

import os
import re
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


# ---------------------------------------------------------------------------------------------
# Never a traceback (issue 15, item 6)
# ---------------------------------------------------------------------------------------------

_CRASH = """
import sys
import mixite.jobs.importing as job

def broken(store):
    raise ZeroDivisionError("division by zero in a job")

job.info = broken
sys.argv = ["mixite", *sys.argv[1:]]
from mixite.cli import main
main()
"""


def test_an_unexpected_error_is_french_exits_3_and_writes_its_traceback(tmp_path: Path) -> None:
    from mixite.schema import TABLES
    from mixite.store import import_millesime
    from test_store import make_frame

    base = tmp_path / "base.duckdb"
    import_millesime(base, 2025, {"communes": make_frame(TABLES["communes"], 2, 1)})
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, "info", "--base", str(base)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert done.returncode == 3
    assert "Traceback" not in done.stderr and "ZeroDivisionError" not in done.stderr
    message = " ".join(done.stderr.split())
    assert message.startswith("Erreur : erreur interne pendant « mixite info »")
    assert "(dans mixite.cli.importer, fonction info)" in message
    logs = list(tmp_path.glob("mixite-erreur-*.log"))
    assert len(logs) == 1, "the traceback is written beside the base"
    assert f"« {logs[0]} »" in message
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "ZeroDivisionError: division by zero in a job" in text
    assert (logs[0].stat().st_mode & 0o777) == 0o600


def test_without_a_base_the_log_goes_to_the_user_cache(tmp_path: Path) -> None:
    from mixite.cli._app import _log_folder

    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    try:
        assert _log_folder(["generer"]) == tmp_path / "cache" / "mixite"
    finally:
        del os.environ["XDG_CACHE_HOME"]


def test_no_code_uses_private_modules_of_click_or_typer() -> None:
    src = Path(__file__).parents[1] / "src"
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if re.search(r"(typer|click)\._[a-z]", p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
