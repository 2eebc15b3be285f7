"""A small document model rendered both as DOCX (python-docx, real Word styles) and as HTML.

A policy document is a list of blocks: headings (numbered « 1. », « 1.2. », or unnumbered for a
preamble or the articles of a convention), paragraphs, tables with captions, figures, boxes the
partners must write (« À RÉDIGER »), boxes of proposals pre-drafted from the data (« PROPOSITION »,
editable) and a signatories' page. The same blocks give the editable DOCX and the HTML version.

The DOCX is meant to be adopted as is by an intercommunal body:

- French is the language of every style (``w:lang`` fr-FR), so Word checks French spelling;
- the table of contents is written out from the headings (hyperlinks to bookmarks, page numbers
  as PAGEREF fields that Word and LibreOffice compute; ``page_numbers`` fills their shown value);
- tables repeat their header row on each page, never split a row, and their columns are sized to
  their content (the longest word of a column always fits: no header broken mid-word) within the
  text width (measured with the DejaVu Sans metrics shipped with matplotlib, wider than Arial, so
  a column that fits here fits in Word);
- captions are numbered (SEQ fields whose shown value is the right number), pages are numbered in
  the footer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mixite.reports.fr import Format
from mixite.reports.fr import value as format_value

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

__all__ = [
    "TEXT_WIDTH_CM",
    "Block",
    "Figure",
    "Heading",
    "PageBreak",
    "Paragraph",
    "Proposal",
    "Signatory",
    "Signatures",
    "TableBlock",
    "ToFill",
    "bookmark_names",
    "heading_pages",
    "render_docx",
    "render_html",
    "table_layout",
    "text_width_cm",
]


@dataclass(frozen=True)
class Heading:
    """A heading; ``numbered`` headings get « 1. », « 1.2. »; the others (preamble, articles of
    a convention, annexes) keep their own text."""

    text: str
    level: int = 1
    numbered: bool = True


@dataclass(frozen=True)
class Paragraph:
    text: str
    bullet: bool = False
    bold: bool = False
    italic: bool = False
    #: Kept on the page of what follows (a reference line under a heading).
    keep_with_next: bool = False


@dataclass(frozen=True)
class TableBlock:
    """A table with a numbered caption. ``fills`` colours cells: (row position, column) → hex
    colour (« C6EFCE »), e.g. an objective met or not."""

    frame: pd.DataFrame
    caption: str
    formats: dict[str, Format] = field(default_factory=dict)
    note: str = ""
    fills: Mapping[tuple[int, str], str] = field(default_factory=dict)
    #: Row positions shown in bold (a total).
    bold_rows: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Figure:
    image: Path
    caption: str
    width_cm: float = 16.0


@dataclass(frozen=True)
class ToFill:
    """A clearly marked section for the partners to write (never invented figures): only for
    what is truly local policy."""

    title: str
    prompt: str


@dataclass(frozen=True)
class Proposal:
    """Text pre-drafted from the data, marked as a proposal the partners debate, change or
    delete; ``basis`` says what it was drafted from."""

    title: str
    paragraphs: tuple[str, ...]
    basis: str = ""


@dataclass(frozen=True)
class Signatory:
    """One signatory: the organisation and who signs for it."""

    organisation: str
    role: str


@dataclass(frozen=True)
class Signatures:
    """The signatories' page: « Fait à …, le … » and one block per signatory."""

    signatories: tuple[Signatory, ...]
    place_and_date: str = "Fait à ……………………………, le ……………………………"


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | TableBlock | Figure | ToFill | Proposal | Signatures | PageBreak

#: A4 portrait with 2 cm margins.
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
#: Left and right inner margin of table cells.
_CELL_PAD_CM = 0.1
#: Table font sizes tried, largest first, until every column's longest word fits.
_TABLE_SIZES_PT = (8.5, 8.0, 7.5, 7.0, 6.5)
#: A column never asks for more than this width before the text width is shared.
_MAX_PREFERRED_CM = 8.0
_FONT = "Arial"
_NUMERIC: tuple[str, ...] = ("int", "float", "pct", "eur", "points")

# Colours (hex without #).
_BLUE, _ORANGE, _HEADER_FILL = "1F4E79", "B9770E", "DCE6F1"
_PROPOSAL_FILL, _TOFILL_FILL = "EAF1FB", "FEF9E7"

