"""End to end: `mixite diagnostic` and `mixite quotas` on a small synthetic territory.

Expected figures are recomputed here directly from the store tables with plain pandas (an
independent path from the indicator functions)."""

from __future__ import annotations

import datetime as dt
import html
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from mixite.cli import app
from mixite.params import default_parameters
from mixite.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def report(petite_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rapport")
    result = runner.invoke(app, ["diagnostic", "--base", str(petite_store), "--sortie", str(out)])
    assert result.exit_code == 0, result.output
    assert "diagnostic.html" in result.output
    return out


def _q1_share_outside_qpv(petite_store: Path, year: int) -> tuple[int, int]:
    """Hand computation of the L441-1 indicator: outside-QPV leases of `year` to Q1 or NPNRU."""
    with Store(petite_store) as st:
        att = st.read("attributions")
        territory = st.read("territory")
    att = att[att["lease_date"].dt.year == year]
    ref = str(territory.iloc[0]["q1_reference_epci"])
    threshold = default_parameters().value("seuils_q1", f"{year}-12-31")[ref]["q1"]
    # modified OECD scale: 1 + 0.5 per other person aged 14+ + 0.3 per child under 14
    uc = (
        1
        + 0.5 * (att["persons_14plus"] - 1)
        + 0.3 * (att["household_size"] - att["persons_14plus"])
    )
    q1 = 12 * att["monthly_resources"] / uc < threshold
    outside = att[~att["in_qpv"]]
    hits = (q1[~att["in_qpv"]] | outside["npnru_relocation"]).sum()
    return len(outside), int(hits)


def test_outputs_exist_and_open(report: Path) -> None:
    for name in (
        "diagnostic.html",
        "diagnostic.xlsx",
        "residences.gpkg",
        "quotas.csv",
        "carte.html",
    ):
        assert (report / name).stat().st_size > 0, name
    text = html.unescape((report / "diagnostic.html").read_text(encoding="utf-8"))
    for heading in (
        "Chiffres clés",
        "Parc de logements sociaux",
        "Objectifs légaux d'attribution",
        "Attributions et gestion en flux",
        "Ségrégation résidentielle",
        "Annexe statistique",
    ):
        assert heading in text
    book = load_workbook(report / "diagnostic.xlsx", read_only=True)
    for sheet in (
        "Sommaire",
        "Objectif hors QPV",
        "Parc QPV et hors QPV",
        "Écart de loyer QPV",
        "Occupation par résidence",
        "Indicateurs légaux (détail)",
        "Indices de ségrégation",
        "Définitions",
    ):
        assert sheet in book.sheetnames


def test_workbook_stock_equals_store(report: Path, petite_store: Path) -> None:
    with Store(petite_store) as st:
        dw = st.read("dwellings")
    frame = pd.read_excel(report / "diagnostic.xlsx", sheet_name="Parc QPV et hors QPV", header=3)
    counts = frame.set_index(frame.columns[0])[frame.columns[1]].to_dict()
    assert counts["QPV"] == int(dw["in_qpv"].sum())
    assert counts["hors QPV"] == int((~dw["in_qpv"]).sum())


def test_gpkg_residences_equal_store(report: Path, petite_store: Path) -> None:
    with Store(petite_store) as st:
        dw = st.read("dwellings")
    layer = gpd.read_file(report / "residences.gpkg", layer="residences")
    assert layer.crs.to_epsg() == 2154
    assert len(layer) == dw.dropna(subset=["x", "y"])["residence_id"].nunique()
    assert int(layer["Logements"].sum()) == int(dw.dropna(subset=["x", "y"]).shape[0])


def test_quotas_csv_equals_hand_computation(report: Path, petite_store: Path) -> None:
    denominator, hits = _q1_share_outside_qpv(petite_store, 2024)
    csv = pd.read_csv(report / "quotas.csv", sep=";", decimal=",", encoding="utf-8-sig")
    row = csv[
        (csv["Échelle"] == "EPCI") & csv["Indicateur"].str.startswith("Attributions hors QPV")
    ]
    assert int(row["Attributions concernées"].iloc[0]) == denominator
    assert row["Partenaire"].iloc[0]  # the territory named
    assert int(row["Attributions au public cible"].iloc[0]) == hits
    assert int(row["Attributions manquantes"].iloc[0]) == max(
        0, math.ceil(0.25 * denominator - 1e-9) - hits
    )
    # calibrated synthetic territory: well under the legal 25 %
    assert hits / denominator < 0.22


def test_no_published_small_cell(report: Path) -> None:
    threshold = default_parameters().value("secret_statistique.seuil", dt.date(2025, 1, 1))
    book = load_workbook(report / "diagnostic.xlsx", read_only=True)
    # Counts of persons; dwellings (RPLS) are published as they are unless
    # secret_statistique.logements (docs/secret-statistique.md).
    count_headers = (
        "Ménages",
        "Demandes",
        "Attributions concernées",
        "Attributions au public cible",
    )
    for ws in book.worksheets:
        rows = list(ws.iter_rows(min_row=4, values_only=True))
        if not rows:
            continue
        header = rows[0]
        for j, name in enumerate(header):
            if name not in count_headers:
                continue
            for values in rows[1:]:
                v = values[j]
                assert not (isinstance(v, (int, float)) and 0 < v < threshold), (ws.title, name, v)


def test_quotas_command_text_and_csv(petite_store: Path) -> None:
    result = runner.invoke(
        app, ["quotas", "--base", str(petite_store), "--annee", "2024"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    # The objectives that apply, each partner named: the territory and every landlord.
    assert "1er quartile ou relogés, hors QPV" in result.output
    with Store(petite_store) as st:
        names = [*st.read("landlords")["landlord_name"], st.read("territory")["name"].iloc[0]]
    for name in names:
        assert name in result.output
    result = runner.invoke(
        app, ["quotas", "--base", str(petite_store), "--annee", "2024", "--format", "csv"]
    )
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("Échelle;Partenaire;Code;Indicateur")


def test_quotas_unknown_year_is_a_french_error(petite_store: Path) -> None:
    result = runner.invoke(app, ["quotas", "--base", str(petite_store), "--annee", "1999"])
    assert result.exit_code != 0
    assert "Aucune attribution dont le bail est signé en 1999" in str(result.exception)
