"""Per-commune zones: the shipped table agrees with OpenFisca-France, fills the territory's
communes, and every computation uses the zone of the dwelling's own commune.

The benefit of a household in each of two communes of different zones is checked against
OpenFisca-France (``aide_logement`` and ``reduction_loyer_solidarite``, OpenFisca finding the zone
itself from the commune code, ``depcom``). OpenFisca-France's income ceilings stop in 2022, so the
ceiling check compares the zone mixite uses with OpenFisca's ``zone_logement_social`` of the
same commune, and the amounts with the published arrêté values of ``params/plafonds.yaml``.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from indicators.indicator_frames import applications as application_frame
from indicators.indicator_frames import dwellings as dwelling_frame
from mixite.errors import InputError
from mixite.io import read_table
from mixite.zones import commune_zones, zones_table

MONTREUIL, AMILLIS = "93048", "77002"  # zone 1 / P and zone 2 / I (Seine-et-Marne)


def test_known_communes() -> None:
    got = commune_zones(["75056", "75112", "92012", "95127", "2A004", "97101", "96001"])
    assert got["apl_zone"].tolist() == ["1", "1", "1", "1", "2", "2", None]
    # Boulogne-Billancourt borders Paris (zone P), though OpenFisca-France's list omits it.
    assert got["ceiling_zone"].tolist() == ["P", "P", "P", "I", "A", "A", None]


def test_every_commune_of_the_cog_has_its_zones() -> None:
    from mixite.geo import communes

    table = zones_table()
    codes = communes().query("typecom == 'COM'")["code"]
    assert codes.isin(table.index).all()
    assert table.loc[codes, "zone_apl"].isin(["1", "2", "3"]).all()
    assert table.loc[codes, "zone_plafonds"].isin(["P", "I", "A"]).all()


@pytest.mark.openfisca
def test_the_table_agrees_with_openfisca() -> None:
    # OpenFisca-France is a dev dependency (pyproject.toml): the comparison always runs.
    from openfisca_france.model.prestations.logement_social import paris_communes_limitrophes

    source = resources.files("openfisca_france").joinpath("assets/apl/20110914_zonage.csv")
    with source.open(encoding="utf-8") as handle:
        reference = {row["CODGEO"]: row["Zonage"][0] for row in csv.DictReader(handle)}
    table = zones_table()
    common = sorted(set(reference) & set(table.index))
    assert len(common) > 34_000
    differ = [c for c in common if table.loc[c, "zone_apl"] != reference[c]]
    assert differ == []
    bordering = {b.decode() for b in paris_communes_limitrophes}
    mine = set(table.index[table["zone_plafonds"] == "P"])
    arrondissements = {f"751{n:02d}" for n in range(1, 21)}
    # Only Boulogne-Billancourt is added; the communes déléguées of Saint-Denis follow it.
    assert mine - bordering - arrondissements == {"92012", "93059"}
    assert bordering - mine == set()


def test_communes_file_without_zones_takes_them_from_the_table(tmp_path: Path) -> None:
    path = tmp_path / "communes.csv"
    path.write_text(
        "code_commune;nom_commune;siren_epci;nom_epci\n"
        f"{MONTREUIL};Montreuil;200057875;Est Ensemble\n"
        f"{AMILLIS};Amillis;200072312;CC du Pays de Coulommiers\n",
        encoding="utf-8",
    )
    frame = read_table(path, "communes")
    assert frame["apl_zone"].tolist() == ["1", "2"]
    assert frame["ceiling_zone"].tolist() == ["P", "I"]


def test_a_fictitious_commune_without_zone_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "communes.csv"
    path.write_text(
        "code_commune;nom_commune;siren_epci;nom_epci;zone_apl;zone_plafonds\n"
        "96001;Fictive;200000001;EPCI;;\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_table(path, "communes", known_communes=["96001"])
    message = str(caught.value)
    assert "96001" in message and "ligne 2" in message and "zone_apl" in message


def _two_commune_problem(tmp_path: Path, tax_income: float, monthly: float) -> tuple[Any, Any]:
    """One application and one vacancy in each of Montreuil and Amillis (same rent, PLUS)."""
    from mixite.allocation.scenario import (
        Scenario,
        applications_from_store,
        vacancies_from_store,
    )

    communes_path = tmp_path / "communes.csv"
    communes_path.write_text(
        "code_commune;nom_commune;siren_epci;nom_epci\n"
        f"{MONTREUIL};Montreuil;200057875;Est Ensemble\n"
        f"{AMILLIS};Amillis;200072312;CC du Pays de Coulommiers\n",
        encoding="utf-8",
    )
    communes = read_table(communes_path, "communes")
    dwellings = dwelling_frame(
        [
            {"dwelling_id": "M", "commune": MONTREUIL, "depcom": MONTREUIL},
            {"dwelling_id": "A", "commune": AMILLIS, "depcom": AMILLIS},
        ]
    ).assign(rent=400.0, surface=60.0, finan_family="plus", finan_code="13")
    (tmp_path / "liste.csv").write_text("IDENT_INT\nM\nA\n", encoding="utf-8")
    scenario = Scenario(
        nom="deux communes",
        annee=2025,
        logements={"source": "liste", "fichier": "liste.csv"},
        dossier=tmp_path,
    )
    vacancies = vacancies_from_store(dwellings, scenario, None, np.random.default_rng(0), communes)
    # A single parent with two children under 14: category 4 of the arrêté du 29 juillet 1987.
    apps = application_frame(
        [
            {
                "application_id": "X",
                "household_size": 3,
                "adults": 1,
                "persons_14plus": 1,
                "dependants": 2,
                "single_parent": True,
                "tax_income": tax_income,
                "monthly_resources": monthly,
                "wished_communes": [MONTREUIL, AMILLIS],
            }
        ]
    )
    territory = pd.DataFrame({"q1_overrides": ['{"2025": 10000}'], "q1_reference_epci": ["0"]})
    applications = applications_from_store(apps, territory, communes, scenario, 2025)
    return vacancies, applications


def test_each_vacancy_carries_its_communes_zones(tmp_path: Path) -> None:
    from mixite.allocation.problem import FIN_PLUS

    vacancies, applications = _two_commune_problem(tmp_path, 60_000.0, 5000.0)
    assert vacancies.commune.tolist() == [MONTREUIL, AMILLIS]
    assert vacancies.apl_zone.tolist() == [1, 2]
    assert vacancies.ceiling_zone.tolist() == [0, 1]  # P, I
    # PLUS ceiling of category 4 in 2025 (arrêté du 29 juillet 1987, revised: params/plafonds):
    # 62 424 € in zone P, 57 429 € in zone I.
    ceilings = applications.ceilings[0, FIN_PLUS, vacancies.ceiling_zone]
    assert ceilings.tolist() == [62_424.0, 57_429.0]


@pytest.mark.openfisca
def test_benefit_and_ceiling_follow_each_communes_zone(tmp_path: Path) -> None:
    import openfisca_france
    from openfisca_core.periods import period as make_period
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_france.model.base import TypesStatutOccupationLogement

    from mixite.allocation.problem import Thresholds, WeightCoefficients, admissible_block
    from mixite.allocation.scenario import housing_aid

    tbs = openfisca_france.FranceTaxBenefitSystem()
    period = "2025-01"
    p = make_period(period)

    def openfisca(depcom: str, rent: float, resources: float) -> tuple[float, float, str, str]:
        sim = SimulationBuilder().build_default_simulation(tbs, 1)
        sim.set_input("depcom", period, np.array([depcom.encode()]))
        sim.set_input(
            "statut_occupation_logement",
            period,
            np.array([TypesStatutOccupationLogement.locataire_hlm]),
        )
        sim.set_input("loyer", period, np.array([rent]))
        sim.set_input("al_couple", period, np.array([False]))
        sim.set_input("al_nb_personnes_a_charge", period, np.array([2]))
        sim.set_input("aide_logement_base_ressources_individu", period, np.array([resources]))
        sim.set_input("aide_logement_base_ressources_patrimoine", period, np.zeros(1))
        sim.set_input("aide_logement_base_revenus_fiscaux", p.n_2, np.zeros(1))
        sim.set_input("pensions_alimentaires_versees", p.last_year, np.zeros(1))
        sim.set_input("abattements_speciaux_prestations_familiales", p.n_2, np.zeros(1))
        sim.set_input("aide_logement_biactivite", period, np.zeros(1, dtype=bool))
        sim.set_input("boursier", period, np.zeros(1, dtype=bool))
        sim.set_input("etudiant", period, np.zeros(1, dtype=bool))
        return (
            float(sim.calculate("aide_logement", period)[0]),
            float(sim.calculate("reduction_loyer_solidarite", period)[0]),
            str(sim.calculate("zone_apl", period).decode_to_str()[0]),
            str(sim.calculate("zone_logement_social", period).decode_to_str()[0]),
        )

    # A poor household: 800 € a month, 9 600 € a year.
    vacancies, applications = _two_commune_problem(tmp_path, 9_600.0, 800.0)
    aid = housing_aid(applications, vacancies, 2025)
    cost = vacancies.housing_cost
    mine = aid(cost, np.zeros(2, dtype=np.int64), np.arange(2))
    expected = []
    ceiling_zones = []
    for depcom, c in zip(vacancies.commune, cost, strict=True):
        benefit, rls, zone_apl, zone_ls = openfisca(str(depcom), float(c), 9_600.0)
        expected.append(benefit + rls)
        ceiling_zones.append(zone_ls)
        assert zone_apl == f"zone_{vacancies.apl_zone[len(expected) - 1]}"
    assert mine == pytest.approx(expected, abs=1.0)
    assert mine[0] > mine[1] > 0  # zone 1 (Montreuil) pays more than zone 2 (Amillis)
    assert ceiling_zones == ["paris_communes_limitrophes", "ile_de_france"]

    # A household at 60 000 € (RFR): under the PLUS ceiling of zone P, over that of zone I, so
    # admissible in Montreuil only.
    vacancies, applications = _two_commune_problem(tmp_path, 60_000.0, 5000.0)
    ok, _, _, _ = admissible_block(
        vacancies,
        applications,
        np.arange(2),
        np.zeros(2, dtype=np.int64),
        Thresholds(max_effort_rate=1.0, min_reste_a_vivre=0.0, days_per_month=30.0),
        WeightCoefficients(),
    )
    assert ok.tolist() == [True, False]
