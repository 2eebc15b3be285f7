"""Vectorised scoring of applications with a grid, explanations, positions and waiting times.

Score of an application (CCH L441-2-8, décret n° 2019-1378; ``docs/droit.md`` §5 (Cotation de la demande)), in the section
that applies to it (first application or mutation)::

    score = seniority points + Σ rubrics − refusal penalty

* a criterion *counts* when its condition holds and, for a criterion marked ``justifie``, when
  the application's ``priority_justified`` flag is true (the only proof status of the SNE
  extract); otherwise it is declared and counts on the declaration;
* an ``exclusive`` rubric contributes the points of its best counted criterion (the first one
  in grid order on ties), a ``cumulative`` rubric the sum of its counted criteria;
* seniority: ``points_par_mois`` × full months since ``filing_date`` at the reference date,
  capped at ``plafond``;
* refusals: ``penalite_par_refus`` × (refusals − ``franchise``, floored at 0), capped at
  ``penalite_max``.

Everything is computed in hundredths of a point (int64), so explanations add up exactly.
Applications matching ``hors_cotation`` are not scored (score NaN, no rank).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mixite.cotation.fields import (
    FieldSpec,
    FieldValues,
    ScoringContext,
    evaluate_field,
    field_spec,
)
from mixite.cotation.grid import AllOf, Condition, Grid, Leaf, NotOf, Section
from mixite.errors import ConfigError
from mixite.params import Parameters, resolve
from mixite.schema import (
    EMPLOYMENT,
    HOUSING_SITUATIONS,
    PRIORITY_CODES,
    REASONS,
)

__all__ = [
    "DAYS_PER_MONTH",
    "ESTIMATED",
    "OBSERVED",
    "Explanation",
    "ExplanationLine",
    "condition_holds",
    "criterion_counts",
    "describe_condition",
    "explain",
    "positions",
    "refusal_rule",
    "score_applications",
    "similarity_description",
    "waiting_times",
]

_CODE_LABELS: dict[str, dict[str, str]] = {
    "reason": REASONS,
    "housing_situation": HOUSING_SITUATIONS,
    "employment": EMPLOYMENT,
    "priority_codes": PRIORITY_CODES,
}

# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------


def _as_bool(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _leaf_mask(leaf: Leaf, fv: FieldValues, n: int) -> np.ndarray:
    op, value = leaf.op, leaf.value
    if fv.kind == "list":
        assert fv.parents is not None and fv.text is not None
        wanted = value if isinstance(value, tuple) else (value,)
        out = np.zeros(n, dtype=bool)
        hit = pc.is_in(fv.text, value_set=pa.array(wanted, type=fv.text.type))
        out[fv.parents[_as_bool(hit)]] = True
        return out
    if fv.kind == "str":
        assert fv.text is not None
        if op == "in":
            found = pc.is_in(fv.text, value_set=pa.array(value, type=fv.text.type))
        elif op == "==":
            found = pc.equal(fv.text, value)
        else:
            found = pc.not_equal(fv.text, value)
        return np.asarray(_as_bool(found.fill_null(False)) & fv.valid, dtype=bool)
    data = fv.values
    if fv.kind == "date":
        value = np.datetime64(value, "ns")
    if op == "in":
        return np.asarray(np.isin(data, np.asarray(value, dtype=np.float64)) & fv.valid, dtype=bool)
    with np.errstate(invalid="ignore"):
        result = {
            "==": lambda: data == value,
            "!=": lambda: data != value,
            "<": lambda: data < value,
            "<=": lambda: data <= value,
            ">": lambda: data > value,
            ">=": lambda: data >= value,
        }[op]()
    return np.asarray(np.asarray(result, dtype=bool) & fv.valid, dtype=bool)


def _mask(
    cond: Condition, frame: pd.DataFrame, context: ScoringContext, cache: dict[str, FieldValues]
) -> np.ndarray:
    n = len(frame)
    if isinstance(cond, Leaf):
        return _leaf_mask(cond, evaluate_field(frame, cond.field, context, cache), n)
    if isinstance(cond, NotOf):
        return ~_mask(cond.item, frame, context, cache)
    masks = (_mask(item, frame, context, cache) for item in cond.items)
    out = next(masks).copy()
    for m in masks:
        if isinstance(cond, AllOf):
            out &= m
        else:
            out |= m
    return out


def condition_holds(
    cond: Condition, applications: pd.DataFrame, context: ScoringContext
) -> np.ndarray:
    """Boolean mask: the applications for which the grid condition ``cond`` holds."""
    return _mask(cond, applications, context, {})


def _leaves(cond: Condition) -> list[Leaf]:
    if isinstance(cond, Leaf):
        return [cond]
    if isinstance(cond, NotOf):
        return _leaves(cond.item)
    return [leaf for item in cond.items for leaf in _leaves(item)]


_OPS_FR = {
    "==": "=",
    "!=": "≠",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "in": "parmi",
    "contains": "contient",
}


def _value_fr(spec: FieldSpec, value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(_value_fr(spec, v) for v in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    labels = _CODE_LABELS.get(spec.name)
    if labels is not None and isinstance(value, str) and value in labels:
        return f"« {labels[value]} »"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return f"« {value} »" if isinstance(value, str) else str(value)


def describe_condition(cond: Condition) -> str:
    """The condition in French, e.g. « motif principal de la demande = « procédure d'expulsion » »."""
    if isinstance(cond, Leaf):
        if cond.field.kind == "bool" and cond.op in ("==", "!=") and isinstance(cond.value, bool):
            positive = cond.value == (cond.op == "==")
            return cond.field.label if positive else f"non ({cond.field.label})"
        return f"{cond.field.label} {_OPS_FR[cond.op]} {_value_fr(cond.field, cond.value)}"
    if isinstance(cond, NotOf):
        return f"non ({describe_condition(cond.item)})"
    joiner = " et " if isinstance(cond, AllOf) else " ou "
    parts = [describe_condition(item) for item in cond.items]
    text = joiner.join(parts)
    return f"({text})" if len(parts) > 1 else text


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Evaluation:
    """Per-application arrays (hundredths of a point) and per-criterion masks."""

    section: np.ndarray  # index into grid.sections
    excluded: np.ndarray
    seniority: np.ndarray
    penalty: np.ndarray
    rubric_cents: dict[tuple[int, int], np.ndarray]
    holds: dict[tuple[int, int, int], np.ndarray]
    counts: dict[tuple[int, int, int], np.ndarray]
    winner: dict[tuple[int, int], np.ndarray]  # exclusive rubrics: index of the retained one
    total: np.ndarray


