"""Territorial diagnostic and legal quota indicators (issue 4).

Pure functions from canonical frames (``schema.py``) and dated parameters to tidy DataFrames.
Each family module exposes a ``DEFINITIONS`` dict mapping its output columns to a ``Definition``
(French label, unit, definition, legal source) for the reports; ``DEFINITIONS`` below merges them
per family. Column names are English snake_case; the French labels live in the definitions.
Methods are documented in ``docs/indicateurs.md``.
"""

from __future__ import annotations

from mixite.indicators import (
    demand,
    fragility,
    occupancy,
    quotas,
    rents,
    roles,
    segregation,
    sru,
    stock,
)
from mixite.indicators._common import (
    KEYS,
    Definition,
    small_cell_threshold,
    suppress_small_cells,
)
from mixite.indicators.diagnostic import TABLES, publishable, territorial_diagnostic

__all__ = [
    "DEFINITIONS",
    "KEYS",
    "TABLES",
    "Definition",
    "column_definition",
    "demand",
    "fragility",
    "occupancy",
    "publishable",
    "quotas",
    "rents",
    "segregation",
    "small_cell_threshold",
    "stock",
    "suppress_small_cells",
    "territorial_diagnostic",
]

#: family → output column → definition.
DEFINITIONS: dict[str, dict[str, Definition]] = {
    "stock": {**stock.DEFINITIONS, **sru.DEFINITIONS},
    "loyers": rents.DEFINITIONS,
    "occupation": occupancy.DEFINITIONS,
    "fragilite": fragility.DEFINITIONS,
    "demande": demand.DEFINITIONS,
    "quotas": quotas.DEFINITIONS,
    "segregation": segregation.DEFINITIONS,
    "roles": roles.DEFINITIONS,
}


def column_definition(family: str, column: str) -> Definition:
    """Definition of an output column: the family's own, else the shared key columns (``KEYS``),
    else the occupancy definitions (the fragility table carries the occupancy shares)."""
    for table in (DEFINITIONS[family], KEYS, occupancy.DEFINITIONS):
        if column in table:
            return table[column]
    raise KeyError(f"{family}.{column}")
