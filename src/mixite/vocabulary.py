"""The codes every table of mixite shares: legal objectives, levels, and the long result format.

One enumeration per concept, used by the quota indicators, the parameters, the room for manoeuvre,
the allocation outputs and every report. The codes are the values stored in the tables (French
words, as the glossary of ``docs/architecture.md`` keeps French official terms); the sentences
shown to people live in ``mixite.reports.fr``. This module imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "LONG_COLUMNS",
    "TARGET_PARAMETERS",
    "Definition",
    "Indicator",
    "Level",
    "NeighbourhoodRole",
]


class Indicator(StrEnum):
    """The three legal attribution objectives of CCH art. L441-1 (``docs/droit.md``)."""

    #: Attributions outside QPV to first-quartile applicants or urban-renewal relocations.
    Q1_OUTSIDE_QPV = "q1_hors_qpv"
    #: Attributions in QPV to applicants of the other quartiles.
    NON_Q1_IN_QPV = "non_q1_en_qpv"
    #: Attributions to DALO or priority households, per reservataire and per landlord for its
    #: non-reserved dwellings.
    PRIORITY = "prioritaires"


class Level(StrEnum):
    """The scale at which an indicator is computed (the ``level`` column of every result)."""

    EPCI = "epci"
    LANDLORD = "bailleur"
    #: A landlord's non-reserved dwellings (its own share of the flux).
    LANDLORD_NON_RESERVED = "bailleur_non_reserve"
    RESERVATAIRE = "reservataire"
    COMMUNE = "commune"
    RESIDENCE = "residence"


#: The dated parameter holding the national target of each objective.
TARGET_PARAMETERS: dict[Indicator, str] = {
    Indicator.Q1_OUTSIDE_QPV: "quotas.q1_hors_qpv",
    Indicator.NON_Q1_IN_QPV: "quotas.non_q1_en_qpv",
    Indicator.PRIORITY: "quotas.prioritaires_par_reservataire",
}

#: The long format of quota results: one row per (level, group, indicator).
LONG_COLUMNS = ("level", "group", "indicator", "denominator", "numerator", "share", "target")


@dataclass(frozen=True)
class Definition:
    """How an output column is documented: French label, unit, definition and source."""

    label: str
    unit: str
    definition: str
    source: str


class NeighbourhoodRole(StrEnum):
    """The role of a neighbourhood in the territory's housing dynamics (``docs/quartiers.md``):
    the typology computed from its flows by ``mixite.indicators.roles``."""

    #: Newcomers from outside the social stock enter here more than elsewhere.
    RECEPTION = "accueil"
    #: Households arrive and soon move on (high turnover, short stays, mutations out).
    TRANSIT = "passage"
    #: Few moves and long stays.
    STABILITY = "stabilite"
    #: Modest households arrive and hardly move on through the stock.
    RELEGATION = "relegation"
    #: None of the above stands out.
    MIXED = "sans_role_marque"
    #: Too few households to assign a role.
    UNCLASSED = "non_classe"
