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
    "NATIONAL_COLUMNS",
    "NATIONAL_IDENTITY",
    "RESERVATAIRE_SEPARATOR",
    "STATE_RESERVATAIRES",
    "TARGET_PARAMETERS",
    "Definition",
    "Indicator",
    "Level",
    "NationalIndicator",
    "NeighbourhoodRole",
    "TargetSource",
    "Task",
    "reservataire_key",
    "reservataire_kind",
    "split_reservataire_key",
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


class TargetSource(StrEnum):
    """Where the target a partner is judged against comes from (``target_source`` column)."""

    #: The national rate of the dated parameters (``TARGET_PARAMETERS``).
    LAW = "loi"
    #: A rate adapted for the whole territory by the orientations of the CIL (document-cadre
    #: approved by the EPCI and the préfet, CCH art. L441-1 and L441-1-5).
    ORIENTATIONS = "orientations"
    #: The partner's own commitment in the convention intercommunale d'attribution (L441-1-6).
    COMMITMENT = "engagement"


#: Separator between a reservataire's type and its identifier in a reservataire key.
RESERVATAIRE_SEPARATOR = ":"

#: The State's two contingents (the préfet's): priority households and State agents. The State is
#: exempt « as such » from the 25 % priority objective, its priority contingent being priority by
#: nature (CCH art. L441-1, ``docs/droit.md`` §2.3).
STATE_RESERVATAIRES = ("etat_prioritaire", "etat_agents")


def reservataire_key(kind: str, ident: object = None) -> str:
    """The key naming one reservataire as a legal person: ``type:identifier`` (``commune:96001``,
    ``epci:999960001``, ``bailleur:999961001``), or the bare type when it identifies the person
    alone (``action_logement``: Action Logement Services; ``etat_prioritaire``: the préfet of a
    one-département territory)."""
    text = "" if ident is None else str(ident).strip()
    if not text or text.lower() in ("nan", "none", "<na>"):
        return str(kind)
    return f"{kind}{RESERVATAIRE_SEPARATOR}{text}"


def split_reservataire_key(key: str) -> tuple[str, str | None]:
    """``(type, identifier)`` of a reservataire key (identifier None for a bare type)."""
    kind, sep, ident = str(key).partition(RESERVATAIRE_SEPARATOR)
    return kind, (ident if sep else None)


def reservataire_kind(key: str) -> str:
    """The reservataire type of a key (``commune:96001`` → ``commune``)."""
    return split_reservataire_key(key)[0]


#: The long format of quota results: one row per (level, group, indicator).
LONG_COLUMNS = ("level", "group", "indicator", "denominator", "numerator", "share", "target")


class Task(StrEnum):
    """The tasks of the national observatory (``mixite national --taches``)."""

    DIAGNOSTIC = "diagnostic"
    QUOTAS = "quotas"
    SIMULATION = "simulation"


class NationalIndicator(StrEnum):
    """The indicators of the national diagnostic task besides the legal objectives (codes of
    the ``indicator`` column, in the long format)."""

    #: Dwellings in QPV over dwellings.
    STOCK_IN_QPV = "parc_en_qpv"
    #: Vacant dwellings over dwellings offered for letting.
    VACANCY = "vacance"
    #: Moves into the existing stock over its let or vacant dwellings.
    TURNOVER = "rotation"
    #: Pending applications over the attributions of the year (a ratio, not a share).
    PRESSURE = "demandes_par_attribution"
    #: Room for manoeuvre: attainable Q1 attributions outside QPV over expected vacancies.
    ATTAINABLE_Q1 = "q1_hors_qpv_atteignable"


#: The identity of an EPCI carried by every row of the national results.
NATIONAL_IDENTITY = ("epci", "epci_name", "region", "region_name", "dwellings")

#: The national long format: the EPCI's identity, the task and the scenario (simulation), the
#: long format, the name of the group, the interval of the share (exact interval of an observed
#: share, replicates' range of a simulated one), the shortfall in attributions and a detail code
#: (the binding reason of the room for manoeuvre).
NATIONAL_COLUMNS = (
    *NATIONAL_IDENTITY,
    "task",
    "scenario",
    *LONG_COLUMNS,
    "group_name",
    "share_low",
    "share_high",
    "shortfall",
    "detail",
)


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
