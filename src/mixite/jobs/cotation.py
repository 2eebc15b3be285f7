"""Jobs of the cotation: audit a grid on a millésime's applications (and compare two grids),
and explain one application's score to its applicant.

Conventions (store millésime N, ``docs/cotation.md``): applications pending at 31/12/N-1 are
scored at the reference date 1 January N; the Q1 threshold is the one in force in year N (the
year the cotation is used for attributions), from the caller, else the territory's
``q1_overrides``, else the ``seuils_q1`` parameters for its reference EPCI; the yearly number of
attributions N is the count of leases signed in the latest lease year of the attributions table
(year N-1 in store millésime N).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mixite.errors import ConfigError
from mixite.jobs._load import StoreLike, load_names, load_snapshot
from mixite.jobs.results import ApplicantResult, AuditResult, Names

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mixite.cotation.engine import Explanation
    from mixite.cotation.grid import Grid

__all__ = [
    "CotationInputs",
    "applicant",
    "audit",
    "load_inputs",
    "public_waiting_times",
    "resolve_application",
    "simulate",
]


@dataclass(frozen=True)
class CotationInputs:
    """The tables of one millésime that the cotation needs (attributions and territory optional),
    and the names of the territory's codes."""

    millesime: int
    applications: pd.DataFrame
    attributions: pd.DataFrame | None = None
    territory: pd.DataFrame | None = None
    names: Names = field(default_factory=Names)


def load_inputs(store: StoreLike, millesime: int | None = None) -> CotationInputs:
    """The applications of a millésime (the latest one holding applications when None), with
    its attributions and territory when present."""
    snapshot = load_snapshot(
        store, millesime, ("applications", "attributions", "territory"), anchor="applications"
    )
    return CotationInputs(
        snapshot.millesime,
        snapshot.require("applications", "la cotation"),
        snapshot.get("attributions"),
        snapshot.get("territory"),
        load_names(store),
    )


def audit_inputs(
    inputs: CotationInputs,
    grid: Grid,
    other: Grid | None = None,
    q1_threshold: float | None = None,
) -> AuditResult:
    """Score, audit and (with ``other``) compare grids on one millésime's applications."""
    from mixite.cotation.audit import (
        audit_groups,
        compare_grids,
        grid_rows,
        score_distribution,
        yearly_attributions,
    )
    from mixite.cotation.engine import (
        criterion_counts,
        positions,
        score_applications,
        waiting_times,
    )
    from mixite.cotation.fields import reference_context

    context = reference_context(inputs.millesime, inputs.territory, q1_threshold)
    grid.check_date(context.reference_date)
    if other is not None:
        other.check_date(context.reference_date)
    apps = inputs.applications.reset_index(drop=True)
    scores = score_applications(apps, grid, context)
    attributions = inputs.attributions
    top_n = None
    waiting = None
    if attributions is not None and not attributions.empty:
        top_n = yearly_attributions(attributions)
        waiting = waiting_times(apps, attributions, grid, context)
    comparison = None
    if other is not None:
        comparison = compare_grids(
            apps, scores, score_applications(apps, other, context), context, top_n
        )
    from mixite.indicators._common import small_cell_threshold
    from mixite.indicators.outputs_secrecy import protect_cotation

    # The published counts (criteria, waiting times) under statistical secrecy; a mean over
    # fewer attributions than the threshold is masked with them.
    threshold = small_cell_threshold(None, context.reference_date)
    criteria = criterion_counts(apps, grid, context)
    protected = protect_cotation(criteria, waiting, threshold)
    criteria = protected.tables.get("criteria", criteria)
    waiting = protected.tables.get("waiting", waiting)
    return AuditResult(
        grid=grid,
        millesime=inputs.millesime,
        scores=scores,
        distribution=score_distribution(scores),
        groups=audit_groups(apps, scores, context, top_n),
        criteria=criteria,
        grid_rows=grid_rows(grid),
        top_n=top_n,
        waiting=waiting,
        other_grid=other,
        comparison=comparison,
        positions=positions(apps, scores, grid, context),
        names=inputs.names,
    )


def audit(
    store: StoreLike,
    grid: Grid,
    other: Grid | None = None,
    millesime: int | None = None,
    q1_threshold: float | None = None,
) -> AuditResult:
    """The audit of ``grid`` (and its comparison with ``other``) on a millésime of the store."""
    return audit_inputs(load_inputs(store, millesime), grid, other, q1_threshold)


def applicant_of_inputs(
    inputs: CotationInputs,
    grid: Grid,
    application_id: str,
    q1_threshold: float | None = None,
) -> ApplicantResult:
    """What the applicant of ``application_id`` (its pseudonym in the store) is told: the
    explanation of its score, its position, and the observed waiting time of similar satisfied
    applications with the number of attributions behind it (the stock/flow estimate, labelled as
    such, when too few attributions have a known filing date: ``cotation.engine.waiting_times``)."""
    from mixite.cotation.engine import (
        explain,
        positions,
        refusal_rule,
        score_applications,
        similarity_description,
        waiting_times,
    )
    from mixite.cotation.fields import reference_context

    context = reference_context(inputs.millesime, inputs.territory, q1_threshold)
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
    section = grid.sections[[s.name for s in grid.sections].index(explanation.section)]
    row = apps.loc[apps["application_id"] == application_id].iloc[0]
    return ApplicantResult(
        grid=grid,
        explanation=explanation,
        number=application_id,
        application=row,
        position=position,
        waiting=waiting_row,
        refusal_rule=refusal_rule(section),
        similarity=similarity_description(grid),
    )


