"""Light catalogues shared by the command line and the computations (no heavy import here, so
that ``mixite --help`` stays fast): the methods that split the EPCI objective between partners.

Numbers that are law, statistical conventions or local defaults are not here: they are dated
parameters (``mixite.params``)."""

from __future__ import annotations

__all__ = ["SPLIT_METHODS"]

#: Methods of ``mixite.objectives.split_objective`` (method → French description).
SPLIT_METHODS: dict[str, str] = {
    "proportionnel": "proportionnelle aux attributions attendues de chaque partenaire",
    "plafonne": "proportionnelle, plafonnée par la marge de manœuvre de chaque partenaire",
    "effort": "partage de l'effort : même fraction de la marge de chaque partenaire comblée",
}
