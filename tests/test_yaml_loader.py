"""One strict, safe YAML loader for every YAML file mixite reads (issue 21, item 2).

The probe's « YAML bomb »: a 288-byte ``territoire.yaml`` whose ``nom`` expanded by aliases to 39
million characters was accepted. Every YAML reader (parameters, territoire.yaml, cotation grids,
scenarios, column mappings) now goes through ``mixite.params.parse_yaml``: aliases, duplicate
keys, deep nesting and oversized files are refused with a French message naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mixite.allocation.scenario import load_scenario
from mixite.cotation.grid import load_grid
from mixite.errors import ConfigError, InputError, ParameterError
from mixite.io import load_mapping, read_territory
from mixite.params import (
    YAML_MAX_BYTES,
    YAML_MAX_DEPTH,
    YamlError,
    load_parameters,
    load_yaml,
)

SRC = Path(__file__).parents[1] / "src" / "mixite"

#: The probe's alias bomb: each level repeats the previous one 9 times (9**7 ≈ 4.8 million « lol »).
BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "nom: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    'siren_epci: "200035947"\n'
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_alias_bomb_in_territory_is_refused_before_expansion(tmp_path: Path) -> None:
    path = _write(tmp_path, "territoire.yaml", BOMB)
    with pytest.raises(InputError) as caught:
        read_territory(path)
    assert str(caught.value) == (
        "Ancres et alias YAML (« & », « * ») non acceptés (fichier « territoire.yaml », "
        "ligne 1). Écrivez chaque valeur en entier, sans « & » ni « * »."
    )


def test_duplicate_key_in_territory_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "territoire.yaml",
        'nom: Première\nsiren_epci: "200035947"\nnom: Seconde\n',
    )
    with pytest.raises(InputError) as caught:
        read_territory(path)
    assert str(caught.value) == (
        "Clé en double (fichier « territoire.yaml », ligne 3, colonne « nom »). "
        "Supprimez l'une des deux occurrences."
    )


def test_overlong_territory_name_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "territoire.yaml", f'nom: {"x" * 500}\nsiren_epci: "200035947"\n')
    with pytest.raises(InputError, match=r"Nom du territoire trop long \(500 caractères"):
        read_territory(path)


def test_oversized_territory_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "territoire.yaml", "nom: x\n" + "# " + "y" * 200_000 + "\n")
    with pytest.raises(InputError, match="fichier trop volumineux"):
        read_territory(path)


@pytest.mark.parametrize(
    ("text", "kind", "line"),
    [
        ("a: 1\nb: 2\na: 3\n", "duplicate", 3),
        ("a: &x 1\nb: *x\n", "alias", 1),
        ("base: &b {x: 1}\nautre:\n  <<: *b\n", "alias", 1),
        ("[" * (YAML_MAX_DEPTH + 1) + "]" * (YAML_MAX_DEPTH + 1), "depth", 1),
        ("a: [1, 2\n", "syntax", 2),
        ("a: !!python/object/apply:os.system ['true']\n", "syntax", 1),
        ("a: 2025-13-45\n", "value", None),
        ("? [1, 2]\n: x\n", "syntax", 1),
        # found by the reader fuzzing: a null key reached the readers' checks of unknown keys
        ("colonnes:\n  a: b\n?\n", "empty", 3),
        ("a: 1\n~: 2\n", "empty", 2),
        ("a:\n  null: 2\n", "empty", 2),
    ],
)
def test_strict_loader_refuses(text: str, kind: str, line: int | None) -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "essai.yaml")
    assert caught.value.kind == kind
    assert caught.value.line == line
    assert "« essai.yaml »" in str(caught.value)
    # French only: no English word of PyYAML or Python leaks into the message.
    assert not re.search(r"\b(expected|found|while|could not|must be|month)\b", str(caught.value))


def test_strict_loader_bounds_size() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml("a: " + "x" * YAML_MAX_BYTES, "gros.yaml")
    assert caught.value.kind == "size"


def test_strict_loader_reads_plain_yaml_and_keeps_date_keys_as_text() -> None:
    assert load_yaml("2025-01-01:\n  value: 1\nb: [1, 2]\n", "ok.yaml") == {
        "2025-01-01": {"value": 1},
        "b": [1, 2],
    }


def test_parameter_file_with_duplicate_key_is_refused(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "essai.yaml",
        "x:\n  values:\n    2025-01-01: {value: 1, reference: loi}\n"
        "    2025-01-01: {value: 2, reference: loi}\n",
    )
    with pytest.raises(ParameterError) as caught:
        load_parameters(tmp_path)
    assert "« essai.yaml » ligne 4, colonne 5 : clé « 2025-01-01 » en double" in str(caught.value)


def test_grid_with_alias_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "grille.yaml", "nom: &n Grille\ncopie: *n\n")
    with pytest.raises(ConfigError) as caught:
        load_grid(path)
    assert str(caught.value).startswith("Grille « grille.yaml » ligne 1 : les ancres et alias YAML")


def test_scenario_with_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "scenario.yaml", "nom: a\nnom: b\n")
    with pytest.raises(ConfigError, match="clé « nom » en double"):
        load_scenario(path)


def test_mapping_with_duplicate_header_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "correspondance.yaml", "colonnes:\n  Numéro: numero_unique\n  Numéro: dalo\n"
    )
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert str(caught.value) == (
        "Clé en double (fichier « correspondance.yaml », ligne 3, colonne « Numéro »). "
        "Supprimez l'une des deux occurrences."
    )


def test_no_other_yaml_loader_in_the_package() -> None:
    """Every YAML file is read through ``mixite.params`` (writing with ``safe_dump`` is fine)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path == SRC / "params" / "__init__.py":
            continue
        for pattern in (r"yaml\.(safe_)?load\b", r"yaml\.load_all", r"yaml\.compose", r"Loader\)"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(SRC)}: {pattern}")
    assert offenders == []


def test_the_meta_check_can_fail(tmp_path: Path) -> None:
    text = "import yaml\nyaml.safe_load('a: 1')\n"
    assert re.search(r"yaml\.(safe_)?load\b", text)
