"""Tests of ``mixite importer`` and ``mixite info`` on a small synthetic territory written in the
official formats by ``mixite.synth`` and read back through the real readers.

Expected row counts are counted independently from the files (data lines of each CSV, features
of the GeoJSON); the territory name comes from ``territoire.yaml`` read with PyYAML.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from mixite.cli import app, main
from mixite.store import Store
from mixite.synth import generate, size_profile

RUNNER = CliRunner()
CSV_FILES = {
    "rpls.csv": "logements (RPLS)",
    "demandes.csv": "demandes de logement social (SNE)",
    "attributions.csv": "attributions suivies de baux signés",
    "occupation.csv": "ménages occupants (OPS)",
    "reservations.csv": "conventions de réservation en flux",
    "communes.csv": "communes du territoire",
    "bailleurs.csv": "bailleurs",
}


def _shared_data() -> Path:
    """``shared/data`` beside the repository (as CI lays it), else ``/work/shared/data``."""
    beside = Path(__file__).resolve().parents[2] / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


RPLS_2025_HEADER = _shared_data() / "rpls" / "rpls_2025_header_only.csv"


@pytest.fixture(scope="module")
def territory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("petite")
    generate(folder, np.random.default_rng(11), size_profile("petite"), 2025)
    return folder


def data_rows(file: Path) -> int:
    with file.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle, delimiter=";")) - 1


def fmt(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


@dataclass
class Run:
    returncode: int
    stderr: str


@pytest.fixture
def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """Run the real entry point ``mixite.cli.main`` (as ``python -m mixite`` does)."""

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["mixite", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        return Run(code, capsys.readouterr().err)

    return run


def test_folder_import_counts_every_table_and_info_shows_them(
    territory: Path, tmp_path: Path
) -> None:
    base = tmp_path / "t.duckdb"
    result = RUNNER.invoke(
        app, ["importer", "--base", str(base), "--millesime", "2025", "--dossier", str(territory)]
    )
    assert result.exit_code == 0, result.output
    expected = {label: data_rows(territory / name) for name, label in CSV_FILES.items()}
    features = json.loads((territory / "qpv.geojson").read_text(encoding="utf-8"))["features"]
    expected["quartiers prioritaires (QPV)"] = len(features)
    expected["territoire"] = 1
    for label, n in expected.items():
        unit = "lignes" if n > 1 else "ligne"
        assert f"  {label} : {fmt(n)} {unit}\n" in result.stdout, label
    # The calibration report of the generator is not a data file: it is listed as ignored.
    assert "fichiers non reconnus, ignorés : calibration.md" in result.stderr
    # Piped output: no progress bar.
    assert "Lecture de" not in result.output

    name = yaml.safe_load((territory / "territoire.yaml").read_text(encoding="utf-8"))["nom"]
    shown = RUNNER.invoke(app, ["info", "--base", str(base)])
    assert shown.exit_code == 0, shown.output
    assert f"Territoire : {name}" in shown.stdout
    for label, n in expected.items():
        line = next(row for row in shown.stdout.splitlines() if f"│ {label} " in row)
        assert "2025" in line and fmt(n) in line, label


def test_generated_rpls_carries_the_real_2025_header(territory: Path, tmp_path: Path) -> None:
    official = RPLS_2025_HEADER.read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    header = (territory / "rpls.csv").read_text(encoding="utf-8").splitlines()[0].split(";")
    assert len(official) == 73
    assert header[:73] == official
    base = tmp_path / "r.duckdb"
    result = RUNNER.invoke(
        app,
        [
            "importer",
            "--base",
            str(base),
            "--millesime",
            "2025",
            "--rpls",
            str(territory / "rpls.csv"),
            "--communes",
            str(territory / "communes.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    with Store(base) as store:
        dwellings = store.read("dwellings", 2025)
        communes = store.read("communes", 2025)
    assert len(dwellings) == data_rows(territory / "rpls.csv")
    assert set(dwellings["commune"]) <= set(communes["commune"])


def test_explicit_reimport_replaces_only_the_given_tables(territory: Path, tmp_path: Path) -> None:
    base = tmp_path / "e.duckdb"
    first = [
        "importer",
        "--base",
        str(base),
        "--millesime",
        "2025",
        "--communes",
        str(territory / "communes.csv"),
        "--demandes",
        str(territory / "demandes.csv"),
    ]
    assert RUNNER.invoke(app, first).exit_code == 0
    # A smaller applications file for the same millésime replaces the applications only.
    lines = (territory / "demandes.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    smaller = tmp_path / "demandes_10.csv"
    smaller.write_text("".join(lines[:11]), encoding="utf-8")
    again = [
        "importer",
        "--base",
        str(base),
        "--millesime",
        "2025",
        "--communes",
        str(territory / "communes.csv"),
        "--demandes",
        str(smaller),
    ]
    result = RUNNER.invoke(app, again)
    assert result.exit_code == 0, result.output
    assert "demandes de logement social (SNE) : 10 lignes" in result.stdout
    with Store(base) as store:
        assert len(store.read("applications", 2025)) == 10
        assert len(store.read("communes", 2025)) == data_rows(territory / "communes.csv")


def test_column_mapping_imports_a_local_extract(territory: Path, tmp_path: Path) -> None:
    source = territory / "demandes.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(";")
    renamed = {"numero_unique": "N° unique", "date_depot": "Date de dépôt"}
    local = tmp_path / "extrait.csv"
    local.write_text(
        ";".join(renamed.get(h, h) for h in header) + "\n" + "".join(lines[1:]), encoding="utf-8"
    )
    mapping = tmp_path / "correspondance.yaml"
    mapping.write_text(
        "table: demandes\ncolonnes:\n"
        + "".join(f'  "{new}": {old}\n' for old, new in renamed.items()),
        encoding="utf-8",
    )
    base = tmp_path / "m.duckdb"
    args = ["importer", "--base", str(base), "--millesime", "2025"]
    folder = tmp_path / "dossier"
    folder.mkdir()
    shutil.copy(territory / "communes.csv", folder / "communes.csv")
    shutil.copy(local, folder / "extrait.csv")
    # Without the mapping the extract is not recognised; with it, it is read as applications.
    plain = RUNNER.invoke(app, [*args, "--dossier", str(folder)])
    assert plain.exit_code == 0, plain.output
    assert "ignorés : extrait.csv" in plain.stderr
    mapped = RUNNER.invoke(app, [*args, "--dossier", str(folder), "--correspondance", str(mapping)])
    assert mapped.exit_code == 0, mapped.output
    with Store(base) as store:
        assert len(store.read("applications", 2025)) == data_rows(source)
    # An explicit file takes the mapping too (the mapping names its table: « demandes »).
    explicit = RUNNER.invoke(
        app,
        [
            *args,
            "--communes",
            str(territory / "communes.csv"),
            "--demandes",
            str(local),
            "--correspondance",
            str(mapping),
        ],
    )
    assert explicit.exit_code == 0, explicit.output


def test_bad_file_is_a_french_error_and_leaves_the_store_unchanged(
    territory: Path, tmp_path: Path, run_main: Callable[..., Run]
) -> None:
    base = tmp_path / "b.duckdb"
    ok = run_main(
        "importer", "--base", str(base), "--millesime", "2025", "--dossier", str(territory)
    )
    assert ok.returncode == 0, ok.stderr
    with Store(base) as store:
        before = store.summary()
    # Same folder, but one applications line has a negative household size.
    bad = tmp_path / "bad"
    shutil.copytree(territory, bad)
    lines = (bad / "demandes.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(";")
    cells = lines[3].rstrip("\n").split(";")
    cells[header.index("nb_personnes")] = "-3"
    lines[3] = ";".join(cells) + "\n"
    (bad / "demandes.csv").write_text("".join(lines), encoding="utf-8")
    failed = run_main("importer", "--base", str(base), "--millesime", "2025", "--dossier", str(bad))
    assert failed.returncode == 2
    assert "Erreur :" in failed.stderr
    assert "demandes.csv" in failed.stderr and "ligne 4" in failed.stderr
    assert "nb_personnes" in failed.stderr and "-3" in failed.stderr
    assert "Traceback" not in failed.stderr
    with Store(base) as store:
        assert store.summary().equals(before)


def test_info_on_a_missing_store_exits_2_in_french(
    tmp_path: Path, run_main: Callable[..., Run]
) -> None:
    result = run_main("info", "--base", str(tmp_path / "absente.duckdb"))
    assert result.returncode == 2
    assert "Base « " in result.stderr and "introuvable" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_files_for_one_table_and_no_file_are_refused(
    territory: Path, tmp_path: Path, run_main: Callable[..., Run]
) -> None:
    folder = tmp_path / "double"
    folder.mkdir()
    shutil.copy(territory / "communes.csv", folder / "communes.csv")
    shutil.copy(territory / "communes.csv", folder / "communes_bis.csv")
    base = tmp_path / "d.duckdb"
    result = run_main(
        "importer", "--base", str(base), "--millesime", "2025", "--dossier", str(folder)
    )
    assert result.returncode == 2
    assert "Deux fichiers contiennent la même table « communes du territoire »" in result.stderr
    assert not base.exists()
    empty = run_main("importer", "--base", str(base), "--millesime", "2025")
    assert empty.returncode == 2
    assert "Aucun fichier à importer" in empty.stderr


def test_progress_bar_on_a_terminal_does_not_change_the_result(
    territory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mixite.cli.importer.is_interactive", lambda: True)
    base = tmp_path / "p.duckdb"
    result = RUNNER.invoke(
        app,
        [
            "importer",
            "--base",
            str(base),
            "--millesime",
            "2024",
            "--communes",
            str(territory / "communes.csv"),
            "--bailleurs",
            str(territory / "bailleurs.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    n = data_rows(territory / "bailleurs.csv")
    assert f"  bailleurs : {fmt(n)} ligne" in result.stdout
    with Store(base) as store:
        assert store.millesimes() == [2024]


def test_mapping_without_table_for_several_files_is_refused(
    territory: Path, tmp_path: Path, run_main: Callable[..., Run]
) -> None:
    mapping = tmp_path / "correspondance.yaml"
    mapping.write_text('colonnes:\n  "N° unique": numero_unique\n', encoding="utf-8")
    result = run_main(
        "importer",
        "--base",
        str(tmp_path / "x.duckdb"),
        "--millesime",
        "2025",
        "--communes",
        str(territory / "communes.csv"),
        "--demandes",
        str(territory / "demandes.csv"),
        "--correspondance",
        str(mapping),
    )
    assert result.returncode == 2
    assert "ne dit pas à quel type de fichier il s'applique" in result.stderr
    assert "table: demandes" in result.stderr
    assert not (tmp_path / "x.duckdb").exists()
