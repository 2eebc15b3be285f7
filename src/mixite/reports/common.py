"""Shared output writers: Excel-friendly CSV, formatted XLSX, self-contained HTML pages.

Presentation only: these functions format tables that the domain modules computed; they never
compute an indicator themselves.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from mixite.reports.fr import Format
from mixite.reports.fr import value as format_value  # the cells of tables and sheets

__all__ = [
    "Section",
    "Sheet",
    "plotly_div",
    "render_page",
    "table_html",
    "write_csv_excel",
    "write_xlsx",
]


@dataclass(frozen=True)
class Sheet:
    """One XLSX sheet: a table with a title, a definition note and per-column formats."""

    name: str
    frame: pd.DataFrame
    title: str
    note: str = ""
    formats: dict[str, Format] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """One section of an HTML report: a heading, free HTML blocks (text, tables, charts)."""

    title: str
    blocks: tuple[str, ...]
    anchor: str = ""


def write_csv_excel(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV that French Excel opens directly: ``;`` separator, UTF-8 BOM, decimal comma.

    Text cells that a spreadsheet would take for a formula are neutralised (``reports.safe``).
    """
    from mixite.reports.safe import neutralise_frame

    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(frame.round(6)).to_csv(
        path, sep=";", index=False, encoding="utf-8-sig", decimal=","
    )
    return path


def table_html(
    frame: pd.DataFrame,
    formats: dict[str, Format] | None = None,
    caption: str = "",
    note: str = "",
    max_rows: int = 200,
    status_column: str | None = None,
) -> str:
    """An HTML table with French number formats, a caption and a definition note; the cells of
    ``status_column`` (« atteint » / « non atteint ») are coloured."""
    formats = formats or {}
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for col, value in zip(shown.columns, record, strict=True):
            fmt = formats.get(str(col))
            klass = "num" if fmt in ("int", "float", "pct", "eur", "points") else ""
            if status_column is not None and col == status_column:
                klass = "statut-ko" if str(value).startswith("non") else "statut-ok"
            cells.append(f'<td class="{klass}">{html.escape(format_value(value, fmt))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="note">{len(frame) - max_rows} lignes de plus dans le classeur XLSX.</p>'
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    defn = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}{defn}"
    )


#: Plotly's decimal and thousands separators in French (« 12 000 », « 30,5 »).
PLOTLY_SEPARATORS = ",\u202f"


def plotly_div(figure: Any) -> str:
    """A Plotly figure as an HTML fragment, with French number separators and without the
    toolbar (the page prints cleanly); plotly.js is included once by ``render_page``."""
    figure.update_layout(
        separators=PLOTLY_SEPARATORS, font={"family": "Marianne, Arial, sans-serif"}
    )
    config = {"locale": "fr", "displayModeBar": False, "responsive": True}
    return str(figure.to_html(full_html=False, include_plotlyjs=False, config=config))


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("mixite.reports", "templates"),
        autoescape=select_autoescape(["html"]),
    )


#: The footer of a page: how its figures were published.
PUBLISHED_FOOTER = (
    "Produit par mixite. Les effectifs inférieurs au seuil de secret statistique sont masqués."
)


def render_page(
    title: str,
    subtitle: str,
    sections: Sequence[Section],
    with_plotly: bool = True,
    footer: str = PUBLISHED_FOOTER,
) -> str:
    """A self-contained, printable HTML page (plotly.js inlined when charts are present); the
    ``footer`` says how its figures were published."""
    plotly_js = ""
    if with_plotly:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    template = _environment().get_template("page.html")
    return template.render(
        title=title, subtitle=subtitle, sections=sections, plotly_js=plotly_js, footer=footer
    )


def _column_widths(frame: pd.DataFrame) -> Iterable[int]:
    for col in frame.columns:
        values = [str(v) for v in frame[col].head(500)]
        longest = max([len(str(col))] + [len(v) for v in values])
        yield min(max(10, longest + 2), 60)


_XLSX_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "float": "#,##0.00",
    "pct": "0.0%",
    "eur": "#,##0 €",
    "date": "dd/mm/yyyy",
    "points": "General",
}


