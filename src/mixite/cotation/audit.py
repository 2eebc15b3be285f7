"""Audit of a cotation grid: who it puts at the top, and who gains or loses against another grid.

All functions take the canonical ``applications`` table and the output of
``score_applications`` (same row order) and return tables; charts and files are in
``report.py``.

Ranking used by the audit: scored applications sorted by score (descending), ties broken by the
older filing date, then by application id; rank 1 is the best. The *top decile* is the first
⌈10 % × scored⌉ ranks; the *top N* the first N ranks, N being the yearly number of attributions
(the applications the grid would put first if the year's attributions followed the cotation
strictly, which the law does not require).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixite.cotation.engine import describe_condition
from mixite.cotation.fields import FieldValues, ScoringContext, evaluate_field, field_spec
from mixite.cotation.grid import Grid

__all__ = [
    "DEFAULT_SENIORITY_BANDS",
    "GROUP_DIMENSIONS",
    "Comparison",
    "audit_groups",
    "audit_ranks",
    "compare_grids",
    "grid_rows",
    "group_labels",
    "score_distribution",
    "yearly_attributions",
]

#: Seniority bands of the audit, in months (presentation choice, not a legal threshold):
#: under 1 year, 1 to 2 years, 2 to 5 years, 5 years or more.
DEFAULT_SENIORITY_BANDS: tuple[int, ...] = (12, 24, 60)

#: Share of the ranking called "top decile".
TOP_DECILE = 0.1

GROUP_DIMENSIONS: dict[str, str] = {
    "q1": "Premier quartile (Q1)",
    "priority": "Public prioritaire L441-1",
    "dalo": "DALO",
    "mutation": "Type de demande",
    "household_size": "Taille du ménage",
    "commune_residence": "Commune de résidence",
    "seniority": "Ancienneté de la demande",
}


def _field(
    frame: pd.DataFrame, name: str, context: ScoringContext, cache: dict[str, FieldValues]
) -> FieldValues:
    spec = field_spec(name)
    assert spec is not None
    return evaluate_field(frame, spec, context, cache)


def _band_labels(bands: tuple[int, ...]) -> list[str]:
    def years(months: int) -> str:
        value = months / 12
        return (f"{value:g}".replace(".", ",")) + (" an" if value == 1 else " ans")

    labels = [f"moins de {years(bands[0])}"]
    labels += [f"de {years(a)} à moins de {years(b)}" for a, b in itertools.pairwise(bands)]
    labels.append(f"{years(bands[-1])} ou plus")
    return labels


def group_labels(
    applications: pd.DataFrame,
    context: ScoringContext,
    bands: tuple[int, ...] = DEFAULT_SENIORITY_BANDS,
) -> pd.DataFrame:
    """One French group label per application and audit dimension (columns = dimensions).

    The ``q1`` dimension is present only when the context has a Q1 threshold and a UC scale.
    """
    cache: dict[str, FieldValues] = {}
    n = len(applications)
    out: dict[str, np.ndarray] = {}
    if context.q1_threshold is not None and context.uc_scale is not None:
        q1 = _field(applications, "q1", context, cache)
        per_uc = _field(applications, "income_per_uc", context, cache)
        out["q1"] = np.where(
            per_uc.valid,
            np.where(q1.values, "Q1", "autres quartiles"),
            "ressources non renseignées",
        ).astype(object)
    prio = _field(applications, "any_priority", context, cache).values
    out["priority"] = np.where(prio, "prioritaire", "non prioritaire").astype(object)
    dalo = _field(applications, "dalo", context, cache).values
    out["dalo"] = np.where(dalo, "DALO", "non DALO").astype(object)
    mutation = _field(applications, "is_mutation", context, cache).values
    out["mutation"] = np.where(mutation, "mutation", "première demande").astype(object)
    size = _field(applications, "household_size", context, cache).values
    size_labels = np.array(
        ["1 personne", "2 personnes", "3 personnes", "4 personnes", "5 personnes ou plus"],
        dtype=object,
    )
    out["household_size"] = size_labels[
        np.clip(np.nan_to_num(size, nan=1).astype(np.int64), 1, 5) - 1
    ]
    commune = _field(applications, "commune_residence", context, cache)
    out["commune_residence"] = np.where(commune.valid, commune.labels(), "non renseignée").astype(
        object
    )
    months = _field(applications, "seniority_months", context, cache).values
    band_names = np.array(_band_labels(bands), dtype=object)
    index = np.searchsorted(
        np.asarray(bands, dtype=np.float64), np.nan_to_num(months, nan=0), side="right"
    )
    out["seniority"] = band_names[index]
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def audit_ranks(applications: pd.DataFrame, scores: pd.DataFrame) -> pd.Series:
    """Rank (Int64, 1 = best) of each scored application; NA for applications hors cotation.

    Order: score descending, then filing date ascending, then application id ascending.
    """
    scored = ~scores["excluded"].to_numpy()
    order = pd.DataFrame(
        {
            "score": -scores["score_cents"].to_numpy(),
            "filing": applications["filing_date"].to_numpy(),
            "id": applications["application_id"].to_numpy(dtype=object),
        }
    ).loc[scored]
    sorted_index = order.sort_values(["score", "filing", "id"], kind="stable").index.to_numpy()
    rank = pd.Series(pd.NA, index=pd.RangeIndex(len(scores)), dtype="Int64")
    rank.iloc[sorted_index] = np.arange(1, len(sorted_index) + 1)
    return rank


def yearly_attributions(attributions: pd.DataFrame, year: int | None = None) -> int:
    """Number of attributions with a lease signed in ``year`` (default: the latest year)."""
    if attributions.empty:
        return 0
    years = pd.to_datetime(attributions["lease_date"]).dt.year
    chosen = int(years.max()) if year is None else year
    return int((years == chosen).sum())


def score_distribution(scores: pd.DataFrame) -> pd.DataFrame:
    """Score statistics per section and overall (scored applications only).

    Columns: ``section``, ``applications``, ``excluded``, ``mean``, ``min``, ``p10``, ``p25``,
    ``median``, ``p75``, ``p90``, ``max``.
    """
    rows = []
    groups = [(name, part) for name, part in scores.groupby("section", sort=False)]
    groups.append(("Ensemble", scores))
    for name, part in groups:
        values = part.loc[~part["excluded"], "score"].to_numpy(dtype=np.float64)
        stats: dict[str, float | int | str] = {
            "section": str(name),
            "applications": len(values),
            "excluded": int(part["excluded"].sum()),
        }
        if len(values):
            q = np.quantile(values, [0.1, 0.25, 0.5, 0.75, 0.9])
            stats |= {
                "mean": float(values.mean()),
                "min": float(values.min()),
                "p10": float(q[0]),
                "p25": float(q[1]),
                "median": float(q[2]),
                "p75": float(q[3]),
                "p90": float(q[4]),
                "max": float(values.max()),
            }
        rows.append(stats)
    columns = ["section", "applications", "excluded", "mean", "min", "p10", "p25", "median"]
    columns += ["p75", "p90", "max"]
    return pd.DataFrame(rows).reindex(columns=columns)


def _top_masks(rank: pd.Series, top_n: int | None) -> tuple[np.ndarray, np.ndarray | None, int]:
    values = rank.to_numpy(dtype=np.float64, na_value=np.nan)
    scored = int((~np.isnan(values)).sum())
    decile = math.ceil(TOP_DECILE * scored)
    with np.errstate(invalid="ignore"):
        in_decile = values <= decile
        in_top = None if top_n is None else values <= top_n
    return in_decile, in_top, decile


def audit_groups(
    applications: pd.DataFrame,
    scores: pd.DataFrame,
    context: ScoringContext,
    top_n: int | None,
    bands: tuple[int, ...] = DEFAULT_SENIORITY_BANDS,
) -> pd.DataFrame:
    """Share of each group among all scored applications, the top decile and the top N.

    Columns: ``dimension``, ``group``, ``applications`` (scored), ``share_all``,
    ``share_top_decile``, ``share_top_n`` (NaN when ``top_n`` is None) and ``ratio_top_n`` =
    share_top_n / share_all (above 1: the grid puts the group ahead).
    """
    labels = group_labels(applications, context, bands)
    rank = audit_ranks(applications, scores)
    in_decile, in_top, _ = _top_masks(rank, top_n)
    scored = ~scores["excluded"].to_numpy()
    frame = labels.loc[scored].copy()
    frame["_decile"] = in_decile[scored]
    frame["_top"] = in_top[scored] if in_top is not None else False
    total = max(int(scored.sum()), 1)
    n_decile = max(int(frame["_decile"].sum()), 1)
    n_top = max(int(frame["_top"].sum()), 1)
    rows = []
    for dim in labels.columns:
        agg = frame.groupby(dim, sort=True).agg(
            applications=("_decile", "size"), decile=("_decile", "sum"), top=("_top", "sum")
        )
        for group, rec in agg.iterrows():
            share_all = rec["applications"] / total
            share_top = rec["top"] / n_top if in_top is not None else math.nan
            rows.append(
                {
                    "dimension": GROUP_DIMENSIONS[dim],
                    "group": str(group),
                    "applications": int(rec["applications"]),
                    "share_all": share_all,
                    "share_top_decile": rec["decile"] / n_decile,
                    "share_top_n": share_top,
                    "ratio_top_n": share_top / share_all if share_all > 0 else math.nan,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Comparison:
    """Two grids on the same applications.

    ``applications``: per application ``application_id``, ``score_a``, ``score_b``, ``rank_a``,
    ``rank_b``, ``places_gained`` (rank_a − rank_b: positive when grid B moves it up),
    ``top_n_a``, ``top_n_b``.
    ``summary``: one row per indicator (``indicator``, ``value``).
    ``groups``: per audit group, ``applications``, ``mean_places_gained``, ``share_gaining``,
    ``share_losing``, ``share_top_n_a``, ``share_top_n_b``.
    """

    applications: pd.DataFrame
    summary: pd.DataFrame
    groups: pd.DataFrame


def compare_grids(
    applications: pd.DataFrame,
    scores_a: pd.DataFrame,
    scores_b: pd.DataFrame,
    context: ScoringContext,
    top_n: int | None,
    bands: tuple[int, ...] = DEFAULT_SENIORITY_BANDS,
) -> Comparison:
    """Who gains and who loses places when grid A is replaced by grid B, and by how many."""
    rank_a = audit_ranks(applications, scores_a)
    rank_b = audit_ranks(applications, scores_b)
    gained = rank_a - rank_b
    n_top = top_n if top_n is not None else 0
    top_a = (rank_a <= n_top).fillna(False).to_numpy(dtype=bool)
    top_b = (rank_b <= n_top).fillna(False).to_numpy(dtype=bool)
    per_app = pd.DataFrame(
        {
            "application_id": applications["application_id"].to_numpy(dtype=object),
            "score_a": scores_a["score"].to_numpy(),
            "score_b": scores_b["score"].to_numpy(),
            "rank_a": rank_a.array,
            "rank_b": rank_b.array,
            "places_gained": gained.array,
            "top_n_a": top_a,
            "top_n_b": top_b,
        }
    )
    both = gained.notna().to_numpy()
    moves = gained.to_numpy(dtype=np.float64, na_value=np.nan)[both]
    summary_rows: list[tuple[str, float]] = [
        ("Demandes cotées par les deux grilles", float(both.sum())),
        ("Demandes qui gagnent des places", float((moves > 0).sum())),
        ("Demandes qui perdent des places", float((moves < 0).sum())),
        ("Demandes au même rang", float((moves == 0).sum())),
        (
            "Déplacement médian (places, en valeur absolue)",
            float(np.median(np.abs(moves))) if len(moves) else math.nan,
        ),
        (
            "Déplacement moyen (places, en valeur absolue)",
            float(np.abs(moves).mean()) if len(moves) else math.nan,
        ),
        ("Plus forte progression (places)", float(moves.max()) if len(moves) else math.nan),
        ("Plus forte baisse (places)", float(moves.min()) if len(moves) else math.nan),
    ]
    if top_n is not None:
        summary_rows += [
            ("Taille N des premiers rangs (attributions annuelles)", float(top_n)),
            (
                "Demandes entrant dans les N premiers avec la grille B",
                float((top_b & ~top_a).sum()),
            ),
            ("Demandes sortant des N premiers avec la grille B", float((top_a & ~top_b).sum())),
        ]
    summary = pd.DataFrame(summary_rows, columns=["indicator", "value"])
    labels = group_labels(applications, context, bands)
    frame = labels.loc[both].copy()
    frame["_moves"] = moves
    frame["_top_a"] = top_a[both]
    frame["_top_b"] = top_b[both]
    n_a = max(int(top_a[both].sum()), 1)
    n_b = max(int(top_b[both].sum()), 1)
    rows = []
    for dim in labels.columns:
        agg = frame.groupby(dim, sort=True).agg(
            applications=("_moves", "size"),
            mean=("_moves", "mean"),
            gaining=("_moves", lambda s: float((s > 0).mean())),
            losing=("_moves", lambda s: float((s < 0).mean())),
            top_a=("_top_a", "sum"),
            top_b=("_top_b", "sum"),
        )
        for group, rec in agg.iterrows():
            rows.append(
                {
                    "dimension": GROUP_DIMENSIONS[dim],
                    "group": str(group),
                    "applications": int(rec["applications"]),
                    "mean_places_gained": float(rec["mean"]),
                    "share_gaining": float(rec["gaining"]),
                    "share_losing": float(rec["losing"]),
                    "share_top_n_a": rec["top_a"] / n_a if top_n is not None else math.nan,
                    "share_top_n_b": rec["top_b"] / n_b if top_n is not None else math.nan,
                }
            )
    return Comparison(per_app, summary, pd.DataFrame(rows))


def grid_rows(grid: Grid) -> pd.DataFrame:
    """The grid as rows: one per criterion, plus the seniority and refusal rules of each section.

    Columns: ``section``, ``rubric``, ``mode``, ``criterion``, ``points``, ``justified`` (bool),
    ``condition`` (the condition in words, ``describe_condition``).
    """
    rows: list[dict[str, object]] = []
    for section in grid.sections:
        if section.seniority is not None:
            cap = section.seniority.cap_cents
            rows.append(
                {
                    "section": section.name,
                    "rubric": "Ancienneté",
                    "mode": "—",
                    "criterion": "points par mois d'ancienneté"
                    + (f" (plafond {cap / 100:g})" if cap is not None else ""),
                    "points": section.seniority.cents_per_month / 100,
                    "justified": False,
                    "condition": "mois pleins depuis le dépôt",
                }
            )
        for rubric in section.rubrics:
            for criterion in rubric.criteria:
                rows.append(
                    {
                        "section": section.name,
                        "rubric": rubric.name,
                        "mode": "exclusive" if rubric.mode == "exclusive" else "cumulative",
                        "criterion": criterion.name,
                        "points": criterion.cents / 100,
                        "justified": criterion.justified,
                        "condition": describe_condition(criterion.condition),
                    }
                )
        if section.refusals is not None:
            rule = section.refusals
            cap = rule.cap_cents
            rows.append(
                {
                    "section": section.name,
                    "rubric": "Refus",
                    "mode": "—",
                    "criterion": f"par refus au-delà de {rule.free}"
                    + (f" (pénalité maximale {cap / 100:g})" if cap is not None else ""),
                    "points": -rule.cents_per_refusal / 100,
                    "justified": False,
                    "condition": "refus d'une proposition adaptée",
                }
            )
    columns = ["section", "rubric", "mode", "criterion", "points", "justified", "condition"]
    return pd.DataFrame(rows, columns=columns)