def resolve_application(inputs: CotationInputs, number: str, base: Path | None) -> str:
    """The store's pseudonym of an application given by its number: the pseudonym itself, or
    the real SNE number turned into its pseudonym with the key beside the base ``base`` (for
    whoever holds the key). Raises a French ``ConfigError`` when neither matches."""
    from mixite.store import key_path, pseudonym_of

    known = set(inputs.applications["application_id"].astype(str))
    if number in known:
        return number
    if base is not None:
        hidden = pseudonym_of(base, number)
        if hidden is not None and hidden in known:
            return hidden
        if hidden is None:
            raise ConfigError(
                f"Demande « {number} » introuvable : la base ne garde que des numéros "
                f"pseudonymisés, et la clé « {key_path(base)} » qui permet de retrouver un "
                "numéro unique n'est pas à côté de la base. Indiquez le pseudonyme affiché "
                "par mixite, ou placez la clé à côté de la base."
            )
    raise ConfigError(
        f"Demande « {number} » introuvable dans la base (ni comme numéro unique, ni comme "
        "pseudonyme). Vérifiez le numéro et le millésime (--millesime)."
    )


def applicant(
    store: StoreLike,
    grid: Grid,
    number: str,
    millesime: int | None = None,
    q1_threshold: float | None = None,
    base: Path | None = None,
) -> ApplicantResult:
    """What the applicant of application ``number`` (its SNE number, resolved with the key
    beside ``base``, or its pseudonym) is told, on a millésime of the store; the letter shows
    the number as given."""
    inputs = load_inputs(store, millesime)
    pseudonym = resolve_application(inputs, number, base)
    result = applicant_of_inputs(inputs, grid, pseudonym, q1_threshold)
    return dataclasses.replace(result, number=number)


#: Identifier of the one application the simulator scores (never stored).
SIMULATED_ID = "simulation"


def simulate(
    grid: Grid,
    situation: Mapping[str, object],
    millesime: int,
    territory: pd.DataFrame | None = None,
) -> Explanation:
    """The score an applicant in ``situation`` would get with ``grid`` on 1 January
    ``millesime``, explained criterion by criterion (``cotation.engine.explain``).

    ``situation`` maps canonical columns of the applications table (``schema.APPLICATIONS``) to
    values; the others are empty (no priority, no refusal). Nothing is stored: the applicant's
    answers live in this one-row table only. The Q1 threshold is the territory's.
    """
    from mixite.cotation.engine import explain
    from mixite.cotation.fields import reference_context
    from mixite.dtypes import canonical
    from mixite.schema import APPLICATIONS

    row: dict[str, object] = {}
    for col in APPLICATIONS.columns:
        if col.dtype == "list":
            row[col.name] = []
        elif col.dtype == "bool":
            row[col.name] = False
        elif col.dtype == "int" and col.name == "refusals":
            row[col.name] = 0
        else:
            row[col.name] = None
    row.update(situation)
    row["application_id"] = SIMULATED_ID
    frame = canonical(pd.DataFrame([row]), APPLICATIONS, check_required=False)
    context = reference_context(millesime, territory)
    grid.check_date(context.reference_date)
    return explain(frame, grid, context, SIMULATED_ID)


def public_waiting_times(inputs: CotationInputs, grid: Grid) -> pd.DataFrame:
    """The waiting time of the territory's satisfied applications by group of similar
    applications (typology × commune with the default similarity), as published to applicants
    (CCH L441-2-8): ``cotation.engine.waiting_times``, without groups of fewer attributions than
    the small-cell threshold in their observed mean (the estimate stands in, labelled as such)."""
    import numpy as np

    from mixite.cotation.engine import ESTIMATED, OBSERVED, waiting_times
    from mixite.cotation.fields import reference_context
    from mixite.indicators._common import small_cell_threshold

    if inputs.attributions is None or inputs.attributions.empty:
        raise ConfigError(
            "La base ne contient aucune attribution : le délai d'attente observé ne peut pas "
            "être calculé. Importez le fichier des attributions."
        )
    context = reference_context(inputs.millesime, inputs.territory)
    table = waiting_times(inputs.applications, inputs.attributions, grid, context)
    secret = small_cell_threshold(None, context.reference_date)
    small = (table["cases"] < secret).to_numpy()
    observed = (table["method"] == OBSERVED).to_numpy()
    estimate = np.isfinite(table["estimated_months"].to_numpy(dtype=float))
    hide = small & observed
    table.loc[hide, "waiting_months"] = table.loc[hide, "estimated_months"]
    method = table["method"].to_numpy(dtype=object, copy=True)
    method[hide & estimate] = ESTIMATED
    method[hide & ~estimate] = None
    table["method"] = method
    table.loc[small, "observed_months"] = float("nan")
    table.loc[small, "cases"] = 0
    columns = ["waiting_months", "method", "cases"]
    keys = [
        c
        for c in table.columns
        if c
        not in (*columns, "pending", "attributions_per_year", "observed_months", "estimated_months")
    ]
    out = table.loc[table["method"].notna(), [*keys, *columns]]
    return out.reset_index(drop=True)
