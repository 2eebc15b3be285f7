"""The relocation plan of an urban renewal programme (NPNRU): households × expected vacancies.

Every household of a building to be demolished or heavily rehabilitated must be rehoused before
its operation's year, under the intercommunal relocation charter (the ANRU's general regulation
asks for a « relogement de qualité »: a share of households rehoused in new or recently
conventioned dwellings and outside QPV, a controlled reste à charge, an adapted typology, offers
from every landlord and reservataire). The plan assigns households to the vacancies expected in
the years before their operation (turnover of the stock and deliveries, each under the
reservataire of its contingent).

Admissible pair (household ``h``, offer ``o``), all evaluated again by ``RelocationPlan.check``:

* **calendar**: the offer's year is within ``[deadline[h] - lead_years, deadline[h]]``;
* **ceilings**: the household's reference income is at most the ceiling of the dwelling's
  financing (PLAI, PLUS, PLS; old and other stock under the PLUS ceiling, as in ``allocation``);
* **typology**: ``rooms_min[h] <= rooms[o] <= rooms_max[h]`` (the social survey's need);
* **wished communes**: the offer's commune is wished (rank 0 = first), or the household states
  none;
* **QPV**: an offer in QPV only to a household that accepts one;
* **reste à charge**: ``cost(h, o) - current_cost[h] <= max_rise`` (€ per month), with ``cost``
  the rent (lowered, in a new or recent dwelling, by the charter's rent-reduction rule) plus
  charges minus the housing benefit (``cost_function`` computes it with
  ``mixite.affordability``).

Weight of a pair (wish satisfaction)::

    w = 1 + commune_weight * (1 - rank / n_ranks) - rise_weight * max(rise, 0) / max_rise

The plan is lexicographic, each stage a HiGHS integer program over binary pair variables ``x``
(one offer per household, one household per offer) and continuous shortfalls ``s_k >= 0``:

1. maximise the households rehoused ``N = sum(x)``;
2. with ``N`` at its maximum ``N*``, minimise the total shortfall ``sum(s_k)`` of the charter's
   targets, each ``count_k(x) + s_k >= ceil(share_k * N*)`` (whole households): the share
   rehoused in new or recent dwellings, outside QPV, and each partner's contribution
   (relocations on its contingent);
3. with both fixed, maximise ``sum(w * x)``.

Stage 1 is a bipartite matching (its LP optimum is whole); stages 2 and 3 are one integer
program with the shortfall weighted above any difference of wishes (``_stages``).

The LP relaxation of the third stage is its bound; the plan reports it with the MIP's dual bound
and the gap. Pairs are bounded per household to its best ``k`` by weight plus its best ``k``
new or recent and ``k`` outside QPV (``k=None`` keeps every pair).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.allocation.problem import FIN_OTHER, FIN_PLUS
from mixite.errors import MixiteError

if TYPE_CHECKING:
    import datetime as dt

    from mixite.params import Parameters

__all__ = [
    "NEEDS",
    "TARGET_OUTSIDE_QPV",
    "TARGET_RECENT",
    "Charter",
    "CostFunction",
    "Offers",
    "RelocationCheckError",
    "RelocationHouseholds",
    "RelocationPlan",
    "RelocationProblem",
    "build_relocation",
    "current_housing_cost",
    "offer_cost",
    "plan_relocation",
    "rent_reduction_indemnity",
    "required",
    "target_name",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

#: ``cost(household_index, offer_index) -> (reste à charge €/month, rent reduction €/month)``,
#: arrays of pairs.
CostFunction = Callable[[IntArray, IntArray], tuple[FloatArray, FloatArray]]

#: Names of the charter's share targets (a partner's target is ``partenaire:<key>``).
TARGET_RECENT = "neuf_recent"
TARGET_OUTSIDE_QPV = "hors_qpv"
_PARTNER = "partenaire:"
#: Tolerances of the staged programme (households).
_TOL = 1e-6
#: The special needs of the social survey, in the column order of ``RelocationHouseholds.needs``:
#: a ground floor; a ground floor or a lift; a dwelling accessible to reduced mobility (PMR);
#: another need (proximity of a school, of work, of family…) that no file describes.
NEEDS = ("rez_de_chaussee", "ascenseur", "pmr", "autre")


def target_name(partner: str) -> str:
    """The name of a partner's contribution target (``partenaire:bailleur:999961001``)."""
    return _PARTNER + partner


