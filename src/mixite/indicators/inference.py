"""Is a gap to a legal target more than noise? Exact binomial inference on attribution shares.

The attributions of a year are treated as n independent draws with an unknown probability p of
going to the target public (Q1 or NPNRU outside QPV, non-Q1 in QPV, DALO/priority). For an observed
count k out of n:

* ``clopper_pearson`` gives the exact (Clopper-Pearson, 1934) two-sided confidence interval for p,
  from the Beta quantiles; it is conservative (coverage ≥ the nominal level);
* ``wilson`` gives the Wilson (1927) score interval, narrower, for comparison;
* ``p_value_below`` is the one-sided exact binomial test of H0 « p ≥ target » against
  « p < target »: P(X ≤ k) with X ~ B(n, target). A small p-value means that a share this low is
  unlikely if the partner really attributed at the target rate: the shortfall is not noise.

All functions are vectorised over numpy arrays and agree with ``scipy.stats.binomtest``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

__all__ = ["clopper_pearson", "p_value_below", "wilson"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def clopper_pearson(k: Any, n: Any, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Exact two-sided interval (lower, upper) for a proportion; NaN where ``n`` is 0."""
    k_ = np.asarray(k, dtype="float64")
    n_ = np.asarray(n, dtype="float64")
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(k_ > 0, stats.beta.ppf(alpha / 2, k_, n_ - k_ + 1), 0.0)
        upper = np.where(k_ < n_, stats.beta.ppf(1 - alpha / 2, k_ + 1, n_ - k_), 1.0)
    empty = n_ <= 0
    return (
        np.where(empty, np.nan, lower).astype("float64"),
        np.where(empty, np.nan, upper).astype("float64"),
    )


def wilson(k: Any, n: Any, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval (lower, upper) for a proportion; NaN where ``n`` is 0."""
    k_ = np.asarray(k, dtype="float64")
    n_ = np.asarray(n, dtype="float64")
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k_ / n_
        centre = (p + z * z / (2 * n_)) / (1 + z * z / n_)
        half = z * np.sqrt(p * (1 - p) / n_ + z * z / (4 * n_ * n_)) / (1 + z * z / n_)
    empty = n_ <= 0
    return (
        np.where(empty, np.nan, centre - half).astype("float64"),
        np.where(empty, np.nan, centre + half).astype("float64"),
    )


def p_value_below(k: Any, n: Any, target: Any) -> FloatArray:
    """One-sided exact binomial p-value of « p < target »: P(X ≤ k), X ~ B(n, target).

    NaN where ``n`` is 0.
    """
    k_ = np.asarray(k, dtype="float64")
    n_ = np.asarray(n, dtype="float64")
    t = np.asarray(target, dtype="float64")
    out = stats.binom.cdf(k_, n_, t)
    return np.where(n_ <= 0, np.nan, out).astype("float64")
