"""``q1_threshold``: the territory's override, else the arrêté value of its reference EPCI."""

from __future__ import annotations

from pathlib import Path

import pytest

from mixite.errors import ParameterError
from mixite.indicators.quotas import q1_threshold
from mixite.params import Parameters, load_parameters

#: Q1 thresholds (€/UC/year) of Tours Métropole Val de Loire (SIREN 243700754) in the yearly
#: arrêtés, as transcribed in /work/shared/data/seuils_q1_epci/quartiles_2024.json and
#: quartiles_2025.json: 2024 → 9840, 2025 → 10049.
SEUILS = """\
description: Seuils de ressources du premier, deuxième et troisième quartile par EPCI
unit: currency
values:
  "2024-01-01":
    value:
      "243700754": {q1: 9840, q2: 13926, q3: 19080}
    reference: arrêté annuel des seuils 2024
  "2025-01-01":
    value:
      "243700754": {q1: 10049, q2: 14136, q3: 19404}
    reference: arrêté annuel des seuils 2025
"""


@pytest.fixture
def params(tmp_path: Path) -> Parameters:
    (tmp_path / "seuils_q1.yaml").write_text(SEUILS, encoding="utf-8")
    return load_parameters(tmp_path)


def territory(overrides: str = "{}") -> dict[str, object]:
    return {"name": "Mirebourg", "epci": "999960001", "q1_reference_epci": "243700754",
            "q1_overrides": overrides}  # fmt: skip


def test_threshold_of_the_reference_epci_in_the_year(params: Parameters) -> None:
    assert q1_threshold(territory(), 2024, params) == 9840.0
    assert q1_threshold(territory(), 2025, params) == 10049.0


def test_override_wins_for_its_year_only(params: Parameters) -> None:
    row = territory('{"2025":12000.5}')
    assert q1_threshold(row, 2025, params) == 12000.5
    assert q1_threshold(row, 2024, params) == 9840.0


def test_missing_epci_or_year_is_a_french_error(params: Parameters) -> None:
    row = dict(territory(), q1_reference_epci="200035947")
    with pytest.raises(
        ParameterError, match="Pas de seuil du premier quartile pour l'EPCI « 200035947 » en 2025"
    ):
        q1_threshold(row, 2025, params)
    with pytest.raises(ParameterError, match="Pas de seuil du premier quartile connu pour 2023"):
        q1_threshold(territory(), 2023, params)


def test_packaged_arrete_values_for_the_synthetic_reference_epci() -> None:
    """Default parameters: Tours Métropole Val de Loire, Q1 of the arrêtés 2024–2026 as
    transcribed in seuils_quartiles_epci_2024_2026_long.csv (9840, 10049, 10152 €/UC/year)."""
    row = territory()
    assert [q1_threshold(row, year) for year in (2024, 2025, 2026)] == [9840.0, 10049.0, 10152.0]
