"""End to end on the `petite` synthetic territory: the synthetic NPNRU operation, the relocation
plan against its charter, the follow-up round trip, the mutations, and the French errors."""

from __future__ import annotations

import csv
import datetime as dt
import math
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from mixite.cli import app
from mixite.errors import InputError
from mixite.jobs.results import RelocationResult
from mixite.store import Store, key_path, pseudonym_of


@pytest.fixture(scope="module")
def territory(petite_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the petite store (with its key) and the synthetic operation's files."""
    from mixite.synth.relogement import write_relocation_files

    folder = tmp_path_factory.mktemp("relogement")
    base = folder / "territoire.duckdb"
    shutil.copy(petite_store, base)
    shutil.copy(key_path(petite_store), key_path(base))
    with Store(base) as store:
        write_relocation_files(
            folder / "fichiers",
            store.read("dwellings", 2025),
            store.read("households", 2025),
            2025,
            seed=7,
            max_households=120,
        )
    return base


def _files(base: Path) -> tuple[Path, Path, Path]:
    f = base.parent / "fichiers"
    return f / "programme.csv", f / "enquete.csv", f / "charte.yaml"


@pytest.fixture(scope="module")
def plan(territory: Path) -> RelocationResult:
    from mixite.jobs.trajectoires import read_relocation_inputs, relocation

    inputs = read_relocation_inputs(territory, *_files(territory))
    with Store(territory) as store:
        return relocation(store, inputs, seed=3)


def test_the_plan_meets_its_charter(plan: RelocationResult, territory: Path) -> None:
    p = plan.plan
    planned = p[p["planned"]]
    assert len(p) == 120 and len(planned) > 60
    # every proposal within the charter's rise (30 €/month in the synthetic charter) and in the
    # calendar window (two years before the operation)
    assert (planned["rise"].astype(float) <= 30.0 + 1e-9).all()
    years = planned["year"].astype(int)
    deadline = planned["deadline"].astype(int)
    assert ((years <= deadline) & (years >= deadline - 2)).all()
    # a dwelling once per plan (offers of different years may be the same dwelling re-let)
    assert not planned.duplicated(["dwelling_id", "year"]).any()
    # the indicators recounted from the plan itself
    targets = plan.targets.set_index("target")
    n = len(planned)
    recent = int(planned["recent"].astype(bool).sum())
    outside = int((~planned["in_qpv"].astype(bool)).sum())
    assert targets.loc["neuf_recent", "households"] == recent
    assert targets.loc["hors_qpv", "households"] == outside
    assert targets.loc["neuf_recent", "share"] == pytest.approx(recent / n)
    # charter targets: 20 % recent and 50 % outside QPV (charte.yaml); a met target is met
    assert targets.loc["neuf_recent", "target_share"] == 0.2
    assert targets.loc["hors_qpv", "target_share"] == 0.5
    for name, row in targets.iterrows():
        short = max(0.0, math.ceil(row["target_share"] * n - 1e-9) - row["households"])
        assert row["shortfall"] == pytest.approx(short)
        assert bool(row["met"]) == (short <= 1e-9), name
    # each partner's contribution recounted, against its charter share
    contributions = plan.contributions.set_index("partner")
    counted = planned["partner"].value_counts()
    for partner, row in contributions.iterrows():
        assert row["relocations"] == int(counted.get(partner, 0))
        if not pd.isna(row["charter_share"]):
            short = max(0.0, math.ceil(row["charter_share"] * n - 1e-9) - row["relocations"])
            assert row["shortfall"] == pytest.approx(short)
    assert contributions["charter_share"].notna().sum() == 2  # the two landlords of the charter
    # the rise bands add up to the planned households
    assert plan.rise["households"].sum() == n
    # the LP bound is above the objective and the gap small
    f = plan.figures
    assert f["lp_bound"] >= f["objective"] - 1e-6
    assert 0.0 <= f["gap"] < 0.05


def test_reste_a_charge_before_by_the_benefit_kernel(
    plan: RelocationResult, territory: Path
) -> None:
    # The current reste à charge of the first surveyed household, recomputed from the survey's
    # values with the APL kernel (zone of its residence's commune): rent + charges - APL - RLS.
    from mixite.affordability import housing_benefit

    survey = pd.read_csv(_files(territory)[1], sep=";", dtype=str)
    first = survey.iloc[0]
    with Store(territory) as store:
        dwellings = store.read("dwellings", 2025)
        communes = store.read("communes", 2025)
    commune = dwellings.loc[dwellings["residence_id"] == first["residence"], "commune"].iloc[0]
    zone = int(communes.set_index("commune").loc[commune, "apl_zone"])
    rent = float(first["loyer_actuel"])
    benefit, rls = housing_benefit(
        zone=zone,
        couple=int(first["nb_adultes"]) >= 2,
        dependants=int(first["nb_personnes_a_charge"]),
        rent=rent,
        annual_resources=12 * float(first["ressources_mensuelles"]),
        when=dt.date(2025, 1, 1),
    )
    expected = rent + float(first["charges_actuelles"]) - float(benefit) - float(rls)
    pseudonym = pseudonym_of(territory, str(first["id_menage"]))
    row = plan.plan.set_index("household_id").loc[pseudonym]
    assert row["cost_before"] == pytest.approx(expected)


def test_households_are_pseudonymised(plan: RelocationResult) -> None:
    ids = plan.plan["household_id"].astype(str)
    assert not ids.str.startswith("ENQ").any()
    assert ids.str.fullmatch(r"[0-9a-f]{32}").all()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_reloger_cli_and_followup_round_trip(territory: Path, tmp_path: Path) -> None:
    programme, survey, charter = _files(territory)
    out = tmp_path / "plan"
    args = ["reloger", "--base", str(territory), "--programme", str(programme)]
    args += ["--enquete", str(survey), "--charte", str(charter), "--graine", "3"]
    result = CliRunner().invoke(app, [*args, "--sortie", str(out)])
    assert result.exit_code == 0, result.output
    assert "Ménages relogés hors QPV" in result.output
    page = _Text()
    page.feed((out / "relogement.html").read_text(encoding="utf-8"))
    text = " ".join(page.text)
    assert "Contributions des partenaires" in text and "Suivi des relogements" in text
    assert "logements non réservés" in text  # partners shown by name, not by key
    book = load_workbook(out / "relogement.xlsx")
    assert {"Objectifs", "Charte", "Contributions", "Plan", "Suivi", "Calendrier"} <= set(
        book.sheetnames
    )
    # the partners mark ten households as rehoused (lease signed) and give the table back
    with (out / "donnees" / "suivi-relogement.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    head = rows[0]
    done = rows[1:11]
    for row in done:
        row[head.index("statut")] = "reloge"
        row[head.index("logement_attribue")] = row[head.index("logement_propose")]
        row[head.index("date_bail")] = "2025-10-01"
    filled = tmp_path / "suivi.csv"
    with filled.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    again = tmp_path / "plan2"
    result = CliRunner().invoke(app, [*args, "--sortie", str(again), "--suivi", str(filled)])
    assert result.exit_code == 0, result.output
    follow = pd.read_csv(
        again / "donnees" / "suivi-relogement.csv", sep=";", dtype=str, encoding="utf-8-sig"
    )
    kept = follow.set_index("id_menage")
    gone = {row[0] for row in done}
    assert (kept.loc[list(gone), "statut"] == "reloge").all()
    assert (kept.loc[list(gone), "date_bail"] == "2025-10-01").all()
    # the rehoused households leave the plan; their dwellings are proposed to nobody else
    from mixite.jobs.trajectoires import read_relocation_inputs, relocation

    inputs = read_relocation_inputs(territory, programme, survey, charter, filled)
    with Store(territory) as store:
        second = relocation(store, inputs, seed=3)
    assert not set(second.plan["household_id"]) & gone
    assert len(second.plan) == 110
    leased = {
        row[head.index("logement_attribue")] for row in done if row[head.index("logement_attribue")]
    }
    assert not set(second.plan["dwelling_id"].dropna()) & leased


def test_mutations_cli(territory: Path, tmp_path: Path) -> None:
    out = tmp_path / "mut"
    args = ["mutations", "--base", str(territory), "--echanges", "--sortie", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "mutations.html").exists()
    assert set(load_workbook(out / "mutations.xlsx").sheetnames) >= {
        "Cycles",
        "Chaînes",
        "Ménages",
    }


def test_mutations_job_is_consistent(territory: Path) -> None:
    from mixite.jobs.trajectoires import mutations

    with Store(territory) as store:
        result = mutations(store, exchanges=True, seed=1)
    m = result.movers
    f = result.figures
    exchanges = m[m["kind"] == "echange"]
    # exchanges are a permutation of the exchangers' dwellings
    assert sorted(exchanges["from_dwelling"]) == sorted(exchanges["to_dwelling"])
    assert len(exchanges) == f["exchanges"]
    assert int((result.cycles["length"] * result.cycles["cycles"]).sum()) == len(exchanges)
    assert (m["kind"] == "chaine").sum() == f["chain_moves"]
    assert not m["application_id"].duplicated().any()  # nobody moves twice
    # chains: lengths counted with the external applicant at the end
    chains = result.chains
    assert int(chains["chains"].sum()) == f["freed"]
    moves = int(((chains["length"] - 1) * chains["chains"]).sum())
    assert moves == f["chain_moves"]
    assert result.freed_by_rooms["dwellings"].sum() == f["freed"]
    assert np.isclose(
        f["mean_chain_length"], (chains["length"] * chains["chains"]).sum() / f["freed"]
    )
    # without --echanges nobody exchanges
    with Store(territory) as store:
        plain = mutations(store, exchanges=False, seed=1)
    assert plain.figures["exchanges"] == 0 and (plain.movers["kind"] == "chaine").all()


def test_bad_inputs_are_french_errors(territory: Path, tmp_path: Path) -> None:
    from mixite.io.relogement import read_charter, read_programme, read_survey

    programme, survey, charter = _files(territory)
    text = survey.read_text(encoding="utf-8").splitlines()
    head = text[0].split(";")
    cells = text[2].split(";")
    cells[head.index("typologie_min")] = "5"
    cells[head.index("typologie_max")] = "2"
    bad = tmp_path / "enquete.csv"
    bad.write_text("\n".join([text[0], text[1], ";".join(cells)]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_survey(bad, known_communes=None or _communes(territory))
    assert info.value.where.line == 3 and info.value.where.column == "typologie_min"
    cells = text[1].split(";")
    cells[head.index("accepte_qpv")] = "peut-être"
    bad.write_text("\n".join([text[0], ";".join(cells)]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_survey(bad, known_communes=_communes(territory))
    assert info.value.where.line == 2 and info.value.where.value == "peut-être"
    # the charter: an unknown key (with a suggestion), a share over 1, shares over 100 %
    yaml_text = charter.read_text(encoding="utf-8")
    wrong = tmp_path / "charte.yaml"
    wrong.write_text(yaml_text.replace("part_hors_qpv:", "part_hors_qvp:"), encoding="utf-8")
    with pytest.raises(InputError, match="Vouliez-vous dire « part_hors_qpv »") as info:
        read_charter(wrong, "2025-01-01")
    assert info.value.where.line is not None
    wrong.write_text(
        yaml_text.replace("part_hors_qpv: 0.5", "part_hors_qpv: 1.5"), encoding="utf-8"
    )
    with pytest.raises(InputError, match="hors des bornes") as info:
        read_charter(wrong, "2025-01-01")
    assert info.value.where.value == "1.5"
    assert yaml_text.count("part: 0.2") == 1
    wrong.write_text(yaml_text.replace("part: 0.2", "part: 0.95"), encoding="utf-8")
    with pytest.raises(InputError, match="dépassent 100 %"):
        read_charter(wrong, "2025-01-01")
    # a charter without targets takes the parameters relogement.* with their reference
    minimal = tmp_path / "minimale.yaml"
    minimal.write_text("nom: Charte\nsource: Délibération 12\n", encoding="utf-8")
    read = read_charter(minimal, "2025-01-01")
    assert read.values["part_hors_qpv"] == 0.5
    assert read.sources["part_hors_qpv"].startswith("valeur par défaut")
    # the programme: an unknown residence, through the command line (exit 2, French message)
    rows = programme.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "programme.csv"
    first = rows[1].replace(rows[1].split(";")[2], "R_INCONNUE")
    broken.write_text("\n".join([rows[0], first, *rows[2:]]) + "\n", encoding="utf-8")
    assert len(read_programme(broken)) == 3
    import sys

    from mixite.cli import main

    argv = ["mixite", "reloger", "--base", str(territory), "--programme", str(broken)]
    argv += ["--enquete", str(survey), "--charte", str(charter), "--sortie", str(tmp_path / "x")]
    old = sys.argv
    sys.argv = argv
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        sys.argv = old
    assert exit_info.value.code == 2


def _communes(base: Path) -> list[str]:
    with Store(base) as store:
        return store.read("communes", 2025)["commune"].astype(str).tolist()


def test_a_refused_proposal_is_not_made_again(
    plan: RelocationResult, territory: Path, tmp_path: Path
) -> None:
    from mixite.jobs.trajectoires import read_relocation_inputs, relocation
    from mixite.reports.trajectoires import followup_frame

    follow = followup_frame(plan)
    planned = follow[follow["logement_propose"].notna()].head(5)
    follow.loc[planned.index, "statut"] = "refus"
    follow.loc[planned.index, "nb_refus"] = 1
    path = tmp_path / "suivi.csv"
    follow.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    inputs = read_relocation_inputs(territory, *_files(territory), path)
    with Store(territory) as store:
        again = relocation(store, inputs, seed=3)
    proposed = again.plan.set_index("household_id")["dwelling_id"]
    for household, dwelling in zip(planned["id_menage"], planned["logement_propose"], strict=True):
        assert proposed.get(household) != dwelling
    kept = again.followup.set_index("household_id")
    assert (kept.loc[list(planned["id_menage"]), "status"] == "refus").all()


def test_indemnity_per_landlord_recounted_from_the_plan(plan: RelocationResult) -> None:
    # the synthetic charter's amounts (synth/relogement.py): 2,000 € for 1 room … 6,000 € for 5
    amounts = {1: 2000.0, 2: 3000.0, 3: 4000.0, 4: 5000.0, 5: 6000.0}
    assert dict(plan.indemnity_amounts) == amounts
    planned = plan.plan[plan.plan["planned"]]
    due = [
        amounts[min(int(r), 5)] if bool(new) and float(cut) > 0.005 else 0.0
        for r, new, cut in zip(
            planned["rooms"], planned["recent"], planned["rent_reduction"], strict=True
        )
    ]
    assert planned["indemnity"].astype(float).tolist() == due
    assert sum(due) > 0  # the demo operation has new or recent dwellings with a reduced rent
    table = plan.indemnities
    assert table is not None
    by_landlord = pd.Series(due, index=planned["landlord_id"].to_numpy()).groupby(level=0).sum()
    got = table.set_index("landlord_id")["amount"]
    assert got.sort_index().tolist() == pytest.approx(by_landlord.sort_index().tolist())
    assert plan.figures["indemnity"] == pytest.approx(sum(due))


def test_needs_flagged_where_the_stock_says_nothing(plan: RelocationResult) -> None:
    # the synthetic survey asks « rez-de-chaussée ou ascenseur » for households aged 70 or more;
    # the store's stock describes no floor: each of their proposals is « à vérifier »
    planned = plan.plan[plan.plan["planned"]]
    asks = planned["needs"].fillna("").astype(str).str.contains("ascenseur")
    assert asks.any()
    assert (planned["to_verify"].astype(bool) == asks).all()
    assert plan.figures["to_verify"] == float(asks.sum())
    assert plan.figures["described_offers"] == 0.0  # the store keeps no floor, lift, access


def test_the_imported_followup_feeds_the_cia_relocation_section(
    plan: RelocationResult, territory: Path, tmp_path: Path
) -> None:
    from types import SimpleNamespace

    from mixite.jobs.documents import relocation_review
    from mixite.reports.documents import _relocation_review
    from mixite.reports.trajectoires import followup_frame

    base = tmp_path / "t.duckdb"
    shutil.copy(territory, base)
    shutil.copy(key_path(territory), key_path(base))
    names = plan.names
    with Store(base) as store:
        nothing = relocation_review(store, 2025)
    assert not nothing.imported
    text, targets, partners = _relocation_review(
        SimpleNamespace(relocation_review=nothing, names=names)
    )  # type: ignore[arg-type]
    assert targets is None and "Aucun suivi des relogements" in text[0]

    # the partners mark six planned households rehoused, with the plan's dwelling, a lease on
    # 1 October 2025 and, for four of them, the reste à charge after the move
    follow = followup_frame(plan)
    done = follow[follow["logement_propose"].notna()].head(6).index
    follow.loc[done, "statut"] = "reloge"
    follow.loc[done, "logement_attribue"] = follow.loc[done, "logement_propose"]
    follow.loc[done, "date_bail"] = "2025-10-01"
    follow.loc[done[4:], "reste_a_charge_apres"] = None
    path = tmp_path / "suivi.csv"
    follow.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    args = ["importer", "--base", str(base), "--millesime", "2025"]
    result = CliRunner().invoke(app, [*args, "--suivi-relogement", str(path)])
    assert result.exit_code == 0, result.output
    assert "suivi des relogements : 120 lignes" in result.output

    with Store(base) as store:
        review = relocation_review(store, 2025, _files(territory)[2])
        dwellings = store.read("dwellings", 2025).set_index("dwelling_id")
    f = review.figures
    assert (f["surveyed"], f["rehoused"], f["waiting"], f["rehoused_in_year"]) == (120, 6, 114, 6)
    # hand count from the stock: recent = first letting (else construction) at most 5 years
    # before 2025 (the default age: the synthetic charter does not set it); outside QPV
    rows = follow.loc[done]
    stock = dwellings.loc[rows["logement_attribue"]]
    first = stock["first_letting_year"].astype("Float64").fillna(stock["construction_year"])
    recent = int((first >= 2020).sum())
    outside = int((~stock["in_qpv"].astype(bool)).sum())
    rise = (
        rows["reste_a_charge_apres"].astype(float) - rows["reste_a_charge_avant"].astype(float)
    ).dropna()
    t = review.targets.set_index("target")
    assert t.loc["neuf_recent", ["households", "known"]].tolist() == [recent, 6]
    assert t.loc["hors_qpv", ["households", "known"]].tolist() == [outside, 6]
    assert t.loc["reste_a_charge", "known"] == 4 == len(rise)
    assert t.loc["reste_a_charge", "households"] == int((rise <= 30.0 + 1e-9).sum())
    assert t.loc["hors_qpv", "target_value"] == 0.5  # the synthetic charter's target
    assert bool(t.loc["hors_qpv", "met"]) == (outside / 6 >= 0.5)
    # the leases of October 2025 are not among the imported attributions: no partner known yet
    c = review.contributions.set_index("partner")
    assert c.loc["non_rapproche", "relocations"] == 6
    assert f["matched"] == 0 and f["counted_outside_qpv"] == 0
    assert c["charter_share"].notna().sum() == 2  # the charter's two landlords, with 0 so far
    text, targets, partners = _relocation_review(
        SimpleNamespace(relocation_review=review, names=names)
    )  # type: ignore[arg-type]
    assert "6 ménages relogés sur 120 ménages suivis" in text[0]
    assert targets is not None and partners is not None
    assert "Charte intercommunale de relogement (démonstration)" in text[1]

    # the CIA and the review written with the charter: the section's tables, no command named,
    # every output clean for the scanner
    out = tmp_path / "documents"
    args = ["documents", "--base", str(base), "--annee", "2024", "--sortie", str(out)]
    result = CliRunner().invoke(app, [*args, "--charte", str(_files(territory)[2])])
    assert result.exit_code == 0, result.output
    page = (out / "cia.html").read_text(encoding="utf-8")
    assert "Relogements réalisés au regard des objectifs de la charte de relogement" in page
    assert "Contributions des partenaires aux relogements réalisés" in page
    assert "6 ménages relogés sur 120 ménages suivis" in page
    # no software command (the word « mixite » only in the synthetic charter's own source)
    assert "mixite importer" not in page and "mixite documents" not in page
    assert page.lower().count("mixite") == page.count("générée par mixite")
    from output_scan import scan_folder, territory_codes

    assert [str(x) for x in scan_folder(out, territory_codes(base))] == []
