"""The national observatory end to end: three EPCIs of the synthetic France on a local Dask
cluster of two workers, one of them deliberately broken (issue 20, « Done when »).

The two sound territories' results are written and match their stores; the broken one is
reported by name with its French error and stops nothing; a rerun skips the two done; the report
opens (HTML, XLSX sheets, Parquet).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mixite.allocation.scenario import load_scenario
from mixite.indicators.diagnostic_secrecy import protect_quotas
from mixite.national import generate_france, run_national
from mixite.national.runner import result_path
from mixite.vocabulary import NATIONAL_COLUMNS
from output_scan import Codes, scan_folder
from secrecy_scan import scan_secrecy

ROOT = Path(__file__).resolve().parents[1]
SUD_CORSE, AJACCIEN, FAUCIGNY = "200040764", "242010056", "200000172"
TASKS = ["diagnostic", "quotas", "simulation"]


@pytest.fixture(scope="module")
def france(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("france")
    # generated as Dask tasks on two workers: the same files as one after the other
    generation = generate_france(root, 2025, 2025, 0.01, {SUD_CORSE, AJACCIEN, FAUCIGNY}, 2)
    assert generation.workers == 2
    assert sorted(t.siren for t in generation.territories) == sorted(
        [FAUCIGNY, SUD_CORSE, AJACCIEN]
    )
    alone = tmp_path_factory.mktemp("seul")
    generate_france(alone, 2025, 2025, 0.01, {SUD_CORSE})
    for name in ("rpls.csv", "demandes.csv", "attributions.csv"):
        assert (alone / SUD_CORSE / name).read_bytes() == (root / SUD_CORSE / name).read_bytes()
    # break the CA du Pays Ajaccien: a surface that is not a number on line 3 of its RPLS file
    rpls = root / AJACCIEN / "rpls.csv"
    lines = rpls.read_bytes().decode("utf-8").split("\r\n")
    header = lines[0].split(";")
    cells = lines[2].split(";")
    cells[header.index("SURFHAB")] = "abc"
    lines[2] = ";".join(cells)
    rpls.write_bytes("\r\n".join(lines).encode("utf-8"))
    return root


def test_a_national_run_on_a_local_dask_cluster(france: Path, tmp_path: Path) -> None:
    from mixite.jobs.diagnostic import quotas
    from mixite.reports.national import write_national
    from mixite.store import Store

    out = tmp_path / "national"
    scenario = load_scenario(ROOT / "exemples" / "scenarios" / "flechage.yaml")
    run = run_national(france, TASKS, out, scenarios=[scenario], workers=2)
    assert run.workers == 2
    status = {r.siren: r.status for r in run.reports}
    assert status == {SUD_CORSE: "fait", FAUCIGNY: "fait", AJACCIEN: "echec"}

    # the broken territory: named, with the reader's French message; nothing of it is written
    failures = run.result.failures
    assert failures["epci_name"].tolist() == ["CA du Pays Ajaccien"]
    assert failures["task"].tolist() == ["import"]
    message = failures["error"].iloc[0]
    assert "rpls.csv" in message and "SURFHAB" in message and "« abc »" in message
    key = next(p.name.split("-", 1)[1] for p in (out / "resultats").glob("simulation-*"))
    assert not any(result_path(out, t, AJACCIEN, key).exists() for t in TASKS)

    # the two others: every task written, in the national long format
    for siren in (SUD_CORSE, FAUCIGNY):
        for task in TASKS:
            frame = pd.read_parquet(result_path(out, task, siren, key))
            assert list(frame.columns) == list(NATIONAL_COLUMNS)
            assert set(frame["epci"]) == {siren}
    rows = run.result.rows
    assert set(rows["epci"]) == {SUD_CORSE, FAUCIGNY}
    assert set(rows.loc[rows["task"] == "simulation", "scenario"]) == {"Référence", "Fléchage 30 %"}
    # a simulated shortfall is a count of attributions, or missing where secrecy masked the
    # counts (it was once the integer cast of NaN, −9 223 372 036 854 775 808)
    simulated = rows.loc[rows["task"] == "simulation"]
    gap = simulated["shortfall"]
    assert ((gap >= 0) & (gap == gap.round())).where(gap.notna(), True).all()
    assert gap[simulated["numerator"].isna()].isna().all()

    # the observed shares are those of the territory's own store (the quotas job), as
    # published: the EPCI level alone under statistical secrecy (the partners are the
    # territory's own business, in its own diagnostic)
    with Store(out / "bases" / f"{SUD_CORSE}.duckdb") as store:
        computed = quotas(store, 2024)
    alone = computed.table.loc[computed.table["level"] == "epci"].reset_index(drop=True)
    own = protect_quotas(alone, computed.secrecy_threshold).tables["quotas"]
    mine = own.set_index("indicator")
    epci = run.result.epci.set_index("epci").loc[SUD_CORSE]
    for ind in ("q1_hors_qpv", "non_q1_en_qpv", "prioritaires"):
        for column, theirs in (("attributions", "denominator"), ("share", "share"),
                               ("shortfall", "shortfall")):  # fmt: skip
            expected = pd.to_numeric(pd.Series([mine.loc[ind, theirs]]), errors="coerce")[0]
            assert epci[f"{ind}_{column}"] == pytest.approx(expected, nan_ok=True)
    quota = rows.loc[rows["task"] == "quotas"]
    assert set(quota["level"]) == {"epci"}
    # a count of the raw table from 1 to 10 is never in the national rows
    raw = computed.table.set_index(["level", "group", "indicator"])
    mine_rows = quota.loc[quota["epci"] == SUD_CORSE]
    published = mine_rows.set_index(["level", "group", "indicator"])[["denominator", "numerator"]]
    for cell, line in published.iterrows():
        for column in ("denominator", "numerator"):
            if 1 <= raw.loc[cell, column] <= 10:
                assert pd.isna(line[column]), (cell, column)
    # the unprotected figures are beside the store, every level, and nowhere in the report
    from mixite.national.runner import private_path

    private = pd.read_parquet(private_path(out, "quotas", SUD_CORSE))
    assert len(private) == len(computed.table) and "bailleur" in set(private["level"])
    # the simulation's too (same rows as published, none masked), beside the store
    own_sim = simulated.loc[simulated["epci"] == SUD_CORSE]
    private_sim = pd.read_parquet(private_path(out, "simulation", SUD_CORSE, key))
    assert len(private_sim) == len(own_sim) and private_sim["numerator"].notna().all()
    assert private_sim["scenario"].tolist() == own_sim["scenario"].tolist()
    assert epci["epci_name"] == "CC du Sud Corse" and epci["region_name"] == "Corse"

    # the diagnostic rows (secrecy applied over the tables the observatory shows only) are the
    # territory's own diagnostic figures, computed here by the unprotected computation
    from mixite.indicators.diagnostic import territorial_diagnostic
    from mixite.jobs._load import load_snapshot

    with Store(out / "bases" / f"{SUD_CORSE}.duckdb") as store:
        snapshot = load_snapshot(store)
        raw = territorial_diagnostic(snapshot.frames(), snapshot.millesime)
    diag = rows.loc[
        (rows["epci"] == SUD_CORSE) & (rows["task"] == "diagnostic") & (rows["level"] == "epci")
    ].set_index("indicator")
    vacancy = raw["vacance_territoire"].iloc[0]
    assert diag.loc["vacance", "share"] == pytest.approx(vacancy["vacancy_rate"])
    assert diag.loc["rotation", "share"] == pytest.approx(vacancy["turnover_rate"])
    demand = raw["demande_territoire"].iloc[0]
    assert diag.loc["demandes_par_attribution", "share"] == pytest.approx(demand["pressure"])
    stock = raw["stock_qpv"].set_index("qpv_status")["dwellings"]
    assert diag.loc["parc_en_qpv", "numerator"] == stock.get("QPV", 0)
    assert diag.loc["parc_en_qpv", "denominator"] == stock.sum()
    assert run.result.scenario_changes is not None
    assert set(run.result.scenario_changes["epci"]) == {SUD_CORSE, FAUCIGNY}

    # the report: the page names the broken territory, the workbook has its sheets
    outputs = write_national(run.result, out)
    page = outputs.html.read_text(encoding="utf-8")
    assert "Territoires en échec" in page and "CA du Pays Ajaccien" in page
    assert "CC du Sud Corse" in page and "Scénario contre référence" in page
    from openpyxl import load_workbook

    book = load_workbook(outputs.xlsx, read_only=True)
    assert book.sheetnames == [
        "Sommaire", "Synthèse", "EPCI", "Régions", "Tailles", "Marges", "Marges (synthèse)",
        "Scénario", "Échecs", "Définitions",
    ]  # fmt: skip
    # what people read: no identifier, no Python value, every EPCI's SIREN beside its name
    codes = Codes({SUD_CORSE: "CC du Sud Corse", FAUCIGNY: "CC Faucigny - Glières",
                   AJACCIEN: "CA du Pays Ajaccien"})  # fmt: skip
    skipped = [out / "bases", out / "resultats", out / "erreurs"]
    assert [str(f) for f in scan_folder(out, codes, skipped)] == []
    assert len(pd.read_parquet(outputs.parquet)) == len(rows)
    # statistical secrecy, read back from the files (workbook, Parquet files, the results of
    # each territory): no count of persons from 1 to 10, none given back by subtraction
    scan = scan_secrecy(out, 11, exclude=[out / "bases"])
    assert [str(f) for f in scan.findings] == []
    read = {t.where.split(" [")[0] for t in scan.persons_tables()}
    assert {"national.xlsx", "national.parquet", "epci.parquet"} <= read
    assert set(pd.read_parquet(outputs.epci_parquet)["epci_name"]) == {
        "CC du Sud Corse",
        "CC Faucigny - Glières",
    }

    # a rerun (the command) skips the two done and reports the broken one again
    written = {p: p.stat().st_mtime_ns for p in (out / "resultats").rglob("*.parquet")}
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [
            sys.executable, "-m", "mixite", "national", "--dossier", str(france), "--sortie",
            str(out), "--taches", ",".join(TASKS), "--scenario",
            str(ROOT / "exemples" / "scenarios" / "flechage.yaml"), "--travailleurs", "1",
        ],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "0 territoire(s) traité(s), 2 déjà fait(s), 1 en échec" in done.stdout
    assert "CA du Pays Ajaccien (242010056)" in done.stderr and "Traceback" not in done.stderr
    assert {p: p.stat().st_mtime_ns for p in (out / "resultats").rglob("*.parquet")} == written
    assert "CA du Pays Ajaccien" in (out / "national.html").read_text(encoding="utf-8")


def test_the_biggest_territories_run_first(france: Path, tmp_path: Path) -> None:
    """Longest processing time first: on one worker the territories run one after the other,
    so they finish in the order the scheduler started them, by decreasing size (the
    dwellings of the index, here made up so that the order is neither the SIRENs' nor the
    generated one)."""
    sizes = {SUD_CORSE: 9000, AJACCIEN: 5000, FAUCIGNY: 3000}
    root = tmp_path / "france"
    root.mkdir()
    index = ["siren;nom;dossier;logements"]
    index += [f"{siren};EPCI {siren};{france / siren};{n}" for siren, n in sizes.items()]
    (root / "france.csv").write_text("\n".join(index) + "\n", encoding="utf-8")
    finished: list[str] = []
    run_national(
        root,
        ["quotas"],
        tmp_path / "national",
        workers=1,
        progress=lambda done, total, report: finished.append(report.siren),
    )
    assert finished == [SUD_CORSE, AJACCIEN, FAUCIGNY]


def test_the_commands_refuse_bad_options_in_french(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def mixite(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mixite", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    bad = mixite("national", "--dossier", str(tmp_path), "--sortie", str(tmp_path / "o"),
                 "--taches", "diagnostic,carte")  # fmt: skip
    assert bad.returncode == 2 and "Tâche(s) inconnue(s) : carte" in bad.stderr
    empty = mixite("national", "--dossier", str(tmp_path), "--sortie", str(tmp_path / "o"))
    assert empty.returncode == 2 and "Aucun territoire dans le dossier" in empty.stderr
    both = mixite("generer", "--france", "--taille", "petite", "--dossier", str(tmp_path))
    assert both.returncode == 2 and "--france fixe la taille" in both.stderr
    unknown = mixite("generer", "--france", "--epci", "123456789", "--dossier", str(tmp_path))
    assert unknown.returncode == 2 and "123456789" in unknown.stderr


def test_generer_france_writes_the_index_and_the_national_figures(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "mixite", "generer", "--france", "--dossier", str(tmp_path),
         "--epci", SUD_CORSE, "--echelle", "0.01"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout.replace("\u202f", " ").replace("\xa0", " ")
    assert "1 territoire(s) dans" in out and "1 généré(s), 200 logements" in out
    # the profiles of all of France, whatever the subset: 5.4 million dwellings (SDES)
    assert "Logements sociaux : 5 400 012 (cible 5 400 000) OK" in out
    assert "écart" not in out
    assert (tmp_path / "france.csv").is_file() and (tmp_path / SUD_CORSE / "rpls.csv").is_file()
