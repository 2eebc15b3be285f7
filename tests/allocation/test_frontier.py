"""Frontier Q1 share outside QPV vs priority score: exact re-optimisations on small instances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixite.allocation.frontier import frontier
from mixite.allocation.instances import random_instance
from mixite.allocation.problem import Quotas, Thresholds, build_problem

#: Affordability thresholds of the instances: the default CAL charter of
#: params/solvabilite.yaml (35 %, 12 € per UC per day, 30-day months), written here so that
#: the instances do not move when the packaged conventions are revised.
CHARTER = Thresholds(max_effort_rate=0.35, min_reste_a_vivre=12.0, days_per_month=30.0)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31))
def test_frontier_is_monotone_and_meets_each_target(seed: int) -> None:
    vac, apps = random_instance(12, 60, np.random.default_rng(seed), n_communes=2, n_landlords=2)
    problem = build_problem(vac, apps, Quotas(), CHARTER, k=None)
    alphas = (0.0, 0.25, 0.5, 0.75)
    curve = frontier(problem, alphas, method="mip")
    assert curve["target"].tolist() == list(alphas)
    # Each target tightens the previous one: the exact optimum can only decrease.
    assert (np.diff(curve["objective"].to_numpy()) <= 1e-9).all()
    reached = curve.dropna(subset=["share"])
    assert (reached["share"] >= reached["target"] - 1e-9).all()
    assert curve.loc[0, "score_given_up"] == 0.0


def test_frontier_per_landlord_uses_only_its_vacancies() -> None:
    vac, apps = random_instance(16, 80, np.random.default_rng(3), n_communes=2, n_landlords=2)
    problem = build_problem(vac, apps, Quotas(), CHARTER, k=None)
    landlord = str(vac.landlord[0])
    curve = frontier(problem, (0.0, 0.5), landlord=landlord, method="mip")
    n_own = int((vac.landlord == landlord).sum())
    assert (curve["attributions"] <= n_own).all()
    assert (curve["attributions_outside_qpv"] <= curve["attributions"]).all()
    assert set(zip(curve["level"], curve["group"], strict=True)) == {("bailleur", landlord)}


def test_frontier_target_replaces_the_scenario_targets() -> None:
    """A frontier point at target alpha is the optimum with that Q1 target *instead of* the
    scenario's Q1 targets (EPCI and per landlord): at alpha = 0 it equals HiGHS's exact optimum
    of the same problem without any Q1 target, even when the scenario asks 50 % everywhere."""
    from dataclasses import replace

    from mixite.allocation.optimise import solve_mip

    vac, apps = random_instance(16, 80, np.random.default_rng(5), n_communes=2, n_landlords=2)
    strict = Quotas(q1_outside_qpv=0.5, q1_outside_qpv_landlord=0.5)
    problem = build_problem(vac, apps, strict, CHARTER, k=None)
    free = replace(problem, quotas=Quotas())
    curve = frontier(problem, (0.0,), method="mip")
    assert curve.loc[0, "objective"] == pytest.approx(solve_mip(free).objective, abs=1e-9)

    landlord = str(vac.landlord[0])
    curve_landlord = frontier(problem, (0.0,), landlord=landlord, method="mip")
    keep = vac.landlord[problem.pairs.vacancy] == landlord
    sub = build_problem(vac, apps, Quotas(), CHARTER, k=None)
    sub_pairs = replace(
        sub.pairs,
        vacancy=sub.pairs.vacancy[keep],
        application=sub.pairs.application[keep],
        weight=sub.pairs.weight[keep],
        effort=sub.pairs.effort[keep],
        rank=sub.pairs.rank[keep],
    )
    expected = solve_mip(replace(sub, built_pairs=sub_pairs)).objective
    assert curve_landlord.loc[0, "objective"] == pytest.approx(expected, abs=1e-9)
