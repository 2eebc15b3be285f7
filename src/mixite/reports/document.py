"""A small document model rendered both as DOCX (python-docx, real Word styles) and as HTML.

A policy document is a list of blocks: numbered headings, paragraphs, tables with captions,
figures, and "to fill in" boxes for the text only people can write. The same blocks give the
editable DOCX (headings in the built-in "Heading n" styles, numbered "1.", "1.2"; table and
figure captions in the "Caption" style with SEQ fields; page numbers in the footer; a table of
contents field) and the HTML version.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mixite.reports.common import Section, render_page, table_html
from mixite.reports.fr import Format
from mixite.reports.fr import value as format_value

__all__ = [
    "Block",
    "Figure",
    "Heading",
    "Paragraph",
    "TableBlock",
    "ToFill",
    "render_docx",
    "render_html",
]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    bullet: bool = False
    bold: bool = False


@dataclass(frozen=True)
class TableBlock:
    frame: pd.DataFrame
    caption: str
    formats: dict[str, Format] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Figure:
    image: Path
    caption: str


@dataclass(frozen=True)
class ToFill:
    """A clearly marked section for the partners to write (never invented figures)."""

    title: str
    prompt: str


Block = Heading | Paragraph | TableBlock | Figure | ToFill

#: A4 portrait with 2 cm margins.
_TEXT_WIDTH_CM = 17.0


def _numbering(blocks: list[Block]) -> list[str]:
    counters = [0, 0, 0]
    out = []
    for block in blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 3)
            counters[level - 1] += 1
            for i in range(level, 3):
                counters[i] = 0
            out.append(".".join(str(c) for c in counters[:level]) + ".")
        else:
            out.append("")
    return out


def _add_field(paragraph: object, instruction: str, placeholder: str = "1") -> None:
    """Insert a Word field (PAGE, SEQ Tableau, TOC…) into a python-docx paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()  # type: ignore[attr-defined]
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    text = OxmlElement("w:t")
    text.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate, text, end):
        run._r.append(element)


def _column_widths_cm(frame: pd.DataFrame, formats: dict[str, Format]) -> list[float]:
    """Column widths proportional to content: a header wraps at words, long cells wrap too."""
    weights = []
    for col in frame.columns:
        cells = [format_value(v, formats.get(str(col))) for v in frame[col].head(200)]
        header_word = max((len(w) for w in str(col).split()), default=4)
        longest = max([header_word, *(len(c) for c in cells)])
        numeric = formats.get(str(col)) in ("int", "float", "pct", "eur")
        weights.append(min(max(longest + (2 if numeric else 0), 7.0), 24.0))
    total = sum(weights)
    return [_TEXT_WIDTH_CM * w / total for w in weights]


