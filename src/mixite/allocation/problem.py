"""Allocation problem built from plain arrays: vacancies, applications, admissible pairs, quotas.

The problem is independent of the store, of the cotation engine and of the affordability engine:
callers pass NumPy arrays (already scored applications, already computed income ceilings and,
optionally, a vectorised housing-aid function). Everything here is immutable: arrays are made
read-only and the dataclasses are frozen.

Admissible pair (vacancy ``v``, application ``a``):

* **eligibility**: the household's reference income is at most the ceiling of the dwelling's
  financing family (``FIN_PLAI``, ``FIN_PLUS``, ``FIN_PLS``; pre-1977 and other stock use the PLUS
  ceiling, as the law does for the old HLM stock);
* **size adequacy**: ``rooms_min[a] <= rooms[v] <= rooms_max[a]`` (the applicant's wish);
* **wished communes**: the dwelling's commune is one of the applicant's wished communes (rank 0
  = first choice); an application without wished commune accepts every commune (rank 0);
* **affordability** (CAL charter thresholds): effort rate ``(housing_cost - aid) / resources <=
  max_effort_rate`` and reste à vivre ``(resources - (housing_cost - aid)) / uc / days_per_month
  >= min_reste_a_vivre`` (€ per consumption unit and per day; ``Thresholds``, parameters
  ``solvabilite.*`` overridden by the territory and the scenario);
* **reservation pool**: a vacancy directed to Action Logement goes to an employed applicant, a
  vacancy of the prefect's priority contingent to a priority or DALO household; every other
  reservataire (communes, EPCI, département, landlord's own stock…) draws from all applicants.
  A vacancy's reservataire is a legal person, its key ``type:identifier``
  (``vocabulary.reservataire_key``: ``commune:96001``, ``bailleur:999961001``…); the pool
  depends on its type.

Weight of a pair (the optimiser's objective, documented in ``docs/allocation.md``)::

    w = 1 + score_weight * score_n[a] + commune_weight * (1 - rank / n_ranks)
          - effort_weight * effort

with ``score_n`` the priority score rescaled to [0, 1] over the applications. The constant 1
rewards every lease signed (a dwelling left empty is the worst outcome); with the default weights
``w`` is always positive.

Pairs are generated in vectorised chunks of vacancies and bounded to each vacancy's best ``K``
candidates by weight (``DEFAULT_K``); ``k=None`` keeps every admissible pair. Bounding arcs is what
makes a metropolitan year tractable; ``benchmarks/bench_allocation.py`` measures how the optimum
moves with K.

Quotas (CCH L441-1), as linear constraints ``C @ x >= 0`` on the pair variables ``x``:

* ``q1_hors_qpv``: share of Q1-or-NPNRU households among assignments outside QPV >= alpha
  (EPCI, and per landlord when set);
* ``non_q1_en_qpv``: share of non-Q1 households among assignments in QPV >= beta (EPCI, and per
  landlord when set);
* ``prioritaires``: share of priority or DALO households among each reservataire's assignments
  >= gamma, for each reservataire as a legal person (each commune, the EPCI, Action Logement
  Services, each landlord's own stock ``bailleur:<SIREN>``…), never pooled by type; the State's
  contingents are exempt (the State is exempt as such, its priority pool is priority by
  construction, CCH art. L441-1).

Each partner's share is its own (``Quotas.commitments``: the CIA commitment of a landlord or a
reservataire, else the scenario's or legal rate), the same definition as the quota tables
(``indicators.quotas.targets``). With whole assignments, ``sum(ind) >= s × n`` is exactly
``sum(ind) >= ceil(s × n)``: the objective of each partner on its own attributions.

A share constraint ``sum(ind * x) >= s * sum(x)`` is written ``sum((ind - s) * x) >= 0``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from numba import njit

from mixite.affordability import Thresholds
from mixite.errors import InputError, Location
from mixite.params import Parameters, resolve
from mixite.vocabulary import STATE_RESERVATAIRES, Indicator, reservataire_kind

__all__ = [
    "DEFAULT_K",
    "FIN_OTHER",
    "FIN_PLAI",
    "FIN_PLS",
    "FIN_PLUS",
    "QUOTA_TOLERANCE",
    "AidFunction",
    "AllocationProblem",
    "Applications",
    "Pairs",
    "QuotaConstraint",
    "Quotas",
    "Thresholds",
    "Vacancies",
    "WeightCoefficients",
    "admissible_block",
    "admissible_for_vacancy",
    "affordable_for_vacancy",
    "build_pairs",
    "build_problem",
    "fit_key",
    "fits_vacancy",
    "meets_quotas",
    "pool_mask",
    "unmet_quotas",
    "wish_rank",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Financing family codes of a vacancy (index into an application's ``ceilings`` columns).
FIN_PLAI, FIN_PLUS, FIN_PLS, FIN_OTHER = 0, 1, 2, 3
#: Default bound on the candidates kept per vacancy.
DEFAULT_K = 40
#: Reservataire codes with a restricted pool (``schema.RESERVATAIRES``).
POOL_EMPLOYED = "action_logement"
POOL_PRIORITY = "etat_prioritaire"
#: Reservataire types exempt from the priority share: the State's contingents (the State is
#: exempt as such; its priority pool is priority by construction).
PRIORITY_EXEMPT = STATE_RESERVATAIRES
#: Slack tolerated on a quota (floating point), in assignments.
QUOTA_TOLERANCE = 1e-7

#: Housing aid: ``aid(housing_cost[v], application_index[a], vacancy_index[v]) -> monthly aid``,
#: broadcasting (the vacancy gives the dwelling's housing-benefit zone).
AidFunction = Callable[[FloatArray, IntArray, IntArray], FloatArray]


def _frozen(values: Any, dtype: Any) -> Any:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


def _check_length(name: str, array: npt.NDArray[Any], n: int, what: str) -> None:
    if array.shape[0] != n:
        raise InputError(
            f"Le tableau « {name} » a {array.shape[0]} valeurs au lieu de {n}.",
            Location(what, None, name, str(array.shape[0])),
            f"Fournissez une valeur de « {name} » par {what}.",
        )


@dataclass(frozen=True, eq=False)
class Vacancies:
    """The year's vacant dwellings, one row each (arrays of equal length)."""

    ids: npt.NDArray[np.object_]
    landlord: npt.NDArray[np.object_]
    commune: npt.NDArray[np.object_]
    in_qpv: BoolArray
    reservataire: npt.NDArray[np.object_]
    rooms: IntArray
    housing_cost: FloatArray  # monthly rent + service charges (€)
    financing: IntArray  # FIN_* codes
    qpv_code: npt.NDArray[np.object_] | None = None
    rent: FloatArray | None = None  # monthly principal rent (attributions.rent), else housing_cost
    # Zones of the dwelling's commune: housing-benefit zone 1, 2, 3 and the index of its income-
    # ceiling zone in ``ceilings.ZONES`` (P, I, A), for applications whose ceilings are per zone.
    apl_zone: IntArray | None = None
    ceiling_zone: IntArray | None = None

    @classmethod
    def from_arrays(cls, **arrays: Any) -> Vacancies:
        n = len(arrays["ids"])
        kinds = {
            "ids": object,
            "landlord": object,
            "commune": object,
            "in_qpv": bool,
            "reservataire": object,
            "rooms": np.int64,
            "housing_cost": np.float64,
            "financing": np.int64,
            "qpv_code": object,
            "rent": np.float64,
            "apl_zone": np.int64,
            "ceiling_zone": np.int64,
        }
        values: dict[str, Any] = {}
        for name, dtype in kinds.items():
            if arrays.get(name) is None:
                values[name] = None
                continue
            values[name] = _frozen(arrays[name], dtype)
            _check_length(name, values[name], n, "logement vacant")
        fin = values["financing"]
        if n and (fin.min() < FIN_PLAI or fin.max() > FIN_OTHER):
            bad = int(fin[(fin < FIN_PLAI) | (fin > FIN_OTHER)][0])
            raise InputError(
                "Code de financement inconnu.",
                Location("logements vacants", None, "financing", str(bad)),
                "Utilisez 0 (PLAI), 1 (PLUS), 2 (PLS) ou 3 (parc ancien ou autre).",
            )
        return cls(**values)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @cached_property
    def reservataire_kinds(self) -> npt.NDArray[np.object_]:
        """The type of each vacancy's reservataire (``commune:96001`` → ``commune``)."""
        out: npt.NDArray[np.object_] = _frozen(
            [reservataire_kind(str(r)) for r in self.reservataire.tolist()], object
        )
        return out