def _section_index(grid: Grid, mutation: np.ndarray) -> np.ndarray:
    first = grid.sections.index(grid.section_for(False))
    second = grid.sections.index(grid.section_for(True))
    return np.where(mutation, second, first).astype(np.int64)


def _seniority_cents(section: Section, months: np.ndarray) -> np.ndarray:
    """Seniority points (cents) from non-negative whole months (int64)."""
    assert section.seniority is not None
    rule = section.seniority
    cents = months * rule.cents_per_month
    if rule.cap_cents is not None:
        np.minimum(cents, rule.cap_cents, out=cents)
    return cents


def _penalty_cents(section: Section, refusals: np.ndarray) -> np.ndarray:
    """Refusal penalty (cents, positive) from refusal counts (int64)."""
    assert section.refusals is not None
    rule = section.refusals
    cents: np.ndarray = np.maximum(refusals - rule.free, 0) * rule.cents_per_refusal
    if rule.cap_cents is not None:
        np.minimum(cents, rule.cap_cents, out=cents)
    return cents


def _whole(values: np.ndarray) -> np.ndarray:
    """Non-negative int64 from float values (NaN and negatives → 0)."""
    clean: np.ndarray = np.nan_to_num(np.maximum(values, 0), nan=0.0)
    return clean.astype(np.int64)


def _spec(name: str) -> FieldSpec:
    spec = field_spec(name)
    assert spec is not None
    return spec


