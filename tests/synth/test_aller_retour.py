"""Round trip: generated files → real readers (``mixite.io``) → store → same counts and sums.

Expected values are recomputed from the raw files with plain pandas, independently of both the
generator and the readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixite.io import read_folder
from mixite.store import Store, import_millesime
from mixite.synth import GenerationResult


@pytest.fixture(scope="module")
def store(petite: GenerationResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "territoire.duckdb"
    import_millesime(path, 2025, read_folder(petite.folder))
    return path


def _raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)


def test_counts(petite: GenerationResult, store: Path) -> None:
    with Store(store) as st:
        assert st.millesimes() == [2025]
        summary = st.summary().set_index("table")["rows"].to_dict()
    for table, key in (
        ("dwellings", "dwellings"),
        ("applications", "applications"),
        ("attributions", "attributions"),
        ("households", "households"),
        ("reservations", "reservations"),
        ("communes", "communes"),
        ("landlords", "landlords"),
        ("qpv", "qpv"),
    ):
        assert summary[table] == petite.counts[key], table
    assert summary["territory"] == 1


def test_dwelling_sums(petite: GenerationResult, store: Path) -> None:
    raw = _raw(petite.paths["rpls"])
    with Store(store) as st:
        d = st.read("dwellings")
    assert d["surface"].sum() == pytest.approx(raw["SURFHAB"].astype(float).sum())
    rent = raw["LOYERPRINC"].astype(float)
    assert d["rent"].sum() == pytest.approx(rent[rent != 9999].sum())
    assert int(d["rent"].isna().sum()) == int((rent == 9999).sum())
    assert int(d["in_qpv"].sum()) == int((raw["PLG_QP24"] != "").sum())
    assert (
        d["occupancy_mode"].value_counts().sort_index() == raw["MODE"].value_counts().sort_index()
    ).all()
    leases = pd.to_datetime(raw["BAIL"], format="%d/%m/%Y")
    assert int(d["lease_start"].notna().sum()) == int(leases.notna().sum())
    assert d["lease_start"].max() == leases.max()
    assert sorted(d["dwelling_id"]) == sorted(raw["IDENT_INT"])


def test_people_sums(petite: GenerationResult, store: Path) -> None:
    apps = _raw(petite.paths["applications"])
    att = _raw(petite.paths["attributions"])
    hh = _raw(petite.paths["households"])
    with Store(store) as st:
        s_apps, s_att, s_hh = (
            st.read("applications"),
            st.read("attributions"),
            st.read("households"),
        )
    assert s_apps["monthly_resources"].sum() == pytest.approx(
        apps["ressources_mensuelles"].astype(float).sum()
    )
    assert int(s_apps["is_mutation"].sum()) == int((apps["mutation"] == "1").sum())
    n_wished = apps["communes_souhaitees"].str.count(r"\|") + 1
    assert int(s_apps["wished_communes"].map(len).sum()) == int(n_wished.sum())
    assert s_att["monthly_resources"].sum() == pytest.approx(
        att["ressources_mensuelles"].astype(float).sum()
    )
    assert int(s_att["in_qpv"].sum()) == int((att["en_qpv"] == "1").sum())
    assert s_hh["annual_resources"].sum() == pytest.approx(
        hh["ressources_annuelles"].astype(float).sum()
    )
    assert s_hh["housing_benefit"].sum() == pytest.approx(hh["aide_logement"].astype(float).sum())
    # identifiers are pseudonymised on import: same number of distinct values, none kept in clear
    assert s_apps["application_id"].nunique() == len(apps)
    assert not set(s_apps["application_id"]) & set(apps["numero_unique"])
    # dwellings are not pseudonymised: attributions still join the stock
    with Store(store) as st:
        d = st.read("dwellings")
    assert set(s_att["dwelling_id"]) <= set(d["dwelling_id"])
    assert np.isclose(
        s_att["rent"].sum(), d.set_index("dwelling_id").loc[s_att["dwelling_id"], "rent"].sum()
    )
