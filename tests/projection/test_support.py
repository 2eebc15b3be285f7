"""Social support: a shift of the refusal logit of offers outside QPV (the projection's hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest

from mixite.allocation.simulate import AcceptanceModel


def test_the_shift_moves_the_logit() -> None:
    model = AcceptanceModel(intercept=-2.2, effort=6.0, rank=0.5, qpv=0.7)
    zeros = np.zeros(2)
    base = model.refusal_probability(zeros, zeros, np.zeros(2, bool))
    shifted = model.refusal_probability(zeros, zeros, np.zeros(2, bool), np.array([-1.0, 0.0]))
    # 1 / (1 + e^2.2) = 0.0998; with a shift of −1: 1 / (1 + e^3.2) = 0.0392.
    assert base[0] == pytest.approx(1 / (1 + np.exp(2.2)))
    assert shifted[0] == pytest.approx(1 / (1 + np.exp(3.2)))
    assert shifted[1] == pytest.approx(base[1])
    # The odds of a refusal are divided by e (2.718) by a shift of −1.
    odds = shifted[0] / (1 - shifted[0]) / (base[0] / (1 - base[0]))
    assert odds == pytest.approx(np.exp(-1.0))
