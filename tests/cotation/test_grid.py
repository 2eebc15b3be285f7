"""Grid loading: the three example grids load; every invalid grid gives its French error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mixite.cotation import load_grid
from mixite.cotation.grid import DEFAULT_SIMILARITY
from mixite.errors import ConfigError

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "exemples" / "grilles"
INVALID = HERE / "grilles_invalides"
EXPECTED: dict[str, str] = yaml.safe_load(
    (HERE / "grilles_invalides_attendus.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", ["lyon", "paris", "dunkerque"])
def test_example_grids_load_and_are_labelled_illustrative(name: str) -> None:
    grid = load_grid(EXAMPLES / f"{name}_illustrative.yaml")
    assert grid.illustrative is True
    assert "illustrative" in grid.name
    assert [s.name for s in grid.similarity] == list(DEFAULT_SIMILARITY)


def test_lyon_grid_keeps_the_published_points() -> None:
    # docs/droit.md §5 (Cotation de la demande) (lacsf69.org): eviction 20, single parent 5, excessive effort rate 10.
    grid = load_grid(EXAMPLES / "lyon_illustrative.yaml")
    first = grid.section_for(False)
    points = {c.name: c.cents for r in first.rubrics for c in r.criteria}
    assert points["Menace d'expulsion sans relogement"] == 2000
    assert points["Famille monoparentale"] == 500
    assert points["Taux d'effort excessif (plus de 40 % des ressources)"] == 1000
    assert grid.section_for(True).name == "Mutations"
    # Cumulative rubrics, except the legal priorities (DALO or another L441-1 priority).
    modes = {r.name: r.mode for r in first.rubrics}
    assert modes.pop("Priorités légales (CCH art. L441-1 et L441-2-3)") == "exclusive"
    assert set(modes.values()) == {"cumulative"}


def test_paris_grid_uses_exclusive_rubrics_with_the_published_example() -> None:
    # docs/droit.md §5 (Cotation de la demande) (teleservices.paris.fr): leaving a shared dwelling +2, with parents +1.
    grid = load_grid(EXAMPLES / "paris_illustrative.yaml")
    section = grid.section_for(False)
    assert section is grid.section_for(True)
    assert all(r.mode == "exclusive" for r in section.rubrics)
    housing = {
        c.name: c.cents
        for r in section.rubrics
        if r.name == "Conditions de logement actuelles"
        for c in r.criteria
    }
    assert housing["Quitter un logement partagé (hébergé chez des tiers)"] == 200
    assert housing["Vivre chez ses parents"] == 100


def test_invalid_corpus_is_complete() -> None:
    assert sorted(p.name for p in INVALID.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_grid_gives_its_french_error(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_grid(INVALID / name)
    assert str(info.value) == EXPECTED[name]
    assert str(info.value).startswith(f"Grille « {name} »")


def test_missing_grid_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"introuvable\. Vérifiez le chemin donné à --grille"):
        load_grid(tmp_path / "absente.yaml")


def test_validity_dates_are_checked() -> None:
    import datetime as dt

    grid = load_grid(EXAMPLES / "lyon_illustrative.yaml")
    grid.check_date(dt.date(2025, 1, 1))
    with pytest.raises(ConfigError, match="n'est pas en vigueur au 2023-01-01"):
        grid.check_date(dt.date(2023, 1, 1))


def test_the_documented_grid_example_is_valid() -> None:
    # docs/cotation.md shows the format with a complete grid: it must load as written.
    doc = (HERE.parents[1] / "docs" / "cotation.md").read_text(encoding="utf-8")
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    from mixite.cotation import parse_grid

    grid = parse_grid(yaml.safe_load(block), "cotation.md")
    assert [s.name for s in grid.sections] == ["Premières demandes", "Mutations"]
    assert grid.excluded is not None
    assert grid.sections[0].rubrics[0].criteria[0].cents == 3000
