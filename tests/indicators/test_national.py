"""The national summary on a hand-built long table of three EPCIs (every expected value computed
by hand in the comments: met = shortfall max(0, ⌈target × N⌉ − achieved) is zero, docs/droit.md
§2.1; national share = Σ numerators / Σ denominators)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixite.indicators import national as summary
from mixite.vocabulary import NATIONAL_COLUMNS

from .national_rows import national_rows


@pytest.fixture
def rows() -> pd.DataFrame:
    return national_rows()


BOUNDS = [0, 2000, 5000, 15000, 50000]
#: The secrecy threshold of the hand-built published rows: counts from 1 to 10 are masked (the
#: parameter ``secret_statistique.seuil``, docs/secret-statistique.md).
THRESHOLD = 11


def test_size_classes_are_lower_bounds() -> None:
    got = summary.size_class([0, 1999, 2000, 6000, 49999, 50000, 228000], BOUNDS)
    assert got.tolist() == [0, 0, 2000, 5000, 15000, 50000, 50000]


def test_verdicts_per_epci(rows: pd.DataFrame) -> None:
    table = summary.objectives(rows)
    obs = table.loc[table["source"] == "observe"].set_index(["epci", "indicator"])["met"]
    met = {key: (None if pd.isna(v) else bool(v)) for key, v in obs.items()}
    assert met[("200000001", "q1_hors_qpv")] is True
    assert met[("200000002", "q1_hors_qpv")] is False
    assert met[("200000003", "q1_hors_qpv")] is None  # no attribution outside QPV
    assert met[("200000001", "non_q1_en_qpv")] is False
    assert met[("200000003", "non_q1_en_qpv")] is True
    # priority: every bound partner (not the State's contingent, descriptive)
    assert met[("200000001", "prioritaires")] is True
    assert met[("200000002", "prioritaires")] is False
    assert met[("200000003", "prioritaires")] is None


def test_share_of_epcis_meeting_each_objective(rows: pd.DataFrame) -> None:
    a = summary.attainment(rows)
    obs = a.loc[a["source"] == "observe"].set_index("indicator")
    assert obs.loc["q1_hors_qpv", ["epcis", "met"]].tolist() == [2, 1]
    assert obs.loc["q1_hors_qpv", "share_met"] == pytest.approx(0.5)
    # (12 + 20 + 0) / (40 + 100 + 0)
    assert obs.loc["q1_hors_qpv", "national_share"] == pytest.approx(32 / 140)
    assert obs.loc["non_q1_en_qpv", ["epcis", "met"]].tolist() == [3, 2]
    assert obs.loc["non_q1_en_qpv", "national_share"] == pytest.approx(43 / 80)
    assert obs.loc["prioritaires", ["epcis", "met"]].tolist() == [2, 1]
    sim = a.loc[a["source"] == "simule"].set_index(["scenario", "indicator"])
    # baseline: A 25/100 met (⌈25⌉ − 25 = 0), B 18/100 not met
    assert sim.loc[("Référence", "q1_hors_qpv"), ["epcis", "met"]].tolist() == [2, 1]
    assert sim.loc[("Référence", "q1_hors_qpv"), "national_share"] == pytest.approx(43 / 200)


def test_distributions_by_region_and_size(rows: pd.DataFrame) -> None:
    epci = summary.epci_table(rows, BOUNDS)
    assert epci.set_index("epci")["size_class"].to_dict() == {
        "200000001": 0, "200000002": 5000, "200000003": 50000,
    }  # fmt: skip
    by_region = summary.distribution(rows, epci, "region")
    q1 = by_region.loc[by_region["indicator"] == "q1_hors_qpv"].set_index("region")
    assert q1.loc["24", ["epcis", "met", "dwellings"]].tolist() == [2, 1, 7000]
    assert q1.loc["24", "region_name"] == "Centre-Val de Loire"
    assert q1.loc["11", "epcis"] == 0 and np.isnan(q1.loc["11", "share_met"])
    # the legal objectives in the order of the law
    assert by_region.loc[by_region["region"] == "24", "indicator"].tolist() == [
        "q1_hors_qpv", "non_q1_en_qpv", "prioritaires",
    ]  # fmt: skip
    by_size = summary.distribution(rows, epci, "size_class")
    non_q1 = by_size.loc[by_size["indicator"] == "non_q1_en_qpv"].set_index("size_class")
    assert non_q1["met"].to_dict() == {0: 0, 5000: 1, 50000: 1}


def test_epci_table_carries_every_figure(rows: pd.DataFrame) -> None:
    e = summary.epci_table(rows, BOUNDS).set_index("epci")
    assert e.loc["200000002", "q1_hors_qpv_share"] == pytest.approx(0.2)
    assert e.loc["200000002", "q1_hors_qpv_shortfall"] == 5
    assert e.loc["200000001", "q1_hors_qpv_simulated"] == pytest.approx(0.25)
    assert e.loc["200000002", "reason"] == "loyer"
    assert e.loc["200000001", "parc_en_qpv"] == pytest.approx(0.3)


def test_room_for_manoeuvre_categories(rows: pd.DataFrame) -> None:
    room = summary.room_for_manoeuvre(rows).set_index("epci")
    assert room["category"].to_dict() == {
        "200000001": "atteint", "200000002": "hors_atteinte", "200000003": "atteignable",
    }  # fmt: skip
    # C: achieved 3 of 30, ⌈0.25 × 30⌉ = 8 → 5 missing; room 50 % − 10 % = 40 points
    assert room.loc["200000003", "shortfall"] == 5
    assert room.loc["200000003", "room"] == pytest.approx(0.4)
    counts = summary.room_counts(summary.room_for_manoeuvre(rows))
    assert counts["category"].tolist() == ["atteint", "atteignable", "hors_atteinte"]
    assert counts["share"].tolist() == pytest.approx([1 / 3] * 3)


def test_change_per_epci_against_the_baseline(rows: pd.DataFrame) -> None:
    changes = summary.scenario_changes(rows).set_index(["epci", "indicator"])
    assert changes.loc[("200000001", "q1_hors_qpv"), "change"] == pytest.approx(0.06)
    assert changes.loc[("200000002", "q1_hors_qpv"), "change"] == pytest.approx(0.02)
    assert set(changes["scenario"]) == {"Fléchage 30 %"}
    assert not bool(changes.loc[("200000002", "q1_hors_qpv"), "baseline_met"])


def test_empty_rows_give_empty_tables() -> None:
    empty = pd.DataFrame(columns=list(NATIONAL_COLUMNS))
    assert summary.attainment(empty).empty
    assert summary.room_for_manoeuvre(empty).empty
    assert summary.scenario_changes(empty).empty


def test_a_masked_partner_leaves_the_priority_verdict_unknown(rows: pd.DataFrame) -> None:
    # Statistical secrecy masked A's Action Logement (3/10, met) and B's commune (2/12, not
    # met): A's other partner meets it (2/8) but Action Logement may not → unknown; B's only
    # bound partner is masked → unknown. Masking B's commune beside a known failure would
    # leave B not met: add a second partner of B, 1/12 (⌈3⌉ − 1 = 2: not met).
    masked = rows.copy()
    hidden = (masked["task"] == "quotas") & masked["group"].isin(["action_logement", "commune"])
    masked.loc[hidden, ["denominator", "numerator", "share", "shortfall"]] = np.nan
    table = summary.objectives(masked)
    obs = table.loc[table["source"] == "observe"].set_index(["epci", "indicator"])["met"]
    assert pd.isna(obs[("200000001", "prioritaires")])
    assert pd.isna(obs[("200000002", "prioritaires")])
    failing = masked.loc[hidden & (masked["epci"] == "200000002")].assign(
        group="commune:2", denominator=12.0, numerator=1.0, share=1 / 12, shortfall=2.0
    )
    table = summary.objectives(pd.concat([masked, failing], ignore_index=True))
    obs = table.loc[table["source"] == "observe"].set_index(["epci", "indicator"])["met"]
    verdict = obs[("200000002", "prioritaires")]
    assert not pd.isna(verdict) and not bool(verdict)


def _small_epci() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The three EPCIs and a fourth, D (same region as A and B, 1,500 dwellings), with 8
    attributions outside QPV of which 3 to Q1 applicants (⌈0.25 × 8⌉ = 2 ≤ 3: met), 30 in QPV
    of which 20 to the others (⌈15⌉ ≤ 20: met), 40 in all of which 12 priority: the unprotected
    rows, and the published ones where secrecy masked D's small counts (8 and 3, and what
    follows them: share, interval, shortfall) — as ``protect_quotas`` does."""
    from .national_rows import B, quotas

    d = {**B, "epci": "200000004", "epci_name": "CC Delta", "dwellings": 1500}
    truth = pd.concat(
        [national_rows(), pd.DataFrame(quotas(d, (8, 3), (30, 20), (40, 12), []))],
        ignore_index=True,
    )
    published = truth.loc[~truth["level"].isin(["reservataire", "bailleur_non_reserve"])].copy()
    hidden = (published["epci"] == d["epci"]) & (published["indicator"] == "q1_hors_qpv")
    published.loc[hidden, ["denominator", "numerator", "share", "share_low", "share_high",
                           "shortfall"]] = np.nan  # fmt: skip
    return truth, published


