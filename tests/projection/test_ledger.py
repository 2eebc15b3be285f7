"""Every household and every dwelling is accounted for every year (Hypothesis, random territories
and random strategies: deliveries, demolitions, sales, rehabilitations, rents, support)."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixite.allocation.scenario import load_scenario
from mixite.io import read_folder
from mixite.jobs.projection import check_plan
from mixite.projection.base import build_base
from mixite.projection.engine import IN_SERVICE, run_replicate
from mixite.projection.outputs import ledger_imbalance
from mixite.projection.strategy import (
    Attributions,
    Demolition,
    Offre,
    Reequilibrage,
    Rehabilitation,
    Relogement,
    Renouvellement,
    Strategy,
    StrategyPlan,
    Vente,
    parse_programme,
)
from mixite.synth import generate, size_profile

SCENARIO = Path(__file__).resolve().parents[2] / "exemples" / "scenarios" / "reference.yaml"


@lru_cache(maxsize=8)
def territory(seed: int, dwellings: int) -> dict[str, pd.DataFrame]:
    """A random synthetic territory read back through the real readers (canonical frames)."""
    folder = Path(tempfile.mkdtemp(prefix="mixite-ledger-"))
    generate(folder, np.random.default_rng(seed), size_profile(dwellings=dwellings), 2025)
    return read_folder(folder)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, pd.DataFrame], StrategyPlan, int]:
    frames = territory(draw(st.sampled_from([3, 5, 8])), draw(st.sampled_from([300, 500])))
    dw = frames["dwellings"]
    residences = sorted(dw["residence_id"].astype(str).unique())
    years = st.integers(2025, 2027)
    demolished = draw(st.lists(st.sampled_from(residences), max_size=2, unique=True))
    sold = draw(st.lists(st.sampled_from(residences), max_size=2, unique=True))
    rehabilitated = draw(st.lists(st.sampled_from(residences), max_size=1))
    communes = sorted(frames["communes"]["commune"].astype(str))
    landlords = sorted(dw["landlord_id"].astype(str).unique())
    qpv = sorted(dw["qpv_code"].dropna().astype(str).unique())
    rows = []
    for _ in range(draw(st.integers(0, 2))):
        rows.append(
            {
                "commune": draw(st.sampled_from(communes)),
                "annee_livraison": str(draw(years)),
                "residence": "Nouvelle",
                "bailleur": draw(st.sampled_from(landlords)),
                "financement": draw(st.sampled_from(["PLAI", "PLUS", "PLS"])),
                **{f"t{r}": str(draw(st.integers(0, 4))) for r in range(1, 5)},
                "t5": "1",
                "loyer_m2": draw(st.sampled_from(["5,5", "plafond de la convention"])),
                "qpv": draw(st.sampled_from(["", *qpv[:1]])),
            }
        )
    programme = parse_programme(pd.DataFrame(rows, dtype=object), "p.csv") if rows else None
    strategy = Strategy(
        nom="Hasard",
        attributions=Attributions(
            scenario=str(SCENARIO),
            preference_mutations=draw(st.sampled_from([0.0, 0.1])),
            preference_prioritaires=draw(st.sampled_from([0.0, 0.1])),
        ),
        offre=Offre(
            ventes=[
                Vente(residence=r, annee=draw(years), logements=draw(st.integers(1, 5)))
                for r in sold
            ]
        ),
        renouvellement=Renouvellement(
            demolitions=[Demolition(residence=r, annee=draw(years)) for r in demolished],
            rehabilitations=[
                Rehabilitation(residence=r, annee=draw(years), hausse_loyer=0.05)
                for r in rehabilitated
            ],
            # The priority rule or the relocation planner (with or without a rise of the reste
            # à charge: some households may wait).
            relogement=draw(
                st.sampled_from(
                    [
                        Relogement(),
                        Relogement(methode="planificateur"),
                        Relogement(methode="planificateur", hausse_reste_a_charge_max=50),
                    ]
                )
            ),
        ),
        loyers=[Reequilibrage(a_partir_de=2026, part_baisse_hors_qpv=0.5)]
        if draw(st.booleans())
        else [],
        accompagnement={2025: draw(st.integers(0, 30))},
    )
    scenario = load_scenario(SCENARIO)
    plan = (
        StrategyPlan(strategy, scenario, programme=programme)
        if programme is not None
        else (StrategyPlan(strategy, scenario))
    )
    return frames, plan, draw(st.integers(0, 2**16))


def check_state(state: Any, record: Any) -> dict[str, float]:
    """The invariants of a state at the end of a year; returns the year's counts."""
    d, h, p = state.d, state.h, state.p
    present = np.flatnonzero(h["present"])
    dwelling = h["dwelling"][present]
    # One dwelling per present household, one household per occupied dwelling, both ways.
    assert (dwelling >= 0).all()
    assert np.unique(dwelling).size == dwelling.size
    assert (d["occupant"][dwelling] == present).all()
    occupied = np.flatnonzero(d["occupant"] >= 0)
    assert occupied.size == present.size
    assert np.isin(d["status"][occupied], IN_SERVICE).all()
    # Households that left hold no dwelling; applications linked both ways.
    assert (h["dwelling"][~h["present"]] == -1).all()
    linked = np.flatnonzero(p["alive"] & (p["household"] >= 0))
    assert (h["application"][p["household"][linked]] == linked).all()
    assert h["present"][p["household"][linked]].all()
    if record is None:
        return {}
    counts = dict(record.counts)
    assert ledger_imbalance(pd.DataFrame([counts])).iloc[0] == 0
    # The households to relocate: waiting at 1 January + new = rehoused + left + waiting.
    reloc = record.relocation
    assert (
        reloc["waiting_start"] + reloc["to_relocate"]
        == reloc["rehoused"] + reloc["left"] + reloc["waiting_end"]
    )
    # Flows per neighbourhood add up to the year's attributions.
    assert record.flows["entrants"].sum() == counts["attributions"]
    assert (
        record.flows["entrants_external"].sum() + record.flows["mutations_in"].sum()
        == (counts["attributions"])
    )
    return counts


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_households_and_dwellings_balance_every_year(
    case: tuple[dict[str, pd.DataFrame], StrategyPlan, int],
) -> None:
    frames, plan, seed = case
    base = build_base(frames, 2025, [plan])
    check_plan(plan, base)
    years = run_replicate(base, plan, 3, seed, observe=check_state)
    ledger = pd.DataFrame(years[1:])
    # Year to year, the stock at 31 December is the next year's stock at 1 January.
    assert (
        ledger["households_end"].to_numpy()[:-1] == ledger["households_start"].to_numpy()[1:]
    ).all()
    assert (
        ledger["dwellings_end"].to_numpy()[:-1] == ledger["dwellings_start"].to_numpy()[1:]
    ).all()
    assert ledger["households_start"].iloc[0] == len(frames["households"])
    assert ledger["dwellings_start"].iloc[0] == len(frames["dwellings"])
    # Demolished and sold dwellings never come back; deliveries are the programme's.
    programmed = (
        0
        if plan.programme.empty
        else int(plan.programme[[f"t{r}" for r in range(1, 6)]].to_numpy().sum())
    )
    assert ledger["delivered"].sum() == programmed
