"""The checker of the written files (``secrecy_scan``) can fail: tables written by mixite's own
writers with a deliberate leak are caught, and the same tables protected pass."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mixite.reports.common import Sheet, write_csv_excel, write_xlsx
from secrecy_scan import WORKING_MARK, scan_secrecy

THRESHOLD = 11


def _kinds(root: Path, dwellings: bool = False) -> list[tuple[str, str, int, float]]:
    scan = scan_secrecy(root, THRESHOLD, dwellings=dwellings)
    return [(f.kind, f.column, f.row, f.value) for f in scan.findings]


def test_a_small_count_of_persons_is_found(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Commune": ["A", "B"], "Demandes en attente": [120, 7]})
    write_xlsx(tmp_path / "t.xlsx", [Sheet("Demande", frame, "Demande")])
    assert _kinds(tmp_path) == [("publiée", "Demandes en attente", 2, 7.0)]


def test_a_masked_cell_given_back_by_the_total_is_found(tmp_path: Path) -> None:
    # 40 + 35 + masked = 82 (« Ensemble »): the masked cell is 82 − 75 = 7
    frame = pd.DataFrame(
        {
            "Section": ["Premières demandes", "Mutations", "Autres", "Ensemble"],
            "Demandes cotées": [40, 35, None, 82],
        }
    )
    write_csv_excel(frame, tmp_path / "t.csv")
    assert _kinds(tmp_path) == [("recalculable", "Demandes cotées", 3, 7.0)]


def test_the_total_given_back_by_its_parts_is_found(tmp_path: Path) -> None:
    # An « Échelle » column: the EPCI row is the sum of the landlords' rows (30 + 12 = 42).
    frame = pd.DataFrame(
        {
            "Échelle": ["EPCI", "Bailleur", "Bailleur"],
            "Groupe": ["Territoire", "Office", "Société"],
            "Attributions hors QPV réalisées": [None, 30, 12],
        }
    )
    write_xlsx(tmp_path / "t.xlsx", [Sheet("Marges", frame, "Marges")])
    assert _kinds(tmp_path) == [("recalculable", "Attributions hors QPV réalisées", 1, 42.0)]


def test_two_masked_cells_beside_a_total_are_not_recoverable(tmp_path: Path) -> None:
    # Secondary suppression done: 12 and 7 both masked, only their sum (19) is known.
    frame = pd.DataFrame(
        {
            "Échelle": ["EPCI", "Bailleur", "Bailleur", "Bailleur"],
            "Groupe": ["Territoire", "Office", "Société", "SEM"],
            "Attributions hors QPV réalisées": [49, 30, None, None],
        }
    )
    write_xlsx(tmp_path / "t.xlsx", [Sheet("Marges", frame, "Marges")])
    assert _kinds(tmp_path) == []


def test_a_share_whose_complement_is_small_is_found(tmp_path: Path) -> None:
    # 97 % of 300 attributions: 291 to the public, 9 to the others
    frame = pd.DataFrame({"Partenaire": ["Office"], "Attributions": [300], "Réalisé": [0.97]})
    write_xlsx(tmp_path / "t.xlsx", [Sheet("Objectif", frame, "Objectif")])
    assert _kinds(tmp_path) == [("part", "Réalisé", 1, 9.0)]


def test_dwellings_are_published_unless_asked(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Commune": ["A", "B"], "Logements vacants": [46, 3]})
    write_xlsx(tmp_path / "t.xlsx", [Sheet("Vacance", frame, "Vacance")])
    assert _kinds(tmp_path) == []
    assert _kinds(tmp_path, dwellings=True) == [("publiée", "Logements vacants", 2, 3.0)]


def test_the_same_header_counts_dwellings_or_households_by_its_table(tmp_path: Path) -> None:
    # « Emménagements » beside the dwellings offered for rent: dwellings re-let (RPLS); alone in
    # a table of neighbourhoods: the households who moved in.
    vacancy = pd.DataFrame(
        {"Commune": ["A"], "Logements proposés à la location": [400], "Emménagements": [4]}
    )
    roles = pd.DataFrame({"Quartier": ["A"], "Ménages": [400], "Emménagements": [4]})
    write_xlsx(
        tmp_path / "t.xlsx",
        [Sheet("Vacance", vacancy, "Vacance"), Sheet("Rôles", roles, "Rôles")],
    )
    scan = scan_secrecy(tmp_path, THRESHOLD)
    assert [(f.where, f.column) for f in scan.findings] == [("t.xlsx [Rôles]", "Emménagements")]


def test_a_new_count_of_persons_must_be_classified(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Commune": ["A"], "Ménages relogés hors site": [25]})
    write_csv_excel(frame, tmp_path / "t.csv")
    assert _kinds(tmp_path)[0][:2] == ("non classée", "Ménages relogés hors site")


def test_a_working_document_is_left_out_by_its_mark(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Objectif": ["Hors site"], "Ménages": [3]})
    notice = WORKING_MARK.capitalize() + " : document des partenaires."
    write_xlsx(tmp_path / "t.xlsx", [Sheet("Objectifs", frame, "Objectifs")], "Plan", notice=notice)
    scan = scan_secrecy(tmp_path, THRESHOLD)
    assert scan.findings == [] and scan.tables == []
    assert scan.excluded == [("t.xlsx", "document de travail (mention « non diffusable »)")]
    # without the mark, the same workbook is checked
    write_xlsx(tmp_path / "t.xlsx", [Sheet("Objectifs", frame, "Objectifs")], "Plan")
    assert _kinds(tmp_path) == [("publiée", "Ménages", 1, 3.0)]


def test_a_geopackage_layer_is_read(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    layer = gpd.GeoDataFrame(
        {"Commune": ["A", "B"], "Attributions hors QPV": [40, 2]},
        geometry=[Point(650000, 6860000), Point(651000, 6861000)],
        crs="EPSG:2154",
    )
    layer.to_file(tmp_path / "t.gpkg", layer="communes", driver="GPKG")
    scan = scan_secrecy(tmp_path, THRESHOLD)
    assert [(f.where, f.kind, f.value) for f in scan.findings] == [
        ("t.gpkg [communes]", "publiée", 2.0)
    ]


def _national_rows(
    numerators: list[float | None], denominators: list[float | None]
) -> pd.DataFrame:
    """Rows of the national long format (``vocabulary.NATIONAL_COLUMNS``) of one EPCI's
    priority objective: the EPCI, two reservataires and a landlord's non-reserved dwellings."""
    return pd.DataFrame(
        {
            "epci": "200000172",
            "task": "quotas",
            "scenario": None,
            "level": ["epci", "reservataire", "reservataire", "bailleur_non_reserve"],
            "group": ["200000172", "etat_prioritaire", "commune:74024", "999801721"],
            "indicator": "prioritaires",
            "denominator": denominators,
            "numerator": numerators,
            "share": [
                None if n is None or d is None else n / d
                for n, d in zip(numerators, denominators, strict=True)
            ],
        }
    )


