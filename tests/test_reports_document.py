"""The document model renders to DOCX with Word styles, captions, page numbers, and to HTML."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from mixite.reports.document import Heading, Paragraph, TableBlock, ToFill, render_docx, render_html

BLOCKS = [
    Heading("Cadre légal"),
    Paragraph("L'article L441-1 fixe l'objectif."),
    Heading("Objectifs", 2),
    TableBlock(
        pd.DataFrame({"Bailleur": ["A", "B"], "Part": [0.2, 0.3]}), "Objectifs", {"Part": "pct"}
    ),
    Heading("Orientations"),
    ToFill("Orientations locales", "À écrire par la CIL."),
]


def test_docx_has_numbered_headings_captions_and_page_numbers(tmp_path: Path) -> None:
    path = render_docx("Document-cadre", "Territoire test", BLOCKS, tmp_path / "d.docx")
    doc = Document(str(path))
    headings = [
        (p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")
    ]
    assert headings == [
        ("Heading 1", "1. Cadre légal"),
        ("Heading 2", "1.1. Objectifs"),
        ("Heading 1", "2. Orientations"),
    ]
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions == ["Tableau 1 – Objectifs"]  # field result "1" is the placeholder text
    table = doc.tables[0]
    assert [c.text for c in table.rows[2].cells] == ["B", "30,0\u00a0%"]
    footer_xml = doc.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    assert "À RÉDIGER PAR LES PARTENAIRES" in doc.tables[1].rows[0].cells[0].text


def test_html_twin_has_the_same_sections(tmp_path: Path) -> None:
    text = render_html("Document-cadre", "Territoire test", BLOCKS, tmp_path / "d.html").read_text()
    assert "1. Cadre légal" in text and "2. Orientations" in text
    assert "Tableau 1 – Objectifs" in text and "30,0\u00a0%" in text
    assert "À rédiger par les partenaires" in text


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice absent")
def test_docx_opens_in_libreoffice(tmp_path: Path) -> None:
    path = render_docx("Document-cadre", "Territoire test", BLOCKS, tmp_path / "d.docx")
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert (tmp_path / "d.pdf").stat().st_size > 1000