def write_xlsx(
    path: Path,
    sheets: Sequence[Sheet],
    title: str = "",
    definitions: Mapping[str, str] | None = None,
    notice: str = "",
) -> Path:
    """A workbook with one formatted sheet per table (title, note, bold frozen header with
    filters, number formats, printed landscape on the page width), preceded by a « Sommaire »
    sheet that links every sheet when ``title`` is given, and followed by a « Définitions »
    sheet when ``definitions`` (column label → definition) are given. ``notice`` (a working
    document's mark, « Document de travail — non diffusable ») is written in bold red under the
    title of the « Sommaire » and of every sheet.

    No cell is ever a formula: text that a spreadsheet would take for one is stored as a string
    cell with the quote prefix (``reports.safe``); numbers stay numbers.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from mixite.reports.safe import is_formula_like

    def put(ws: Any, row: int, column: int, value: Any) -> Any:
        cell = ws.cell(row=row, column=column, value=value)
        if isinstance(value, str) and (cell.data_type == "f" or is_formula_like(value)):
            cell.data_type = "s"
            cell.quotePrefix = True
        return cell

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    header_fill = PatternFill("solid", fgColor="1F4E79")
    names = _sheet_names([sheet.name for sheet in sheets])
    if title:
        index = book.create_sheet(title="Sommaire")
        put(index, 1, 1, title)
        index["A1"].font = Font(bold=True, size=14)
        if notice:
            put(index, 2, 1, notice).font = Font(bold=True, color="C00000")
        index["A3"] = "Feuille"
        index["B3"] = "Contenu"
        for cell in (index["A3"], index["B3"]):
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
        for i, (sheet, name) in enumerate(zip(sheets, names, strict=True), start=4):
            link = index.cell(row=i, column=1, value=name)
            link.hyperlink = f"#'{name}'!A1"
            link.font = Font(color="1F4E79", underline="single")
            put(index, i, 2, sheet.title)
        if definitions:
            row = len(sheets) + 4
            link = index.cell(row=row, column=1, value="Définitions")
            link.hyperlink = "#'Définitions'!A1"
            link.font = Font(color="1F4E79", underline="single")
            index.cell(row=row, column=2, value="Définition et source de chaque colonne")
        index.column_dimensions["A"].width = 34
        index.column_dimensions["B"].width = 90
        _print_setup(index)
    for sheet, name in zip(sheets, names, strict=True):
        ws = book.create_sheet(title=name)
        put(ws, 1, 1, sheet.title).font = Font(bold=True, size=13)
        put(ws, 2, 1, sheet.note).alignment = Alignment(wrap_text=False)
        if notice:
            put(ws, 3, 1, notice).font = Font(bold=True, color="C00000")
        header_row = 4
        for j, col in enumerate(sheet.frame.columns, start=1):
            cell = put(ws, header_row, j, str(col))
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for i, record in enumerate(sheet.frame.itertuples(index=False), start=header_row + 1):
            for j, (col, value) in enumerate(
                zip(sheet.frame.columns, record, strict=True), start=1
            ):
                if (
                    value is None
                    or value is pd.NA
                    or (isinstance(value, float) and math.isnan(value))
                ):
                    continue
                if isinstance(value, pd.Timestamp):
                    value = value.to_pydatetime()
                elif hasattr(value, "item"):
                    value = value.item()
                elif isinstance(value, (list, tuple)):
                    value = ", ".join(map(str, value))
                fmt = sheet.formats.get(str(col))
                if fmt == "int" and isinstance(value, float) and value.is_integer():
                    value = int(value)
                cell = put(ws, i, j, value)
                if fmt in _XLSX_FORMATS:
                    cell.number_format = _XLSX_FORMATS[fmt]
                    if isinstance(value, str):
                        # a word in a column of numbers (« secret statistique ») aligned
                        # with them, not read as the label of the number beside it
                        cell.alignment = Alignment(horizontal="right")
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        if len(sheet.frame.columns):
            last = get_column_letter(len(sheet.frame.columns))
            ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(sheet.frame), 1)}"
        for j, width in enumerate(_column_widths(sheet.frame), start=1):
            ws.column_dimensions[get_column_letter(j)].width = width
        _print_setup(ws, repeat_rows=f"{header_row}:{header_row}")
    if definitions:
        ws = book.create_sheet(title="Définitions")
        ws["A1"] = "Définition et source de chaque colonne"
        ws["A1"].font = Font(bold=True, size=13)
        for j, head in enumerate(("Colonne", "Définition et source"), start=1):
            cell = ws.cell(row=3, column=j, value=head)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
        for i, (label, text) in enumerate(sorted(definitions.items()), start=4):
            put(ws, i, 1, label)
            put(ws, i, 2, text).alignment = Alignment(wrap_text=True)
        ws.column_dimensions["A"].width = 40
        ws.column_dimensions["B"].width = 110
        ws.freeze_panes = "A4"
        _print_setup(ws, repeat_rows="3:3")
    book.save(path)
    return path


def _sheet_names(wanted: Sequence[str]) -> list[str]:
    """Unique sheet names of at most 31 characters, without the characters Excel forbids."""
    out: list[str] = []
    for name in wanted:
        clean = "".join(" " if c in "[]:*?/\\" else c for c in name)[:31].strip() or "Feuille"
        candidate, n = clean, 2
        while candidate in out or candidate in ("Sommaire", "Définitions"):
            suffix = f" ({n})"
            candidate = clean[: 31 - len(suffix)] + suffix
            n += 1
        out.append(candidate)
    return out


def _print_setup(ws: Any, repeat_rows: str | None = None) -> None:
    """Landscape A4, fitted to the page width, header rows repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if repeat_rows:
        ws.print_title_rows = repeat_rows