@dataclass(frozen=True, eq=False)
class Applications:
    """Pending applications, one row each (arrays of equal length)."""

    ids: npt.NDArray[np.object_]
    q1: BoolArray
    npnru: BoolArray
    priority: BoolArray  # priority public of L441-1 (DALO included)
    dalo: BoolArray
    employed: BoolArray
    score: FloatArray  # cotation score (higher = more urgent)
    income: FloatArray  # reference income (€/year) compared with the ceilings
    # (n, 3): PLAI, PLUS, PLS ceilings of the household (€/year); or (n, 3, z): the same in each
    # income-ceiling zone, the dwelling's zone (``Vacancies.ceiling_zone``) choosing the column.
    ceilings: FloatArray
    rooms_min: IntArray
    rooms_max: IntArray
    monthly_resources: FloatArray
    consumption_units: FloatArray
    wished: npt.NDArray[np.object_]  # (n, r) wished commune codes, "" when none
    household_size: IntArray | None = None
    adults: IntArray | None = None
    persons_14plus: IntArray | None = None
    is_mutation: BoolArray | None = None

    @classmethod
    def from_arrays(cls, **arrays: Any) -> Applications:
        n = len(arrays["ids"])
        kinds = {
            "ids": object,
            "q1": bool,
            "npnru": bool,
            "priority": bool,
            "dalo": bool,
            "employed": bool,
            "score": np.float64,
            "income": np.float64,
            "ceilings": np.float64,
            "rooms_min": np.int64,
            "rooms_max": np.int64,
            "monthly_resources": np.float64,
            "consumption_units": np.float64,
            "wished": object,
            "household_size": np.int64,
            "adults": np.int64,
            "persons_14plus": np.int64,
            "is_mutation": bool,
        }
        values: dict[str, Any] = {}
        for name, dtype in kinds.items():
            if arrays.get(name) is None:
                values[name] = None
                continue
            values[name] = _frozen(arrays[name], dtype)
            _check_length(name, values[name], n, "demande")
        if values["ceilings"].ndim not in (2, 3) or values["ceilings"].shape[1] != 3:
            raise InputError(
                "Les plafonds de ressources doivent former un tableau à trois colonnes.",
                Location("demandes", None, "ceilings", str(values["ceilings"].shape)),
                "Donnez pour chaque demande les plafonds PLAI, PLUS et PLS, dans cet ordre.",
            )
        if values["wished"].ndim != 2:
            raise InputError(
                "Les communes souhaitées doivent former un tableau à deux dimensions.",
                Location("demandes", None, "wished", str(values["wished"].shape)),
                "Complétez chaque ligne avec des chaînes vides jusqu'au nombre maximal de vœux.",
            )
        values["dalo"] = _frozen(values["dalo"], bool)
        values["priority"] = _frozen(values["priority"] | values["dalo"], bool)
        return cls(**values)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @cached_property
    def score_normalised(self) -> FloatArray:
        score = self.score
        if score.size == 0:
            out: FloatArray = _frozen(score, np.float64)
            return out
        low, high = float(score.min()), float(score.max())
        span = high - low if high > low else 1.0
        out = _frozen((score - low) / span, np.float64)
        return out

    @cached_property
    def q1_or_npnru(self) -> BoolArray:
        out: BoolArray = _frozen(self.q1 | self.npnru, bool)
        return out

    @cached_property
    def wished_codes(self) -> tuple[IntArray, dict[Any, int], BoolArray]:
        """The wished communes as integer codes (``wished`` factorised once, -1 for a missing
        value), the code of each commune, and the rows that wish no commune (all ``""``):
        ``wish_rank`` compares integers instead of strings."""
        import pandas as pd

        flat = self.wished.reshape(-1)
        codes, labels = pd.factorize(flat)
        coded = np.asarray(codes, dtype=np.int64).reshape(self.wished.shape)
        lookup = {label: k for k, label in enumerate(labels.tolist())}
        empty = lookup.get("")
        n = len(self.ids)
        if self.wished.shape[1] == 0:
            none: BoolArray = np.ones(n, dtype=np.bool_)
        elif empty is None:
            none = np.zeros(n, dtype=np.bool_)
        else:
            none = (coded == empty).all(axis=1)
        return _frozen(coded, np.int64), lookup, _frozen(none, bool)