# ---------------------------------------------------------------------------------------------
# Measuring text
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _font(bold: bool) -> FreeTypeFont:
    import matplotlib
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), 100)


def text_width_cm(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of ``text`` on one line, in cm, at ``size_pt`` (DejaVu Sans metrics: an upper
    bound of Arial's and Liberation Sans's)."""
    return float(_font(bold).getlength(text)) / 100.0 * size_pt * 2.54 / 72.0


#: Where Word may break a line: ordinary spaces only (no-break spaces hold « 1 234 » and « % »).
_BREAKS = re.compile(r"[ \t\n]+")


def _words(text: str) -> list[str]:
    return [w for w in _BREAKS.split(text) if w]


def table_layout(
    header: Sequence[str],
    cells: Sequence[Sequence[str]],
    width_cm: float = TEXT_WIDTH_CM,
) -> tuple[list[float], float]:
    """Column widths (cm, summing to at most ``width_cm``) and the font size (pt) of a table.

    Each column needs at least its longest word (header in bold, cells in regular) plus the cell
    margins; it would like its longest cell on one line and its header on two. The largest font
    size at which the needs fit is kept; the width left over is shared equally between the
    columns that still want some, the least demanding served first, so a header wraps between
    words, never inside one.
    """
    pad = 2 * _CELL_PAD_CM + 0.05
    size = _TABLE_SIZES_PT[-1]
    needs: list[float] = []
    wants: list[float] = []
    for size in _TABLE_SIZES_PT:
        needs, wants = [], []
        for j, title in enumerate(header):
            column = [row[j] for row in cells]
            need = max(
                [text_width_cm(w, size, True) for w in _words(title)]
                + [text_width_cm(w, size) for c in column for w in _words(c)]
                + [0.3]
            )
            want = max(
                [text_width_cm(title, size, True) / 2] + [text_width_cm(c, size) for c in column]
            )
            needs.append(need + pad)
            wants.append(max(need, min(want, _MAX_PREFERRED_CM)) + pad)
        if sum(needs) <= width_cm:
            break
    if sum(wants) <= width_cm:
        widths = [w * width_cm / sum(wants) for w in wants]
    elif sum(needs) <= width_cm:
        # share the width left over equally between the columns that still want some, the
        # short ones served first (water-filling): a reference or a status stays on one line,
        # long texts wrap
        widths = list(needs)
        left = width_cm - sum(needs)
        order = sorted(range(len(needs)), key=lambda j: wants[j] - needs[j])
        for rank, j in enumerate(order):
            give = min(wants[j] - needs[j], left / (len(order) - rank))
            widths[j] += give
            left -= give
    else:  # even the smallest size overflows: shrink proportionally (long words will break)
        widths = [n * width_cm / sum(needs) for n in needs]
    # a hair under the text width, so that rounding to twentieths of a point never overflows
    return [w * (1 - 1e-4) for w in widths], size


def _cell_texts(block: TableBlock) -> tuple[list[str], list[list[str]]]:
    header = [str(c) for c in block.frame.columns]
    rows = [
        [format_value(v, block.formats.get(col)) for col, v in zip(header, record, strict=True)]
        for record in block.frame.itertuples(index=False)
    ]
    return header, rows


# ---------------------------------------------------------------------------------------------
# Numbering
# ---------------------------------------------------------------------------------------------


def _numbering(blocks: Sequence[Block]) -> list[str]:
    """« 1. », « 1.2. »… for numbered headings, "" for every other block."""
    counters = [0, 0, 0]
    out = []
    for block in blocks:
        if isinstance(block, Heading) and block.numbered:
            level = min(max(block.level, 1), 3)
            counters[level - 1] += 1
            for i in range(level, 3):
                counters[i] = 0
            out.append(".".join(str(c) for c in counters[:level]) + ".")
        else:
            out.append("")
    return out


def _heading_text(block: Heading, number: str) -> str:
    return f"{number} {block.text}" if number else block.text


def _in_toc(block: Block) -> bool:
    """Headings of level 1, and numbered headings of level 2, make the table of contents."""
    return isinstance(block, Heading) and (
        block.level == 1 or (block.level == 2 and block.numbered)
    )


def bookmark_names(blocks: Sequence[Block]) -> list[str]:
    """The bookmark of each heading of the table of contents, in order."""
    return [f"_Toc{i:04d}" for i, _ in enumerate(b for b in blocks if _in_toc(b))]


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------


def _el(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(key.replace("_", ":", 1)), value)
    return element


def _field_runs(instruction: str, shown: str) -> list[Any]:
    """The runs of a complex Word field: begin, instruction, separate, shown result, end."""
    from docx.oxml.ns import qn

    begin, instr, separate, result, end = (_el("w:r") for _ in range(5))
    begin.append(_el("w:fldChar", w_fldCharType="begin"))
    text = _el("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    instr.append(text)
    separate.append(_el("w:fldChar", w_fldCharType="separate"))
    shown_text = _el("w:t")
    shown_text.set(qn("xml:space"), "preserve")
    shown_text.text = shown
    result.append(shown_text)
    end.append(_el("w:fldChar", w_fldCharType="end"))
    return [begin, instr, separate, result, end]


def _add_field(paragraph: Any, instruction: str, shown: str = "1") -> None:
    """Insert a Word field (PAGE, SEQ Tableau…) at the end of a python-docx paragraph."""
    for run in _field_runs(instruction, shown):
        paragraph._p.append(run)


def _set_fonts(rpr_owner: Any, name: str) -> None:
    """Set the four script fonts of a style's run properties, dropping theme fonts (which
    would otherwise win in Word)."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = _el("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for script in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{script}"), name)


