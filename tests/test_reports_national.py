"""The national report rendered from a hand-built result (the three EPCIs of
``tests/indicators/test_national.py``): French labels, names beside codes, every file opens."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from indicators.national_rows import national_rows
from mixite.jobs.national import national_summary
from mixite.jobs.results import NationalResult
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


def _result() -> NationalResult:
    failures = pd.DataFrame(columns=["epci", "epci_name", "task", "error"])
    return national_summary(national_rows(), failures, ["diagnostic", "quotas", "simulation"],
                            when=dt.date(2025, 6, 1))  # fmt: skip


class _EpciTable(HTMLParser):
    """The rows of the page's EPCI table: each cell's text, class and sort value."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.head: list[str] = []
        self.rows: list[list[tuple[str, str, str | None]]] = []
        self._cell: dict[str, str | None] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == "table-epci":
            self.inside = True
        elif self.inside and tag == "thead":
            self._in_head = True
        elif self.inside and tag == "tr" and not self._in_head:
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self._cell = {"text": "", **dict(attrs)}

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag == "thead":
            self._in_head = False
        elif self.inside and tag in ("td", "th") and self._cell is not None:
            text = str(self._cell["text"])
            if tag == "th":
                self.head.append(text)
            else:
                self.rows[-1].append(
                    (text, self._cell.get("class") or "", self._cell.get("data-v"))
                )
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] = str(self._cell["text"]) + data


def test_the_epcis_that_miss_the_objective_come_first_with_their_verdicts(tmp_path: Path) -> None:
    # national_rows: Bêta misses the Q1 objective (20 % of its attributions outside QPV, a
    # shortfall of 5), Alpha meets it (30 %), Gamma has no attribution outside QPV (no verdict)
    result = _result()
    frame, _ = epci_frame(result)
    assert list(frame["EPCI"]) == ["CA Bêta", "CA Alpha", "CU Gamma"]
    verdicts = list(frame["Q1 ou relogés hors QPV : verdict"])
    assert verdicts == ["non atteint", "atteint", "sans objet (aucune attribution concernée)"]
    outputs = write_national(result, tmp_path)
    page = outputs.html.read_text(encoding="utf-8")
    table = _EpciTable()
    table.feed(page)
    # every EPCI on the page (not only the first 200), in the same order, verdicts coloured
    assert [row[1][0] for row in table.rows] == ["CA Bêta", "CA Alpha", "CU Gamma"]
    column = table.head.index("Q1 ou relogés hors QPV : verdict")
    assert [row[column][1] for row in table.rows] == [
        "verdict statut-ko",
        "verdict statut-ok",
        "verdict",
    ]
    # numbers sort by their value: Bêta's shortfall 5, its share 0.2 (« 20,0 % [… ; …] »)
    gap = table.head.index("Q1 ou relogés hors QPV : manque")
    assert table.rows[0][gap][0] == "5" and float(table.rows[0][gap][2] or "nan") == 5.0
    share = table.head.index("Q1 ou relogés hors QPV : part [intervalle]")
    assert table.rows[0][share][0].startswith("20,0\xa0%")
    assert float(table.rows[0][share][2] or "nan") == 0.2
    # who misses the objective, at first glance: Bêta alone, in the alert figure
    assert '<div class="kpi alerte"><div class="v">1</div>' in page
    assert "EPCI sous l&#x27;objectif hors QPV (non atteint)" in page
    # sortable and searchable in the browser, without any network
    assert 'id="filtre-epci"' in page and "localeCompare" in page
    assert "<script src=" not in page and '<link rel="stylesheet"' not in page
    for word in (">nan<", ">None<", ">True<", ">False<", ">NaN<"):
        assert word not in page, word


def test_the_workbook_formats_counts_as_counts_and_names_as_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    outputs = write_national(_result(), tmp_path)
    book = load_workbook(outputs.xlsx)
    room = book["Marges"]
    header = [c.value for c in room[4]]
    name = room.cell(row=5, column=header.index("EPCI") + 1)
    assert isinstance(name.value, str) and name.number_format == "General"
    counts = book["Marges (synthèse)"]
    header = [c.value for c in counts[4]]
    assert counts.cell(row=5, column=header.index("EPCI") + 1).number_format == "#,##0"
    # the EPCI sheet in the page's order, the ones that miss the objective first
    sheet = book["EPCI"]
    header = [c.value for c in sheet[4]]
    names = [sheet.cell(row=r, column=header.index("EPCI") + 1).value for r in (5, 6, 7)]
    assert names == ["CA Bêta", "CA Alpha", "CU Gamma"]
    assert "secret statistique" in str(sheet["A2"].value)
    # no failure: the sheet says so instead of showing an empty table
    assert book["Échecs"]["A2"].value == "Aucun territoire en échec : tous ont été analysés."


def test_a_masked_room_reads_secret_statistique(tmp_path: Path) -> None:
    # Alpha's attributions outside QPV masked, as jobs.national masks them: its achieved share,
    # room and shortfall empty in the room table, and the shortfall of its situation too
    import dataclasses

    import numpy as np

    from mixite.reports.national import _room_frames

    result = _result()
    epci = result.epci.copy()
    epci["q1_hors_qpv_secret"] = epci["epci"] == "200000001"
    room = result.room.copy()
    alpha = room["epci"] == "200000001"
    room.loc[alpha, ["achieved_share", "room", "shortfall"]] = np.nan
    counts = result.room_counts.copy()
    counts.loc[counts["category"] == "atteint", "shortfall"] = np.nan
    masked = dataclasses.replace(result, epci=epci, room=room, room_counts=counts)
    per_epci, situations, _ = _room_frames(masked)
    row = per_epci.set_index("SIREN").loc["200000001"]
    for column in ("Part réalisée", "Marge (points)", "Manque (attributions)"):
        assert row[column] == "secret statistique", column
    assert per_epci.set_index("SIREN").loc["200000002", "Manque (attributions)"] == 5
    met = situations.loc[situations["Situation"] == "objectif atteint"].iloc[0]
    assert met["Manque (attributions)"] == "secret statistique"
    # the page still sorts the room table by shortfall (text and numbers mixed)
    page = write_national(masked, tmp_path).html.read_text(encoding="utf-8")
    assert page.index("CA Bêta", page.index('id="marges"')) < page.index(
        "CA Alpha", page.index("EPCI (tous dans le classeur)")
    )


def test_the_alert_counts_every_epci_under_the_objective_or_says_at_least(tmp_path: Path) -> None:
    import dataclasses

    # national_rows: 2 EPCIs with a Q1 verdict, 1 meeting it → 2 − 1 = 1 under it; where
    # secrecy withholds verdicts, the published count of EPCIs meeting it gives the exact
    # number: say 2 with a verdict and none meeting it → 2, though the per-EPCI table
    # publishes only Bêta's « non atteint »
    result = _result()
    a = result.attainment.copy()
    q1 = (a["source"] == "observe") & (a["indicator"] == "q1_hors_qpv")
    assert a.loc[q1, ["epcis", "met"]].iloc[0].tolist() == [2, 1]
    a.loc[q1, "met"] = 0
    page = write_national(dataclasses.replace(result, attainment=a), tmp_path / "exact").html
    assert '<div class="kpi alerte"><div class="v">2</div>' in page.read_text(encoding="utf-8")
    # the count meeting it masked: the published « non atteint » verdicts, a lower bound
    a.loc[q1, "met"] = pd.NA
    page = write_national(dataclasses.replace(result, attainment=a), tmp_path / "masked").html
    assert '<div class="v">au moins 1</div>' in page.read_text(encoding="utf-8")
