"""Issue 21 item 10: ``mixite solvabilite`` and the affordability kernel refuse absurd inputs in
French, and every numeric option of the command line reads decimal commas."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mixite.affordability import (
    MAX_DEPENDANTS,
    effort_rate,
    housing_benefit,
    housing_benefit_detail,
    reste_a_vivre,
)
from mixite.cli import app
from mixite.cli._app import parse_number
from mixite.errors import InputError

SRC = Path(__file__).resolve().parents[1] / "src"
CASE = {
    "--date": "2025-11", "--zone-apl": "2", "--adultes": "1", "--personnes-a-charge": "0",
    "--loyer": "380", "--charges": "60", "--ressources-annuelles": "9000",
}  # fmt: skip


def _invoke(**changes: str) -> object:
    args = dict(CASE)
    args.update({"--" + k.replace("_", "-"): v for k, v in changes.items()})
    return CliRunner().invoke(app, ["solvabilite", *[x for kv in args.items() for x in kv]])


def _mixite(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point (``main``: French usage errors, exit status), in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "mixite", *args], capture_output=True, text=True, env=env
    )


# --- the kernel ------------------------------------------------------------------------------


def test_the_rls_never_exceeds_the_rent() -> None:
    # Single, zone II, November 2025, no resources: the RLS amount is 34.83 € (750 € < 895 €
    # ceiling), more than a rent of 30 €: the RLS granted is the rent itself. APL by hand:
    # L = 30, C = 60.59, P0 = forfait 39.56 (8.5 % × 90.59 = 7.70 is below), R = 0 → Pp = 39.56;
    # 30 + 60.59 − 39.56 = 51.03; − 5 = 46.03; − 98 % × 30 = 16.63; CRDS floor(8.315) / 100 =
    # 0.08; floor(16.55) = 16 €.
    d = housing_benefit_detail(zone=2, couple=False, dependants=0, rent=30.0,
                               annual_resources=0.0, when="2025-11")  # fmt: skip
    assert float(d.rls) == 30.0
    assert float(d.benefit) == 16.0
    # With a normal rent nothing changes: the RLS amount of the zone.
    _, rls = housing_benefit(zone=2, couple=False, dependants=0, rent=380.0,
                             annual_resources=0.0, when="2025-11")  # fmt: skip
    assert float(rls) == pytest.approx(34.83)
    # Property: over random rents (some below the RLS amount), the RLS is at most the rent.
    rng = np.random.default_rng(21)
    rents = np.round(rng.uniform(0, 120, 500), 2)
    _, rls = housing_benefit(zone=rng.integers(1, 4, 500), couple=rng.random(500) < 0.5,
                             dependants=rng.integers(0, 8, 500), rent=rents,
                             annual_resources=np.zeros(500), when="2025-11")  # fmt: skip
    assert (rls <= rents).all() and (rls > 0).any()


@pytest.mark.parametrize(
    ("changes", "problem", "value"),
    [
        ({"rent": math.nan}, "Loyer non renseigné ou infini", "nan"),
        ({"rent": -1.0}, "Loyer négatif", "-1.0"),
        ({"annual_resources": math.inf}, "Ressources annuelles non renseigné", "inf"),
        ({"annual_resources": -10.0}, "Ressources annuelles négatif", "-10.0"),
        ({"dependants": 1000}, "personnes à charge invraisemblable", "1000"),
    ],
)
def test_the_kernel_refuses_absurd_inputs_in_french(
    changes: dict[str, float], problem: str, value: str
) -> None:
    inputs: dict[str, object] = {
        "zone": 2, "couple": False, "dependants": 0, "rent": 380.0, "annual_resources": 9000.0,
    }  # fmt: skip
    inputs.update(changes)
    with pytest.raises(InputError, match=problem) as caught:
        housing_benefit(**inputs, when="2025-11")  # type: ignore[arg-type]
    assert f"« {value} »" in str(caught.value)


def test_dependants_up_to_the_schema_bound_are_computed() -> None:
    assert MAX_DEPENDANTS == 18  # schema.APPLICATIONS, column dependants
    benefit, _ = housing_benefit(zone=1, couple=True, dependants=MAX_DEPENDANTS, rent=900.0,
                                 annual_resources=20000.0, when="2025-11")  # fmt: skip
    assert float(benefit) > 0


def test_effort_rate_and_reste_a_vivre_refuse_negative_or_missing_resources() -> None:
    with pytest.raises(InputError, match="Ressources mensuelles négatives"):
        effort_rate(380.0, 60.0, 153.0, -750.0, 34.83)
    with pytest.raises(InputError, match="non renseignées"):
        reste_a_vivre(380.0, 60.0, 153.0, math.nan, 1.0, 34.83, days_per_month=30)
    # Zero resources stay allowed: an infinite effort rate when something is paid.
    assert math.isinf(float(effort_rate(380.0, 60.0, 153.0, 0.0, 34.83)))


# --- numbers on the command line ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [
        ("380,50", False, 380.5),
        ("380.50", False, 380.5),
        (" 1 234,5 ", False, 1234.5),
        ("1\u202f234,5", False, 1234.5),  # narrow no-break space between digit groups
        ("-2,5", False, -2.5),
        ("2", True, 2),
        ("2,0", True, 2),
    ],
)
def test_parse_number_reads_french_and_english_decimals(
    text: str, integer: bool, expected: float
) -> None:
    assert parse_number(text, integer) == expected


@pytest.mark.parametrize(
    ("text", "integer", "problem"),
    [
        ("abc", False, "n'est pas un nombre"),
        ("nan", False, "n'est pas un nombre fini"),
        ("-inf", False, "n'est pas un nombre fini"),
        ("1,234.5", False, "ambigu"),
        ("1_000", False, "n'est pas un nombre"),
        ("2,5", True, "n'est pas un nombre entier"),
    ],
)
def test_parse_number_refuses_in_french(text: str, integer: bool, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_number(text, integer)


def test_decimal_comma_gives_the_same_result_as_a_point() -> None:
    comma = _invoke(loyer="380,50", charges="60,25")
    point = _invoke(loyer="380.50", charges="60.25")
    assert comma.exit_code == 0, comma.output  # type: ignore[attr-defined]
    assert comma.output == point.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--loyer", "abc", "« abc » n'est pas un nombre"),
        ("--loyer", "nan", "« nan » n'est pas un nombre fini"),
        ("--zone-apl", "2,5", "« 2,5 » n'est pas un nombre entier"),
    ],
)
def test_bad_numbers_are_french_usage_errors(option: str, value: str, problem: str) -> None:
    args = dict(CASE)
    args[option] = value
    done = _mixite("solvabilite", *[x for kv in args.items() for x in kv])
    assert done.returncode == 2
    text = " ".join(done.stderr.split())
    assert f"valeur invalide pour {option} : {problem}" in text
    assert "Traceback" not in done.stderr


def test_every_command_reads_decimal_commas_for_its_numbers(tmp_path: Path) -> None:
    # Another command, another number type: an integer option (--annee of mixite quotas).
    done = _mixite("quotas", "--base", str(tmp_path / "absente.duckdb"), "--annee", "2024,5")
    assert done.returncode == 2
    assert "« 2024,5 » n'est pas un nombre entier" in " ".join(done.stderr.split())


@pytest.mark.parametrize(
    ("changes", "problem", "fix"),
    [
        ({"personnes-a-charge": "1000"}, "personnes à charge invraisemblable", "au plus 18"),
        ({"ressources-mensuelles": "-5"}, "Ressources mensuelles négatives", "positif ou nul"),
        ({"ressources-annuelles": "2000000"}, "Ressources annuelles invraisemblables", "1 200 000"),
        ({"loyer": "-1"}, "Loyer négatif", "positif ou nul"),
        ({"charges": "6000"}, "Charges invraisemblables", "5 000"),
        ({"taux-effort-max": "35"}, "supérieur à 100 %", "écrivez 0,35 (ou « 35 % »)"),
        ({"taux-effort-max": "0"}, "hors de ]0 ; 100 %]", "0,35"),
        ({"taux-effort-max": "beaucoup"}, "Taux d'effort maximal illisible", "35 %"),
        ({"reste-a-vivre-min": "-3"}, "Reste à vivre minimal négatif", "positif ou nul"),
    ],
)
def test_absurd_values_are_refused_in_french(
    changes: dict[str, str], problem: str, fix: str
) -> None:
    args = dict(CASE)
    args.update({f"--{k}": v for k, v in changes.items()})
    result = CliRunner().invoke(app, ["solvabilite", *[x for kv in args.items() for x in kv]])
    assert isinstance(result.exception, InputError), result.output
    message = " ".join(str(result.exception).split())
    assert problem in message and fix in message
    option, value = next(iter(changes.items()))
    assert f"--{option}" in message and f"« {value} »" in message


def test_an_effort_ceiling_in_percent_is_the_share() -> None:
    nb = "\u00a0"
    for typed in ("35 %", "35%", "0,35", "0.35"):
        result = _invoke(**{"taux-effort-max": typed})
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        assert f"maximum de la charte : 35,0{nb}%" in result.output  # type: ignore[attr-defined]


def test_zero_resources_and_a_tiny_rent_never_give_a_negative_cost() -> None:
    nb = "\u00a0"
    result = _invoke(loyer="30", charges="50", **{"ressources-annuelles": "0"})
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.output  # type: ignore[attr-defined]
    # RLS capped at the rent (30 €), APL 16 € (see test_the_rls_never_exceeds_the_rent):
    # 30 − 30 + 50 − 16 = 34 € paid.
    assert f"Réduction de loyer de solidarité (RLS) : 30,00{nb}€" in out
    assert f"34,00{nb}€ par mois" in out
    assert "infini (aucune ressource)" in out