def _evaluate(frame: pd.DataFrame, grid: Grid, context: ScoringContext) -> _Evaluation:
    n = len(frame)
    cache: dict[str, FieldValues] = {}
    mutation = evaluate_field(frame, _spec("is_mutation"), context, cache).values
    section_of = _section_index(grid, mutation)
    excluded = (
        _mask(grid.excluded, frame, context, cache)
        if grid.excluded is not None
        else np.zeros(n, dtype=bool)
    )
    proof = evaluate_field(frame, _spec("priority_justified"), context, cache).values
    seniority = np.zeros(n, dtype=np.int64)
    penalty = np.zeros(n, dtype=np.int64)
    rubric_cents: dict[tuple[int, int], np.ndarray] = {}
    holds: dict[tuple[int, int, int], np.ndarray] = {}
    counts: dict[tuple[int, int, int], np.ndarray] = {}
    winner: dict[tuple[int, int], np.ndarray] = {}
    total = np.zeros(n, dtype=np.int64)
    months: np.ndarray | None = None
    refusals: np.ndarray | None = None
    for s, section in enumerate(grid.sections):
        rows = section_of == s
        everyone = bool(rows.all())
        if not everyone and not rows.any():
            continue
        part = np.zeros(n, dtype=np.int64)
        if section.seniority is not None:
            if months is None:
                months = _whole(
                    evaluate_field(frame, _spec("seniority_months"), context, cache).values
                )
            np.copyto(seniority, _seniority_cents(section, months), where=rows)
            np.add(part, seniority, out=part)
        for r, rubric in enumerate(section.rubrics):
            masks = []
            for c, criterion in enumerate(rubric.criteria):
                hold = _mask(criterion.condition, frame, context, cache)
                if not everyone:
                    hold &= rows
                count = hold & proof if criterion.justified else hold
                holds[(s, r, c)] = hold
                counts[(s, r, c)] = count
                masks.append(count)
            if rubric.mode == "cumulative":
                acc = np.zeros(n, dtype=np.int64)
                for criterion, count in zip(rubric.criteria, masks, strict=True):
                    np.add(acc, criterion.cents, out=acc, where=count)
            else:
                # Best counted criterion: visit criteria by decreasing points (grid order on
                # ties); the first one counted for an application is its winner.
                order = sorted(range(len(rubric.criteria)), key=lambda i: -rubric.criteria[i].cents)
                best_index = np.full(n, -1, dtype=np.int16)
                assigned = np.zeros(n, dtype=bool)
                for c in order:
                    new = masks[c] & ~assigned
                    best_index[new] = c
                    assigned |= new
                points = np.array([cr.cents for cr in rubric.criteria] + [0], dtype=np.int64)
                acc = points[best_index]  # index -1 selects the trailing 0
                winner[(s, r)] = best_index
            rubric_cents[(s, r)] = acc
            np.add(part, acc, out=part)
        if section.refusals is not None:
            if refusals is None:
                refusals = _whole(evaluate_field(frame, _spec("refusals"), context, cache).values)
            np.copyto(penalty, _penalty_cents(section, refusals), where=rows)
            np.subtract(part, penalty, out=part)
        np.copyto(total, part, where=rows)
    return _Evaluation(
        section_of, excluded, seniority, penalty, rubric_cents, holds, counts, winner, total
    )


def _check_columns(frame: pd.DataFrame) -> None:
    if "application_id" not in frame.columns or "is_mutation" not in frame.columns:
        raise ConfigError(
            "La table des demandes doit contenir au moins les colonnes application_id et "
            "is_mutation (format canonique, voir schema.py)."
        )


def score_applications(
    applications: pd.DataFrame, grid: Grid, context: ScoringContext
) -> pd.DataFrame:
    """Score every application (vectorised; no loop over rows).

    Returns one row per application, in input order, with columns ``application_id``,
    ``section`` (section name), ``excluded`` (hors cotation), ``seniority_points``,
    ``refusal_penalty``, ``score`` (points, NaN when excluded) and ``score_cents`` (int64,
    hundredths of a point, the exact value).
    """
    _check_columns(applications)
    ev = _evaluate(applications, grid, context)
    names = [s.name for s in grid.sections]
    score = ev.total / 100.0
    score[ev.excluded] = np.nan
    return pd.DataFrame(
        {
            "application_id": applications["application_id"].reset_index(drop=True),
            "section": pd.Categorical.from_codes(
                np.asarray(ev.section, dtype=np.int64), categories=pd.Index(names)
            ),
            "excluded": ev.excluded,
            "seniority_points": ev.seniority / 100.0,
            "refusal_penalty": ev.penalty / 100.0,
            "score": score,
            "score_cents": ev.total,
        }
    )