class RelocationCheckError(MixiteError):
    """A relocation plan breaks one of its constraints or misstates a figure."""


def _frozen(values: Any, dtype: Any) -> Any:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RelocationHouseholds:
    """Households to rehouse (arrays of equal length; identifiers already pseudonymised)."""

    ids: ObjArray
    operation: ObjArray
    deadline: IntArray  # year of the operation: the last year to rehouse
    income: FloatArray  # reference income (€/year) compared with the ceilings
    ceilings: FloatArray  # (n, 3) PLAI, PLUS, PLS ceilings of the household (€/year)
    rooms_min: IntArray
    rooms_max: IntArray
    wished: ObjArray  # (n, r) wished communes, "" when none
    accepts_qpv: BoolArray
    current_cost: FloatArray  # reste à charge today (€/month)
    #: Special needs of the survey (``NEEDS``): (n, 4) booleans, all False when not given.
    needs: BoolArray | None = None

    @classmethod
    def from_arrays(cls, **arrays: Any) -> RelocationHouseholds:
        n_rows = len(arrays["ids"])
        needs = arrays.get("needs")
        needs = np.zeros((n_rows, len(NEEDS)), bool) if needs is None else needs
        needs = _frozen(np.reshape(np.asarray(needs, bool), (n_rows, len(NEEDS))), bool)
        kinds = {
            "ids": object,
            "operation": object,
            "deadline": np.int64,
            "income": np.float64,
            "ceilings": np.float64,
            "rooms_min": np.int64,
            "rooms_max": np.int64,
            "wished": object,
            "accepts_qpv": bool,
            "current_cost": np.float64,
        }
        values = {k: _frozen(arrays[k], t) for k, t in kinds.items()}
        n = len(values["ids"])
        if values["wished"].ndim != 2:
            values["wished"] = _frozen(np.reshape(values["wished"], (n, -1)), object)
        for name, array in values.items():
            if array.shape[0] != n:
                raise ValueError(f"{name}: {array.shape[0]} values for {n} households")
        return cls(**values, needs=needs)

    def __len__(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True, eq=False)
class Offers:
    """Expected vacancies, one row each: a dwelling becoming free in a year."""

    ids: ObjArray  # dwelling identifiers
    year: IntArray
    landlord: ObjArray
    partner: ObjArray  # reservataire key of the contingent (``vocabulary.reservataire_key``)
    commune: ObjArray
    in_qpv: BoolArray
    rooms: IntArray
    rent: FloatArray  # monthly principal rent (€)
    charges: FloatArray  # monthly charges (€)
    financing: IntArray  # FIN_* codes of ``allocation.problem``
    recent: BoolArray  # new or recently conventioned (the charter's definition)
    #: Floor (0 = ground floor), lift and accessibility to reduced mobility (1/0), NaN when the
    #: stock does not say: the special needs are hard constraints only where they are known.
    floor: FloatArray | None = None
    lift: FloatArray | None = None
    accessible: FloatArray | None = None

    @classmethod
    def from_arrays(cls, **arrays: Any) -> Offers:
        kinds = {
            "ids": object,
            "year": np.int64,
            "landlord": object,
            "partner": object,
            "commune": object,
            "in_qpv": bool,
            "rooms": np.int64,
            "rent": np.float64,
            "charges": np.float64,
            "financing": np.int64,
            "recent": bool,
        }
        values = {k: _frozen(arrays[k], t) for k, t in kinds.items()}
        n = len(values["ids"])
        for name, array in values.items():
            if array.shape[0] != n:
                raise ValueError(f"{name}: {array.shape[0]} values for {n} offers")
        known = {
            k: _frozen(np.full(n, np.nan) if arrays.get(k) is None else arrays[k], np.float64)
            for k in ("floor", "lift", "accessible")
        }
        for name, array in known.items():
            if array.shape[0] != n:
                raise ValueError(f"{name}: {array.shape[0]} values for {n} offers")
        return cls(**values, **known)

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def current_housing_cost(
    *,
    zone: Any,
    couple: Any,
    dependants: Any,
    annual_resources: Any,
    rent: Any,
    charges: Any,
    when: dt.date,
    params: Parameters | None,
) -> FloatArray:
    """Each household's reste à charge today: rent − RLS + charges − APL (€/month,
    ``mixite.affordability``), the yardstick of the charter's maximum rise."""
    from mixite.affordability import housing_benefit, net_housing_cost

    benefit, rls = housing_benefit(
        zone=zone,
        couple=couple,
        dependants=dependants,
        rent=rent,
        annual_resources=annual_resources,
        when=when,
        params=params,
    )
    return np.asarray(net_housing_cost(rent, charges, benefit, rls), np.float64)


