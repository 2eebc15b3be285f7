"""The real Val-d'Oise social stock as users hold it: the open RPLS 2025 file (132,028 dwellings,
no rent, no occupancy, no landlord, geocoded QPV columns left empty) and the real QPV 2024
perimeters of the département.

The RPLS file is rebuilt by ``scripts/build_val_doise_rpls.py`` from the DDT 95 building file
committed in ``tests/data/val_doise/`` (see its README). Expected values are computed
independently: the dwellings in a QPV by a GeoPandas spatial join of the source's own WGS84
points (weighted by their number of dwellings) with the perimeters, never through mixite's
Lambert-93 file and location code.

The second part runs every command on a store that holds only the open RPLS: each exits 0 or 2
with a French message naming the file users know, never a traceback.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mixite.cli import main

DATA = Path(__file__).resolve().parent / "data" / "val_doise"
ROOT = Path(__file__).resolve().parents[1]
QPV_FILE = DATA / "qpv2024_95_val_d_oise.geojson"
SRU_FILE = DATA / "sru_95.csv"
DWELLINGS = 132_028


def build_script() -> object:
    spec = importlib.util.spec_from_file_location(
        "build_val_doise_rpls", ROOT / "scripts" / "build_val_doise_rpls.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """The real entry point (as ``python -m mixite``); an exception escaping it is a failure."""
    old = sys.argv
    sys.argv = ["mixite", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


@pytest.fixture(scope="module")
def rpls_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("val_doise") / "rpls_95_2025.csv"
    rows = build_script().write_rpls(path)  # type: ignore[attr-defined]
    assert rows == DWELLINGS
    return path


def expected_in_qpv() -> tuple[int, int]:
    """Dwellings of the source file inside a QPV 2024 perimeter (GeoPandas spatial join of its
    WGS84 points), and those of its points within 10 cm of a perimeter's edge, which the
    Lambert-93 file (coordinates to 0.1 m) may put on either side."""
    import geopandas as gpd

    points = gpd.read_file(DATA / "rpls_points.geojson")
    perimeters = gpd.read_file(QPV_FILE)[["code_qp", "geometry"]]
    joined = gpd.sjoin(points, perimeters, how="inner", predicate="intersects")
    joined = joined[~joined.index.duplicated()]
    edges = perimeters.to_crs(2154).boundary.union_all()
    near = points.to_crs(2154).distance(edges) < 0.1
    return int(joined["n"].sum()), int(points.loc[near, "n"].sum())


def test_the_rebuilt_file_has_the_exact_2025_header(rpls_file: Path) -> None:
    header = rpls_file.read_bytes().split(b"\r\n", 1)[0].decode("utf-8")
    expected = (DATA / "rpls_2025_header_only.csv").read_bytes().decode("utf-8").strip()
    assert header == expected and len(header.split(";")) == 73
    with rpls_file.open(encoding="utf-8") as handle:
        first = handle.readlines()[1].rstrip("\r\n").split(";")
    row = dict(zip(header.split(";"), first, strict=True))
    assert row["PLG_QP24"] == row["PLG_QP15"] == row["QPV_CODE"] == ""
    assert row["EPSG"] == "2154" and 0 < float(row["X"]) < 1_300_000


def test_import_info_and_diagnostic(
    rpls_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    base = tmp_path / "val_doise.duckdb"
    start = time.perf_counter()
    imported = run_cli(
        capsys,
        "importer", "--base", str(base), "--millesime", "2025", "--rpls", str(rpls_file),
        "--qpv", str(QPV_FILE), "--sru", str(SRU_FILE),
    )  # fmt: skip
    assert imported.code == 0, imported.err
    assert "logements (RPLS) : 132\u202f028 lignes" in imported.out
    assert "quartiers prioritaires (QPV) : 42 lignes" in imported.out

    info = run_cli(capsys, "info", "--base", str(base))
    assert info.code == 0, info.err
    in_qpv, on_edges = expected_in_qpv()
    text = info.out.replace("\u00a0", "").replace("\u202f", "")
    located = re.search(
        r"situés par leurs coordonnées dans les périmètres des QPV : 132028, dont (\d+) en QPV",
        text,
    )
    assert located is not None, info.out
    assert abs(int(located.group(1)) - in_qpv) <= on_edges, (info.out, in_qpv, on_edges)
    assert on_edges < 1000  # points on an edge: under 1 % of the 132,028 dwellings
    assert "Millésime 2025 : 132028 logements, dont" in text

    out = tmp_path / "diagnostic"
    done = run_cli(capsys, "diagnostic", "--base", str(base), "--sortie", str(out))
    assert done.code == 0, done.err
    elapsed = time.perf_counter() - start
    print(f"Val-d'Oise : import, info et diagnostic en {elapsed:.1f} s")

    page = (out / "diagnostic.html").read_text(encoding="utf-8")
    for title in ("Parc par commune", "Parc en QPV et hors QPV", "Parc par QPV"):
        assert f"<h3>{title}</h3>" in page
    assert "<h3>Communes et obligations SRU</h3>" in page
    for missing in (
        "loyers : fichier RPLS version loi",
        "vacance et mobilité : fichier RPLS version loi",
        "identité des bailleurs : fichier RPLS version loi",
        "occupation : fichier de l&#x27;enquête sur l&#x27;occupation du parc social (OPS)",
        "demandes : fichier des demandes en cours",
        "attributions : fichier des attributions de l&#x27;année",
        "marges de manœuvre : le fichier des demandes",
    ):
        assert missing in page, missing
    absent = ("bailleurs", "iris", "vacance", "loyers", "occupation", "fragilite")
    absent += ("segregation", "demande", "quotas", "marges")
    assert page.count("section absente") == len(absent)

    book = load_workbook(out / "diagnostic.xlsx", read_only=True)
    sheets = {"Parc par commune", "Parc QPV et hors QPV", "Communes et SRU", "Sections absentes"}
    assert sheets <= set(book.sheetnames)
    rows = [r for r in book["Sections absentes"].iter_rows(values_only=True) if r and r[0]]
    files = {row[0]: row[1] for row in rows}
    assert files["Loyers et segments de parc"].startswith("loyers : fichier RPLS version loi")
    assert files["Occupation du parc"].startswith("occupation : fichier de l'enquête")
    table = [r for r in book["Communes et SRU"].iter_rows(values_only=True) if r and r[0]]
    header = next(r for r in table if "Code commune" in r)
    body = table[table.index(header) + 1 :]
    argenteuil = next(r for r in body if r[header.index("Code commune")] == "95018")
    assert argenteuil[header.index("Commune")] == "Argenteuil"
    assert argenteuil[header.index("Taux SRU")] == pytest.approx(0.3528)
    assert argenteuil[header.index("Logements sociaux (inventaire SRU)")] == 15102
    assert argenteuil[header.index("Situation SRU")] == "soumise, taux atteint"


COMMANDS: tuple[tuple[str, ...], ...] = (
    ("info",),
    ("diagnostic", "--sortie", "{out}/diagnostic"),
    ("quotas", "--annee", "2024"),
    ("marges", "--annee", "2024", "--sortie", "{out}/marges"),
    (
        "cotation",
        "--grille",
        "{root}/exemples/grilles/lyon_illustrative.yaml",
        "--sortie",
        "{out}/c",
    ),
    ("simuler", "--scenario", "{root}/exemples/scenarios/reference.yaml", "--sortie", "{out}/s"),
    ("optimiser", "--scenario", "{root}/exemples/scenarios/reference.yaml", "--sortie", "{out}/o"),
    ("frontiere", "--scenario", "{root}/exemples/scenarios/reference.yaml", "--sortie", "{out}/f"),
    ("documents", "--annee", "2024", "--sortie", "{out}/documents"),
)


@pytest.fixture(scope="module")
def rpls_only(rpls_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding only an open RPLS file (the dwellings of four communes)."""
    from mixite.jobs.importing import import_files, plan_import

    folder = tmp_path_factory.mktemp("rpls_seul")
    small = folder / "rpls.csv"
    with rpls_file.open(encoding="utf-8", newline="") as source:
        lines = source.readlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(";")[11] in FOUR_COMMUNES]
    small.write_text("".join(kept), encoding="utf-8", newline="")
    base = folder / "rpls.duckdb"
    import_files(base, 2025, plan_import({"dwellings": small}, None, None))
    return base


