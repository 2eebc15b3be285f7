"""The generated files follow the official / mixite formats of the contracts."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from pyproj import Transformer
from shapely.geometry import shape

from mixite.schema import (
    APPLICATIONS,
    ATTRIBUTIONS,
    COMMUNE_CODE_PATTERN,
    COMMUNES,
    HOUSEHOLDS,
    LANDLORDS,
    QPV_CODE_PATTERN,
    RESERVATIONS,
    SIREN_PATTERN,
)
from mixite.synth import GenerationResult

DATA = Path(__file__).parent / "data"
RESTRICTED = [
    "IDENT_INT",
    "PROGRAMME",
    "IDENT_REP",
    "RAISON_SOCIALE",
    "LOYERPRINC",
    "MODE",
    "BAIL",
    "REMLOCDATE",
]


def _rpls(result: GenerationResult) -> pd.DataFrame:
    return pd.read_csv(result.paths["rpls"], sep=";", dtype=str, keep_default_na=False)


def test_rpls_header_is_the_real_2025_header_then_restricted_columns(
    petite: GenerationResult,
) -> None:
    # the real header line, copied unchanged from a saved RPLS 2025 file (see data/)
    real = (DATA / "rpls_2025_header_only.csv").read_bytes()
    assert real.endswith(b"\r\n")
    raw = petite.paths["rpls"].read_bytes()
    header = raw.split(b"\r\n", 1)[0]
    assert header == real[:-2] + b";" + ";".join(RESTRICTED).encode()
    # CRLF everywhere, no bare LF; UTF-8
    assert raw.count(b"\n") == raw.count(b"\r\n")
    raw.decode("utf-8")
    assert len(real[:-2].split(b";")) == 73


def test_rpls_values(petite: GenerationResult) -> None:
    d = _rpls(petite)
    assert len(d) == 5000
    assert d["IDENT_INT"].is_unique
    assert d["DEPCOM"].str.fullmatch(COMMUNE_CODE_PATTERN).all()
    assert d["DEPCOM"].str.startswith("96").all()
    assert d["EPCI_CODE"].str.fullmatch(SIREN_PATTERN).all()
    assert set(d["MODE"]) <= {"1", "2", "3", "4", "5"}
    assert set(d["CONV"]) <= {"1", "2"}
    # BAIL / REMLOCDATE in JJ/MM/AAAA; BAIL present exactly for occupied dwellings
    bail = d["BAIL"]
    assert bail[bail != ""].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    assert ((bail != "") == d["MODE"].isin(["1", "4", "5"])).all()
    assert ((d["REMLOCDATE"] != "") == (d["MODE"] == "2")).all()
    # LOYERPRINC: 9999 means not applicable (empty dwellings), otherwise a rent in euros
    rent = d["LOYERPRINC"]
    assert ((rent == "9999") == (d["MODE"] == "3")).all()
    assert rent[rent != "9999"].astype(float).between(50, 2500).all()
    # a lease cannot start before the first letting year
    leased = d[bail != ""]
    assert (leased["BAIL"].str[-4:].astype(int) >= leased["LOCAT"].astype(int)).all()
    qp = d["PLG_QP24"]
    assert qp[qp != ""].str.fullmatch(QPV_CODE_PATTERN).all()
    assert (d["QPV_CODE"] == qp).all()


def test_qpv_membership_is_point_in_polygon(petite: GenerationResult) -> None:
    """PLG_QP24 agrees with the GeoJSON perimeters (reprojected independently with pyproj)."""
    gj = json.loads(petite.paths["qpv"].read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection"
    d = _rpls(petite)
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    lon, lat = to_wgs.transform(d["X"].astype(float).to_numpy(), d["Y"].astype(float).to_numpy())
    found = np.full(len(d), "", dtype=object)
    for feat in gj["features"]:
        props = feat["properties"]
        assert set(props) == {"code_qp", "lib_qp", "insee_com", "generation"}
        assert props["generation"] == 2024
        assert re.fullmatch(r"QN096\d{2}[A-Z]", props["code_qp"])
        poly = shape(feat["geometry"])
        # WGS84 coordinates of metropolitan France
        minx, miny, maxx, maxy = poly.bounds
        assert -5.5 < minx < maxx < 10 and 41 < miny < maxy < 51.5
        found[shapely.contains_xy(poly, lon, lat)] = props["code_qp"]
    # coordinates rounded to 1e-6° may move a point by < 0.1 m: allow a handful at the border
    agree = (found == d["PLG_QP24"].to_numpy()).mean()
    assert agree > 0.999


def _mixite(path: Path, headers: list[str]) -> pd.DataFrame:
    raw = path.read_bytes()
    assert b"\r" not in raw
    text = raw.decode("utf-8")
    first = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert first == headers
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)


def test_mixite_csv_files(petite: GenerationResult) -> None:
    for key, table in (
        ("applications", APPLICATIONS),
        ("attributions", ATTRIBUTIONS),
        ("households", HOUSEHOLDS),
        ("reservations", RESERVATIONS),
        ("communes", COMMUNES),
        ("landlords", LANDLORDS),
    ):
        # the communes' contours are written to communes.geojson, not to communes.csv
        columns = [c for c in table.columns if c.name != "geometry_wkt"]
        frame = _mixite(petite.paths[key], [c.header for c in columns])
        for col in columns:
            values = frame[col.header]
            present = values[values != ""]
            if not col.nullable and col.dtype != "list":
                assert len(present) == len(values), (key, col.header)
            if col.dtype == "bool":
                assert set(present) <= {"0", "1"}, (key, col.header)
            elif col.dtype == "date":
                assert present.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (key, col.header)
            elif col.dtype == "list" and col.codes:
                items = {c for v in present for c in v.split("|")}
                assert items <= set(col.codes), (key, col.header)
            elif col.codes:
                assert set(present) <= set(col.codes), (key, col.header)
            if col.pattern and col.dtype == "str":
                assert present.str.fullmatch(col.pattern).all(), (key, col.header)


def test_reservation_shares_sum_to_one_per_landlord(petite: GenerationResult) -> None:
    # Conventions per reservataire as a legal person: the département's reservataires share the
    # landlord's whole flow, each commune the landlord's flow in that commune (CCH R441-5); in
    # any commune, the shares that apply there and the landlord's own add up to one.
    r = pd.read_csv(
        petite.paths["reservations"], sep=";", dtype={"IDENT_REP": str, "id_reservataire": str}
    )
    commune = r["reservataire"] == "commune"
    wide = r[~commune].groupby("IDENT_REP")["part_flux"].sum()
    for (lid, code), share in r[commune].groupby(["IDENT_REP", "id_reservataire"])["part_flux"]:
        assert share.sum() + wide[lid] == pytest.approx(1.0, abs=1e-3), (lid, code)
    assert len(wide) == 5
    # Every commune convention names its commune; the landlord's own row its SIREN.
    assert r.loc[commune, "id_reservataire"].notna().all()
    own = r[r["reservataire"] == "bailleur"]
    assert (own["id_reservataire"] == own["IDENT_REP"]).all()


def test_attributions_point_to_dwellings_let_in_the_year(petite: GenerationResult) -> None:
    d = _rpls(petite).set_index("IDENT_INT")
    a = pd.read_csv(petite.paths["attributions"], sep=";", dtype=str, keep_default_na=False)
    assert a["IDENT_INT"].is_unique and a["numero_unique"].is_unique
    rows = d.loc[a["IDENT_INT"]]
    assert (rows["MODE"].to_numpy() == "1").all()
    # lease date of the attribution = BAIL of the dwelling, in 2024 (millésime 2025)
    bail = pd.to_datetime(rows["BAIL"], format="%d/%m/%Y").dt.strftime("%Y-%m-%d").to_numpy()
    assert (bail == a["date_bail"].to_numpy()).all()
    assert a["date_bail"].str.startswith("2024-").all()
    assert ((rows["PLG_QP24"].to_numpy() != "") == (a["en_qpv"].to_numpy() == "1")).all()
    # the occupant household of an attributed dwelling is the attributed household
    h = pd.read_csv(petite.paths["households"], sep=";", dtype=str).set_index("IDENT_INT")
    hh = h.loc[a["IDENT_INT"]]
    assert (hh["nb_personnes"].to_numpy() == a["nb_personnes"].to_numpy()).all()
    annual = a["ressources_mensuelles"].astype(float).to_numpy() * 12
    assert np.allclose(hh["ressources_annuelles"].astype(float).to_numpy(), annual, atol=0.6)


def test_territory_yaml(petite: GenerationResult) -> None:
    terr = yaml.safe_load(petite.paths["territory"].read_text(encoding="utf-8"))
    assert terr["siren_epci"] == "999960001"
    # Tours Métropole Val de Loire, the comparable real EPCI whose arrêté thresholds apply
    assert terr["siren_epci_seuils"] == "243700754"
    assert terr["taux_effort_max"] == 0.35 and terr["reste_a_vivre_min"] == 12.0
    communes = pd.read_csv(petite.paths["communes"], sep=";", dtype=str)
    assert (communes["siren_epci"] == terr["siren_epci"]).all()
    assert set(communes["zone_plafonds"]) == {"A"} and set(communes["zone_apl"]) == {"2", "3"}


def test_housing_benefit_of_occupants(petite: GenerationResult) -> None:
    """Benefits come from mixite's APL engine: about half of the tenants receive one (CNAF and
    USH order of magnitude), none of the single persons with 40,000 € a year or more."""
    h = pd.read_csv(petite.paths["households"], sep=";")
    paid = h["aide_logement"] > 0
    assert 0.3 <= paid.mean() <= 0.7
    rich_single = (h["nb_personnes"] == 1) & (h["ressources_annuelles"] >= 40_000)
    assert rich_single.any() and (h.loc[rich_single, "aide_logement"] == 0).all()
    assert (h.loc[paid, "aide_logement"] % 1 == 0).all()  # whole euros