def offer_cost(
    offers: Offers,
    apl_zone: npt.NDArray[np.integer[Any]],
    couple: BoolArray,
    dependants: npt.NDArray[np.integer[Any]],
    annual_resources: FloatArray,
    when: dt.date,
    params: Parameters | None,
    rent_reduction: bool,
) -> CostFunction:
    """``cost(h, o)`` of ``build_relocation``: household h's reste à charge in offer o (rent −
    RLS + charges − APL, ``mixite.affordability``; ``apl_zone`` per offer, the household arrays
    per household) and the rent reduction — with ``rent_reduction``, the rent of a new or
    recent offer is lowered to the household's APL rent ceiling (the « minoration de loyer »
    of the relocation charter)."""
    from mixite.affordability import housing_benefit, housing_benefit_detail, net_housing_cost

    def cost(h: IntArray, o: IntArray) -> tuple[FloatArray, FloatArray]:
        rent = offers.rent[o]
        if h.size == 0:
            return np.zeros(0), np.zeros(0)
        args: dict[str, Any] = {
            "zone": apl_zone[o],
            "couple": couple[h],
            "dependants": dependants[h],
            "annual_resources": annual_resources[h],
            "when": when,
            "params": params,
        }
        reduced = rent.copy()
        new = offers.recent[o]
        if rent_reduction and new.any():
            part: dict[str, Any] = {
                k: (v[new] if isinstance(v, np.ndarray) else v) for k, v in args.items()
            }
            ceiling = housing_benefit_detail(rent=rent[new], **part).rent_ceiling
            reduced[new] = np.minimum(rent[new], ceiling)
        aid, rls = housing_benefit(rent=reduced, **args)
        out = np.asarray(net_housing_cost(reduced, offers.charges[o], aid, rls), np.float64)
        return out, np.asarray(rent - reduced, np.float64)

    return cost


@dataclass(frozen=True)
class Charter:
    """The relocation charter's rules, as numbers (read by ``mixite.io.relogement``)."""

    share_recent: float  # minimum share rehoused in new or recent dwellings
    share_outside_qpv: float  # minimum share rehoused outside QPV
    max_rise: float  # maximum rise of the reste à charge (€/month)
    lead_years: int  # offers from deadline - lead_years to the deadline
    contributions: Mapping[str, float] = field(default_factory=dict)  # partner → minimum share
    commune_weight: float = 1.0
    rise_weight: float = 0.5

    def targets(self) -> list[tuple[str, float]]:
        """The share targets, in order: new or recent, outside QPV, then each partner."""
        out = [(TARGET_RECENT, self.share_recent), (TARGET_OUTSIDE_QPV, self.share_outside_qpv)]
        out += [(target_name(p), float(s)) for p, s in sorted(self.contributions.items())]
        return out


