"""Shared output writers: Excel-friendly CSV, formatted XLSX, self-contained HTML pages.

Presentation only: these functions format tables that the domain modules computed; they never
compute an indicator themselves.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
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
    neutralise_frame(frame).to_csv(path, sep=";", index=False, encoding="utf-8-sig", decimal=",")
    return path


def table_html(
    frame: pd.DataFrame,
    formats: dict[str, Format] | None = None,
    caption: str = "",
    note: str = "",
    max_rows: int = 200,
) -> str:
    """An HTML table with French number formats, a caption and a definition note."""
    formats = formats or {}
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for col, value in zip(shown.columns, record, strict=True):
            fmt = formats.get(str(col))
            klass = "num" if fmt in ("int", "float", "pct", "eur") else ""
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


def plotly_div(figure: Any) -> str:
    """A Plotly figure as an HTML fragment; plotly.js is included once by ``render_page``."""
    return str(figure.to_html(full_html=False, include_plotlyjs=False, config={"locale": "fr"}))


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("mixite.reports", "templates"),
        autoescape=select_autoescape(["html"]),
    )


def render_page(
    title: str, subtitle: str, sections: Sequence[Section], with_plotly: bool = True
) -> str:
    """A self-contained, printable HTML page (plotly.js inlined when charts are present)."""
    plotly_js = ""
    if with_plotly:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    template = _environment().get_template("page.html")
    return template.render(title=title, subtitle=subtitle, sections=sections, plotly_js=plotly_js)


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
}


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> Path:
    """A workbook with one formatted sheet per table: title, note, bold frozen header, units.

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
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.name[:31])
        put(ws, 1, 1, sheet.title).font = Font(bold=True, size=13)
        put(ws, 2, 1, sheet.note).alignment = Alignment(wrap_text=False)
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
                cell = put(ws, i, j, value)
                fmt = sheet.formats.get(str(col))
                if fmt in _XLSX_FORMATS:
                    cell.number_format = _XLSX_FORMATS[fmt]
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        for j, width in enumerate(_column_widths(sheet.frame), start=1):
            ws.column_dimensions[get_column_letter(j)].width = width
    book.save(path)
    return path
