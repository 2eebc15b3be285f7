"""``mixite parametres`` through Typer's CliRunner (issue 2 « Done when »)."""

from __future__ import annotations

from typer.testing import CliRunner

from mixite.cli import app
from mixite.errors import ParameterError

NBSP = "\u00a0"
#: Thousands separator of the French locale (CLDR): a narrow no-break space.
THIN = "\u202f"
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, ["parametres", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_q1_quota_prints_25_percent_and_its_article() -> None:
    out = _run("quotas.q1_hors_qpv", "--date", "2025-06-01")
    assert f"Valeur : 25{NBSP}%" in out  # CCH L441-1, docs/droit.md §2.1 (Objectif hors QPV)
    assert "L441-1" in out
    assert "28/01/2017" in out


def test_q1_threshold_of_the_metropole_de_lyon() -> None:
    out = _run("seuils_q1", "--epci", "200046977", "--date", "2025-06-01")
    # quartiles_2025.json (arrêté 2025): Métropole de Lyon q1 = 10 740 €/UC/year.
    assert "Métropole de Lyon" in out
    assert f"q1 (premier quartile) : 10{THIN}740{NBSP}€" in out
    assert (
        "NON CONFIRMÉ" in out
    )  # 2025 arrêté date unconfirmed (docs/droit.md §3.1 (Définition et arrêté annuel))


def test_group_prints_a_table_of_ceilings() -> None:
    out = _run("plafonds.plus", "--date", "2026-06-01")
    # docs/droit.md §7.1 (Plafonds PLUS), 2026: P cat 1 26 920, A +1 person 6 710.
    assert f"26{THIN}920{NBSP}€" in out
    assert f"6{THIN}710{NBSP}€" in out
    assert "Catégorie 6" in out


def test_pls_table_is_computed() -> None:
    out = _run("plafonds.pls", "--date", "2025-06-01")
    assert f"108{THIN}648{NBSP}€" in out  # PLS 2025 Paris cat 6, tradetrans.eu


def test_unconfirmed_cells_are_marked() -> None:
    out = _run("plafonds.plai", "--date", "2026-06-01")
    assert " *" in out and "NON CONFIRMÉ" in out


def test_unknown_name_lists_close_names() -> None:
    result = runner.invoke(app, ["parametres", "plafond.plus"])
    assert isinstance(result.exception, ParameterError)
    assert "Paramètre inconnu « plafond.plus »" in str(result.exception)
    assert "plafonds.plus" in str(result.exception)


def test_unknown_siren_suggests_close_ones() -> None:
    result = runner.invoke(app, ["parametres", "seuils_q1", "--epci", "20004697"])
    assert isinstance(result.exception, ParameterError)
    assert "200046977 (Métropole de Lyon)" in str(result.exception)
    assert result.output == ""  # nothing printed before the error


def test_list_of_names() -> None:
    names = _run().split()
    assert "quotas.q1_hors_qpv" in names and "seuils_q1" in names


def test_conventions_and_local_defaults_are_listed() -> None:
    # One parameter home: the diagnostic conventions, the marges settings, the CAL-charter
    # defaults and the commission rule are listed with the legal values.
    names = _run().split()
    for name in (
        "indicateurs.occupation.age_senior",
        "marges.adequation.pieces_max",
        "solvabilite.taux_effort_max",
        "solvabilite.reste_a_vivre_min",
        "solvabilite.jours_par_mois",
        "solvabilite.charges_par_m2",
        "commission.candidats_min",
    ):
        assert name in names


def test_a_local_default_says_it_is_not_law() -> None:
    out = _run("solvabilite.taux_effort_max", "--date", "2025-06-01")
    assert f"Valeur : 35{NBSP}%" in out  # params/solvabilite.yaml, default of the CAL charter
    assert "pas un texte légal" in out and "territoire.yaml" in out


def test_the_legal_minimum_of_candidates() -> None:
    out = _run("commission.candidats_min", "--date", "2025-06-01")
    assert f"Valeur : 3{NBSP}demandes" in out  # CCH R441-3 (décret n° 2007-1677)
    assert "R441-3" in out


def test_lists_and_small_tables_are_readable() -> None:
    out = _run("indicateurs.occupation.parts_plafond", "--date", "2025-06-01")
    assert f"Valeur : 20{NBSP}% ; 40{NBSP}% ; 60{NBSP}%" in out  # OPS classes of the PLUS ceiling
    out = _run("indicateurs.epoques.bornes", "--date", "2025-06-01")
    assert "1949 ; 1975" in out  # years, no thousands separator
    out = _run("marges.plafonds.famille_financement", "--date", "2025-06-01")
    assert "pre1977 : plus" in out and "SIREN" not in out