@dataclass(frozen=True, eq=False)
class RelocationProblem:
    """Households, offers, the charter and the admissible pairs (with weight, cost, rise)."""

    households: RelocationHouseholds
    offers: Offers
    charter: Charter
    cost: CostFunction = field(repr=False)
    household: IntArray = field(repr=False)
    offer: IntArray = field(repr=False)
    weight: FloatArray = field(repr=False)
    new_cost: FloatArray = field(repr=False)
    reduction: FloatArray = field(repr=False)
    rank: IntArray = field(repr=False)

    def __len__(self) -> int:
        return int(self.household.shape[0])

    def indicators(self, offer: IntArray) -> list[tuple[str, float, BoolArray]]:
        """Each target's name, share and whether each given offer counts toward it."""
        o = self.offers
        out: list[tuple[str, float, BoolArray]] = []
        for name, share in self.charter.targets():
            if name == TARGET_RECENT:
                ind = o.recent[offer]
            elif name == TARGET_OUTSIDE_QPV:
                ind = ~o.in_qpv[offer]
            else:
                ind = o.partner[offer] == name[len(_PARTNER) :]
            out.append((name, share, np.asarray(ind, dtype=bool)))
        return out

    def evaluate(self, household: IntArray, offer: IntArray) -> tuple[BoolArray, FloatArray]:
        """Whether each pair is admissible (every rule of the module docstring, recomputed from
        the arrays and the cost function) and its weight."""
        hh, of, ch = self.households, self.offers, self.charter
        h = np.asarray(household, np.int64)
        o = np.asarray(offer, np.int64)
        rank, wished_ok = _wish_rank(hh.wished[h], of.commune[o])
        fin = np.where(of.financing[o] == FIN_OTHER, FIN_PLUS, of.financing[o])
        ok = (
            (of.year[o] >= hh.deadline[h] - ch.lead_years)
            & (of.year[o] <= hh.deadline[h])
            & (hh.income[h] <= hh.ceilings[h, fin])
            & (of.rooms[o] >= hh.rooms_min[h])
            & (of.rooms[o] <= hh.rooms_max[h])
            & wished_ok
            & (hh.accepts_qpv[h] | ~of.in_qpv[o])
            & _needs(hh, of, h, o)[0]
        )
        # the reste à charge (the costly part) only where every other rule holds
        rise = np.full(h.shape, np.inf)
        if ok.any():
            cost, _ = self.cost(h[ok], o[ok])
            rise[ok] = cost - hh.current_cost[h[ok]]
        ok &= rise <= ch.max_rise + 1e-9
        # the weight of an inadmissible pair is meaningless: computed on a zero rise
        return ok, _weight(ch, rank, _width(hh.wished), np.where(ok, rise, 0.0))

    def to_verify(self, household: IntArray, offer: IntArray) -> BoolArray:
        """Whether each pair meets a special need only because the stock does not describe the
        dwelling (« à vérifier » by the MOUS before the proposal)."""
        h = np.asarray(household, np.int64)
        o = np.asarray(offer, np.int64)
        return _needs(self.households, self.offers, h, o)[1]


def _needs(
    hh: RelocationHouseholds, of: Offers, h: IntArray, o: IntArray
) -> tuple[BoolArray, BoolArray]:
    """Whether each pair meets the household's special needs where the dwelling's attributes are
    known (hard constraint), and whether a need remains to verify (attribute unknown, or a need
    no file describes):

    * ground floor: ``floor == 0``;
    * ground floor or lift: ``floor == 0`` or a lift; refused only with a known upper floor and
      no lift;
    * reduced mobility: an accessible dwelling;
    * another need: always to verify.
    """
    needs = hh.needs if hh.needs is not None else np.zeros((len(hh), len(NEEDS)), bool)
    n = needs[h]
    nan = np.full(o.shape, np.nan)
    floor = of.floor[o] if of.floor is not None else nan
    lift = of.lift[o] if of.lift is not None else nan
    access = of.accessible[o] if of.accessible is not None else nan
    ground = floor == 0
    upper = floor > 0  # False when unknown
    has_lift, no_lift = lift == 1, lift == 0
    ok = (~n[:, 0] | ~upper) & (~n[:, 1] | ~(upper & no_lift)) & (~n[:, 2] | ~(access == 0))
    verify = (
        (n[:, 0] & np.isnan(floor))
        | (n[:, 1] & ~ground & ~has_lift)
        | (n[:, 2] & np.isnan(access))
        | n[:, 3]
    )
    return ok, verify & ok


def _width(wished: ObjArray) -> int:
    return max(int(wished.shape[1]) if wished.ndim == 2 else 1, 1)