def _declare_french(doc: Any) -> None:
    """French (fr-FR) for every style and the document defaults, French separators in the
    settings (Word then checks French spelling and grammar)."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    if rpr.find(qn("w:lang")) is None:
        rpr.append(_el("w:lang"))
    for lang in styles.iter(qn("w:lang")):
        lang.set(qn("w:val"), "fr-FR")
        lang.set(qn("w:eastAsia"), "fr-FR")
        lang.set(qn("w:bidi"), "ar-SA")
    settings = doc.settings.element
    for tag, value in (
        ("w:themeFontLang", "fr-FR"),
        ("w:decimalSymbol", ","),
        ("w:listSeparator", ";"),
    ):
        node = settings.find(qn(tag))
        if node is not None:
            node.set(qn("w:val"), value)
    doc.core_properties.language = "fr-FR"


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    for old in tcpr.findall(qn("w:shd")):
        tcpr.remove(old)
    tcpr.append(_el("w:shd", w_val="clear", w_color="auto", w_fill=fill))


#: The order of a table's properties in the WordprocessingML schema (CT_TblPr): Word refuses a
#: file whose elements are out of order.
_TBLPR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
    "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
    "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
)  # fmt: skip


def _set_tblpr(table: Any, element: Any) -> None:
    """Put ``element`` in the table's properties, replacing one of the same kind, at its place
    in the schema's order."""
    from docx.oxml.ns import qn

    tblpr = table._tbl.tblPr
    for old in tblpr.findall(element.tag):
        tblpr.remove(old)
    rank = {qn(f"w:{name}"): k for k, name in enumerate(_TBLPR_ORDER)}
    mine = rank[element.tag]
    for k, child in enumerate(tblpr):
        if rank.get(child.tag, -1) > mine:
            tblpr.insert(k, element)
            return
    tblpr.append(element)


def _box_borders(table: Any, colour: str, style: str = "single", size: str = "12") -> None:
    borders = _el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{side}", w_val=style, w_sz=size, w_space="0", w_color=colour))
    _set_tblpr(table, borders)


def _fix_widths(table: Any, widths_cm: Sequence[float]) -> None:
    """Fixed layout, total width and every column and cell width (Word and LibreOffice read
    different ones), cell margins of ``_CELL_PAD_CM``."""
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table.autofit = False
    twips = [int(Cm(w).twips) for w in widths_cm]
    _set_tblpr(table, _el("w:tblW", w_w=str(sum(twips)), w_type="dxa"))
    _set_tblpr(table, _el("w:tblInd", w_w="0", w_type="dxa"))
    margins = _el("w:tblCellMar")
    pad = str(int(Cm(_CELL_PAD_CM).twips))
    for side in ("left", "right"):  # CT_TblCellMar: top, left, bottom, right
        margins.append(_el(f"w:{side}", w_w=pad, w_type="dxa"))
    _set_tblpr(table, margins)
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), twips, strict=True):
        col.set(qn("w:w"), str(w))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _row_properties(row: Any, header: bool) -> None:
    """A row never splits across pages; the header row repeats on each page."""
    trpr = row._tr.get_or_add_trPr()
    trpr.append(_el("w:cantSplit"))
    if header:
        trpr.append(_el("w:tblHeader"))


