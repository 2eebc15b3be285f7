"""Readers return canonical frames (schema dtypes, values) from every accepted variant."""

from __future__ import annotations

import csv
import io
import json
import sys
import types
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixite.dtypes import pandas_dtype
from mixite.errors import InputError
from mixite.io import (
    RPLS_2025_COLUMNS,
    detect_kind,
    load_mapping,
    read_folder,
    read_qpv,
    read_rpls,
    read_table,
    read_territory,
)
from mixite.schema import TABLES


def _shared_data() -> Path:
    """``shared/data`` beside the repository (as CI lays it), else ``/work/shared/data``."""
    beside = Path(__file__).resolve().parents[3] / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


SHARED = _shared_data()
RPLS_HEADER_FILE = SHARED / "rpls" / "rpls_2025_header_only.csv"
VAL_DOISE = SHARED / "reel" / "val_doise" / "rpls_points.geojson"
QPV_OCCITANIE = SHARED / "reel" / "qpv2015_occitanie" / "qp.geojson"

#: Financing family of the Val-d'Oise building file (ts = very social, s = social,
#: i = intermediate, a = other) → an RPLS FINAN_CODE of that family (docs/donnees-officielles.md §1.4 (Codes de financement)).
FIN_CODE = {"ts": "10", "s": "13", "i": "14", "a": "49"}
FIN_FAMILY = {"ts": "plai", "s": "plus", "i": "pls", "a": "autre"}
TYPE_LABEL = {
    "collectif": "Collectif",
    "individuel": "Individuel",
    "logement étudiant": "Logement étudiant",
}


def assert_canonical(frame: pd.DataFrame, table_name: str) -> None:
    """The shared contract: columns in schema order, canonical dtypes."""
    table = TABLES[table_name]
    assert list(frame.columns) == table.names
    for col in table.columns:
        series = frame[col.name]
        assert str(series.dtype) == pandas_dtype(col), col.name
        if col.dtype == "str":
            assert all(v is None or isinstance(v, str) for v in series), col.name
        elif col.dtype == "list":
            assert all(isinstance(v, list) for v in series), col.name


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]], **kw: str) -> Path:
    sep = kw.get("sep", ";")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=kw.get("eol", "\r\n"))
    writer.writerow(header)
    writer.writerows([[r.get(h, "") for h in header] for r in rows])
    data = buffer.getvalue().encode(kw.get("encoding", "utf-8"))
    path.write_bytes((b"\xef\xbb\xbf" if kw.get("bom") else b"") + data)
    return path


def real_header() -> list[str]:
    return RPLS_HEADER_FILE.read_bytes().decode("utf-8").strip().split(";")


# ---------------------------------------------------------------------------------------------
# RPLS
# ---------------------------------------------------------------------------------------------


def test_real_2025_header_is_the_documented_one() -> None:
    assert real_header() == list(RPLS_2025_COLUMNS)
    assert len(RPLS_2025_COLUMNS) == 73


def test_real_header_and_real_val_doise_communes(tmp_path: Path) -> None:
    """A file with the exact 2025 header and the real Val-d'Oise stock of four communes (one row
    per dwelling, from the building file of the DDT 95): counts by commune, financing family and
    construction type must equal the counts of the source file."""
    features = json.loads(VAL_DOISE.read_text(encoding="utf-8"))["features"]
    chosen = {"95002", "95008", "95014", "95019"}
    rows: list[dict[str, str]] = []
    expected_family: Counter[str] = Counter()
    expected_commune: Counter[str] = Counter()
    expected_type: Counter[str] = Counter()
    addresses = set()
    for feature in features:
        p = feature["properties"]
        if p["c"] not in chosen:
            continue
        for fin, count in p.get("fin", {}).items():
            for _ in range(count):
                rows.append(
                    {
                        "DEP_CODE": "95",
                        "DEPCOM": p["c"],
                        "LIBCOM": p["cn"],
                        "NOMVOIE": p["a"],
                        "TYPECONST_LIBELLE": TYPE_LABEL[p["t"]],
                        "NBPIECE": "3",
                        "SURFHAB": "62,4",
                        "CONSTRUCT": str(p["ymin"]),
                        "FINAN_CODE": FIN_CODE[fin],
                        "CONV": "1",
                        "NEWLOGT_CODE": "2",
                        "EPSG": "2154",
                    }
                )
                expected_family[FIN_FAMILY[fin]] += 1
                expected_commune[p["c"]] += 1
                expected_type[p["t"].replace("logement étudiant", "etudiant")] += 1
                addresses.add((p["c"], p["a"].upper()))
    assert len(rows) == 674  # 10 + 31 + 163 + 470 financed dwellings in the source
    path = write_rows(tmp_path / "rpls.csv", real_header(), rows)
    frame = read_rpls(path)
    assert_canonical(frame, "dwellings")
    assert len(frame) == len(rows)
    assert Counter(frame["finan_family"]) == expected_family
    assert Counter(frame["commune"]) == expected_commune
    assert Counter(frame["construction_type"]) == expected_type
    assert (frame["depcom"] == frame["commune"]).all()
    assert frame["dwelling_id"].is_unique
    # One residence per (commune, address) of the source file.
    assert frame["residence_id"].nunique() == len(addresses)
    assert frame["rent"].isna().all() and frame["landlord_id"].isna().all()