#: Argenteuil, Sarcelles, Cergy, Ableiges: big and small communes, in and out of QPV.
FOUR_COMMUNES = {"95018", "95585", "95127", "95002"}


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_on_an_rpls_only_store(
    command: tuple[str, ...],
    rpls_only: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [a.format(out=tmp_path, root=ROOT) for a in command]
    done = run_cli(capsys, args[0], "--base", str(rpls_only), *args[1:])
    assert done.code in (0, 2), done.err
    assert "Traceback" not in done.err + done.out
    if done.code == 2:
        assert done.err.startswith("Erreur :"), done.err
        # A file users know, never an English table name.
        assert "fichier" in done.err, done.err
        for table in ("applications", "attributions »", "households", "territory", "landlords"):
            assert f"« {table}" not in done.err, done.err


def test_the_rpls_only_diagnostic_names_what_is_missing(
    rpls_only: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_cli(capsys, "diagnostic", "--base", str(rpls_only), "--sortie", str(tmp_path))
    assert done.code == 0, done.err
    page = (tmp_path / "diagnostic.html").read_text(encoding="utf-8")
    # No QPV perimeters and no geocoded column: the box says how to locate the dwellings.
    assert "QPV des logements : fichier des périmètres des QPV" in page
    assert "inventaire SRU : fichier « Communes et inventaire SRU »" in page
    assert "QPV inconnu (comptés hors QPV) : " in page
    # The boxes say how to import in a report's words: no command option, no project file path,
    # no code without its name (issue « Outputs a conference can adopt »).
    from output_scan import scan_folder, territory_codes

    findings = scan_folder(tmp_path, territory_codes(rpls_only))
    assert [str(f) for f in findings] == []
