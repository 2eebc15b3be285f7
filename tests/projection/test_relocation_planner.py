"""The relocation planner inside the projection (issue 17): the strategy's choice, one round
planned by hand, and a demolition projected year by year with every household accounted for."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixite.allocation.scenario import load_scenario
from mixite.errors import ConfigError
from mixite.io import read_folder
from mixite.io.strategy import load_strategy
from mixite.projection.base import build_base
from mixite.projection.engine import IN_SERVICE, RELOCATION_COUNTS, run_replicate
from mixite.projection.outputs import ledger_imbalance
from mixite.projection.relocation import (
    PlannedRelocation,
    PriorityRelocation,
    RelocationPlanner,
    relocation_rule,
)
from mixite.projection.strategy import (
    Attributions,
    Demolition,
    Relogement,
    Renouvellement,
    Strategy,
    StrategyPlan,
)
from mixite.synth import generate, size_profile

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "exemples" / "scenarios" / "reference.yaml"
WHEN = dt.date(2026, 1, 1)


# ---------------------------------------------------------------------------------------------
# The strategy's choice
# ---------------------------------------------------------------------------------------------


def _write(tmp_path: Path, relogement: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"nom: T\nattributions: {{scenario: {SCENARIO}}}\nrenouvellement:\n"
        f"  relogement: {relogement}\n",
        encoding="utf-8",
    )
    return path


def test_the_priority_rule_is_the_default_and_the_planner_takes_the_parameters() -> None:
    assert isinstance(relocation_rule(Relogement(), WHEN), PriorityRelocation)
    assert isinstance(relocation_rule(None, WHEN), PriorityRelocation)
    rule = relocation_rule(Relogement.model_validate("planificateur"), WHEN)
    assert isinstance(rule, PlannedRelocation) and isinstance(rule, RelocationPlanner)
    # The defaults of src/mixite/params/relogement.yaml: 50 % outside QPV, 25 % new or recent,
    # no rise of the reste à charge, 5 years, rent reduction, 40 pairs per household.
    assert (rule.share_outside_qpv, rule.share_recent, rule.max_rise) == (0.5, 0.25, 0.0)
    assert (rule.recent_years, rule.rent_reduction, rule.pairs_per_household) == (5, True, 40)
    own = relocation_rule(
        Relogement(
            methode="planificateur",
            part_hors_qpv=0.7,
            hausse_reste_a_charge_max=25,
            contributions={"action_logement": 0.2},
        ),
        WHEN,
    )
    assert isinstance(own, PlannedRelocation)
    assert (own.share_outside_qpv, own.share_recent, own.max_rise) == (0.7, 0.25, 25.0)
    assert dict(own.contributions) == {"action_logement": 0.2}


def test_the_example_strategy_with_demolitions_uses_the_planner() -> None:
    plan = load_strategy(ROOT / "exemples" / "strategies" / "renouvellement.yaml")
    choice = plan.strategy.renouvellement.relogement
    assert choice.methode == "planificateur"
    assert plan.strategy.renouvellement.demolitions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "planifcateur",
            "champ « renouvellement.relogement.methode » : valeur « planifcateur » inconnue : "
            "écrivez priorite ou planificateur.",
        ),
        (
            "{methode: priorite, part_hors_qpv: 0.5}",
            "« part_hors_qpv » est une règle de la charte, que seul le planificateur applique : "
            "écrivez « methode: planificateur » ou retirez cette clé.",
        ),
        (
            "{methode: planificateur, part_hors_qpv: 1.5}",
            "champ « renouvellement.relogement.part_hors_qpv » : valeur « 1.5 » trop grande.",
        ),
        (
            "{methode: planificateur, contributions: {'bailleur:1': 0.7, etat_prioritaire: 0.5}}",
            "les parts des contributions dépassent 100 % : leur somme doit rester au plus 1.",
        ),
        (
            "{methode: planificateur, part_hors_qpi: 0.5}",
            "champ « renouvellement.relogement.part_hors_qpi » : champ inconnu. Vouliez-vous "
            "dire « part_hors_qpv » ?",
        ),
    ],
)
def test_a_bad_relocation_choice_is_a_french_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_strategy(_write(tmp_path, text))
    assert expected in str(caught.value)
    assert "docs/projection.md" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# One round, by hand
# ---------------------------------------------------------------------------------------------


def _round(n_households: int, in_qpv: list[bool], **offers: Any) -> tuple[Any, Any]:
    """Single persons with 20 000 €/year paying 400 € + 50 € in zone II; two-room offers of one
    commune at 400 € + 50 € (PLUS), all accepted by the typology (1 to 3 rooms)."""
    n = n_households
    households = {
        "ids": np.array([f"h{i}" for i in range(n)], dtype=object),
        "operation": np.full(n, "R", dtype=object),
        "income": np.full(n, 20_000.0),
        "ceilings": np.full((n, 3), 1e9),
        "rooms_min": np.ones(n, np.int64),
        "rooms_max": np.full(n, 3, np.int64),
        "wished": np.full((n, 1), "", dtype=object),
        "couple": np.zeros(n, bool),
        "dependants": np.zeros(n, np.int64),
        "annual_resources": np.full(n, 20_000.0),
        "rent": np.full(n, 400.0),
        "charges": np.full(n, 50.0),
        "apl_zone": np.full(n, 2, np.int64),
    }
    m = len(in_qpv)
    table = {
        "ids": np.array([f"o{j}" for j in range(m)], dtype=object),
        "landlord": np.full(m, "999961001", dtype=object),
        "partner": np.full(m, "bailleur:999961001", dtype=object),
        "commune": np.full(m, "96001", dtype=object),
        "in_qpv": np.array(in_qpv, bool),
        "rooms": np.full(m, 2, np.int64),
        "rent": np.full(m, 400.0),
        "charges": np.full(m, 50.0),
        "financing": np.ones(m, np.int64),
        "recent": np.zeros(m, bool),
        "apl_zone": np.full(m, 2, np.int64),
    }
    table.update(offers)
    return households, table


def _planner(**charter: Any) -> PlannedRelocation:
    values: dict[str, Any] = {
        "share_outside_qpv": 0.5,
        "share_recent": 0.0,
        "max_rise": 1000.0,
        "recent_years": 5,
        "rent_reduction": True,
    }
    values.update(charter)
    return PlannedRelocation(**values)


def test_a_round_meets_the_share_outside_qpv_when_the_offer_allows_it() -> None:
    households, offers = _round(4, [False, False, True, True, True, True])
    # The fourth household's PLUS ceiling (1 000 €) is below its income: no offer is admissible.
    households["ceilings"][3] = 1000.0
    plan = _planner(share_outside_qpv=0.5).plan_round(households, offers, 2026, WHEN, None)
    # Three households can be rehoused (six offers, one household excluded by its ceiling); the
    # charter asks ceil(0.5 × 3) = 2 of them outside QPV, and the offer has exactly 2 outside.
    assert sorted(plan.household.tolist()) == [0, 1, 2]
    assert np.unique(plan.offer).size == 3
    assert int((~offers["in_qpv"][plan.offer]).sum()) == 2
    assert plan.shortfall["hors_qpv"] == 0.0
    # Old dwellings keep their rent.
    assert plan.rent.tolist() == [400.0, 400.0, 400.0]


def test_a_round_short_of_offers_outside_qpv_rehouses_first_and_counts_the_shortfall() -> None:
    households, offers = _round(3, [False, True, True, True])
    plan = _planner(share_outside_qpv=1.0).plan_round(households, offers, 2026, WHEN, None)
    # All three households are rehoused first; the charter asks ceil(1.0 × 3) = 3 outside QPV,
    # the offer has 1: a shortfall of 2 households.
    assert plan.household.size == 3
    assert int((~offers["in_qpv"][plan.offer]).sum()) == 1
    assert plan.shortfall["hors_qpv"] == 2.0


def test_a_new_dwelling_is_let_at_the_apl_rent_ceiling_and_the_rise_is_bounded() -> None:
    households, offers = _round(
        2,
        [False, False],
        rent=np.array([600.0, 900.0]),
        recent=np.array([True, False]),
    )
    plan = _planner(max_rise=0.0).plan_round(households, offers, 2026, WHEN, None)
    # The new dwelling's rent (600 €) is lowered to the APL rent ceiling of a single person in
    # zone II on 1 January 2026: 290,34 € (arrêté du 5 septembre 2025, src/mixite/params/apl.yaml),
    # below the 400 € paid today: admissible without rise. The old one at 900 € raises the reste
    # à charge (the APL does not follow a rent above the ceiling): not admissible, so one
    # household is rehoused and the other waits.
    assert plan.household.size == 1
    assert plan.offer.tolist() == [0]
    assert plan.rent.tolist() == pytest.approx([290.34])


# ---------------------------------------------------------------------------------------------
# A demolition projected year by year
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _frames() -> dict[str, pd.DataFrame]:
    folder = Path(tempfile.mkdtemp(prefix="mixite-relocation-"))
    generate(folder, np.random.default_rng(5), size_profile(dwellings=400), 2025)
    return read_folder(folder)


def _demolished(frames: dict[str, pd.DataFrame]) -> str:
    """The residence with the most households (46 on this territory)."""
    hh = frames["households"].merge(frames["dwellings"][["dwelling_id", "residence_id"]])
    sizes = hh.groupby("residence_id").size().sort_values(kind="stable")
    return str(sizes.index[-1])


def _plan(relogement: Relogement, demolish: bool = True) -> StrategyPlan:
    frames = _frames()
    strategy = Strategy(
        nom="Démolition",
        attributions=Attributions(scenario=str(SCENARIO)),
        renouvellement=Renouvellement(
            demolitions=[Demolition(residence=_demolished(frames), annee=2026)] if demolish else [],
            relogement=relogement,
        ),
    )
    return StrategyPlan(strategy, load_scenario(SCENARIO))


PLANNER = Relogement(methode="planificateur", part_hors_qpv=0.5, hausse_reste_a_charge_max=100)


def _observe(state: Any, record: Any) -> dict[str, Any]:
    """The year's counts and relocations, the households of the demolished residence still
    present, and the invariants of the state (one dwelling per household and back)."""
    d, h = state.d, state.h
    present = np.flatnonzero(h["present"])
    dwelling = h["dwelling"][present]
    assert np.unique(dwelling).size == dwelling.size
    assert (d["occupant"][dwelling] == present).all()
    assert np.isin(d["status"][dwelling], IN_SERVICE).all()
    residence = state.residences["residence_id"].astype(str).to_numpy()[d["residence"][dwelling]]
    out: dict[str, Any] = {"in_residence": int((residence == _demolished(_frames())).sum())}
    if record is not None:
        out |= {"counts": dict(record.counts), "relocation": dict(record.relocation)}
    return out


def _run(plan: StrategyPlan, seed: int) -> list[dict[str, Any]]:
    base = build_base(_frames(), 2025, [plan])
    return run_replicate(base, plan, 4, seed, observe=_observe)


@pytest.mark.parametrize("seed", [7, 11])
def test_every_household_to_relocate_is_rehoused_or_counted_as_waiting(seed: int) -> None:
    years = _run(_plan(PLANNER), seed)
    first, demolition = years[1], years[2]
    # Nothing to relocate before the demolition year.
    assert first["relocation"]["to_relocate"] == 0
    # The households to relocate are those living in the residence on 1 January 2026: counted
    # on the state at the end of 2025.
    assert demolition["relocation"]["to_relocate"] == first["in_residence"] > 0
    for year in years[1:]:
        reloc, counts = year["relocation"], year["counts"]
        assert set(reloc) == set(RELOCATION_COUNTS)
        # Waiting at 1 January + newly to relocate = rehoused + left the stock + still waiting.
        assert (
            reloc["waiting_start"] + reloc["to_relocate"]
            == reloc["rehoused"] + reloc["left"] + reloc["waiting_end"]
        )
        # From the demolition on, those still waiting are the households still living in the
        # demolished residence.
        if year is not first:
            assert reloc["waiting_end"] == year["in_residence"]
        # Only the planner rehouses them; the ledger of households and dwellings balances.
        assert reloc["rehoused_planned"] == reloc["rehoused"]
        assert ledger_imbalance(pd.DataFrame([counts])).iloc[0] == 0
    for before, after in itertools.pairwise(years[1:]):
        assert before["relocation"]["waiting_end"] == after["relocation"]["waiting_start"]
    total = sum(y["relocation"]["rehoused"] + y["relocation"]["left"] for y in years[1:])
    assert total + years[-1]["relocation"]["waiting_end"] == first["in_residence"]
    # Each round's plan asks ceil(0.5 × its rehoused) outside QPV, and the ceilings add up to at
    # least half the year's rehoused: without shortfall, the year's share is at least 50 %.
    for year in years[1:]:
        reloc = year["relocation"]
        assert reloc["target_outside_qpv"] == 0.5
        if reloc["shortfall_outside_qpv"] == 0:
            assert reloc["rehoused_outside_qpv"] >= 0.5 * reloc["rehoused"]
    assert sum(y["relocation"]["rehoused"] for y in years[1:]) > 0


def test_the_same_seed_gives_the_same_relocations() -> None:
    plan = _plan(PLANNER)
    assert _run(plan, 7) == _run(plan, 7)


def test_without_households_to_relocate_the_planner_changes_nothing() -> None:
    # No demolition: the planner never runs and the projection draws the same numbers as under
    # the priority rule.
    planner = _run(_plan(PLANNER, demolish=False), 7)
    priority = _run(_plan(Relogement(), demolish=False), 7)
    assert [y.get("counts") for y in planner] == [y.get("counts") for y in priority]


# ---------------------------------------------------------------------------------------------
# The relocation table under statistical secrecy, and in the report
# ---------------------------------------------------------------------------------------------


def test_the_report_shows_the_relocations(petite_store: Path, tmp_path: Path) -> None:
    import importlib.util
    import sys

    from openpyxl import load_workbook

    from mixite.jobs.projection import projection
    from mixite.reports.projection import write_projection
    from mixite.store import Store

    plan = load_strategy(ROOT / "exemples" / "strategies" / "renouvellement.yaml")
    with Store(petite_store) as store:
        result = projection(store, [plan], 2, 2, 3, workers=1)
    relocation = result.strategies[0].relocation
    assert list(relocation["year"]) == [2025.0, 2026.0]
    assert float(relocation.loc[relocation["year"] == 2026.0, "to_relocate"].iloc[0]) > 0
    out = write_projection(result, tmp_path / "sortie")
    page = out.html.read_text(encoding="utf-8")
    assert "Relogement des ménages des résidences démolies" in page
    book = load_workbook(out.xlsx, read_only=True)
    assert any(name.startswith("Relogement") for name in book.sheetnames)
    # Read back from the files: no small count of households in the relocation sheet.
    spec = importlib.util.spec_from_file_location(
        "secrecy_scan", Path(__file__).resolve().parents[1] / "secrecy_scan.py"
    )
    assert spec is not None and spec.loader is not None
    scan = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("secrecy_scan", scan)
    spec.loader.exec_module(scan)
    findings = [
        f
        for f in scan.scan_secrecy(out.xlsx.parent, 11).findings
        if "Relogement" in f.where or "relogé" in f.column or "reloger" in f.column
    ]
    assert findings == [], "\n".join(map(str, findings))
    # What people read: no code identifier, Python value or English column.
    spec = importlib.util.spec_from_file_location(
        "output_scan", Path(__file__).resolve().parents[1] / "output_scan.py"
    )
    assert spec is not None and spec.loader is not None
    words = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("output_scan", words)
    spec.loader.exec_module(words)
    found = words.scan_folder(out.xlsx.parent, words.territory_codes(petite_store))
    assert found == [], "\n".join(map(str, found[:20]))
