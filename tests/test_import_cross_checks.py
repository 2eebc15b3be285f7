"""Cross-file checks at import (issue 21, item 7): refusals and warnings, each in French.

Frames are built by hand with only the columns each check reads; the expected line is the row's
position + 2 (header = line 1). One end-to-end case imports a folder through the CLI job and
checks that a refused import leaves the base unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixite.errors import InputError
from mixite.jobs.importing import cross_file_checks, import_files, plan_import
from mixite.synth import generate, size_profile

FILES = {
    "households": Path("occupation.csv"),
    "reservations": Path("reservations.csv"),
    "applications": Path("demandes.csv"),
    "attributions": Path("attributions.csv"),
    "dwellings": Path("rpls.csv"),
    "landlords": Path("bailleurs.csv"),
    "communes": Path("communes.csv"),
}


def _frame(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})


def test_a_dwelling_with_two_households_is_refused() -> None:
    households = _frame(household_id=["M1", "M2", "M3"], dwelling_id=["L1", "L2", "L1"])
    with pytest.raises(InputError) as caught:
        cross_file_checks({"households": households}, FILES)
    assert str(caught.value) == (
        "Logement occupé par deux ménages (déjà ligne 2) (fichier « occupation.csv », ligne 4, "
        "colonne « IDENT_INT », valeur « L1 »). Un logement n'a qu'un ménage occupant au "
        "1er janvier : gardez la ligne du ménage présent et supprimez l'autre (un ménage parti "
        "en cours d'année n'y figure plus)."
    )


def test_reservation_shares_above_100_percent_are_refused() -> None:
    # 0.25 + 0.30 + 0.50 = 1.05 for the second landlord; the first sums to exactly 1.
    reservations = pd.DataFrame(
        {
            "landlord_id": ["111111111", "111111111", "222222222", "222222222", "222222222"],
            "share": [0.5, 0.5, 0.25, 0.30, 0.50],
        }
    )
    with pytest.raises(InputError) as caught:
        cross_file_checks({"reservations": reservations}, FILES)
    message = str(caught.value)
    assert message.startswith(
        "Réservations de plus de 100 % du flux d'un bailleur (105 % au total) "
        "(fichier « reservations.csv », ligne 6, colonne « IDENT_REP », valeur « 222222222 »)"
    )


def test_commune_conventions_reserve_the_flow_of_their_commune() -> None:
    # A commune's convention reserves a share of the landlord's flow in that commune, on top of
    # the conventions of the whole flow: 0.25 + 0.25 + 0.154 = 65.4 % in commune 96001 and in
    # 96008 (not 0.25 + 0.25 + 0.154 + 0.154 of one flow). The second landlord reserves
    # 0.5 + 0.3 = 80 % of its whole flow, and 0.3 more in commune 96015: 110 % there.
    reservations = pd.DataFrame(
        {
            "landlord_id": ["111111111"] * 4 + ["222222222"] * 3,
            "reservataire": ["action_logement", "etat_prioritaire", "commune", "commune",
                             "action_logement", "etat_prioritaire", "commune"],
            "reservataire_id": [None, None, "96001", "96008", None, None, "96015"],
            "share": [0.25, 0.25, 0.154, 0.154, 0.5, 0.3, 0.3],
        }
    )  # fmt: skip
    assert cross_file_checks({"reservations": reservations.iloc[:4]}, FILES) == []
    with pytest.raises(InputError) as caught:
        cross_file_checks({"reservations": reservations}, FILES)
    assert str(caught.value).startswith(
        "Réservations de plus de 100 % du flux d'un bailleur dans la commune 96015 (110 % au "
        "total) (fichier « reservations.csv », ligne 8, colonne « IDENT_REP », valeur "
        "« 222222222 »)"
    )


def test_an_sne_number_without_its_leading_zero_is_refused() -> None:
    applications = _frame(application_id=["0952400000001", "952400000002", "0952400000003"])
    with pytest.raises(InputError) as caught:
        cross_file_checks({"applications": applications}, FILES)
    assert str(caught.value).startswith(
        "Numéro unique de demande sans son zéro initial (fichier « demandes.csv », ligne 3, "
        "colonne « numero_unique », valeur « 952400000002 »)"
    )


def test_numbers_of_varying_length_without_leading_zero_pass() -> None:
    applications = _frame(application_id=["752400000001", "75240000002", "752400000003"])
    assert cross_file_checks({"applications": applications}, FILES) == []


def test_an_attribution_by_an_unknown_landlord_is_refused() -> None:
    attributions = _frame(
        application_id=["A1", "A2"], dwelling_id=[None, None], landlord_id=["111", "999"]
    )
    landlords = _frame(landlord_id=["111"])
    with pytest.raises(InputError, match=r"bailleur inconnu .* ligne 3, colonne « IDENT_REP »"):
        cross_file_checks({"attributions": attributions, "landlords": landlords}, FILES)


def test_attributions_of_dwellings_absent_from_the_rpls_are_warned() -> None:
    attributions = _frame(
        application_id=["A1", "A2", "A3"],
        dwelling_id=["D1", "D9", None],
        landlord_id=["111", "111", "111"],
        commune=["95127", "95127", "95127"],
    )
    dwellings = _frame(dwelling_id=["D1", "D2"], landlord_id=["111", "111"], commune=["95127"] * 2)
    warnings = cross_file_checks({"attributions": attributions, "dwellings": dwellings}, FILES)
    assert warnings == [
        "1 attribution(s) sur 3 portent sur un logement absent du RPLS importé (premier cas : "
        "fichier « attributions.csv », ligne 3, IDENT_INT « D9 ») : logement vendu ou démoli "
        "dans l'année, ou identifiant à vérifier."
    ]


def test_communes_outside_the_territory_are_warned() -> None:
    dwellings = _frame(
        dwelling_id=["D1", "D2", "D3"], landlord_id=[None] * 3, commune=["95127", "95500", "75056"]
    )
    communes = _frame(commune=["95127", "95500"])
    warnings = cross_file_checks({"dwellings": dwellings, "communes": communes}, FILES)
    assert warnings == [
        "1 logement(s) sur 3 dans des communes hors du territoire (fichier « rpls.csv », "
        "première : 75056) ; les calculs ne retiennent que les communes de communes.csv."
    ]


@pytest.fixture(scope="module")
def petite_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("croisement")
    generate(folder, np.random.default_rng(5), size_profile("petite"), 2025)
    (folder / "calibration.md").unlink()
    return folder


def test_the_generated_territory_passes_every_cross_check(
    petite_folder: Path, tmp_path: Path
) -> None:
    plan = plan_import({}, petite_folder, None)
    result = import_files(tmp_path / "base.duckdb", 2025, plan)
    assert result.warnings == ()


def test_a_refused_cross_check_leaves_the_base_unchanged(
    petite_folder: Path, tmp_path: Path
) -> None:
    base = tmp_path / "base.duckdb"
    import_files(base, 2025, plan_import({}, petite_folder, None))
    before = hashlib.sha256(base.read_bytes()).hexdigest()
    folder = tmp_path / "doublon"
    shutil.copytree(petite_folder, folder)
    occupation = folder / "occupation.csv"
    lines = occupation.read_text(encoding="utf-8").splitlines(keepends=True)
    # The second household moves into the first household's dwelling (column IDENT_INT).
    header = lines[0].rstrip("\r\n").split(";")
    index = header.index("IDENT_INT")
    first, second = lines[1].split(";"), lines[2].split(";")
    second[index] = first[index]
    lines[2] = ";".join(second)
    occupation.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match="Logement occupé par deux ménages"):
        import_files(base, 2025, plan_import({}, folder, None))
    assert hashlib.sha256(base.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "Fichier vide"),
        ("numero;date\n1;2\n".encode("utf-16"), "Encodage non pris en charge (UTF-16)"),
        (b"96001;Mirebourg;999960001\n", "Fichier non reconnu d'après son en-tête alors qu'il"),
    ],
)
def test_a_damaged_file_of_a_folder_is_refused_not_ignored(
    petite_folder: Path, tmp_path: Path, content: bytes, problem: str
) -> None:
    """Ignoring it would keep the base's old data for that table without a word."""
    folder = tmp_path / "abime"
    shutil.copytree(petite_folder, folder)
    (folder / "communes.csv").write_bytes(content)
    with pytest.raises(InputError) as caught:
        plan_import({}, folder, None)
    assert caught.value.problem.startswith(problem)
    assert caught.value.where.file == "communes.csv"
