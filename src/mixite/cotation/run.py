"""End-to-end cotation runs on the tables of one millésime (used by the CLI and the demo).

Conventions (store millésime N, ``docs/cotation.md``): applications pending at 31/12/N-1 are
scored at the reference date 1 January N; the Q1 threshold is the one in force in year N (the
year the cotation is used for attributions), from ``--seuil-q1``, else the territory's
``q1_overrides``, else the ``seuils_q1`` parameters for its reference EPCI; the yearly number of
attributions N is the count of leases signed in the latest lease year of the attributions table
(year N-1 in store millésime N).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from mixite.cotation.audit import (
    audit_groups,
    compare_grids,
    score_distribution,
    yearly_attributions,
)
from mixite.cotation.engine import (
    applicant_text,
    criterion_counts,
    explain,
    positions,
    score_applications,
    waiting_times,
)
from mixite.cotation.fields import ScoringContext, UcScale
from mixite.cotation.grid import Grid
from mixite.cotation.report import AuditResult
from mixite.errors import MixiteError

__all__ = ["CotationInputs", "applicant_report", "audit_millesime", "scoring_context"]


@dataclass(frozen=True)
class CotationInputs:
    """The tables of one millésime that the cotation needs (attributions and territory optional)."""

    millesime: int
    applications: pd.DataFrame
    attributions: pd.DataFrame | None = None
    territory: pd.DataFrame | None = None


def scoring_context(
    inputs: CotationInputs, q1_threshold: float | None = None, uc_scale: UcScale | None = None
) -> ScoringContext:
    """Reference date 1 January of the millésime, UC scale and Q1 threshold when available.

    ``uc_scale`` defaults to the ``uc.*`` parameters at the reference date. A missing UC scale
    or Q1 threshold is not an error here: the engine reports it in French only if the grid
    actually uses ``q1`` or ``ressources_par_uc``.
    """
    reference = dt.date(inputs.millesime, 1, 1)
    scale = uc_scale
    if scale is None:
        try:
            scale = UcScale.from_parameters(reference)
        except MixiteError:
            scale = None
    threshold = q1_threshold
    if threshold is None and inputs.territory is not None and not inputs.territory.empty:
        from mixite.indicators.quotas import q1_threshold as territory_threshold

        try:
            threshold = territory_threshold(inputs.territory, inputs.millesime)
        except MixiteError:
            threshold = None
    return ScoringContext(reference, threshold, scale)


def audit_millesime(
    inputs: CotationInputs,
    grid: Grid,
    other: Grid | None = None,
    q1_threshold: float | None = None,
    uc_scale: UcScale | None = None,
) -> AuditResult:
    """Score, audit and (with ``other``) compare grids on one millésime's applications."""
    context = scoring_context(inputs, q1_threshold, uc_scale)
    grid.check_date(context.reference_date)
    if other is not None:
        other.check_date(context.reference_date)
    apps = inputs.applications.reset_index(drop=True)
    scores = score_applications(apps, grid, context)
    attributions = inputs.attributions
    top_n = (
        yearly_attributions(attributions)
        if attributions is not None and not attributions.empty
        else None
    )
    waiting = (
        waiting_times(apps, attributions, grid, context)
        if attributions is not None and not attributions.empty
        else None
    )
    comparison = None
    if other is not None:
        comparison = compare_grids(
            apps, scores, score_applications(apps, other, context), context, top_n
        )
    return AuditResult(
        grid=grid,
        millesime=inputs.millesime,
        scores=scores,
        distribution=score_distribution(scores),
        groups=audit_groups(apps, scores, context, top_n),
        criteria=criterion_counts(apps, grid, context),
        top_n=top_n,
        waiting=waiting,
        other_grid=other,
        comparison=comparison,
        positions=positions(apps, scores, grid, context),
    )


def applicant_report(
    inputs: CotationInputs,
    grid: Grid,
    application_id: str,
    q1_threshold: float | None = None,
    uc_scale: UcScale | None = None,
) -> str:
    """The text an applicant receives for ``application_id`` (its pseudonym in the store)."""
    context = scoring_context(inputs, q1_threshold, uc_scale)
    grid.check_date(context.reference_date)
    apps = inputs.applications.reset_index(drop=True)
    explanation = explain(apps, grid, context, application_id)
    scores = score_applications(apps, grid, context)
    ranks = positions(apps, scores, grid, context)
    position = ranks.loc[ranks["application_id"] == application_id].iloc[0]
    waiting_row = None
    if inputs.attributions is not None and not inputs.attributions.empty:
        table = waiting_times(apps, inputs.attributions, grid, context)
        keys = [c for c in table.columns if c in ranks.columns]
        match = pd.Series(True, index=table.index)
        for key in keys:
            mine = position[key]
            column = table[key]
            match &= column.isna() if pd.isna(mine) else (column == mine)
        if match.any():
            waiting_row = table.loc[match].iloc[0]
    return applicant_text(explanation, grid, apps, position, waiting_row)