BASE = {
    "DEPCOM": "95127",
    "NUMVOIE": "3",
    "TYPVOIE": "RUE",
    "NOMVOIE": "DES CHARMILLES",
    "TYPECONST_LIBELLE": "Collectif",
    "NBPIECE": "3",
    "SURFHAB": "65,5",
    "CONSTRUCT": "1975",
    "LOCAT": "1976",
    "FINAN_CODE": "52",
    "CONV": "1",
    "NEWLOGT_CODE": "1",
    "DPEENERGIE": "d",
    "X": "631200,5",
    "Y": "6883900",
    "PLG_QP24": "QN09501M",
    "PLG_IRIS2024_CODE": "951270101",
    "EPCI_CODE": "200035947",
}


def test_rpls_values_are_converted(tmp_path: Path) -> None:
    frame = read_rpls(write_rows(tmp_path / "r.csv", real_header(), [BASE]))
    row = frame.iloc[0]
    assert row["address"] == "3 RUE DES CHARMILLES"
    assert row["surface"] == 65.5 and row["x"] == 631200.5 and row["rooms"] == 3
    assert row["qpv_code"] == "QN09501M" and bool(row["in_qpv"])
    assert row["iris"] == "951270101" and row["epci"] == "200035947"
    assert row["finan_family"] == "pre1977" and row["construction_type"] == "collectif"
    assert bool(row["conventionne"]) and bool(row["new_dwelling"])
    assert row["dpe_energy"] == "D" and row["first_letting_year"] == 1976


@pytest.mark.parametrize(
    ("options", "surface"),
    [
        ({}, "65,5"),
        ({"bom": "1"}, "65,5"),
        ({"encoding": "latin-1"}, "65,5"),
        ({"sep": ",", "eol": "\n"}, "65.5"),
        ({"sep": ",", "encoding": "latin-1", "bom": ""}, "65,5"),  # quoted by the csv writer
    ],
)
def test_rpls_encodings_and_separators_give_the_same_frame(
    tmp_path: Path, options: dict[str, str], surface: str
) -> None:
    header = [*real_header(), "IDENT_INT", "RAISON_SOCIALE"]
    row = dict(BASE, SURFHAB=surface, IDENT_INT="D1", RAISON_SOCIALE="Société d'HLM Émeraude")
    reference = read_rpls(write_rows(tmp_path / "ref.csv", header, [row]))
    frame = read_rpls(write_rows(tmp_path / "variant.csv", header, [row], **options))
    pd.testing.assert_frame_equal(frame, reference)
    assert frame.loc[0, "landlord_name"] == "Société d'HLM Émeraude"
    assert frame.loc[0, "surface"] == 65.5


def test_trailing_separator_of_an_export_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bailleurs.csv"
    path.write_text(
        "IDENT_REP;RAISON_SOCIALE;categorie;\n272000025;OPH du Val-d'Oise;OPH;\n", encoding="utf-8"
    )
    frame = read_table(path, "bailleurs")
    assert frame.loc[0, "landlord_kind"] == "OPH"


