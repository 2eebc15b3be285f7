"""A grid must make every legal priority earn points (décret n° 2019-1378, CCH art. L441-1 and
L441-2-3): loading a grid that leaves one out fails, naming it, unless a waiver documents it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mixite.cotation import load_grid, parse_grid
from mixite.cotation.compliance import check_compliance, coverage, legal_priorities
from mixite.errors import ConfigError
from mixite.schema import PRIORITY_CODES

EXAMPLES = Path(__file__).parents[2] / "exemples" / "grilles"
DALO_CRITERION = (
    "    - nom: Ménage reconnu prioritaire DALO\n"
    "      points: {points}\n"
    "      priorites: [dalo]\n"
    "      description: CCH art. L441-2-3 (décision favorable de la commission de médiation)\n"
    '      condition: {{champ: dalo, op: "==", valeur: true}}\n'
)


def _without_dalo(name: str, points: int) -> str:
    """The text of an example grid whose DALO criteria are removed."""
    text = (EXAMPLES / f"{name}_illustrative.yaml").read_text(encoding="utf-8")
    criterion = "\n".join(
        "      " + line if line else line
        for line in DALO_CRITERION.format(points=points).split("\n")
    )
    assert criterion in text
    return text.replace(criterion, "")


@pytest.mark.parametrize("name", ["lyon", "paris", "dunkerque"])
def test_the_illustrative_grids_cover_every_legal_priority(name: str) -> None:
    grid = load_grid(EXAMPLES / f"{name}_illustrative.yaml")
    result = coverage(grid)
    # The list in force on 1 January 2024: DALO and the fourteen L441-1 publics.
    assert [c.code for c in result] == ["dalo", *PRIORITY_CODES]
    assert all(c.ok and not c.missing and c.waiver is None for c in result)
    sections = {s.name for s in grid.sections}
    dalo = next(c for c in result if c.code == "dalo")
    assert {section for section, _, _ in dalo.criteria} == sections
    assert dalo.article.startswith("CCH art. L441-2-3")


def test_a_grid_without_its_dalo_criterion_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lyon_sans_dalo.yaml"
    path.write_text(_without_dalo("lyon", 40), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_grid(path)
    message = str(info.value)
    assert message.startswith("Grille « lyon_sans_dalo.yaml » : la grille ne fait pas compter")
    assert "ménages reconnus prioritaires DALO (CCH art. L441-2-3" in message
    assert "sections Premières demandes, Mutations" in message
    # Only DALO is missing: the other priorities earn points through the L441-1 criterion.
    assert "handicap" not in message


def test_the_command_exits_2_naming_dalo(tmp_path: Path) -> None:
    path = tmp_path / "lyon_sans_dalo.yaml"
    path.write_text(_without_dalo("lyon", 40), encoding="utf-8")
    src = Path(__file__).parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    run = subprocess.run(
        [sys.executable, "-m", "mixite", "cotation", "--base", str(tmp_path / "b.duckdb"),
         "--grille", str(path), "--sortie", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "DALO" in run.stderr and "Traceback" not in run.stderr


def test_a_documented_waiver_lets_the_grid_load(tmp_path: Path) -> None:
    waiver = (
        "derogations:\n"
        "  - priorite: dalo\n"
        "    motif: Les ménages DALO sont désignés par le préfet, hors cotation.\n"
        "    acte: Délibération n° 2024-12 du conseil communautaire (PPGDID, chapitre 3)\n"
    )
    text = _without_dalo("lyon", 40).replace("sections:\n", waiver + "sections:\n", 1)
    path = tmp_path / "lyon_derogation.yaml"
    path.write_text(text, encoding="utf-8")
    grid = load_grid(path)
    dalo = next(c for c in coverage(grid) if c.code == "dalo")
    assert dalo.ok and dalo.missing == ("Premières demandes", "Mutations")
    assert dalo.waiver is not None and dalo.waiver.act.startswith("Délibération n° 2024-12")
    empty = text.replace("motif: Les ménages DALO sont désignés par le préfet, hors cotation.",
                         'motif: ""')  # fmt: skip
    path.write_text(empty, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"derogations.*le texte est vide"):
        load_grid(path)


def test_dalo_households_hors_cotation_are_not_covered() -> None:
    # The published Dunkerque list puts DALO households outside the cotation: not compliant.
    raw = yaml.safe_load((EXAMPLES / "dunkerque_illustrative.yaml").read_text(encoding="utf-8"))
    raw["hors_cotation"] = {"champ": "dalo", "op": "==", "valeur": True}
    grid = parse_grid(raw, "dunkerque_dalo_hors_cotation.yaml")
    with pytest.raises(ConfigError, match="ménages reconnus prioritaires DALO"):
        check_compliance(grid)


def _grid(criteria: list[dict[str, object]], valid_from: str = "2024-01-01") -> dict[str, object]:
    return {
        "nom": "test",
        "illustratif": True,
        "valide_du": dt.date.fromisoformat(valid_from),
        "sections": [
            {
                "nom": "Toutes",
                "applique_a": "toutes",
                "rubriques": [{"nom": "R", "mode": "cumulative", "criteres": criteria}],
            }
        ],
    }


def test_a_criterion_counts_when_its_condition_tests_the_priority_or_declares_it() -> None:
    criteria: list[dict[str, object]] = [
        {"nom": "DALO", "points": 30, "condition": {"champ": "dalo", "op": "==", "valeur": True}},
        # Tests another field: counts for « a » only because it declares it.
        {"nom": "Handicap", "points": 10, "priorites": ["a"],
         "condition": {"champ": "handicap", "op": "==", "valeur": True}},
        # Tests the priority directly.
        {"nom": "Violences", "points": 20,
         "condition": {"champ": "priorite:e", "op": "==", "valeur": True}},
        # Negative points never make a priority « earn » points.
        {"nom": "Sans logement", "points": -5,
         "condition": {"champ": "priorite:g", "op": "==", "valeur": True}},
    ]  # fmt: skip
    result = {c.code: c for c in coverage(parse_grid(_grid(criteria), "t.yaml"))}
    assert result["a"].criteria[0][1] == "Handicap"
    assert result["e"].criteria[0][1] == "Violences" and result["e"].ok
    assert not result["g"].ok and result["g"].missing == ("Toutes",)
    with pytest.raises(ConfigError) as info:
        check_compliance(parse_grid(_grid(criteria), "t.yaml"))
    assert "dépourvu de logement" in str(info.value)  # priority g is named
    assert "violences conjugales" not in str(info.value)  # priority e is covered


def test_the_list_of_priorities_is_dated() -> None:
    # The ASE and rape-victim publics entered L441-1 after the cotation decree (3DS, 2022).
    before = legal_priorities(dt.date(2021, 6, 1))
    after = legal_priorities(dt.date(2024, 1, 1))
    assert set(after) - set(before) == {"ase", "viol"}
    assert before["dalo"].startswith("CCH art. L441-2-3")
    criteria: list[dict[str, object]] = [
        {"nom": "DALO", "points": 30, "condition": {"champ": "dalo", "op": "==", "valeur": True}},
        {"nom": "Prioritaire", "points": 10,
         "condition": {"champ": "priorites", "op": "contains",
                       "valeur": [c for c in PRIORITY_CODES if c not in ("ase", "viol")]}},
    ]  # fmt: skip
    check_compliance(parse_grid(_grid(criteria, "2021-01-01"), "t.yaml"))
    with pytest.raises(ConfigError, match="aide sociale à l'enfance"):
        check_compliance(parse_grid(_grid(criteria, "2024-01-01"), "t.yaml"))
