"""Output writers: Excel CSV (BOM, `;`, decimal comma), formatted XLSX, French number display."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from mixite.reports.common import Sheet, table_html, write_csv_excel, write_xlsx
from mixite.reports.fr import value as format_value


def test_csv_for_excel_has_bom_semicolon_and_decimal_comma(tmp_path: Path) -> None:
    path = write_csv_excel(pd.DataFrame({"bailleur": ["A"], "taux": [0.25]}), tmp_path / "q.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == ["bailleur;taux", "A;0,25"]


def test_xlsx_has_frozen_bold_header_and_formats(tmp_path: Path) -> None:
    frame = pd.DataFrame({"commune": ["X", "Y"], "part": [0.1, 0.2], "n": [3, 4]})
    path = write_xlsx(
        tmp_path / "d.xlsx", [Sheet("Quotas", frame, "Titre", "Définition", {"part": "pct"})]
    )
    ws = load_workbook(path)["Quotas"]
    assert ws["A4"].value == "commune" and ws["A4"].font.bold
    assert ws.freeze_panes == "A5"
    assert ws["B5"].value == 0.1 and ws["B5"].number_format == "0.0%"
    assert ws["C6"].value == 4


def test_french_number_display() -> None:
    # 0.1234 → « 12,3 % » ; 12 345 € with a narrow no-break space as thousands separator.
    assert format_value(0.1234, "pct") == "12,3\u00a0%"
    assert format_value(12345.4, "eur") == "12\u202f345\u00a0€"
    assert format_value(float("nan"), "int") == "—"
    assert '<td class="num">12,3\u00a0%</td>' in table_html(
        pd.DataFrame({"p": [0.1234]}), {"p": "pct"}
    )