def test_protect_quotas_masks_the_small_epci() -> None:
    from mixite.indicators.diagnostic_secrecy import protect_quotas

    truth, published = _small_epci()
    own = truth.loc[(truth["epci"] == "200000004") & (truth["level"] == "epci")]
    table = protect_quotas(own[["level", "group", "indicator", "denominator", "numerator",
                                "share", "target"]].reset_index(drop=True), 11)  # fmt: skip
    masked = table.tables["quotas"].set_index("indicator")
    assert pd.isna(masked.loc["q1_hors_qpv", "denominator"])
    assert pd.isna(masked.loc["q1_hors_qpv", "numerator"])
    got = published.loc[(published["epci"] == "200000004") & (published["task"] == "quotas")]
    assert got.loc[got["indicator"] == "q1_hors_qpv", "denominator"].isna().all()


def test_a_masked_epci_still_counts_in_the_share_meeting_the_objective(tmp_path: Path) -> None:
    from mixite.jobs.national import national_summary
    from mixite.reports.national import write_national

    truth, published = _small_epci()
    failures = pd.DataFrame(columns=["epci", "epci_name", "task", "error"])
    result = national_summary(
        published, failures, ["diagnostic", "quotas", "simulation"], private=truth
    )
    # the per-EPCI table: D's Q1 counts masked, its verdict published — 8 and 3 masked read
    # as 1 to 10 each: met leaves 1 ≤ d ≤ 10 and ⌈d/4⌉ ≤ n ≤ d, many values of d, n and d − n
    epci = result.epci.set_index("epci")
    assert np.isnan(epci.loc["200000004", "q1_hors_qpv_share"])
    assert np.isnan(epci.loc["200000004", "q1_hors_qpv_attributions"])
    assert bool(epci.loc["200000004", "q1_hors_qpv_secret"])
    assert bool(epci.loc["200000004", "q1_hors_qpv_met"])
    assert epci.loc["200000004", "non_q1_en_qpv_share"] == pytest.approx(20 / 30)
    # « part des EPCI à l'objectif » Q1: A met, B not, C none, D met → 2 of 3 (on the
    # published rows alone: 1 of 2)
    a = result.attainment
    q1 = a.loc[(a["source"] == "observe") & (a["indicator"] == "q1_hors_qpv")].iloc[0]
    assert (q1["epcis"], q1["met"]) == (3, 2)
    assert q1["share_met"] == pytest.approx(2 / 3)
    # the national share (12 + 20 + 0 + 3) / (40 + 100 + 0 + 8) would give back D's 3 and 5
    # by difference with the published EPCIs (X = 3, 8 − 3 = 5: both from 1 to 10): masked,
    # and so are the totals; the median of 20 %, 30 %, 37.5 % is A's 30 %, published
    assert np.isnan(q1["national_share"]) and np.isnan(q1["numerator"])
    assert q1["median_share"] == pytest.approx(0.3)
    # the other objectives: nothing masked, national shares as computed by hand
    non_q1 = a.loc[(a["source"] == "observe") & (a["indicator"] == "non_q1_en_qpv")].iloc[0]
    assert (non_q1["epcis"], non_q1["met"]) == (4, 3)
    assert non_q1["national_share"] == pytest.approx((8 + 30 + 5 + 20) / (20 + 50 + 10 + 30))
    # region 24 (A, B, D): 2 of 3 meet it
    region = result.by_region.set_index(["region", "indicator"])
    assert region.loc[("24", "q1_hors_qpv"), ["epcis", "met"]].tolist() == [3, 2]
    # the report: D named, its Q1 share « secret statistique », its verdict beside it; the
    # masked national share too; the published rows only in national.parquet
    outputs = write_national(result, tmp_path)
    page = outputs.html.read_text(encoding="utf-8")
    assert "CC Delta" in page and "secret statistique" in page
    assert len(pd.read_parquet(outputs.parquet)) == len(published)
    epcis = pd.read_parquet(outputs.epci_parquet).set_index("epci")
    assert np.isnan(epcis.loc["200000004", "q1_hors_qpv_attributions"])