def _wish_rank(wished: ObjArray, commune: ObjArray) -> tuple[IntArray, BoolArray]:
    """Rank of each commune among the wishes (0 = first; 0 for a household without wish) and
    whether it is wished (always True without wish)."""
    wished = np.asarray(wished, dtype=object)
    if wished.ndim == 1:
        wished = wished[:, None]
    match = wished == np.asarray(commune, dtype=object)[:, None]
    none = (wished == "").all(axis=1)
    rank = np.where(match.any(axis=1), match.argmax(axis=1), 0).astype(np.int64)
    return rank, match.any(axis=1) | none


def _weight(charter: Charter, rank: IntArray, width: int, rise: FloatArray) -> FloatArray:
    scale = charter.max_rise if charter.max_rise > 0 else 1.0
    out: FloatArray = (
        1.0
        + charter.commune_weight * (1.0 - rank / width)
        - charter.rise_weight * np.clip(rise, 0.0, None) / scale
    )
    return out


def build_relocation(
    households: RelocationHouseholds,
    offers: Offers,
    charter: Charter,
    cost: CostFunction,
    k: int | None = 40,
) -> RelocationProblem:
    """The relocation problem: every admissible pair, bounded per household to its best ``k``
    by weight, plus its best ``k`` new or recent and ``k`` outside QPV (all when ``k`` is None).
    Candidates are generated by commune (wished communes, or every commune without wish)."""
    n_h, n_o = len(households), len(offers)
    empty = np.zeros(0, np.int64)
    if n_h == 0 or n_o == 0:
        return RelocationProblem(
            households, offers, charter, cost, empty, empty, np.zeros(0), np.zeros(0),
            np.zeros(0), empty,
        )  # fmt: skip
    wished = households.wished
    rows = []
    for r in range(wished.shape[1]):
        keep = np.flatnonzero(wished[:, r] != "")
        rows.append(pd.DataFrame({"h": keep, "commune": wished[keep, r].astype(str)}))
    none = np.flatnonzero((wished == "").all(axis=1))
    communes = np.unique(offers.commune.astype(str))
    if none.size:
        rows.append(
            pd.DataFrame(
                {"h": np.repeat(none, communes.size), "commune": np.tile(communes, none.size)}
            )
        )
    wishes = pd.concat(rows, ignore_index=True).drop_duplicates()
    # one row per (household, commune, rooms, year) it may take: the join stays proportional to
    # the admissible pairs, not to households × offers of a commune
    hh = wishes["h"].to_numpy(np.int64)
    span_rooms = households.rooms_max[hh] - households.rooms_min[hh] + 1
    hh_rooms = np.repeat(np.arange(hh.size), np.maximum(span_rooms, 0))
    offset = np.arange(hh_rooms.size) - np.repeat(
        np.cumsum(np.maximum(span_rooms, 0)) - np.maximum(span_rooms, 0), np.maximum(span_rooms, 0)
    )
    rooms = households.rooms_min[hh[hh_rooms]] + offset
    span_years = charter.lead_years + 1
    rows_y = np.repeat(np.arange(hh_rooms.size), span_years)
    years = households.deadline[hh[hh_rooms[rows_y]]] - np.tile(
        np.arange(span_years), hh_rooms.size
    )
    keys = pd.DataFrame(
        {
            "h": hh[hh_rooms[rows_y]],
            "commune": wishes["commune"].to_numpy(dtype=object)[hh_rooms[rows_y]],
            "rooms": rooms[rows_y],
            "year": years,
        }
    )
    by_key = pd.DataFrame(
        {
            "o": np.arange(n_o),
            "commune": offers.commune.astype(str),
            "rooms": offers.rooms,
            "year": offers.year,
        }
    )
    pairs = keys.merge(by_key, on=["commune", "rooms", "year"])
    h = pairs["h"].to_numpy(np.int64)
    o = pairs["o"].to_numpy(np.int64)
    # cheap filters first (calendar, typology, QPV), then the cost function on what is left
    keep = (
        (offers.year[o] >= households.deadline[h] - charter.lead_years)
        & (offers.year[o] <= households.deadline[h])
        & (offers.rooms[o] >= households.rooms_min[h])
        & (offers.rooms[o] <= households.rooms_max[h])
        & (households.accepts_qpv[h] | ~offers.in_qpv[o])
    )
    h, o = h[keep], o[keep]
    problem = RelocationProblem(
        households, offers, charter, cost, h, o, np.zeros(0), np.zeros(0), np.zeros(0), empty
    )
    ok, weight = problem.evaluate(h, o)
    h, o, weight = h[ok], o[ok], weight[ok]
    if k is not None and h.size:
        frame = pd.DataFrame(
            {
                "h": h,
                "w": weight,
                "recent": offers.recent[o],
                "outside": ~offers.in_qpv[o],
                "i": np.arange(h.size),
            }
        ).sort_values(["h", "w", "i"], ascending=[True, False, True], kind="stable")
        best = frame.groupby("h").cumcount() < k
        for flag in ("recent", "outside"):
            part = frame[frame[flag]]
            best |= frame.index.isin(part.index[part.groupby("h").cumcount() < k])
        chosen = np.sort(frame.loc[best, "i"].to_numpy(np.int64))
        h, o, weight = h[chosen], o[chosen], weight[chosen]
    new_cost, reduction = cost(h, o) if h.size else (np.zeros(0), np.zeros(0))
    rank, _ = _wish_rank(households.wished[h], offers.commune[o])
    return RelocationProblem(
        households,
        offers,
        charter,
        cost,
        _frozen(h, np.int64),
        _frozen(o, np.int64),
        _frozen(weight, np.float64),
        _frozen(new_cost, np.float64),
        _frozen(reduction, np.float64),
        _frozen(rank, np.int64),
    )