@dataclass(frozen=True)
class WeightCoefficients:
    """Coefficients of the pair weight (see the module docstring)."""

    score: float = 2.0
    commune: float = 0.5
    effort: float = 1.0


@dataclass(frozen=True)
class Quotas:
    """Quota targets; ``None`` switches a constraint off."""

    q1_outside_qpv: float | None = None
    q1_outside_qpv_landlord: float | None = None
    non_q1_in_qpv: float | None = None
    non_q1_in_qpv_landlord: float | None = None
    priority_per_reservataire: float | None = None
    priority_exempt: tuple[str, ...] = PRIORITY_EXEMPT
    #: Each partner's own rate (CIA commitment or the territory's adapted rate):
    #: ``(indicator, group, rate)`` with group a landlord's SIREN for the quartile objectives and
    #: a reservataire key for ``prioritaires`` (``bailleur:<SIREN>`` for a landlord's own stock).
    commitments: tuple[tuple[str, str, float], ...] = ()

    def rate(self, indicator: str, group: str, default: float | None) -> float | None:
        """The rate of ``group`` for ``indicator``: its commitment, else ``default`` (None when
        the constraint is switched off)."""
        if default is None:
            return None
        for ind, grp, value in self.commitments:
            if ind == indicator and grp == group:
                return float(value)
        return default

    def exempt(self, reservataire: str) -> bool:
        """True when the reservataire (key or type) is exempt from the priority share."""
        return reservataire_kind(reservataire) in self.priority_exempt or (
            reservataire in self.priority_exempt
        )

    @classmethod
    def legal(
        cls, when: dt.date | str, per_landlord: bool = True, params: Parameters | None = None
    ) -> Quotas:
        """The legal defaults in force at ``when`` (``quotas.*`` parameters)."""
        p = resolve(params)
        alpha = float(p.value("quotas.q1_hors_qpv", when))
        beta = float(p.value("quotas.non_q1_en_qpv", when))
        gamma = float(p.value("quotas.prioritaires_par_reservataire", when))
        return cls(
            q1_outside_qpv=alpha,
            q1_outside_qpv_landlord=alpha if per_landlord else None,
            non_q1_in_qpv=beta,
            non_q1_in_qpv_landlord=beta if per_landlord else None,
            priority_per_reservataire=gamma,
        )


