"""Attribution objectives of the partners: their own, or a share of the EPCI's.

Two kinds of objective, two functions (docs/droit.md §2):

- ``own_objectives``: an obligation that falls on each partner on its own attributions (25 % to
  DALO and priority households for each reservataire other than the State and for each
  landlord's non-reserved stock, CCH art. L441-1): objective_i = ceil(rate_i × attributions_i),
  with the partner's own rate (its CIA commitment, else the territory's, else the national
  one). Nothing is pooled or redistributed: four reservataires with 10 attributions each owe 3
  each, not 10 spread as 3, 3, 2, 2.
- ``split_objective``: an objective the law sets for the EPCI and the CIA spreads between
  landlords (25 % of the attributions outside QPV to the first quartile, L441-1 and L441-1-6).

The CIA (CCH art. L441-1-6) turns the EPCI objectives into quantified annual commitments per
landlord. Three documented methods are offered; each returns whole numbers of attributions per
partner that add up exactly to the EPCI objective when it is reachable.

- ``proportionnel``: each partner carries the target rate on its own expected attributions
  (objective_i ∝ expected_i). Simple, but blind to what each partner can really do.
- ``plafonne``: as above, but no partner is asked more than its attainable maximum (room for
  manoeuvre: cap_i = attainable_share_i × expected_i); what a capped partner cannot carry is
  redistributed to the others in proportion to their remaining room ("water-filling").
- ``effort``: every partner closes the same fraction λ of the distance between what it achieved
  last year and its attainable maximum (objective_i = achieved_i + λ (cap_i − achieved_i)), with λ
  chosen so that the total equals the EPCI objective. Partners already near their maximum are
  asked little; those with room are asked more.

Rounding uses the largest-remainder (Hamilton) method under the caps, so the sum is exact.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.choices import SPLIT_METHODS
from mixite.errors import ConfigError

Method = Literal["proportionnel", "plafonne", "effort"]
METHODS = SPLIT_METHODS

__all__ = [
    "METHODS",
    "Method",
    "epci_objective",
    "largest_remainder",
    "own_objectives",
    "split_objective",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def epci_objective(rate: float, expected_total: float) -> int:
    """Number of attributions the EPCI must reach: ceil(rate × expected attributions).

    Rounded up as for the legal shortfall (``docs/droit.md`` §2.1 (Objectif hors QPV)), with a tolerance for
    floating-point noise (0.25 × 400 is exactly 100, not 101).
    """
    return math.ceil(rate * expected_total - 1e-9)


def own_objectives(partners: pd.DataFrame) -> pd.DataFrame:
    """Each partner's objective on its own attributions: ceil(rate × expected), never pooled.

    ``partners`` has columns ``partner``, ``expected`` (the partner's expected attributions, all
    of them for the priority objective) and ``rate`` (the partner's own target: its commitment,
    else the territory's adapted rate, else the national one; ``indicators.quotas.targets``).
    Returns the input with ``objective`` (whole attributions, rounded up as the legal shortfall,
    docs/droit.md §2.1) and ``objective_rate`` (objective / expected, NaN without attributions).
    """
    frame = partners.reset_index(drop=True).copy()
    expected = frame["expected"].to_numpy(dtype=np.float64)
    if (expected < 0).any():
        raise ConfigError("Les attributions attendues par partenaire doivent être positives.")
    rate = frame["rate"].to_numpy(dtype=np.float64)
    objective = np.ceil(rate * expected - 1e-9).astype(np.int64)
    frame["objective"] = objective
    frame["objective_rate"] = np.where(
        expected > 0, objective / np.where(expected > 0, expected, 1), np.nan
    )
    return frame


def largest_remainder(quotas: FloatArray, total: int, caps: IntArray | None = None) -> IntArray:
    """Integers close to ``quotas`` summing to ``total``, each ≤ its cap (Hamilton method).

    Floors first, then one more unit to the largest fractional parts among partners below their
    cap (ties broken by index, so the result is deterministic).
    """
    quotas = np.asarray(quotas, dtype=np.float64)
    base = np.floor(quotas + 1e-9).astype(np.int64)
    if caps is not None:
        base = np.minimum(base, caps)
    remaining = total - int(base.sum())
    if remaining < 0:
        raise ValueError("les quotas arrondis dépassent le total")
    fractions = quotas - base
    order = np.lexsort((np.arange(len(quotas)), -fractions))
    out = base.copy()
    while remaining > 0:
        progressed = False
        for i in order:
            if remaining == 0:
                break
            if caps is None or out[i] < caps[i]:
                out[i] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            raise ValueError("le total dépasse la somme des plafonds")
    return out


def _water_fill(expected: FloatArray, caps: FloatArray, total: float) -> FloatArray:
    """Proportional shares of ``total`` by ``expected``, capped, the excess re-spread."""
    alloc = np.zeros_like(expected)
    free = np.ones(len(expected), dtype=bool)
    left = total
    for _ in range(len(expected) + 1):
        weights = np.where(free, expected, 0.0)
        if left <= 1e-12 or weights.sum() <= 0:
            break
        trial: FloatArray = alloc + left * weights / weights.sum()
        over = free & (trial > caps + 1e-12)
        if not over.any():
            return trial
        alloc[over] = caps[over]
        free &= ~over
        left = total - alloc.sum()
    return alloc


def split_objective(
    partners: pd.DataFrame,
    rate: float,
    method: Method = "proportionnel",
) -> pd.DataFrame:
    """Objectives per partner for one EPCI target rate.

    ``partners`` has columns ``partner`` (name or code), ``expected`` (expected attributions of
    the year in the scope of the objective, e.g. outside QPV), and for ``plafonne``/``effort``
    ``attainable_share`` (room for manoeuvre, 0–1) and for ``effort`` ``achieved`` (attributions
    of the target public last year, scaled to the expected volume). Returns the input with
    ``objective`` (whole attributions), ``objective_rate`` (objective / expected) and ``cap``;
    ``attrs["reachable"]`` tells whether the EPCI total could be met and ``attrs["total"]`` is it.
    """
    if method not in METHODS:
        raise ConfigError(
            f"Méthode de répartition inconnue « {method} ». Méthodes : {', '.join(METHODS)}."
        )
    frame = partners.reset_index(drop=True).copy()
    expected = frame["expected"].to_numpy(dtype=np.float64)
    if (expected < 0).any():
        raise ConfigError("Les attributions attendues par partenaire doivent être positives.")
    total = epci_objective(rate, float(expected.sum()))
    if method == "proportionnel":
        cap = np.floor(expected + 1e-9).astype(np.int64)
        quotas = rate * expected
    else:
        share = frame["attainable_share"].to_numpy(dtype=np.float64).clip(0.0, 1.0)
        cap = np.floor(share * expected + 1e-9).astype(np.int64)
        if method == "plafonne":
            quotas = _water_fill(expected, cap.astype(np.float64), float(total))
        else:
            achieved = np.minimum(frame["achieved"].to_numpy(dtype=np.float64), cap)
            room = cap - achieved
            if room.sum() > 0:
                lam = float(np.clip((total - achieved.sum()) / room.sum(), 0.0, 1.0))
            else:
                lam = 0.0
            quotas = achieved + lam * room
    reachable = int(cap.sum()) >= total
    target = total if reachable else int(cap.sum())
    quotas = np.minimum(quotas, cap)
    if quotas.sum() > target:
        quotas = quotas * target / quotas.sum()
    objective = largest_remainder(quotas, target, cap)
    frame["cap"] = cap
    frame["objective"] = objective
    frame["objective_rate"] = np.where(
        expected > 0, objective / np.where(expected > 0, expected, 1), np.nan
    )
    frame.attrs["total"] = total
    frame.attrs["reachable"] = reachable
    frame.attrs["method"] = method
    return frame
