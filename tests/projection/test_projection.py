"""The projection on the `petite` synthetic territory: the first year against the observed one,
the direction of each lever, the segregation indices against PySAL, processes, the command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixite.allocation.scenario import load_scenario
from mixite.jobs.projection import projection
from mixite.projection.strategy import (
    Attributions,
    Offre,
    Strategy,
    StrategyPlan,
    parse_programme,
)
from mixite.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "exemples"
SCENARIO = EXAMPLES / "scenarios" / "reference.yaml"


def _plan(name: str = "Référence", scenario: str = "reference.yaml", **fields: Any) -> StrategyPlan:
    programme = fields.pop("programme", None)
    strategy = Strategy(nom=name, attributions=Attributions(scenario="x"), **fields)
    loaded = load_scenario(EXAMPLES / "scenarios" / scenario)
    if programme is None:
        return StrategyPlan(strategy, loaded)
    return StrategyPlan(strategy, loaded, programme=programme)


def test_year_one_reproduces_the_observed_year(petite_store: Path) -> None:
    # The baseline calibrated on the observed attributions (solvency, mutations, priority):
    # its first year reproduces the turnover and the profile of the year before, within the
    # interval of 20 replicates.
    with Store(petite_store) as store:
        result = projection(store, [_plan()], 1, 20, 7, workers=1, calibrate=True)
    validation = result.strategies[0].validation.set_index("measure")
    for measure in ("turnover_rate", "q1_outside_qpv", "mutation_share", "priority_share"):
        row = validation.loc[measure]
        assert row["within"], (measure, row.to_dict())
    # The share let in QPV is not calibrated (where dwellings free up decides it): it stays
    # within five points of the observed one.
    row = validation.loc["in_qpv_share"]
    assert abs(row["mean"] - row["observed"]) < 0.05
    assert result.calibration is not None
    assert result.calibration["observed_q1_outside_qpv"] == pytest.approx(
        validation.loc["q1_outside_qpv", "observed"]
    )
    # Every household and dwelling accounted for in every replicate.
    assert result.strategies[0].ledger["imbalance_high"].max() == 0


def _supply(store_path: Path) -> pd.DataFrame:
    """300 PLAI dwellings outside QPV at a low rent, delivered in 2025 and 2026."""
    with Store(store_path) as store:
        dwellings = store.read("dwellings", 2025)
    outside = dwellings.loc[~dwellings["in_qpv"]]
    communes = outside["commune"].value_counts().index[:3].tolist()
    landlord = str(outside["landlord_id"].mode().iloc[0])
    rows = [
        {
            "commune": commune,
            "annee_livraison": str(year),
            "residence": f"Programme {commune} {year}",
            "bailleur": landlord,
            "financement": "PLAI",
            "t1": "10",
            "t2": "15",
            "t3": "15",
            "t4": "10",
            "t5": "0",
            "loyer_m2": "4,5",
            "qpv": "",
        }
        for commune in communes
        for year in (2025, 2026)
    ]
    return parse_programme(pd.DataFrame(rows, dtype=object), "programme.csv")


def test_each_lever_raises_the_q1_share_outside_qpv_at_year_six(petite_store: Path) -> None:
    # Common random numbers: replicate r of every strategy uses the same seed.
    plans = [
        _plan(),
        _plan("Fléchage 60 %", "flechage.yaml"),
        _plan("Offre PLAI hors QPV", programme=_supply(petite_store), offre=Offre()),
        _plan("Accompagnement", accompagnement={y: 400 for y in range(2025, 2031)}),
    ]
    plans[1] = StrategyPlan(
        plans[1].strategy,
        plans[1].default.model_copy(
            update={"flechage": plans[1].default.flechage.model_copy(update={"part_hors_qpv": 0.6})}
        ),
    )
    with Store(petite_store) as store:
        result = projection(store, plans, 6, 6, 11, workers=1)
    final = {
        s.name: float(s.territory.set_index("year").loc[2030.0, "q1_share_outside_qpv"])
        for s in result.strategies
    }
    baseline = final["Référence"]
    for name in ("Fléchage 60 %", "Offre PLAI hors QPV", "Accompagnement"):
        assert final[name] > baseline, (name, final)
    # The supply was delivered and let.
    supply = result.strategies[2]
    assert supply.ledger["delivered"].sum() == 300
    assert supply.residences["programmed"].sum() == 6


def test_projected_segregation_matches_pysal(petite_store: Path) -> None:
    from segregation.singlegroup import Dissim, Isolation

    from mixite.jobs._load import load_snapshot
    from mixite.projection.base import build_base
    from mixite.projection.engine import run_replicate
    from mixite.projection.outputs import _territory

    plan = _plan()
    with Store(petite_store) as store:
        snapshot = load_snapshot(store)
    base = build_base(snapshot.tables, snapshot.millesime, [plan])

    def observe(state: Any, record: Any) -> tuple[dict[str, float], pd.DataFrame]:
        rows = np.flatnonzero(state.h["present"])
        residence = state.d["residence"][state.h["dwelling"][rows]]
        q1 = state.q1_households(rows)
        counts = pd.DataFrame({"r": residence, "x": q1.astype(int), "t": 1}).groupby("r").sum()
        return _territory(state, 0 if record is None else record.year), counts

    for figures, counts in run_replicate(base, plan, 2, 3, observe=observe):
        assert figures["dissimilarity"] == pytest.approx(Dissim(counts, "x", "t").statistic)
        assert figures["isolation"] == pytest.approx(Isolation(counts, "x", "t").statistic)


def test_processes_give_the_same_projection(petite_store: Path) -> None:
    with Store(petite_store) as store:
        one = projection(store, [_plan()], 1, 2, 5, workers=1)
        two = projection(store, [_plan()], 1, 2, 5, workers=2)
    pd.testing.assert_frame_equal(one.strategies[0].territory, two.strategies[0].territory)
    pd.testing.assert_frame_equal(one.strategies[0].quotas, two.strategies[0].quotas)
    # Reservataires are legal persons: each commune's convention by its code, the territory's
    # only EPCI by its SIREN, never a bare type the conventions name one person for.
    quotas = one.strategies[0].quotas
    groups = set(quotas.loc[quotas["level"] == "reservataire", "group"].astype(str))
    assert groups and "epci" not in groups and "commune" not in groups
    assert {g for g in groups if g.startswith("commune")} <= {
        f"commune:{c}" for c in one.strategies[0].residences["commune"].astype(str)
    }
    # Each landlord's own Q1 objective outside QPV: the CIA commitment of the `petite`
    # territory's engagements.yaml (30 % for 999961001, 2024 to 2026), else the law's 25 %.
    q1 = quotas.loc[(quotas["level"] == "bailleur") & (quotas["indicator"] == "q1_hors_qpv")]
    targets = dict(zip(q1["group"].astype(str), q1["target"], strict=True))
    assert targets.pop("999961001") == pytest.approx(0.30)
    assert targets and all(v == pytest.approx(0.25) for v in targets.values())
    objectives = one.strategies[0].objectives.set_index("group")
    assert objectives.loc["999961001", "target"] == pytest.approx(0.30)
    # The flux ledger is kept by reservataire type (flows are given by type).
    assert not any(":" in str(r) for r in one.strategies[0].flux["reservataire"])


def test_the_command_writes_page_workbook_geopackages_and_csv(
    petite_store: Path, tmp_path: Path
) -> None:
    import pyogrio
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from mixite.cli import app

    strategies = []
    for name, extra in (
        ("reference", ""),
        ("soutien", "accompagnement: {2025: 50, 2026: 50}\n"),
    ):
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            f"nom: {name.capitalize()}\nattributions:\n  scenario: {SCENARIO}\n{extra}",
            encoding="utf-8",
        )
        strategies += ["--strategie", str(path)]
    out = tmp_path / "sortie"
    run = CliRunner().invoke(
        app,
        [
            "projeter",
            "--base",
            str(petite_store),
            *strategies,
            "--horizon",
            "2",
            "--replications",
            "2",
            "--processus",
            "1",
            "--sortie",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    page = (out / "projection.html").read_text(encoding="utf-8")
    assert "Année où chaque partenaire atteint son objectif Q1 hors QPV" in page
    assert "Rôles des quartiers" in page and "Soutien" in page
    assert ("jamais d'ici 2026" in page) or ("atteint" in page)
    book = load_workbook(out / "projection.xlsx", read_only=True)
    assert {"Territoire", "Objectifs", "Attributions", "Résidences", "Validation"} <= set(
        book.sheetnames
    )
    layers = {name for name, _ in pyogrio.list_layers(out / "projection_reference.gpkg")}
    assert {"residences_2024", "residences_2025", "residences_2026", "quartiers_2026"} <= layers
    csv = pd.read_csv(out / "territoire.csv", sep=";", encoding="utf-8-sig", decimal=",")
    assert len(csv) == 2 * 3 and set(csv["Stratégie"]) == {"Reference", "Soutien"}
    # What people read: no code identifier, Python value, English column, or code without its
    # name, in the page, the workbook, the CSV and the GeoPackages.
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "output_scan", Path(__file__).resolve().parents[1] / "output_scan.py"
    )
    assert spec is not None and spec.loader is not None
    scan = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("output_scan", scan)
    spec.loader.exec_module(scan)
    findings = scan.scan_folder(out, scan.territory_codes(petite_store))
    assert findings == [], "\n".join(map(str, findings[:20]))
    # Statistical secrecy read back from the files (issue 21): no count of persons from 1 to
    # 10, no share implying one, no masked count given back by a total written beside it.
    from secrecy_scan import scan_secrecy

    checked = scan_secrecy(out, 11)
    assert [str(f) for f in checked.findings] == []
    assert {t.where.split(" [")[0] for t in checked.persons_tables()} >= {
        "projection.xlsx",
        "territoire.csv",
        "projection_reference.gpkg",
    }
    assert "secret statistique" in page


def test_an_unknown_residence_is_a_french_error(petite_store: Path, tmp_path: Path) -> None:
    from mixite.errors import ConfigError
    from mixite.projection.strategy import Demolition, Renouvellement

    plan = _plan(
        renouvellement=Renouvellement(demolitions=[Demolition(residence="P9999999", annee=2026)])
    )
    with Store(petite_store) as store, pytest.raises(ConfigError, match="« P9999999 » inconnue"):
        projection(store, [plan], 1, 1, 0, workers=1)


def test_a_lever_before_the_first_year_is_a_french_error(petite_store: Path) -> None:
    from mixite.errors import ConfigError
    from mixite.projection.strategy import Renouvellement

    with Store(petite_store) as store:
        residence = str(store.read("dwellings", 2025)["residence_id"].iloc[0])
        plan = _plan(
            renouvellement=Renouvellement(rehabilitations=[{"residence": residence, "annee": 2020}])
        )
        with pytest.raises(ConfigError, match=r"année 2020 antérieure .* 2025"):
            projection(store, [plan], 1, 1, 0, workers=1)
