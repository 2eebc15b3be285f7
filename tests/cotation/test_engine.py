"""Scoring engine on hand-made applications; every expected value is computed by hand here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixite.cotation import (
    ScoringContext,
    criterion_counts,
    explain,
    parse_grid,
    positions,
    score_applications,
    waiting_times,
)
from mixite.cotation.engine import refusal_rule, similarity_description
from mixite.cotation.grid import Grid
from mixite.errors import ConfigError
from mixite.jobs.results import ApplicantResult
from mixite.reports.cotation import applicant_letter

from .helpers import CONTEXT, OECD, applications


def grid_of(
    rubrics: list[dict[str, Any]],
    seniority: dict[str, Any] | None = None,
    refusals: dict[str, Any] | None = None,
    **extra: Any,
) -> Grid:
    section: dict[str, Any] = {"nom": "Toutes", "applique_a": "toutes", "rubriques": rubrics}
    if seniority:
        section["anciennete"] = seniority
    if refusals:
        section["refus"] = refusals
    raw = {
        "nom": "Test",
        "illustratif": True,
        "valide_du": dt.date(2024, 1, 1),
        "sections": [section],
        **extra,
    }
    return parse_grid(raw, "test.yaml")


def one(condition: dict[str, Any], points: float = 1, justified: bool = False) -> Grid:
    crit = {"nom": "C", "points": points, "condition": condition, "justifie": justified}
    return grid_of([{"nom": "R", "mode": "cumulative", "criteres": [crit]}])


def satisfied(frame: pd.DataFrame, condition: dict[str, Any]) -> list[bool]:
    scores = score_applications(frame, one(condition), CONTEXT)
    return [bool(c) for c in scores["score_cents"].to_numpy() == 100]


# ---- leaf operators on each field type ---------------------------------------------------


def test_integer_comparisons() -> None:
    frame = applications({"household_size": 1}, {"household_size": 3}, {"household_size": 5})
    assert satisfied(frame, {"champ": "nb_personnes", "op": "==", "valeur": 3}) == [0, 1, 0]
    assert satisfied(frame, {"champ": "household_size", "op": "!=", "valeur": 3}) == [1, 0, 1]
    assert satisfied(frame, {"champ": "household_size", "op": "<", "valeur": 3}) == [1, 0, 0]
    assert satisfied(frame, {"champ": "household_size", "op": "<=", "valeur": 3}) == [1, 1, 0]
    assert satisfied(frame, {"champ": "household_size", "op": ">", "valeur": 3}) == [0, 0, 1]
    assert satisfied(frame, {"champ": "household_size", "op": ">=", "valeur": 3}) == [0, 1, 1]
    assert satisfied(frame, {"champ": "household_size", "op": "in", "valeur": [1, 5]}) == [1, 0, 1]


def test_float_and_bool_and_code_comparisons() -> None:
    frame = applications(
        {"monthly_resources": 999.99, "single_parent": True, "reason": "expulsion"},
        {"monthly_resources": 1000.0, "reason": "trop_cher"},
        {"monthly_resources": 1000.01, "reason": "indecent"},
    )
    assert satisfied(frame, {"champ": "monthly_resources", "op": "<", "valeur": 1000}) == [1, 0, 0]
    assert satisfied(frame, {"champ": "famille_monoparentale", "op": "==", "valeur": True}) == [
        1,
        0,
        0,
    ]
    assert satisfied(frame, {"champ": "single_parent", "op": "!=", "valeur": True}) == [0, 1, 1]
    assert satisfied(frame, {"champ": "reason", "op": "==", "valeur": "expulsion"}) == [1, 0, 0]
    assert satisfied(frame, {"champ": "reason", "op": "!=", "valeur": "expulsion"}) == [0, 1, 1]
    in_list = {"champ": "reason", "op": "in", "valeur": ["indecent", "expulsion"]}
    assert satisfied(frame, in_list) == [1, 0, 1]
    # A code valid in the schema but absent from the data matches nobody.
    assert satisfied(frame, {"champ": "reason", "op": "==", "valeur": "vente"}) == [0, 0, 0]


def test_list_contains_and_date_comparison() -> None:
    frame = applications(
        {"priority_codes": ["e", "b"], "filing_date": pd.Timestamp("2019-12-31")},
        {"priority_codes": [], "filing_date": pd.Timestamp("2020-01-01")},
        {"priority_codes": ["g"], "filing_date": pd.Timestamp("2021-06-30")},
    )
    assert satisfied(frame, {"champ": "priorites", "op": "contains", "valeur": "b"}) == [1, 0, 0]
    many = {"champ": "priority_codes", "op": "contains", "valeur": ["g", "e"]}
    assert satisfied(frame, many) == [1, 0, 1]
    before = {"champ": "date_depot", "op": "<", "valeur": dt.date(2020, 1, 1)}
    assert satisfied(frame, before) == [1, 0, 0]
    assert satisfied(frame, {"champ": "prioritaire", "op": "==", "valeur": True}) == [1, 0, 1]
    assert satisfied(frame, {"champ": "priorite:g", "op": "==", "valeur": True}) == [0, 0, 1]


def test_all_any_not_combinations() -> None:
    frame = applications(
        {"single_parent": True, "household_size": 3},
        {"single_parent": True, "household_size": 2},
        {"single_parent": False, "household_size": 4},
    )
    mono = {"champ": "single_parent", "op": "==", "valeur": True}
    big = {"champ": "household_size", "op": ">=", "valeur": 3}
    assert satisfied(frame, {"toutes": [mono, big]}) == [1, 0, 0]
    assert satisfied(frame, {"une_au_moins": [mono, big]}) == [1, 1, 1]
    assert satisfied(frame, {"non": mono}) == [0, 0, 1]
    assert satisfied(frame, {"toutes": [{"non": mono}, big]}) == [0, 0, 1]


def test_missing_values_never_satisfy_a_comparison() -> None:
    frame = applications({"current_rooms": None}, {"current_rooms": 1, "household_size": 3})
    crowded = {"champ": "personnes_par_piece", "op": ">", "valeur": 2}
    assert satisfied(frame, crowded) == [0, 1]
    assert satisfied(frame, {"champ": "pieces_actuelles", "op": "!=", "valeur": 1}) == [0, 0]
    assert satisfied(frame, {"non": crowded}) == [1, 0]
    no_commune = applications({"commune_residence": None})
    assert satisfied(no_commune, {"champ": "commune_residence", "op": "!=", "valeur": "1"}) == [0]


# ---- derived fields -------------------------------------------------------------------------


def test_seniority_months_counts_full_months() -> None:
    # Reference date 2025-01-01. Filed 2022-03-15: 2 years 9 months and 17 days → 33 full months.
    # Filed 2024-12-01 → 1 month; filed 2024-01-01 → 12 months.
    frame = applications(
        {"filing_date": pd.Timestamp("2022-03-15")},
        {"filing_date": pd.Timestamp("2024-12-01")},
        {"filing_date": pd.Timestamp("2024-01-01")},
    )
    grid = grid_of([], seniority={"points_par_mois": 1})
    scores = score_applications(frame, grid, CONTEXT)
    assert scores["score"].tolist() == [33.0, 1.0, 12.0]


def test_income_per_uc_and_q1() -> None:
    # 4 persons, 3 aged 14+, 1 child: UC = 1 + 0.5 × 2 + 0.3 = 2.3 (modified OECD scale).
    # 1 150 €/month × 12 / 2.3 = 6 000 €/UC/year; single person 800 €/month → 9 600 €/UC/year.
    frame = applications(
        {"household_size": 4, "persons_14plus": 3, "adults": 2, "monthly_resources": 1150.0},
        {"monthly_resources": 800.0},
    )
    near_6000 = {
        "toutes": [
            {"champ": "ressources_par_uc", "op": ">", "valeur": 5999.99},
            {"champ": "ressources_par_uc", "op": "<", "valeur": 6000.01},
        ]
    }
    assert satisfied(frame, near_6000) == [1, 0]
    assert satisfied(frame, {"champ": "income_per_uc", "op": "==", "valeur": 9600}) == [0, 1]
    # Q1 threshold of the context: 9 000 € (strict inequality).
    assert satisfied(frame, {"champ": "q1", "op": "==", "valeur": True}) == [1, 0]
    at_threshold = applications({"monthly_resources": 750.0})  # 9 000 € exactly: not below
    assert satisfied(at_threshold, {"champ": "q1", "op": "==", "valeur": True}) == [0]


def test_q1_without_threshold_is_a_french_error() -> None:
    frame = applications({})
    grid = one({"champ": "q1", "op": "==", "valeur": True})
    context = ScoringContext(dt.date(2025, 1, 1), q1_threshold=None, uc_scale=OECD)
    with pytest.raises(ConfigError, match="aucun seuil du premier quartile"):
        score_applications(frame, grid, context)


def test_overcrowding_effort_rate_first_commune_children() -> None:
    frame = applications(
        {"household_size": 5, "persons_14plus": 2, "adults": 2, "current_rooms": 2},
        {"current_rent": 600.0, "monthly_resources": 1500.0, "wished_communes": ["69266", "1"]},
        {"current_rent": 600.0, "monthly_resources": 0.0, "wished_communes": []},
    )
    assert satisfied(frame, {"champ": "personnes_par_piece", "op": "==", "valeur": 2.5}) == [
        1,
        0,
        0,
    ]
    # 600 / 1 500 = 0.4; no resources → rate missing.
    assert satisfied(frame, {"champ": "taux_effort_actuel", "op": ">=", "valeur": 0.4}) == [0, 1, 0]
    first = {"champ": "commune_souhaitee_1", "op": "==", "valeur": "69266"}
    assert satisfied(frame, first) == [0, 1, 0]
    assert satisfied(frame, {"champ": "enfants_moins_14_ans", "op": "==", "valeur": 3}) == [
        1,
        0,
        0,
    ]


# ---- rubrics, proofs, seniority, refusals, sections, exclusions -----------------------------


def crit(name: str, points: float, field: str, justified: bool = False) -> dict[str, Any]:
    return {
        "nom": name,
        "points": points,
        "justifie": justified,
        "condition": {"champ": field, "op": "==", "valeur": True},
    }


def test_exclusive_rubric_counts_only_the_best_criterion() -> None:
    rubric = {
        "nom": "R",
        "mode": "exclusive",
        "criteres": [
            crit("Petit", 2, "single_parent"),
            crit("Grand", 7, "disability"),
            crit("Moyen", 5, "dalo"),
        ],
    }
    frame = applications(
        {"single_parent": True, "disability": True, "dalo": True},  # best = 7
        {"single_parent": True, "dalo": True},  # best = 5
        {"single_parent": True},  # 2
        {},  # 0
    )
    scores = score_applications(frame, grid_of([rubric]), CONTEXT)
    assert scores["score"].tolist() == [7.0, 5.0, 2.0, 0.0]


def test_cumulative_rubric_adds_every_criterion() -> None:
    rubric = {
        "nom": "R",
        "mode": "cumulative",
        "criteres": [crit("A", 2, "single_parent"), crit("B", 7.25, "disability")],
    }
    frame = applications({"single_parent": True, "disability": True}, {"disability": True})
    scores = score_applications(frame, grid_of([rubric]), CONTEXT)
    assert scores["score_cents"].tolist() == [925, 725]


def test_justified_criterion_needs_priority_justified() -> None:
    rubric = {
        "nom": "R",
        "mode": "exclusive",
        "criteres": [crit("Justifié", 10, "disability", True), crit("Déclaré", 3, "disability")],
    }
    frame = applications(
        {"disability": True, "priority_justified": True},
        {"disability": True, "priority_justified": False},
    )
    scores = score_applications(frame, grid_of([rubric]), CONTEXT)
    # Without proof the 10-point criterion is not counted; the declared 3-point one is.
    assert scores["score"].tolist() == [10.0, 3.0]
    lines = explain(frame, grid_of([rubric]), CONTEXT, "D2").lines
    assert lines[0].note == "condition remplie, mais justificatif non validé : non compté"
    assert lines[0].points == 0
    assert lines[1].credited and lines[1].points == 3


def test_seniority_cap_and_refusal_penalty() -> None:
    grid = grid_of(
        [],
        seniority={"points_par_mois": 1.5, "plafond": 30},
        refusals={"penalite_par_refus": 10, "franchise": 1, "penalite_max": 25},
    )
    frame = applications(
        {"filing_date": pd.Timestamp("2024-07-01"), "refusals": 0},  # 6 months → 9
        {"filing_date": pd.Timestamp("2020-01-01"), "refusals": 1},  # 60 months → cap 30
        {"filing_date": pd.Timestamp("2020-01-01"), "refusals": 2},  # 30 − 10
        {"filing_date": pd.Timestamp("2020-01-01"), "refusals": 5},  # 30 − min(40, 25)
        {"filing_date": pd.Timestamp("2026-01-01")},  # filed after the reference: 0
    )
    scores = score_applications(frame, grid, CONTEXT)
    assert scores["score"].tolist() == [9.0, 30.0, 20.0, 5.0, 0.0]
    assert scores["refusal_penalty"].tolist() == [0.0, 0.0, 10.0, 25.0, 0.0]


def test_sections_for_first_applications_and_mutations() -> None:
    raw = {
        "nom": "Deux sections",
        "illustratif": True,
        "valide_du": dt.date(2024, 1, 1),
        "sections": [
            {
                "nom": "Premières",
                "applique_a": "premieres_demandes",
                "rubriques": [
                    {"nom": "R", "mode": "cumulative", "criteres": [crit("A", 4, "single_parent")]}
                ],
            },
            {
                "nom": "Mutations",
                "applique_a": "mutations",
                "rubriques": [
                    {"nom": "R", "mode": "cumulative", "criteres": [crit("A", 9, "single_parent")]}
                ],
            },
        ],
    }
    grid = parse_grid(raw, "deux.yaml")
    frame = applications(
        {"single_parent": True, "is_mutation": False}, {"single_parent": True, "is_mutation": True}
    )
    scores = score_applications(frame, grid, CONTEXT)
    assert scores["section"].tolist() == ["Premières", "Mutations"]
    assert scores["score"].tolist() == [4.0, 9.0]


def test_excluded_applications_get_no_score_and_no_rank() -> None:
    grid = grid_of(
        [{"nom": "R", "mode": "cumulative", "criteres": [crit("A", 4, "single_parent")]}],
        hors_cotation={"champ": "dalo", "op": "==", "valeur": True},
    )
    frame = applications({"dalo": True, "single_parent": True}, {"single_parent": True})
    scores = score_applications(frame, grid, CONTEXT)
    assert scores["excluded"].tolist() == [True, False]
    assert np.isnan(scores["score"].iloc[0]) and scores["score"].iloc[1] == 4.0
    pos = positions(frame, scores, grid, CONTEXT)
    assert (
        pos["rank"].isna().iloc[0] and pos["rank"].iloc[1] == 1 and pos["group_size"].iloc[1] == 1
    )
    exp = explain(frame, grid, CONTEXT, "D1")
    assert (
        exp.excluded
        and exp.score is None
        and exp.exclusion_reason == "ménage reconnu prioritaire DALO"
    )


def test_duplicate_ids_are_refused() -> None:
    frame = applications({}, {})
    frame.loc[1, "application_id"] = "D1"
    with pytest.raises(ConfigError, match="apparaît deux fois"):
        explain(frame, one({"champ": "dalo", "op": "==", "valeur": True}), CONTEXT, "D1")


def test_criterion_counts() -> None:
    rubric = {
        "nom": "R",
        "mode": "exclusive",
        "criteres": [crit("A", 2, "single_parent"), crit("B", 5, "disability")],
    }
    frame = applications({"single_parent": True, "disability": True}, {"single_parent": True})
    table = criterion_counts(frame, grid_of([rubric]), CONTEXT)
    assert table["holds"].tolist() == [2, 1]
    assert table["counted"].tolist() == [1, 1]  # D1 is credited B only


# ---- explanation, position, waiting time, applicant text ------------------------------------


LYON_LIKE = [
    {
        "nom": "Urgence",
        "mode": "cumulative",
        "criteres": [
            {
                "nom": "Expulsion",
                "points": 20,
                "condition": {"champ": "motif_principal", "op": "==", "valeur": "expulsion"},
            },
            {
                "nom": "Effort",
                "points": 10,
                "condition": {"champ": "taux_effort_actuel", "op": ">", "valeur": 0.4},
            },
        ],
    },
    {
        "nom": "Famille",
        "mode": "cumulative",
        "criteres": [crit("Monoparentale", 5, "single_parent")],
    },
]


def test_explanation_reproduces_the_published_lyon_example() -> None:
    # lacsf69.org worked example (docs/droit.md §5 (Cotation de la demande)): eviction 20 + single parent 5 + effort 10 = 35.
    grid = grid_of(LYON_LIKE)
    frame = applications(
        {
            "reason": "expulsion",
            "single_parent": True,
            "household_size": 2,
            "persons_14plus": 1,
            "current_rent": 700.0,
            "monthly_resources": 1400.0,
        }
    )
    exp = explain(frame, grid, CONTEXT, "D1")
    assert exp.score == Decimal(35)
    assert exp.total() == exp.score
    assert [(line.criterion, line.points) for line in exp.lines] == [
        ("Expulsion", 20),
        ("Effort", 10),
        ("Monoparentale", 5),
    ]
    assert exp.lines[1].values == (("taux d'effort actuel (loyer / ressources)", "0,5"),)
    assert exp.lines[0].values == (("motif principal de la demande", "« procédure d'expulsion »"),)


def test_unknown_application_in_explain() -> None:
    with pytest.raises(ConfigError, match="pseudonymisés"):
        explain(applications({}), grid_of(LYON_LIKE), CONTEXT, "inconnue")


def test_positions_among_similar_applications() -> None:
    grid = grid_of(LYON_LIKE)
    frame = applications(
        {"reason": "expulsion", "wished_communes": ["A1"], "rooms_min": 2},  # 20
        {"single_parent": True, "wished_communes": ["A1", "B"], "rooms_min": 2},  # 5
        {"reason": "expulsion", "wished_communes": ["A1"], "rooms_min": 2},  # 20 (tie)
        {"wished_communes": ["A1"], "rooms_min": 3},  # other typology: alone
        {"wished_communes": ["B"], "rooms_min": 2},  # other commune: alone
    )
    scores = score_applications(frame, grid, CONTEXT)
    pos = positions(frame, scores, grid, CONTEXT)
    # Group (2 rooms, A1) holds D1, D2, D3: scores 20, 5, 20 → ranks 1, 3, 1 (ties share).
    assert pos["rank"].tolist() == [1, 3, 1, 1, 1]
    assert pos["group_size"].tolist() == [3, 3, 3, 1, 1]


def test_waiting_times_by_stock_depletion() -> None:
    grid = grid_of(LYON_LIKE)
    frame = applications(
        *[{"wished_communes": ["A1"], "rooms_min": 2}] * 6,
        *[{"wished_communes": ["B"], "rooms_min": 3}] * 2,
        {"wished_communes": ["C"], "rooms_min": 1},
    )
    attributions = pd.DataFrame(
        {
            "rooms": [2, 2, 2, 2, 3, 4],
            "commune": ["A1", "A1", "A1", "A1", "B", "A1"],
            "lease_date": pd.to_datetime(
                ["2023-03-01", "2023-06-01", "2024-02-01", "2024-09-01", "2024-05-01", "2024-01-01"]
            ),
        }
    )
    table = waiting_times(frame, attributions, grid, CONTEXT)
    table = table.set_index(["rooms_min", "first_wished_commune"])
    # Two lease years → (2, A1): 4 attributions / 2 years = 2 per year, 6 pending → 36 months.
    assert table.loc[(2.0, "A1"), "attributions_per_year"] == 2.0
    assert table.loc[(2.0, "A1"), "waiting_months"] == 36.0
    # (3, B): 0.5 per year, 2 pending → 48 months; (1, C): no attribution → not estimable.
    assert table.loc[(3.0, "B"), "waiting_months"] == 48.0
    assert np.isnan(table.loc[(1.0, "C"), "waiting_months"])


def test_observed_waiting_time_of_satisfied_applications() -> None:
    # décret n° 2019-1378: the mean time from filing to lease of similar satisfied applications.
    grid = grid_of(LYON_LIKE)
    frame = applications(
        *[{"wished_communes": ["A1"], "rooms_min": 2}] * 6,
        *[{"wished_communes": ["B"], "rooms_min": 3}] * 2,
    )
    attributions = pd.DataFrame(
        {
            "rooms": [2, 2, 2, 3, 3],
            "commune": ["A1", "A1", "A1", "B", "B"],
            "lease_date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-01", "2024-05-01", "2024-06-01"]
            ),
            # (2, A1): waits of 365, 730 and 1 095 days (2023, 2022 and 2021 filings); (3, B):
            # one filing date known out of two.
            "filing_date": pd.to_datetime(
                ["2023-01-01", "2022-01-01", "2021-01-01", "2023-05-01", None]
            ),
        }
    )
    table = waiting_times(frame, attributions, grid, CONTEXT, min_cases=3)
    table = table.set_index(["rooms_min", "first_wished_commune"])
    a1 = table.loc[(2.0, "A1")]
    # Mean wait (365 + 730 + 1 095) / 3 = 730 days, over 365.25 / 12 days per month: 23.98.
    assert a1["cases"] == 3 and a1["method"] == "observe"
    assert a1["observed_months"] == pytest.approx(730 / (365.25 / 12), rel=1e-9)
    assert a1["waiting_months"] == a1["observed_months"]
    # The stock/flow estimate stays beside it: 6 pending / 3 a year (one lease year) = 24.
    assert a1["estimated_months"] == 24.0
    # (3, B): one case, fewer than 3 → the estimate, labelled: 12 × 2 pending / 2 a year = 12.
    b = table.loc[(3.0, "B")]
    assert (b["cases"], b["method"], b["waiting_months"]) == (1, "estimation", 12.0)
    assert b["observed_months"] == pytest.approx(366 / (365.25 / 12))
    # The default minimum is the parameter cotation.delai_attente.cas_minimum (11 cases).
    default = waiting_times(frame, attributions, grid, CONTEXT).set_index("rooms_min")
    assert (default["method"] == "estimation").all()


def test_applicant_text_gives_the_observed_wait_and_its_cases() -> None:
    grid = grid_of(LYON_LIKE)
    frame = applications({})
    exp = explain(frame, grid, CONTEXT, "D1")
    base = {
        "grid": grid,
        "explanation": exp,
        "number": "D1",
        "application": frame.iloc[0],
        "position": None,
        "refusal_rule": refusal_rule(grid.sections[0]),
        "similarity": similarity_description(grid),
    }
    observed = pd.Series({"waiting_months": 23.9, "cases": 14, "method": "observe"})
    text = applicant_letter(ApplicantResult(waiting=observed, **base))
    assert (
        "Délai d'attente moyen des demandes similaires satisfaites : environ 24 mois, du dépôt "
        "de la demande à la signature du bail, observé sur 14 attributions" in text
    )
    estimate = pd.Series({"waiting_months": 30.2, "cases": 2, "method": "estimation"})
    text = applicant_letter(ApplicantResult(waiting=estimate, **base))
    assert "Délai d'attente estimé pour des demandes similaires : environ 30 mois" in text
    assert "seulement 2 attributions similaires dont la date de dépôt est connue" in text


def test_applicant_text_contains_the_mandatory_information() -> None:
    grid = grid_of(
        LYON_LIKE,
        refusals={"penalite_par_refus": 10, "franchise": 1},
    )
    frame = applications(
        {"reason": "expulsion", "priority_codes": ["h"], "priority_justified": True},
        {},
    )
    scores = score_applications(frame, grid, CONTEXT)
    pos = positions(frame, scores, grid, CONTEXT)
    exp = explain(frame, grid, CONTEXT, "D1")
    waiting = pd.Series({"waiting_months": 17.6})
    result = ApplicantResult(
        grid=grid,
        explanation=exp,
        number="D1",
        application=frame.iloc[0],
        position=pos.iloc[0],
        waiting=waiting,
        refusal_rule=refusal_rule(grid.sections[0]),
        similarity=similarity_description(grid),
    )
    text = applicant_letter(result)
    assert "Votre cotation : 20 points" in text
    assert "rang 1 sur 2" in text
    assert "environ 18 mois" in text
    assert "prioritaire au sens de l'article L441-1 (justifiée) : menacé d'expulsion" in text
    assert (
        "Refus : à partir du 2ᵉ refus, chaque refus d'une proposition adaptée à vos besoins et "
        "à vos capacités retire 10 points." in text
    )
    assert "aide à la décision" in text


def test_string_and_object_columns_give_the_same_scores() -> None:
    frame = applications(
        {"reason": "expulsion"}, {"reason": "trop_cher"}, {"commune_residence": None}
    )
    arrow = frame.copy()
    for col in ("reason", "commune_residence", "housing_situation"):
        arrow[col] = arrow[col].astype("str")
    grid = one({"champ": "reason", "op": "==", "valeur": "expulsion"})
    a = score_applications(frame, grid, CONTEXT)["score_cents"].tolist()
    b = score_applications(arrow, grid, CONTEXT)["score_cents"].tolist()
    assert a == b == [100, 0, 0]
