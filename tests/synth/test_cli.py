"""``mixite generer`` and ``mixite demo`` through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mixite.cli import app
from mixite.demo import (
    DEMO_STEPS,
    DemoPaths,
    DemoStep,
    run_demo,
    step_generate,
    step_import,
)
from mixite.errors import ConfigError
from mixite.store import Store


def test_generer_writes_the_files_and_the_calibration_report(tmp_path: Path) -> None:
    out = tmp_path / "territoire"
    result = CliRunner().invoke(
        app, ["generer", "--dossier", str(out), "--logements", "1500", "--graine", "3"]
    )
    assert result.exit_code == 0, result.output
    for name in (
        "rpls.csv",
        "demandes.csv",
        "attributions.csv",
        "occupation.csv",
        "reservations.csv",
        "communes.csv",
        "bailleurs.csv",
        "qpv.geojson",
        "territoire.yaml",
        "calibration.md",
    ):
        assert (out / name).exists()
        assert str(out / name) in result.output
    assert "1500 logements" in result.output
    report = (out / "calibration.md").read_text(encoding="utf-8")
    assert "| indicateur | cible | généré | tolérance | statut | source |" in report


def test_generer_rejects_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["generer", "--dossier", str(tmp_path), "--taille", "immense"])
    assert isinstance(bad.exception, ConfigError)
    assert "Taille « immense » inconnue" in str(bad.exception)
    both = runner.invoke(
        app, ["generer", "--dossier", str(tmp_path), "--taille", "petite", "--logements", "900"]
    )
    assert isinstance(both.exception, ConfigError)


def test_demo_steps_run_in_order_and_can_be_extended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def extra(paths: DemoPaths) -> None:
        seen.append("extra")
        assert paths.store.exists()
        paths.made.append(("Essai", paths.outputs))

    import mixite.demo as demo

    # a small territory keeps the test fast; the real demo uses the medium size
    monkeypatch.setattr(demo, "DEMO_SIZE", "petite")
    lines: list[str] = []
    # the generation and import steps, plus a new one
    own = [step for step in DEMO_STEPS if step.run in (step_generate, step_import)]
    assert [step.run for step in DEMO_STEPS[:2]] == [step_generate, step_import]
    paths = run_demo(tmp_path / "demo", [*own, DemoStep("Étape d'essai", extra)], lines.append)
    assert seen == ["extra"]
    assert lines[-1] == "→ Étape d'essai"
    assert (tmp_path / "demo" / "donnees" / "rpls.csv").exists()
    with Store(paths.store) as st:
        assert len(st.read("dwellings")) == 5000
    assert [label for label, _ in paths.made][-1] == "Essai"


def test_demo_command_prints_counts_and_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mixite.demo as demo

    monkeypatch.setattr(demo, "DEMO_SIZE", "petite")
    root = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--dossier", str(root)])
    assert result.exit_code == 0, result.output
    assert "millésime 2025, logements (RPLS) : 5\u202f000 lignes" in result.output
    assert str(root / "territoire.duckdb") in result.output
    assert str(root / "donnees" / "calibration.md") in result.output
