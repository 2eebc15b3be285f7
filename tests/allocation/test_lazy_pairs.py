"""The admissible pairs of an allocation problem are built on first use (the optimiser's), never
by the simulated commissions, and a problem whose pairs were built shares them with the problems
``dataclasses.replace`` derives from it (other quotas)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_optimise import CHARTER, COEFFICIENTS
from test_optimise import hand_applications as applications
from test_optimise import hand_problem as _hand_problem

from mixite.allocation import problem as problem_module
from mixite.allocation.problem import Quotas, build_pairs
from mixite.allocation.simulate import SimulationConfig, simulate_year


def hand_problem() -> problem_module.AllocationProblem:
    """test_optimise's example without quota: two PLUS dwellings at 400 € (one commune), three
    applicants."""
    return _hand_problem(None)


# By hand: every applicant is under the PLUS ceiling (30,000 €) and pays 400 € out of at least
# 1,500 € (effort 27 % < 35 %, (1,500 - 400) / 30 = 36.7 € a day > 12 €): six pairs. Normalised
# scores A0 = 1, A1 = 0, A2 = 0.5, weights 2, 1, 1.5; per dwelling by decreasing weight A0, A2, A1.
def test_pairs_are_built_on_first_use_and_shared_by_replace() -> None:
    problem = hand_problem()
    assert problem.built_pairs is None
    pairs = problem.pairs
    assert pairs.vacancy.tolist() == [0, 0, 0, 1, 1, 1]
    assert pairs.application.tolist() == [0, 2, 1, 0, 2, 1]
    assert pairs.weight.tolist() == pytest.approx([2.0, 1.5, 1.0, 2.0, 1.5, 1.0])
    assert problem.built_pairs is pairs
    other = dataclasses.replace(problem, quotas=Quotas(q1_outside_qpv=0.5))
    assert other.pairs is pairs


def test_unbuilt_pairs_follow_replaced_applications() -> None:
    """Not built yet, the pairs of a problem with other applications are those applications':
    A0 at 31,000 € is above the PLUS ceiling (30,000 €) and has no pair (a copy of pairs built
    on the first applications would still list it)."""
    problem = dataclasses.replace(hand_problem(), applications=applications(31_000.0))
    assert problem.pairs.application.tolist() == [2, 1, 2, 1]


def test_the_simulation_builds_no_pairs_and_gives_the_same_year(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lazy = hand_problem()
    eager = dataclasses.replace(
        lazy,
        built_pairs=build_pairs(
            lazy.vacancies, lazy.applications, CHARTER, COEFFICIENTS, None, lazy.aid
        ),
    )

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulation built the pairs")

    monkeypatch.setattr(problem_module, "build_pairs", forbidden)
    config = SimulationConfig(year=2025, n_candidates=1)
    for seed in (1, 2, 3):
        a = simulate_year(lazy, config, seed)
        b = simulate_year(eager, config, seed)
        assert a.application.tolist() == b.application.tolist()
        assert a.vacancy.tolist() == b.vacancy.tolist()
        assert (a.offers, a.refusals, a.unfilled) == (b.offers, b.refusals, b.unfilled)
        assert len(a.vacancy) >= 1
    assert lazy.built_pairs is None
    assert np.array_equal(eager.pairs.application, [0, 2, 1, 0, 2, 1])
