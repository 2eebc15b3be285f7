"""Statistical secrecy of the projection's outputs (issues 17 and 21) on a small hand-made
projection result: two neighbourhoods, five residences, the observed base year and one
projected year, two strategies, the ledger of the projected year. Threshold 11: counts from 1 to
10 are masked."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from mixite.indicators.outputs_secrecy import audit_projection, protect_projection

THRESHOLD = 11
BASE = 2024  # the observed year (occupancy at 1 January 2025, flows of 2024)
YEAR = 2025  # the projected year

# Base year, per residence: (residence, neighbourhood, in QPV, households, Q1 households).
#   outside QPV, neighbourhood HQPV-1: R1 20 households of which 3 Q1 (primary: 3 < 11),
#     R2 30 / 15, R3 25 / 12: the neighbourhood has 75 / 30, so R1's 3 = 30 − 15 − 12 unless
#     R2's or R3's Q1 share is masked too (secondary suppression).
#   in QPV, neighbourhood QN1: R4 14 / 12 (its complement 14 − 12 = 2 non-Q1 households:
#     primary), R5 40 / 20; the neighbourhood has 54 / 32, so R4's complement
#     2 = (54 − 32) − (40 − 20) unless R5's share is masked too.
RESIDENCES = (
    ("R1", "HQPV-1", False, 20.0, 3.0),
    ("R2", "HQPV-1", False, 30.0, 15.0),
    ("R3", "HQPV-1", False, 25.0, 12.0),
    ("R4", "QN1", True, 14.0, 12.0),
    ("R5", "QN1", True, 40.0, 20.0),
)


def _residences(strategy: str) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for rid, hood, qpv, households, q1 in RESIDENCES:
        rows.append(
            {
                "residence": len(rows),
                "year": BASE,
                "residence_id": rid,
                "neighbourhood": hood,
                "in_qpv": qpv,
                "dwellings": households + 1,
                "households": households,
                "vacant": 1.0,
                "q1_households": q1,
                "q1_share": q1 / households,
                "q1_share_low": q1 / households,
                "q1_share_high": q1 / households,
            }
        )
    # The projected year: R1 holds 4.5 households on average over the replicates (masked, with
    # its interval), the others as in the base year.
    for k, (rid, hood, qpv, households, q1) in enumerate(RESIDENCES):
        mean = 4.5 if rid == "R1" else households
        q1_mean = 0.0 if rid == "R1" else q1
        rows.append(
            {
                "residence": k,
                "year": YEAR,
                "residence_id": rid,
                "neighbourhood": hood,
                "in_qpv": qpv,
                "dwellings": households + 1,
                "households": mean,
                "vacant": households + 1 - mean,
                "q1_households": q1_mean,
                "q1_share": q1_mean / mean,
                "q1_share_low": 0.0 if rid == "R1" else q1_mean / mean,
                "q1_share_high": 0.2 if rid == "R1" else q1_mean / mean,
                "households_low": 3.0 if rid == "R1" else mean,
                "households_high": 6.0 if rid == "R1" else mean,
            }
        )
    return pd.DataFrame(rows).assign(strategy=strategy)


def _neighbourhoods(residences: pd.DataFrame) -> pd.DataFrame:
    sums = (
        residences.groupby(["strategy", "year", "neighbourhood", "in_qpv"], as_index=False)[
            ["households", "q1_households"]
        ]
        .sum()
        .assign(q1_share=lambda f: f["q1_households"] / f["households"])
    )
    return sums


def _territory(hoods: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (strategy, year), part in hoods.groupby(["strategy", "year"]):
        out = part.loc[~part["in_qpv"]]
        inside = part.loc[part["in_qpv"]]
        rows.append(
            {
                "strategy": strategy,
                "year": year,
                "households": part["households"].sum(),
                "q1_share": part["q1_households"].sum() / part["households"].sum(),
                "q1_share_outside_qpv": out["q1_households"].sum() / out["households"].sum(),
                "q1_share_in_qpv": inside["q1_households"].sum() / inside["households"].sum(),
            }
        )
    return pd.DataFrame(rows)


# The projected year's ledger: 129 households at 1 January (the base year's), 20 entrants from
# outside the social stock, 3 departures by sale to a tenant (primary), 113.5 at the end (the
# projected year's residences: 4.5 + 30 + 25 + 14 + 40), so 129 + 20 − 113.5 − 3 = 32.5 other
# departures; the 3 sales are recovered from the four other cells unless one of them is masked
# too.
LEDGER = {
    "year": float(YEAR),
    "households_start": 129.0,
    "new_households": 20.0,
    "exits": 32.5,
    "exits_sale": 3.0,
    "households_end": 113.5,
}


def _tables() -> dict[str, pd.DataFrame]:
    residences = pd.concat([_residences("0"), _residences("1")], ignore_index=True)
    hoods = _neighbourhoods(residences)
    return {
        "residences": residences,
        "neighbourhoods": hoods,
        "territory": _territory(hoods),
        "ledger": pd.DataFrame([{**LEDGER, "strategy": "0"}]),
    }


def _cell(frame: pd.DataFrame, column: str, **where: Any) -> Any:
    keep = pd.Series(True, index=frame.index)
    for key, value in where.items():
        keep &= frame[key] == value
    (value,) = frame.loc[keep, column].tolist()
    return value


def _masked(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def test_a_residence_with_three_q1_households_is_masked_and_not_recoverable() -> None:
    tables = _tables()
    published = protect_projection(tables, BASE, THRESHOLD).tables
    res = published["residences"]

    def share(rid: str, strategy: str = "0", year: int = BASE) -> Any:
        return _cell(res, "q1_share", residence_id=rid, strategy=strategy, year=year)

    # Primary: R1's 3 Q1 households and R4's 2 non-Q1 households (its complement).
    assert _masked(share("R1"))
    assert _masked(_cell(res, "q1_households", residence_id="R1", strategy="0", year=BASE))
    assert _masked(share("R4"))
    # Secondary: one more residence of each neighbourhood, else the neighbourhood's published
    # share gives the cell back (30 − 15 − 12 = 3 and (54 − 32) − (40 − 20) = 2).
    assert _masked(share("R2")) or _masked(share("R3"))
    assert _masked(share("R5"))
    # The neighbourhoods' shares stay (30 of 75 and 32 of 54, complements 45 and 22), and the
    # households (all at least 11) are published.
    hoods = published["neighbourhoods"]
    assert _cell(hoods, "q1_share", neighbourhood="HQPV-1", strategy="0", year=BASE) == 30 / 75
    assert _cell(hoods, "q1_share", neighbourhood="QN1", strategy="0", year=BASE) == 32 / 54
    assert not res.loc[res["year"] == BASE, "households"].isna().any()
    # What a reader of the published tables can compute: no small count, no masked count.
    assert audit_projection(published, BASE, THRESHOLD) == []
    # Without the secondary suppression (primary only), the audit finds R1's 3 Q1 households
    # by subtraction from the neighbourhood: the check can fail.
    leaky = {name: frame.copy() for name, frame in tables.items()}
    r1 = (leaky["residences"]["residence_id"] == "R1") & (leaky["residences"]["year"] == BASE)
    leaky["residences"].loc[r1, ["q1_share", "q1_households"]] = float("nan")
    r4 = (leaky["residences"]["residence_id"] == "R4") & (leaky["residences"]["year"] == BASE)
    leaky["residences"].loc[r4, ["q1_share", "q1_households"]] = float("nan")
    found = audit_projection(leaky, BASE, THRESHOLD)
    assert any("households:q1" in f.message and f.value == 3 for f in found)


def test_the_observed_year_is_one_publication_for_every_strategy() -> None:
    # The base year is the same observed occupancy in each strategy: masked alike, so that a
    # cell masked in one strategy's table is not shown in another's.
    published = protect_projection(_tables(), BASE, THRESHOLD).tables["residences"]
    base = published.loc[published["year"] == BASE]
    one = base.loc[base["strategy"] == "0", "q1_share"].isna().tolist()
    two = base.loc[base["strategy"] == "1", "q1_share"].isna().tolist()
    assert one == two and any(one)


def test_a_mean_over_replicates_below_the_threshold_is_masked_with_its_interval() -> None:
    # R1 holds 4.5 households on average in the projected year (0 < 4.5 < 11): masked, with
    # its interval [3 ; 6], its share, its vacant dwellings (dwellings − households).
    res = protect_projection(_tables(), BASE, THRESHOLD).tables["residences"]
    where = {"residence_id": "R1", "strategy": "0", "year": YEAR}
    for column in (
        "households",
        "households_low",
        "households_high",
        "q1_share",
        "q1_share_low",
        "q1_share_high",
        "vacant",
    ):
        assert _masked(_cell(res, column, **where)), column
    # The dwellings are published (CCH art. R411-4, parameter secret_statistique.logements).
    assert _cell(res, "dwellings", **where) == 21.0


def test_the_ledger_identity_does_not_give_back_a_masked_departure() -> None:
    ledger = protect_projection(_tables(), BASE, THRESHOLD).tables["ledger"]
    row = ledger.iloc[0]
    assert _masked(row["exits_sale"])
    # 129 + 20 = 113.5 + 32.5 + 3: one of the four other cells is masked too.
    others = ("households_start", "new_households", "exits", "households_end")
    assert sum(_masked(row[c]) for c in others) >= 1


def test_the_published_tables_keep_their_columns() -> None:
    tables = _tables()
    published = protect_projection(tables, BASE, THRESHOLD).tables
    for name, frame in tables.items():
        assert list(published[name].columns) == list(frame.columns)
        assert len(published[name]) == len(frame)


def test_dwellings_are_protected_only_when_the_parameter_asks() -> None:
    # R2 has 31 dwellings, 30 households and 1 vacant dwelling in the base year: published as a
    # count of dwellings by default (CCH art. R411-4), masked (1 < 11) with
    # secret_statistique.logements true.
    where = {"residence_id": "R2", "strategy": "0", "year": BASE}
    default = protect_projection(_tables(), BASE, THRESHOLD).tables["residences"]
    assert _cell(default, "vacant", **where) == 1.0
    strict = protect_projection(_tables(), BASE, THRESHOLD, with_dwellings=True).tables
    assert _masked(_cell(strict["residences"], "vacant", **where))
    assert _cell(strict["residences"], "dwellings", **where) == 31.0
    assert audit_projection(strict, BASE, THRESHOLD, with_dwellings=True) == []


# ---------------------------------------------------------------------------------------------
# The relocation table, protected in the same pass as the ledger
# ---------------------------------------------------------------------------------------------


def _relocation(rows: list[dict[str, float]]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    for share, part in (
        ("share_outside_qpv", "rehoused_outside_qpv"),
        ("share_recent", "rehoused_recent"),
    ):
        if part in table:
            table[share] = table[part] / table["rehoused"].where(table["rehoused"] > 0)
    return table.assign(strategy="0")


def test_small_counts_of_the_relocation_table_are_masked_with_partners() -> None:
    table = _relocation(
        [
            {"year": 2025.0, "waiting_start": 0.0, "to_relocate": 0.0, "rehoused": 0.0,
             "rehoused_planned": 0.0, "rehoused_outside_qpv": 0.0, "left": 0.0,
             "waiting_end": 0.0},
            {"year": 2026.0, "waiting_start": 0.0, "to_relocate": 45.0, "rehoused": 19.0,
             "rehoused_planned": 19.0, "rehoused_outside_qpv": 12.0, "left": 5.0,
             "waiting_end": 21.0},
            {"year": 2027.0, "waiting_start": 21.0, "to_relocate": 0.0, "rehoused": 8.0,
             "rehoused_planned": 8.0, "rehoused_outside_qpv": 8.0, "left": 0.0,
             "waiting_end": 13.0},
        ]
    )  # fmt: skip
    published = protect_projection({"relocation": table}, BASE, THRESHOLD).tables
    out = published["relocation"].set_index("year")
    # The rehoused by the planner (all of them here) would give the masked rehoused back: not
    # published.
    assert "rehoused_planned" not in out.columns
    masked = out.isna()
    # 2026: 5 households left the stock (< 11): masked; 0 + 45 = 19 + 5 + 21 would give it back
    # from the households still waiting, masked too. 12 of the 19 rehoused outside QPV leaves
    # 7 (< 11) inside: the count outside QPV and its share are masked.
    assert masked.loc[2026.0, "left"] and masked.loc[2026.0, "waiting_end"]
    assert masked.loc[2026.0, "rehoused_outside_qpv"] and masked.loc[2026.0, "share_outside_qpv"]
    assert not masked.loc[2026.0, "to_relocate"] and not masked.loc[2026.0, "rehoused"]
    # 2027: 8 rehoused (< 11) masked; the 21 waiting at 1 January are the 21 waiting at
    # 31 December 2026: masked in both rows.
    assert masked.loc[2027.0, "rehoused"] and masked.loc[2027.0, "waiting_start"]
    # Zeros are published (the share of no relocation is undefined).
    assert not masked.loc[2025.0].drop("share_outside_qpv").any()
    assert audit_projection(published, BASE, THRESHOLD) == []


#: One projected year (2025) of a strategy that relocates: 40 households newly to relocate, 30
#: rehoused (18 outside QPV, 15 in new or recent dwellings), 3 left the stock, 7 still waiting
#: at 31 December (0 + 40 = 30 + 3 + 7); the ledger's 36 attributions of the year include the
#: same 30 relocations.
RELOCATION_2025 = {
    "year": float(YEAR),
    "waiting_start": 0.0,
    "to_relocate": 40.0,
    "rehoused": 30.0,
    "rehoused_planned": 30.0,
    "rehoused_outside_qpv": 18.0,
    "rehoused_recent": 15.0,
    "left": 3.0,
    "waiting_end": 7.0,
}


def test_the_relocation_table_and_the_ledger_are_protected_in_one_pass() -> None:
    tables = {
        "relocation": _relocation([RELOCATION_2025]),
        "ledger": pd.DataFrame(
            [{"year": float(YEAR), "attributions": 36.0, "relocations": 30.0, "strategy": "0"}]
        ),
    }
    published = protect_projection(tables, BASE, THRESHOLD).tables
    relocation = published["relocation"].iloc[0]
    ledger = published["ledger"].iloc[0]
    # By hand. Primary: 3 left and 7 waiting (< 11), masked; 0 + 40 = 30 + 3 + 7 gives only
    # their sum (10), not either. In the ledger, 36 attributions of which 30 relocations leave
    # 6 (< 11) other attributions: one of the two is masked, the relocations (30, cheaper than
    # the 36 attributions, a total and a denominator). They are the table's rehoused: masked
    # there too, in the same pass, with the two shares (their denominator).
    assert _masked(ledger["relocations"]) and ledger["attributions"] == 36.0
    for column in ("rehoused", "share_outside_qpv", "share_recent", "left", "waiting_end"):
        assert _masked(relocation[column]), column
    # The parts of the rehoused stay published: 18 and 15 give neither the 30 rehoused (their
    # complements, 12 and 15, are not published) nor the 6 other attributions. The previous
    # two passes masked them too (every column of the rehoused where the other table masked
    # the rehoused): one pass masks 2 counts fewer here.
    assert relocation["rehoused_outside_qpv"] == 18.0 and relocation["rehoused_recent"] == 15.0
    assert relocation["waiting_start"] == 0.0 and relocation["to_relocate"] == 40.0
    assert "rehoused_planned" not in published["relocation"].columns
    assert audit_projection(published, BASE, THRESHOLD) == []
    # The audit reads both tables together: the ledger's relocations masked but the table's
    # rehoused shown give the 6 other attributions back (36 − 30).
    leaky = {name: frame.copy() for name, frame in published.items()}
    leaky["relocation"]["rehoused"] = 30.0
    found = audit_projection(leaky, BASE, THRESHOLD)
    assert any(f.value == 6 for f in found), found


def test_the_relocation_table_alone_keeps_its_rehoused() -> None:
    # Without the ledger's 6 other attributions, the same table masks only the 3 households
    # that left and the 7 still waiting (their sum, 10, is all the year's identity gives).
    published = protect_projection({"relocation": _relocation([RELOCATION_2025])}, BASE, THRESHOLD)
    row = published.tables["relocation"].iloc[0]
    assert _masked(row["left"]) and _masked(row["waiting_end"])
    shown = ("waiting_start", "to_relocate", "rehoused", "rehoused_outside_qpv", "rehoused_recent")
    assert [row[c] for c in shown] == [0.0, 40.0, 30.0, 18.0, 15.0]
    assert row["share_outside_qpv"] == 18 / 30 and row["share_recent"] == 15 / 30
