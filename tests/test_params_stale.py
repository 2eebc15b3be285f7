"""Every packaged parameter must be current: a value today and a recent check.

This test fails on purpose when the yearly update is late: when a parameter has no value at
today's date, or its ``last_value_still_valid_on`` is missing or older than 13 months (each
parameter must be re-checked once a year, docs/parametres.md « Mise à jour annuelle »).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mixite.errors import ParameterError
from mixite.params import PARAMS_DIR, Parameters, default_parameters, load_parameters

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


FILES = sorted(path.stem for path in PARAMS_DIR.glob("*.yaml"))


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