def test_the_earliest_bad_line_is_reported_then_column_order(tmp_path: Path) -> None:
    rows = [
        dict(BASE, DPEENERGIE="H", NBPIECE="0"),  # line 2: two defects, rooms come first
        dict(BASE, SURFHAB="0"),  # line 3
    ]
    with pytest.raises(InputError) as caught:
        read_rpls(write_rows(tmp_path / "r.csv", real_header(), rows[::-1]))
    assert (caught.value.where.line, caught.value.where.column) == (2, "SURFHAB")
    with pytest.raises(InputError) as caught:
        read_rpls(write_rows(tmp_path / "r.csv", real_header(), rows))
    assert (caught.value.where.line, caught.value.where.column) == (2, "NBPIECE")


def test_line_numbers_count_blank_lines_and_multiline_values(tmp_path: Path) -> None:
    path = tmp_path / "bailleurs.csv"
    path.write_text(
        "IDENT_REP;RAISON_SOCIALE;categorie\n"  # line 1
        '272000025;"Habitat\nsur deux lignes";OPH\n'  # lines 2-3
        "\n"  # line 4, blank
        "27200002;Autre;OPH\n",  # line 5: 8-digit SIREN
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_table(path, "bailleurs")
    assert (caught.value.where.line, caught.value.where.value) == (5, "27200002")


def test_rpls_2023_variant_uses_its_qpv_and_iris_columns(tmp_path: Path) -> None:
    header = [
        "PLG_QP" if h == "PLG_QP24" else "PLG_IRIS2022_CODE" if h == "PLG_IRIS2024_CODE" else h
        for h in real_header()
        if h != "PLG_QP15"
    ]
    row = dict(BASE, PLG_QP="QP095019", PLG_IRIS2022_CODE="951270102")
    frame = read_rpls(write_rows(tmp_path / "rpls2023.csv", header, [row]))
    assert frame.loc[0, "qpv_code"] == "QP095019"
    assert frame.loc[0, "iris"] == "951270102"


def test_rpls_qpv_fallback_to_declared_code_of_same_generation(tmp_path: Path) -> None:
    rows = [
        dict(BASE, PLG_QP24="", QPV_CODE="QN09502N"),  # geocoding empty: declared 2024 code
        dict(BASE, PLG_QP24="", QPV_CODE="QP095019"),  # 2015 code under 2024 geography: ignored
        dict(BASE, PLG_QP24="", QPV_CODE="1"),  # not a code: ignored
    ]
    frame = read_rpls(write_rows(tmp_path / "r.csv", real_header(), rows))
    assert list(frame["qpv_code"]) == ["QN09502N", None, None]
    assert list(frame["in_qpv"]) == [True, False, False]


def test_plm_arrondissements_map_to_their_commune(tmp_path: Path) -> None:
    rows = [dict(BASE, DEPCOM=c) for c in ("75112", "69383", "13205", "95127")]
    frame = read_rpls(write_rows(tmp_path / "r.csv", real_header(), rows))
    assert list(frame["depcom"]) == ["75112", "69383", "13205", "95127"]
    assert list(frame["commune"]) == ["75056", "69123", "13055", "95127"]


def test_restricted_columns(tmp_path: Path) -> None:
    header = [*real_header(), "IDENT_INT", "PROGRAMME", "IDENT_REP", "LOYERPRINC", "MODE", "BAIL"]
    rows = [
        dict(BASE, IDENT_INT="A", PROGRAMME="P1", IDENT_REP="272000025", LOYERPRINC="412,30",
             MODE="1", BAIL="15/03/2019"),
        dict(BASE, IDENT_INT="B", PROGRAMME="P1", IDENT_REP="272000025", LOYERPRINC="9999",
             MODE="2", BAIL=""),
    ]  # fmt: skip
    frame = read_rpls(write_rows(tmp_path / "r.csv", header, rows))
    assert list(frame["dwelling_id"]) == ["A", "B"]
    assert frame.loc[0, "rent"] == pytest.approx(412.30)
    assert np.isnan(frame.loc[1, "rent"])  # 9999 = not applicable
    assert frame.loc[0, "lease_start"] == pd.Timestamp("2019-03-15")
    assert pd.isna(frame.loc[1, "lease_start"])
    assert list(frame["occupancy_mode"]) == ["1", "2"]


def test_open_file_identifiers_are_stable_and_unique(tmp_path: Path) -> None:
    rows = [BASE, BASE, dict(BASE, NUMVOIE="5")]
    path = write_rows(tmp_path / "r.csv", real_header(), rows)
    first, second = read_rpls(path), read_rpls(path)
    assert list(first["dwelling_id"]) == list(second["dwelling_id"])
    assert first["dwelling_id"].is_unique  # identical rows differ by their row number
    residences = list(first["residence_id"])
    assert residences[0] == residences[1] != residences[2]  # same address, same residence


def test_rpls_mapping_renames_local_headers(tmp_path: Path) -> None:
    header = ["Commune", "Pièces", "Surface", "Année", "Financement", "Conventionné", "Type"]
    row = {"Commune": "95127", "Pièces": "2", "Surface": "48", "Année": "1990",
           "Financement": "PLUS", "Conventionné": "oui", "Type": "Collectif"}  # fmt: skip
    mapping = {
        "colonnes": {"Commune": "DEPCOM", "Pièces": "NBPIECE", "Surface": "SURFHAB",
                     "Année": "CONSTRUCT", "Financement": "FINAN_CODE", "Conventionné": "CONV",
                     "Type": "TYPECONST_LIBELLE"},
        "valeurs": {"FINAN_CODE": {"PLUS": "13"}},
    }  # fmt: skip
    frame = read_rpls(write_rows(tmp_path / "local.csv", header, [row]), mapping=mapping)
    assert frame.loc[0, "finan_code"] == "13" and frame.loc[0, "finan_family"] == "plus"
    assert frame.loc[0, "rooms"] == 2 and bool(frame.loc[0, "conventionne"])


# ---------------------------------------------------------------------------------------------
# mixite CSV tables
# ---------------------------------------------------------------------------------------------

DEMANDE = {
    "numero_unique": "095122300001",
    "date_depot": "12/04/2023",
    "date_renouvellement": "2024-04-10",
    "commune_residence": "95127",
    "logement_actuel": "heberge_famille",
    "mutation": "0",
    "motif_principal": "heberge",
    "age_demandeur": "31",
    "situation_pro": "cdd_interim",
    "nb_personnes": "3",
    "nb_adultes": "1",
    "nb_14_ans_et_plus": "1",
    "nb_personnes_a_charge": "2",
    "famille_monoparentale": "1",
    "handicap": "0",
    "ressources_mensuelles": "1 450,50",
    "communes_souhaitees": "95127 | 95500",
    "typologie_min": "2",
    "typologie_max": "3",
    "priorites": "",
    "priorite_justifiee": "1",
    "dalo": "0",
    "relogement_npnru": "0",
    "nb_refus": "0",
}


def test_applications_are_read_with_lists_dates_booleans(tmp_path: Path) -> None:
    header = [c.header for c in TABLES["applications"].columns if c.name != "current_rent"]
    frame = read_table(write_rows(tmp_path / "demandes.csv", header, [DEMANDE]), "demandes")
    assert_canonical(frame, "applications")
    row = frame.iloc[0]
    assert row["filing_date"] == pd.Timestamp("2023-04-12")
    assert row["wished_communes"] == ["95127", "95500"]
    assert row["priority_codes"] == []
    assert row["monthly_resources"] == 1450.5
    assert bool(row["single_parent"]) and not bool(row["dalo"])
    assert pd.isna(row["current_rent"])  # absent nullable column → empty
    assert pd.isna(row["current_rooms"])


def test_mapping_file_with_value_codes(tmp_path: Path) -> None:
    header = ["N° demande" if h == "numero_unique" else h for h in DEMANDE]
    row = dict(DEMANDE, logement_actuel="Hébergé famille")
    row["N° demande"] = row.pop("numero_unique")
    mapping = tmp_path / "correspondance.yaml"
    mapping.write_text(
        'table: demandes\ncolonnes:\n  "N° demande": numero_unique\n'
        'valeurs:\n  logement_actuel:\n    "Hébergé famille": heberge_famille\n',
        encoding="utf-8",
    )
    assert load_mapping(mapping).values == {
        "logement_actuel": {"Hébergé famille": "heberge_famille"}
    }
    frame = read_table(write_rows(tmp_path / "extrait.csv", header, [row]), "demandes", mapping)
    assert frame.loc[0, "application_id"] == "095122300001"
    assert frame.loc[0, "housing_situation"] == "heberge_famille"


def test_empty_table_allowed_on_request(tmp_path: Path) -> None:
    header = ["IDENT_REP", "reservataire", "id_reservataire", "part_flux"]
    path = write_rows(tmp_path / "reservations.csv", header, [])
    with pytest.raises(InputError):
        read_table(path, "reservations")
    frame = read_table(path, "reservations", allow_empty=True)
    assert len(frame) == 0
    assert_canonical(frame, "reservations")


# ---------------------------------------------------------------------------------------------
# Commune codes against the COG
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def fake_cog(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in ``mixite.geo`` knowing only two real Val-d'Oise communes."""
    module = types.ModuleType("mixite.geo")
    module.is_known_commune = lambda code: code in {"95127", "95500"}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mixite.geo", module)


def test_unknown_commune_is_rejected_when_the_cog_is_available(
    tmp_path: Path, fake_cog: None
) -> None:
    rows = [BASE, dict(BASE, DEPCOM="96008")]
    path = write_rows(tmp_path / "rpls.csv", real_header(), rows)
    with pytest.raises(InputError) as caught:
        read_rpls(path)
    assert caught.value.problem == "Commune inconnue du Code officiel géographique"
    assert (caught.value.where.line, caught.value.where.value) == (3, "96008")
    # The territory declares it (fictitious commune): accepted, format checked only.
    assert len(read_rpls(path, known_communes=["96008"])) == 2
    # Same with a communes.csv beside the file.
    write_rows(
        tmp_path / "communes.csv",
        ["code_commune", "nom_commune", "siren_epci", "nom_epci", "zone_apl", "zone_plafonds"],
        [{"code_commune": "96008", "nom_commune": "Mirebourg", "siren_epci": "999960001",
          "nom_epci": "CA fictive", "zone_apl": "2", "zone_plafonds": "A"}],
    )  # fmt: skip
    assert len(read_rpls(path)) == 2


def test_unknown_commune_in_a_list(tmp_path: Path, fake_cog: None) -> None:
    header = [c.header for c in TABLES["applications"].columns]
    path = write_rows(
        tmp_path / "demandes.csv", header, [dict(DEMANDE, communes_souhaitees="95127|95999")]
    )
    with pytest.raises(InputError) as caught:
        read_table(path, "demandes")
    assert caught.value.where.value == "95999"
    assert caught.value.where.column == "communes_souhaitees"


# ---------------------------------------------------------------------------------------------
# QPV, territory, detection, folders
# ---------------------------------------------------------------------------------------------


def test_real_qpv_2015_perimeters_of_occitanie() -> None:
    frame = read_qpv(QPV_OCCITANIE)
    assert_canonical(frame, "qpv")
    source = json.loads(QPV_OCCITANIE.read_text(encoding="utf-8"))["features"]
    assert len(frame) == len(source) == 105
    assert (frame["generation"] == 2015).all()
    row = frame.set_index("qpv_code").loc["QP066007"]
    assert row["qpv_name"] == "Bas-Vernet Nouveau QPV"
    assert row["commune"] == "66136"
    assert str(row["geometry_wkt"]).startswith(("POLYGON", "MULTIPOLYGON"))
    # Coordinates stay in WGS84 longitude/latitude (Perpignan ≈ 2.9 E, 42.7 N).
    assert "2.9005 42.7081" in str(row["geometry_wkt"])


def test_qpv_2024_codes_and_csv_list(tmp_path: Path) -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[2.0, 49.0], [2.01, 49.0], [2.01, 49.01], [2.0, 49.0]]],
    }
    features = [
        {"type": "Feature", "geometry": square,
         "properties": {"CODE_QP": "QN09501M", "LIB_QP": "Axe Majeur", "INSEE_COM": "95127"}},
    ]  # fmt: skip
    path = tmp_path / "qpv.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    frame = read_qpv(path)
    assert list(frame["generation"]) == [2024] and list(frame["commune"]) == ["95127"]
    listing = write_rows(
        tmp_path / "qpv.csv",
        ["code_qp", "lib_qp", "insee_com", "generation"],
        [{"code_qp": "QN09501M", "lib_qp": "Axe Majeur", "insee_com": "95127",
          "generation": "2024"}],
    )  # fmt: skip
    assert read_qpv(listing).loc[0, "qpv_name"] == "Axe Majeur"
    short = write_rows(
        tmp_path / "liste.csv",
        ["code_qp", "lib_qp"],
        [{"code_qp": "QP095019", "lib_qp": "Les Louvrais"},
         {"code_qp": "QN09501M", "lib_qp": "Axe Majeur"}],
    )  # fmt: skip
    assert list(read_qpv(short)["generation"]) == [2015, 2024]  # from the code prefix