def criterion_counts(
    applications: pd.DataFrame, grid: Grid, context: ScoringContext
) -> pd.DataFrame:
    """How many applications satisfy, and are credited, each criterion.

    Columns: ``section``, ``rubric``, ``criterion``, ``points``, ``justified``,
    ``condition`` (French), ``holds`` (condition satisfied), ``counted`` (points credited,
    i.e. proof present and, in an exclusive rubric, the retained criterion).
    """
    _check_columns(applications)
    ev = _evaluate(applications, grid, context)
    rows = []
    for s, section in enumerate(grid.sections):
        for r, rubric in enumerate(section.rubrics):
            for c, criterion in enumerate(rubric.criteria):
                key = (s, r, c)
                hold = ev.holds.get(key)
                count = ev.counts.get(key)
                if rubric.mode == "exclusive" and count is not None:
                    count = count & (ev.winner[(s, r)] == c)
                credited = count & ~ev.excluded if count is not None else None
                rows.append(
                    {
                        "section": section.name,
                        "rubric": rubric.name,
                        "criterion": criterion.name,
                        "points": criterion.cents / 100.0,
                        "justified": criterion.justified,
                        "condition": describe_condition(criterion.condition),
                        "holds": int((hold & ~ev.excluded).sum()) if hold is not None else 0,
                        "counted": int(credited.sum()) if credited is not None else 0,
                    }
                )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Explanation of one application
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplanationLine:
    """One line of an explanation: ``points`` is what the line adds to the score (0 when the
    condition holds but the criterion is not credited; ``note`` says why)."""

    rubric: str
    criterion: str
    points: Decimal
    credited: bool
    note: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Explanation:
    """Why an application has its score. ``score`` is None for an application hors cotation."""

    application_id: str
    section: str
    excluded: bool
    exclusion_reason: str | None
    score: Decimal | None
    lines: tuple[ExplanationLine, ...]

    def total(self) -> Decimal:
        """Sum of the lines (equals ``score`` for a scored application)."""
        return sum((line.points for line in self.lines), Decimal(0))


def _shown_value(fv: FieldValues, spec: FieldSpec) -> str:
    if fv.kind == "list":
        items = [str(i) for i in fv.labels()]
        return ", ".join(_value_fr(spec, i) for i in items) if items else "aucun"
    if not bool(fv.valid[0]):
        return "non renseigné"
    if fv.kind == "str":
        return _value_fr(spec, str(fv.labels()[0]))
    if fv.kind == "bool":
        return "oui" if bool(fv.values[0]) else "non"
    if fv.kind == "date":
        return pd.Timestamp(fv.values[0]).strftime("%d/%m/%Y")
    value = float(fv.values[0])
    if fv.kind == "int" or value.is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").replace(".", ",")


def _values_of(
    cond: Condition, row: pd.DataFrame, context: ScoringContext, cache: dict[str, FieldValues]
) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for leaf in _leaves(cond):
        if leaf.field.label not in seen:
            fv = evaluate_field(row, leaf.field, context, cache)
            seen[leaf.field.label] = _shown_value(fv, leaf.field)
    return tuple(seen.items())


def _pts(cents: int) -> Decimal:
    return Decimal(cents) / 100


