"""The household defined once (mixite.household): UC, resources per UC, Q1, ceiling category.

Known answers are computed by hand in each test on the modified OECD scale (1 / 0.5 / 0.3, the
packaged ``uc.*`` parameters, ``docs/parametres.md``) and the arrêté du 29 juillet 1987, art. 2
(categories; « jeune ménage » when the two ages sum to at most 55). A Hypothesis property checks
that the cotation, the quota indicators, the room for manoeuvre and the allocation classify
every random household the same way, and a structural test that no other module of the package
defines consumption units or the Q1 test again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mixite
from cotation.helpers import applications, attributions
from mixite.affordability import Thresholds
from mixite.allocation.scenario import Scenario, applications_from_store
from mixite.ceilings import household_ceiling
from mixite.cotation.fields import ScoringContext, evaluate_field, field_spec
from mixite.errors import InputError, ParameterError
from mixite.household import (
    MAX_CATEGORY,
    UcScale,
    additional_persons,
    annual_resources,
    ceiling_category,
    consumption_units,
    couple_age_sum,
    declared_resources_per_uc,
    household_category,
    is_q1,
    q1_status,
    resources_per_uc,
    young_couple,
)
from mixite.indicators.marges_matching import _ceiling_matrix, applicant_frame
from mixite.indicators.quotas import quota_indicators
from mixite.params import Parameters, default_parameters, load_parameters

DAY = "2025-06-01"
OECD = UcScale(first_adult=1.0, other_14_plus=0.5, child_under_14=0.3)


# --- consumption units ----------------------------------------------------------------------


def test_packaged_scale_is_the_modified_oecd_scale() -> None:
    assert UcScale.from_parameters(DAY) == OECD
    assert default_parameters().value("uc.age_seuil", DAY) == 14


def test_consumption_units_by_hand() -> None:
    # Couple + two children under 14: 1 + 0.5 + 2 × 0.3 = 2.1.
    # Couple + child of 15 + child of 10: 1 + 0.5 + 0.5 + 0.3 = 2.3; single person: 1;
    # one adult + two children under 14: 1 + 0.3 + 0.3 = 1.6; three adults: 1 + 0.5 + 0.5 = 2.
    got = consumption_units([2, 2, 1, 1, 3], [2, 3, 1, 1, 3], [4, 4, 1, 3, 3], DAY)
    assert got.tolist() == pytest.approx([2.1, 2.3, 1.0, 1.6, 2.0])
    # The scale object gives the same numbers (the cotation and the generator use it).
    assert OECD.units([2, 3], [4, 4], [2, 2]).tolist() == pytest.approx([2.1, 2.3])


def test_zero_or_missing_counts_follow_one_rule() -> None:
    # Zero persons aged 14+ is raised to the adults (couple of two: 1 + 0.5 = 1.5), and to one
    # without adults (one person + two children: 1 + 2 × 0.3 = 1.6).
    assert consumption_units([2], [0], [2], DAY).tolist() == pytest.approx([1.5])
    assert OECD.units([0], [3]).tolist() == pytest.approx([1.6])
    # A missing 14+ count or size: unknown UC; a missing number of adults leaves the floor of 1.
    got = consumption_units([1, 1, np.nan], [np.nan, 1, 1], [2, np.nan, 3], DAY)
    assert np.isnan(got[:2]).all() and got[2] == pytest.approx(1.6)
    nullable = pd.Series([2, None], dtype="Int64")
    assert np.isnan(consumption_units(1, nullable, [3, 3], DAY)[1])


@pytest.mark.parametrize(
    ("adults", "older", "size", "message"),
    [
        ([1], [3], [2], "Plus de personnes de 14 ans ou plus"),
        ([1], [1], [0], "Ménage sans aucune personne"),
        ([1], [-1], [2], "Nombre de personnes négatif"),
        ([1], [1.5], [2], "Nombre de personnes non entier"),
    ],
)
def test_impossible_households_are_french_errors(
    adults: list[float], older: list[float], size: list[float], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        consumption_units(adults, older, size, DAY)


def test_the_age_of_the_scale_must_be_the_age_the_data_counts(tmp_path: Path) -> None:
    (tmp_path / "uc.yaml").write_text(
        'age_seuil:\n  unit: year\n  values:\n    "2000-01-01": {value: 15, reference: test}\n',
        encoding="utf-8",
    )
    base = default_parameters()
    leaves = {name: base.parameter(name) for name in base.names()}
    extra = load_parameters(tmp_path)
    leaves.update({name: extra.parameter(name) for name in extra.names()})
    with pytest.raises(ParameterError, match="à partir de 15 ans"):
        UcScale.from_parameters(DAY, Parameters(leaves))


# --- resources per UC and Q1 ----------------------------------------------------------------


def test_resources_per_uc_and_q1_by_hand() -> None:
    # 1 500 €/month × 12 = 18 000 €/year; couple + two children under 14 = 2.1 UC →
    # 18 000 / 2.1 = 8 571.43 €/UC/year: Q1 below 8 600, not below 8 500.
    annual = annual_resources([1500.0])
    assert annual.tolist() == [18_000.0]
    per_uc = resources_per_uc(annual, [2.1])
    assert per_uc.tolist() == pytest.approx([18_000 / 2.1])
    assert is_q1(per_uc, 8600.0).tolist() == [True]
    assert is_q1(per_uc, 8500.0).tolist() == [False]
    # At the threshold (single person, 750 €/month = 9 000 €/UC): only « ≤ » counts it.
    at = resources_per_uc(annual_resources([750.0]), [1.0])
    assert is_q1(at, 9000.0).tolist() == [False]
    assert is_q1(at, 9000.0, strict=False).tolist() == [True]
    # Unknown resources per UC are never Q1.
    assert is_q1([np.nan], 9000.0, strict=False).tolist() == [False]


def test_q1_status_of_a_frame() -> None:
    frame = attributions(
        {"household_size": 4, "adults": 2, "persons_14plus": 2, "monthly_resources": 1500.0},
        {"monthly_resources": 750.0},
    ).set_index("attribution_id")
    assert declared_resources_per_uc(frame, DAY).tolist() == pytest.approx([18_000 / 2.1, 9000])
    got = q1_status(frame, 9000.0, DAY)
    assert got.name == "q1" and got.to_dict() == {"A1": True, "A2": False}
    assert q1_status(frame, 9000.0, DAY, strict=False).tolist() == [True, True]
    with pytest.raises(InputError, match="Colonne « adults » absente"):
        q1_status(frame.drop(columns="adults"), 9000.0, DAY)


# --- household category of the income ceilings ----------------------------------------------


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
    # Arrêté du 29 juillet 1987 art. 2 (docs/parametres.md, plafonds.yaml).
    got = household_category([size], [adults], [dependants], [young], [disabled])
    assert got.tolist() == [category]


def test_persons_beyond_category_six_are_additional() -> None:
    sizes = np.array([6, 7, 9])
    assert household_category(sizes, 2, sizes - 2).tolist() == [MAX_CATEGORY] * 3
    assert additional_persons(sizes, 2, sizes - 2).tolist() == [0, 1, 3]
    # Single parent with 6 children: 7 persons + 1 → category 6 and 2 additional persons.
    assert additional_persons([7], [1], [6]).tolist() == [2]
    with pytest.raises(InputError, match="Valeur manquante"):
        household_category([np.nan], [1], [0])


def test_jeune_menage_on_both_sides_of_the_age_limit() -> None:
    # Couple of two without dependant: ages summing to 55 is a jeune ménage, 56 is not.
    got = young_couple([2, 2, 2, 2, 1, 2], [0, 0, 1, 0, 0, 0], [2, 2, 3, 3, 2, 2],
                       [55, 56, 40, 40, 40, np.nan], DAY)  # fmt: skip
    # with a dependant, three persons or a single adult: never; unknown ages: no.
    assert got.tolist() == [True, False, False, False, False, False]
    # One age known: both members are taken at it (27 → 54 ≤ 55; 28 → 56 > 55).
    assert couple_age_sum([27, 28]).tolist() == [54.0, 56.0]
    apps = applications(
        {"household_size": 2, "adults": 2, "persons_14plus": 2, "applicant_age": 27},
        {"household_size": 2, "adults": 2, "persons_14plus": 2, "applicant_age": 28},
        {"household_size": 2, "adults": 2, "persons_14plus": 2, "applicant_age": 60,
         "disability": True},
    )  # fmt: skip
    category, extra = ceiling_category(apps, DAY)
    assert category.tolist() == [3, 2, 3] and extra.tolist() == [0, 0, 0]
    # OPS households carry reference_age and no disability; without any age, no increase.
    occupants = pd.DataFrame(
        {
            "household_size": [2, 2],
            "adults": [2, 2],
            "dependants": [0, 0],
            "reference_age": [27, 28],
        }
    )
    assert ceiling_category(occupants, DAY)[0].tolist() == [3, 2]
    no_age = occupants.drop(columns="reference_age")
    assert ceiling_category(no_age, DAY)[0].tolist() == [2, 2]


def test_the_age_limit_is_a_dated_parameter() -> None:
    parameter = default_parameters().parameter("plafonds.jeune_menage.somme_ages_max")
    value = parameter.at(DAY)
    assert value.value == 55 and "29 juillet 1987" in value.reference


# --- one classification everywhere (property) -----------------------------------------------

YEAR = 2024
MILLESIME = 2025


@st.composite
def households(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(1, 8))
    adults = draw(st.integers(1, min(2, size)))
    return {
        "household_size": size,
        "adults": adults,
        "persons_14plus": draw(st.integers(adults, size)),
        "dependants": draw(st.integers(0, size - adults)),
        "monthly_resources": draw(st.integers(0, 500_000)) / 100.0,
        "applicant_age": draw(st.integers(16, 90)),
        "disability": draw(st.booleans()),
    }


def _cotation_q1(apps: pd.DataFrame, threshold: float, strict: bool) -> np.ndarray:
    reference = dt.date(MILLESIME, 1, 1)
    context = ScoringContext(reference, threshold, UcScale.from_parameters(reference), strict)
    spec = field_spec("q1")
    assert spec is not None
    return np.asarray(evaluate_field(apps, spec, context, {}).values, dtype=bool)


def _quota_q1(rows: list[dict[str, Any]], threshold: float, strict: bool) -> np.ndarray:
    # One landlord per household: the numerator of « q1_hors_qpv » is that household's Q1 flag.
    keys = ("household_size", "adults", "persons_14plus", "monthly_resources")
    attrs = attributions(
        *[
            {**{k: row[k] for k in keys}, "landlord_id": f"{i:09d}", "in_qpv": False}
            for i, row in enumerate(rows)
        ]
    )
    out = quota_indicators(attrs, YEAR, threshold, levels=("bailleur",), strict=strict)
    out = out.loc[out["indicator"] == "q1_hors_qpv"].set_index("group")
    return np.array([out.loc[f"{i:09d}", "numerator"] == 1 for i in range(len(rows))])


def _marges_q1(apps: pd.DataFrame, threshold: float, strict: bool) -> np.ndarray:
    when = dt.date(YEAR, 12, 31)
    kept = applicant_frame(apps, threshold, when, Thresholds.charter(when), None, strict)
    return apps["application_id"].isin(kept["application_id"]).to_numpy()


def _allocation(apps: pd.DataFrame, threshold: float, strict: bool) -> Any:
    territory = pd.DataFrame(
        {"q1_overrides": [json.dumps({str(YEAR): threshold})], "q1_reference_epci": ["0"]}
    )
    communes = pd.DataFrame({"commune": ["69123"], "ceiling_zone": ["A"]})
    scenario = Scenario(nom="propriété", annee=YEAR)
    return applications_from_store(apps, territory, communes, scenario, MILLESIME, strict)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(households(), min_size=1, max_size=10),
    threshold=st.integers(300_000, 2_000_000).map(lambda c: c / 100.0),
    on_row=st.booleans(),
    strict=st.booleans(),
)
def test_every_module_classifies_a_household_the_same_way(
    rows: list[dict[str, Any]], threshold: float, on_row: bool, strict: bool
) -> None:
    apps = applications(*rows)
    if on_row:  # put the threshold exactly on the first household: « < » and « ≤ » differ
        threshold = float(declared_resources_per_uc(apps.iloc[:1], DAY)[0])
    expected = q1_status(apps, threshold, DAY, strict=strict).to_numpy()
    allocation = _allocation(apps, threshold, strict)
    assert _cotation_q1(apps, threshold, strict).tolist() == expected.tolist()
    assert _quota_q1(rows, threshold, strict).tolist() == expected.tolist()
    assert _marges_q1(apps, threshold, strict).tolist() == expected.tolist()
    assert allocation.q1.tolist() == expected.tolist()
    # …and the same income ceilings: the category of household.ceiling_category everywhere.
    when = dt.date(MILLESIME, 1, 1)
    for j, kind in enumerate(("plai", "plus", "pls")):
        for z, zone in enumerate(("P", "I", "A")):  # ceilings per zone, the dwelling's chooses
            ceiling = household_ceiling(kind, zone, apps, when)
            assert allocation.ceilings[:, j, z].tolist() == ceiling.tolist()
    end = dt.date(YEAR, 12, 31)
    marges = _ceiling_matrix(apps, [("plus", "A")], end, default_parameters())[:, 0]
    assert marges.tolist() == household_ceiling("plus", "A", apps, end).tolist()


# --- one definition (structural) ------------------------------------------------------------

PACKAGE = Path(mixite.__file__).parent
HOME = "household.py"

#: What only ``household.py`` may hold: reading the scale or the jeune-ménage parameter, the
#: scale's weights, a definition of the household functions, a comparison of resources per UC
#: with a threshold, or a literal modified OECD scale.
COPIES: dict[str, re.Pattern[str]] = {
    "reads the uc.* parameters": re.compile(
        r"premier_adulte|autre_14_ans_et_plus|enfant_moins_14_ans|age_seuil"
        r"|group\(\s*[\"']uc[\"']"
    ),
    "reads the jeune-ménage parameter": re.compile(r"jeune_menage"),
    "uses the weights of the scale": re.compile(r"\b(first_adult|other_14_?plus|child_under_14)\b"),
    "defines a household function": re.compile(
        r"\b(def|class)\s+(consumption_units|UcScale|resources_per_uc|declared_resources_per_uc"
        r"|is_q1|q1_status|household_category|additional_persons|young_couple)\b"
    ),
    "compares resources per UC with a threshold": re.compile(
        r"per_uc[\w.]*\s*<|/\s*\(?\s*\w*(uc|units)\w*\b\)?\s*<=?[^<]"
    ),
    "writes the modified OECD scale": re.compile(r"\b1(\.0)?\s*\+\s*0?\.5\s*\*"),
}


def copies(sources: dict[str, str]) -> list[str]:
    """``file:line: reason`` for every line outside ``household.py`` that redefines it."""
    found = []
    for name, text in sources.items():
        if Path(name).name == HOME and Path(name).parent.name == "mixite":
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for reason, pattern in COPIES.items():
                if pattern.search(line):
                    found.append(f"{name}:{number}: {reason}")
    return found


def test_consumption_units_and_q1_are_defined_once() -> None:
    sources = {
        str(path.relative_to(PACKAGE.parent)): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert f"mixite/{HOME}" in sources
    home = sources[f"mixite/{HOME}"]
    assert len(re.findall(r"^def consumption_units\(", home, re.MULTILINE)) == 1
    assert len(re.findall(r"^def is_q1\(", home, re.MULTILINE)) == 1
    assert copies(sources) == []


def test_the_grep_catches_a_copy() -> None:
    # The Q1 test as it was written in indicators/quotas.py before household.py, and the UC
    # formulas of indicators/_common.py, cotation/fields.py and allocation/instances.py.
    old = {
        "mixite/indicators/quotas.py": (
            "def q1_status(frame, threshold, when, params=None, strict=True):\n"
            "    per_uc = 12.0 * frame['monthly_resources'].to_numpy() / uc\n"
            "    flag = per_uc < threshold if strict else per_uc <= threshold\n"
        ),
        "mixite/indicators/_common.py": 'first = float(value(params, "uc.premier_adulte", when))',
        "mixite/cotation/fields.py": "uc = scale.first_adult + scale.other_14_plus * (older - 1)",
        "mixite/synth/menages.py": "q1 = 12.0 * monthly / uc < thresholds.q1",
        "mixite/allocation/instances.py": "uc = 1.0 + 0.5 * (adults - 1) + 0.3 * children",
        "mixite/household.py": "def consumption_units(): ...",  # the home is allowed
    }
    found = copies(old)
    assert [f.split(":")[0] for f in found] == [
        "mixite/indicators/quotas.py",
        "mixite/indicators/quotas.py",
        "mixite/indicators/_common.py",
        "mixite/cotation/fields.py",
        "mixite/synth/menages.py",
        "mixite/allocation/instances.py",
    ]
