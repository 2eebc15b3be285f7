"""Simulation invariants: canonical output, admissibility, flux ledger, fléchage, optimiser bound."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixite.allocation.instances import random_instance
from mixite.allocation.optimise import optimise
from mixite.allocation.problem import AllocationProblem, Quotas, Thresholds, build_problem
from mixite.allocation.simulate import (
    AcceptanceModel,
    SimulationConfig,
    calibrate_solvency_preference,
    designation_key,
    epci_share,
    quota_shares,
    replicate_intervals,
    simulate_replicates,
    simulate_year,
)
from mixite.errors import ConfigError
from mixite.schema import ATTRIBUTIONS
from mixite.vocabulary import reservataire_kind

#: Affordability thresholds of the instances: the default CAL charter of
#: params/solvabilite.yaml (35 %, 12 € per UC per day, 30-day months), written here so that
#: the instances do not move when the packaged conventions are revised.
CHARTER = Thresholds(max_effort_rate=0.35, min_reste_a_vivre=12.0, days_per_month=30.0)

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def problem_of(n_v: int, n_a: int, seed: int, quotas: Quotas | None = None) -> AllocationProblem:
    vac, apps = random_instance(n_v, n_a, np.random.default_rng(seed), n_communes=3)
    return build_problem(vac, apps, quotas or Quotas(), CHARTER, k=None)


@SETTINGS
@given(st.integers(3, 25), st.integers(5, 120), st.integers(0, 2**31))
def test_simulation_invariants_and_optimiser_dominates(n_v: int, n_a: int, seed: int) -> None:
    problem = problem_of(n_v, n_a, seed)
    sim = simulate_year(problem, SimulationConfig(year=2025), seed=seed)
    # No dwelling or application twice; every assignment admissible for the vacancy's reservataire.
    assert np.unique(sim.vacancy).size == sim.vacancy.size
    assert np.unique(sim.application).size == sim.application.size
    ok, _ = problem.evaluate(sim.vacancy, sim.application)
    assert ok.all()
    assert len(sim.attributions) == sim.vacancy.size
    assert sim.unfilled == n_v - sim.vacancy.size
    # Without quotas and without K bound, the optimiser's exact assignment dominates the simulation.
    best = optimise(problem, "flow")
    best.check()
    assert best.objective >= sim.objective(problem) - 1e-6


def test_attributions_follow_the_canonical_schema() -> None:
    problem = problem_of(40, 300, 5)
    frame = simulate_year(problem, SimulationConfig(year=2024), seed=1).attributions
    assert list(frame.columns) == [c.name for c in ATTRIBUTIONS.columns]
    expected = {"str": "object", "int": "int64", "float": "float64", "bool": "bool"}
    for col in ATTRIBUTIONS.columns:
        if col.dtype == "date":
            assert frame[col.name].dtype == "datetime64[ns]"
        else:
            assert str(frame[col.name].dtype) == expected[col.dtype], col.name
    assert frame["lease_date"].dt.year.eq(2024).all()
    assert frame["lease_date"].dt.weekday.eq(1).all()  # commissions on Tuesdays by default
    assert frame["attribution_id"].is_unique


def test_flux_ledger_follows_the_shares() -> None:
    # Two reservataires with unrestricted pools: the ledger alternates so that, per landlord, the
    # count directed to each never differs from share × vacancies by one or more (docs/droit.md §6 (Gestion en flux)).
    problem = problem_of(120, 3000, 3)
    never_refuse = AcceptanceModel(intercept=-60.0)
    config = SimulationConfig(
        year=2025, flows={"commune": 0.6, "bailleur": 0.4}, acceptance=never_refuse
    )
    sim = simulate_year(problem, config, seed=2)
    assert sim.refusals == 0
    landlords = problem.vacancies.landlord[sim.vacancy]
    for lid in set(landlords.tolist()):
        # The flows are by type; each vacancy goes to a reservataire as a legal person
        # (« commune:<code> » of its dwelling), counted here by type.
        directed = [reservataire_kind(r) for r in sim.reservataire[landlords == lid]]
        n = int((problem.vacancies.landlord == lid).sum())
        got = directed.count("commune")
        assert abs(got - 0.6 * n) < 1 + sim.unfilled


def test_flechage_raises_q1_share_outside_qpv() -> None:
    problem = problem_of(300, 4000, 9)
    base = simulate_replicates(problem, SimulationConfig(year=2025), seed=4, replicates=3)
    fleche = simulate_replicates(
        problem, SimulationConfig(year=2025, flechage_share=0.5), seed=4, replicates=3
    )

    def share(results: list) -> float:  # type: ignore[type-arg]
        return epci_share(replicate_intervals(problem, results))

    # Half the non-QPV vacancies reserved to Q1 households (those with no Q1 candidate fall back to
    # everyone and are counted): the share rises well above the baseline.
    assert share(fleche) > share(base) + 0.1
    assert all(r.flechage_fallbacks > 0 for r in fleche)
    assert all(r.flechage_fallbacks == 0 for r in base)


def test_quota_shares_by_hand() -> None:
    problem = problem_of(10, 60, 1)
    vac, apps = problem.vacancies, problem.applications
    v = np.arange(6)
    a = np.arange(6)
    table = quota_shares(vac, apps, v, a)
    epci = table.loc[table["level"] == "epci"].set_index("indicator")
    outside = ~vac.in_qpv[v]
    assert epci.loc["prioritaires", "denominator"] == 6
    assert epci.loc["q1_hors_qpv", "denominator"] == int(outside.sum())
    if outside.any():
        expected = sum(bool(apps.q1[i] or apps.npnru[i]) for i in a[outside]) / int(outside.sum())
        assert epci.loc["q1_hors_qpv", "share"] == pytest.approx(expected)
    assert epci.loc["prioritaires", "share"] == pytest.approx(float(np.mean(apps.priority[a])))


def test_replicates_are_reproducible_and_intervals_ordered() -> None:
    problem = problem_of(60, 600, 2)
    config = SimulationConfig(year=2025)
    first = simulate_replicates(problem, config, seed=11, replicates=4)
    again = simulate_replicates(problem, config, seed=11, replicates=4)
    for x, y in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(x.attributions, y.attributions)
    table = replicate_intervals(problem, first)
    valid = table.dropna()
    assert (valid["share_low"] <= valid["share"] + 1e-12).all()
    assert (valid["share"] <= valid["share_high"] + 1e-12).all()


def test_refusal_probability_is_logistic() -> None:
    model = AcceptanceModel(intercept=0.0, effort=2.0, rank=1.0, qpv=1.0)
    p = model.refusal_probability(
        np.array([0.0, 0.5]), np.array([0.0, 1.0]), np.array([False, True])
    )
    # logit 0 → 1/2; logit 2×0.5 + 1 + 1 = 3 → 1/(1+e^-3).
    assert p[0] == pytest.approx(0.5)
    assert p[1] == pytest.approx(1.0 / (1.0 + np.exp(-3.0)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flechage_share": 1.5}, "fléchage"),
        ({"flows": {"commune": 0.5, "bailleur": 0.2}}, "totalisent"),
        ({"n_candidates": 0}, "au moins"),
    ],
)
def test_bad_configuration_is_a_french_config_error(kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message):
        SimulationConfig(year=2025, **kwargs)


def test_designation_key_by_hand() -> None:
    """Three applications: scores 0, 5, 10 (normalised 0, 0.5, 1) and resources per UC ranked
    richest, middle, poorest (ranks 1, 0.5, 0). With a preference of 1 the keys are 1, 1, 1; with
    2 the richest comes first."""
    _, apps = random_instance(2, 3, np.random.default_rng(0), n_communes=1)
    from dataclasses import replace

    apps = replace(
        apps,
        score=np.array([0.0, 5.0, 10.0]),
        monthly_resources=np.array([3000.0, 2000.0, 1000.0]),
        consumption_units=np.ones(3),
    )
    assert np.array_equal(designation_key(apps, 0.0), [0.0, 5.0, 10.0])
    assert np.allclose(designation_key(apps, 1.0), [1.0, 1.0, 1.0])
    assert np.allclose(designation_key(apps, 2.0), [2.0, 1.5, 1.0])


def test_solvency_preference_lowers_q1_share_and_calibrates() -> None:
    problem = problem_of(300, 4000, 9)

    def share(preference: float) -> float:
        config = SimulationConfig(year=2025, solvency_preference=preference)
        return epci_share(replicate_intervals(problem, simulate_replicates(problem, config, 4, 2)))

    pure, cautious = share(0.0), share(1.0)
    assert cautious < pure - 0.05
    # Calibrating on a share between the two finds a preference in between that reproduces it
    # (within the bisection's resolution and the replicates' noise).
    target = (pure + cautious) / 2
    preference, simulated = calibrate_solvency_preference(
        problem, SimulationConfig(year=2025), target, 4, upper=1.0
    )
    assert 0.0 < preference < 1.0
    assert simulated == pytest.approx(target, abs=0.03)
    with pytest.raises(ConfigError, match="négative"):
        SimulationConfig(year=2025, solvency_preference=-1.0)


@SETTINGS
@given(st.integers(0, 2**31))
def test_one_vacancy_admissibility_is_the_block_admissibility(seed: int) -> None:
    # The scanner's admissibility (the housing aid computed only where the other rules pass)
    # against ``admissible_block`` on every pair: same admissible pairs, the same effort rate
    # bit for bit where admissible.
    from mixite.allocation.problem import (
        WeightCoefficients,
        admissible_block,
        admissible_for_vacancy,
    )
    from mixite.allocation.scenario import housing_aid

    rng = np.random.default_rng(seed)
    vac, apps = random_instance(12, 300, rng, n_communes=3)
    aid = housing_aid(apps, vac, 2025)
    every = np.arange(len(apps), dtype=np.int64)
    waiting = rng.random(len(apps)) < 0.8
    for v in range(len(vac)):
        ok, _, effort, _ = admissible_block(
            vac, apps, np.full(1, v), every, CHARTER, WeightCoefficients(), aid, apply_pool=False
        )
        one_ok, one_effort = admissible_for_vacancy(
            vac, apps, v, every, CHARTER, aid, candidates=waiting
        )
        assert np.array_equal(one_ok, ok & waiting)
        assert np.array_equal(one_effort[one_ok], effort[one_ok])


@SETTINGS
@given(st.integers(0, 2**31))
def test_the_aid_of_one_dwelling_is_the_broadcast_aid(seed: int) -> None:
    # ``HousingAid.one_dwelling`` (the scanner's path: one vacancy, no broadcasting) against the
    # aid function's generic call on the same pairs, bit for bit, in each APL zone, for every
    # application and for a few ones out of order.
    from mixite.allocation.scenario import housing_aid

    rng = np.random.default_rng(seed)
    vac, apps = random_instance(9, 200, rng, n_communes=3)
    vac = dataclasses.replace(vac, apl_zone=np.arange(len(vac)) % 3 + 1)
    aid = housing_aid(apps, vac, 2025)
    assert aid.checked
    every = np.arange(len(apps), dtype=np.int64)
    some = rng.permutation(every)[:7]
    for v in range(len(vac)):
        cost = float(vac.housing_cost[v])
        for rows in (every, some, every[:1]):
            broadcast = aid(vac.housing_cost[v : v + 1], rows, np.full(1, v))
            assert np.array_equal(aid.one_dwelling(cost, rows, v), broadcast)


def test_the_aid_of_one_dwelling_refuses_what_the_broadcast_aid_refuses() -> None:
    # Amounts the APL formula cannot take: the checked path and its French error, as before.
    from mixite.affordability import apl_scale, benefit_in_one_dwelling
    from mixite.allocation.scenario import housing_aid
    from mixite.errors import InputError

    vac, apps = random_instance(2, 10, np.random.default_rng(0), n_communes=1)
    resources = np.array(apps.monthly_resources, copy=True)
    resources[3] = np.nan
    aid = housing_aid(dataclasses.replace(apps, monthly_resources=resources), vac, 2025)
    assert not aid.checked
    with pytest.raises(InputError, match="Ressources annuelles non renseigné"):
        aid.one_dwelling(500.0, np.arange(10), 0)
    # The rows without the bad amount still go through (the check sees only the given rows).
    assert aid.one_dwelling(500.0, np.arange(3), 0).shape == (3,)
    clean = housing_aid(apps, vac, 2025)
    with pytest.raises(InputError, match="Loyer négatif"):
        clean.one_dwelling(-1.0, np.arange(10), 0)
    with pytest.raises(InputError, match="Zone APL inconnue"):
        benefit_in_one_dwelling(
            7,
            np.zeros(2, bool),
            np.zeros(2, np.int64),
            500.0,
            np.full(2, 12000.0),
            apl_scale("2025-01-01"),
        )


def test_wish_rank_by_hand() -> None:
    from mixite.allocation.problem import wish_rank

    problem = problem_of(3, 4, 0)
    wished = np.array([["A", "B"], ["B", ""], ["", ""], ["C", "A"]], dtype=object)
    apps = dataclasses.replace(problem.applications, wished=wished)
    # A: first wish of 0, second of 3; 1 does not wish it; 2 wishes no commune (accepts all).
    assert wish_rank(apps, "A").tolist() == [0, 2, 0, 1]
    assert wish_rank(apps, "B").tolist() == [1, 0, 0, 2]
    assert wish_rank(apps, "Z").tolist() == [2, 2, 0, 2]


@pytest.mark.parametrize("first, block", [(1, 4), (8, 8), (4096, 4096)])
def test_the_simulation_does_not_depend_on_the_scanner_blocks(
    monkeypatch: pytest.MonkeyPatch, first: int, block: int
) -> None:
    import mixite.allocation.simulate as simulate

    problem = problem_of(60, 900, 4)
    config = SimulationConfig(
        year=2025,
        flows={"action_logement": 0.3, "etat_prioritaire": 0.2, "bailleur": 0.5},
        flechage_share=0.5,
    )
    reference = simulate_year(problem, config, seed=9)
    monkeypatch.setattr(simulate, "FIRST_BLOCK", first)
    monkeypatch.setattr(simulate, "BLOCK", block)
    other = simulate_year(problem, config, seed=9)
    assert other.vacancy.tolist() == reference.vacancy.tolist()
    assert other.application.tolist() == reference.application.tolist()
    assert other.reservataire.tolist() == reference.reservataire.tolist()
    assert (other.offers, other.refusals, other.flechage_fallbacks) == (
        reference.offers,
        reference.refusals,
        reference.flechage_fallbacks,
    )
