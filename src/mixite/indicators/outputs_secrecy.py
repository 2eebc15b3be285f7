"""Statistical secrecy of the publications other than the diagnostic: the room for manoeuvre,
the cotation audit and the scenarios' objectives (simulated or optimised attributions).

Each publication declares, like ``diagnostic_secrecy``, how its tables publish persons (the
population each count column counts, the shares beside their denominator, the columns that
reveal a count) and is protected by the one secrecy module, ``indicators.secrecy.protect``
(primary and secondary suppression, shares masked when their numerator or complement is small;
``docs/secret-statistique.md``). Counts of dwellings are not protected (CCH art. R411-4, same
rule as the diagnostic).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd

from mixite.indicators.diagnostic_secrecy import quota_shapes
from mixite.indicators.diagnostic_secrecy import structure as diagnostic_structure
from mixite.indicators.secrecy import Count, Part, Protection, Ratio, Shape, Structure, protect

__all__ = [
    "protect_cotation",
    "protect_marges",
    "protect_scenario",
]

#: The dimension of each level of the room for manoeuvre (``indicators.marges``).
_MARGES_DIMS = {
    "epci": None,
    "bailleur": "landlord_id",
    "commune": "commune",
    "residence": "residence_id",
}


def _marges_place(row: Mapping[str, Any]) -> dict[str, str]:
    dim = _MARGES_DIMS.get(str(row["level"]))
    return {} if dim is None else {dim: str(row["group"])}


def _marges_group(row: Mapping[str, Any]) -> dict[str, str]:
    """The group of applicants a row counts: the Q1 applicants who can reach this group's
    dwellings (the same applicants are counted for every group: no sum across groups)."""
    out = {"marges_group": f"{row['level']}:{row['group']}"}
    if "size_class" in row:
        out["size_class"] = str(row["size_class"])
    return out


def protect_marges(
    groups: pd.DataFrame,
    by_size: pd.DataFrame,
    threshold: int,
    dwellings: pd.DataFrame | None = None,
) -> Protection:
    """The published tables of the room for manoeuvre (``groups``: one row per EPCI, landlord,
    commune and residence; ``by_size``: per group and household size) with primary and secondary
    suppression: the Q1 applicants who can reach each group (by size, and their complements),
    and the attributions outside QPV realised (which add up from residences to communes and
    landlords to the EPCI) with the share of them that went to Q1 applicants."""
    shapes = {
        "groups": (
            Shape(
                row_dims=_marges_group,
                counts=(Count("q1_applicants_ok", "q1:accès"),),
                follows={
                    "attainable_q1": ("q1_applicants_ok",),
                    "attainable_share": ("q1_applicants_ok",),
                    "loss_demand": ("q1_applicants_ok",),
                },
                margins=(),
            ),
            Shape(
                row_dims=_marges_place,
                counts=(Count("achieved_attributions", "attributions:hors_qpv"),),
                # the residences' rows have no attributions realised (not computed there)
                where={"level": ("epci", "bailleur", "commune")},
                ratios=(
                    Ratio("achieved_share", "attributions:hors_qpv:q1", "attributions:hors_qpv"),
                ),
            ),
        ),
        "by_size": (
            Shape(
                row_dims=_marges_group,
                counts=(
                    Count("q1_applicants", "q1"),
                    Count("q1_applicants_sized", "q1:adapté"),
                    Count("q1_applicants_ok", "q1:accès"),
                ),
                ratios=(Ratio("share_ok", "q1:accès", "q1"),),
                parts=(Part("q1:adapté", "q1"), Part("q1:accès", "q1:adapté")),
                margins=("size_class",),
            ),
        ),
    }
    base = diagnostic_structure(dwellings)
    relations = Structure(
        hierarchies=(*base.hierarchies, ("size_class",), ("marges_group",)),
        identities=(),
        implied=base.implied,
    )
    return protect({"groups": groups, "by_size": by_size}, shapes, relations, threshold)


def _waiting_dims(keys: tuple[str, ...]) -> Any:
    def dims(row: Mapping[str, Any]) -> dict[str, str]:
        return {k: str(row[k]) for k in keys}

    return dims


def protect_cotation(
    criteria: pd.DataFrame | None, waiting: pd.DataFrame | None, threshold: int
) -> Protection:
    """The cotation audit's tables of counts with primary and secondary suppression: the
    applications meeting and credited with each criterion (``criteria``), and the waiting times
    of similar applications (``waiting``: pending applications and similar attributions per
    group, the observed mean and the stock/flow estimate following them)."""
    frames: dict[str, pd.DataFrame] = {}
    shapes: dict[str, tuple[Shape, ...]] = {}
    if criteria is not None and len(criteria):
        frames["criteria"] = criteria
        shapes["criteria"] = (
            Shape(
                dims=("section", "rubric", "criterion"),
                counts=(
                    Count("holds", "demandes:condition"),
                    Count("counted", "demandes:créditées"),
                ),
                parts=(Part("demandes:créditées", "demandes:condition"),),
                margins=(),
            ),
        )
    if waiting is not None and len(waiting):
        counts = ("pending", "attributions_per_year", "cases")
        derived = ("observed_months", "estimated_months", "waiting_months", "method")
        keys = tuple(c for c in waiting.columns if c not in (*counts, *derived))
        frames["waiting"] = waiting
        shapes["waiting"] = (
            Shape(
                row_dims=_waiting_dims(keys),
                counts=(
                    Count("pending", "demandes"),
                    # attributions per year: whole when the attributions cover one year
                    Count("attributions_per_year", "attributions"),
                    Count("cases", "attributions:dépôt_connu"),
                ),
                follows={
                    "observed_months": ("cases",),
                    "estimated_months": ("pending", "attributions_per_year"),
                    "waiting_months": ("observed_months", "estimated_months"),
                },
                margins=(),
                integral=False,
            ),
        )
    return protect(frames, shapes, Structure(), threshold)


#: Columns of a scenario's quota table that reveal its counts (the replicates' interval).
_SCENARIO_FOLLOWS = ("share_low", "share_high")


def protect_scenario(indicators: pd.DataFrame, threshold: int) -> Protection:
    """A scenario's objectives (``jobs.allocation.run_scenario``: the quota table of the
    simulated or optimised attributions, long format) with primary and secondary suppression,
    as the diagnostic's quota table (``diagnostic_secrecy.quota_shapes``). A simulation's counts
    are means over replicates, not whole numbers: a mean strictly between 0 and the threshold
    is masked. The optimum without objectives (``attributions_free``, ``outside_qpv_free``)
    counts attributions too."""
    present = set(indicators.columns)
    whole = all(
        bool((pd.to_numeric(indicators[c], errors="coerce").dropna() % 1 == 0).all())
        for c in ("denominator", "numerator")
        if c in present
    )
    extra = tuple(
        Count(column, measure)
        for column, measure in (
            ("attributions_free", "sans_objectifs:attributions"),
            ("outside_qpv_free", "sans_objectifs:attributions:hors_qpv"),
        )
        if column in present
    )
    shapes = tuple(
        dataclasses.replace(
            shape,
            counts=(*shape.counts, *extra),
            follows={
                **shape.follows,
                **{c: ("numerator", "denominator") for c in _SCENARIO_FOLLOWS},
            },
            integral=whole,
        )
        for shape in quota_shapes()
    )
    return protect(
        {"indicators": indicators},
        {"indicators": shapes},
        diagnostic_structure(None),
        threshold,
    )
