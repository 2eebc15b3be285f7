"""Packaged reference geography: COG 2026 communes, DGCL 2026 EPCI, EPT (mixite.geo).

Expected values are public facts of the COG 2026 and the DGCL 2026 EPCI list (the source
files are in /work/shared/data/cog_epci/), not computed by mixite.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from mixite import geo


def test_communes_table() -> None:
    table = geo.communes()
    assert list(table.columns) == list(geo.COLUMNS)
    counts = table["typecom"].value_counts()
    # COG 2026 (communes.csv): 34 875 communes, 45 municipal arrondissements (20 + 9 + 16).
    assert counts["COM"] == 34_875
    assert counts["ARM"] == 45


def test_arrondissements_map_to_their_commune() -> None:
    paris = [f"751{i:02d}" for i in range(1, 21)]
    lyon = [f"6938{i}" for i in range(1, 10)]
    marseille = [f"132{i:02d}" for i in range(1, 17)]
    got = geo.commune_of_arrondissement(paris + lyon + marseille + ["01001"])
    assert got.tolist() == ["75056"] * 20 + ["69123"] * 9 + ["13055"] * 16 + ["01001"]


def test_epci_of_communes_and_arrondissements() -> None:
    codes = pd.Series(
        ["69123", "69385", "75112", "13208", "33063", "99999", None], index=list("abcdefg")
    )
    got = geo.epci_of(codes)
    assert list(got.index) == list("abcdefg")
    # Métropole de Lyon 200046977, Métropole du Grand Paris 200054781, Aix-Marseille-Provence
    # 200054807, Bordeaux Métropole 243300316 (DGCL 2026).
    assert got.tolist() == [
        "200046977",
        "200046977",
        "200054781",
        "200054807",
        "243300316",
        None,
        None,
    ]


def test_ept_of_grand_paris_communes() -> None:
    # Saint-Denis (93066) is in Plaine Commune, Boulogne-Billancourt (92012) in Grand Paris
    # Seine Ouest (INSEE EPT list); Lyon has no EPT.
    assert geo.ept_of(["93066", "92012", "69123"]).tolist() == ["200057867", "200057974", None]


def test_island_communes_are_the_only_ones_without_epci() -> None:
    table = geo.communes()
    lone = table[(table["typecom"] == "COM") & table["epci"].isna()]
    # The four single-commune islands exempt from joining an EPCI (CGCT L5210-1-1).
    assert sorted(lone["code"]) == ["22016", "29083", "29155", "85113"]


def test_known_commune() -> None:
    assert geo.is_known_commune("2A004")  # Ajaccio
    assert geo.is_known_commune("75101")  # arrondissement
    assert geo.is_known_commune(1001)  # 01001 read as a number
    assert not geo.is_known_commune("99999")
    assert not geo.is_known_commune(None)
    assert geo.known_communes(["69123", "00000"]).tolist() == [True, False]


def test_commune_deleguee_maps_to_its_commune_nouvelle() -> None:
    # COG 2026: Escaufourt (02285, Aisne) is a commune associée of Saint-Souplet (59545, Nord);
    # Arbignieu (01015) a commune déléguée sharing its code with its commune nouvelle.
    assert geo.epci_of(["02285"]).tolist() == geo.epci_of(["59545"]).tolist()
    assert geo.epci_of(["59545"]).tolist()[0] is not None
    table = geo.communes().set_index(["code", "typecom"])
    assert table.loc[("02285", "COMA"), "parent"] == "59545"
    assert table.loc[("02285", "COMA"), "dep"] == "59"
    assert geo.is_known_commune("01015")


def test_packaged_file_is_small() -> None:
    path = resources.files("mixite").joinpath("data/communes.csv.gz")
    assert len(path.read_bytes()) < 1_000_000
