"""QPV location through the import job and what the store then says (``info``, diagnostic).

The synthetic territory places each dwelling in a QPV with its own geometry
(``synth.geographie.qpv_of_points``) and writes the code in ``PLG_QP24``: emptied, the dwellings
must be found again in the same QPV by mixite's location of their coordinates in the imported
perimeters — an independent check of the location.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from mixite.jobs.diagnostic import diagnostic
from mixite.jobs.importing import import_files, info, plan_import
from mixite.store import Store
from mixite.synth import generate, size_profile


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("petite_qpv")
    generate(out, np.random.default_rng(11), size_profile("petite"), 2025)
    return out


def rewrite(source: Path, target: Path, change: dict[str, object]) -> list[dict[str, str]]:
    """Copy a ``;`` CSV, applying ``change`` (column → value, or function of the row)."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        rows = list(reader)
        header = list(reader.fieldnames or [])
    original = [dict(r) for r in rows]
    for row in rows:
        for column, value in change.items():
            row[column] = value(row) if callable(value) else str(value)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return original


def test_perimeters_imported_later_locate_the_stored_dwellings(
    folder: Path, tmp_path: Path
) -> None:
    rpls = tmp_path / "rpls.csv"
    original = rewrite(folder / "rpls.csv", rpls, {"PLG_QP24": "", "QPV_CODE": ""})
    expected = {r["IDENT_INT"]: r["PLG_QP24"] or None for r in original}
    base = tmp_path / "b.duckdb"
    communes = {"communes": folder / "communes.csv"}
    import_files(base, 2025, plan_import({**communes, "dwellings": rpls}, None, None))
    with Store(base) as store:
        before = info(store).qpv
    assert before is not None and int(before["inconnu"].iloc[0]) == len(original)
    assert int(before["in_qpv"].iloc[0]) == 0

    import_files(base, 2025, plan_import({"qpv": folder / "qpv.geojson"}, None, None))
    with Store(base) as store:
        after = info(store).qpv
        dwellings = store.read("dwellings", 2025)
    assert after is not None
    assert int(after["coordonnees"].iloc[0]) == len(original)
    assert int(after["in_qpv"].iloc[0]) == sum(1 for code in expected.values() if code)
    got = dict(zip(dwellings["dwelling_id"], dwellings["qpv_code"], strict=True))
    assert got == expected
    assert (dwellings["qpv_2024_source"] == "coordonnees").all()


def test_disagreeing_attributions_are_reported(folder: Path, tmp_path: Path) -> None:
    attributions = tmp_path / "attributions.csv"
    flipped: list[str] = []

    def flip(row: dict[str, str]) -> str:
        # The first five attributions of a known dwelling outside QPV are declared in QPV.
        if row["en_qpv"] == "0" and len(flipped) < 5 and row["IDENT_INT"]:
            flipped.append(row["id_attribution"])
            return "1"
        return row["en_qpv"]

    rewrite(folder / "attributions.csv", attributions, {"en_qpv": flip})
    base = tmp_path / "b.duckdb"
    import_files(base, 2025, plan_import({}, folder, None))
    # Imported again alone, the attributions of the millésime are replaced.
    again = {"attributions": attributions, "communes": folder / "communes.csv"}
    import_files(base, 2025, plan_import(again, None, None))
    with Store(base) as store:
        counts = info(store).qpv
        result = diagnostic(store)
    assert counts is not None and int(counts["disagreements"].iloc[0]) == 5
    table = result.qpv_disagreements
    assert table is not None
    assert sorted(table["attribution_id"]) == sorted(flipped)
    assert set(table["kind"]) == {"en_qpv"}
    # The quotas count them outside QPV, as their dwelling is.
    assert not table["dwelling_in_qpv"].any()
    from openpyxl import load_workbook

    from mixite.reports.diagnostic import write_diagnostic

    outputs = write_diagnostic(result, tmp_path / "diagnostic")
    page = outputs.html.read_text(encoding="utf-8")
    assert "Attributions dont le QPV déclaré diffère de celui du logement" in page
    # Counted by commune and kind, no attribution listed: the flipped ones sum to five.
    for ident in flipped:
        assert ident not in page
    book = load_workbook(outputs.xlsx, read_only=True)
    assert "QPV des attributions" in book.sheetnames
    rows = [r for r in book["QPV des attributions"].iter_rows(values_only=True) if r and r[0]]
    header = next(i for i, r in enumerate(rows) if "Attributions" in r)
    column = rows[header].index("Attributions")
    kinds = rows[header].index("Écart")
    body = [r for r in rows[header + 1 :] if isinstance(r[column], int)]
    assert {r[kinds] for r in body} == {"déclarée en QPV, logement hors QPV"}
    assert sum(r[column] for r in body) == 5
