"""Roles of neighbourhoods: each rule on hand-made flows, and the observed flows of a store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixite.indicators.roles import (
    FLOW_COLUMNS,
    NEIGHBOURHOOD_PREFIX,
    neighbourhood_keys,
    neighbourhood_roles,
    observed_flows,
)
from mixite.vocabulary import NeighbourhoodRole


def _flows(rows: list[dict[str, float]]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    out.insert(0, "neighbourhood", [f"N{i}" for i in range(len(rows))])
    return out[["neighbourhood", *FLOW_COLUMNS]]


def _row(**values: float) -> dict[str, float]:
    # A neighbourhood like the territory: 100 households, 10 entrants (7 from outside, 3
    # mutations), 10 mutations out, 1000 years of stay (mean 10), 30 Q1 occupants, 2 Q1 entrants.
    base = {
        "households": 100.0,
        "entrants": 10.0,
        "entrants_external": 7.0,
        "mutations_in": 3.0,
        "mutations_out": 10.0,
        "stay_years_total": 1000.0,
        "q1_households": 30.0,
        "q1_entrants": 2.0,
    }
    return base | values


def test_each_role_on_hand_made_flows() -> None:
    flows = _flows(
        [
            _row(),  # the reference neighbourhood: nothing stands out
            _row(),
            _row(),
            # Reception: entries from outside 14/100, 1.74 times the territory's 58/720.
            _row(entrants=17.0, entrants_external=14.0),
            # Transit: many entries and mutations out.
            _row(entrants=16.0, entrants_external=11.0, mutations_in=5.0, mutations_out=20.0),
            # Stability: few entries, long stays.
            _row(entrants=4.0, entrants_external=3.0, mutations_in=1.0, stay_years_total=1500.0),
            # Relegation: Q1 entrants 6/10 against about 0.2, few mutations out.
            _row(q1_entrants=6.0, mutations_out=2.0),
            # Too small to classify.
            _row(households=20.0, entrants=2.0, entrants_external=2.0, mutations_in=0.0),
        ]
    )
    out = neighbourhood_roles(flows, 2025)
    # Territory: 7 × 100 + 20 = 720 households, 10 × 4 + 17 + 16 + 4 + 2 = 79 entrants, an
    # entry rate of 0.1097; neighbourhood 3: 17/100 → ratio 1.549.
    assert out.loc[3, "entry_ratio"] == pytest.approx((17 / 100) / (79 / 720))
    assert out["role"].tolist() == [
        NeighbourhoodRole.MIXED,
        NeighbourhoodRole.MIXED,
        NeighbourhoodRole.MIXED,
        NeighbourhoodRole.RECEPTION,
        NeighbourhoodRole.TRANSIT,
        NeighbourhoodRole.STABILITY,
        NeighbourhoodRole.RELEGATION,
        NeighbourhoodRole.UNCLASSED,
    ]


def test_without_mutations_out_the_stays_decide() -> None:
    # The diagnostic does not observe mutations out: relegation then needs long stays.
    rows = [_row(mutations_out=np.nan) for _ in range(4)]
    rows.append(_row(q1_entrants=6.0, mutations_out=np.nan, stay_years_total=1300.0))
    rows.append(_row(q1_entrants=6.0, mutations_out=np.nan))
    out = neighbourhood_roles(_flows(rows), 2025)
    assert out["mutation_out_ratio"].isna().all()
    assert out["role"].iloc[4] == NeighbourhoodRole.RELEGATION
    assert out["role"].iloc[5] == NeighbourhoodRole.MIXED


def test_neighbourhood_keys_and_observed_flows() -> None:
    dwellings = pd.DataFrame(
        {
            "dwelling_id": ["d1", "d2", "d3", "d4"],
            "commune": ["96001", "96001", "96001", "96008"],
            "in_qpv": [True, True, False, False],
            "qpv_code": ["QN09601M", "QN09601M", None, None],
            "iris": ["960010101", "960010101", "960010102", None],
        }
    )
    keys = neighbourhood_keys(dwellings, 2025)
    assert keys.tolist() == [
        "QN09601M",
        "QN09601M",
        NEIGHBOURHOOD_PREFIX + "96001",
        NEIGHBOURHOOD_PREFIX + "96008",
    ]
    households = pd.DataFrame(
        {
            "dwelling_id": ["d1", "d2", "d3"],
            # Entries: 2015-01-01 (10 years at 1/1/2025), 2024-07-02, 2023-01-01.
            "entry_date": pd.to_datetime(["2015-01-01", "2024-07-02", "2023-01-01"]),
            "household_size": [1, 1, 1],
            "adults": [1, 1, 1],
            "persons_14plus": [1, 1, 1],
            # Q1 threshold 10 000 €/UC: only the first household is below.
            "annual_resources": [9000.0, 20000.0, 30000.0],
        }
    )
    attributions = pd.DataFrame(
        {
            "dwelling_id": ["d2", None],
            "commune": ["96001", "96008"],
            "in_qpv": [True, False],
            "qpv_code": ["QN09601M", None],
            "lease_date": pd.to_datetime(["2024-07-02", "2024-03-01"]),
            "is_mutation": [False, True],
            "npnru_relocation": [False, False],
            "household_size": [1, 1],
            "adults": [1, 1],
            "persons_14plus": [1, 1],
            "monthly_resources": [700.0, 2000.0],  # 8 400 €/UC (Q1), 24 000 €/UC
        }
    )
    flows = observed_flows(households, dwellings, attributions, 2025, 10000.0).set_index(
        "neighbourhood"
    )
    qpv = flows.loc["QN09601M"]
    assert (qpv["households"], qpv["entrants"], qpv["entrants_external"]) == (2, 1, 1)
    assert qpv["q1_households"] == 1 and qpv["q1_entrants"] == 1
    # Stays: 10 years, and 183 days / 365.25.
    assert qpv["stay_years_total"] == pytest.approx(10.0 + 183 / 365.25, abs=0.01)
    other = flows.loc[NEIGHBOURHOOD_PREFIX + "96008"]
    # Its attribution has no dwelling: placed by its commune outside QPV.
    assert (other["households"], other["mutations_in"], other["entrants_external"]) == (0, 1, 0)
    assert flows["mutations_out"].isna().all()
    assert qpv["kind"] == "qpv" and other["kind"] == "commune"


def test_the_diagnostic_shows_the_roles(petite_store: object) -> None:
    from pathlib import Path

    from mixite.jobs.diagnostic import diagnostic
    from mixite.reports.tables import french_table
    from mixite.store import Store

    with Store(Path(str(petite_store))) as store:
        result = diagnostic(store, 2025)
    table = result.tables["roles_quartiers"]
    assert set(table["role"]) <= {r.value for r in NeighbourhoodRole}
    # Every dwelling's neighbourhood appears once; households add up to the occupancy survey's.
    assert table["neighbourhood"].is_unique
    french = french_table(table, result.names, lambda c: result.definition("roles_quartiers", c))
    shown = french.frame
    assert "Rôle du quartier" in shown.columns and "Quartier" in shown.columns
    assert all(" (hors QPV)" in q or "QPV" in q for q in shown["Quartier"])
    assert all("« Rôles des quartiers »" in text for text in french.definitions.values())
