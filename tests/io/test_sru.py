"""The SRU inventory is read from its two public layouts and from mixite's own format; values
checked by hand on the real Val-d'Oise files (``tests/data/``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mixite.errors import InputError
from mixite.io import detect_kind, read_sru

DATA = Path(__file__).resolve().parents[1] / "data"
INVENTORY = DATA / "val_doise" / "sru_95.csv"
RATES = DATA / "sru" / "taux_logements_sociaux_95_2024.csv"


def test_the_ministry_inventory_is_read() -> None:
    frame = read_sru(INVENTORY).set_index("commune")
    assert len(frame) == 64
    # Line 2 of the file: ARGENTEUIL;…;15102;35,28%;0;0;0;25%;0,00 €
    row = frame.loc["95018"]
    assert row["commune_name"] == "ARGENTEUIL"
    assert row["inventory_year"] == 2024  # « Taux_SRU_au_01_01_2024 »
    assert row["social_dwellings"] == 15102
    assert row["sru_rate"] == pytest.approx(0.3528)
    assert row["target_rate"] == pytest.approx(0.25)
    assert row["sru_status"] == "conforme" and row["levy"] == 0.0
    # MONTMORENCY: 2 010 lls, 22,02 %, déficitaire and carencée, levy 142 157,11 €
    row = frame.loc["95428"]
    assert row["social_dwellings"] == 2010 and row["sru_rate"] == pytest.approx(0.2202)
    assert row["sru_status"] == "carencee" and row["levy"] == pytest.approx(142157.11)
    # ARNOUVILLE: déficitaire but exemptée 2023-2025
    assert frame.loc["95019", "sru_status"] == "exemptee"
    assert frame["sru_status"].value_counts().to_dict() == {
        "conforme": 25,
        "deficitaire": 25,
        "carencee": 10,
        "exemptee": 4,
    }


def test_the_rate_of_every_commune_is_read() -> None:
    frame = read_sru(RATES).set_index("commune")
    assert len(frame) == 184
    assert frame.loc["95002", "sru_rate"] == pytest.approx(0.02)  # « 95002;Ableiges;2.0 »
    assert frame.loc["95018", "sru_rate"] == pytest.approx(0.34)
    assert (frame["inventory_year"] == 2024).all()  # year of the file name
    assert frame["sru_status"].isna().all() and frame["social_dwellings"].isna().all()


def test_sru_files_are_recognised_by_their_header() -> None:
    assert detect_kind(INVENTORY) == "sru"
    assert detect_kind(RATES) == "sru"


def test_mixite_format_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "sru.csv"
    path.write_text(
        "code_commune;taux_sru;statut_sru\n95018;0,35;conforme\n95019;1,5;deficitaire\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_sru(path)
    assert "ligne 3" in str(caught.value) and "taux_sru" in str(caught.value)
    path.write_text("code_commune;taux_sru\n95018;0,35\n", encoding="utf-8")
    frame = read_sru(path)
    assert frame["sru_rate"].tolist() == [0.35]
    assert isinstance(frame, pd.DataFrame)
