"""End to end: `mixite documents` on a small synthetic territory.

Each figure checked here is recomputed from the store tables with plain pandas; the objectives
split must add up exactly to the EPCI objective ⌈25 % × attributions outside QPV⌉."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.shared import Cm
from typer.testing import CliRunner

from mixite.cli import app
from mixite.params import default_parameters
from mixite.store import Store

runner = CliRunner()
YEAR = 2024


@pytest.fixture(scope="module")
def documents(petite_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("documents")
    result = runner.invoke(
        app, ["documents", "--base", str(petite_store), "--annee", str(YEAR), "--sortie", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def _table_with(doc: object, first_header: str, needle: str) -> list[list[str]]:
    for table in doc.tables:  # type: ignore[attr-defined]
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows and rows[0][0] == first_header and any(needle in " ".join(r) for r in rows):
            return rows
    raise AssertionError(f"no table starting with {first_header!r} containing {needle!r}")


def _store_attributions(petite_store: Path) -> pd.DataFrame:
    with Store(petite_store) as st:
        att = st.read("attributions")
    return att[att["lease_date"].dt.year == YEAR]


def test_three_documents_with_their_headings(documents: Path) -> None:
    expected = {
        "document-cadre": ["Cadre légal", "Diagnostic", "Enjeux par secteur", "Orientations"],
        "cia": ["Parties", "Engagements", "Relogement", "Coopération et suivi", "Annexes"],
        "bilan": [f"Bilan des attributions {YEAR}", "Par bailleur", "Par réservataire", "Analyse"],
    }
    for stem, headings in expected.items():
        doc = Document(str(documents / f"{stem}.docx"))
        texts = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
        for heading in headings:
            assert any(heading in t for t in texts), (stem, heading, texts)
        assert (documents / f"{stem}.html").read_text(encoding="utf-8").count("<h2>") >= 3


def test_bilan_figures_equal_store(documents: Path, petite_store: Path) -> None:
    att = _store_attributions(petite_store)
    doc = Document(str(documents / "bilan.docx"))
    rows = _table_with(doc, "Partenaire", "DALO ou prioritaires")
    epci = {r[1]: r for r in rows if r[0] == "Ensemble de l'EPCI"}
    # prioritaires: all attributions of the year, numerator = DALO or priority households
    prio = epci["DALO ou prioritaires"]
    assert int(prio[2].replace("\u202f", "")) == len(att)
    assert int(prio[3].replace("\u202f", "")) == int((att["dalo"] | att["priority"]).sum())
    # in-QPV denominator
    in_qpv = epci["autres quartiles, en QPV"]
    assert int(in_qpv[2].replace("\u202f", "")) == int(att["in_qpv"].sum())


def test_cia_objectives_sum_to_the_epci_objective(documents: Path, petite_store: Path) -> None:
    att = _store_attributions(petite_store)
    outside = int((~att["in_qpv"]).sum())
    rate = default_parameters().value("quotas.q1_hors_qpv", f"{YEAR}-12-31")
    doc = Document(str(documents / "cia.docx"))
    rows = _table_with(doc, "Partenaire", "Total EPCI")
    header = rows[0]
    col = header.index("Objectif (attributions)")
    partners = [r for r in rows[1:] if r[0] != "Total EPCI"]
    total = next(r for r in rows if r[0] == "Total EPCI")
    values = [int(r[col].replace("\u202f", "")) for r in partners]
    assert sum(values) == int(total[col].replace("\u202f", "")) == math.ceil(rate * outside)


def test_tables_fit_the_page_width(documents: Path) -> None:
    for stem in ("document-cadre", "cia", "bilan"):
        doc = Document(str(documents / f"{stem}.docx"))
        section = doc.sections[0]
        text_width = section.page_width - section.left_margin - section.right_margin
        for table in doc.tables:
            width = sum(c.width or 0 for c in table.columns)
            assert width <= text_width + Cm(0.05), (stem, width, text_width)


def test_marked_sections_for_people(documents: Path) -> None:
    text = (documents / "document-cadre.html").read_text(encoding="utf-8")
    assert "À rédiger par les partenaires" in text


def test_unknown_method_is_a_french_error(petite_store: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "documents",
            "--base",
            str(petite_store),
            "--annee",
            "2024",
            "--sortie",
            str(tmp_path),
            "--methode",
            "x",
        ],
    )
    assert result.exit_code != 0
    assert "Méthode « x » inconnue" in str(result.exception)


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice absent")
def test_documents_convert_to_pdf_and_render(documents: Path, tmp_path: Path) -> None:
    files = [str(documents / f"{s}.docx") for s in ("document-cadre", "cia", "bilan")]
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), *files],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for stem in ("document-cadre", "cia", "bilan"):
        pdf = tmp_path / f"{stem}.pdf"
        assert pdf.stat().st_size > 5000
        if shutil.which("pdftoppm"):
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "40",
                    "-png",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    str(pdf),
                    str(tmp_path / stem),
                ],
                check=True,
            )
            assert any(tmp_path.glob(f"{stem}*.png"))
