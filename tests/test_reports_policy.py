"""End to end: `mixite documents` on a small synthetic territory.

Each figure checked here is recomputed from the store tables with plain pandas; the objectives
split must add up exactly to the EPCI objective ⌈25 % × attributions outside QPV⌉."""

from __future__ import annotations

import math
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
from typer.testing import CliRunner

from mixite.cli import app
from mixite.jobs.documents import documents as documents_job
from mixite.params import default_parameters
from mixite.reports.documents import policy_inputs
from mixite.store import Store

runner = CliRunner()
YEAR = 2024
STEMS = ("document-cadre", "cia", "bilan")


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


def _table_after(doc: object, caption: str) -> list[list[str]]:
    """The table that follows the caption containing ``caption``."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = doc.element.body  # type: ignore[attr-defined]
    found = False
    for child in body.iterchildren():
        if child.tag == qn("w:p") and caption in Paragraph(child, doc).text:
            found = True
        elif child.tag == qn("w:tbl") and found:
            return [[c.text for c in row.cells] for row in Table(child, doc).rows]
    raise AssertionError(f"no table after a caption containing {caption!r}")


def _store_attributions(petite_store: Path) -> pd.DataFrame:
    with Store(petite_store) as st:
        att = st.read("attributions")
    return att[att["lease_date"].dt.year == YEAR]


def _all_text(path: Path) -> str:
    """Every piece of text of a DOCX: body, tables, headers and footers."""
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if re.match(r"word/(document|header|footer)", n)]
        xml = "".join(archive.read(n).decode("utf-8") for n in parts)
    return " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def _int(text: str) -> int:
    return int(text.replace("\u202f", "").replace("\u00a0", ""))


def test_three_documents_with_their_headings(documents: Path) -> None:
    expected = {
        "document-cadre": [
            "Cadre légal",
            "Diagnostic",
            "Carte des résidences",
            "Orientations",
            "Mutations",
            "Relogement des ménages DALO et prioritaires",
            "Relogement lié au renouvellement urbain",
            "travailleurs essentiels",
            "Objectifs quantifiés",
            "Adoption et approbation",
        ],
        "cia": ["Préambule", "Visas", "Article 1 – Objet", "Article 2 – Durée", "Signatures"],
        "bilan": [f"Objectifs légaux en {YEAR}", "Évolution sur trois ans", "Par bailleur"],
    }
    for stem, headings in expected.items():
        doc = Document(str(documents / f"{stem}.docx"))
        texts = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
        for heading in headings:
            assert any(heading in t for t in texts), (stem, heading, texts)
        assert (documents / f"{stem}.html").read_text(encoding="utf-8").count("<h2") >= 3


def test_the_review_opens_on_the_legal_objectives(documents: Path) -> None:
    doc = Document(str(documents / "bilan.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == f"1. Objectifs légaux en {YEAR}"


def test_cia_articles_in_order(documents: Path) -> None:
    doc = Document(str(documents / "cia.docx"))
    articles = [
        p.text
        for p in doc.paragraphs
        if p.style.name == "Heading 1" and p.text.startswith("Article ")
    ]
    numbers = [int(re.match(r"Article (\d+) – ", a).group(1)) for a in articles]  # type: ignore[union-attr]
    assert numbers == list(range(1, len(articles) + 1))
    titles = " | ".join(articles)
    for needed in (
        "Objet",
        "Durée",
        "hors QPV",
        "en QPV",
        "DALO",
        "renouvellement urbain",
        "Mutations",
        "travailleurs essentiels",
        "Engagements des signataires",
        "Commission de coordination",
        "Suivi et évaluation",
        "Avis et approbation",
    ):
        assert needed in titles, needed
    text = _all_text(documents / "cia.docx")
    # the duration is the dated parameter (documents.cia.duree_ans = 6), the visas cite the law
    years = int(default_parameters().value("documents.cia.duree_ans", f"{YEAR}-06-01"))
    assert f"pour une durée de {years} ans" in text
    assert "Vu la loi n° 2017-86 du 27 janvier 2017" in text
    assert "Vu l'arrêté du 13 mai 2024" in text  # the Q1 arrêté of the year (seuils_q1.yaml)
    assert "comité responsable du plan départemental" in text


def test_cia_signatories_page_names_every_partner(documents: Path, petite_store: Path) -> None:
    with Store(petite_store) as st:
        landlords = st.read("landlords")["landlord_name"].tolist()
    doc = Document(str(documents / "cia.docx"))
    blocks = [
        c.text.split("\n")[0]
        for t in doc.tables
        for row in t.rows
        for c in row.cells
        if c.text.startswith("Pour ")
    ]
    assert "Pour l'État" in blocks
    for name in landlords:
        assert f"Pour {name}" in blocks
    assert "Pour Action Logement Services" in blocks
    # each block leaves room for the name, the date and the signature
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert all("Signature :" in c for c in cells if c.startswith("Pour "))


def test_cia_commitments_per_signatory(documents: Path, petite_store: Path) -> None:
    with Store(petite_store) as st:
        landlords = st.read("landlords")["landlord_name"].tolist()
    doc = Document(str(documents / "cia.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    for name in landlords:
        assert f"Engagements – {name}" in headings
    assert "Engagements – État" in headings


def test_no_software_command_nor_statistical_jargon(documents: Path) -> None:
    for stem in STEMS:
        for text in (
            _all_text(documents / f"{stem}.docx"),
            (documents / f"{stem}.html").read_text("utf-8"),
        ):
            lowered = text.lower()
            assert "mixite" not in lowered, stem
            for jargon in ("binomial", "p-valeur", "p-value", "significatif", "(f9)"):
                assert jargon not in lowered, (stem, jargon)


def test_outputs_show_names_and_french_words(documents: Path, petite_store: Path) -> None:
    # the scanner of every output (tests/output_scan.py): no identifier, no Python value, no
    # landlord, commune or QPV code without its name
    from output_scan import scan_folder, territory_codes

    findings = scan_folder(documents, territory_codes(petite_store))
    assert [str(f) for f in findings] == []


def test_every_docx_declares_french(documents: Path) -> None:
    for stem in STEMS:
        with zipfile.ZipFile(documents / f"{stem}.docx") as archive:
            styles = archive.read("word/styles.xml").decode("utf-8")
        assert set(re.findall(r'<w:lang [^>]*w:val="([^"]+)"', styles)) == {"fr-FR"}, stem


def test_tables_repeat_their_header_and_fit_the_page_width(documents: Path) -> None:
    for stem in STEMS:
        doc = Document(str(documents / f"{stem}.docx"))
        section = doc.sections[0]
        text_width = section.page_width - section.left_margin - section.right_margin
        for table in doc.tables:
            width = sum(c.width or 0 for c in table.columns)
            assert width <= text_width + Cm(0.05), (stem, width, text_width)
            # data tables (a caption above them) repeat their first row on each page
            if len(table.columns) > 1 and table.rows[0].cells[0].text != "":
                first = table.rows[0]._tr.trPr
                has_header = first is not None and first.find(qn("w:tblHeader")) is not None
                is_signature = table.rows[0].cells[0].text.startswith("Pour ")
                assert has_header or is_signature, (stem, table.rows[0].cells[0].text)


#: CT_TblPr's children in the order of the WordprocessingML schema (ECMA-376 §17.4.60); Word
#: rejects a file whose table properties are out of order.
TBLPR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
    "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
    "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
)  # fmt: skip


def test_table_properties_in_schema_order(documents: Path) -> None:
    for stem in STEMS:
        doc = Document(str(documents / f"{stem}.docx"))
        for table in doc.tables:
            tags = [child.tag.split("}")[1] for child in table._tbl.tblPr]
            ranks = [TBLPR_ORDER.index(tag) for tag in tags]
            assert ranks == sorted(ranks), (stem, tags)
            assert len(set(tags)) == len(tags), (stem, tags)


def test_table_of_contents_has_page_numbers(documents: Path) -> None:
    # LibreOffice and poppler are installed by .ci/run (Debian packages): the check always runs.
    assert shutil.which("soffice") and shutil.which("pdftotext"), (
        "LibreOffice (soffice) et poppler (pdftotext) sont nécessaires : voir .ci/run"
    )
    doc = Document(str(documents / "cia.docx"))
    entries = [p.text for p in doc.paragraphs if re.fullmatch(r"TOC \d", p.style.name)]
    assert entries[0].startswith("Préambule\t")
    pages = [int(e.rsplit("\t", 1)[1]) for e in entries]
    # the body starts after the first page and the pages never go back
    assert pages[0] >= 2 and pages == sorted(pages)


def test_bilan_legal_objectives_equal_store(documents: Path, petite_store: Path) -> None:
    att = _store_attributions(petite_store)
    doc = Document(str(documents / "bilan.docx"))
    rows = _table_with(doc, "Partenaire", "Action Logement Services")
    header = rows[0]
    assert "Écart significatif" not in header
    al = next(r for r in rows if r[0] == "Action Logement Services")
    part = att[att["reservataire"] == "action_logement"]
    n, k = len(part), int((part["dalo"] | part["priority"]).sum())
    missing = max(0, math.ceil(0.25 * n - 1e-9) - k)
    assert _int(al[header.index("Attributions")]) == n
    assert _int(al[header.index("Attributions manquantes")]) == missing
    assert al[header.index("Situation")] == ("atteint" if missing == 0 else "non atteint")
    # the State is exempt: no State row among the obligations
    assert not any(r[0].startswith("État") for r in rows)


def test_bilan_figures_equal_store(documents: Path, petite_store: Path) -> None:
    att = _store_attributions(petite_store)
    doc = Document(str(documents / "bilan.docx"))
    rows = _table_with(doc, "Partenaire", "autres quartiles, en QPV")
    landlord = next(r for r in rows if r[1] == "autres quartiles, en QPV")
    with Store(petite_store) as st:
        names = st.read("landlords").set_index("landlord_name")["landlord_id"]
    code = names[landlord[0]]
    assert _int(landlord[2]) == int((att["in_qpv"] & (att["landlord_id"] == code)).sum())


def test_bilan_says_which_years_are_missing(documents: Path) -> None:
    text = _all_text(documents / "bilan.docx")
    # the store holds the leases of 2024 only: 2022 and 2023 are named as missing
    assert f"Les attributions de {YEAR - 2} et {YEAR - 1} ne figurent pas dans la base" in text


def test_cia_objectives_sum_to_the_epci_objective(documents: Path, petite_store: Path) -> None:
    att = _store_attributions(petite_store)
    outside = int((~att["in_qpv"]).sum())
    rate = default_parameters().value("quotas.q1_hors_qpv", f"{YEAR}-12-31")
    doc = Document(str(documents / "cia.docx"))
    for first in ("Partenaire", "Commune"):  # per landlord and per commune
        rows = _table_with(doc, first, "Total")
        header = rows[0]
        col = header.index("Objectif (attributions)")
        partners = [r for r in rows[1:] if r[0] != "Total"]
        total = next(r for r in rows if r[0] == "Total")
        values = [_int(r[col]) for r in partners]
        assert sum(values) == _int(total[col]) == math.ceil(rate * outside), first


def test_cia_priority_objective_of_each_landlord(documents: Path, petite_store: Path) -> None:
    # each landlord's non-reserved objective is ⌈25 % × its own non-reserved attributions⌉
    att = _store_attributions(petite_store)
    with Store(petite_store) as st:
        names = st.read("landlords").set_index("landlord_id")["landlord_name"]
    own = att[att["reservataire"] == "bailleur"].groupby("landlord_id").size()
    doc = Document(str(documents / "cia.docx"))
    rows = _table_after(doc, "ménages DALO ou prioritaires sur les logements non réservés")
    col = rows[0].index("Objectif (attributions)")
    for code, n in own.items():
        row = next(r for r in rows if r[0] == names[code])
        assert _int(row[col]) == math.ceil(0.25 * n - 1e-9)


def test_document_cadre_map_and_proposals(documents: Path) -> None:
    doc = Document(str(documents / "document-cadre.docx"))
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert any("classe de fragilité et quartiers prioritaires" in c for c in captions)
    assert (documents / "images" / "carte_residences.png").stat().st_size > 20_000
    proposals = [
        t.rows[0].cells[0].text
        for t in doc.tables
        if t.rows[0].cells[0].text.startswith("PROPOSITION À DÉBATTRE")
    ]
    assert len(proposals) >= 5
    # the first orientation starts from the EPCI's Q1 share outside QPV
    assert "hors QPV" in proposals[0]


def test_marked_sections_for_people(documents: Path) -> None:
    text = (documents / "document-cadre.html").read_text(encoding="utf-8")
    assert "À rédiger par les partenaires" in text
    assert "Proposition à débattre" in text


class _ThreeYears:
    """The petite store whose leases are repeated one and two years later (new identifiers):
    three years of attributions, each with a Q1 threshold (2024 to 2026)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def millesimes(self, table: str | None = None) -> list[int]:
        return self.store.millesimes(table)

    def read(self, table: str, millesime: int | None = None) -> pd.DataFrame:
        frame = self.store.read(table, millesime)
        if table != "attributions":
            return frame
        copies = [frame]
        for k in (1, 2):
            copy = frame.copy()
            copy["attribution_id"] = copy["attribution_id"].astype(str) + f"-{k}"
            copy["lease_date"] = copy["lease_date"] + pd.DateOffset(years=k)
            copies.append(copy)
        return pd.concat(copies, ignore_index=True)


