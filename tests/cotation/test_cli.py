"""``mixite cotation`` end to end on a real DuckDB store, and the millésime runs behind it.

Hand-made applications, attributions and territory are imported with ``mixite.store``
(pseudonymising the application ids) and the command reads them back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from click.testing import CliRunner
from openpyxl import load_workbook

import mixite.cli  # noqa: F401 - registers the commands
from mixite.cli._app import app
from mixite.cotation.grid import load_grid
from mixite.jobs.cotation import CotationInputs, applicant_of_inputs, audit_inputs
from mixite.reports.cotation import applicant_letter
from mixite.store import Store, import_millesime

from .helpers import applications, attributions

EXAMPLES = Path(__file__).parents[2] / "exemples" / "grilles"
#: The command group (``mixite.cli`` registers every command module on import).
COMMANDS = typer.main.get_group(app)

APPS = applications(
    {
        "reason": "expulsion",
        "single_parent": True,
        "household_size": 2,
        "persons_14plus": 1,
        "priority_codes": ["h"],
        "priority_justified": True,
        "wished_communes": ["69123"],
        "rooms_min": 2,
    },
    {"wished_communes": ["69123"], "rooms_min": 2},
    {"wished_communes": ["69123"], "rooms_min": 2, "is_mutation": True},
    {"wished_communes": ["69266"], "rooms_min": 3, "dalo": True},
)
ATTRIBUTIONS = attributions(
    {"rooms": 2, "commune": "69123", "lease_date": pd.Timestamp("2024-02-01")},
    {"rooms": 2, "commune": "69123", "lease_date": pd.Timestamp("2024-08-01")},
    {"rooms": 3, "commune": "69266", "lease_date": pd.Timestamp("2024-03-01")},
)
TERRITORY = pd.DataFrame(
    {
        "name": ["Test"],
        "epci": ["200046977"],
        "q1_reference_epci": ["200046977"],
        "q1_overrides": ['{"2025": 9500}'],
        "max_effort_rate": [0.35],
        "min_reste_a_vivre": [12.0],
    }
)
INPUTS = CotationInputs(2025, APPS, ATTRIBUTIONS, TERRITORY)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    base = tmp_path / "territoire.duckdb"
    import_millesime(
        base,
        2025,
        {"applications": APPS, "attributions": ATTRIBUTIONS, "territory": TERRITORY},
    )
    return base


def pseudonym(base: Path, row: int) -> str:
    with Store(base) as st:
        return str(st.read("applications", 2025)["application_id"].iloc[row])


def test_audit_millesime_uses_the_territory_threshold_and_yearly_attributions() -> None:
    grid = load_grid(EXAMPLES / "lyon_illustrative.yaml")
    result = audit_inputs(INPUTS, grid)
    assert result.top_n == 3  # three leases signed in 2024
    assert result.waiting is not None
    table = result.waiting.set_index(["rooms_min", "first_wished_commune"])
    # (2, 69123): 3 pending, 2 attributions in one lease year → 18 months (the applicant's
    # letter below says it); the audit's table is published, and its counts (3, 2) are under
    # the secrecy threshold (11): masked, with the estimate they give.
    row = table.loc[(2.0, "69123")]
    assert pd.isna(row["pending"]) and pd.isna(row["attributions_per_year"])
    assert pd.isna(row["waiting_months"]) and pd.isna(row["estimated_months"])
    assert result.scores["score"].notna().all()


def test_applicant_report_text() -> None:
    grid = load_grid(EXAMPLES / "lyon_illustrative.yaml")
    text = applicant_letter(applicant_of_inputs(INPUTS, grid, "D1"))
    # Lyon-like first-application section: 12 months of seniority (12 points), eviction
    # justified (20), single parent (5), justified L441-1 priority h (15): 52 points;
    # 1 500 €/month alone is not Q1 at 9 500 €.
    assert "Votre cotation : 52 points" in text
    # Similar = same section (D3 is a mutation) and same (2 rooms, 69123): D1 and D2.
    assert "rang 1 sur 2" in text
    assert "environ 18 mois" in text


def test_cli_writes_the_audit(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapports"
    other = tmp_path / "autre.yaml"
    text = (EXAMPLES / "paris_illustrative.yaml").read_text(encoding="utf-8")
    other.write_text(text.replace("points: 6", "points: 60"), encoding="utf-8")
    result = CliRunner().invoke(
        COMMANDS,
        [
            "cotation",
            "--base",
            str(store),
            "--grille",
            str(EXAMPLES / "paris_illustrative.yaml"),
            "--comparer",
            str(other),
            "--sortie",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "cotation.html").exists()
    assert "Comparaison groupes" in load_workbook(out / "cotation.xlsx").sheetnames
    assert "4 demandes cotées (0 hors cotation), millésime 2025." in result.output
    scores = pd.read_csv(out / "cotation_demandes.csv", sep=";", decimal=",", encoding="utf-8-sig")
    # Paris-like grid: 0.5 point × 12 months = 6 for everyone; D1 single parent +2 and
    # justified L441-1 priority +4; D4 DALO +10.
    assert scores["Cotation"].tolist() == [12, 6, 6, 16]
    # D1, D2, D3 share (2 rooms, 69123): ranks 1, 2, 2 of 3; D4 alone.
    assert scores["Rang parmi les demandes similaires"].tolist() == [1, 2, 2, 1]
    assert scores["Demandes similaires"].tolist() == [3, 3, 3, 1]


def test_cli_explains_one_application(store: Path, tmp_path: Path) -> None:
    # The Dunkerque-like grid without its Q1 criterion (the UC scale is a parameter that this
    # test does not depend on).
    text = (EXAMPLES / "dunkerque_illustrative.yaml").read_text(encoding="utf-8")
    q1 = (
        "          - nom: Faibles ressources (premier quartile)\n"
        "            points: 10\n"
        '            condition: {champ: q1, op: "==", valeur: true}\n'
    )
    assert q1 in text
    grid = tmp_path / "dunkerque_sans_q1.yaml"
    grid.write_text(text.replace(q1, ""), encoding="utf-8")
    result = CliRunner().invoke(
        COMMANDS,
        [
            "cotation",
            "--base",
            str(store),
            "--grille",
            str(grid),
            "--demande",
            pseudonym(store, 3),
        ],
    )
    assert result.exit_code == 0, result.output
    # D4 is DALO: the grid scores it (décret n° 2019-1378): 12 months (12) + DALO (50).
    assert "Votre cotation : 62 points" in result.output
    assert "Ménage reconnu prioritaire DALO" in result.output
    assert "relogement_npnru" not in result.output


def test_cli_needs_an_output_or_an_application(store: Path) -> None:
    from mixite.errors import ConfigError

    result = CliRunner().invoke(
        COMMANDS,
        [
            "cotation",
            "--base",
            str(store),
            "--grille",
            str(EXAMPLES / "paris_illustrative.yaml"),
        ],
    )
    assert isinstance(result.exception, ConfigError)
    assert "Indiquez --sortie" in str(result.exception)


def test_demo_step_writes_the_audit_and_one_explanation(store: Path, tmp_path: Path) -> None:
    from mixite import demo

    paths = demo.DemoPaths(tmp_path)
    assert paths.store == store
    demo.step_cotation(paths)
    assert [p.name for _, p in paths.made] == [
        "cotation.html",
        "cotation.xlsx",
        "explication_demande.txt",
    ]
    letter = (tmp_path / "sorties" / "cotation" / "explication_demande.txt").read_text("utf-8")
    assert letter.startswith(f"Cotation de votre demande n° {pseudonym(store, 0)}")
    assert "Votre cotation : 52 points" in letter


def test_cli_french_errors_for_a_missing_base_and_an_unknown_application(
    store: Path, tmp_path: Path
) -> None:
    from mixite.errors import ConfigError, StoreError

    grid = str(EXAMPLES / "paris_illustrative.yaml")
    missing = CliRunner().invoke(
        COMMANDS,
        [
            "cotation",
            "--base",
            str(tmp_path / "absente.duckdb"),
            "--grille",
            grid,
            "--demande",
            "x",
        ],
    )
    assert isinstance(missing.exception, StoreError)
    assert "introuvable" in str(missing.exception)
    unknown = CliRunner().invoke(
        COMMANDS, ["cotation", "--base", str(store), "--grille", grid, "--demande", "D9"]
    )
    # D9 is neither a number of the store (through its key) nor a pseudonym.
    assert isinstance(unknown.exception, ConfigError)
    assert "Demande « D9 » introuvable" in str(unknown.exception)
    # Without the key beside the base, a real number cannot be resolved: the message says so.
    key = store.with_name(store.name + ".cle")
    key.rename(tmp_path / "cle-ailleurs")
    no_key = CliRunner().invoke(
        COMMANDS, ["cotation", "--base", str(store), "--grille", grid, "--demande", "D1"]
    )
    assert isinstance(no_key.exception, ConfigError)
    assert "pseudonymisés" in str(no_key.exception) and "clé" in str(no_key.exception)
    (tmp_path / "cle-ailleurs").rename(key)
    other_year = CliRunner().invoke(
        COMMANDS,
        [
            "cotation",
            "--base",
            str(store),
            "--grille",
            grid,
            "--millesime",
            "2023",
            "--sortie",
            "x",
        ],
    )
    assert isinstance(other_year.exception, StoreError)
    assert "millésimes disponibles : 2025" in str(other_year.exception)


def test_the_cotation_step_is_part_of_the_demo() -> None:
    from mixite.demo import DEMO_STEPS, step_cotation

    runs = [step.run for step in DEMO_STEPS]
    assert runs.count(step_cotation) == 1
    assert runs.index(step_cotation) > 1  # after generation and import


def test_packaged_uc_scale_is_the_modified_oecd_scale() -> None:
    import datetime as dt

    from mixite.household import UcScale

    # docs/droit.md §3.3 (Unités de consommation): 1 for the first adult, 0.5 per other person aged 14+, 0.3 per child.
    assert UcScale.from_parameters(dt.date(2025, 1, 1)) == UcScale(1.0, 0.5, 0.3)


def test_cli_explains_an_application_by_its_sne_number(store: Path) -> None:
    # The EPCI holds the key beside the base: the real number D1 (pseudonymised at import) is
    # found, and the letter shows D1, never the pseudonym.
    result = CliRunner().invoke(
        COMMANDS,
        [
            "cotation", "--base", str(store), "--grille",
            str(EXAMPLES / "lyon_illustrative.yaml"), "--demande", "D1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Cotation de votre demande n° D1" in result.output
    assert pseudonym(store, 0) not in result.output


def test_cli_lyon_grid_with_the_packaged_parameters(store: Path) -> None:
    result = CliRunner().invoke(
        COMMANDS,
        [
            "cotation",
            "--base",
            str(store),
            "--grille",
            str(EXAMPLES / "lyon_illustrative.yaml"),
            "--demande",
            pseudonym(store, 0),
        ],
    )
    assert result.exit_code == 0, result.output
    # 12 months (12) + justified eviction (20) + single parent (5) + justified priority h (15);
    # 1 500 €/month for 1.3 UC = 13 846 €/UC/year, above the territory's 2025 Q1 threshold
    # (9 500 €): not Q1.
    assert "Votre cotation : 52 points" in result.output
    assert "rang 1 sur 2" in result.output  # D1, D2 first applications share (2, 69123)
