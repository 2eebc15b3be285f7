"""Every packaged parameter must be current: a value today and a recent check.

This test fails on purpose when the yearly update is late: when a parameter has no value at
today's date, or its ``last_value_still_valid_on`` is missing or older than 13 months (each
parameter must be re-checked once a year, docs/parametres.md « Mise à jour annuelle »).

It covers every parameter file, legal values, statistical conventions and local defaults alike:
they all live in ``src/mixite/params/`` (one home), and a second check fails when a YAML file
in the format of the parameters appears anywhere else in the package.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from mixite.errors import ParameterError
from mixite.params import PARAMS_DIR, Parameters, default_parameters, load_parameters

PACKAGE_DIR = PARAMS_DIR.parent

MAX_AGE = dt.timedelta(days=396)  # 13 months


def stale(params: Parameters, today: dt.date) -> list[str]:
    """Names of the parameters that are not current at ``today``, with the reason."""
    problems = []
    for name in params.names():
        parameter = params.parameter(name)
        try:
            parameter.at(today)
        except ParameterError:
            problems.append(f"{name}: pas de valeur au {today.isoformat()}")
            continue
        checked = parameter.last_value_still_valid_on
        if checked is None:
            problems.append(f"{name}: last_value_still_valid_on absent")
        elif today - checked > MAX_AGE:
            problems.append(f"{name}: vérifié le {checked.isoformat()}, il y a plus de 13 mois")
    return problems


def has_dated_values(node: Any) -> bool:
    """The YAML tree holds a parameter leaf: ``values`` keyed by dates with a ``reference``."""
    if isinstance(node, dict):
        values = node.get("values")
        if isinstance(values, dict) and any(
            isinstance(entry, dict) and "reference" in entry for entry in values.values()
        ):
            return True
        return any(has_dated_values(child) for child in node.values())
    if isinstance(node, list):
        return any(has_dated_values(child) for child in node)
    return False


def parameter_files_outside(package: Path, home: Path) -> list[str]:
    """YAML files of ``package`` in the parameter format that are not in ``home``."""
    found = []
    for path in sorted([*package.rglob("*.yaml"), *package.rglob("*.yml")]):
        if home in path.parents:
            continue
        if has_dated_values(yaml.safe_load(path.read_text(encoding="utf-8"))):
            found.append(str(path.relative_to(package)))
    return found


FILES = sorted(path.stem for path in PARAMS_DIR.glob("*.yaml"))


def test_every_parameter_lives_in_params() -> None:
    # One home: indicator conventions, marges settings and local defaults included.
    assert parameter_files_outside(PACKAGE_DIR, PARAMS_DIR) == []
    assert {name.split(".")[0] for name in default_parameters().names()} == set(FILES)
    assert {"indicateurs", "marges", "solvabilite", "commission"} <= set(FILES)


def test_the_home_check_finds_a_stray_parameter_file(tmp_path: Path) -> None:
    home = tmp_path / "params"
    (tmp_path / "indicators").mkdir(parents=True)
    home.mkdir()
    leaf = "a:\n  values:\n    2020-01-01: {value: 1, reference: r}\n"
    (home / "ok.yaml").write_text(leaf, encoding="utf-8")
    nested = "x:\n  a:\n    values:\n      2020-01-01: {value: 1, reference: r}\n"
    (tmp_path / "indicators" / "stray.yaml").write_text(nested, encoding="utf-8")
    (tmp_path / "modele.yaml").write_text("territoire: {taux_effort_max: 0.35}\n", encoding="utf-8")
    assert parameter_files_outside(tmp_path, home) == ["indicators/stray.yaml"]


@pytest.mark.parametrize("stem", FILES)
def test_no_packaged_parameter_is_stale(stem: str) -> None:
    # One test per parameter file, so that a late update points at its file and owner.
    problems = [
        p
        for p in stale(default_parameters(), dt.date.today())
        if p.split(":")[0] == stem or p.startswith(stem + ".")
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("leaf", "reason"),
    [
        (
            "values:\n  2020-01-01: {value: 1, reference: r}\n"
            "last_value_still_valid_on: '2020-06-01'\n",
            "plus de 13 mois",
        ),
        ("values:\n  2020-01-01: {value: 1, reference: r}\n", "absent"),
        (
            "values:\n  2020-01-01: {value: 1, reference: r}\n  2024-01-01: {value: null}\n"
            "last_value_still_valid_on: '2025-01-01'\n",
            "pas de valeur",
        ),
    ],
)
def test_the_check_catches_stale_parameters(tmp_path: Path, leaf: str, reason: str) -> None:
    (tmp_path / "x.yaml").write_text(
        "a:\n" + "".join(f"  {line}\n" for line in leaf.splitlines()), encoding="utf-8"
    )
    problems = stale(load_parameters(tmp_path), dt.date(2025, 6, 1))
    assert len(problems) == 1 and reason in problems[0]