def test_the_national_parquet_files_are_read(tmp_path: Path) -> None:
    # The national long format: 4 priority attributions of the 30 of a reservataire (primary),
    # and the EPCI's table: 9 attributions outside QPV (primary) with 3 of them to Q1 (a share
    # whose numerator is 3).
    _national_rows([12.0, 4.0, 5.0, 3.0], [60.0, 30.0, 20.0, 10.0]).to_parquet(
        tmp_path / "national.parquet"
    )
    pd.DataFrame(
        {
            "epci": ["200000172"],
            "q1_hors_qpv_attributions": [9.0],
            "q1_hors_qpv_share": [3 / 9],
        }
    ).to_parquet(tmp_path / "epci.parquet")
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "autre.parquet")
    scan = scan_secrecy(tmp_path, THRESHOLD)
    found = sorted((f.where, f.kind, f.column, f.row, f.value) for f in scan.findings)
    # Each small numerator is found as published and as implied by its share (4 / 30…).
    objectives = "national.parquet [objectifs]"
    assert found == [
        ("epci.parquet", "part", "q1_hors_qpv : part", 1, 3.0),
        ("epci.parquet", "publiée", "q1_hors_qpv : attributions concernées", 1, 9.0),
        (objectives, "part", "Part réalisée", 2, 4.0),
        (objectives, "part", "Part réalisée", 3, 5.0),
        (objectives, "part", "Part réalisée", 4, 3.0),
        (objectives, "publiée", "Attributions au public cible", 2, 4.0),
        (objectives, "publiée", "Attributions au public cible", 3, 5.0),
        (objectives, "publiée", "Attributions au public cible", 4, 3.0),
        (objectives, "publiée", "Attributions concernées", 4, 10.0),
    ]
    # A Parquet file of another format is not read, and says so.
    assert ("autre.parquet", "non lu (Parquet d'un format inconnu du contrôle)") in scan.excluded


def test_the_non_reserved_dwellings_add_up_with_the_reservataires(tmp_path: Path) -> None:
    # The reservataires (30, 15) and the landlords' non-reserved dwellings (15) list the 60
    # priority attributions of the EPCI together: one masked cell among them comes back
    # (60 − 30 − 15 = 15).
    _national_rows([None] * 4, [60.0, 30.0, None, 15.0]).to_parquet(tmp_path / "national.parquet")
    assert _kinds(tmp_path) == [("recalculable", "Attributions concernées", 3, 15.0)]
    # The EPCI and the non-reserved dwellings masked: nothing comes back (the reservataires
    # alone are not a partition of the EPCI: they once gave it back as 30 + 15 = 45).
    _national_rows([None] * 4, [None, 30.0, 15.0, None]).to_parquet(tmp_path / "national.parquet")
    assert _kinds(tmp_path) == []
