"""The synthetic France (``mixite generer --france``): one territory per EPCI of the Q1 arrêtés,
real identities, profiles that reproduce the national figures, generation faithful to them.

Published figures (docs/territoire-synthetique.md « Chiffres publiés de référence »): 5.4 million
social dwellings (SDES, 1/1/2024), 384,000 attributions in 2024 and 2.76 million pending
applications (ANCOLS), 31 % of the stock in QPV, 72 % of the attributions outside QPV, a
national share of Q1 attributions outside QPV of 14–18 % and 8 % of EPCIs at or above 25 %
(ANCOLS 2019), 1 attribution for 19 pending applications in Paris (DRIHL).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mixite.params import default_parameters
from mixite.schema import QPV_CODE_PATTERN
from mixite.synth.france import (
    FranceTerritory,
    france_territories,
    generate_territory,
    national_figures,
    selection,
    write_index,
)


@pytest.fixture(scope="module")
def france() -> list[FranceTerritory]:
    return france_territories(2025, 2025)


def by_siren(territories: list[FranceTerritory], siren: str) -> FranceTerritory:
    return next(t for t in territories if t.siren == siren)


def test_one_territory_per_siren_of_the_arrete(france: list[FranceTerritory]) -> None:
    arrete = default_parameters().value("seuils_q1", dt.date(2024, 6, 30))
    assert len(arrete) == 425  # the arrêté of 2024 (attributions of millésime 2025)
    assert sorted(t.siren for t in france) == sorted(arrete)
    for t in france:  # the real thresholds of each EPCI, from its arrêté
        assert t.thresholds[2024]["q1"] == arrete[t.siren]["q1"]
        assert t.thresholds[2024]["q3"] == arrete[t.siren]["q3"]


def test_the_profiles_reproduce_the_national_figures(france: list[FranceTerritory]) -> None:
    figures = {f.key: f for f in national_figures(france)}
    assert all(f.ok for f in figures.values()), [f for f in figures.values() if not f.ok]
    assert sum(t.dwellings for t in france) == pytest.approx(5_400_000, rel=1e-3)
    assert figures["attributions"].value == pytest.approx(384_000, rel=0.02)
    assert figures["demandes"].value == pytest.approx(2_760_000, rel=0.02)
    assert figures["part_qpv"].value == pytest.approx(0.31, abs=0.02)
    assert figures["attributions_hors_qpv"].value == pytest.approx(0.72, abs=0.04)
    assert 0.15 <= figures["q1_hors_qpv"].value <= 0.18
    assert 0.04 <= figures["part_epci_objectif"].value <= 0.12


def test_real_identities(france: list[FranceTerritory]) -> None:
    tours = by_siren(france, "243700754")
    assert tours.name == "Tours Métropole Val de Loire"
    assert tours.region_name == "Centre-Val de Loire"
    assert tours.departement_name == "Indre-et-Loire"
    assert (tours.communes[0].code, tours.communes[0].name) == ("37261", "Tours")
    assert len(tours.communes) == 22  # the 22 communes of Tours Métropole (COG 2026)
    # arrêtés: 9,840 € (2024) and 10,049 € (2025) per UC and per year
    assert (tours.thresholds[2024]["q1"], tours.thresholds[2025]["q1"]) == (9840.0, 10049.0)
    paris = by_siren(france, "217500016")
    assert [c.code for c in paris.communes] == ["75056"]
    assert paris.communes[0].ceiling_zone == "P"
    assert paris.pressure == 19.0
    # 21 % of social dwellings (2024) × 2,113,705 inhabitants / 2.2 persons per household
    assert paris.estimated_stock == pytest.approx(0.21 * 2_113_705 / 2.2)
    plaine = by_siren(france, "200057867")
    assert (plaine.name, plaine.nature) == ("Plaine Commune", "EPT")
    assert "93066" in {c.code for c in plaine.communes}  # Saint-Denis
    assert {c.ceiling_zone for c in plaine.communes} == {"I"}
    assert by_siren(france, "242010056").departement == "2A"  # CA du Pays Ajaccien


def test_an_epci_missing_from_one_arrete_borrows_the_nearest(
    france: list[FranceTerritory],
) -> None:
    enclave = by_siren(france, "200040681")  # in the 2024 arrêté, not in 2025's
    assert enclave.borrowed == (2025,)
    assert enclave.thresholds[2025]["q1"] == enclave.thresholds[2024]["q1"]
    assert enclave.model()["territoire"]["seuil_q1"] == {2025: enclave.thresholds[2024]["q1"]}
    assert by_siren(france, "243700754").borrowed == ()


def test_profiles_do_not_depend_on_the_subset_nor_the_scale(
    france: list[FranceTerritory],
) -> None:
    sirens = {"243700754", "200040764"}
    part = france_territories(2025, 2025, scale=0.01, sirens=sirens)
    assert {t.siren for t in part} == sirens
    for t in part:
        full = by_siren(france, t.siren)
        assert (t.qpv_share, t.q1_outside_qpv, t.pressure) == (
            full.qpv_share,
            full.q1_outside_qpv,
            full.pressure,
        )
        assert t.dwellings == max(200, round(0.01 * full.dwellings))
    other = france_territories(2025, 7, sirens=sirens)
    assert by_siren(other, "243700754").qpv_share != by_siren(part, "243700754").qpv_share
    with pytest.raises(Exception, match="123456789"):
        selection(france, sirens={"123456789"})


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)


def test_a_generated_territory_follows_its_profile(
    france: list[FranceTerritory], tmp_path: Path
) -> None:
    chosen = selection(france, 0.1, {"243700754", "249740119"})  # Tours, CINOR (La Réunion)
    for t in chosen:
        folder, counts, made = generate_territory(t, tmp_path, 2025, 2025)
        assert made and folder == tmp_path / t.siren
        communes = _read(folder / "communes.csv")
        assert communes["code_commune"].tolist() == [c.code for c in t.communes]
        assert communes["nom_commune"].tolist() == [c.name for c in t.communes]
        assert set(communes["siren_epci"]) == {t.siren}
        territory = yaml.safe_load((folder / "territoire.yaml").read_text(encoding="utf-8"))
        assert (territory["nom"], territory["siren_epci"]) == (t.name, t.siren)
        assert territory["siren_epci_seuils"] == t.siren
        rpls = _read(folder / "rpls.csv")
        assert len(rpls) == t.dwellings
        assert set(rpls["DEPCOM"]) <= {c.code for c in t.communes}
        qpv = sorted(set(rpls["QPV_CODE"]) - {""})
        assert qpv and all(re.match(QPV_CODE_PATTERN, c) for c in qpv)
        assert all(c.startswith(f"QN{t.departement.zfill(3)}S") for c in qpv)
        # expected attributions (attribution_rates) within sampling noise; applications exact
        expected = t.expected()["attributions"]
        assert counts["attributions"] == pytest.approx(expected, rel=0.15)
        assert counts["applications"] == round(t.pressure * counts["attributions"])
    # a folder that exists is complete: a rerun skips it
    assert generate_territory(chosen[0], tmp_path, 2025, 2025)[2] is False


def test_generation_is_deterministic(france: list[FranceTerritory], tmp_path: Path) -> None:
    t = selection(france, 0.05, {"200040764"})[0]
    first, _, _ = generate_territory(t, tmp_path / "a", 2025, 2025)
    second, _, _ = generate_territory(t, tmp_path / "b", 2025, 2025)
    for name in ("rpls.csv", "demandes.csv", "attributions.csv", "occupation.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_the_index_lists_every_territory(france: list[FranceTerritory], tmp_path: Path) -> None:
    chosen = selection(france, 1.0, {"243700754", "217500016"})
    path = write_index(chosen, tmp_path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [r["siren"] for r in rows] == ["217500016", "243700754"]
    assert rows[1]["nom_region"] == "Centre-Val de Loire"
    assert int(rows[1]["logements"]) == by_siren(france, "243700754").dwellings
    assert not list(tmp_path.glob(".*partiel"))


def test_a_one_commune_territory_is_generated(
    france: list[FranceTerritory], tmp_path: Path
) -> None:
    # Paris: no inner nor outer ring (the synthetic geography leaves them out)
    paris = selection(france, 0.002, {"217500016"})[0]
    folder, counts, _ = generate_territory(paris, tmp_path, 2025, 2025)
    assert counts["communes"] == 1
    assert _read(folder / "communes.csv")["code_commune"].tolist() == ["75056"]
    assert set(_read(folder / "rpls.csv")["DEPCOM"]) == {"75056"}


def test_a_name_with_quotes_is_written_quoted_and_read_back(
    france: list[FranceTerritory], tmp_path: Path
) -> None:
    """The real name of the EPCI 200036473 holds double quotes, which an unquoted CSV cannot
    hold (the generation of the whole of France stopped on it): its RPLS file quotes its text
    values (RFC 4180), Python's csv module reads the name back exactly, and the readers of
    mixite read every dwelling."""
    from mixite.io import read_folder

    saintes = selection(france, 0.05, {"200036473"})[0]
    assert saintes.name == 'CA "Saintes - Grandes Rives - L\'Agglo"'
    folder, counts, _ = generate_territory(saintes, tmp_path, 2025, 2025)
    with (folder / "rpls.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {r["LIBEPCI"] for r in rows} == {saintes.name}
    assert len(rows) == counts["dwellings"]
    tables = read_folder(folder)
    assert len(tables["dwellings"]) == counts["dwellings"]