@dataclass(frozen=True, eq=False)
class RelocationPlan:
    """Selected pairs of a relocation problem, the staged optimum and its bounds.

    ``rehoused`` households (stage 1), the shortfall of each target in households (stage 2:
    ``max(0, ceil(share * rehoused) - count)``), the wish objective ``sum(w)`` (stage 3), HiGHS's dual
    bound of the last stage and its LP relaxation's value.
    """

    problem: RelocationProblem = field(repr=False)
    selected: IntArray
    rehoused: int
    shortfall: Mapping[str, float]
    objective: float
    bound: float
    lp_bound: float
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap ``(lp_bound - objective) / lp_bound`` of the last stage (0 when empty)."""
        if self.lp_bound <= 0:
            return 0.0
        return max(self.lp_bound - self.objective, 0.0) / self.lp_bound

    @property
    def household(self) -> IntArray:
        return self.problem.household[self.selected]

    @property
    def offer(self) -> IntArray:
        return self.problem.offer[self.selected]

    def counts(self) -> dict[str, int]:
        """Households counting toward each target (rehoused new or recent, outside QPV, on each
        partner's contingent)."""
        return {name: int(ind.sum()) for name, _, ind in self.problem.indicators(self.offer)}

    def check(self) -> None:
        """Raise ``RelocationCheckError`` (in French) when a constraint or a figure is wrong."""
        pb = self.problem
        sel = self.selected
        if sel.size and (sel.min() < 0 or sel.max() >= len(pb)):
            raise RelocationCheckError("Une proposition ne correspond à aucun couple admissible.")
        h, o = self.household, self.offer
        if np.unique(h).size != h.size:
            raise RelocationCheckError("Un ménage est relogé deux fois.")
        if np.unique(o).size != o.size:
            raise RelocationCheckError("Un logement est proposé à deux ménages.")
        ok, weight = pb.evaluate(h, o)
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            raise RelocationCheckError(
                f"Le relogement du ménage {pb.households.ids[h[bad]]} dans le logement "
                f"{pb.offers.ids[o[bad]]} ne respecte pas la charte (calendrier, plafonds, "
                "typologie, communes souhaitées, QPV ou reste à charge)."
            )
        if h.size != self.rehoused:
            raise RelocationCheckError(
                f"{self.rehoused} ménages annoncés relogés, {h.size} dans le plan."
            )
        objective = float(weight.sum())
        if abs(objective - self.objective) > 1e-6 * max(1.0, abs(objective)):
            raise RelocationCheckError(
                f"Objectif annoncé {self.objective:.6f}, recalculé {objective:.6f}."
            )
        for name, share, ind in pb.indicators(o):
            short = max(0.0, required(share, h.size) - float(ind.sum()))
            if abs(short - self.shortfall.get(name, 0.0)) > 1e-6:
                raise RelocationCheckError(
                    f"Écart à l'objectif « {name} » annoncé {self.shortfall.get(name, 0.0):.3f}, "
                    f"recalculé {short:.3f}."
                )
        if objective > self.lp_bound * (1 + 1e-7) + 1e-6:
            raise RelocationCheckError(
                f"Objectif {objective:.6f} supérieur à la borne {self.lp_bound:.6f}."
            )


def _model(problem: RelocationProblem, integer: bool) -> tuple[Any, int, int]:
    """HiGHS model: pair columns then one shortfall column per target; rows: households ≤ 1,
    offers ≤ 1, then each target ``sum((ind - share) x) + s >= 0`` (rewritten by stage 2 once
    ``N*`` is known). Returns (model, number of pair columns, number of targets)."""
    import highspy
    import scipy.sparse as sp

    from mixite.allocation.highs import silent_highs

    n = len(problem)
    n_h, n_o = len(problem.households), len(problem.offers)
    targets = problem.indicators(problem.offer)
    n_t = len(targets)
    j = np.arange(n)
    ones = np.ones(n)
    a_h = sp.csr_matrix((ones, (problem.household, j)), shape=(n_h, n))
    a_o = sp.csr_matrix((ones, (problem.offer, j)), shape=(n_o, n))
    if n_t:
        a_t = sp.csr_matrix(np.vstack([ind.astype(np.float64) for _, _, ind in targets]))
    else:
        a_t = sp.csr_matrix((0, n))
    left = sp.vstack([a_h, a_o, a_t])
    right = sp.vstack([sp.csr_matrix((n_h + n_o, n_t)), sp.identity(n_t, format="csr")])
    matrix = sp.hstack([left, right]).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = n + n_t
    lp.num_row_ = n_h + n_o + n_t
    lp.col_cost_ = np.zeros(n + n_t)
    lp.col_lower_ = np.zeros(n + n_t)
    inf = highspy.kHighsInf
    lp.col_upper_ = np.r_[np.ones(n), np.full(n_t, inf)]
    lp.row_lower_ = np.r_[np.full(n_h + n_o, -inf), np.zeros(n_t)]
    lp.row_upper_ = np.r_[np.ones(n_h + n_o), np.full(n_t, inf)]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [
            highspy.HighsVarType.kContinuous
        ] * n_t
    h = silent_highs()
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    return h, n, n_t


def _run(h: Any, sense: Any, costs: FloatArray, time_limit: float) -> tuple[float, FloatArray]:
    import highspy

    h.changeObjectiveSense(sense)
    h.changeColsCost(costs.size, np.arange(costs.size, dtype=np.int32), costs)
    h.setOptionValue("time_limit", float(time_limit))
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise MixiteError(
            f"Le plan de relogement n'a pas été résolu (statut HiGHS : {status}) ; augmentez la "
            "limite de temps ou réduisez le nombre de propositions par ménage."
        )
    x = np.asarray(h.getSolution().col_value, np.float64)
    return float(h.getInfo().objective_function_value), x  # type: ignore[attr-defined]


def required(share: float, rehoused: float) -> float:
    """Households a share target requires among ``rehoused``: ``ceil(share * rehoused)`` (with
    whole households, ``count >= share * N`` is exactly ``count >= ceil(share * N)``)."""
    return float(math.ceil(share * rehoused - 1e-9))


def _stages(
    problem: RelocationProblem, integer: bool, fixed: Sequence[float] | None, time_limit: float
) -> tuple[list[float], FloatArray]:
    """The staged programme. Without ``fixed``: stage 1 as an LP (a bipartite matching: its
    optimum is whole), then stages 2 and 3 as one integer program whose objective
    ``sum(w x) - M sum(s)`` puts the shortfall first: ``M = N* (commune_weight + rise_weight) + 1``
    exceeds any difference of wish values between plans of ``N*`` households, and shortfalls
    differ by whole households. With ``fixed = (N*, S*)``: the LP relaxation of stage 3 under
    ``sum(x) >= N*`` and ``sum(s) <= S*`` (the bound). Returns the values (N*, S*, wishes, dual
    bound) and the solution."""
    import highspy

    maximise = highspy.ObjSense.kMaximize
    n_h, n_o = len(problem.households), len(problem.offers)
    targets = problem.indicators(problem.offer)
    if fixed is None:
        lp, n, n_t = _model(problem, False)
        best, _ = _run(lp, maximise, np.r_[np.ones(n), np.zeros(n_t)], time_limit)
        rehoused = float(round(best))
    else:
        rehoused = float(fixed[0])
    h, n, n_t = _model(problem, integer)
    cols = np.arange(n + n_t, dtype=np.int32)
    tol = 0.5 if integer else _TOL
    h.addRow(rehoused - tol, np.inf, n, cols[:n], np.ones(n))
    for t, (_, share, _) in enumerate(targets):
        h.changeRowBounds(n_h + n_o + t, required(share, rehoused), np.inf)
    weight = np.asarray(problem.weight, np.float64)
    if fixed is None:
        ch = problem.charter
        big = rehoused * (ch.commune_weight + ch.rise_weight) + 1.0
        h.setOptionValue("mip_rel_gap", 0.0)
        _, x = _run(h, maximise, np.r_[weight, np.full(n_t, -big)], time_limit)
        short = float(x[n:].sum())
        wishes = float(weight @ x[:n])
        dual = float(h.getInfo().mip_dual_bound) + big * short  # type: ignore[attr-defined]
        return [rehoused, short, wishes, dual], x
    h.addRow(-np.inf, float(fixed[1]) + _TOL, n_t, cols[n:], np.ones(n_t))
    best, x = _run(h, maximise, np.r_[weight, np.zeros(n_t)], time_limit)
    return [rehoused, float(fixed[1]), best, best], x


def plan_relocation(problem: RelocationProblem, time_limit: float = 120.0) -> RelocationPlan:
    """The lexicographic optimum of the module docstring, with its LP bound (``check()`` it)."""
    start = time.perf_counter()
    if len(problem) == 0:
        names = [name for name, _ in problem.charter.targets()]
        return RelocationPlan(
            problem, np.zeros(0, np.int64), 0, dict.fromkeys(names, 0.0), 0.0, 0.0, 0.0, 0.0
        )
    values, x = _stages(problem, True, None, time_limit)
    n = len(problem)
    selected = np.flatnonzero(x[:n] > 0.5).astype(np.int64)
    selected.setflags(write=False)
    offers = problem.offer[selected]
    shortfall = {
        name: max(0.0, required(share, selected.size) - float(ind.sum()))
        for name, share, ind in problem.indicators(offers)
    }
    _, lp_values = _stages(problem, False, (selected.size, sum(shortfall.values())), time_limit)
    objective = float(problem.weight[selected].sum())
    lp_bound = max(lp_values[2], objective)
    return RelocationPlan(
        problem,
        selected,
        int(selected.size),
        shortfall,
        objective,
        bound=max(values[3], objective),
        lp_bound=lp_bound,
        seconds=time.perf_counter() - start,
    )


def rent_reduction_indemnity(
    rooms: Any, recent: Any, reduction: Any, amounts: Mapping[int, float]
) -> FloatArray:
    """The ANRU's « indemnité pour minoration de loyer » due to the landlord for each relocation
    (€, once per relocation): the charter's amount for the dwelling's number of rooms (the
    amount of the largest size stated at most ``rooms``; the smallest stated for smaller
    dwellings) when the relocation is into a new or recent dwelling whose rent is lowered to the
    household's APL rent ceiling (``reduction > 0``: the rent reduction the indemnity
    compensates), else 0. General regulation of the ANRU for the NPNRU; the amounts by zone and
    typology are those of the local convention, stated in the charter (docs/trajectoires.md).
    """
    rooms = np.asarray(rooms, np.int64)
    out = np.zeros(rooms.shape, np.float64)
    if not amounts or rooms.size == 0:
        return out
    sizes = np.array(sorted(amounts), np.int64)
    values = np.array([amounts[k] for k in sorted(amounts)], np.float64)
    at = np.clip(np.searchsorted(sizes, rooms, side="right") - 1, 0, sizes.size - 1)
    eligible = np.asarray(recent, bool) & (np.asarray(reduction, np.float64) > 0.005)
    out[eligible] = values[at[eligible]]
    return out