@dataclass(frozen=True, eq=False)
class Pairs:
    """Admissible pairs, sorted by vacancy then by decreasing weight."""

    vacancy: IntArray
    application: IntArray
    weight: FloatArray
    effort: FloatArray
    rank: IntArray

    def __len__(self) -> int:
        return int(self.vacancy.shape[0])


@dataclass(frozen=True, eq=False)
class QuotaConstraint:
    """One share constraint ``sum((indicator - share) * x[pairs]) >= 0``."""

    name: str
    label: str
    share: float
    pairs: IntArray  # indices into Pairs
    indicator: BoolArray  # per listed pair


def wish_rank(apps: Applications, commune: str) -> npt.NDArray[np.int8]:
    """Rank of ``commune`` in each application's wishes; ``n_ranks`` when not wished."""
    codes, lookup, none = apps.wished_codes
    n_ranks = codes.shape[1]
    rank = np.full(len(apps), n_ranks, dtype=np.int8)
    code = lookup.get(commune)
    if code is not None:
        for r in range(n_ranks - 1, -1, -1):
            rank[codes[:, r] == code] = r
    if n_ranks:
        rank[none] = 0
    else:
        rank[:] = 0
    return rank


def pool_mask(reservataire: Any, apps: Applications, a_idx: IntArray) -> BoolArray:
    """Applications in the pool of the reservataire(s) (keys or types, broadcasting): employed
    applicants for Action Logement, priority or DALO households for the prefect's priority
    contingent, everyone otherwise."""
    res = np.asarray(reservataire, dtype=object)
    kinds = np.array([reservataire_kind(str(r)) for r in res.ravel()], dtype=object).reshape(
        res.shape
    )
    ok = ~np.asarray(kinds == POOL_EMPLOYED, dtype=bool) | apps.employed[a_idx]
    ok &= ~np.asarray(kinds == POOL_PRIORITY, dtype=bool) | apps.priority[a_idx]
    return np.asarray(ok, dtype=bool)


def _zero_aid(cost: FloatArray, apps: IntArray, vacancies: IntArray) -> FloatArray:
    return np.zeros(np.broadcast_shapes(cost.shape, apps.shape))


