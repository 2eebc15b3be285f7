"""Statistical secrecy of the publications other than the diagnostic: the room for manoeuvre,
the cotation audit, the scenarios' objectives (simulated or optimised attributions) and the
projection over six years (occupancy, flows, objectives, flux ledger, ledger and relocations,
all in one pass).

Each publication declares, like ``diagnostic_secrecy``, how its tables publish persons (the
population each count column counts, the shares beside their denominator, the columns that
reveal a count) and is protected by the one secrecy module, ``indicators.secrecy.protect``
(primary and secondary suppression, shares masked when their numerator or complement is small;
``docs/secret-statistique.md``). Counts of dwellings are not protected (CCH art. R411-4, same
rule as the diagnostic).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from mixite.indicators.diagnostic_secrecy import ATTRIBUTION_IDENTITIES, quota_shapes
from mixite.indicators.diagnostic_secrecy import structure as diagnostic_structure
from mixite.indicators.secrecy import (
    Count,
    Finding,
    Identity,
    Part,
    Protection,
    Ratio,
    Shape,
    Structure,
    audit,
    protect,
)

__all__ = [
    "OBSERVED",
    "PROJECTION_TABLES",
    "RELOCATION_MEASURES",
    "audit_projection",
    "projection_shapes",
    "projection_structure",
    "protect_cotation",
    "protect_marges",
    "protect_projection",
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


# ---------------------------------------------------------------------------------------------
# The projection
# ---------------------------------------------------------------------------------------------

#: The strategy of the base year's rows: the occupancy observed at 1 January of the millésime
#: and the flows of the year before are the same in every strategy, one set of variables.
OBSERVED = "observé"
_OUTSIDE = "hors QPV"
_IN_QPV = "QPV"
#: The tables of a projection that publish persons (``protect_projection``).
PROJECTION_TABLES = (
    "residences",
    "neighbourhoods",
    "territory",
    "quotas",
    "flux",
    "ledger",
    "relocation",
)

#: The population each count column of the relocation table counts, the year it is counted in
#: being part of the measure (``_year``: the row's year; ``_year_before``: the year before). The
#: households waiting at 1 January of a year are those waiting at 31 December of the year before:
#: one population, published twice, one variable. The year is in the measure, not a dimension,
#: so that the year's identity (``relocation_identities``) can reach the year before.
RELOCATION_MEASURES = {
    "waiting_start": "relogement:restants:{_year_before}",
    "to_relocate": "relogement:nouveaux:{_year}",
    "rehoused": "relogement:reloges:{_year}",
    "rehoused_outside_qpv": "relogement:reloges:hors_qpv:{_year}",
    "rehoused_recent": "relogement:reloges:neuf_recent:{_year}",
    "left": "relogement:sortis:{_year}",
    "waiting_end": "relogement:restants:{_year}",
}
#: Columns of the relocation table never published (their prefix): the rehoused by the planner,
#: all the rehoused under the planner and none under the priority rule, would give a masked
#: count of the rehoused back (the table's caption names the rule instead).
RELOCATION_UNPUBLISHED = "rehoused_planned"
#: Share columns of the relocation table: (numerator, denominator) columns.
_RELOCATION_SHARES = {
    "share_outside_qpv": ("rehoused_outside_qpv", "rehoused"),
    "share_recent": ("rehoused_recent", "rehoused"),
}
#: Shortfalls of the planner's targets, which reveal the counts they fall short of.
_RELOCATION_SHORTFALLS = {
    "shortfall_outside_qpv": ("rehoused_outside_qpv", "rehoused"),
    "shortfall_recent": ("rehoused_recent", "rehoused"),
}


#: A function giving the dimensions of a row.
RowDims = Callable[[Mapping[str, Any]], dict[str, str]]


def _when(base_year: int) -> RowDims:
    """The row's strategy and year as dimensions (``OBSERVED`` for the base year)."""

    def dims(row: Mapping[str, Any]) -> dict[str, str]:
        year = int(float(row["year"]))
        strategy = OBSERVED if year == base_year else str(row["strategy"])
        return {"strategy": strategy, "year": str(year)}

    return dims


