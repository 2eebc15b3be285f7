"""Audit and comparison of grids on a hand-made set of ten applications."""

from __future__ import annotations

import datetime as dt
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from mixite.cotation import (
    audit_groups,
    audit_ranks,
    compare_grids,
    criterion_counts,
    parse_grid,
    score_applications,
    score_distribution,
    waiting_times,
    yearly_attributions,
)
from mixite.cotation.audit import grid_rows
from mixite.jobs.results import AuditResult
from mixite.reports.cotation import grid_table, write_audit_report

from .helpers import CONTEXT, applications


def grid(single_parent: float, disability: float, name: str) -> Any:
    crits = [
        {
            "nom": "Monoparentale",
            "points": single_parent,
            "condition": {"champ": "famille_monoparentale", "op": "==", "valeur": True},
        },
        {
            "nom": "Handicap",
            "points": disability,
            "condition": {"champ": "handicap", "op": "==", "valeur": True},
        },
    ]
    raw = {
        "nom": name,
        "illustratif": True,
        "valide_du": dt.date(2024, 1, 1),
        "sections": [
            {
                "nom": "Toutes",
                "applique_a": "toutes",
                "rubriques": [{"nom": "R", "mode": "cumulative", "criteres": crits}],
            }
        ],
    }
    return parse_grid(raw, f"{name}.yaml")


GRID_A = grid(5, 3, "A")
GRID_B = grid(1, 10, "B")
# D1: both criteria (A: 8, B: 11); D2: single parent (A: 5, B: 1); D3: disability (A: 3, B: 10);
# D4…D10: nothing (0). Equal filing dates, so ties are broken by id.
FRAME = applications(
    {"single_parent": True, "disability": True, "dalo": True, "household_size": 3},
    {"single_parent": True, "is_mutation": True},
    {"disability": True},
    {},
    {"dalo": True},
    {},
    {},
    {},
    {},
    {},
)


def test_ranks_break_ties_by_filing_date_then_id() -> None:
    frame = FRAME.copy()
    frame.loc[9, "filing_date"] = pd.Timestamp("2020-01-01")  # D10 is the oldest of the zeros
    scores = score_applications(frame, GRID_A, CONTEXT)
    assert audit_ranks(frame, scores).tolist() == [1, 2, 3, 5, 6, 7, 8, 9, 10, 4]


def test_score_distribution() -> None:
    scores = score_applications(FRAME, GRID_A, CONTEXT)
    table = score_distribution(scores).set_index("section")
    # Scores 8, 5, 3 and seven zeros: mean 1.6, median 0, max 8.
    assert table.loc["Ensemble", "applications"] == 10
    assert table.loc["Ensemble", "mean"] == pytest.approx(1.6)
    assert table.loc["Ensemble", "median"] == 0
    assert table.loc["Ensemble", "max"] == 8


def test_group_shares_in_top_decile_and_top_n() -> None:
    scores = score_applications(FRAME, GRID_A, CONTEXT)
    table = audit_groups(FRAME, scores, CONTEXT, top_n=3).set_index(["dimension", "group"])
    dalo = table.loc[("DALO", "DALO")]
    # DALO: D1 and D5 = 2/10; top decile = ⌈10 % × 10⌉ = 1 application (D1) → 1;
    # top 3 = D1, D2, D3 → 1/3; ratio (1/3) / 0.2.
    assert dalo["applications"] == 2
    assert dalo["share_all"] == pytest.approx(0.2)
    assert dalo["share_top_decile"] == pytest.approx(1.0)
    assert dalo["share_top_n"] == pytest.approx(1 / 3)
    assert dalo["ratio_top_n"] == pytest.approx((1 / 3) / 0.2)
    mutation = table.loc[("Type de demande", "mutation")]
    assert mutation["share_top_n"] == pytest.approx(1 / 3)
    assert table.loc[("Taille du ménage", "3 personnes"), "share_top_decile"] == 1.0
    # All filed on 2024-01-01: 12 months at 2025-01-01.
    seniority = table.loc[("Ancienneté de la demande", "de 1 an à moins de 2 ans")]
    assert seniority["share_all"] == 1.0
    # Context has a Q1 threshold (9 000 €): default 1 500 €/month single → 18 000 € → not Q1.
    assert table.loc[("Premier quartile (Q1)", "autres quartiles"), "share_all"] == 1.0


def test_top_n_unknown_gives_nan() -> None:
    scores = score_applications(FRAME, GRID_A, CONTEXT)
    table = audit_groups(FRAME, scores, CONTEXT, top_n=None)
    assert table["share_top_n"].isna().all()


def test_comparison_of_two_grids() -> None:
    a = score_applications(FRAME, GRID_A, CONTEXT)
    b = score_applications(FRAME, GRID_B, CONTEXT)
    cmp = compare_grids(FRAME, a, b, CONTEXT, top_n=3)
    moves = cmp.applications.set_index("application_id")["places_gained"]
    # A: D1 1, D2 2, D3 3; B: D1 1 (11), D3 2 (10), D2 3 (1). D2 loses 1, D3 gains 1.
    assert moves["D2"] == -1 and moves["D3"] == 1
    assert (moves.drop(["D2", "D3"]) == 0).all()
    summary = dict(zip(cmp.summary["indicator"], cmp.summary["value"], strict=True))
    assert summary["Demandes qui gagnent des places"] == 1
    assert summary["Demandes qui perdent des places"] == 1
    assert summary["Demandes au même rang"] == 8
    assert summary["Demandes entrant dans les N premiers avec la grille B"] == 0
    groups = cmp.groups.set_index(["dimension", "group"])
    # Mutation group = D2 alone: −1 place on average, all of it losing.
    assert groups.loc[("Type de demande", "mutation"), "mean_places_gained"] == -1
    assert groups.loc[("Type de demande", "mutation"), "share_losing"] == 1