def test_territory_defaults_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "territoire.yaml"
    path.write_text(
        'nom: CA de Cergy-Pontoise\nsiren_epci: "200035947"\nseuil_q1:\n  2025: 13000,5\n',
        encoding="utf-8",
    )
    frame = read_territory(path)
    row = frame.iloc[0]
    assert row["q1_reference_epci"] == "200035947"  # defaults to siren_epci
    assert json.loads(row["q1_overrides"]) == {"2025": 13000.5}
    # The CAL-charter values are left empty: the parameters solvabilite.* apply at each date.
    assert np.isnan(row["max_effort_rate"]) and np.isnan(row["min_reste_a_vivre"])
    assert list(frame.columns) == [
        "name", "epci", "q1_reference_epci", "q1_overrides", "max_effort_rate",
        "min_reste_a_vivre",
    ]  # fmt: skip


def test_detect_kind_by_header(tmp_path: Path) -> None:
    for table in ("applications", "attributions", "households", "reservations", "communes",
                  "landlords"):  # fmt: skip
        header = [c.header for c in TABLES[table].columns]
        path = write_rows(tmp_path / f"{table}.csv", header, [])
        assert detect_kind(path) == table
    assert detect_kind(write_rows(tmp_path / "x.csv", real_header(), [])) == "dwellings"
    assert detect_kind(tmp_path / "territoire.yaml") == "territory"
    assert detect_kind(QPV_OCCITANIE) == "qpv"


