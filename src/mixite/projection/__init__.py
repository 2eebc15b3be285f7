"""Projection of the occupancy over the six years of a CIA under a strategy (issue 17).

Pure functions and seeded random draws, no I/O (``docs/projection.md``): the strategy as data
(``strategy``), the starting point built from a store millésime (``base``), the rates estimated
on it (``rates``), one replicate year by year (``engine``), the relocation rule and its seam for
the relocation planner (``relocation``), what is measured each year and its summary over
replicates (``outputs``), the replicates spread over processes (``project``) and the calibration
of the commissions' preferences on the observed attributions (``calibration``). Import from the
submodules; the package itself imports nothing.
"""

__all__ = [
    "base",
    "calibration",
    "engine",
    "outputs",
    "project",
    "rates",
    "relocation",
    "strategy",
]