def _with_place(when: RowDims, *columns: str) -> RowDims:
    """The row's strategy and year, its unit (``columns``: residence, neighbourhood) and whether
    it lies in a QPV."""

    def dims(row: Mapping[str, Any]) -> dict[str, str]:
        out = when(row)
        for column in columns:
            out[column] = str(row[column])
        out["qpv_status"] = _IN_QPV if bool(row["in_qpv"]) else _OUTSIDE
        return out

    return dims


def _bounds(*columns: str) -> dict[str, tuple[str, ...]]:
    """The replicates' interval of each column follows the column."""
    return {f"{c}{end}": (c,) for c in columns for end in ("_low", "_high")}


def _both(shapes: tuple[Shape, ...], base_year: int) -> tuple[Shape, ...]:
    """Each shape twice: the observed base year (whole counts) and the projected years (means
    over replicates, masked when strictly between 0 and the threshold)."""
    out = []
    for shape in shapes:
        where = dict(shape.where or {})
        for observed in (True, False):
            out.append(
                dataclasses.replace(
                    shape, where={**where, "_observed": (observed,)}, integral=observed
                )
            )
    return tuple(out)


def _occupants(
    dims: RowDims, margins: tuple[str, ...], more: Mapping[str, tuple[str, ...]]
) -> Shape:
    """Occupant households of a unit and its Q1 households (the Q1 share beside them); the
    intervals, the vacant dwellings (dwellings − households − dwellings not let), the fragility
    and the other columns of ``more`` follow the households."""
    follows: dict[str, tuple[str, ...]] = {
        **_bounds("households", "q1_households", "q1_share"),
        "vacant": ("households",),
        **_bounds("vacant"),
        "fragility_index": ("households", "q1_share"),
        **_bounds("fragility_index"),
        "fragility_class": ("fragility_index",),
        **more,
    }
    return Shape(
        row_dims=dims,
        counts=(
            Count("households", "households"),
            Count("q1_households", "households:q1"),
        ),
        ratios=(Ratio("q1_share", "households:q1", "households"),),
        follows=follows,
        margins=margins,
    )


def relocation_identities(years: Iterable[int]) -> tuple[Identity, ...]:
    """The identities of each year of the relocation table: waiting at 1 January (at
    31 December of the year before) + newly to relocate = rehoused + left the stock + waiting at
    31 December, both sides equal to the year's households to relocate (an unpublished total)."""
    out = []
    for year in sorted(set(years)):
        total = f"relogement:total:{year}"
        out.append(
            Identity(total, (f"relogement:restants:{year - 1}", f"relogement:nouveaux:{year}"))
        )
        out.append(
            Identity(
                total,
                (
                    f"relogement:reloges:{year}",
                    f"relogement:sortis:{year}",
                    f"relogement:restants:{year}",
                ),
            )
        )
    return tuple(out)


def projection_structure(relocation_years: Iterable[int] = ()) -> Structure:
    """The identities between the projection's measures (``protect_projection``), with those of
    the relocation table for ``relocation_years``."""
    return Structure(
        hierarchies=(
            ("qpv_status", "neighbourhood", "residence_id"),
            ("landlord_id",),
            ("reservataire",),
            ("flux_type",),
        ),
        identities=(
            *ATTRIBUTION_IDENTITIES,
            Identity("bilan:présents", ("bilan:début", "bilan:entrées")),
            Identity("bilan:présents", ("bilan:fin", "bilan:départs", "bilan:départs_vente")),
            *relocation_identities(relocation_years),
        ),
    )