def admissible_block(
    vac: Vacancies,
    apps: Applications,
    v_idx: IntArray,
    a_idx: IntArray,
    thresholds: Thresholds,
    coefficients: WeightCoefficients,
    aid: AidFunction | None = None,
    ranks: npt.NDArray[np.int8] | None = None,
    apply_pool: bool = True,
) -> tuple[BoolArray, FloatArray, FloatArray, npt.NDArray[np.int8]]:
    """Admissibility, weight, effort rate and wish rank of the pairs ``v_idx × a_idx``.

    ``v_idx`` and ``a_idx`` broadcast (e.g. shapes ``(m, 1)`` and ``(1, n)``, or two 1-D arrays of
    the same length). ``ranks``, when given, holds the wish ranks already broadcast.
    ``apply_pool=False`` ignores the reservataire pools (the simulation applies its own).
    """
    aid_fn = aid or _zero_aid
    n_ranks = max(apps.wished.shape[1], 1)
    fin = vac.financing[v_idx]
    kind = _ceiling_kind(fin)
    if apps.ceilings.ndim == 3:
        ceiling = apps.ceilings[a_idx, kind, _ceiling_zones(vac)[v_idx]]
    else:
        ceiling = apps.ceilings[a_idx, kind]
    ok = apps.income[a_idx] <= ceiling
    rooms = vac.rooms[v_idx]
    ok &= (apps.rooms_min[a_idx] <= rooms) & (rooms <= apps.rooms_max[a_idx])
    if apply_pool:
        ok &= pool_mask(vac.reservataire_kinds[v_idx], apps, a_idx)
    if ranks is None:
        v_b, a_b = np.broadcast_arrays(v_idx, a_idx)
        ranks = np.empty(v_b.shape, dtype=np.int8)
        for commune in np.unique(vac.commune[v_b]):
            sel = vac.commune[v_b] == commune
            ranks[sel] = wish_rank(apps, str(commune))[a_b[sel]]
    ok &= ranks < n_ranks
    cost = vac.housing_cost[v_idx]
    net = np.maximum(cost - aid_fn(cost, a_idx, v_idx), 0.0)
    resources = apps.monthly_resources[a_idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        effort = np.where(resources > 0, net / resources, np.inf)
        rav = (resources - net) / apps.consumption_units[a_idx] / thresholds.days_per_month
    ok &= (effort <= thresholds.max_effort_rate) & (rav >= thresholds.min_reste_a_vivre)
    weight = (
        1.0
        + coefficients.score * apps.score_normalised[a_idx]
        + coefficients.commune * (1.0 - ranks / n_ranks)
        - coefficients.effort * np.where(np.isfinite(effort), effort, 0.0)
    )
    return ok, weight, effort, ranks


def _ceiling_kind(financing: Any) -> Any:
    """The column of the applications' income ceilings for a financing code (or array of
    codes): PLAI and PLUS their own, PLS and above the PLS column."""
    return np.minimum(financing, FIN_PLUS + (financing == FIN_PLS))


def _ceiling_zones(vac: Vacancies) -> IntArray:
    """The income-ceiling zone of every vacancy, which ceilings given per zone need."""
    if vac.ceiling_zone is None:
        raise InputError(
            "Plafonds par zone sans zone des logements.",
            Location("logements vacants", None, "ceiling_zone", None),
            "Donnez la zone des plafonds de ressources de la commune de chaque logement.",
        )
    return vac.ceiling_zone


def _ceiling_column(vac: Vacancies, apps: Applications, v: int) -> FloatArray:
    """Every application's income ceiling for the financing (and zone) of vacancy ``v``."""
    kind = int(_ceiling_kind(vac.financing[v]))
    if apps.ceilings.ndim == 3:
        out: FloatArray = apps.ceilings[:, kind, int(_ceiling_zones(vac)[v])]
        return out
    out = apps.ceilings[:, kind]
    return out


def fit_key(vac: Vacancies, v: int) -> tuple[int, int, int]:
    """What ``fits_vacancy`` reads of vacancy ``v`` besides its commune: the ceiling column
    (financing family), the income-ceiling zone (-1 without) and the rooms. Vacancies of one
    commune with the same key admit the same applications by these rules."""
    fin = int(vac.financing[v])
    zone = -1 if vac.ceiling_zone is None else int(vac.ceiling_zone[v])
    return int(_ceiling_kind(fin)), zone, int(vac.rooms[v])


def fits_vacancy(vac: Vacancies, apps: Applications, v: int, a_idx: IntArray) -> BoolArray:
    """The rules of ``admissible_for_vacancy`` that need no housing aid, but the wishes: the
    income ceiling of the dwelling's financing and the size of the dwelling."""
    a_idx = np.asarray(a_idx, dtype=np.int64)
    rooms = vac.rooms[v]
    ok: BoolArray = apps.income[a_idx] <= _ceiling_column(vac, apps, v)[a_idx]
    ok &= (apps.rooms_min[a_idx] <= rooms) & (rooms <= apps.rooms_max[a_idx])
    return ok


@njit(cache=True, nogil=True, error_model="numpy")
def _affordability(
    cost: float,
    amount: Any,
    a_idx: Any,
    monthly_resources: Any,
    consumption_units: Any,
    max_effort_rate: float,
    min_reste_a_vivre: float,
    days_per_month: float,
    passed: Any,
    effort_out: Any,
) -> None:  # pragma: no cover - compiled by numba, exercised through affordable_for_vacancy
    """The effort rate and reste à vivre rules of ``admissible_block`` for one vacancy of
    monthly ``cost``, the aid ``amount`` of each application ``a_idx``: the same operations in
    the same order as the array formula (``max(cost - aid, 0)``, then the divisions), so the
    same results bit for bit; ``effort_out`` is 0 where the rules fail."""
    for i in range(a_idx.size):
        net = cost - amount[i]
        if net < 0.0:
            net = 0.0
        resources = monthly_resources[a_idx[i]]
        effort = net / resources if resources > 0 else np.inf
        rav = (resources - net) / consumption_units[a_idx[i]] / days_per_month
        ok = effort <= max_effort_rate and rav >= min_reste_a_vivre
        passed[i] = ok
        effort_out[i] = effort if ok else 0.0


def affordable_for_vacancy(
    vac: Vacancies,
    apps: Applications,
    v: int,
    a_idx: IntArray,
    thresholds: Thresholds,
    aid: AidFunction | None = None,
) -> tuple[BoolArray, FloatArray]:
    """The affordability rules of ``admissible_for_vacancy`` (effort rate and reste à vivre,
    with the housing aid) for the applications ``a_idx`` (1-D) in vacancy ``v``: which pass, and
    the effort rate (0 where they fail). The aid function's ``one_dwelling`` method, when it has
    one (``allocation.scenario.HousingAid``), computes the same aid for one vacancy."""
    aid_fn = aid or _zero_aid
    cost = vac.housing_cost[v : v + 1]
    one = getattr(aid_fn, "one_dwelling", None)
    if one is not None:
        amount = one(float(cost[0]), a_idx, v)
    else:
        amount = aid_fn(cost, a_idx, np.full(1, v, np.int64))
    passed: BoolArray = np.empty(a_idx.size, dtype=np.bool_)
    out: FloatArray = np.empty(a_idx.size)
    _affordability(
        float(cost[0]),
        np.asarray(amount, dtype=np.float64).reshape(-1),
        a_idx,
        apps.monthly_resources,
        apps.consumption_units,
        float(thresholds.max_effort_rate),
        float(thresholds.min_reste_a_vivre),
        float(thresholds.days_per_month),
        passed,
        out,
    )
    return passed, out


def admissible_for_vacancy(
    vac: Vacancies,
    apps: Applications,
    v: int,
    a_idx: IntArray,
    thresholds: Thresholds,
    aid: AidFunction | None = None,
    ranks: npt.NDArray[np.int8] | None = None,
    candidates: BoolArray | None = None,
) -> tuple[BoolArray, FloatArray]:
    """Admissibility and effort rate of the pairs ``v × a_idx`` (one vacancy, a 1-D array of
    applications), as ``admissible_block`` without the pools, computing the housing aid only
    for the pairs that pass the other rules (ceilings, rooms, wishes, ``candidates`` when
    given): the effort rate is the same as ``admissible_block``'s where admissible, 0 elsewhere.

    The simulation examines each vacancy's candidates in order with its two parts
    (``fits_vacancy``, then ``affordable_for_vacancy``; ``allocation.simulate``): most
    candidates fail the ceiling or the size of the dwelling, and the housing aid, the costliest
    rule, is skipped for them.
    """
    n_ranks = max(apps.wished.shape[1], 1)
    a_idx = np.asarray(a_idx, dtype=np.int64)
    ok = fits_vacancy(vac, apps, v, a_idx)
    if ranks is None:
        ranks = wish_rank(apps, str(vac.commune[v]))[a_idx]
    ok &= ranks < n_ranks
    if candidates is not None:
        ok &= candidates
    effort_all = np.zeros(a_idx.size)
    keep = np.flatnonzero(ok)
    if keep.size == 0:
        return ok, effort_all
    passed, effort = affordable_for_vacancy(vac, apps, v, a_idx[keep], thresholds, aid)
    ok[keep] = passed
    effort_all[keep] = effort
    return ok, effort_all


def build_pairs(
    vac: Vacancies,
    apps: Applications,
    thresholds: Thresholds,
    coefficients: WeightCoefficients = WeightCoefficients(),
    k: int | None = DEFAULT_K,
    aid: AidFunction | None = None,
    chunk: int = 32,
) -> Pairs:
    """Admissible pairs bounded per vacancy, in vectorised chunks of vacancies.

    With ``k`` set, a vacancy keeps (i) its best ``k + g`` candidates by weight, where ``g`` is the
    number of other vacancies of the same commune and size (they compete for the same applicants,
    so a fixed K would leave dwellings empty), capped at ``4 k``; (ii) its best ``k // 4`` Q1-or-NPNRU
    candidates and (iii) its best ``k // 4`` priority candidates, so that every quota can be met.
    ``k=None`` keeps every admissible pair.
    """
    n_ranks = max(apps.wished.shape[1], 1)
    out: list[tuple[IntArray, IntArray, FloatArray, FloatArray, npt.NDArray[np.int8]]] = []
    communes = vac.commune.astype(str)
    key = np.char.add(communes.astype("U"), np.char.mod("|%d", vac.rooms))
    _, group, group_size = np.unique(key, return_inverse=True, return_counts=True)
    order = np.lexsort((np.arange(len(vac)), communes))
    sorted_communes = communes[order]
    starts = (
        np.flatnonzero(np.r_[True, sorted_communes[1:] != sorted_communes[:-1]])
        if len(vac)
        else np.zeros(0, np.int64)
    )
    bounds = [*starts.tolist(), len(vac)]
    q1n_all, prio_all = apps.q1_or_npnru, apps.priority
    for s, e in itertools.pairwise(bounds):
        ranks_all = wish_rank(apps, str(sorted_communes[s]))
        subset = np.flatnonzero(ranks_all < n_ranks).astype(np.int64)
        if subset.size == 0:
            continue
        rank_row = ranks_all[subset][None, :]
        a_row = subset[None, :]
        q1n, prio = q1n_all[subset], prio_all[subset]
        for c0 in range(s, e, chunk):
            v = order[c0 : min(c0 + chunk, e)].astype(np.int64)[:, None]
            ranks = np.broadcast_to(rank_row, (v.shape[0], subset.size))
            ok, weight, effort, _ = admissible_block(
                vac, apps, v, a_row, thresholds, coefficients, aid, ranks
            )
            masked = np.where(ok, weight, -np.inf)
            if k is None:
                keep = ok
            else:
                k_v = np.minimum(k + group_size[group[v[:, 0]]] - 1, 4 * k)
                keep = np.zeros(masked.shape, bool)
                rows = np.arange(v.shape[0])[:, None]
                _mark_top(keep, masked, k_v, rows)
                k_q = np.full(v.shape[0], max(k // 4, 1))
                _mark_top(keep, np.where(q1n[None, :], masked, -np.inf), k_q, rows)
                _mark_top(keep, np.where(prio[None, :], masked, -np.inf), k_q, rows)
                keep &= ok
            r_i, c_i = np.nonzero(keep)
            out.append(
                (v[r_i, 0], subset[c_i], weight[r_i, c_i], effort[r_i, c_i], ranks[r_i, c_i])
            )
    if out:
        pv, pa, pw, pe, pr = (np.concatenate([o[i] for o in out]) for i in range(5))
    else:
        pv = pa = np.zeros(0, np.int64)
        pw = pe = np.zeros(0)
        pr = np.zeros(0, np.int8)
    sort = np.lexsort((pa, -pw, pv))
    return Pairs(
        vacancy=_frozen(pv[sort], np.int64),
        application=_frozen(pa[sort], np.int64),
        weight=_frozen(pw[sort], np.float64),
        effort=_frozen(pe[sort], np.float64),
        rank=_frozen(pr[sort], np.int64),
    )


def _mark_top(keep: BoolArray, values: FloatArray, k_v: IntArray, rows: IntArray) -> None:
    """Set ``keep`` on each row's ``k_v[row]`` largest finite values."""
    n = values.shape[1]
    k_max = int(k_v.max())
    if k_max >= n:
        top = np.broadcast_to(np.arange(n)[None, :], values.shape)
    else:
        top = np.argpartition(-values, k_max - 1, axis=1)[:, :k_max]
    top_values = values[rows, top]
    order = np.argsort(-top_values, axis=1, kind="stable")
    top = top[rows, order]
    within = np.arange(top.shape[1])[None, :] < k_v[:, None]
    within &= np.isfinite(top_values[rows, order])
    keep[np.broadcast_to(rows, top.shape)[within], top[within]] = True


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Immutable allocation problem: who may get which dwelling, at what value, under which quotas.

    ``built_pairs`` are the admissible pairs when known; None: ``pairs`` builds them on first use
    (``build_pairs``). The simulated commissions never read them (``simulate.simulate_year``
    checks each candidate it examines), so a simulated year does not pay for them: on the
    simulated year of Paris (one commune, every vacancy against every applicant) they were
    nearly all of its time."""

    vacancies: Vacancies
    applications: Applications
    built_pairs: Pairs | None
    quotas: Quotas
    thresholds: Thresholds
    coefficients: WeightCoefficients = WeightCoefficients()
    k: int | None = DEFAULT_K
    aid: AidFunction | None = field(default=None, repr=False)

    @cached_property
    def pairs(self) -> Pairs:
        """The admissible pairs (``built_pairs``, else built now by ``build_pairs``)."""
        if self.built_pairs is not None:
            return self.built_pairs
        pairs = build_pairs(
            self.vacancies, self.applications, self.thresholds, self.coefficients, self.k, self.aid
        )
        # kept as the field too, so that ``dataclasses.replace`` (other quotas) reuses them
        object.__setattr__(self, "built_pairs", pairs)
        return pairs

    @cached_property
    def constraints(self) -> tuple[QuotaConstraint, ...]:
        """The quota constraints as share constraints over pair subsets."""
        q = self.quotas
        vac, apps, pairs = self.vacancies, self.applications, self.pairs
        in_qpv = vac.in_qpv[pairs.vacancy]
        q1n = apps.q1_or_npnru[pairs.application]
        non_q1 = ~apps.q1[pairs.application]
        prio = apps.priority[pairs.application]
        landlord = vac.landlord[pairs.vacancy]
        res = vac.reservataire[pairs.vacancy]
        out: list[QuotaConstraint] = []

        def add(
            name: str, label: str, share: float | None, mask: BoolArray, ind: BoolArray
        ) -> None:
            if share is None:
                return
            idx = np.flatnonzero(mask)
            out.append(
                QuotaConstraint(name, label, share, _frozen(idx, np.int64), _frozen(ind[idx], bool))
            )

        add("q1_hors_qpv:EPCI", "Q1 ou NPNRU hors QPV (EPCI)", q.q1_outside_qpv, ~in_qpv, q1n)
        for lid in sorted(set(vac.landlord.tolist())):
            add(
                f"q1_hors_qpv:{lid}",
                f"Q1 ou NPNRU hors QPV (bailleur {lid})",
                q.rate(Indicator.Q1_OUTSIDE_QPV, str(lid), q.q1_outside_qpv_landlord),
                ~in_qpv & (landlord == lid),
                q1n,
            )
        add("non_q1_en_qpv:EPCI", "hors Q1 en QPV (EPCI)", q.non_q1_in_qpv, in_qpv, non_q1)
        for lid in sorted(set(vac.landlord.tolist())):
            add(
                f"non_q1_en_qpv:{lid}",
                f"hors Q1 en QPV (bailleur {lid})",
                q.rate(Indicator.NON_Q1_IN_QPV, str(lid), q.non_q1_in_qpv_landlord),
                in_qpv & (landlord == lid),
                non_q1,
            )
        for rid in sorted(set(vac.reservataire.tolist())):
            if q.exempt(str(rid)):
                continue
            add(
                f"prioritaires:{rid}",
                f"prioritaires (réservataire {rid})",
                q.rate(Indicator.PRIORITY, str(rid), q.priority_per_reservataire),
                res == rid,
                prio,
            )
        return tuple(out)

    @cached_property
    def constraint_matrix(self) -> sp.csr_matrix:
        """``C`` (constraints × pairs) with entries ``indicator - share``: feasible iff ``C x >= 0``."""
        rows, cols, vals = [], [], []
        for i, c in enumerate(self.constraints):
            rows.append(np.full(c.pairs.shape[0], i))
            cols.append(c.pairs)
            vals.append(c.indicator.astype(np.float64) - c.share)
        if not rows:
            return sp.csr_matrix((0, len(self.pairs)))
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(self.constraints), len(self.pairs)),
        )

    def evaluate(
        self, vacancy: Sequence[int] | IntArray, application: Sequence[int] | IntArray
    ) -> tuple[BoolArray, FloatArray]:
        """Admissibility and weight of arbitrary (vacancy, application) pairs (not K-bounded)."""
        v = np.asarray(vacancy, np.int64)
        a = np.asarray(application, np.int64)
        ok, weight, _, _ = admissible_block(
            self.vacancies, self.applications, v, a, self.thresholds, self.coefficients, self.aid
        )
        return ok, weight

    def slacks(self, selected: IntArray) -> FloatArray:
        """``C x`` for the selected pairs, in assignments (negative = quota not met)."""
        x = np.zeros(len(self.pairs))
        x[np.asarray(selected, np.int64)] = 1.0
        return np.asarray(self.constraint_matrix @ x, dtype=np.float64)


def unmet_quotas(slack: FloatArray) -> BoolArray:
    """Mask of the quota constraints broken by the slacks ``C x`` (one entry per constraint).

    Constraint ``i`` is met when ``(C x)_i >= -QUOTA_TOLERANCE``: the share constraint
    ``sum(ind * x) >= s * sum(x)`` written ``sum((ind - s) * x) >= 0`` (module docstring), with a
    floating-point tolerance counted in assignments. This is the one definition of a met quota;
    the slack of a reported share over ``n`` attributions is ``n * (share - s)``.
    """
    out: BoolArray = np.asarray(slack, np.float64) < -QUOTA_TOLERANCE
    return out


def meets_quotas(problem: AllocationProblem, selected: IntArray) -> bool:
    """True when the selected pairs meet every quota constraint of ``problem`` (CCH L441-1
    shares, ``C x >= 0`` up to ``QUOTA_TOLERANCE``, see ``unmet_quotas``)."""
    return not bool(unmet_quotas(problem.slacks(selected)).any())


def build_problem(
    vacancies: Vacancies,
    applications: Applications,
    quotas: Quotas,
    thresholds: Thresholds,
    coefficients: WeightCoefficients = WeightCoefficients(),
    k: int | None = DEFAULT_K,
    aid: AidFunction | None = None,
) -> AllocationProblem:
    """Wrap everything in an immutable ``AllocationProblem``; its pairs are built on first use
    (``AllocationProblem.pairs``: the optimiser's, never the simulation's)."""
    return AllocationProblem(
        vacancies, applications, None, quotas, thresholds, coefficients, k, aid
    )
