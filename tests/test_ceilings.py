"""PLAI/PLUS/PLS ceilings by zone and category (mixite.ceilings); categories: test_household.

Expected values are copied from the tables of docs/droit.md §7.1–§7.3 (Plafonds PLUS, PLS, PLAI) (arrêté du 29 juillet 1987
annexes, openfisca-france, tradetrans.eu) or computed by hand in the test.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from mixite.ceilings import (
    category_ceiling,
    ceiling_table,
    household_ceiling,
    income_ceiling,
    round_half_up,
)
from mixite.errors import InputError, ParameterError

# docs/droit.md §7.2 (Plafonds PLS): PLS 2025 Paris, published by tradetrans.eu [SRC] (categories 1-6, +1 person).
PLS_2025_PARIS = [34_693, 51_851, 67_969, 81_151, 96_552, 108_648, 12_107]


def test_pls_2025_paris_equals_the_published_values() -> None:
    table = ceiling_table("pls", "P", "2025-06-01")
    assert list(table.values()) == PLS_2025_PARIS


@pytest.mark.parametrize(
    ("zone", "day", "key", "expected"),
    [
        # Cells of the docs/droit.md §7.2 (Plafonds PLS) table, other years and zones.
        ("A", "2024-03-01", "3", 47_271),
        ("I", "2024-03-01", "5", 86_251),
        ("P", "2024-03-01", "6", 106_031),
        ("A", "2025-03-01", "1", 30_161),
        ("I", "2025-03-01", "personne_supplementaire", 11_081),
        ("P", "2026-03-01", "4", 81_858),
        ("I", "2026-03-01", "personne_supplementaire", 11_177),
        ("A", "2026-03-01", "6", 78_203),
    ],
)
def test_pls_cells_match_the_table(zone: str, day: str, key: str, expected: int) -> None:
    assert ceiling_table("pls", zone, day)[key] == expected


def test_round_half_up_agrees_with_decimal() -> None:
    # Halves go up: 5 × 1.3 = 6.5 → 7, 15 × 1.3 = 19.5 → 20 (float rounding would give 6/19 or
    # banker's 6/20); checked against Decimal's ROUND_HALF_UP on a range of amounts.
    amounts = np.arange(0, 20_000, 7)
    expected = [
        int((Decimal(int(a)) * Decimal("1.3")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for a in amounts
    ]
    assert round_half_up(amounts, 1.3).tolist() == expected
    assert round_half_up([5, 15], 1.3).tolist() == [7, 20]


def test_income_ceiling_known_answers() -> None:
    zone = np.array(["A", "P", "I", "A", "A"], dtype=object)
    size = [1, 2, 3, 7, 2]
    adults = [1, 2, 2, 2, 1]
    dependants = [0, 0, 1, 5, 1]
    plus = income_ceiling("plus", zone, size, adults, dependants, "2025-06-01")
    # docs/droit.md §7.1 (Plafonds PLUS), 2025: A cat 1 = 23 201; P cat 2 = 39 885; I cat 3 = 47 944;
    # A 7 persons = cat 6 (59 636) + 1 × 6 652 = 66 288 (hand sum); single parent + 1 child in
    # A is category 3 = 37 259.
    assert plus.tolist() == [23_201, 39_885, 47_944, 66_288, 37_259]
    plai = income_ceiling("plai", zone, size, adults, dependants, "2024-06-01")
    # docs/droit.md §7.3 (Plafonds PLAI), 2024: 12 452; 23 355; 28 074; 32 010 + 3 569 = 35 579; 21 818.
    assert plai.tolist() == [12_452, 23_355, 28_074, 35_579, 21_818]


def test_ceiling_follows_the_yearly_revision() -> None:
    # 31 December 2025 still uses the 2025 table, 1 January 2026 the 2026 one (§7.1, A cat 1).
    assert income_ceiling("plus", ["A"], [1], [1], [0], "2025-12-31").tolist() == [23_201]
    assert income_ceiling("plus", ["A"], [1], [1], [0], "2026-01-01").tolist() == [23_403]


def test_ceilings_grow_with_the_category() -> None:
    for kind in ("plai", "plus", "pls"):
        for zone in ("P", "I", "A"):
            values = category_ceiling(kind, zone, np.arange(1, 7), 0, "2026-06-01")
            assert (np.diff(values) > 0).all(), (kind, zone)


def test_missing_zone_gives_nan_and_bad_zone_is_an_error() -> None:
    out = income_ceiling("plus", np.array(["A", None], dtype=object), [1, 1], 1, 0, "2025-06-01")
    assert out[0] == 23_201 and np.isnan(out[1])
    with pytest.raises(InputError, match=r"Zone de plafonds de ressources inconnue.*« B2 »"):
        income_ceiling("plus", ["B2"], [1], [1], [0], "2025-06-01")
    with pytest.raises(ParameterError, match="Type de plafond inconnu « pla »"):
        income_ceiling("pla", ["A"], [1], [1], [0], "2025-06-01")
    with pytest.raises(InputError, match="Ménage sans aucune personne"):
        income_ceiling("plus", ["A"], [0], [0], [0], "2025-06-01")


def test_household_ceiling_applies_the_jeune_menage_and_disability_rules() -> None:
    # Applications (zone A, 2025): a couple aged 25 (both taken at 25: 50 ≤ 55) is a jeune
    # ménage, category 3 = 37 259; at 30 (60 > 55) it is category 2 = 30 984; a single
    # disabled person is category 2; an OPS household (reference_age, no disability column)
    # of two adults aged 27 is category 3 (docs/droit.md §7 (Plafonds de ressources).1, 2025 A).
    apps = pd.DataFrame(
        {
            "household_size": [2, 2, 1],
            "adults": [2, 2, 1],
            "dependants": [0, 0, 0],
            "applicant_age": [25, 30, 40],
            "disability": [False, False, True],
        }
    )
    got = household_ceiling("plus", "A", apps, "2025-06-01")
    assert got.tolist() == [37_259, 30_984, 30_984]
    occupants = pd.DataFrame(
        {"household_size": [2], "adults": [2], "dependants": [0], "reference_age": [27]}
    )
    assert household_ceiling("plus", ["A"], occupants, "2025-06-01").tolist() == [37_259]
