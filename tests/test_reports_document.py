"""The document model renders to DOCX with French Word styles, a written-out table of contents,
tables sized within the page with repeated header rows, proposals, a signatories' page, and to
HTML."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm

from mixite.reports.document import (
    TEXT_WIDTH_CM,
    Heading,
    PageBreak,
    Paragraph,
    Proposal,
    Signatory,
    Signatures,
    TableBlock,
    ToFill,
    bookmark_names,
    heading_pages,
    render_docx,
    render_html,
    table_layout,
    text_width_cm,
)

BLOCKS = [
    Heading("Cadre légal"),
    Paragraph("L'article L441-1 fixe l'objectif."),
    Heading("Objectifs", 2),
    TableBlock(
        pd.DataFrame({"Bailleur": ["A", "B"], "Part": [0.2, 0.3]}),
        "Objectifs",
        {"Part": "pct"},
        fills={(1, "Part"): "FFC7CE"},
    ),
    Heading("Orientations"),
    ToFill("Orientations locales", "À écrire par la CIL."),
]

#: A wide table: eight columns whose headers are long French words.
WIDE = pd.DataFrame(
    {
        "Partenaire": ["Habitat Coopératif de l'Ouest (ESH)", "Mirebourg Habitat (OPH)"],
        "Attributions attendues": [1437, 12],
        "Réalisé l'an passé": [173, 4],
        "Plafond (marge)": [1437, 12],
        "Objectif (attributions)": [360, 3],
        "Objectif (part)": [0.25, 0.25],
        "Attributions manquantes": [187, 0],
        "Situation": ["non atteint", "atteint"],
    }
)
WIDE_FORMATS = {c: "int" for c in WIDE.columns[1:6]} | {"Objectif (part)": "pct"}


def _xml(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(part).decode("utf-8")


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
    assert captions == ["Tableau 1 – Objectifs"]
    table = doc.tables[0]
    assert [c.text for c in table.rows[2].cells] == ["B", "30,0\u00a0%"]
    footer_xml = doc.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    assert "À RÉDIGER PAR LES PARTENAIRES" in doc.tables[1].rows[0].cells[0].text
    # the fill of the second row's share
    shading = table.rows[2].cells[1]._tc.tcPr.find(qn("w:shd"))
    assert shading.get(qn("w:fill")) == "FFC7CE"


def test_every_style_declares_french(tmp_path: Path) -> None:
    path = render_docx("Document-cadre", "Territoire test", BLOCKS, tmp_path / "d.docx")
    styles = _xml(path, "word/styles.xml")
    langs = re.findall(r'<w:lang [^>]*w:val="([^"]+)"', styles)
    assert langs and set(langs) == {"fr-FR"}
    assert "en-US" not in styles
    # the document defaults carry the language, so every run inherits it
    defaults = styles[styles.index("<w:docDefaults>") : styles.index("</w:docDefaults>")]
    assert 'w:val="fr-FR"' in defaults
    settings = _xml(path, "word/settings.xml")
    assert '<w:themeFontLang w:val="fr-FR"' in settings
    assert '<w:decimalSymbol w:val=","/>' in settings
    assert Document(str(path)).core_properties.language == "fr-FR"


def test_table_of_contents_is_written_out(tmp_path: Path) -> None:
    blocks = [*BLOCKS, Heading("Annexe", numbered=False)]
    pages = {mark: k + 2 for k, mark in enumerate(bookmark_names(blocks))}
    path = render_docx("Document-cadre", "Territoire test", blocks, tmp_path / "d.docx", pages)
    doc = Document(str(path))
    entries = [p.text for p in doc.paragraphs if re.fullmatch(r"TOC \d", p.style.name)]
    # every heading of levels 1 and 2, with its number, then its page after a tab
    assert entries == ["1. Cadre légal\t2", "1.1. Objectifs\t3", "2. Orientations\t4", "Annexe\t5"]
    xml = _xml(path, "word/document.xml")
    assert "(F9)" not in xml and "Mettre à jour" not in xml and " TOC " not in xml
    # each entry links to a bookmark set on its heading, and its page is a PAGEREF field
    for mark in bookmark_names(blocks):
        assert f'w:anchor="{mark}"' in xml
        assert f'w:name="{mark}"' in xml
        assert f"PAGEREF {mark} \\h" in xml


def test_heading_pages_reads_the_laid_out_table_of_contents() -> None:
    blocks = [
        Heading("Cadre légal"),
        Heading("Objectifs par bailleur et par commune pour la durée de la convention", 2),
        Heading("Bilan des attributions 2024"),
        Heading("Signatures", numbered=False),
    ]
    first_page = (
        "Document-cadre\nSommaire\n1. Cadre légal..................... 2\n"
        "1.1. Objectifs par bailleur et par commune pour la durée de la\n"
        "convention..................................... 3\n"
        "2. Bilan des attributions 2024 ................. 12\nSignatures......... 14\n"
    )
    marks = bookmark_names(blocks)
    assert heading_pages([first_page], blocks) == dict(zip(marks, [2, 3, 12, 14], strict=True))
    # an entry that cannot be found gives no page numbers at all (never wrong ones)
    assert heading_pages([first_page.replace("Signatures", "Autre")], blocks) == {}
    assert heading_pages(["no table of contents"], blocks) == {}


def test_tables_repeat_their_header_and_fit_the_text_width(tmp_path: Path) -> None:
    blocks = [Heading("Objectifs"), TableBlock(WIDE, "Objectifs par bailleur", WIDE_FORMATS)]
    doc = Document(str(render_docx("Doc", "Test", blocks, tmp_path / "d.docx")))
    table = doc.tables[0]
    first, second = table.rows[0]._tr.trPr, table.rows[1]._tr.trPr
    assert first.find(qn("w:tblHeader")) is not None
    assert second.find(qn("w:tblHeader")) is None
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    text_width_twips = Cm(TEXT_WIDTH_CM).twips  # 17 cm = 9 638 twips
    assert sum(grid) <= text_width_twips
    width = table._tbl.tblPr.find(qn("w:tblW"))
    assert width.get(qn("w:type")) == "dxa" and int(width.get(qn("w:w"))) == sum(grid)
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def test_layout_keeps_every_header_word_whole() -> None:
    header = [str(c) for c in WIDE.columns]
    cells = [[str(v) for v in row] for row in WIDE.itertuples(index=False)]
    widths, size = table_layout(header, cells)
    assert sum(widths) <= TEXT_WIDTH_CM
    for title, width in zip(header, widths, strict=True):
        longest = max(title.split(), key=len)
        # the column holds its longest header word in bold, plus the cell margins (0.2 cm)
        assert width >= text_width_cm(longest, size, bold=True) + 0.2, (title, width)


def test_layout_known_answers() -> None:
    # Two short columns fit at the largest size and share the whole width in proportion to
    # their longest line: « Valeur » (bold) and « 12 » want less than « Indicateur » (bold).
    widths, size = table_layout(["Indicateur", "Valeur"], [["Logements", "12"]])
    assert size == 8.5
    assert sum(widths) == pytest.approx(TEXT_WIDTH_CM, rel=1e-3)
    assert widths[0] > widths[1]
    # Twenty columns of « Attributions » cannot hold at 8.5 pt: the font shrinks to the first
    # size where twenty bold « Attributions » (≈ 1.9 cm each at 8.5 pt) fit in 17 cm, or the
    # smallest one.
    header = [f"Attributions {k}" for k in range(20)]
    widths, size = table_layout(header, [["1"] * 20])
    assert size < 8.5
    assert sum(widths) <= TEXT_WIDTH_CM
    # A short reference beside a long text keeps its line: the long text wraps, the reference
    # gets all it wants (its width on one line plus the 0.2 cm of margins).
    # Two long texts want 8 cm each: shared in proportion to what each still wants, the
    # reference would get only part of its wish and break at its hyphens.
    long_text = " ".join(["orientation"] * 60)
    widths, size = table_layout(
        ["Texte", "Instance", "Étape"], [["CCH art. L441-1-5", long_text, long_text]]
    )
    assert widths[0] >= text_width_cm("CCH art. L441-1-5", size) + 0.2
    assert sum(widths) == pytest.approx(TEXT_WIDTH_CM, rel=1e-3)
    # A single word wider than the page is shrunk to the page (it will break): never wider.
    widths, _ = table_layout(["x" * 400], [["1"]])
    assert widths[0] <= TEXT_WIDTH_CM


def test_proposal_and_signatures(tmp_path: Path) -> None:
    blocks = [
        Heading("Orientations"),
        Proposal("Mixité", ("Atteindre 25 % hors QPV.", "Flécher les logements."), "Base."),
        PageBreak(),
        Heading("Signatures", numbered=False),
        Signatures(
            (
                Signatory("l'EPCI", "Le président"),
                Signatory("l'État", "Le préfet"),
                Signatory("Mirebourg Habitat (OPH)", "Le directeur général"),
            )
        ),
    ]
    path = render_docx("Convention", "Test", blocks, tmp_path / "c.docx")
    doc = Document(str(path))
    box = doc.tables[0].rows[0].cells[0].text
    assert box.startswith("PROPOSITION À DÉBATTRE – Mixité")
    assert "Atteindre 25 % hors QPV." in box and "Base." in box
    signatures = doc.tables[1]
    blocks_text = [c.text for row in signatures.rows for c in row.cells]
    # two blocks per row: three signatories make two rows, the last cell empty
    assert len(signatures.rows) == 2
    assert [t.split("\n")[0] for t in blocks_text[:3]] == [
        "Pour l'EPCI",
        "Pour l'État",
        "Pour Mirebourg Habitat (OPH)",
    ]
    assert all("Signature :" in t for t in blocks_text[:3])
    assert blocks_text[3] == ""
    html = render_html("Convention", "Test", blocks, tmp_path / "c.html").read_text("utf-8")
    assert html.count('class="signataire"') == 3
    assert 'class="proposition"' in html


def test_html_twin_has_the_same_sections(tmp_path: Path) -> None:
    text = render_html("Document-cadre", "Territoire test", BLOCKS, tmp_path / "d.html").read_text()
    assert '<html lang="fr">' in text
    assert "1. Cadre légal" in text and "2. Orientations" in text
    assert "Tableau 1 – Objectifs" in text and "30,0\u00a0%" in text
    assert "background:#FFC7CE" in text
    assert "À rédiger par les partenaires" in text
    # the table of contents links to the headings
    assert text.count('href="#_Toc') == 3


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice absent")
def test_docx_opens_in_libreoffice_with_whole_header_words(tmp_path: Path) -> None:
    blocks = [
        *BLOCKS,
        TableBlock(WIDE, "Objectifs par bailleur", WIDE_FORMATS),
    ]
    path = render_docx("Document-cadre", "Territoire test", blocks, tmp_path / "d.docx")
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "d.pdf"
    assert pdf.stat().st_size > 1000
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        words = set(text.split())
        # every header word of the wide table is laid out whole (a word cut by a narrow column
        # would appear in two pieces)
        for title in WIDE.columns:
            for word in title.split():
                assert word in words, (word, title)
        # LibreOffice computes the table of contents' page numbers: the body starts on page 2
        assert re.search(r"1\. Cadre légal\.*\s*2\b", text)
