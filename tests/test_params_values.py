"""Values of the packaged legal parameters against their published sources.

Sources: the Q1 arrêtés transcribed by the URH Hauts-de-France (quartiles_YYYY.json, a few
values copied below), docs/droit.md §3 (Premier quartile) and §7 (Plafonds de ressources) (UC scale, PLUS/PLAI tables and which cells are
derived, hence UNCONFIRMED).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from mixite.params import default_parameters

PARAMS = default_parameters()


def _seuils(day: str) -> Mapping[str, Any]:
    table = PARAMS.value("seuils_q1", day)
    assert isinstance(table, Mapping)
    return table


@pytest.mark.parametrize(
    ("day", "siren", "expected"),
    [
        # quartiles_2024/2025/2026.json, entry "Métropole de Lyon" (69 - Rhône).
        ("2024-06-01", "200046977", (10_480, 14_987, 20_172)),
        ("2025-06-01", "200046977", (10_740, 15_472, 20_832)),
        ("2026-06-01", "200046977", (10_800, 15_600, 21_083)),
        # quartiles_2025.json, "CA du Pays de Gex" (01 - Ain), SIREN 240100750 (DGCL).
        ("2024-06-01", "240100750", (11_652, 17_491, 24_000)),
    ],
)
def test_q1_thresholds_are_the_arrete_values(
    day: str, siren: str, expected: tuple[int, int, int]
) -> None:
    entry = _seuils(day)[siren]
    assert (entry["q1"], entry["q2"], entry["q3"]) == expected


def test_a_year_of_thresholds_applies_from_1_january() -> None:
    assert _seuils("2025-12-31")["200046977"]["q1"] == 10_740
    assert _seuils("2026-01-01")["200046977"]["q1"] == 10_800


def test_ile_de_france_has_one_regional_value() -> None:
    # Paris (Ville de Paris, SIREN 217500016), EPT Plaine Commune (200057867) and Grand Paris
    # Seine Ouest (200057974), and an Île-de-France EPCI outside the MGP (CA Cergy-Pontoise,
    # 249500109) all carry the same regional thresholds.
    for day in ("2024-06-01", "2025-06-01", "2026-06-01"):
        table = _seuils(day)
        values = {
            (table[s]["q1"], table[s]["q2"], table[s]["q3"])
            for s in ("217500016", "200057867", "200057974", "249500109")
        }
        assert len(values) == 1, day
        assert table["217500016"]["nom"] == "Paris"


def test_every_threshold_entry_is_complete() -> None:
    for day in ("2024-06-01", "2025-06-01", "2026-06-01"):
        table = _seuils(day)
        # About 460 EPCI a year (docs/donnees-officielles.md §4 (Arrêtés du premier quartile)); one name stays unmatched (docs/parametres.md).
        assert 400 <= len(table) <= 470
        for siren, entry in table.items():
            assert len(siren) == 9 and siren.isdigit(), siren
            assert 0 < entry["q1"] < entry["q2"] < entry["q3"], siren


def test_2025_thresholds_are_flagged_unconfirmed() -> None:
    # docs/droit.md §3.1 (Définition et arrêté annuel): the date and title of the 2025 arrêté are UNCONFIRMED.
    assert PARAMS.get("seuils_q1", "2025-06-01").unconfirmed
    assert not PARAMS.get("seuils_q1", "2026-06-01").unconfirmed
    assert "23 avril 2026" in PARAMS.get("seuils_q1", "2026-06-01").reference


def test_uc_scale_is_configurable_and_unconfirmed() -> None:
    scale = PARAMS.group("uc", "2025-06-01")
    assert scale == {
        "premier_adulte": 1.0,
        "autre_14_ans_et_plus": 0.5,
        "enfant_moins_14_ans": 0.3,
        "age_seuil": 14,
    }
    for name in scale:
        assert PARAMS.get(f"uc.{name}", "2025-06-01").unconfirmed


@pytest.mark.parametrize(
    ("name", "day", "expected"),
    [
        ("plafonds.plus.P.1", "2024-06-01", 26_044),
        ("plafonds.plus.I.3", "2025-06-01", 47_944),
        ("plafonds.plus.A.personne_supplementaire", "2026-06-01", 6_710),
        ("plafonds.plai.P.2", "2024-06-01", 23_355),
        ("plafonds.plai.P.6", "2025-06-01", 45_968),
        ("plafonds.plai.A.1", "2025-06-01", 12_759),
        ("plafonds.majoration_pls", "2025-06-01", 1.3),
    ],
)
def test_ceiling_values(name: str, day: str, expected: float) -> None:
    assert PARAMS.value(name, day) == expected


def test_derived_plai_cells_are_unconfirmed() -> None:
    # docs/droit.md §7.3 (Plafonds PLAI): 2024 and the 2025 Paris column are sourced, as are 2025 category 1 in
    # zones I and A; the other 2025 cells and all of 2026 are derived (UNCONFIRMED).
    def flag(zone: str, key: str, year: int) -> bool:
        return PARAMS.get(f"plafonds.plai.{zone}.{key}", f"{year}-06-01").unconfirmed

    keys = ["1", "2", "3", "4", "5", "6", "personne_supplementaire"]
    assert not any(flag(z, k, 2024) for z in "PIA" for k in keys)
    assert not any(flag("P", k, 2025) for k in keys)
    assert not flag("I", "1", 2025) and not flag("A", "1", 2025)
    assert all(flag(z, k, 2025) for z in "IA" for k in keys[1:])
    assert all(flag(z, k, 2026) for z in "PIA" for k in keys)
    # PLUS values are all sourced.
    assert not any(
        PARAMS.get(f"plafonds.plus.{z}.{k}", f"{y}-06-01").unconfirmed
        for z in "PIA"
        for k in keys
        for y in (2024, 2025, 2026)
    )


def test_secrecy_threshold_is_a_documented_convention() -> None:
    value = PARAMS.get("secret_statistique.seuil", "2025-06-01")
    assert value.value == 11
    assert "pas un texte légal" in value.reference