def _relocation_shapes(when: RowDims) -> tuple[Shape, ...]:
    """How the relocation table (one row per strategy and year, means over replicates) publishes
    households: its counts per strategy, the year in the measure (``RELOCATION_MEASURES``), the
    rehoused outside QPV and in new or recent dwellings parts of the rehoused (their shares
    beside them), intervals and shortfalls following their counts; and the rehoused, the same
    households as the ledger's relocations of the year: the cell also shows the ledger's variable
    (``attributions:relogement`` of the strategy and year, one variable in both tables, masked in
    both or in neither). The table's own variable of the rehoused (in the year's identity) and
    the ledger's are two variables shown in one cell, masked together; the ledger only says
    that its relocations are a part of its attributions (their complement unpublished), so
    equating them would give a reader no more equations."""

    def strategy(row: Mapping[str, Any]) -> dict[str, str]:
        return {"strategy": str(row["strategy"])}

    follows: dict[str, tuple[str, ...]] = {
        **_bounds(*RELOCATION_MEASURES),
        **{
            f"{c}{end}": sources
            for c, sources in _RELOCATION_SHARES.items()
            for end in ("_low", "_high")
        },
        **{
            f"{c}{end}": sources
            for c, sources in _RELOCATION_SHORTFALLS.items()
            for end in ("", "_low", "_high")
        },
    }
    own = Shape(
        row_dims=strategy,
        counts=tuple(Count(c, measure) for c, measure in RELOCATION_MEASURES.items()),
        ratios=tuple(
            Ratio(c, RELOCATION_MEASURES[num], RELOCATION_MEASURES[den])
            for c, (num, den) in _RELOCATION_SHARES.items()
        ),
        parts=tuple(
            Part(RELOCATION_MEASURES[c], RELOCATION_MEASURES["rehoused"])
            for c in ("rehoused_outside_qpv", "rehoused_recent")
        ),
        follows=follows,
        margins=(),
        integral=False,
    )
    ledger = Shape(
        row_dims=when,
        counts=(Count("rehoused", "attributions:relogement"),),
        margins=(),
        integral=False,
    )
    return (own, ledger)