def _cell_text(cell: Any, text: str, size: float, bold: bool = False, right: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    para = cell.paragraphs[0]
    para.paragraph_format.space_after = Pt(0)
    para.paragraph_format.space_before = Pt(0)
    if right:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = para.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def _add_table(doc: Any, block: TableBlock, number: int) -> None:
    from docx.shared import Pt

    caption = doc.add_paragraph(style="Caption")
    caption.paragraph_format.keep_with_next = True
    caption.add_run("Tableau ")
    _add_field(caption, "SEQ Tableau \\* ARABIC", str(number))
    caption.add_run(f" – {block.caption}")
    header, rows = _cell_texts(block)
    widths, size = table_layout(header, rows)
    numeric = [block.formats.get(c) in _NUMERIC for c in header]
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    for j, title in enumerate(header):
        cell = table.rows[0].cells[j]
        _cell_text(cell, title, size, bold=True, right=numeric[j])
        _shade(cell, _HEADER_FILL)
    _row_properties(table.rows[0], header=True)
    for i, texts in enumerate(rows):
        row = table.rows[i + 1]
        _row_properties(row, header=False)
        for j, text in enumerate(texts):
            cell = row.cells[j]
            _cell_text(cell, text, size, bold=i in block.bold_rows, right=numeric[j])
            fill = block.fills.get((i, header[j]))
            if fill:
                _shade(cell, fill)
    _fix_widths(table, widths)
    if block.note:
        note = doc.add_paragraph()
        note_run = note.add_run(block.note)
        note_run.italic = True
        note_run.font.size = Pt(8.5)
    else:
        doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _add_box(
    doc: Any, title: str, paragraphs: Sequence[str], fill: str, colour: str, basis: str = ""
) -> None:
    """A one-cell framed box: a coloured title line, editable paragraphs, and what they were
    drafted from (small italics)."""
    from docx.shared import Pt, RGBColor

    box = doc.add_table(rows=1, cols=1)
    box.style = "Table Grid"
    _box_borders(box, colour)
    _row_properties(box.rows[0], header=False)
    cell = box.rows[0].cells[0]
    _shade(cell, fill)
    head = cell.paragraphs[0].add_run(title)
    head.bold = True
    head.font.color.rgb = RGBColor.from_string(colour)
    for text in paragraphs:
        para = cell.add_paragraph(text)
        para.paragraph_format.space_after = Pt(3)
    if basis:
        run = cell.add_paragraph().add_run(basis)
        run.italic = True
        run.font.size = Pt(8.5)
    _fix_widths(box, [TEXT_WIDTH_CM * (1 - 1e-4)])
    doc.add_paragraph()


def _add_signatures(doc: Any, block: Signatures) -> None:
    from docx.shared import Cm, Pt

    doc.add_paragraph(block.place_and_date)
    doc.add_paragraph(f"En {len(block.signatories)} exemplaires originaux.")
    per_row = 2
    n_rows = (len(block.signatories) + per_row - 1) // per_row
    table = doc.add_table(rows=n_rows, cols=per_row)
    table.style = "Table Grid"
    _box_borders(table, "A6A6A6", size="4")
    for k, signatory in enumerate(block.signatories):
        row = table.rows[k // per_row]
        cell = row.cells[k % per_row]
        para = cell.paragraphs[0]
        run = para.add_run(f"Pour {signatory.organisation}")
        run.bold = True
        cell.add_paragraph(signatory.role).runs[0].italic = True
        for label in ("Nom et qualité :", "Date :", "Signature :"):
            line = cell.add_paragraph(label)
            line.paragraph_format.space_before = Pt(10)
    for row in table.rows:
        _row_properties(row, header=False)
        row.height = Cm(5.0)
    _fix_widths(table, [TEXT_WIDTH_CM / per_row * (1 - 1e-4)] * per_row)


def _add_toc(doc: Any, blocks: Sequence[Block], page_numbers: Mapping[str, int] | None) -> None:
    """The table of contents written out: one hyperlinked entry per heading of levels 1 and 2,
    its page number a PAGEREF field to the heading's bookmark (shown value from
    ``page_numbers`` when known)."""
    from docx.oxml.ns import qn

    title = doc.add_paragraph(style="TOC Heading")
    title.add_run("Sommaire")
    numbers = _numbering(blocks)
    marks = iter(bookmark_names(blocks))
    for block, number in zip(blocks, numbers, strict=True):
        if not isinstance(block, Heading) or not _in_toc(block):
            continue
        mark = next(marks)
        para = doc.add_paragraph(style=f"TOC {block.level}")
        link = _el("w:hyperlink", w_anchor=mark, w_history="1")
        run = _el("w:r")
        text = _el("w:t")
        text.set(qn("xml:space"), "preserve")
        text.text = _heading_text(block, number)
        run.append(text)
        tab = _el("w:r")
        tab.append(_el("w:tab"))
        link.append(run)
        link.append(tab)
        shown = str(page_numbers[mark]) if page_numbers and mark in page_numbers else ""
        for field_run in _field_runs(f"PAGEREF {mark} \\h", shown):
            link.append(field_run)
        para._p.append(link)


def _styles(doc: Any) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.shared import Cm, Pt, RGBColor

    normal = doc.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    _set_fonts(normal.element, _FONT)
    sizes = {"Title": 22, "Heading 1": 14, "Heading 2": 12, "Heading 3": 10.5, "TOC Heading": 14}
    for name, size in sizes.items():
        style = doc.styles[name]
        _set_fonts(style.element, _FONT)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor.from_string(_BLUE)
    caption = doc.styles["Caption"]
    _set_fonts(caption.element, _FONT)
    caption.font.size = Pt(9)
    for level in (1, 2):
        name = f"TOC {level}"
        try:
            style = doc.styles[name]
        except KeyError:
            style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        fmt = style.paragraph_format
        fmt.left_indent = Cm(0.6 * (level - 1))
        fmt.space_after = Pt(2)
        fmt.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        style.font.bold = level == 1


def render_docx(
    title: str,
    subtitle: str,
    blocks: Sequence[Block],
    path: Path,
    page_numbers: Mapping[str, int] | None = None,
    header_text: str = "",
) -> Path:
    """Write the blocks as an editable DOCX: French styles, a title block and a written-out
    table of contents on the first page, numbered captions, page numbers in the footer.

    ``page_numbers`` (bookmark → page, see ``heading_pages``) gives the page numbers the table
    of contents shows before Word recomputes its fields.
    """
    import datetime as dt

    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    doc = Document()
    _declare_french(doc)
    _styles(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    props = doc.core_properties
    props.title, props.subject, props.author = title, subtitle, header_text
    props.last_modified_by, props.comments = header_text, ""
    props.created = props.modified = dt.datetime.now()
    if header_text:
        head = section.header.paragraphs[0]
        head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        head_run = head.add_run(header_text)
        head_run.font.size = Pt(8)
        head_run.italic = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{title} — page ")
    _add_field(footer, "PAGE")
    footer.add_run(" sur ")
    _add_field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(8)

    doc.add_paragraph(title, style="Title")
    doc.add_paragraph().add_run(subtitle).italic = True
    _add_toc(doc, blocks, page_numbers)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    numbers = _numbering(blocks)
    marks = iter(bookmark_names(blocks))
    tables = figures = 0
    for k, (block, number) in enumerate(zip(blocks, numbers, strict=True)):
        if isinstance(block, Heading):
            heading = doc.add_heading(_heading_text(block, number), level=min(block.level, 3))
            if _in_toc(block):
                mark = next(marks)
                heading._p.insert(
                    1 if heading._p.pPr is not None else 0,
                    _el("w:bookmarkStart", w_id=str(k), w_name=mark),
                )
                heading._p.append(_el("w:bookmarkEnd", w_id=str(k)))
        elif isinstance(block, Paragraph):
            para = doc.add_paragraph(style="List Bullet" if block.bullet else None)
            para.paragraph_format.keep_with_next = block.keep_with_next or None
            run = para.add_run(block.text)
            run.bold, run.italic = block.bold, block.italic
        elif isinstance(block, TableBlock):
            tables += 1
            _add_table(doc, block, tables)
        elif isinstance(block, Figure):
            figures += 1
            doc.add_picture(str(block.image), width=Cm(min(block.width_cm, TEXT_WIDTH_CM)))
            picture = doc.paragraphs[-1]
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.keep_with_next = True
            caption = doc.add_paragraph(style="Caption")
            caption.add_run("Figure ")
            _add_field(caption, "SEQ Figure \\* ARABIC", str(figures))
            caption.add_run(f" – {block.caption}")
        elif isinstance(block, ToFill):
            _add_box(
                doc,
                f"À RÉDIGER PAR LES PARTENAIRES – {block.title}",
                [block.prompt],
                _TOFILL_FILL,
                _ORANGE,
            )
        elif isinstance(block, Proposal):
            _add_box(
                doc,
                f"PROPOSITION À DÉBATTRE – {block.title}",
                block.paragraphs,
                _PROPOSAL_FILL,
                _BLUE,
                block.basis,
            )
        elif isinstance(block, Signatures):
            _add_signatures(doc, block)
        elif isinstance(block, PageBreak):
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def heading_pages(pdf_text_pages: Sequence[str], blocks: Sequence[Block]) -> dict[str, int]:
    """The page of each heading of the table of contents, read from the text of the document's
    first pages as LibreOffice lays them out (it computes the PAGEREF fields): each entry of the
    table of contents ends with its page number. Empty when the entries cannot all be found."""
    numbers = _numbering(blocks)
    entries = [
        _heading_text(b, n)
        for b, n in zip(blocks, numbers, strict=True)
        if isinstance(b, Heading) and _in_toc(b)
    ]
    lines = [" ".join(line.split()) for page in pdf_text_pages for line in page.splitlines()]
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Sommaire")) + 1
    except StopIteration:
        return {}
    out: dict[str, int] = {}
    marks = bookmark_names(blocks)
    i = start
    for mark, entry in zip(marks, entries, strict=True):
        probe = " ".join(entry.split())[:30]
        while i < len(lines) and not lines[i].startswith(probe):
            i += 1
        # the number ends the entry's line, or the next line when the title wraps
        for j in range(i, min(i + 3, len(lines))):
            found = re.search(r"(?:\.|\s)(\d{1,4})$", lines[j])
            if found:
                out[mark] = int(found.group(1))
                i = j + 1
                break
        else:
            return {}
    return out


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_CSS = """
:root { --bleu: #1f4e79; --gris: #5f6b7a; }
body { font-family: "Marianne", Arial, "Segoe UI", sans-serif; margin: 0 auto; max-width: 960px;
       padding: 1.5rem 2rem 4rem; color: #1d2430; line-height: 1.45; }
header { border-bottom: 3px solid var(--bleu); margin-bottom: 1rem; }
h1 { color: var(--bleu); margin-bottom: .2rem; }
.subtitle { color: var(--gris); margin-top: 0; font-style: italic; }
h2 { color: var(--bleu); border-bottom: 1px solid #d0d7e2; padding-bottom: .2rem; margin-top: 2.2rem; }
h3, h4 { color: var(--bleu); margin-top: 1.4rem; }
nav ol { list-style: none; padding-left: 0; }
nav ol ol { padding-left: 1.4rem; }
table { border-collapse: collapse; margin: .4rem 0 .2rem; font-size: .86rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; caption-side: top; }
th { background: #dce6f1; padding: .3rem .45rem; text-align: left; vertical-align: bottom;
     border: 1px solid #9aa7b8; }
td { border: 1px solid #c3ccd8; padding: .25rem .45rem; vertical-align: top; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
.note { color: var(--gris); font-size: .85rem; margin-top: .2rem; font-style: italic; }
.a-remplir { border: 2px dashed #b9770e; background: #fef9e7; padding: .6rem .9rem; margin: .8rem 0; }
.a-remplir strong { color: #b9770e; }
.proposition { border: 2px solid #1f4e79; background: #eaf1fb; padding: .6rem .9rem; margin: .8rem 0; }
.proposition strong { color: #1f4e79; }
.signatures { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
.signataire { border: 1px solid #a6a6a6; padding: .6rem .9rem; min-height: 9rem; break-inside: avoid; }
figure { margin: 1rem 0; text-align: center; }
figcaption { color: var(--gris); font-size: .85rem; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
@page { size: A4; margin: 2cm; }
@media print { body { max-width: none; padding: 0; } .saut { break-after: page; } }
"""


def _table_html(block: TableBlock, number: int) -> str:
    header, rows = _cell_texts(block)
    numeric = [block.formats.get(c) in _NUMERIC for c in header]
    head = "".join(
        f'<th class="{"num" if n else ""}">{html.escape(t)}</th>'
        for t, n in zip(header, numeric, strict=True)
    )
    body = []
    for i, texts in enumerate(rows):
        cells = []
        for j, text in enumerate(texts):
            fill = block.fills.get((i, header[j]))
            style = f' style="background:#{fill}"' if fill else ""
            klass = "num" if numeric[j] else ""
            shown = html.escape(text)
            shown = f"<strong>{shown}</strong>" if i in block.bold_rows else shown
            cells.append(f'<td class="{klass}"{style}>{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = html.escape(f"Tableau {number} – {block.caption}")
    note = f'<p class="note">{html.escape(block.note)}</p>' if block.note else ""
    return (
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def render_html(title: str, subtitle: str, blocks: Sequence[Block], path: Path) -> Path:
    """Write the same blocks as a printable, self-contained HTML page (figures embedded)."""
    import base64

    numbers = _numbering(blocks)
    marks = iter(bookmark_names(blocks))
    toc: list[str] = []
    body: list[str] = []
    tables = figures = 0
    open_sub = False
    for block, number in zip(blocks, numbers, strict=True):
        if isinstance(block, Heading):
            text = html.escape(_heading_text(block, number))
            level = min(block.level, 3)
            if _in_toc(block):
                mark = next(marks)
                body.append(f'<h{level + 1} id="{mark}">{text}</h{level + 1}>')
                if level == 1:
                    if open_sub:
                        toc.append("</ol>")
                        open_sub = False
                    toc.append(f'<li><a href="#{mark}">{text}</a></li>')
                else:
                    if not open_sub:
                        toc.append("<ol>")
                        open_sub = True
                    toc.append(f'<li><a href="#{mark}">{text}</a></li>')
            else:
                body.append(f"<h{level + 1}>{text}</h{level + 1}>")
        elif isinstance(block, Paragraph):
            text = html.escape(block.text)
            text = f"<strong>{text}</strong>" if block.bold else text
            text = f"<em>{text}</em>" if block.italic else text
            body.append(f"<ul><li>{text}</li></ul>" if block.bullet else f"<p>{text}</p>")
        elif isinstance(block, TableBlock):
            tables += 1
            body.append(_table_html(block, tables))
        elif isinstance(block, Figure):
            figures += 1
            data = base64.b64encode(block.image.read_bytes()).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(block.caption)}" style="max-width:100%" '
                f'src="data:image/png;base64,{data}"><figcaption>Figure {figures} – '
                f"{html.escape(block.caption)}</figcaption></figure>"
            )
        elif isinstance(block, ToFill):
            body.append(
                f'<div class="a-remplir"><strong>À rédiger par les partenaires – '
                f"{html.escape(block.title)}</strong><p>{html.escape(block.prompt)}</p></div>"
            )
        elif isinstance(block, Proposal):
            paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in block.paragraphs)
            basis = f'<p class="note">{html.escape(block.basis)}</p>' if block.basis else ""
            body.append(
                f'<div class="proposition" contenteditable="true"><strong>Proposition à '
                f"débattre – {html.escape(block.title)}</strong>{paragraphs}{basis}</div>"
            )
        elif isinstance(block, Signatures):
            cells = "".join(
                f'<div class="signataire"><strong>Pour {html.escape(s.organisation)}</strong>'
                f"<br><em>{html.escape(s.role)}</em><p>Nom et qualité :</p><p>Date :</p>"
                "<p>Signature :</p></div>"
                for s in block.signatories
            )
            body.append(
                f'<p>{html.escape(block.place_and_date)}</p><div class="signatures">{cells}</div>'
            )
        elif isinstance(block, PageBreak):
            body.append('<div class="saut"></div>')
    if open_sub:
        toc.append("</ol>")
    page = (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>"
        f'<p class="subtitle">{html.escape(subtitle)}</p></header>\n'
        f"<nav><h2>Sommaire</h2><ol>{''.join(toc)}</ol></nav>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