def test_three_years_of_evolution(petite_store: Path) -> None:
    att = _store_attributions(petite_store)
    with Store(petite_store) as st:
        result = documents_job(_ThreeYears(st), YEAR + 2)
    assert result.history_window == (YEAR, YEAR + 1, YEAR + 2)
    assert dict(result.missing_years) == {}
    inputs = policy_inputs(result)
    assert inputs.history is not None and list(inputs.history["Année"]) == ["2024", "2025", "2026"]
    assert any(t.startswith(f"De {YEAR} à {YEAR + 2}") for t in inputs.evolution_text)
    priority = next(o for o in inputs.obligations if "DALO" in o.title)
    trend = next(c for c in priority.table.columns if c.startswith("Années précédentes"))
    assert trend == f"Années précédentes (avant {YEAR + 2})"
    row = priority.table[priority.table["Partenaire"] == "Action Logement Services"].iloc[0]
    # the same leases every year: Action Logement's priority share is the same each year
    part = att[att["reservataire"] == "action_logement"]
    share = (part["dalo"] | part["priority"]).mean()
    shown = f"{share * 100:.1f}".replace(".", ",") + "\u00a0%"
    assert row[trend] == f"{YEAR} : {shown} · {YEAR + 1} : {shown}"
    assert row["Réalisé"] == pytest.approx(share)


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
def test_documents_convert_to_pdf_with_repeated_headers(documents: Path, tmp_path: Path) -> None:
    files = [str(documents / f"{s}.docx") for s in STEMS]
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), *files],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for stem in STEMS:
        pdf = tmp_path / f"{stem}.pdf"
        assert pdf.stat().st_size > 5000
    if shutil.which("pdftotext") is None:
        return
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "document-cadre.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pages = text.split("\f")
    # the fragile residences' table runs over several pages: its header row is repeated
    with_header = [i for i, p in enumerate(pages) if re.search(r"Résidence\s+Commune\s+En", p)]
    assert len(with_header) >= 2, with_header
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(tmp_path / "cia.pdf"),
             str(tmp_path / "cia")],
            check=True,
        )  # fmt: skip
        assert any(tmp_path.glob("cia*.png"))


def test_map_legend_lists_every_class(petite_store: Path, tmp_path: Path) -> None:
    from mixite.reports.documents import _class_legend

    with Store(petite_store) as st:
        result = documents_job(st, YEAR)
    layer = result.map_residences
    assert layer is not None
    located = layer.dropna(subset=["x", "y"])
    entries = _class_legend(located)
    # every class drawn is in the legend with its count, the unclassified residences too
    assert {label for label, _, _ in entries} == set(located["fragility_class"].astype(str))
    assert sum(count for _, _, count in entries) == len(located)
    assert any(label.startswith("non classée") for label, _, _ in entries)
    assert entries[0][0] == "très fragile"
    inputs = policy_inputs(result, tmp_path)
    assert inputs.maps[0].image.name == "carte_residences.png"


def test_the_relocation_section_says_when_no_followup_is_imported(documents: Path) -> None:
    # the petite store holds no relocation follow-up: the CIA and the review say so plainly
    for stem in ("cia", "bilan"):
        text = _all_text(documents / f"{stem}.docx")
        assert "Aucun suivi des relogements n'a été transmis" in text, stem
