"""Legal quota indicators, Q1 threshold lookup and flux ledger on 13 hand-made attributions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mixite.errors import ParameterError
from mixite.household import q1_status
from mixite.indicators.quotas import flux_ledger, q1_threshold, quota_indicators, shortfall
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
    # Commune: a5–a8, none priority → shortfall ceil(1) = 1.
    assert _get(out, "reservataire", "commune", "prioritaires")["shortfall"] == 1
    # The State's own contingent is not subject to the 25 % rule.
    assert not bool(_get(out, "reservataire", "etat_prioritaire", "prioritaires")["target_applies"])
    # Landlord A's non-reserved dwellings: a4 (DALO) → 1/1.
    nr = _get(out, "bailleur_non_reserve", "A", "prioritaires")
    assert (nr["denominator"], nr["numerator"], bool(nr["target_applies"])) == (1, 1, True)
    assert set(out.loc[out["level"] == "bailleur_non_reserve", "indicator"]) == {"prioritaires"}


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


def _reservations() -> pd.DataFrame:
    rows = [
        ("A", "action_logement", "al1", 0.1),
        ("A", "action_logement", "al2", 0.2),
        ("A", "etat_prioritaire", None, 0.25),
        ("B", "commune", "35051", 0.2),
        ("B", "etat_prioritaire", None, 0.3),
    ]
    return pd.DataFrame(rows, columns=TABLES["reservations"].names)


def test_flux_ledger(params: Parameters) -> None:
    out = flux_ledger(_attributions(), _reservations(), 2024).set_index(
        ["landlord_id", "reservataire"]
    )
    # Landlord A: flow 6 (a1–a4, a9, a10). Action Logement 0.1 + 0.2 = 0.3 → entitled 1.8,
    # delivered 3 (a1–a3), balance +1.2; non-reserved 1 − 0.55 = 0.45 → 2.7, delivered 1 (a4).
    al = out.loc[("A", "action_logement")]
    assert (al["flow"], al["entitled"], al["delivered"]) == (6, pytest.approx(1.8), 3)
    assert al["balance"] == pytest.approx(1.2)
    assert out.loc[("A", "bailleur"), "entitled"] == pytest.approx(2.7)
    assert out.loc[("A", "bailleur"), "balance"] == pytest.approx(-1.7)
    # Landlord B: flow 6; the non-reserved half got nothing: balance −3.
    assert out.loc[("B", "bailleur"), "balance"] == pytest.approx(-3.0)
    assert out.loc[("B", "commune"), "delivered"] == 4
    # Entitlements of a landlord add up to its flow.
    np.testing.assert_allclose(out.groupby(level=0)["entitled"].sum(), [6.0, 6.0])


def test_year_without_arrete_asks_for_an_override(params: Parameters) -> None:
    # The test parameters start in 2023: 2022 has no arrêté value.
    with pytest.raises(ParameterError, match=r"seuil_q1: \{2022: valeur\}"):
        q1_threshold({"q1_reference_epci": "200000000"}, 2022, params)
