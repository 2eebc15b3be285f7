"""Building blocks of the generator: income law, UC, dissimilarity, sizes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import lognorm

from mixite.errors import ConfigError
from mixite.household import UcScale
from mixite.synth import load_model, size_profile
from mixite.synth.calibration import dissimilarity
from mixite.synth.menages import IncomeLaw
from mixite.synth.modele import Thresholds, reference_thresholds


def test_income_law_reproduces_the_arrete_quartiles() -> None:
    # Tours Métropole Val de Loire, arrêté 2025: Q1 10,049 €, Q2 14,136 € per UC per year
    law = IncomeLaw.from_thresholds(Thresholds(2025, 10049, 14136, 19404, "test"))
    ref = lognorm(s=law.sigma, scale=np.exp(law.mu))  # SciPy's lognormal as reference
    assert ref.ppf(0.25) == pytest.approx(10049, rel=1e-9)
    assert ref.ppf(0.5) == pytest.approx(14136, rel=1e-9)
    # Q3 of the arrêté is not fitted; the law still lands within 3 % of it
    assert ref.ppf(0.75) == pytest.approx(19404, rel=0.03)


def test_truncated_draws_stay_on_their_side_of_the_threshold() -> None:
    law = IncomeLaw.from_thresholds(Thresholds(2024, 9840, 13926, 19080, "test"))
    rng = np.random.default_rng(0)
    below = rng.random(10_000) < 0.3
    r = law.draw_truncated(rng, below, 9840)
    assert (r[below] < 9840).all() and (r[~below] >= 9840).all()


def test_consumption_units_by_hand() -> None:
    scale = UcScale(1.0, 0.5, 0.3)
    # couple + one teenager + two young children: 1 + 0.5 + 0.5 + 0.3 + 0.3 = 2.6
    uc = scale.units(np.array([3, 1]), np.array([5, 1]))
    assert uc.tolist() == pytest.approx([2.6, 1.0])


def test_dissimilarity_by_hand() -> None:
    # two areas: modest 30/10, others 10/30 → ½(|0.75−0.25| + |0.25−0.75|) = 0.5
    assert dissimilarity({"a": [30, 10], "b": [10, 30]}) == pytest.approx(0.5)
    assert dissimilarity({"a": [5, 10], "b": [10, 20]}) == pytest.approx(0.0)


def test_reference_thresholds_are_the_arrete_values() -> None:
    # values of the yearly arrêtés for Tours Métropole Val de Loire (quartiles_2024/2025.json)
    assert reference_thresholds(2024).q1 == 9840
    assert reference_thresholds(2025).q1 == 10049
    assert load_model()["epci_reference"]["siren"] == "243700754"


def test_size_profiles() -> None:
    assert size_profile("petite").dwellings == 5000
    assert size_profile("moyenne").dwellings == 40000
    assert size_profile("grande").dwellings == 150000
    assert size_profile(dwellings=1_000_000).dwellings == 1_000_000
    with pytest.raises(ConfigError, match="inconnue"):
        size_profile("immense")
    with pytest.raises(ConfigError, match="au moins 200"):
        size_profile(dwellings=10)