def test_yearly_attributions_counts_the_latest_lease_year() -> None:
    attributions = pd.DataFrame(
        {"lease_date": pd.to_datetime(["2023-05-01", "2024-01-02", "2024-12-31"])}
    )
    assert yearly_attributions(attributions) == 2
    assert yearly_attributions(attributions, 2023) == 1
    assert yearly_attributions(attributions.iloc[0:0]) == 0


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._in = tag in ("h1", "h2")

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.headings.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        self._in = False


def test_report_writes_html_xlsx_and_csv(tmp_path: Path) -> None:
    a = score_applications(FRAME, GRID_A, CONTEXT)
    b = score_applications(FRAME, GRID_B, CONTEXT)
    attributions = pd.DataFrame(
        {"rooms": [2], "commune": ["69123"], "lease_date": pd.to_datetime(["2024-03-01"])}
    )
    result = AuditResult(
        grid=GRID_A,
        millesime=2025,
        scores=a,
        distribution=score_distribution(a),
        groups=audit_groups(FRAME, a, CONTEXT, 3),
        criteria=criterion_counts(FRAME, GRID_A, CONTEXT),
        grid_rows=grid_rows(GRID_A),
        top_n=3,
        waiting=waiting_times(FRAME, attributions, GRID_A, CONTEXT),
        other_grid=GRID_B,
        comparison=compare_grids(FRAME, a, b, CONTEXT, 3),
    )
    paths = write_audit_report(result, tmp_path)
    assert [p.name for p in paths] == [
        "cotation.html",
        "cotation.xlsx",
        "cotation_demandes.csv",
        "cotation_comparaison_demandes.csv",
    ]
    parser = _Collector()
    parser.feed(paths[0].read_text(encoding="utf-8"))
    for title in ("La grille", "Qui la grille place en tête", "Comparaison de deux grilles"):
        assert any(h.endswith(". " + title) for h in parser.headings), parser.headings
    book = load_workbook(paths[1])
    assert book.sheetnames[:4] == ["Grille", "Distribution", "Groupes", "Critères"]
    assert "Comparaison groupes" in book.sheetnames and "Délais" in book.sheetnames
    csv = pd.read_csv(paths[2], sep=";", decimal=",", encoding="utf-8-sig")
    assert csv["Cotation"].tolist() == [8, 5, 3, 0, 0, 0, 0, 0, 0, 0]
    # 10 applications (69123, 2 rooms) pending, 1 attribution in one year → 120 months.
    assert result.waiting is not None
    assert result.waiting["waiting_months"].tolist() == [120.0]


def test_grid_table_lists_every_criterion() -> None:
    table = grid_table(grid_rows(GRID_A))
    assert table["Critère"].tolist() == ["Monoparentale", "Handicap"]
    assert table["Points"].tolist() == [5.0, 3.0]
    assert not any(math.isnan(p) for p in table["Points"])


def test_report_with_applications_hors_cotation(tmp_path: Path) -> None:
    # Grid B excludes DALO households (D1, D5): their B score and rank are missing, shown « — ».
    raw_b = {
        "nom": "B sans DALO",
        "illustratif": True,
        "valide_du": dt.date(2024, 1, 1),
        "hors_cotation": {"champ": "dalo", "op": "==", "valeur": True},
        "sections": [{"nom": "Toutes", "applique_a": "toutes"}],
    }
    grid_b = parse_grid(raw_b, "b.yaml")
    a = score_applications(FRAME, GRID_A, CONTEXT)
    b = score_applications(FRAME, grid_b, CONTEXT)
    cmp = compare_grids(FRAME, a, b, CONTEXT, top_n=3)
    assert cmp.applications["rank_b"].isna().sum() == 2
    summary = dict(zip(cmp.summary["indicator"], cmp.summary["value"], strict=True))
    assert summary["Demandes cotées par les deux grilles"] == 8
    result = AuditResult(
        grid=grid_b,
        millesime=2025,
        scores=b,
        distribution=score_distribution(b),
        groups=audit_groups(FRAME, b, CONTEXT, None),
        criteria=criterion_counts(FRAME, grid_b, CONTEXT),
        grid_rows=grid_rows(grid_b),
        top_n=None,
        other_grid=GRID_A,
        comparison=cmp,
    )
    paths = write_audit_report(result, tmp_path)
    assert "Comparaison groupes" in load_workbook(paths[1]).sheetnames
    moves = pd.read_csv(paths[3], sep=";", decimal=",", encoding="utf-8-sig")
    assert moves.loc[0, "Rang A"] == 1  # D1: rank 1 with A
    assert pd.isna(moves.loc[0, "Rang B"])  # D1: hors cotation with B
