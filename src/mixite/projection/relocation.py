"""How the households of a demolished residence are relocated: a simple priority rule, or the
relocation planner of ``mixite.trajectoires.relogement`` (the strategy chooses, ``Relogement``).

``PriorityRelocation``: every household to relocate applies for a mutation, outranks every other
applicant in the commissions (the law gives NPNRU relocations priority and counts them with the
first quartile outside QPV, CCH art. L441-1), accepts any commune of the territory and a
dwelling of one room fewer to one room more than its own.

``PlannedRelocation``: before each round of commissions in which households to relocate are
waiting, the planner (``trajectoires.relogement.build_relocation`` and ``plan_relocation``,
HiGHS) assigns them the round's vacancies: as many households as possible, then the charter's
targets (share outside QPV, share in new or recent dwellings, partners' contributions), then
their wishes, every pair admissible under the charter (ceilings, typology, reste à charge). The
planned dwellings leave the round's offer; the households not planned wait for the next round
(they do not enter the commissions). Both implement ``RelocationRule``, the seam the engine
(``mixite.projection.engine.run_replicate``) calls; ``relocation_rule`` builds the strategy's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from mixite.params import Parameters
    from mixite.projection.strategy import Relogement

__all__ = [
    "PlannedRelocation",
    "PriorityRelocation",
    "RelocationPlanner",
    "RelocationRule",
    "RoundPlan",
    "relocation_rule",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


class RelocationRule(Protocol):
    """What the projection asks of a relocation rule or planner."""

    def designation_scores(self, scores: FloatArray, relocating: BoolArray) -> FloatArray:
        """The scores the commissions rank applicants by, once the households to relocate
        (``relocating``) are placed (the other applicants keep their order)."""
        ...

    def wishes(self, commune: ObjectArray, width: int) -> ObjectArray:
        """The wished communes of households to relocate (``width`` columns, ``""`` when none;
        a row of ``""`` accepts every commune), from their current commune."""
        ...

    def rooms(self, current_rooms: IntArray) -> tuple[IntArray, IntArray]:
        """The smallest and largest number of rooms each household to relocate accepts."""
        ...


@dataclass(frozen=True)
class PriorityRelocation:
    """The simple priority rule of the module docstring."""

    #: Rooms fewer and more than the current dwelling that a relocated household accepts.
    fewer_rooms: int = 1
    more_rooms: int = 1

    def designation_scores(self, scores: FloatArray, relocating: BoolArray) -> FloatArray:
        out = np.array(scores, dtype=np.float64, copy=True)
        reloc = np.asarray(relocating, dtype=bool)
        if reloc.any():
            others = out[~reloc]
            top = float(others.max()) if others.size else 0.0
            own = out[reloc]
            span = float(own.max() - own.min()) if own.size else 0.0
            # Above every other applicant, in the order of their own scores.
            out[reloc] = top + 1.0 + (own - own.min()) / (span if span > 0 else 1.0)
        return out

    def wishes(self, commune: ObjectArray, width: int) -> ObjectArray:
        return np.full((len(commune), max(width, 1)), "", dtype=object)

    def rooms(self, current_rooms: IntArray) -> tuple[IntArray, IntArray]:
        rooms = np.asarray(current_rooms, dtype=np.int64)
        return np.maximum(rooms - self.fewer_rooms, 1), rooms + self.more_rooms


@dataclass(frozen=True, eq=False)
class RoundPlan:
    """The relocations the planner makes in one round: households (rows of the households
    given) and offers (rows of the offers given) paired, the monthly rent of each relocation
    (lowered to the household's APL rent ceiling in a new or recent dwelling when the charter
    says so), and the shortfall of each charter target in households (``RelocationPlan``)."""

    household: IntArray
    offer: IntArray
    rent: FloatArray
    shortfall: Mapping[str, float] = field(default_factory=dict)


@runtime_checkable
class RelocationPlanner(RelocationRule, Protocol):
    """A relocation rule that assigns the households to relocate itself, before each round."""

    def plan_round(
        self,
        households: Mapping[str, Any],
        offers: Mapping[str, Any],
        year: int,
        when: dt.date,
        params: Parameters | None,
    ) -> RoundPlan:
        """The relocations of a round (``PlannedRelocation.plan_round``)."""
        ...


@dataclass(frozen=True)
class PlannedRelocation:
    """The relocation planner inside the projection (module docstring). The charter's rules:
    ``share_outside_qpv`` and ``share_recent`` (minimum shares of each round's relocations),
    ``max_rise`` (€/month of reste à charge), ``recent_years`` (a dwelling first let at most this
    many years before the round's year is recent; the programme's deliveries are new),
    ``rent_reduction`` (rent lowered to the APL rent ceiling in new or recent dwellings),
    ``contributions`` (reservataire key → minimum share); the wish weights and the pairs kept
    per household are the planner's (``relogement.*`` parameters)."""

    share_outside_qpv: float
    share_recent: float
    max_rise: float
    recent_years: int
    rent_reduction: bool
    contributions: Mapping[str, float] = field(default_factory=dict)
    commune_weight: float = 1.0
    rise_weight: float = 0.5
    pairs_per_household: int | None = 40
    time_limit: float = 120.0
    fewer_rooms: int = 1
    more_rooms: int = 1

    def designation_scores(self, scores: FloatArray, relocating: BoolArray) -> FloatArray:
        # The households to relocate do not enter the commissions (the planner rehouses them):
        # the other applicants keep their scores.
        out: FloatArray = np.array(scores, dtype=np.float64, copy=True)
        return out

    def wishes(self, commune: ObjectArray, width: int) -> ObjectArray:
        return np.full((len(commune), max(width, 1)), "", dtype=object)

    def rooms(self, current_rooms: IntArray) -> tuple[IntArray, IntArray]:
        rooms = np.asarray(current_rooms, dtype=np.int64)
        return np.maximum(rooms - self.fewer_rooms, 1), rooms + self.more_rooms

    def plan_round(
        self,
        households: Mapping[str, Any],
        offers: Mapping[str, Any],
        year: int,
        when: dt.date,
        params: Parameters | None,
    ) -> RoundPlan:
        """The planner's relocations of one round, checked (``RelocationPlan.check``).

        ``households``: ``ids``, ``operation`` (the demolished residence), ``income`` (€/year,
        compared with ``ceilings``, (n, 3): PLAI, PLUS, PLS), ``rooms_min``, ``rooms_max``,
        ``wished`` (communes, ``""`` = none), ``couple``, ``dependants``, ``annual_resources``
        and the current dwelling's ``rent``, ``charges`` (€/month) and ``apl_zone``;
        ``offers``: ``ids``, ``landlord``, ``partner`` (reservataire key), ``commune``,
        ``in_qpv``, ``rooms``, ``rent``, ``charges`` (€/month), ``financing`` (FIN_* codes),
        ``recent`` and ``apl_zone``. Every household accepts a dwelling in QPV (the projection
        does not know who refuses one): the charter's share outside QPV steers the plan. The
        reste à charge is rent + charges − APL − RLS (``mixite.affordability``), the rent of a
        new or recent dwelling lowered to the household's APL rent ceiling when
        ``rent_reduction`` (as ``mixite reloger``)."""
        from mixite.trajectoires.relogement import (
            Charter,
            Offers,
            RelocationHouseholds,
            build_relocation,
            current_housing_cost,
            offer_cost,
            plan_relocation,
        )

        n_h = len(households["ids"])
        couple = np.asarray(households["couple"], bool)
        dependants = np.asarray(households["dependants"], np.int64)
        annual = np.asarray(households["annual_resources"], np.float64)
        current_cost = current_housing_cost(
            zone=np.asarray(households["apl_zone"], np.int64),
            couple=couple,
            dependants=dependants,
            annual_resources=annual,
            rent=np.asarray(households["rent"], np.float64),
            charges=households["charges"],
            when=when,
            params=params,
        )
        hh = RelocationHouseholds.from_arrays(
            ids=households["ids"],
            operation=households["operation"],
            # The projection relocates from the demolition's year on: each round's vacancies are
            # offered in the round's year, the charter's calendar does not apply.
            deadline=np.full(n_h, year, np.int64),
            income=households["income"],
            ceilings=households["ceilings"],
            rooms_min=households["rooms_min"],
            rooms_max=households["rooms_max"],
            wished=households["wished"],
            accepts_qpv=np.ones(n_h, bool),
            current_cost=current_cost,
        )
        n_o = len(offers["ids"])
        of = Offers.from_arrays(
            ids=offers["ids"],
            year=np.full(n_o, year, np.int64),
            landlord=offers["landlord"],
            partner=offers["partner"],
            commune=offers["commune"],
            in_qpv=offers["in_qpv"],
            rooms=offers["rooms"],
            rent=offers["rent"],
            charges=offers["charges"],
            financing=offers["financing"],
            recent=offers["recent"],
        )
        cost = offer_cost(
            of,
            np.asarray(offers["apl_zone"], np.int64),
            couple,
            dependants,
            annual,
            when,
            params,
            self.rent_reduction,
        )

        charter = Charter(
            share_recent=self.share_recent,
            share_outside_qpv=self.share_outside_qpv,
            max_rise=self.max_rise,
            lead_years=0,
            contributions=dict(self.contributions),
            commune_weight=self.commune_weight,
            rise_weight=self.rise_weight,
        )
        problem = build_relocation(hh, of, charter, cost, k=self.pairs_per_household)
        plan = plan_relocation(problem, self.time_limit)
        plan.check()
        chosen = plan.selected
        rent = of.rent[plan.offer] - problem.reduction[chosen]
        return RoundPlan(
            np.asarray(plan.household, np.int64),
            np.asarray(plan.offer, np.int64),
            np.asarray(rent, np.float64),
            dict(plan.shortfall),
        )


def relocation_rule(
    choice: Relogement | None, when: dt.date, params: Parameters | None = None
) -> RelocationRule:
    """The relocation rule a strategy chooses (``Strategy.renouvellement.relogement``): the
    priority rule, or the planner with the charter's rules of the strategy and, for those it
    does not set, the parameters ``relogement.*`` in force at ``when``."""
    from mixite.params import resolve
    from mixite.projection.strategy import PLANNER

    if choice is None or choice.methode != PLANNER:
        return PriorityRelocation()
    p = resolve(params)

    def value(key: str) -> Any:
        own = getattr(choice, key)
        return p.value(f"relogement.{key}", when) if own is None else own

    return PlannedRelocation(
        share_outside_qpv=float(value("part_hors_qpv")),
        share_recent=float(value("part_neuf_recent")),
        max_rise=float(value("hausse_reste_a_charge_max")),
        recent_years=int(value("anciennete_max_recent")),
        rent_reduction=bool(value("minoration_loyer")),
        contributions=dict(choice.contributions),
        commune_weight=float(p.value("relogement.poids_commune", when)),
        rise_weight=float(p.value("relogement.poids_reste_a_charge", when)),
        pairs_per_household=int(p.value("relogement.propositions_par_menage", when)),
    )
