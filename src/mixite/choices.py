"""Light catalogues shared by the command line and the computations (no heavy import here, so
that ``mixite --help`` stays fast): the CAL-charter affordability defaults and the methods that
split the EPCI objective between partners."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_EFFORT_RATE", "DEFAULT_MIN_RESTE_A_VIVRE", "SPLIT_METHODS"]

#: Default maximum effort rate of the CAL charter (local convention, not a legal number;
#: the territory file's ``taux_effort_max`` overrides it, domaine.md §8.2).
DEFAULT_MAX_EFFORT_RATE = 0.35
#: Default minimum reste à vivre of the CAL charter, in € per consumption unit per day (local
#: convention; the territory file's ``reste_a_vivre_min`` overrides it, domaine.md §8.2).
DEFAULT_MIN_RESTE_A_VIVRE = 12.0

#: Methods of ``mixite.objectives.split_objective`` (method → French description).
SPLIT_METHODS: dict[str, str] = {
    "proportionnel": "proportionnelle aux attributions attendues de chaque partenaire",
    "plafonne": "proportionnelle, plafonnée par la marge de manœuvre de chaque partenaire",
    "effort": "partage de l'effort : même fraction de la marge de chaque partenaire comblée",
}