def test_masked_figures_read_secret_statistique_in_the_report(tmp_path: Path) -> None:
    # the EPCI D of _small_epci: its Q1 counts masked (8 and 3, both below 11), its verdict
    # published; the national Q1 share masked (it would give them back by difference)
    from openpyxl import load_workbook

    from mixite.jobs.national import national_summary
    from mixite.reports.national import write_national

    truth, published = _small_epci()
    failures = pd.DataFrame(columns=["epci", "epci_name", "task", "error"])
    result = national_summary(
        published, failures, ["diagnostic", "quotas", "simulation"], private=truth
    )
    outputs = write_national(result, tmp_path)
    book = load_workbook(outputs.xlsx)
    sheet = book["EPCI"]
    header = [c.value for c in sheet[4]]
    rows = {r[header.index("SIREN")]: r for r in sheet.iter_rows(min_row=5, values_only=True)}
    d = rows["200000004"]
    for column in ("part", "bas", "haut", "attributions concernées", "manque"):
        assert d[header.index(f"Q1 ou relogés hors QPV : {column}")] == "secret statistique"
    # aligned right like the numbers of its column
    row = next(
        r for r in sheet.iter_rows(min_row=5) if r[header.index("SIREN")].value == "200000004"
    )
    assert row[header.index("Q1 ou relogés hors QPV : part")].alignment.horizontal == "right"
    assert d[header.index("Q1 ou relogés hors QPV : verdict")].startswith("atteint")
    # A's published figures stay numbers
    a = rows["200000001"]
    assert a[header.index("Q1 ou relogés hors QPV : part")] == pytest.approx(12 / 40)
    synthesis = book["Synthèse"]
    header = [c.value for c in synthesis[4]]
    q1 = next(r for r in synthesis.iter_rows(min_row=5, values_only=True) if "premier" in r[0])
    assert q1[header.index("Part nationale")] == "secret statistique"
    assert q1[header.index("Part médiane des EPCI")] == pytest.approx(0.3)
    page = outputs.html.read_text(encoding="utf-8")
    assert ">secret statistique<" in page and "seuil de secret statistique" in page


