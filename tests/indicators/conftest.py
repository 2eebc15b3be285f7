"""Fixtures for the indicator tests: parameters independent of the packaged legal files.

The UC scale and the small-cell threshold are written here with the values of docs/droit.md §3.3 (Unités de consommation)
(modified OECD scale: 1 / 0.5 / 0.3) and a threshold of 5, so that the hand computations of the
tests do not move when the packaged parameters are revised.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mixite.params import Parameters, default_parameters, load_parameters

TEST_YAML = """
premier_adulte:
  unit: UC
  values:
    "2000-01-01": {value: 1.0, reference: échelle OCDE modifiée}
autre_14_ans_et_plus:
  unit: UC
  values:
    "2000-01-01": {value: 0.5, reference: échelle OCDE modifiée}
enfant_moins_14_ans:
  unit: UC
  values:
    "2000-01-01": {value: 0.3, reference: échelle OCDE modifiée}
"""

SECRET_YAML = """
seuil:
  unit: ménages
  values:
    "2000-01-01": {value: 5, reference: test}
"""

# Same layout as the packaged seuils_q1.yaml (arrêté annex: SIREN → {q1, q2, q3, nom}).
SEUILS_YAML = """
description: seuils de test
unit: €
values:
  "2023-06-01":
    value: {"200000000": {q1: 9000.0, q2: 15000.0, q3: 21000.0, nom: "EPCI de test"}}
    reference: test
  "2024-05-13":
    value: {"200000000": {q1: 9500.0, q2: 15500.0, q3: 21500.0, nom: "EPCI de test"}}
    reference: test
"""


@pytest.fixture(scope="session")
def params(tmp_path_factory: pytest.TempPathFactory) -> Parameters:
    folder: Path = tmp_path_factory.mktemp("params")
    (folder / "uc.yaml").write_text(TEST_YAML, encoding="utf-8")
    (folder / "secret_statistique.yaml").write_text(SECRET_YAML, encoding="utf-8")
    (folder / "seuils_q1.yaml").write_text(SEUILS_YAML, encoding="utf-8")
    return default_parameters().merged(load_parameters(folder))
