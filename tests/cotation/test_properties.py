"""Hypothesis invariants of the scoring engine on random consistent applications."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mixite.cotation import explain, parse_grid, positions, score_applications

from .helpers import CONTEXT, random_applications

EXAMPLES = Path(__file__).parents[2] / "exemples" / "grilles"
RAW = {
    name: yaml.safe_load((EXAMPLES / f"{name}_illustrative.yaml").read_text(encoding="utf-8"))
    for name in ("lyon", "paris", "dunkerque")
}

#: Leaf conditions the properties draw from (one per field type).
LEAVES: list[dict[str, Any]] = [
    {"champ": "famille_monoparentale", "op": "==", "valeur": True},
    {"champ": "nb_personnes", "op": ">=", "valeur": 3},
    {"champ": "taux_effort_actuel", "op": ">", "valeur": 0.3},
    {"champ": "logement_actuel", "op": "in", "valeur": ["hotel", "structure", "sans_abri"]},
    {"champ": "priorites", "op": "contains", "valeur": "e"},
    {"champ": "anciennete_mois", "op": ">", "valeur": 24},
    {"champ": "q1", "op": "==", "valeur": True},
    {"champ": "commune_souhaitee_1", "op": "==", "valeur": "69123"},
    {"champ": "personnes_par_piece", "op": ">", "valeur": 1.5},
]

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 60)
grid_names = st.sampled_from(sorted(RAW))
points = st.integers(0, 5000).map(lambda c: c / 100)
conditions = st.sampled_from(LEAVES)


def _with_criterion(raw: dict[str, Any], mode: str, cond: dict[str, Any], pts: float) -> Any:
    grid = copy.deepcopy(raw)
    for section in grid["sections"]:
        section.setdefault("rubriques", []).append(
            {
                "nom": "Ajout",
                "mode": mode,
                "criteres": [{"nom": "Critère ajouté", "points": pts, "condition": cond}],
            }
        )
    return parse_grid(grid, "ajout.yaml")


@settings(max_examples=25, deadline=None)
@given(seeds, sizes, grid_names, conditions, points)
def test_adding_a_cumulative_criterion_never_lowers_a_score(
    seed: int, n: int, name: str, cond: dict[str, Any], pts: float
) -> None:
    frame = random_applications(np.random.default_rng(seed), n)
    before = score_applications(frame, parse_grid(RAW[name], "g.yaml"), CONTEXT)
    after = score_applications(frame, _with_criterion(RAW[name], "cumulative", cond, pts), CONTEXT)
    diff = after["score_cents"].to_numpy() - before["score_cents"].to_numpy()
    assert (diff >= 0).all()
    assert set(np.unique(diff)) <= {0, round(pts * 100)}


@settings(max_examples=25, deadline=None)
@given(seeds, sizes, grid_names, st.lists(st.tuples(conditions, points), min_size=1, max_size=5))
def test_an_exclusive_rubric_counts_once(
    seed: int, n: int, name: str, criteria: list[tuple[dict[str, Any], float]]
) -> None:
    frame = random_applications(np.random.default_rng(seed), n)
    raw = copy.deepcopy(RAW[name])
    listed = [{"nom": f"C{i}", "points": p, "condition": c} for i, (c, p) in enumerate(criteria)]
    # The same criteria twice: an exclusive rubric must not count the duplicate.
    doubled = listed + [{**c, "nom": c["nom"] + " bis"} for c in listed]
    for section in raw["sections"]:
        section["rubriques"] = [{"nom": "Exclusive", "mode": "exclusive", "criteres": doubled}]
        section.pop("anciennete", None)
        section.pop("refus", None)
    raw.pop("hors_cotation", None)
    scores = score_applications(frame, parse_grid(raw, "x.yaml"), CONTEXT)["score_cents"]
    # Expected by hand: the largest points among the satisfied criteria, 0 when none.
    singles = [
        score_applications(
            frame,
            parse_grid(
                {
                    **raw,
                    "sections": [
                        {**s, "rubriques": [{"nom": "R", "mode": "exclusive", "criteres": [crit]}]}
                        for s in raw["sections"]
                    ],
                },
                "one.yaml",
            ),
            CONTEXT,
        )["score_cents"].to_numpy()
        for crit in listed
    ]
    hit = [s > 0 for s in singles]
    cents = [round(p * 100) for _, p in criteria]
    expected = np.zeros(n, dtype=np.int64)
    for h, c in zip(hit, cents, strict=True):
        expected = np.where(h, np.maximum(expected, c), expected)
    assert (scores.to_numpy() == expected).all()


@settings(max_examples=20, deadline=None)
@given(seeds, sizes, grid_names)
def test_scores_and_positions_do_not_depend_on_row_order(seed: int, n: int, name: str) -> None:
    rng = np.random.default_rng(seed)
    frame = random_applications(rng, n)
    grid = parse_grid(RAW[name], "g.yaml")
    shuffled = frame.iloc[rng.permutation(n)].reset_index(drop=True)
    a = score_applications(frame, grid, CONTEXT).set_index("application_id")
    b = score_applications(shuffled, grid, CONTEXT).set_index("application_id")
    assert a["score_cents"].equals(b.loc[a.index, "score_cents"])
    pa = positions(frame, a.reset_index(), grid, CONTEXT).set_index("application_id")
    pb = positions(shuffled, b.reset_index(), grid, CONTEXT).set_index("application_id")
    assert pa["rank"].equals(pb.loc[pa.index, "rank"])
    assert pa["group_size"].equals(pb.loc[pa.index, "group_size"])


@settings(max_examples=25, deadline=None)
@given(seeds, st.integers(1, 15), grid_names)
def test_explanation_adds_up_exactly_to_the_score(seed: int, n: int, name: str) -> None:
    frame = random_applications(np.random.default_rng(seed), n)
    grid = parse_grid(RAW[name], "g.yaml")
    scores = score_applications(frame, grid, CONTEXT)
    for app_id, cents, excluded in zip(
        scores["application_id"], scores["score_cents"], scores["excluded"], strict=True
    ):
        exp = explain(frame, grid, CONTEXT, app_id)
        assert exp.excluded == excluded
        assert exp.total() == Decimal(int(cents)) / 100
        if not excluded:
            assert exp.score == exp.total()


@settings(max_examples=20, deadline=None)
@given(seeds, st.integers(1, 80), grid_names)
def test_positions_match_a_pandas_groupby_rank(seed: int, n: int, name: str) -> None:
    # Reference: pandas' groupby rank (method « min », descending) on the same keys.
    frame = random_applications(np.random.default_rng(seed), n)
    grid = parse_grid(RAW[name], "g.yaml")
    scores = score_applications(frame, grid, CONTEXT)
    got = positions(frame, scores, grid, CONTEXT)
    keys = got[["rooms_min", "first_wished_commune"]].copy()
    keys["section"] = scores["section"].astype(str)
    keys["score"] = scores["score"]
    keys = keys.loc[~scores["excluded"]]
    grouped = keys.groupby(["section", "rooms_min", "first_wished_commune"], dropna=False)["score"]
    expected_rank = grouped.rank(method="min", ascending=False)
    expected_size = grouped.transform("size")
    scored = got.loc[~scores["excluded"]]
    assert scored["rank"].astype(int).tolist() == expected_rank.astype(int).tolist()
    assert scored["group_size"].astype(int).tolist() == expected_size.astype(int).tolist()
    assert got.loc[scores["excluded"], "rank"].isna().all()
