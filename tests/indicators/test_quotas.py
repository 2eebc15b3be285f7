"""Legal quota indicators, Q1 threshold lookup and flux ledger on 13 hand-made attributions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mixite.errors import ParameterError
from mixite.household import q1_status
from mixite.indicators.quotas import (
    flux_ledger,
    prefect_ceilings,
    q1_threshold,
    quota_indicators,
    reservataire_groups,
    shortfall,
)
from mixite.params import Parameters
from mixite.schema import TABLES

from .indicator_frames import attributions

THRESHOLD = 9000.0  # €/year/UC: a single person is Q1 below 750 €/month

# id, landlord, commune, in QPV, monthly resources, NPNRU, DALO, priority, reservataire
ROWS = [
    ("a1", "A", "35238", False, 700.0, False, False, False, "action_logement"),  # Q1
    ("a2", "A", "35238", False, 2000.0, False, True, False, "action_logement"),
    ("a3", "A", "35238", False, 2000.0, True, False, False, "action_logement"),  # NPNRU
    ("a4", "A", "35238", False, 2000.0, False, True, False, "bailleur"),
    ("a5", "B", "35051", False, 2000.0, False, False, False, "commune"),
    ("a6", "B", "35051", False, 2000.0, False, False, False, "commune"),
    ("a7", "B", "35051", False, 750.0, False, False, False, "commune"),  # 9000 €/UC: boundary
    ("a8", "B", "35051", False, 2000.0, False, False, False, "commune"),
    ("a9", "A", "35238", True, 700.0, False, True, False, "etat_prioritaire"),  # Q1
    ("a10", "A", "35238", True, 2000.0, False, False, True, "etat_prioritaire"),
    ("a11", "B", "35051", True, 600.0, False, False, True, "etat_prioritaire"),  # Q1
    ("a12", "B", "35051", True, 500.0, False, False, True, "etat_prioritaire"),  # Q1
]


def _attributions() -> pd.DataFrame:
    rows = [
        dict(zip(("attribution_id", "landlord_id", "commune", "in_qpv", "monthly_resources",
                  "npnru_relocation", "dalo", "priority", "reservataire"), r, strict=True))
        for r in ROWS
    ]  # fmt: skip
    # An attribution of 2023 that must not be counted in 2024.
    rows.append({"attribution_id": "a0", "landlord_id": "B", "lease_date": "2023-12-31",
                 "monthly_resources": 100.0})  # fmt: skip
    return attributions(rows)


def _get(out: pd.DataFrame, level: str, group: str, indicator: str) -> pd.Series:
    sel = out[(out["level"] == level) & (out["group"] == group) & (out["indicator"] == indicator)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_q1_outside_qpv_at_each_level(params: Parameters) -> None:
    out = quota_indicators(_attributions(), 2024, THRESHOLD, params=params)
    # Territory, outside QPV: 8 attributions; a1 (Q1) + a3 (NPNRU) = 2 → 25 %, shortfall
    # ceil(0.25 × 8) − 2 = 0.
    t = _get(out, "epci", "epci", "q1_hors_qpv")
    assert (t["denominator"], t["numerator"], t["share"], t["shortfall"]) == (8, 2, 0.25, 0)
    # Landlord B: 0 of 4 → shortfall ceil(1.0) − 0 = 1; p = P(X ≤ 0 | n=4, p=.25) = .75⁴.
    b = _get(out, "bailleur", "B", "q1_hors_qpv")
    assert (b["numerator"], b["shortfall"]) == (0, 1)
    assert b["p_value"] == pytest.approx(0.75**4)
    assert not b["significant_shortfall"]  # 0.316 > 0.05: could be noise with 4 attributions
    assert _get(out, "bailleur", "A", "q1_hors_qpv")["share"] == 0.5
    assert _get(out, "commune", "35051", "q1_hors_qpv")["numerator"] == 0
    assert bool(t["target_applies"]) and not bool(
        _get(out, "commune", "35051", "q1_hors_qpv")["target_applies"]
    )


def test_non_q1_in_qpv(params: Parameters) -> None:
    out = quota_indicators(_attributions(), 2024, THRESHOLD, params=params)
    # In QPV: a9 a10 a11 a12; non-Q1 = a10 → 1/4, target 50 %, shortfall ceil(2) − 1 = 1.
    t = _get(out, "epci", "epci", "non_q1_en_qpv")
    assert (t["denominator"], t["numerator"], t["target"], t["shortfall"]) == (4, 1, 0.5, 1)
    b = _get(out, "bailleur", "B", "non_q1_en_qpv")
    assert (b["denominator"], b["numerator"], b["shortfall"]) == (2, 0, 1)


def test_priority_share_per_reservataire(params: Parameters) -> None:
    out = quota_indicators(
        _attributions(), 2024, THRESHOLD, levels=("reservataire", "bailleur_non_reserve"),
        params=params,
    )  # fmt: skip
    # Action Logement: a1 a2 a3, DALO a2 → 1/3; ceil(0.75) − 1 = 0.
    al = _get(out, "reservataire", "action_logement", "prioritaires")
    assert (al["denominator"], al["numerator"], al["shortfall"]) == (3, 1, 0)
    # The commune of a5–a8 (its identifier taken from the dwelling): none priority → shortfall
    # ceil(1) = 1. There is no pooled « commune » row.
    assert _get(out, "reservataire", "commune:35051", "prioritaires")["shortfall"] == 1
    assert "commune" not in set(out["group"])
    # The State's own contingent is not subject to the 25 % rule.
    assert not bool(_get(out, "reservataire", "etat_prioritaire", "prioritaires")["target_applies"])
    # Landlord A's non-reserved dwellings: a4 (DALO) → 1/1; no « bailleur » reservataire row.
    nr = _get(out, "bailleur_non_reserve", "A", "prioritaires")
    assert (nr["denominator"], nr["numerator"], bool(nr["target_applies"])) == (1, 1, True)
    assert set(out.loc[out["level"] == "bailleur_non_reserve", "indicator"]) == {"prioritaires"}
    assert not out["group"].astype(str).str.startswith("bailleur").any()


def test_four_reservataires_with_ten_attributions_owe_three_each(params: Parameters) -> None:
    # docs/droit.md §2.3: each reservataire owes 25 % of ITS OWN attributions: ceil(0.25 × 10)
    # = 3 each (not 10 spread as 3, 3, 2, 2).
    rows = [
        {"attribution_id": f"{c}-{i}", "reservataire": "commune", "reservataire_id": c,
         "commune": c}
        for c in ("35001", "35002", "35003", "35004")
        for i in range(10)
    ]  # fmt: skip
    out = quota_indicators(
        attributions(rows), 2024, THRESHOLD, levels=("reservataire",), params=params
    )
    prio = out[out["indicator"] == "prioritaires"].set_index("group")
    assert sorted(prio.index) == [
        "commune:35001",
        "commune:35002",
        "commune:35003",
        "commune:35004",
    ]
    assert prio["objective"].tolist() == [3, 3, 3, 3]
    assert prio["shortfall"].tolist() == [3, 3, 3, 3]


def test_reservataire_identity_from_the_row_or_the_dwelling() -> None:
    frame = attributions(
        [
            {"attribution_id": "x1", "reservataire": "commune", "commune": "35238"},
            {"attribution_id": "x2", "reservataire": "commune", "reservataire_id": "35051"},
            {"attribution_id": "x3", "reservataire": "bailleur", "landlord_id": "222222222"},
            {"attribution_id": "x4", "reservataire": "epci"},
            {"attribution_id": "x5", "reservataire": "action_logement"},
            {"attribution_id": "x6", "reservataire": "departement", "commune": "97411"},
        ]
    )
    assert reservataire_groups(frame, "200000000").tolist() == [
        "commune:35238", "commune:35051", "bailleur:222222222", "epci:200000000",
        "action_logement", "departement:974",
    ]  # fmt: skip


def _commitments(rows: list[tuple[str, str, str, float, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"level": lv, "group": g, "indicator": ind, "rate": r,
             "valid_from": pd.Timestamp(start), "valid_to": pd.Timestamp(end) if end else pd.NaT,
             "act": f"acte {g}"}
            for lv, g, ind, r, start, end in rows
        ]
    )  # fmt: skip


def test_each_partner_is_judged_against_its_own_commitment(params: Parameters) -> None:
    commitments = _commitments(
        [
            ("bailleur", "B", "q1_hors_qpv", 0.30, "2024-01-01", None),
            # Expired before the end of 2024: not in force on 31 December.
            ("bailleur", "A", "q1_hors_qpv", 0.40, "2022-01-01", "2023-12-31"),
            ("epci", "epci", "non_q1_en_qpv", 0.40, "2023-01-01", "2025-12-31"),
            ("bailleur_non_reserve", "A", "prioritaires", 0.35, "2024-01-01", None),
        ]
    )
    out = quota_indicators(
        _attributions(), 2024, THRESHOLD, params=params, commitments=commitments,
        levels=("epci", "bailleur", "bailleur_non_reserve"),
    )  # fmt: skip
    b = _get(out, "bailleur", "B", "q1_hors_qpv")
    # B: 0 Q1 of 4 outside QPV; its CIA commits it to 30 %: ceil(0.3 × 4) = 2 missing.
    assert (b["target"], b["target_national"], b["target_source"]) == (0.30, 0.25, "engagement")
    assert (b["objective"], b["shortfall"]) == (2, 2)
    assert b["target_reference"] == "acte B"
    a = _get(out, "bailleur", "A", "q1_hors_qpv")
    assert (a["target"], a["target_source"]) == (0.25, "loi")
    # The orientations adapt the QPV objective for the territory and every landlord.
    for level, group in (("epci", "epci"), ("bailleur", "A"), ("bailleur", "B")):
        row = _get(out, level, group, "non_q1_en_qpv")
        assert (row["target"], row["target_source"]) == (0.40, "orientations")
    nr = _get(out, "bailleur_non_reserve", "A", "prioritaires")
    assert (nr["target"], nr["objective"]) == (0.35, 1)


def test_strict_or_not_at_the_threshold(params: Parameters) -> None:
    # a7: 12 × 750 / 1 UC = 9000 = threshold: Q1 only when « ≤ » is chosen.
    out = quota_indicators(_attributions(), 2024, THRESHOLD, levels=("epci",), params=params,
                           strict=False)  # fmt: skip
    assert _get(out, "epci", "epci", "q1_hors_qpv")["numerator"] == 3
    frame = _attributions().set_index("attribution_id")
    strict = q1_status(frame, THRESHOLD, "2024-12-31", params)
    assert not strict["a7"] and strict["a1"]


def test_q1_status_uses_consumption_units(params: Parameters) -> None:
    # Couple + two children under 14: UC = 1 + 0.5 + 2 × 0.3 = 2.1; 1500 €/month → 8571 €/UC.
    frame = attributions([{"attribution_id": "x", "household_size": 4, "adults": 2,
                           "persons_14plus": 2, "monthly_resources": 1500.0}])  # fmt: skip
    assert q1_status(frame, 8600.0, "2024-12-31", params).tolist() == [True]
    assert q1_status(frame, 8500.0, "2024-12-31", params).tolist() == [False]


def test_confidence_interval_matches_scipy(params: Parameters) -> None:
    out = quota_indicators(_attributions(), 2024, THRESHOLD, levels=("epci",), params=params)
    t = _get(out, "epci", "epci", "q1_hors_qpv")
    ci = stats.binomtest(2, 8).proportion_ci(0.95, method="exact")
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_a_large_gap_is_significant(params: Parameters) -> None:
    # 40 attributions outside QPV, none to Q1: P(X ≤ 0 | 40, .25) = .75⁴⁰ ≈ 1e-5.
    frame = attributions([{"attribution_id": f"x{i}"} for i in range(40)])
    out = quota_indicators(frame, 2024, THRESHOLD, levels=("epci",), params=params)
    t = _get(out, "epci", "epci", "q1_hors_qpv")
    assert t["p_value"] == pytest.approx(0.75**40)
    assert bool(t["significant_shortfall"]) and t["shortfall"] == 10


def test_shortfall_rounding() -> None:
    # ceil(0.25 × 4) = 1 exactly (no float drift); ceil(0.25 × 5) = 2; never negative.
    np.testing.assert_array_equal(shortfall([0.25, 0.25, 0.5], [4, 5, 4], [0, 0, 3]), [1, 2, 0])


def test_q1_threshold_from_overrides_then_parameters(params: Parameters) -> None:
    territory = {"q1_reference_epci": "200000000", "q1_overrides": json.dumps({"2024": 8800})}
    assert q1_threshold(territory, 2024, params) == 8800.0
    # No override for 2023: the arrêté value in force on 31/12/2023 (test parameters: 9000).
    assert q1_threshold(territory, 2023, params) == 9000.0
    frame = pd.DataFrame([{"q1_reference_epci": "200000000", "q1_overrides": None}])
    assert q1_threshold(frame, 2024, params) == 9500.0
    with pytest.raises(ParameterError, match="999999999"):
        q1_threshold({"q1_reference_epci": "999999999"}, 2024, params)


def test_flux_ledger_nets_withdrawn_dwellings_per_departement(params: Parameters) -> None:
    # Landlord A: eight leases in Rennes (35238, département 35), two in Brest (29019).
    rows = [
        ("A1", "35238", "action_logement", False, False),
        ("A2", "35238", "action_logement", False, False),
        ("A3", "35238", "action_logement", True, False),  # internal mutation: withdrawn
        ("A4", "35238", "bailleur", False, True),  # NPNRU relocation: withdrawn
        ("A5", "35238", "etat_prioritaire", False, False),
        ("A6", "35238", "etat_prioritaire", False, False),
        ("A7", "35238", "bailleur", False, False),
        ("A8", "35238", "commune", False, False),
        ("B1", "29019", "action_logement", False, False),
        ("B2", "29019", "bailleur", False, False),
    ]
    frame = attributions(
        [
            {"attribution_id": i, "landlord_id": "A", "commune": c, "reservataire": r,
             "is_mutation": m, "npnru_relocation": n}
            for i, c, r, m, n in rows
        ]
    )  # fmt: skip
    conventions = pd.DataFrame(
        [
            ("A", "action_logement", None, 0.3, None),
            ("A", "etat_prioritaire", None, 0.25, None),
            ("A", "commune", "35238", 0.2, None),  # share of A's flow in Rennes only
        ],
        columns=TABLES["reservations"].names,
    )
    out = flux_ledger(frame, conventions, 2024, params).set_index(["departement", "reservataire"])
    # Département 35: 8 leases, 2 withdrawn → net flow 6. Action Logement 0.3 × 6 = 1.8 due,
    # 2 delivered (A3 is withdrawn); the État 1.5 due, 2 delivered; Rennes 0.2 × 6 = 1.2 due,
    # 1 delivered; A's own stock keeps 6 − 4.5 = 1.5, delivered 1 (A4 is withdrawn).
    al = out.loc[("35", "action_logement")]
    assert (al["attributions"], al["withdrawn"], al["flow"], al["delivered"]) == (8, 2, 6, 2)
    assert al["entitled"] == pytest.approx(1.8)
    assert out.loc[("35", "etat_prioritaire"), "balance"] == pytest.approx(0.5)
    rennes = out.loc[("35", "commune:35238")]
    assert (rennes["commune"], rennes["delivered"]) == ("35238", 1)
    assert rennes["entitled"] == pytest.approx(1.2)
    own = out.loc[("35", "bailleur:A")]
    assert own["entitled"] == pytest.approx(1.5) and own["delivered"] == 1
    # Département 29: 2 leases, none withdrawn; Rennes's convention does not apply there:
    # Action Logement 0.6, the État 0.5, the landlord 2 − 1.1 = 0.9.
    assert ("29", "commune:35238") not in out.index
    assert out.loc[("29", "action_logement"), "entitled"] == pytest.approx(0.6)
    assert out.loc[("29", "bailleur:A"), "entitled"] == pytest.approx(0.9)
    # The entitlements of a landlord in a département add up to its net flow.
    np.testing.assert_allclose(out.groupby(level=0)["entitled"].sum().sort_index(), [2.0, 6.0])


def test_prefect_shares_are_ceilings(params: Parameters) -> None:
    conventions = pd.DataFrame(
        [
            ("A", "etat_prioritaire", None, 0.28, None),
            ("A", "etat_agents", None, 0.04, None),  # 0.32 in all: above 30 %
            ("B", "etat_prioritaire", None, 0.25, None),
            ("B", "etat_agents", None, 0.05, None),  # 0.30 and 0.05: at the ceilings
            ("C", "etat_prioritaire", None, 0.10, None),
            ("C", "etat_agents", None, 0.06, None),  # agents above 5 %
            ("D", "action_logement", None, 0.30, None),  # no préfet share: within the law
        ],
        columns=TABLES["reservations"].names,
    )
    out = prefect_ceilings(conventions, pd.Timestamp("2024-12-31").date(), params)
    assert out.set_index("landlord_id")["within_ceilings"].to_dict() == {
        "A": False, "B": True, "C": False, "D": True,
    }  # fmt: skip
    assert set(out["ceiling_state"]) == {0.30} and set(out["ceiling_agents"]) == {0.05}


def test_year_without_arrete_asks_for_an_override(params: Parameters) -> None:
    # The test parameters start in 2023: 2022 has no arrêté value.
    with pytest.raises(ParameterError, match=r"seuil_q1: \{2022: valeur\}"):
        q1_threshold({"q1_reference_epci": "200000000"}, 2022, params)
