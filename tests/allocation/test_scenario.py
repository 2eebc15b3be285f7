"""Scenario defaults come from the parameters, not from Python constants (one parameter home)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mixite.allocation.problem import Thresholds
from mixite.allocation.scenario import load_scenario
from mixite.allocation.simulate import SimulationConfig
from mixite.params import default_parameters, load_parameters


def _scenario(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(f"nom: Test\nannee: 2025\n{extra}", encoding="utf-8")
    return path


def _overrides(tmp_path: Path) -> Path:
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "solvabilite.yaml").write_text(
        "".join(
            f"{name}:\n  values:\n    2000-01-01: {{value: {value}, reference: test}}\n"
            for name, value in (
                ("taux_effort_max", 0.3),
                ("reste_a_vivre_min", 10.0),
                ("jours_par_mois", 30.0),
                ("charges_par_m2", 2.25),
            )
        ),
        encoding="utf-8",
    )
    (folder / "commission.yaml").write_text(
        "candidats_min:\n  values:\n    2000-01-01: {value: 4, reference: test}\n",
        encoding="utf-8",
    )
    return folder


def test_omitted_charges_and_candidates_read_the_parameters(tmp_path: Path) -> None:
    scenario = load_scenario(_scenario(tmp_path))
    # Packaged values: solvabilite.charges_par_m2 = 1.5 €/m²/month (mixite convention) and
    # commission.candidats_min = 3 (CCH R441-3).
    assert scenario.charges_per_m2() == 1.5
    assert scenario.simulation_config(None).candidates() == 3
    params = default_parameters().merged(load_parameters(_overrides(tmp_path)))
    assert scenario.charges_per_m2(params) == 2.25
    assert scenario.simulation_config(None).candidates(params) == 4


def test_the_scenario_file_wins_over_the_parameters(tmp_path: Path) -> None:
    scenario = load_scenario(
        _scenario(tmp_path, "charges_par_m2: 2.0\ncommission: {candidats: 5}\n")
    )
    assert scenario.charges_per_m2() == 2.0
    assert scenario.simulation_config(None).candidates() == 5
    assert SimulationConfig(year=2025, n_candidates=2).candidates() == 2


def test_thresholds_scenario_then_territory_then_charter(tmp_path: Path) -> None:
    params = default_parameters().merged(load_parameters(_overrides(tmp_path)))
    plain = load_scenario(_scenario(tmp_path))
    # No territory values: the default charter of the (overridden) parameters.
    empty = pd.DataFrame({"max_effort_rate": [float("nan")], "min_reste_a_vivre": [float("nan")]})
    assert plain.thresholds(empty, params) == Thresholds(0.3, 10.0, 30.0)
    # The territory file overrides the charter, the scenario overrides the territory.
    territory = pd.DataFrame({"max_effort_rate": [0.33], "min_reste_a_vivre": [11.0]})
    assert plain.thresholds(territory, params) == Thresholds(0.33, 11.0, 30.0)
    own = load_scenario(_scenario(tmp_path, "solvabilite: {taux_effort_max: 0.4}\n"))
    assert own.thresholds(territory, params) == Thresholds(0.4, 11.0, 30.0)