def render_docx(title: str, subtitle: str, blocks: list[Block], path: Path) -> Path:
    """Write the blocks as an editable DOCX with Word styles, captions and page numbers."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    normal = doc.styles["Normal"]
    normal.font.name = "Liberation Sans"  # type: ignore[attr-defined]
    normal.font.size = Pt(10.5)  # type: ignore[attr-defined]

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{title} — page ")
    _add_field(footer, "PAGE")
    footer.add_run(" sur ")
    _add_field(footer, "NUMPAGES")

    doc.add_heading(title, level=0)
    doc.add_paragraph().add_run(subtitle).italic = True
    toc_title = doc.add_paragraph("Sommaire")
    toc_title.runs[0].bold = True
    _add_field(doc.add_paragraph(), 'TOC \\o "1-3" \\h \\z \\u', "Mettre à jour le sommaire (F9).")

    numbers = _numbering(blocks)
    for block, number in zip(blocks, numbers, strict=True):
        if isinstance(block, Heading):
            doc.add_heading(f"{number} {block.text}", level=min(block.level, 3))
        elif isinstance(block, Paragraph):
            style = "List Bullet" if block.bullet else None
            para = doc.add_paragraph(style=style)
            run = para.add_run(block.text)
            run.bold = block.bold
        elif isinstance(block, TableBlock):
            caption = doc.add_paragraph(style="Caption")
            caption.add_run("Tableau ")
            _add_field(caption, "SEQ Tableau \\* ARABIC")
            caption.add_run(f" – {block.caption}")
            frame = block.frame
            table = doc.add_table(rows=1, cols=len(frame.columns))
            table.style = "Light Grid Accent 1"
            table.autofit = False
            widths = _column_widths_cm(frame, block.formats)
            for j, col in enumerate(frame.columns):
                cell = table.rows[0].cells[j]
                cell.text = str(col)
                cell.paragraphs[0].runs[0].bold = True
            for record in frame.itertuples(index=False):
                cells = table.add_row().cells
                for j, (col, value) in enumerate(zip(frame.columns, record, strict=True)):
                    fmt = block.formats.get(str(col))
                    cells[j].text = format_value(value, fmt)
                    if fmt in ("int", "float", "pct", "eur"):
                        cells[j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            for row in table.rows:
                for j, cell in enumerate(row.cells):
                    cell.width = Cm(widths[j])
                    for para in cell.paragraphs:
                        for run in para.runs:
                            run.font.size = Pt(8.5)
            for j, column in enumerate(table.columns):
                column.width = Cm(widths[j])
            if block.note:
                note = doc.add_paragraph()
                note_run = note.add_run(block.note)
                note_run.italic = True
                note_run.font.size = Pt(8.5)
        elif isinstance(block, Figure):
            doc.add_picture(str(block.image), width=Cm(16.0))
            caption = doc.add_paragraph(style="Caption")
            caption.add_run("Figure ")
            _add_field(caption, "SEQ Figure \\* ARABIC")
            caption.add_run(f" – {block.caption}")
        elif isinstance(block, ToFill):
            box = doc.add_table(rows=1, cols=1)
            box.style = "Table Grid"
            cell = box.rows[0].cells[0]
            cell.width = Cm(_TEXT_WIDTH_CM)
            head = cell.paragraphs[0].add_run(f"À RÉDIGER PAR LES PARTENAIRES – {block.title}")
            head.bold = True
            head.font.color.rgb = RGBColor(0xB9, 0x77, 0x0E)
            cell.add_paragraph(block.prompt)
            doc.add_paragraph()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def render_html(title: str, subtitle: str, blocks: list[Block], path: Path) -> Path:
    """Write the same blocks as a printable HTML page (figures embedded as data URIs)."""
    import base64

    sections: list[Section] = []
    current_title = ""
    current: list[str] = []
    table_no = 0
    figure_no = 0
    numbers = _numbering(blocks)
    for block, number in zip(blocks, numbers, strict=True):
        if isinstance(block, Heading) and block.level == 1:
            if current_title or current:
                sections.append(Section(current_title or title, tuple(current)))
            current_title, current = block.text, []
        elif isinstance(block, Heading):
            tag = f"h{min(block.level + 1, 4)}"
            current.append(f"<{tag}>{html.escape(number + ' ' + block.text)}</{tag}>")
        elif isinstance(block, Paragraph):
            text = html.escape(block.text)
            text = f"<strong>{text}</strong>" if block.bold else text
            current.append(f"<ul><li>{text}</li></ul>" if block.bullet else f"<p>{text}</p>")
        elif isinstance(block, TableBlock):
            table_no += 1
            current.append(
                table_html(
                    block.frame, block.formats, f"Tableau {table_no} – {block.caption}", block.note
                )
            )
        elif isinstance(block, Figure):
            figure_no += 1
            data = base64.b64encode(block.image.read_bytes()).decode("ascii")
            current.append(
                f'<figure><img alt="{html.escape(block.caption)}" style="max-width:100%" '
                f'src="data:image/png;base64,{data}"><figcaption class="note">Figure {figure_no} – '
                f"{html.escape(block.caption)}</figcaption></figure>"
            )
        elif isinstance(block, ToFill):
            current.append(
                f'<div class="a-remplir"><strong>À rédiger par les partenaires – '
                f"{html.escape(block.title)}</strong><p>{html.escape(block.prompt)}</p></div>"
            )
    if current_title or current:
        sections.append(Section(current_title or title, tuple(current)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(title, subtitle, sections, with_plotly=False), encoding="utf-8")
    return path
