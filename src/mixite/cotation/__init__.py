"""Cotation of social-housing applications (CCH L441-2-8; décret n° 2019-1378).

Declarative grids (``grid``) and their compliance with the legal priorities (``compliance``),
vectorised scoring, explanations, positions and waiting times
(``engine``), audit of who a grid favours and comparison of two grids (``audit``), reports
(``report``). The grid format is documented in ``docs/cotation.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixite._lazy import lazy_exports

if TYPE_CHECKING:
    from mixite.cotation.audit import (
        Comparison,
        audit_groups,
        audit_ranks,
        compare_grids,
        score_distribution,
        yearly_attributions,
    )
    from mixite.cotation.compliance import check_compliance
    from mixite.cotation.engine import (
        Explanation,
        ExplanationLine,
        criterion_counts,
        describe_condition,
        explain,
        positions,
        score_applications,
        waiting_times,
    )
    from mixite.cotation.fields import ScoringContext, known_fields
    from mixite.cotation.grid import Grid, load_grid, parse_grid

__all__ = [
    "Comparison",
    "Explanation",
    "ExplanationLine",
    "Grid",
    "ScoringContext",
    "audit_groups",
    "audit_ranks",
    "check_compliance",
    "compare_grids",
    "criterion_counts",
    "describe_condition",
    "explain",
    "known_fields",
    "load_grid",
    "parse_grid",
    "positions",
    "score_applications",
    "score_distribution",
    "waiting_times",
    "yearly_attributions",
]

#: Public name → module defining it. The names are imported on first use (PEP 562), so that
#: importing a submodule (``mixite demo`` steps, the CLI) does not load the whole package.
_LAZY = {
    "Comparison": "mixite.cotation.audit",
    "audit_groups": "mixite.cotation.audit",
    "audit_ranks": "mixite.cotation.audit",
    "compare_grids": "mixite.cotation.audit",
    "score_distribution": "mixite.cotation.audit",
    "yearly_attributions": "mixite.cotation.audit",
    "check_compliance": "mixite.cotation.compliance",
    "Explanation": "mixite.cotation.engine",
    "ExplanationLine": "mixite.cotation.engine",
    "criterion_counts": "mixite.cotation.engine",
    "describe_condition": "mixite.cotation.engine",
    "explain": "mixite.cotation.engine",
    "positions": "mixite.cotation.engine",
    "score_applications": "mixite.cotation.engine",
    "waiting_times": "mixite.cotation.engine",
    "ScoringContext": "mixite.cotation.fields",
    "known_fields": "mixite.cotation.fields",
    "Grid": "mixite.cotation.grid",
    "load_grid": "mixite.cotation.grid",
    "parse_grid": "mixite.cotation.grid",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