def test_generated_territory_folder_reads_through_every_reader(tmp_path: Path) -> None:
    """The synthetic generator's files are read with no option, into canonical frames."""
    from mixite.synth.generateur import generate
    from mixite.synth.modele import size_profile

    generate(tmp_path, np.random.default_rng(7), size_profile(dwellings=800), 2025)
    frames = read_folder(tmp_path)
    # The SRU inventory is a real file the generator does not fake (docs/formats.md §10).
    assert set(frames) == {*TABLES, "territory", "commitments"} - {"sru"}
    for name, frame in frames.items():
        if name not in ("territory", "commitments"):
            assert_canonical(frame, name)
        assert len(frame) > 0, name
    assert len(frames["dwellings"]) == 800
    assert set(frames["dwellings"]["commune"]) <= set(frames["communes"]["commune"])


def test_shapefile_in_lambert93_is_reprojected_to_wgs84(tmp_path: Path) -> None:
    import geopandas as gpd

    source = gpd.read_file(QPV_OCCITANIE).head(3).to_crs(2154)
    source = source.rename(columns={"code_commune": "insee_com"})
    source = source[["code_qp", "nom_qp", "insee_com", "geometry"]]  # shapefile: ≤ 10 chars
    source.to_file(tmp_path / "qp.shp")
    frame = read_qpv(tmp_path / "qp.shp")
    assert list(frame["qpv_code"]) == list(source["code_qp"])
    assert list(frame["commune"]) == list(source["insee_com"])
    first = gpd.GeoSeries.from_wkt(frame["geometry_wkt"], crs=4326).iloc[0]
    # Back in longitude/latitude: the first QPV (Perpignan) lies near 2.9 E, 42.7 N.
    assert 2.8 < first.centroid.x < 3.0 and 42.6 < first.centroid.y < 42.8


def test_a_mapping_with_a_null_key_is_refused_in_french(tmp_path: Path) -> None:
    """Found by the reader fuzzing: a line « ? » alone is a YAML key that is null, which the
    check of unknown keys could not sort beside the text keys (TypeError); the strict loader
    now refuses it with its line."""
    mapping = tmp_path / "correspondance.yaml"
    mapping.write_text('table: demandes\ncolonnes:\n  "N° demande": numero_unique\n?\n')
    with pytest.raises(InputError, match="clé vide") as err:
        load_mapping(mapping)
    assert err.value.where.line == 4
