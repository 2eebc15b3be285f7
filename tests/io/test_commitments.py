"""``engagements.yaml``: the territory's adapted rates and each partner's commitments, read
strictly, with a French error naming the file, the line, the key and the value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mixite.errors import InputError
from mixite.io import detect_kind, read_commitments

GOOD = """\
engagements:
  - echelle: epci
    objectif: q1_hors_qpv
    taux: 0.28
    du: 2024-01-01
    au: 2026-12-31
    acte: Document-cadre approuvé par délibération n° 2023-12 et par le préfet
  - echelle: bailleur
    partenaire: "999961003"
    objectif: q1_hors_qpv
    taux: 0.30
    du: 2025-01-01
    acte: CIA signée le 3 mars 2025, article 4
  - echelle: bailleur
    partenaire: "999961003"
    objectif: prioritaires
    taux: 0.3
    du: 2025-01-01
    acte: CIA signée le 3 mars 2025, article 6
  - echelle: reservataire
    partenaire: "commune:96001"
    objectif: prioritaires
    taux: 0.35
    du: 2025-01-01
    acte: CIA signée le 3 mars 2025, article 6
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "engagements.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_commitments_are_read_into_the_store_table(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    assert detect_kind(path) == "commitments"
    frame = read_commitments(path)
    assert frame["level"].tolist() == ["epci", "bailleur", "bailleur_non_reserve", "reservataire"]
    assert frame["group"].tolist() == ["epci", "999961003", "999961003", "commune:96001"]
    assert frame["rate"].tolist() == [0.28, 0.30, 0.3, 0.35]
    assert frame["valid_from"].iloc[0].date() == dt.date(2024, 1, 1)
    assert frame["valid_to"].isna().tolist() == [False, True, True, True]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("    taux: 0.30\n", "    taux: 30\n"),
            "Taux impossible (fichier « engagements.yaml », ligne 11, colonne « taux », "
            "valeur « 30 »). Écrivez le taux comme une part entre 0 et 1 (0.30 pour 30 %).",
        ),
        (
            (
                '    partenaire: "999961003"\n    objectif: q1',
                '    partenaire: "99996100"\n    objectif: q1',
            ),
            "SIREN du bailleur mal formé (fichier « engagements.yaml », ligne 9, colonne "
            "« partenaire », valeur « 99996100 »)",
        ),
        (
            ("  - echelle: epci\n", "  - echelle: region\n"),
            "Échelle inconnue (fichier « engagements.yaml », ligne 2, colonne « echelle », "
            "valeur « region »)",
        ),
        (
            ("    acte: CIA signée le 3 mars 2025, article 4\n", ""),
            "Clé obligatoire absente (fichier « engagements.yaml », ligne 8, colonne « acte »)",
        ),
        (
            ('"commune:96001"', '"mairie:96001"'),
            "Type de réservataire inconnu (fichier « engagements.yaml », ligne 21, colonne "
            "« partenaire », valeur « mairie:96001 »)",
        ),
        (
            ("    au: 2026-12-31\n", "    au: 2023-12-31\n"),
            "La fin de validité précède le début (fichier « engagements.yaml », ligne 6",
        ),
        (
            ("    taux: 0.28\n", "    taux: 0.28\n    tau: 0.3\n"),
            "Clé inconnue (fichier « engagements.yaml », ligne 5, colonne « tau »). Vouliez-vous "
            "dire « taux » ?",
        ),
        (
            (
                "    du: 2025-01-01\n    acte: CIA signée le 3 mars 2025, article 6\n  - echelle: res",
                "    du: 2025-06-01\n    acte: CIA signée le 3 mars 2025, article 6\n  - echelle: res",
            ),
            "Deux engagements du même partenaire sur le même objectif se chevauchent",
        ),
    ],
)
def test_bad_commitments_give_a_french_error(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    old, new = edit
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    if expected.startswith("Deux engagements"):
        # A second commitment of landlord 999961003 on the priority objective, overlapping.
        text = GOOD + (
            '  - echelle: bailleur\n    partenaire: "999961003"\n    objectif: prioritaires\n'
            "    taux: 0.4\n    du: 2026-01-01\n    acte: avenant\n"
        )
    with pytest.raises(InputError) as info:
        read_commitments(_write(tmp_path, text))
    assert str(info.value).startswith(expected)


def test_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("    taux: 0.28\n", "    taux: 0.28\n    taux: 0.3\n", 1)
    with pytest.raises(InputError, match=r"Clé en double.*ligne 5, colonne « taux »"):
        read_commitments(_write(tmp_path, text))


def test_a_reservataire_commits_on_priority_households_only(tmp_path: Path) -> None:
    text = GOOD.replace(
        'partenaire: "commune:96001"\n    objectif: prioritaires',
        'partenaire: "commune:96001"\n    objectif: q1_hors_qpv',
    )
    with pytest.raises(InputError, match="Objectif impossible pour un réservataire"):
        read_commitments(_write(tmp_path, text))