def explain(
    applications: pd.DataFrame, grid: Grid, context: ScoringContext, application_id: str
) -> Explanation:
    """Criterion-by-criterion explanation of one application's score.

    Runs the same vectorised evaluation as ``score_applications`` on that application's row, so
    the lines add up exactly to the score. Lists the seniority points, every criterion whose
    condition holds (credited or not, with the reason) and the refusal penalty.
    """
    _check_columns(applications)
    row = applications.loc[applications["application_id"] == application_id]
    if row.empty:
        raise ConfigError(
            f"Demande « {application_id} » introuvable dans la base. Les numéros des demandes "
            "sont pseudonymisés à l'import : indiquez le pseudonyme affiché par mixite."
        )
    if len(row) > 1:
        raise ConfigError(
            f"La demande « {application_id} » apparaît deux fois dans la table des demandes ; "
            "chaque numéro unique doit être présent une seule fois."
        )
    row = row.reset_index(drop=True)
    ev = _evaluate(row, grid, context)
    cache: dict[str, FieldValues] = {}
    s = int(ev.section[0])
    section = grid.sections[s]
    lines: list[ExplanationLine] = []
    if section.seniority is not None:
        months_fv = evaluate_field(row, _spec("seniority_months"), context, cache)
        months = months_fv.values[0]
        shown = "non renseignée" if math.isnan(months) else str(int(months))
        cap = section.seniority.cap_cents
        cap_note = f", au plus {_n_points(_pts(cap))}" if cap is not None else ""
        lines.append(
            ExplanationLine(
                "Ancienneté",
                "Ancienneté de la demande",
                _pts(int(ev.seniority[0])),
                True,
                f"{_n_points(_pts(section.seniority.cents_per_month))} par mois{cap_note}",
                (("ancienneté de la demande (mois)", shown),),
            )
        )
    for r, rubric in enumerate(section.rubrics):
        for c, criterion in enumerate(rubric.criteria):
            if not bool(ev.holds[(s, r, c)][0]):
                continue
            counted = bool(ev.counts[(s, r, c)][0])
            if rubric.mode == "exclusive":
                retained = counted and int(ev.winner[(s, r)][0]) == c
            else:
                retained = counted
            if retained:
                note = "retenu"
            elif not counted:
                note = "condition remplie, mais justificatif non validé : non compté"
            else:
                note = "non retenu : un critère mieux noté de la même rubrique est retenu"
            lines.append(
                ExplanationLine(
                    rubric.name,
                    criterion.name,
                    _pts(criterion.cents) if retained else Decimal(0),
                    retained,
                    note,
                    _values_of(criterion.condition, row, context, cache),
                )
            )
    if section.refusals is not None:
        refusals_fv = evaluate_field(row, _spec("refusals"), context, cache)
        lines.append(
            ExplanationLine(
                "Refus",
                "Refus de propositions adaptées",
                -_pts(int(ev.penalty[0])),
                bool(ev.penalty[0] > 0),
                refusal_rule(section),
                (("refus de propositions adaptées", _shown_value(refusals_fv, _spec("refusals"))),),
            )
        )
    excluded = bool(ev.excluded[0])
    reason = describe_condition(grid.excluded) if excluded and grid.excluded else None
    return Explanation(
        application_id=application_id,
        section=section.name,
        excluded=excluded,
        exclusion_reason=reason,
        score=None if excluded else _pts(int(ev.total[0])),
        lines=tuple(lines),
    )


def refusal_rule(section: Section) -> str:
    """The refusal rule of a section of the grid, in the words told to the applicant."""
    rule = section.refusals
    if rule is None or rule.cents_per_refusal == 0:
        return "refuser une proposition ne modifie pas la cotation."
    which = (
        "chaque refus" if rule.free == 0 else f"à partir du {rule.free + 1}ᵉ refus, chaque refus"
    )
    cap = (
        f", dans la limite de {_n_points(_pts(rule.cap_cents))} au total"
        if rule.cap_cents is not None
        else ""
    )
    return (
        f"{which} d'une proposition adaptée à vos besoins et à vos capacités retire "
        f"{_n_points(_pts(rule.cents_per_refusal))}{cap}."
    )


# ---------------------------------------------------------------------------------------------
# Position among similar applications and waiting time of similar satisfied applications
# ---------------------------------------------------------------------------------------------


def _group_keys(
    frame: pd.DataFrame, fields: tuple[FieldSpec, ...], context: ScoringContext
) -> pd.DataFrame:
    cache: dict[str, FieldValues] = {}
    keys: dict[str, Any] = {}
    for spec in fields:
        fv = evaluate_field(frame, spec, context, cache)
        if fv.kind == "str":
            text: Any = fv.text  # an Arrow string array: wrapped without copy
            keys[spec.name] = pd.Series(pd.array(text, dtype="str"))
        elif fv.kind == "bool":
            keys[spec.name] = fv.values
        else:
            keys[spec.name] = np.where(fv.valid, fv.values, np.nan)
    return pd.DataFrame(keys)


def _group_ids(
    frame: pd.DataFrame, fields: tuple[FieldSpec, ...], context: ScoringContext
) -> np.ndarray:
    """One int64 id per distinct combination of the ``fields`` values (missing is a value)."""
    cache: dict[str, FieldValues] = {}
    ids = np.zeros(len(frame), dtype=np.int64)
    for spec in fields:
        fv = evaluate_field(frame, spec, context, cache)
        if fv.kind == "str":
            assert fv.text is not None
            encoded = pc.dictionary_encode(fv.text).indices.fill_null(-1)
            codes = np.asarray(encoded.to_numpy(zero_copy_only=False), dtype=np.int64)
        elif fv.kind == "bool":
            codes = fv.values.astype(np.int64)
        else:
            codes = pd.factorize(np.where(fv.valid, fv.values, np.nan))[0].astype(np.int64)
        combined = ids * (int(codes.max(initial=0)) + 2) + (codes + 1)
        ids = pd.factorize(combined)[0].astype(np.int64)
    return ids


