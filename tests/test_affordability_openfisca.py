"""mixite's APL equals OpenFisca-France's ``aide_logement`` for random social tenants.

OpenFisca-France (test-only dependency) is the reference implementation of the benefit. One
vectorised OpenFisca simulation per period holds every household: a single person per family,
whose couple status (``al_couple``) and number of dependants (``al_nb_personnes_a_charge``) are
given as inputs, in an HLM dwelling (``statut_occupation_logement = locataire_hlm``, i.e.
conventionné), with the annual resource base as ``aide_logement_base_ressources_individu`` so that
OpenFisca applies its own rounding to the next 100 €. Inputs that only feed other resource
components (fiscal income two years back, assets, student status) are set to zero, as they are
for the households mixite models.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner

from mixite.affordability import housing_benefit_detail
from mixite.cli import app

pytestmark = pytest.mark.openfisca
openfisca_france = pytest.importorskip("openfisca_france")

N_HOUSEHOLDS = 2500
PERIODS = ("2024-11", "2025-11")


@pytest.fixture(scope="module")
def tax_benefit_system() -> Any:
    return openfisca_france.FranceTaxBenefitSystem()


def openfisca_benefit(
    tbs: Any,
    period: str,
    *,
    zone: npt.NDArray[np.int64],
    couple: npt.NDArray[np.bool_],
    dependants: npt.NDArray[np.int64],
    rent: npt.NDArray[np.float64],
    annual_resources: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """OpenFisca-France's ``aide_logement`` for social tenants, one batch simulation."""
    from openfisca_core.periods import period as make_period
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_france.model.base import TypesStatutOccupationLogement

    n = len(zone)
    sim = SimulationBuilder().build_default_simulation(tbs, n)
    zones = tbs.variables["zone_apl"].possible_values
    p = make_period(period)
    sim.set_input(
        "statut_occupation_logement",
        period,
        np.array([TypesStatutOccupationLogement.locataire_hlm] * n),
    )
    sim.set_input(
        "zone_apl", period, np.array([zones.zone_1, zones.zone_2, zones.zone_3])[zone - 1]
    )
    sim.set_input("loyer", period, rent)
    sim.set_input("al_couple", period, couple)
    sim.set_input("al_nb_personnes_a_charge", period, dependants)
    sim.set_input("aide_logement_base_ressources_individu", period, annual_resources)
    sim.set_input("aide_logement_base_ressources_patrimoine", period, np.zeros(n))
    sim.set_input("aide_logement_base_revenus_fiscaux", p.n_2, np.zeros(n))
    sim.set_input("pensions_alimentaires_versees", p.last_year, np.zeros(n))
    sim.set_input("abattements_speciaux_prestations_familiales", p.n_2, np.zeros(n))
    sim.set_input("aide_logement_biactivite", period, np.zeros(n, dtype=bool))
    sim.set_input("boursier", period, np.zeros(n, dtype=bool))
    sim.set_input("etudiant", period, np.zeros(n, dtype=bool))
    return np.asarray(sim.calculate("aide_logement", period), dtype="float64")


def random_tenants(seed: int, n: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "zone": rng.integers(1, 4, n),
        "couple": rng.random(n) < 0.5,
        "dependants": rng.integers(0, 6, n),
        "rent": np.round(rng.uniform(150, 900, n), 2),
        "annual_resources": np.round(rng.uniform(0, 40000, n), 2),
    }


@pytest.mark.parametrize("period", PERIODS)
def test_benefit_equals_openfisca(tax_benefit_system: Any, period: str) -> None:
    cases = random_tenants(20241 if period.startswith("2024") else 20251, N_HOUSEHOLDS)
    reference = openfisca_benefit(tax_benefit_system, period, **cases)
    detail = housing_benefit_detail(when=period, hlm=True, **cases)
    mine = detail.benefit
    diff = np.abs(mine - reference)
    worst = int(np.argmax(diff))
    assert diff.max() <= 1.0, {k: v[worst] for k, v in cases.items()} | {
        "mixite": mine[worst],
        "openfisca": reference[worst],
    }
    # The sample covers paid and unpaid benefits, RLS and no RLS.
    assert (reference > 0).mean() > 0.3 and (reference == 0).any()
    assert (detail.rls > 0).any() and (detail.rls == 0).any()
    assert (detail.retained_rent < cases["rent"]).any() and (detail.degressivity < 1).any()


def test_cli_line_equals_openfisca(tax_benefit_system: Any) -> None:
    case = {
        "zone": np.array([2]),
        "couple": np.array([False]),
        "dependants": np.array([0]),
        "rent": np.array([380.0]),
        "annual_resources": np.array([9000.0]),
    }
    expected = openfisca_benefit(tax_benefit_system, "2025-11", **case)[0]
    result = CliRunner().invoke(
        app,
        [
            "solvabilite", "--date", "2025-11", "--zone-apl", "2", "--adultes", "1",
            "--personnes-a-charge", "0", "--loyer", "380", "--charges", "60",
            "--ressources-annuelles", "9000",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    match = re.search(r"^Aide au logement : (\d+)\s€$", result.output, flags=re.M)
    assert match is not None, result.output
    assert float(match.group(1)) == expected
    for label in (
        "Loyer retenu : 290,34 €",
        "Forfait de charges : 60,59 €",
        "Participation personnelle : 157,59 €",
        "Réduction de loyer de solidarité (RLS) : 34,83 €",
        "Taux d'effort : 33,6 %",
        "Reste à vivre : 16,59 € par UC et par jour",
    ):
        # French typography: a no-break space before « € » and « % »
        assert label.replace(" €", "\u00a0€").replace(" %", "\u00a0%") in result.output