def projection_shapes(base_year: int, with_dwellings: bool = False) -> dict[str, tuple[Shape, ...]]:
    """How the projection's tables publish persons (``protect_projection``)."""
    when = _when(base_year)
    residence = _with_place(when, "residence_id", "neighbourhood")
    neighbourhood = _with_place(when, "neighbourhood")
    roles_follow: dict[str, tuple[str, ...]] = {
        "entry_rate": ("entrants", "households"),
        "external_rate": ("entrants_external", "households"),
        "mutation_out_rate": ("mutations_out", "households"),
        "mean_stay_years": ("households",),
        "stay_years_total": ("households",),
        "entry_ratio": ("entry_rate",),
        "external_ratio": ("external_rate",),
        "mutation_out_ratio": ("mutation_out_rate",),
        "stay_ratio": ("mean_stay_years",),
        **_bounds(
            "entrants",
            "entrants_external",
            "mutations_in",
            "mutations_out",
            "q1_entrants",
            "exits",
            "stay_years_total",
        ),
    }

    def hoods(outside: bool) -> RowDims:
        # The entrants of the neighbourhoods outside (in) QPV add up to the attributions outside
        # (in) QPV, the denominators of the EPCI's Q1 (non-Q1) objective.
        def dims(row: Mapping[str, Any]) -> dict[str, str]:
            out = when(row)
            out["hood_" + ("outside" if outside else "in")] = str(row["neighbourhood"])
            return out

        return dims

    neighbourhood_shapes: tuple[Shape, ...] = (
        _occupants(neighbourhood, ("neighbourhood", "qpv_status"), roles_follow),
        Shape(
            row_dims=neighbourhood,
            # the entrants from outside the social stock and the entrants are published (as
            # rates per household): their difference, the mutations in, is a count too
            counts=(
                Count("entrants", "attributions"),
                Count("entrants_external", "attributions:hors_mutation"),
                Count("mutations_out", "mutations:sortantes"),
                Count("q1_entrants", "attributions:q1"),
            ),
            ratios=(Ratio("q1_entrants_share", "attributions:q1", "attributions"),),
            follows={
                "mutations_in": ("entrants", "entrants_external"),
                "first_time_share": ("entrants", "entrants_external"),
                **_bounds("q1_entrants_share", "first_time_share", "mutations_in"),
            },
            margins=("neighbourhood", "qpv_status"),
        ),
        Shape(
            row_dims=hoods(True),
            counts=(Count("entrants", "attributions:q1_hors_qpv"),),
            margins=("hood_outside",),
            where={"in_qpv": (False,)},
        ),
        Shape(
            row_dims=hoods(False),
            counts=(Count("entrants", "attributions:non_q1_en_qpv"),),
            margins=("hood_in",),
            where={"in_qpv": (True,)},
        ),
    )

    def outside(row: Mapping[str, Any]) -> dict[str, str]:
        return {**when(row), "qpv_status": _OUTSIDE}

    def inside(row: Mapping[str, Any]) -> dict[str, str]:
        return {**when(row), "qpv_status": _IN_QPV}

    territory_shapes: tuple[Shape, ...] = (
        Shape(
            row_dims=when,
            counts=(Count("households", "households"), Count("_q1", "households:q1")),
            ratios=(Ratio("q1_share", "households:q1", "households"),),
            follows={
                **_bounds("households", "q1_share"),
                "vacant": ("households",),
                **_bounds("vacant"),
            },
        ),
        Shape(
            row_dims=outside,
            counts=(
                Count("_households_outside", "households"),
                Count("_q1_outside", "households:q1"),
            ),
            ratios=(Ratio("q1_share_outside_qpv", "households:q1", "households"),),
            follows=_bounds("q1_share_outside_qpv"),
        ),
        Shape(
            row_dims=inside,
            counts=(Count("_households_in", "households"), Count("_q1_in", "households:q1")),
            ratios=(Ratio("q1_share_in_qpv", "households:q1", "households"),),
            follows=_bounds("q1_share_in_qpv"),
        ),
    )
    quota_follows = {
        **_bounds("denominator", "numerator", "share"),
        "share_low": ("numerator", "denominator"),
        "share_high": ("numerator", "denominator"),
    }
    quotas = tuple(
        dataclasses.replace(shape, follows={**shape.follows, **quota_follows}, integral=False)
        for shape in quota_shapes(when)
    )

    def flux_dims(row: Mapping[str, Any]) -> dict[str, str]:
        return {
            **when(row),
            "landlord_id": str(row["landlord_id"]),
            "flux_type": str(row["reservataire"]),
        }

    flux = (
        Shape(
            row_dims=flux_dims,
            counts=(
                # the reservataires' types of a landlord list all its attributions of the year
                Count("delivered", "attributions"),
                Count("_landlord_total", "attributions", over=("strategy", "year", "landlord_id")),
            ),
            follows={
                "entitled": ("_landlord_total",),
                "balance": ("delivered", "entitled"),
                **_bounds("delivered", "entitled", "balance"),
            },
            margins=("flux_type",),
            integral=False,
        ),
    )
    ledger = (
        Shape(
            row_dims=when,
            counts=(
                Count("households_start", "bilan:début"),
                Count("new_households", "bilan:entrées"),
                Count("new_households", "attributions:hors_mutation"),
                Count("exits", "bilan:départs"),
                Count("exits_sale", "bilan:départs_vente"),
                Count("households_end", "bilan:fin"),
                Count("households_end", "households"),
                Count("attributions", "attributions"),
                Count("attributions_mutation", "attributions:mutation"),
                Count("attributions_mutation", "mutations:sortantes"),
                Count("relocations", "attributions:relogement"),
            ),
            parts=(Part("attributions:relogement", "attributions"),),
            follows={
                "occupied_end": ("households_end",),
                **_bounds(
                    "households_start",
                    "new_households",
                    "exits",
                    "exits_sale",
                    "households_end",
                    "attributions",
                    "attributions_mutation",
                    "relocations",
                    "occupied_end",
                ),
            },
            integral=False,
        ),
    )
    shapes: dict[str, tuple[Shape, ...]] = {
        "residences": _both(
            (_occupants(residence, ("residence_id", "neighbourhood", "qpv_status"), {}),),
            base_year,
        ),
        "neighbourhoods": _both(neighbourhood_shapes, base_year),
        "territory": _both(territory_shapes, base_year),
        "quotas": quotas,
        "flux": flux,
        "ledger": ledger,
        "relocation": _relocation_shapes(when),
    }
    if with_dwellings:
        for name, dims in (
            ("residences", residence),
            ("neighbourhoods", neighbourhood),
            ("territory", when),
        ):
            stock = Shape(
                row_dims=dims,
                counts=(Count("dwellings", "dwellings"), Count("vacant", "dwellings:vacants")),
                parts=(Part("dwellings:vacants", "dwellings"),),
                follows={**_bounds("dwellings", "vacant"), "rent_m2": ("dwellings",)},
                margins=(
                    ("residence_id", "neighbourhood", "qpv_status")
                    if name == "residences"
                    else ("neighbourhood", "qpv_status")
                    if name == "neighbourhoods"
                    else ()
                ),
            )
            shapes[name] = (*shapes[name], *_both((stock,), base_year))
    return shapes