def test_a_verdict_that_would_pin_a_masked_count_is_withheld() -> None:
    # 40 attributions published, their Q1 count masked (1 to 10): met means ≥ ⌈10⌉ → 10
    assert summary.verdict_reveals(40, np.nan, True, 0.25, 11)
    # not met: 1 to 9, several values
    assert not summary.verdict_reveals(40, np.nan, False, 0.25, 11)
    # 22 published, met: 6 to 10
    assert not summary.verdict_reveals(22, np.nan, True, 0.25, 11)
    # 6 published, 4 masked? never: counts from 1 to 10 are masked with their complement
    assert not summary.verdict_reveals(np.nan, np.nan, True, 0.25, 11)
    # a met priority objective says the EPCI's own count reaches it: 40 published → 10
    assert summary.verdict_reveals(40, np.nan, True, 0.25, 11, priority=True)
    assert not summary.verdict_reveals(40, np.nan, False, 0.25, 11, priority=True)
    # withheld, it still counts; alone in its groups it would come back by difference
    truth, published = _small_epci()
    d = (truth["epci"] == "200000004") & (truth["indicator"] == "q1_hors_qpv")
    truth.loc[d & (truth["task"] == "quotas"), ["denominator", "numerator", "share"]] = [
        40,
        10,
        0.25,
    ]
    truth.loc[d & (truth["task"] == "quotas"), "shortfall"] = 0.0
    shown = (published["epci"] == "200000004") & (published["indicator"] == "q1_hors_qpv")
    published.loc[shown & (published["task"] == "quotas"), "denominator"] = 40.0
    table = summary.epci_table(truth, BOUNDS, published, THRESHOLD).set_index("epci")
    assert pd.isna(table.loc["200000004", "q1_hors_qpv_met"])
    a = summary.attainment(truth, published, THRESHOLD)
    q1 = a.loc[(a["source"] == "observe") & (a["indicator"] == "q1_hors_qpv")].iloc[0]
    assert q1["epcis"] == 3 and pd.isna(q1["met"]) and np.isnan(q1["share_met"])