def positions(
    applications: pd.DataFrame,
    scores: pd.DataFrame,
    grid: Grid,
    context: ScoringContext,
    similarity: tuple[FieldSpec, ...] | None = None,
) -> pd.DataFrame:
    """Rank of each scored application among similar ones: « rang r sur n ».

    Similar = same section of the grid (first applications and mutations are scored on
    different scales) and same values of the grid's ``similarite`` fields (default: minimum
    typology and first wished commune), or of ``similarity``. Rank 1 = highest score; equal
    scores share the best rank (1, 2, 2, 4). Applications hors cotation get no rank and are not
    counted in n. Columns: ``application_id``, the key fields, ``rank`` and ``group_size``
    (Int64).
    """
    fields = similarity if similarity is not None else grid.similarity
    scored = ~scores["excluded"].to_numpy(dtype=bool)
    section = pd.Categorical(scores["section"]).codes.astype(np.int64)
    keyed = _group_ids(applications, fields, context) * (len(grid.sections) + 1) + section
    groups = pd.factorize(keyed)[0].astype(np.int64)
    rows = np.flatnonzero(scored)
    g = groups[rows]
    cents = scores["score_cents"].to_numpy(dtype=np.int64)[rows]
    order = np.lexsort((-cents, g))
    g_sorted, c_sorted = g[order], cents[order]
    index = np.arange(len(order))
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = g_sorted[1:] != g_sorted[:-1]
    new_score = new_group.copy()
    new_score[1:] |= c_sorted[1:] != c_sorted[:-1]
    group_first = np.maximum.accumulate(np.where(new_group, index, 0))
    tie_first = np.maximum.accumulate(np.where(new_score, index, 0))
    rank_values = np.zeros(len(scored), dtype=np.int64)
    rank_values[rows[order]] = tie_first - group_first + 1
    sizes = np.bincount(g, minlength=int(groups.max(initial=0)) + 1) if len(g) else g
    size_values = np.zeros(len(scored), dtype=np.int64)
    size_values[rows] = sizes[g] if len(g) else 0
    out = _group_keys(applications, fields, context)
    out.insert(0, "application_id", applications["application_id"].reset_index(drop=True))
    out["rank"] = pd.arrays.IntegerArray(rank_values, ~scored)
    out["group_size"] = pd.arrays.IntegerArray(size_values, ~scored)
    return out


#: Application field → attribution column used to find "similar" attributions.
ATTRIBUTION_KEYS: dict[str, str] = {
    "rooms_min": "rooms",
    "first_wished_commune": "commune",
    "household_size": "household_size",
    "is_mutation": "is_mutation",
    "dalo": "dalo",
    "adults": "adults",
}


#: Mean length of a month in days (a Julian year of 365.25 days over 12): waits in days become
#: months.
DAYS_PER_MONTH = 365.25 / 12

#: How the waiting time of a group was obtained (``method`` column of ``waiting_times``).
OBSERVED = "observe"
ESTIMATED = "estimation"