def _helpers(
    tables: Mapping[str, pd.DataFrame], base_year: int, known: bool = True
) -> dict[str, pd.DataFrame]:
    """The tables with the columns the shapes read beyond the published ones: whether a row is
    the observed base year, the territory's households and Q1 households in and outside QPV
    (sums of the neighbourhoods': the territory's shares are means over replicates of ratios,
    their numerators the means of the counts) and each landlord's attributions in the flux
    ledger."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        frame = frame.copy()
        frame["_observed"] = [int(float(y)) == base_year for y in frame["year"]]
        if name == "relocation":  # the years of its measures (``RELOCATION_MEASURES``)
            frame["_year"] = [int(float(y)) for y in frame["year"]]
            frame["_year_before"] = frame["_year"] - 1
        out[name] = frame
    hoods = out.get("neighbourhoods")
    territory = out.get("territory")
    if not known:  # as a reader sees them: not written
        if territory is not None:
            for column in ("_q1", "_households_outside", "_q1_outside", "_households_in", "_q1_in"):
                territory[column] = float("nan")
        if "flux" in out:
            out["flux"]["_landlord_total"] = float("nan")
        return out
    if hoods is not None and territory is not None:
        keys = ["strategy", "year"]
        sums = hoods.assign(year=hoods["year"].astype(float))
        total = sums.groupby(keys)[["households", "q1_households"]].sum()
        by_status = sums.groupby([*keys, "in_qpv"])[["households", "q1_households"]].sum()
        index = pd.MultiIndex.from_arrays(
            [territory["strategy"], territory["year"].astype(float)], names=keys
        )
        territory["_q1"] = total["q1_households"].reindex(index).to_numpy()
        for flag, suffix in ((False, "outside"), (True, "in")):
            part = (
                by_status.xs(flag, level="in_qpv")
                if flag in set(by_status.index.get_level_values("in_qpv"))
                else pd.DataFrame(columns=["households", "q1_households"])
            )
            territory[f"_households_{suffix}"] = part["households"].reindex(index).to_numpy()
            territory[f"_q1_{suffix}"] = part["q1_households"].reindex(index).to_numpy()
    flux = out.get("flux")
    if flux is not None and len(flux):
        flux["_landlord_total"] = flux.groupby(["strategy", "year", "landlord_id"])[
            "delivered"
        ].transform("sum")
    return out


def protect_projection(
    tables: Mapping[str, pd.DataFrame],
    base_year: int,
    threshold: int,
    with_dwellings: bool = False,
) -> Protection:
    """The projection's published tables with primary and secondary suppression, all the
    strategies at once (``PROJECTION_TABLES``, each with a ``strategy`` and a ``year`` column):

    * ``residences`` (``residence_id``, ``neighbourhood``, ``in_qpv``) and ``neighbourhoods``
      (``neighbourhood``, ``in_qpv``): occupant households and Q1 households per unit and year
      (the Q1 share, its interval, the vacant dwellings and the fragility follow), the
      neighbourhoods' entrants, mutations and Q1 entrants (their rates follow); residences add
      up to neighbourhoods, neighbourhoods to the territory, their entrants to the attributions
      in and outside QPV;
    * ``territory``: households and the Q1 shares in and outside QPV;
    * ``quotas``: the objectives of the projected attributions per partner (the diagnostic's
      shapes, ``diagnostic_secrecy.quota_shapes``);
    * ``flux``: attributions per landlord and reservataire type (they add up to the landlord's
      attributions; the entitlement and the balance follow);
    * ``ledger``: households at the start and the end, entrants, departures, attributions,
      mutations and relocations of each year (their identities declared);
    * ``relocation``: the households of the demolished residences per year (waiting at
      1 January, newly to relocate, rehoused — outside QPV, in new or recent dwellings —, left
      the stock, waiting at 31 December; the year's identity, the same households waiting at
      31 December and at 1 January of the next year, the rehoused being the ledger's
      relocations); the rehoused by the planner are not published (``RELOCATION_UNPUBLISHED``:
      the returned table lacks these columns).

    The base year (``base_year``, the observed year before the millésime) is the same in every
    strategy: its rows are one set of whole counts (strategy ``OBSERVED``). The projected years
    are means over replicates: a mean strictly between 0 and ``threshold`` is masked. The
    replicates' intervals follow their column. Dwellings are published as they are unless
    ``with_dwellings`` (parameter ``secret_statistique.logements``). The returned tables are the
    given ones (same columns but the unpublished ones), masked."""
    published = _published(tables)
    frames = _helpers(published, base_year)
    protected = protect(
        frames,
        {k: v for k, v in projection_shapes(base_year, with_dwellings).items() if k in frames},
        projection_structure(_relocation_years(frames)),
        threshold,
    )
    out = {name: frame[list(published[name].columns)] for name, frame in protected.tables.items()}
    return dataclasses.replace(protected, tables=out)


def _published(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables of ``PROJECTION_TABLES`` among ``tables``, without the columns never published
    (``RELOCATION_UNPUBLISHED``)."""
    out = {k: v for k, v in tables.items() if k in PROJECTION_TABLES}
    relocation = out.get("relocation")
    if relocation is not None:
        out["relocation"] = relocation.drop(
            columns=[c for c in relocation.columns if c.startswith(RELOCATION_UNPUBLISHED)]
        )
    return out


def _relocation_years(frames: Mapping[str, pd.DataFrame]) -> list[int]:
    relocation = frames.get("relocation")
    return [] if relocation is None else sorted(set(relocation["_year"]))


def audit_projection(
    tables: Mapping[str, pd.DataFrame],
    base_year: int,
    threshold: int,
    with_dwellings: bool = False,
) -> list[Finding]:
    """What a reader of the projection's published tables (masked cells missing) learns that
    secrecy forbids (``indicators.secrecy.audit`` with the shapes of ``protect_projection``)."""
    frames = _helpers(_published(tables), base_year, known=False)
    found = audit(
        frames,
        {k: v for k, v in projection_shapes(base_year, with_dwellings).items() if k in frames},
        projection_structure(_relocation_years(frames)),
        threshold,
    )
    # The helper columns are not written: a reader recovering one learns a sum that is not
    # secret unless it is small.
    return [
        f
        for f in found
        if not f.column.startswith("_") or (f.value == f.value and 0 < f.value < threshold)
    ]
