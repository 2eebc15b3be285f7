"""Statistical secrecy of the projection's relocation table (``projection.project``: the
households of the demolished residences per year, means over replicates).

Declared like the other publications (``outputs_secrecy``): each count column counts a
population of households, the rehoused outside QPV, in new or recent dwellings and by the
planner are parts of the rehoused, the shares sit beside their denominator, the intervals and
shortfalls follow their count (the rehoused by the planner are not published: the caption names
the rule); within a year, waiting at 1 January + newly to relocate = rehoused +
left the stock + waiting at 31 December (an unpublished total). Protected by the one secrecy
module, ``indicators.secrecy.protect`` (primary and secondary suppression,
``docs/secret-statistique.md``). The households waiting at 31 December of a year and at 1 January
of the next are one population (one measure): masked in both rows or in neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from mixite.indicators.secrecy import (
    Count,
    Identity,
    Part,
    Protection,
    Ratio,
    Shape,
    Structure,
    protect,
)

__all__ = ["RELOCATION_MEASURES", "protect_relocation"]

#: The population each count column of the relocation table counts (with the year; the
#: households waiting at 1 January of a year are those waiting at 31 December of the year before:
#: one population, published twice).
RELOCATION_MEASURES = {
    "waiting_start": "relogement:restants",
    "to_relocate": "relogement:nouveaux",
    "rehoused": "relogement:reloges",
    "rehoused_outside_qpv": "relogement:reloges:hors_qpv",
    "rehoused_recent": "relogement:reloges:neuf_recent",
    "left": "relogement:sortis",
    "waiting_end": "relogement:restants",
}
_TOTAL = "relogement:total"
#: Columns never published (their prefix): the rehoused by the planner, equal to the rehoused
#: under the planner (the table's caption names the rule instead).
_UNPUBLISHED = "rehoused_planned"
#: Share columns: (numerator, denominator) columns.
_SHARES = {
    "share_outside_qpv": ("rehoused_outside_qpv", "rehoused"),
    "share_recent": ("rehoused_recent", "rehoused"),
}
#: Shortfalls of the planner's targets, which reveal the count they fall short of.
_SHORTFALLS = {
    "shortfall_outside_qpv": ("rehoused_outside_qpv", "rehoused"),
    "shortfall_recent": ("rehoused_recent", "rehoused"),
}


def _measure(column: str) -> Callable[[Mapping[str, Any]], str]:
    """The measure of ``column`` in a row: its population and the year it is counted in."""
    lag = 1 if column == "waiting_start" else 0
    name = RELOCATION_MEASURES[column]

    def of(row: Mapping[str, Any]) -> str:
        return f"{name}:{int(float(row['year'])) - lag}"

    return of


def protect_relocation(table: pd.DataFrame, threshold: int) -> Protection:
    """The relocation table (one row per year) with primary and secondary suppression: a count
    of households (a mean over replicates) strictly between 0 and ``threshold`` is masked, with
    its share, interval and shortfall, and partners so that no masked count comes back from the
    year's identities, from its parts or from the same population published the next year.

    The households rehoused by the planner are left out of the publication (``_UNPUBLISHED``):
    all the rehoused under the planner, none under the priority rule, they would give back a
    masked count of the rehoused."""
    table = table.drop(columns=[c for c in table.columns if c.startswith(_UNPUBLISHED)])
    present = set(table.columns)
    columns = [c for c in RELOCATION_MEASURES if c in present]
    follows: dict[str, tuple[str, ...]] = {}
    for column in columns:
        for bound in ("_low", "_high"):
            if column + bound in present:
                follows[column + bound] = (column,)
    for column, sources in (_SHORTFALLS | _SHARES).items():
        for suffix in ("", "_low", "_high"):
            if column + suffix in present and (suffix or column in _SHORTFALLS):
                follows[column + suffix] = sources
    ratios = tuple(
        Ratio(column, _measure(num), _measure(den))
        for column, (num, den) in _SHARES.items()
        if column in present and num in columns and den in columns
    )
    years = sorted({int(float(y)) for y in table["year"]})
    parts = tuple(
        Part(f"{RELOCATION_MEASURES[c]}:{y}", f"{RELOCATION_MEASURES['rehoused']}:{y}")
        for c in ("rehoused_outside_qpv", "rehoused_recent")
        for y in years
        if "rehoused" in columns and c in columns
    )
    shape = Shape(
        counts=tuple(Count(c, _measure(c)) for c in columns),
        ratios=ratios,
        parts=parts,
        follows=follows,
        integral=False,
    )
    sides = (
        (("waiting_start", 1), ("to_relocate", 0)),
        (("rehoused", 0), ("left", 0), ("waiting_end", 0)),
    )
    identities = tuple(
        Identity(f"{_TOTAL}:{y}", tuple(f"{RELOCATION_MEASURES[c]}:{y - lag}" for c, lag in side))
        for y in years
        for side in sides
        if all(c in columns for c, _ in side)
    )
    return protect(
        {"relocation": table},
        {"relocation": shape},
        Structure(identities=identities),
        threshold,
    )
