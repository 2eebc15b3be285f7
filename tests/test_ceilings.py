"""Consumption units, household categories and PLAI/PLUS/PLS ceilings (mixite.ceilings).

Expected values are copied from the tables of domaine.md §7.1–§7.3 (arrêté du 29 juillet 1987
annexes, openfisca-france, tradetrans.eu) or computed by hand in the test.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from mixite.ceilings import (
    additional_persons,
    category_ceiling,
    ceiling_table,
    consumption_units,
    household_category,
    income_ceiling,
    round_half_up,
)
from mixite.errors import InputError, ParameterError
from mixite.params import default_parameters

# domaine.md §7.2: PLS 2025 Paris, published by tradetrans.eu [SRC] (categories 1-6, +1 person).
PLS_2025_PARIS = [34_693, 51_851, 67_969, 81_151, 96_552, 108_648, 12_107]


def test_pls_2025_paris_equals_the_published_values() -> None:
    table = ceiling_table("pls", "P", "2025-06-01")
    assert list(table.values()) == PLS_2025_PARIS


@pytest.mark.parametrize(
    ("zone", "day", "key", "expected"),
    [
        # Cells of the domaine.md §7.2 table, other years and zones.
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


@pytest.mark.parametrize(
    ("size", "adults", "dependants", "young", "disabled", "category"),
    [
        (1, 1, 0, False, False, 1),  # one person
        (2, 2, 0, False, False, 2),  # two persons, no dependant
        (1, 1, 0, False, True, 2),  # one disabled person
        (3, 2, 1, False, False, 3),  # three persons
        (2, 1, 1, False, False, 3),  # one person + 1 dependant
        (2, 2, 0, True, False, 3),  # jeune ménage without dependant
        (2, 2, 0, False, True, 3),  # two persons, one disabled
        (4, 2, 2, False, False, 4),  # four persons
        (3, 1, 2, False, False, 4),  # one person + 2 dependants
        (3, 3, 0, False, True, 4),  # three persons, one disabled
        (5, 2, 3, False, False, 5),
        (4, 1, 3, False, False, 5),
        (4, 2, 2, False, True, 5),
        (6, 2, 4, False, False, 6),
        (5, 1, 4, False, False, 6),
        (5, 2, 3, False, True, 6),
        (3, 2, 1, True, False, 3),  # jeune ménage with a child: three persons, no extra step
        (2, 1, 1, False, True, 3),  # the increases do not add up
    ],
)
def test_household_category_follows_the_arrete_table(
    size: int, adults: int, dependants: int, young: bool, disabled: bool, category: int
) -> None:
    # Arrêté du 29 juillet 1987 art. 2, as tabulated in domaine.md §7.
    got = household_category([size], [adults], [dependants], [young], [disabled])
    assert got.tolist() == [category]


def test_persons_beyond_category_six_are_additional() -> None:
    sizes = np.array([6, 7, 9])
    assert household_category(sizes, 2, sizes - 2).tolist() == [6, 6, 6]
    assert additional_persons(sizes, 2, sizes - 2).tolist() == [0, 1, 3]
    # Single parent with 6 children: 7 persons + 1 → category 6 and 2 additional persons.
    assert additional_persons([7], [1], [6]).tolist() == [2]


def test_income_ceiling_known_answers() -> None:
    zone = np.array(["A", "P", "I", "A", "A"], dtype=object)
    size = [1, 2, 3, 7, 2]
    adults = [1, 2, 2, 2, 1]
    dependants = [0, 0, 1, 5, 1]
    plus = income_ceiling("plus", zone, size, adults, dependants, "2025-06-01")
    # domaine.md §7.1, 2025: A cat 1 = 23 201; P cat 2 = 39 885; I cat 3 = 47 944;
    # A 7 persons = cat 6 (59 636) + 1 × 6 652 = 66 288 (hand sum); single parent + 1 child in
    # A is category 3 = 37 259.
    assert plus.tolist() == [23_201, 39_885, 47_944, 66_288, 37_259]
    plai = income_ceiling("plai", zone, size, adults, dependants, "2024-06-01")
    # domaine.md §7.3, 2024: 12 452; 23 355; 28 074; 32 010 + 3 569 = 35 579; 21 818.
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


def test_consumption_units_by_hand() -> None:
    # Couple + child of 15 + child of 10: 1 + 0.5 + 0.5 + 0.3 = 2.3; single person: 1;
    # one adult + two children under 14: 1 + 0.3 + 0.3 = 1.6; 3 adults: 1 + 0.5 + 0.5 = 2.
    got = consumption_units([2, 1, 1, 3], [3, 1, 1, 3], [4, 1, 3, 3], "2025-06-01")
    assert got.tolist() == pytest.approx([2.3, 1.0, 1.6, 2.0])


def test_consumption_units_read_the_parameters() -> None:
    params = default_parameters()
    assert params.value("uc.age_seuil", "2025-06-01") == 14
    # persons_14plus below adults is raised to adults; more 14+ than persons is an error.
    assert consumption_units([2], [0], [2], "2025-06-01").tolist() == pytest.approx([1.5])
    with pytest.raises(InputError, match="Plus de personnes de 14 ans ou plus"):
        consumption_units([1], [3], [2], "2025-06-01")
