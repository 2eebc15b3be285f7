"""The national report rendered from a hand-built result (the three EPCIs of
``tests/indicators/test_national.py``): French labels, names beside codes, every file opens."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from indicators.national_rows import national_rows
from mixite.jobs.national import national_summary
from mixite.reports import fr
from mixite.reports.national import epci_frame, write_national

BOUNDS = (0, 2000, 5000, 15000, 50000)


def test_size_class_labels() -> None:
    labels = [fr.size_class_label(b, BOUNDS) for b in BOUNDS]
    text = [label.replace("\u202f", " ").replace("\xa0", " ") for label in labels]
    assert text == [
        "moins de 2 000 logements",
        "2 000 à 5 000 logements",
        "5 000 à 15 000 logements",
        "15 000 à 50 000 logements",
        "50 000 logements et plus",
    ]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tables += tag == "table"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_report_names_every_epci_and_failure(tmp_path: Path) -> None:
    failures = pd.DataFrame(
        [{"epci": "200000009", "epci_name": "CC Delta", "task": "import",
          "error": "Nombre illisible (fichier « rpls.csv », ligne 3)."}]
    )  # fmt: skip
    result = national_summary(national_rows(), failures, ["diagnostic", "quotas", "simulation"],
                              when=dt.date(2025, 6, 1))  # fmt: skip
    frame, formats = epci_frame(result)
    alpha = frame.set_index("SIREN").loc["200000001"]
    assert alpha["EPCI"] == "CA Alpha" and alpha["Région"] == "Centre-Val de Loire"
    assert alpha["Q1 ou relogés hors QPV : verdict"] == "atteint"
    assert alpha["hors Q1 en QPV : verdict"] == "non atteint"
    assert formats["Q1 ou relogés hors QPV : part"] == "pct"
    outputs = write_national(result, tmp_path)
    parser = _Tables()
    parser.feed(outputs.html.read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    assert parser.tables >= 6
    for name in ("CA Alpha", "CA Bêta", "CU Gamma", "CC Delta", "Centre-Val de Loire",
                 "Île-de-France", "Nombre illisible", "hors d'atteinte", "Fléchage 30 %"):  # fmt: skip
        assert name in text, name
    from openpyxl import load_workbook

    book = load_workbook(outputs.xlsx, read_only=True)
    assert "Échecs" in book.sheetnames and "Scénario" in book.sheetnames
    epci = pd.read_parquet(outputs.epci_parquet)
    assert set(epci["epci_name"]) == {"CA Alpha", "CA Bêta", "CU Gamma"}


def test_a_run_where_every_territory_failed_still_reports(tmp_path: Path) -> None:
    from mixite.vocabulary import NATIONAL_COLUMNS

    failures = pd.DataFrame(
        [{"epci": "200000009", "epci_name": "CC Delta", "task": "import",
          "error": "Dossier introuvable (fichier « france/200000009 »)."}]
    )  # fmt: skip
    empty = pd.DataFrame(columns=list(NATIONAL_COLUMNS))
    result = national_summary(empty, failures, ["quotas"], when=dt.date(2025, 6, 1))
    outputs = write_national(result, tmp_path)
    page = outputs.html.read_text(encoding="utf-8")
    assert "CC Delta" in page and "Dossier introuvable" in page