def test_a_run_of_the_simulation_alone_has_no_observed_verdict_to_protect() -> None:
    # `mixite national --taches simulation` (and the benchmark's simulation phase): no quotas
    # rows, so no observed objective to check against the published rows — it stopped on
    # assigning an empty list of verdicts to a boolean column
    truth, published = _small_epci()
    simulated = (truth["task"] == "simulation").to_numpy()
    assert simulated.any() and not simulated.all()
    alone = published.loc[published["task"] == "simulation"]
    table = summary.objectives(truth.loc[simulated], alone, THRESHOLD)
    assert len(table) and set(table["source"]) == {"simule"}
    assert not table["secret"].any() and table["shown"].all()


def test_a_masked_simulated_epci_still_counts() -> None:
    # D, simulated under the baseline: 9 attributions outside QPV of which 3 to Q1 applicants
    # (⌈0.25 × 9⌉ = 3 ≤ 3: met); both counts masked in its published rows (1 to 10), its
    # unprotected rows in the private file beside its store
    from .national_rows import B, row

    d = {**B, "epci": "200000004", "epci_name": "CC Delta", "dwellings": 1500}
    line = row(d, "simulation", "epci", d["epci"], "q1_hors_qpv", 9, 3, target=0.25,
               scenario="Référence")  # fmt: skip
    truth = pd.concat([national_rows(), pd.DataFrame([line])], ignore_index=True)
    published = truth.copy()
    published.loc[published["epci"] == d["epci"], ["denominator", "numerator", "share",
                  "share_low", "share_high", "shortfall"]] = np.nan  # fmt: skip

    def baseline(a: pd.DataFrame) -> pd.Series:
        chosen = (a["source"] == "simule") & (a["scenario"] == "Référence")
        return a.loc[chosen & (a["indicator"] == "q1_hors_qpv")].iloc[0]

    # A 25/100 met, B 18/100 not met, D 3/9 met: 2 EPCIs of 3 (on the published rows alone,
    # D has no verdict: 1 of 2)
    ref = baseline(summary.attainment(truth, published, THRESHOLD))
    assert (ref["epcis"], ref["met"]) == (3, 2)
    assert ref["share_met"] == pytest.approx(2 / 3)
    alone = baseline(summary.attainment(published, published, THRESHOLD))
    assert (alone["epcis"], alone["met"]) == (2, 1)
    # (25 + 18 + 3) / (100 + 100 + 9) would give back D's 3 and 9 − 3 = 6 by difference with
    # the published EPCIs: masked, with the totals; the median of 18 %, 25 %, 33 % is A's 25 %
    assert np.isnan(ref["national_share"]) and np.isnan(ref["denominator"])
    assert ref["median_share"] == pytest.approx(0.25)
    # D's verdict is published (9 and 3 read as 1 to 10: met leaves many values), its
    # simulated share stays masked in the per-EPCI table
    table = summary.objectives(truth, published, THRESHOLD)
    own = table.loc[(table["epci"] == d["epci"]) & (table["source"] == "simule")].iloc[0]
    assert bool(own["secret"]) and bool(own["shown"]) and bool(own["met"])
    epci = summary.epci_table(truth, BOUNDS, published, THRESHOLD).set_index("epci")
    assert np.isnan(epci.loc[d["epci"], "q1_hors_qpv_simulated"])
    assert epci.loc["200000001", "q1_hors_qpv_simulated"] == pytest.approx(0.25)


def test_published_rows_need_their_secrecy_threshold(rows: pd.DataFrame) -> None:
    # the threshold of the rows' own dates, never today's guessed in the summary
    with pytest.raises(ValueError, match="threshold"):
        summary.attainment(rows, rows)


def test_the_shortfall_of_the_epcis_meeting_the_objective_is_zero_even_masked() -> None:
    # two EPCIs meet the objective (no shortfall by definition: achieved ≥ target), one misses
    # it by 4; the first one's achieved count is masked in the published room for manoeuvre
    room = pd.DataFrame({
        "epci": ["1", "2", "3"], "category": ["atteint", "atteint", "atteignable"],
        "reason": ["atteignable"] * 3, "shortfall": [0.0, 0.0, 4.0],
    })  # fmt: skip
    shown = room.assign(shortfall=[np.nan, 0.0, 4.0])
    counts = summary.room_counts(room, shown).set_index("category")
    assert counts.loc["atteint", "shortfall"] == 0
    assert counts.loc["atteignable", "shortfall"] == 4
    # the masked shortfall of an EPCI that misses it masks its situation's sum
    shown = room.assign(shortfall=[0.0, 0.0, np.nan])
    assert np.isnan(
        summary.room_counts(room, shown).set_index("category").loc["atteignable", "shortfall"]
    )
