"""A hand-built national long table of three EPCIs (shared by the summary and report tests);
the expected values are computed by hand in the comments."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mixite.vocabulary import NATIONAL_COLUMNS

A = {"epci": "200000001", "epci_name": "CA Alpha", "region": "24",
     "region_name": "Centre-Val de Loire", "dwellings": 1000}  # fmt: skip
B = {"epci": "200000002", "epci_name": "CA Bêta", "region": "24",
     "region_name": "Centre-Val de Loire", "dwellings": 6000}  # fmt: skip
C = {"epci": "200000003", "epci_name": "CU Gamma", "region": "11",
     "region_name": "Île-de-France", "dwellings": 60000}  # fmt: skip


def _short(target: float, den: float, num: float) -> float:
    return float(max(0, math.ceil(target * den - 1e-9) - num))


def row(ident: dict[str, Any], task: str, level: str, group: str, indicator: str, den: float,
        num: float, target: float = np.nan, scenario: str = "", detail: str | None = None,
        ) -> dict[str, Any]:  # fmt: skip
    share = num / den if den else np.nan
    out = {c: None for c in NATIONAL_COLUMNS}
    out.update(ident)
    out.update(
        task=task, scenario=scenario, level=level, group=group, indicator=indicator,
        denominator=float(den), numerator=float(num), share=share, target=target,
        share_low=share, share_high=share,
        shortfall=np.nan if np.isnan(target) else _short(target, den, num), detail=detail,
    )  # fmt: skip
    return out


def quotas(ident: dict[str, Any], q1: tuple[int, int], non_q1: tuple[int, int],
           prio: tuple[int, int], bound: list[tuple[str, str, int, int]]) -> list[dict[str, Any]]:  # fmt: skip
    e = ident["epci"]
    rows = [
        row(ident, "quotas", "epci", e, "q1_hors_qpv", *q1, target=0.25),
        row(ident, "quotas", "epci", e, "non_q1_en_qpv", *non_q1, target=0.5),
        row(ident, "quotas", "epci", e, "prioritaires", *prio, target=0.25, detail="descriptif"),
    ]
    for level, group, den, num in bound:
        rows.append(row(ident, "quotas", level, group, "prioritaires", den, num, target=0.25))
    # the State's contingent: descriptive only, never part of the verdict
    rows.append(row(ident, "quotas", "reservataire", "etat_prioritaire", "prioritaires", 20, 2,
                    target=0.25, detail="descriptif"))  # fmt: skip
    return rows


def national_rows() -> pd.DataFrame:
    """Three EPCIs: observed quotas, diagnostic (room for manoeuvre), two simulated scenarios."""
    data = []
    # A: Q1 12/40 = 30 % (⌈10⌉ − 12 < 0: met); non-Q1 8/20 (⌈10⌉ − 8 = 2: not met);
    # priority: Action Logement 3/10 (⌈2.5⌉ = 3: met), landlord's own 2/8 (⌈2⌉ = 2: met) → met
    data += quotas(A, (40, 12), (20, 8), (60, 20),
                   [("reservataire", "action_logement", 10, 3), ("bailleur_non_reserve", "L1", 8, 2)])  # fmt: skip
    # B: Q1 20/100 (⌈25⌉ − 20 = 5: not met); non-Q1 30/50 (met); priority: commune 2/12 (⌈3⌉ − 2 = 1)
    data += quotas(B, (100, 20), (50, 30), (80, 20), [("reservataire", "commune", 12, 2)])
    # C: no attribution outside QPV (no verdict); non-Q1 5/10 (met); no bound partner
    data += quotas(C, (0, 0), (10, 5), (10, 3), [])
    # diagnostic: room for manoeuvre (attainable) beside the achieved share
    for ident, att, reason, ach in (
        (A, (100, 90), "atteignable", (40, 12)),  # achieved 30 % ≥ 25 %: met
        (B, (100, 15), "loyer", (100, 20)),  # attainable 15 % < 25 %: out of reach
        (C, (10, 5), "atteignable", (30, 3)),  # achieved 10 %, attainable 50 %: room
    ):
        e = ident["epci"]
        data.append(row(ident, "diagnostic", "epci", e, "q1_hors_qpv_atteignable", *att,
                        target=0.25, detail=reason))  # fmt: skip
        data.append(row(ident, "diagnostic", "epci", e, "q1_hors_qpv", *ach, target=0.25))
        data.append(row(ident, "diagnostic", "epci", e, "parc_en_qpv", ident["dwellings"], 300))
    # simulation: A 25 % → 31 %, B 18 % → 20 %
    for ident, base, other in ((A, (100, 25), (100, 31)), (B, (100, 18), (100, 20))):
        e = ident["epci"]
        data.append(row(ident, "simulation", "epci", e, "q1_hors_qpv", *base, target=0.25,
                        scenario="Référence"))  # fmt: skip
        data.append(row(ident, "simulation", "epci", e, "q1_hors_qpv", *other, target=0.25,
                        scenario="Fléchage 30 %"))  # fmt: skip
    return pd.DataFrame(data, columns=list(NATIONAL_COLUMNS))
