"""Frontier between the mix objective and priority: the "marges de manœuvre" from the allocation side.

For increasing targets ``alpha`` of the Q1-or-NPNRU share outside QPV (at EPCI level, or for one
landlord only), re-optimise the year's allocation and record the share actually reached and the
priority score given up compared with the allocation without that target. The priority score of
an allocation is the sum of the cotation scores of the households housed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from mixite.allocation.optimise import Method, optimise
from mixite.allocation.problem import AllocationProblem, Pairs
from mixite.errors import ConfigError
from mixite.vocabulary import Level

__all__ = ["frontier"]


def _with_alpha(
    problem: AllocationProblem, alpha: float, landlord: str | None
) -> AllocationProblem:
    """The problem with ``alpha`` as its only Q1-outside-QPV target.

    EPCI: the EPCI target is ``alpha`` and the landlords' own Q1 targets are lifted (the curve is
    what the EPCI as a whole can reach). One landlord: the problem is restricted to that
    landlord's vacancies, whose target is ``alpha``; the EPCI target, which on that restriction
    would be the same ratio, is lifted. The other objectives (non-Q1 in QPV, priority publics)
    stay as the scenario sets them.
    """
    quotas = problem.quotas
    if landlord is None:
        quotas = replace(quotas, q1_outside_qpv=alpha, q1_outside_qpv_landlord=None)
        return replace(problem, quotas=quotas, built_pairs=problem.pairs)
    quotas = replace(quotas, q1_outside_qpv=None, q1_outside_qpv_landlord=alpha)
    keep = (problem.vacancies.landlord == landlord)[problem.pairs.vacancy]
    pairs = Pairs(
        vacancy=problem.pairs.vacancy[keep],
        application=problem.pairs.application[keep],
        weight=problem.pairs.weight[keep],
        effort=problem.pairs.effort[keep],
        rank=problem.pairs.rank[keep],
    )
    return replace(problem, quotas=quotas, built_pairs=pairs)


def frontier(
    problem: AllocationProblem,
    alphas: Sequence[float] = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5),
    landlord: str | None = None,
    method: Method = "auto",
) -> pd.DataFrame:
    """One row per target: share reached, attributions, priority score and the score given up.

    ``landlord=None`` sets the EPCI target; a landlord SIREN restricts the problem to that
    landlord's vacancies and sets its own target (see ``_with_alpha``). Columns: ``level`` and
    ``group`` (the EPCI or the landlord), ``target`` (the Q1 share outside QPV required),
    ``feasible``, ``share`` (reached), ``attributions``, ``attributions_outside_qpv``,
    ``priority_score``, ``score_given_up``, ``objective`` (optimised value) and ``bound`` (its
    upper bound).
    """
    out_of_range = [a for a in alphas if not 0.0 <= float(a) <= 1.0]
    if out_of_range:
        raise ConfigError(
            f"Objectifs {', '.join(map(str, out_of_range))} hors de [0, 1] : donnez des parts, par "
            "exemple 0.25 pour 25 %."
        )
    known = sorted(set(problem.vacancies.landlord.tolist()))
    if landlord is not None and landlord not in known:
        raise ConfigError(
            f"Bailleur « {landlord} » sans logement libéré dans ce scénario. Bailleurs "
            f"présents : {', '.join(known)}."
        )
    rows = []
    base_score: float | None = None
    for alpha in alphas:
        pb = _with_alpha(problem, float(alpha), landlord)
        result = optimise(pb, method)
        v, a = result.vacancy, result.application
        outside = ~pb.vacancies.in_qpv[v]
        share = float(pb.applications.q1_or_npnru[a][outside].mean()) if outside.any() else np.nan
        score = float(pb.applications.score[a].sum())
        if base_score is None:
            base_score = score
        rows.append(
            {
                "level": str(Level.EPCI if landlord is None else Level.LANDLORD),
                "group": "epci" if landlord is None else landlord,
                "target": float(alpha),
                "feasible": result.feasible,
                "share": share,
                "attributions": int(v.size),
                "attributions_outside_qpv": int(outside.sum()),
                "priority_score": score,
                "score_given_up": base_score - score,
                "objective": result.objective,
                "bound": result.bound,
            }
        )
    return pd.DataFrame(rows)
