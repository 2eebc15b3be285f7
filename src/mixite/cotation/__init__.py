"""Cotation of social-housing applications (CCH L441-2-8; décret n° 2019-1378).

Declarative grids (``grid``), vectorised scoring, explanations, positions and waiting times
(``engine``), audit of who a grid favours and comparison of two grids (``audit``), reports
(``report``). The grid format is documented in ``docs/cotation.md``.
"""

from mixite.cotation.audit import (
    Comparison,
    audit_groups,
    audit_ranks,
    compare_grids,
    score_distribution,
    yearly_attributions,
)
from mixite.cotation.engine import (
    Explanation,
    ExplanationLine,
    applicant_text,
    criterion_counts,
    describe_condition,
    explain,
    positions,
    score_applications,
    waiting_times,
)
from mixite.cotation.fields import ScoringContext, UcScale, known_fields
from mixite.cotation.grid import Grid, load_grid, parse_grid

__all__ = [
    "Comparison",
    "Explanation",
    "ExplanationLine",
    "Grid",
    "ScoringContext",
    "UcScale",
    "applicant_text",
    "audit_groups",
    "audit_ranks",
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