def waiting_times(
    applications: pd.DataFrame,
    attributions: pd.DataFrame,
    grid: Grid,
    context: ScoringContext,
    years: float | None = None,
    similarity: tuple[FieldSpec, ...] | None = None,
    min_cases: int | None = None,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """The waiting time of similar applications that were satisfied, for each group of similar
    pending applications (décret n° 2019-1378, docs/droit.md §5).

    **Observed** (the law's figure): the mean time from the filing of the application to the
    lease, over the attributions of the group whose application's filing date is known
    (``filing_date`` of the attributions, ``cases`` of them), in months of
    ``DAYS_PER_MONTH`` days. Similar attributions are matched on the similarity fields that have
    an attribution counterpart (``ATTRIBUTION_KEYS``: typology → rooms, first wished commune →
    commune…), i.e. by typology × commune with the default similarity.

    **Fallback**, when fewer than ``min_cases`` similar attributions have a filing date
    (default: parameter ``cotation.delai_attente.cas_minimum`` at the reference date): an
    estimate by stock depletion (Little's law), ``12 × pending similar applications / similar
    attributions per year``, ``years`` being the period the attributions cover (default: the
    number of distinct calendar years of ``lease_date``). It is labelled ``estimation``.

    Returns one row per group of pending applications: the key fields, ``pending``,
    ``attributions_per_year``, ``cases``, ``observed_months`` (NaN without cases),
    ``estimated_months`` (NaN without attribution), ``waiting_months`` (the observed one when
    ``cases >= min_cases``, else the estimate) and ``method`` (``observe``, ``estimation``, or
    None when neither exists).
    """
    fields = similarity if similarity is not None else grid.similarity
    usable = tuple(f for f in fields if f.name in ATTRIBUTION_KEYS)
    if not usable:
        raise ConfigError(
            "Aucun champ de similarité ne correspond à une colonne des attributions : le délai "
            f"d'attente ne peut pas être estimé. Champs utilisables : {', '.join(ATTRIBUTION_KEYS)}."
        )
    if min_cases is None:
        min_cases = int(
            resolve(params).value("cotation.delai_attente.cas_minimum", context.reference_date)
        )
    names = [f.name for f in usable]
    keys = _group_keys(applications, usable, context)
    pending = keys.groupby(names, dropna=False, sort=True).size().rename("pending")
    if years is None:
        lease_years = pd.to_datetime(attributions["lease_date"]).dt.year.dropna().unique()
        years = float(len(lease_years)) if len(lease_years) else 1.0
    matched = pd.DataFrame(
        {name: attributions[ATTRIBUTION_KEYS[name]].to_numpy() for name in names}
    )
    for spec in usable:
        if spec.kind in ("int", "float"):
            matched[spec.name] = matched[spec.name].astype(np.float64)
            keys[spec.name] = keys[spec.name].astype(np.float64)
    lease = pd.to_datetime(attributions["lease_date"]).to_numpy()
    filing = (
        pd.to_datetime(attributions["filing_date"]).to_numpy()
        if "filing_date" in attributions.columns
        else np.full(len(attributions), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    waited = (lease - filing).astype("timedelta64[s]").astype(np.float64) / 86400.0
    matched["waited_months"] = np.where(np.isnat(filing), np.nan, waited / DAYS_PER_MONTH)
    grouped = matched.groupby(names, dropna=False)
    flow = grouped.size().rename("attributed") / years
    observed = grouped["waited_months"].agg(["count", "mean"])
    table = pending.to_frame().join(flow.rename("attributions_per_year"), how="left")
    table = table.join(observed.rename(columns={"count": "cases", "mean": "observed_months"}))
    table["attributions_per_year"] = table["attributions_per_year"].fillna(0.0)
    table["cases"] = table["cases"].fillna(0).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        months = 12.0 * table["pending"].to_numpy() / table["attributions_per_year"].to_numpy()
    table["estimated_months"] = np.where(table["attributions_per_year"] > 0, months, np.nan)
    enough = table["cases"].to_numpy() >= max(min_cases, 1)
    table["waiting_months"] = np.where(
        enough, table["observed_months"].to_numpy(), table["estimated_months"].to_numpy()
    )
    table["method"] = pd.Series(
        [
            OBSERVED if ok else (ESTIMATED if np.isfinite(est) else None)
            for ok, est in zip(enough, table["estimated_months"].to_numpy(), strict=True)
        ],
        index=table.index,
        dtype=object,
    )
    columns = [
        "pending", "attributions_per_year", "cases", "observed_months", "estimated_months",
        "waiting_months", "method",
    ]  # fmt: skip
    return table[columns].reset_index()


def _fr_points(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value.normalize():f}" if value != value.to_integral() else str(int(value))
    return text.replace(".", ",").replace("-", "−")


def _n_points(value: Decimal | None) -> str:
    """« 1 point », « 1,5 point », « 2 points » (French: singular below 2)."""
    if value is None:
        return "—"
    return f"{_fr_points(value)} {'point' if abs(value) < 2 else 'points'}"


def similarity_description(grid: Grid) -> str:
    """What « similar applications » means for the grid (« typologie minimale et même … »)."""
    text = " et même ".join(spec.label for spec in grid.similarity)
    return text + (", dans la même section de la grille" if len(grid.sections) > 1 else "")
