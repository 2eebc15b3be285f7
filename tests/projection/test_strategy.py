"""Strategy files: the examples load, every lever is validated, errors are French and precise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixite.errors import ConfigError, InputError
from mixite.io.strategy import load_strategy, read_programme
from mixite.projection.strategy import PROGRAMME_COLUMNS, Reequilibrage, parse_programme

EXAMPLES = Path(__file__).resolve().parents[2] / "exemples" / "strategies"
SCENARIO = Path(__file__).resolve().parents[2] / "exemples" / "scenarios" / "reference.yaml"


def test_every_example_strategy_loads() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    # One example per lever, the baseline and the demo's contrasted strategy.
    assert {f.stem for f in files} == {
        "reference",
        "offre",
        "renouvellement",
        "attributions",
        "loyers",
        "accompagnement",
        "contrastee",
    }
    for path in files:
        plan = load_strategy(path)
        assert plan.name
        assert plan.scenario(2025).nom


def test_the_levers_of_the_examples() -> None:
    offre = load_strategy(EXAMPLES / "offre.yaml")
    # programmation_plh.csv: seven residences; three at the convention's ceiling (NaN rent).
    assert len(offre.programme) == 7
    assert int(offre.programme["rent_m2"].isna().sum()) == 3
    first = offre.programme.iloc[0]
    assert (first["residence_name"], first["rent_m2"], first["t3"]) == ("Les Vergers", 5.1, 14)
    assert offre.strategy.offre.ventes[0].logements == 5
    attributions = load_strategy(EXAMPLES / "attributions.yaml")
    # 2025 keeps the current rules, later years the 30 % fléchage.
    assert attributions.scenario(2025).flechage.part_hors_qpv == 0.0
    assert attributions.scenario(2026).flechage.part_hors_qpv == 0.3
    support = load_strategy(EXAMPLES / "accompagnement.yaml")
    assert support.strategy.supported(2027) == 150
    assert support.strategy.supported(2040) == 0
    rents = load_strategy(EXAMPLES / "loyers.yaml").strategy.loyers[0]
    assert not rents.applies(2025, "999961001") and rents.applies(2026, "999961001")


def test_rebalancing_years_and_landlords() -> None:
    lever = Reequilibrage(a_partir_de=2026, jusqu_a=2027, part_baisse_hors_qpv=0.5, bailleurs=["1"])
    assert [lever.applies(y, "1") for y in (2025, 2026, 2027, 2028)] == [False, True, True, False]
    assert not lever.applies(2026, "2")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "strategie.yaml"
    path.write_text(f"nom: Essai\nattributions:\n  scenario: {SCENARIO}\n{text}", encoding="utf-8")
    return path


def test_an_unknown_field_is_named_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_strategy(_write(tmp_path, "renouvelement: {}\n"))
    message = str(err.value)
    assert "strategie.yaml" in message and "renouvelement" in message
    assert "Vouliez-vous dire « renouvellement » ?" in message


def test_a_bad_value_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"loyers\.0\.part_baisse_hors_qpv.*trop grande"):
        load_strategy(_write(tmp_path, "loyers: [{a_partir_de: 2026, part_baisse_hors_qpv: 2}]\n"))
    with pytest.raises(ConfigError, match=r"accompagnement\.2026.*trop petite"):
        load_strategy(_write(tmp_path, "accompagnement: {2026: -5}\n"))


def test_a_missing_programme_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="programmation introuvable"):
        load_strategy(_write(tmp_path, "offre: {programmation: absente.csv}\n"))


def _programme(**cells: str) -> pd.DataFrame:
    row = {
        "commune": "96001",
        "annee_livraison": "2027",
        "residence": "Les Lilas",
        "bailleur": "999961001",
        "financement": "PLAI",
        "t1": "1",
        "t2": "2",
        "t3": "0",
        "t4": "",
        "t5": "0",
        "loyer_m2": "5,2",
        "qpv": "",
    }
    return pd.DataFrame([row | cells], dtype=object)


def test_a_programme_row_is_typed() -> None:
    out = parse_programme(_programme(), "p.csv").iloc[0]
    assert (out["commune"], out["year"], out["finan_family"]) == ("96001", 2027, "plai")
    assert [out[f"t{r}"] for r in range(1, 6)] == [1, 2, 0, 0, 0]
    assert out["rent_m2"] == pytest.approx(5.2)  # the decimal comma is read
    assert out["qpv_code"] is None and np.isnan(out["x"])
    ceiling = parse_programme(_programme(loyer_m2="Plafond de la convention"), "p.csv")
    assert np.isnan(ceiling.iloc[0]["rent_m2"])


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"financement": "PLUSS"}, "financement", "Écrivez PLAI, PLUS ou PLS"),
        ({"commune": "961"}, "commune", "code INSEE"),
        ({"bailleur": "Mirebourg"}, "bailleur", "SIREN"),
        ({"t2": "deux"}, "t2", "nombre entier"),
        ({"t1": "0", "t2": "0"}, "t1", "sans logement"),
        ({"loyer_m2": "cher"}, "loyer_m2", "plafond de la convention"),
        ({"qpv": "Les Tilleuls"}, "qpv", "code du QPV"),
        ({"annee_livraison": "27"}, "annee_livraison", "année de livraison"),
        # Found by the reader fuzzing: digits beyond a float's range, and « NaN », are refused
        # in French rather than raising OverflowError/ValueError on int().
        ({"t3": "9" * 400}, "t3", "nombre entier"),
        ({"annee_livraison": "NaN"}, "annee_livraison", "année de livraison"),
    ],
)
def test_a_bad_programme_cell_names_line_column_value_and_fix(
    cells: dict[str, str], column: str, words: str
) -> None:
    frame = pd.concat([_programme(), _programme(**cells)], ignore_index=True)
    with pytest.raises(InputError) as err:
        parse_programme(frame, "programmation.csv")
    # The header is line 1: the second data row is line 3.
    assert err.value.where.line == 3
    assert err.value.where.column == column
    assert err.value.where.file == "programmation.csv"
    assert words.lower() in str(err.value).lower()


def test_the_programme_reader_checks_the_header_and_cells(tmp_path: Path) -> None:
    path = tmp_path / "prog.csv"
    path.write_text(";".join(PROGRAMME_COLUMNS[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="« qpv » absente"):
        read_programme(path)
    path.write_text(
        "\ufeff" + ";".join(PROGRAMME_COLUMNS) + "\n96001;2027;A;999961001;PLUS;1;1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="7 cellules au lieu de 12") as err:
        read_programme(path)
    assert err.value.where.line == 2
