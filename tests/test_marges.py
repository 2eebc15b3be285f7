"""Room for manoeuvre outside QPV (``mixite marges``): known answers on a tiny territory, a
brute-force cross-check of the matching, and the command end to end on a synthetic store.

Expected values are hand computations written in the tests (with the arithmetic in comments);
the pairwise affordability of the cross-check comes from ``affordability.affordable_pairs`` (the
benefit itself is checked against OpenFisca-France in ``test_affordability_openfisca.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from mixite.affordability import Thresholds, affordable_pairs, housing_benefit
from mixite.cli import app
from mixite.indicators.marges import (
    Marges,
    room_for_manoeuvre,
    room_window,
)
from mixite.jobs.results import MargesResult, Names
from mixite.params import default_parameters
from mixite.reports.marges import marges_findings
from mixite.store import Store

YEAR = 2024
MILLESIME = 2025
LANDLORD_A = "111111111"
LANDLORD_B = "222222222"


def _residence(
    rid: str,
    landlord: str,
    n: int,
    rooms: int,
    rent: float,
    surface: float,
    leases_2024: int,
    in_qpv: bool = False,
    family: str = "plus",
) -> pd.DataFrame:
    """``n`` identical dwellings; ``leases_2024`` of them had a lease starting in 2024."""
    lease = [pd.Timestamp("2024-06-01")] * leases_2024 + [pd.Timestamp("2015-01-01")] * (
        n - leases_2024
    )
    return pd.DataFrame(
        {
            "dwelling_id": [f"{rid}-{i}" for i in range(n)],
            "residence_id": rid,
            "landlord_id": landlord,
            "commune": "96001",
            "in_qpv": in_qpv,
            "qpv_code": "QN09601M" if in_qpv else None,
            "rooms": rooms,
            "surface": surface,
            "construction_year": 2000,
            "first_letting_year": pd.array([2000] * n, dtype="Int64"),
            "finan_family": family,
            "conventionne": True,
            "new_dwelling": False,
            "rent": rent,
            "occupancy_mode": "1",
            "lease_start": lease,
            "vacancy_start": pd.NaT,
        }
    )


def _applicant(size: int, adults: int, dependants: int, monthly: float, tax: float) -> dict:
    return {
        "household_size": size,
        "adults": adults,
        "persons_14plus": adults,
        "dependants": dependants,
        "disability": False,
        "monthly_resources": monthly,
        "tax_income": tax,
    }


def _attribution(landlord: str, monthly: float, in_qpv: bool = False) -> dict:
    return {
        "landlord_id": landlord,
        "commune": "96001",
        "in_qpv": in_qpv,
        "lease_date": pd.Timestamp("2024-05-01"),
        "reservataire": "bailleur",
        "household_size": 1,
        "adults": 1,
        "persons_14plus": 1,
        "monthly_resources": monthly,
        "npnru_relocation": False,
        "dalo": False,
        "priority": False,
    }


def _tiny_frames() -> dict[str, pd.DataFrame]:
    """Two landlords, one commune (APL zone 2, ceiling zone A), Q1 threshold forced to 50,000 €.

    Landlord A: R1 20 T2 at 400 € (50 m²), 4 leases in 2024; R2 20 T4 at 700 € (80 m²),
    2 leases; R4 20 T6 at 900 € (110 m²), 6 leases; R3 20 T3 in QPV (ignored). Landlord B: R5
    20 T2 at 1,000 € (40 m²), 2 leases. Every residence has 20 dwellings in service, so its own
    turnover rate applies: R1 4/20, R2 2/20, R4 6/20, R5 2/20.
    """
    dwellings = pd.concat(
        [
            _residence("R1", LANDLORD_A, 20, 2, 400.0, 50.0, 4),
            _residence("R2", LANDLORD_A, 20, 4, 700.0, 80.0, 2),
            _residence("R3", LANDLORD_A, 20, 3, 300.0, 65.0, 5, in_qpv=True),
            _residence("R4", LANDLORD_A, 20, 6, 900.0, 110.0, 6),
            _residence("R5", LANDLORD_B, 20, 2, 1000.0, 40.0, 2),
        ],
        ignore_index=True,
    )
    applications = pd.DataFrame(
        [
            _applicant(1, 1, 0, 2000.0, 20000.0),  # a1
            _applicant(4, 2, 2, 6000.0, 30000.0),  # a2
            _applicant(4, 2, 2, 900.0, 10800.0),  # a3
        ]
    )
    territory = pd.DataFrame(
        {
            "name": ["Petit territoire"],
            "epci": ["999960001"],
            "q1_reference_epci": ["999960001"],
            "q1_overrides": [json.dumps({str(YEAR): 50000})],
            "max_effort_rate": [0.35],
            "min_reste_a_vivre": [12.0],
        }
    )
    communes = pd.DataFrame(
        {
            "commune": ["96001"],
            "commune_name": ["Mirebourg"],
            "apl_zone": ["2"],
            "ceiling_zone": ["A"],
        }
    )
    landlords = pd.DataFrame(
        {
            "landlord_id": [LANDLORD_A, LANDLORD_B],
            "landlord_name": ["A", "B"],
            "landlord_kind": ["ESH", "ESH"],
        }
    )
    attributions = pd.DataFrame(
        [
            _attribution(LANDLORD_A, 500.0),  # Q1: 6,000 €/UC < 50,000
            _attribution(LANDLORD_A, 10000.0),  # 120,000 €/UC: not Q1
            _attribution(LANDLORD_A, 10000.0),
            _attribution(LANDLORD_A, 10000.0),
            _attribution(LANDLORD_A, 500.0, in_qpv=True),  # in QPV: not in the indicator
            _attribution(LANDLORD_B, 10000.0),
            _attribution(LANDLORD_B, 10000.0),
        ]
    )
    attributions["attribution_id"] = [f"x{i}" for i in range(len(attributions))]
    return {
        "dwellings": dwellings,
        "applications": applications,
        "territory": territory,
        "communes": communes,
        "landlords": landlords,
        "attributions": attributions,
    }


def test_tiny_case_preconditions() -> None:
    """The facts the hand computation relies on, from the legal parameters and the benefit."""
    p = default_parameters()
    when = dt.date(YEAR, 12, 31)
    # a1 (one person, RFR 20,000) is under the PLUS ceiling of category 1, zone A.
    assert p.value("plafonds.plus.A.1", when) >= 20000
    # a2 and a3 (couple + 2 dependants = category 4) are under the PLUS ceiling of category 4.
    assert p.value("plafonds.plus.A.4", when) >= 30000
    # a1 gets neither benefit nor RLS at rents 400, 640 and 1,000 €: net cost = rent + charges.
    benefit, rls = housing_benefit(
        zone=2, couple=False, dependants=0, rent=[400, 640, 1000], annual_resources=20000,
        when="2024-12-01",
    )  # fmt: skip
    assert benefit.tolist() == [0.0, 0.0, 0.0] and rls.tolist() == [0.0, 0.0, 0.0]
    # a2 gets nothing at 700 €: net cost 700 + 120 = 820 € ≤ 35 % × 6,000 = 2,100 €.
    benefit, rls = housing_benefit(
        zone=2, couple=True, dependants=2, rent=700, annual_resources=30000, when="2024-12-01"
    )
    assert float(benefit) == 0.0 and float(rls) == 0.0
    # a3 cannot afford R2: budget min(35 % × 900, 900 − 12 € × 2.1 UC × 30) = 144 €.
    benefit, rls = housing_benefit(
        zone=2, couple=True, dependants=2, rent=700, annual_resources=10800, when="2024-12-01"
    )
    assert 700 - float(rls) + 120 - float(benefit) > 144


@pytest.fixture(scope="module")
def tiny_marges() -> Marges:
    return room_for_manoeuvre(_tiny_frames(), YEAR, MILLESIME)


@pytest.fixture(scope="module")
def tiny(tiny_marges: Marges) -> pd.DataFrame:
    return tiny_marges.groups.set_index(["level", "group"])


def test_attainable_share_landlord_a(tiny: pd.DataFrame) -> None:
    row = tiny.loc[("bailleur", LANDLORD_A)]
    # Expected vacancies outside QPV: R1 20 × 4/20 + R2 20 × 2/20 + R4 20 × 6/20 = 4 + 2 + 6.
    assert row["expected_vacancies"] == pytest.approx(12.0)
    # Everything is under a ceiling for a1; sized: R1 (a1: 1–2 rooms), R2 (a2, a3: 3–5 rooms);
    # R4's T6 fits nobody. Affordable: R1 for a1 (475 € ≤ 700 €), R2 for a2 (820 ≤ 2,100).
    assert row["vacancies_eligible"] == pytest.approx(12.0)
    assert row["vacancies_sized"] == pytest.approx(6.0)
    assert row["vacancies_ok"] == pytest.approx(6.0)
    assert row["dwellings"] == 60 and row["dwellings_ok"] == 40
    # Q1 applicants who could take one: a1 and a2 → attainable min(6, 2) = 2 of 12.
    assert row["q1_applicants_ok"] == 2
    assert row["attainable_share"] == pytest.approx(2 / 12)
    # Losses: size 12 − 6 = 6; rent 0; demand 6 − 2 = 4; turnover 12 × 40/60 − 6 = 2.
    assert row["loss_size"] == pytest.approx(6.0)
    assert row["loss_rent"] == pytest.approx(0.0)
    assert row["loss_demand"] == pytest.approx(4.0)
    assert row["loss_turnover"] == pytest.approx(2.0)
    assert row["reason"] == "taille"
    # Achieved: 1 Q1 attribution among 4 outside QPV.
    assert row["achieved_attributions"] == 4
    assert row["achieved_share"] == pytest.approx(0.25)


def test_attainable_share_landlord_b_and_epci(tiny: pd.DataFrame) -> None:
    b = tiny.loc[("bailleur", LANDLORD_B)]
    # R5: 1,000 € + 60 € of charges > 700 € for a1, the only sized applicant → rent.
    assert b["expected_vacancies"] == pytest.approx(2.0)
    assert b["vacancies_sized"] == pytest.approx(2.0)
    assert b["vacancies_ok"] == pytest.approx(0.0)
    assert b["attainable_share"] == pytest.approx(0.0)
    assert b["reason"] == "loyer"
    assert b["achieved_share"] == pytest.approx(0.0)
    epci = tiny.loc[("epci", "epci")]
    # 12 + 2 expected vacancies; min(6, 2 applicants) = 2 → 2/14.
    assert epci["expected_vacancies"] == pytest.approx(14.0)
    assert epci["attainable_share"] == pytest.approx(2 / 14)
    # Losses: size 6, rent 2, demand 4, turnover 14 × 40/80 − 6 = 1 → size binds.
    assert epci["loss_rent"] == pytest.approx(2.0)
    assert epci["loss_turnover"] == pytest.approx(1.0)
    assert epci["reason"] == "taille"
    assert epci["achieved_share"] == pytest.approx(1 / 6)


def test_attainable_share_residences(tiny: pd.DataFrame) -> None:
    # R1: 4 expected vacancies, only a1 can take them → min(4, 1)/4 = 25 % = target.
    assert tiny.loc[("residence", "R1"), "attainable_share"] == pytest.approx(0.25)
    assert tiny.loc[("residence", "R1"), "reason"] == "atteignable"
    # R2: 2 vacancies, a2 only → 1/2.
    assert tiny.loc[("residence", "R2"), "attainable_share"] == pytest.approx(0.5)
    assert tiny.loc[("residence", "R4"), "reason"] == "taille"
    assert tiny.loc[("residence", "R5"), "reason"] == "loyer"
    assert ("residence", "R3") not in tiny.index  # in QPV


def test_shares_by_size(tiny_marges: Marges) -> None:
    size = tiny_marges.by_size.set_index(["level", "group", "size_class"])
    # One Q1 applicant of one person (a1), who can take R1 of landlord A but nothing of B.
    assert size.loc[("bailleur", LANDLORD_A, 1), "q1_applicants"] == 1
    assert size.loc[("bailleur", LANDLORD_A, 1), "share_ok"] == pytest.approx(1.0)
    assert size.loc[("bailleur", LANDLORD_B, 1), "share_ok"] == pytest.approx(0.0)
    # Two applicants of four persons, both sized for R2, one (a2) can afford it.
    row = size.loc[("bailleur", LANDLORD_A, 4)]
    assert row["q1_applicants"] == 2 and row["q1_applicants_sized"] == 2
    assert row["share_ok"] == pytest.approx(0.5)
    # Nobody of 2, 3, 5+ persons: share undefined.
    assert np.isnan(size.loc[("epci", "epci", 2), "share_ok"])


def test_rent_reduction_known_answer(tiny_marges: Marges) -> None:
    cuts = tiny_marges.rent_reductions.set_index(["residence_id", "size_class"])
    # Median one-person Q1 applicant = a1: budget min(35 % × 2,000, 2,000 − 12 × 1 × 30) = 700 €;
    # no benefit nor RLS (preconditions), so rent + 1.5 €/m² × 40 m² ≤ 700 → rent ≤ 640 €.
    assert cuts.loc[("R5", 1), "affordable_rent"] == pytest.approx(640.0, abs=0.01)
    assert cuts.loc[("R5", 1), "rent_reduction"] == pytest.approx(360.0, abs=0.01)
    # R1 (400 € + 75 €) is already affordable to a1.
    assert cuts.loc[("R1", 1), "rent_reduction"] == 0.0
    # Median of the two four-person applicants (lower median by resources) is a3 (900 €/month).
    assert cuts.loc[("R2", 4), "median_resources"] == pytest.approx(900.0)


def test_room_window_parameters() -> None:
    when = dt.date(YEAR, 12, 31)
    lo, hi = room_window(np.array([1, 2, 4, 5, 7, 9]), when)
    # size − 1 … size + 1, clipped to [1, 6].
    assert lo.tolist() == [1, 1, 3, 4, 6, 6]
    assert hi.tolist() == [2, 3, 5, 6, 6, 6]


def _random_frames() -> dict[str, pd.DataFrame]:
    """12 residences and 40 applicants drawn at random (rents on the 5 € grid)."""
    rng = np.random.default_rng(5)
    n_res = 12
    pieces = []
    for r in range(n_res):
        rooms = int(rng.integers(1, 7))
        pieces.append(
            _residence(
                f"S{r:02d}",
                LANDLORD_A if r % 2 else LANDLORD_B,
                20,
                rooms,
                float(5 * rng.integers(40, 160)),
                float(20 + 15 * rooms),
                int(rng.integers(0, 6)),
                family=str(rng.choice(["plai", "plus", "pls", "pre1977"])),
            )
        )
    frames = _tiny_frames()
    frames["dwellings"] = pd.concat(pieces, ignore_index=True)
    n_app = 40
    sizes = rng.integers(1, 6, n_app)
    adults = np.where(sizes >= 2, rng.integers(1, 3, n_app), 1)
    monthly = rng.uniform(300, 2500, n_app).round(2)
    apps = pd.DataFrame(
        {
            "household_size": sizes,
            "adults": adults,
            "persons_14plus": adults,
            "dependants": sizes - adults,
            "disability": False,
            "monthly_resources": monthly,
            "tax_income": (12 * monthly * rng.uniform(0.6, 1.4, n_app)).round(0),
        }
    )
    frames["applications"] = apps
    return frames


def test_matching_agrees_with_brute_force() -> None:
    """Random applicants and dwellings (rents on the 5 € grid, so the interpolation is exact):
    the accessible dwellings equal a brute force with ``affordable_pairs``, the ceilings and the
    size rule applied pair by pair."""
    frames = _random_frames()
    apps = frames["applications"]
    marges = room_for_manoeuvre(frames, YEAR, MILLESIME)
    got = marges.groups.set_index(["level", "group"])["dwellings_ok"]

    # Brute force, dwelling by dwelling (each residence is uniform).
    p = default_parameters()
    when = dt.date(YEAR, 12, 31)
    res = frames["dwellings"].drop_duplicates("residence_id").reset_index(drop=True)
    units = (
        1
        + 0.5 * (apps["persons_14plus"] - 1)
        + 0.3 * (apps["household_size"] - apps["persons_14plus"])
    )
    households = pd.DataFrame(
        {
            "couple": apps["adults"] == 2,
            "dependants": apps["dependants"],
            "annual_resources": apps["tax_income"],
            "monthly_resources": apps["monthly_resources"],
            "units": units,
        }
    )
    dwell = pd.DataFrame(
        {"zone": 2, "rent": res["rent"], "charges": 1.5 * res["surface"], "hlm": True}
    )
    afford = affordable_pairs(
        households, dwell, "2024-12-01", thresholds=Thresholds(0.35, 12.0, 30.0)
    )
    kinds = {"plai": "plai", "plus": "plus", "pls": "pls", "pre1977": "plus"}
    ok_res = []
    for j, row in res.iterrows():
        kind = kinds[row["finan_family"]]
        ok_any = False
        for i, app_row in apps.iterrows():
            size = int(app_row["household_size"])
            if not (max(1, size - 1) <= min(row["rooms"], 6) <= min(6, size + 1)):
                continue
            cat = min(size + int(app_row["adults"] == 1 and app_row["dependants"] > 0), 6)
            base = (
                p.value(f"plafonds.plus.A.{cat}", when)
                if kind != "plai"
                else p.value(f"plafonds.plai.A.{cat}", when)
            )
            ceiling = int(np.floor(base * 1.3 + 0.5)) if kind == "pls" else base
            if app_row["tax_income"] <= ceiling and afford[i, j]:
                ok_any = True
                break
        ok_res.append(ok_any)
    res["ok"] = ok_res
    expected = 20 * res.groupby("landlord_id")["ok"].sum()
    for landlord, count in expected.items():
        assert got.loc[("bailleur", landlord)] == count
    assert got.loc[("epci", "epci")] == 20 * sum(ok_res)


@pytest.mark.parametrize("wished", [False, True])
def test_matching_does_not_depend_on_blocks(wished: bool) -> None:
    """The applicants are matched block by block (``chunk_pairs``): one applicant per block
    gives the same tables as a single block, with and without the wished communes (the
    random applicants wish one commune, another, both or none)."""
    frames = _random_frames()
    # every other residence in a second commune, of another APL zone
    frames["dwellings"] = frames["dwellings"].assign(
        commune=np.where(np.arange(len(frames["dwellings"])) % 40 < 20, "96001", "96002")
    )
    second = frames["communes"].assign(commune="96002", commune_name="Valbrune", apl_zone="3")
    frames["communes"] = pd.concat([frames["communes"], second], ignore_index=True)
    wishes = [["96001"], ["96002"], ["96001", "96002"], []]
    frames["applications"] = frames["applications"].assign(
        wished_communes=[wishes[i % 4] for i in range(len(frames["applications"]))]
    )
    whole = room_for_manoeuvre(frames, YEAR, MILLESIME, wished_communes=wished)
    one_by_one = room_for_manoeuvre(frames, YEAR, MILLESIME, wished_communes=wished, chunk_pairs=1)
    assert whole.groups["q1_applicants_ok"].sum() > 0
    pd.testing.assert_frame_equal(whole.groups, one_by_one.groups)
    pd.testing.assert_frame_equal(whole.by_size, one_by_one.by_size)


runner = CliRunner()


@pytest.fixture(scope="module")
def marges_report(petite_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("marges")
    result = runner.invoke(
        app, ["marges", "--base", str(petite_store), "--annee", "2024", "--sortie", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "part atteignable" in result.output
    return out


def _sheet_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    book = load_workbook(path, read_only=True)
    rows = list(book[sheet].iter_rows(min_row=4, values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_cli_end_to_end(petite_store: Path, marges_report: Path) -> None:
    html = (marges_report / "marges.html").read_text(encoding="utf-8")
    assert "Marges de manœuvre hors QPV" in html
    book = load_workbook(marges_report / "marges.xlsx", read_only=True)
    assert book.sheetnames == [
        "Sommaire", "Marges par bailleur", "Marges par commune", "Marges par résidence",
        "Marges par taille de ménage", "Baisses de loyer", "Définitions",
    ]  # fmt: skip
    rows = _sheet_rows(marges_report / "marges.xlsx", "Marges par bailleur")
    epci = next(r for r in rows if r["Échelle"] == "EPCI")
    with Store(petite_store) as st:
        dw = st.read("dwellings", 2025)
        att = st.read("attributions", 2025)
        territory = st.read("territory", 2025)
    # Dwellings outside QPV offered for rent (RPLS modes 1, 2, 4, 5), counted in the store.
    outside = (~dw["in_qpv"]) & dw["occupancy_mode"].isin(["1", "2", "4", "5"])
    assert epci["Logements hors QPV"] == int(outside.sum())
    # Achieved share: outside-QPV leases of 2024 to Q1 (modified OECD scale) or NPNRU.
    ref = str(territory.iloc[0]["q1_reference_epci"])
    threshold = default_parameters().value("seuils_q1", "2024-12-31")[ref]["q1"]
    att = att[(att["lease_date"].dt.year == 2024) & ~att["in_qpv"]]
    uc = (
        1
        + 0.5 * (att["persons_14plus"] - 1)
        + 0.3 * (att["household_size"] - att["persons_14plus"])
    )
    hits = ((12 * att["monthly_resources"] / uc < threshold) | att["npnru_relocation"]).sum()
    assert epci["Attributions hors QPV réalisées"] == len(att)
    assert epci["Part réalisée"] == pytest.approx(hits / len(att))
    share = epci["Part atteignable"]
    assert isinstance(share, float) and 0.0 <= share <= 1.0


def test_cli_missing_millesime(petite_store: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["marges", "--base", str(petite_store), "--annee", "2030", "--sortie", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "Pas de millésime 2031" in str(result.exception) + result.output


def test_no_q1_applicant_means_demand_binds() -> None:
    frames = _tiny_frames()
    frames["applications"] = frames["applications"].iloc[:0]
    groups = room_for_manoeuvre(frames, YEAR, MILLESIME).groups.set_index(["level", "group"])
    # 14 expected vacancies outside QPV and nobody to take them: 0 %, demand binds.
    assert groups.loc[("epci", "epci"), "expected_vacancies"] == pytest.approx(14.0)
    assert groups.loc[("epci", "epci"), "attainable_share"] == 0.0
    assert set(groups["reason"]) == {"demande"}


def test_no_dwelling_outside_qpv() -> None:
    frames = _tiny_frames()
    frames["dwellings"] = frames["dwellings"].assign(in_qpv=True)
    marges = room_for_manoeuvre(frames, YEAR, MILLESIME)
    # Only the EPCI row remains, without any expected vacancy: the share is undefined.
    assert marges.groups[["level", "group"]].values.tolist() == [["epci", "epci"]]
    assert np.isnan(marges.groups["attainable_share"].iloc[0])
    assert marges.groups["reason"].iloc[0] == "sans_parc"
    assert marges.rent_reductions.empty


def test_wished_communes_variant() -> None:
    """a1 only wished another commune: with the variant, R1 has no taker any more."""
    frames = _tiny_frames()
    apps = frames["applications"].copy()
    apps["wished_communes"] = [["96002"], [], ["96001", "96002"]]  # a2: no wish = every commune
    frames["applications"] = apps
    loose = room_for_manoeuvre(frames, YEAR, MILLESIME).groups.set_index(["level", "group"])
    assert loose.loc[("bailleur", LANDLORD_A), "attainable_share"] == pytest.approx(2 / 12)
    tight = room_for_manoeuvre(frames, YEAR, MILLESIME, wished_communes=True)
    assert tight.wished_communes
    row = tight.groups.set_index(["level", "group"]).loc[("bailleur", LANDLORD_A)]
    # Landlord A: R1 (4 vacancies) lost, R2 (2) still taken by a2 → min(2, 1) / 12.
    assert row["vacancies_ok"] == pytest.approx(2.0)
    assert row["q1_applicants_ok"] == 1
    assert row["attainable_share"] == pytest.approx(1 / 12)
    # Ceilings alone (size aside): a2 and a3 may still take any dwelling of 96001 → 12.
    assert row["vacancies_eligible"] == pytest.approx(12.0)
    # R1 is sized for a1 only, who does not want commune 96001: only R2 stays sized.
    assert row["vacancies_sized"] == pytest.approx(2.0)


def test_findings_say_why_in_french(tiny_marges: Marges) -> None:
    """The report's findings (HTML « Constats » and the note of the landlords' sheet): the EPCI,
    then each landlord below the target, lowest share first, with its reason and loss (hand
    figures of the tiny case above)."""
    names = Names(landlords={LANDLORD_A: "Bailleur A", LANDLORD_B: "Bailleur B"})
    result = MargesResult(tiny_marges, names, 11, tiny_marges.groups, tiny_marges.by_size)
    # French number formatting uses no-break spaces (before « % », between thousands)
    lines = [t.replace("\xa0", " ").replace("\u202f", " ") for t in marges_findings(result)]
    assert len(lines) == 3
    # EPCI: attainable 2/14 = 14.3 %, achieved 1/6 = 16.7 %, target 25 %.
    assert lines[0].startswith("EPCI : au plus 14,3 % des attributions hors QPV")
    assert "part réalisée de 16,7 %" in lines[0] and "objectif 25,0 %" in lines[0]
    # B first (0 %): rents; 2 expected vacancies, both lost to the rent.
    assert lines[1].startswith("Bailleur B : part atteignable 0,0 % (réalisée : 0,0 %)")
    assert "Raison principale : loyers trop élevés" in lines[1]
    assert "sur environ 2 libérations attendues par an hors QPV, 2 y sont perdues" in lines[1]
    # A (2/12 = 16.7 %): sizes; 6 of its 12 expected vacancies are T6 nobody fits.
    assert lines[2].startswith("Bailleur A : part atteignable 16,7 % (réalisée : 25,0 %)")
    assert "typologies inadaptées" in lines[2]
    assert "sur environ 12 libérations attendues par an hors QPV, 6 y sont perdues" in lines[2]
