"""A year of allocation commissions, simulated: what next year's attributions may look like.

Process (documented in ``docs/allocation.md``):

1. **Arrivals**: each vacancy arrives on a day of the year (given, or drawn uniformly with the
   seed); vacancies are examined in weekly commissions (every ``commission_weekday``), in order of
   arrival.
2. **Orientation (gestion en flux, docs/droit.md §6)**: when reservation flows are given, each
   landlord keeps a ledger per reservataire, ``entitled = share × vacancies directed so far``,
   ``delivered = vacancies directed to it``; the vacancy goes to the reservataire with the largest
   deficit ``entitled - delivered`` whose pool has a candidate for it (fit), ties broken by the
   order of the flows. Flows are given by reservataire type; the vacancy goes to the reservataire
   of that type as a legal person (``vocabulary.reservataire_key``): its own when the vacancy
   already belongs to one of that type, else the commune of the dwelling, the landlord's own
   stock, or the only reservataire of that type among the vacancies. Without flows the vacancy
   keeps its own reservataire.
3. **Pools**: Action Logement proposes employed applicants, the prefect's priority contingent
   priority or DALO households, every other reservataire all applicants.
4. **Fléchage**: a share of the non-QPV vacancies (drawn with the seed) is reserved to Q1 or
   NPNRU candidates; when none fits, the vacancy falls back to all candidates (and is counted).
5. **Commission**: the best-scored admissible candidates of the pool still waiting are examined,
   at least ``n_candidates`` (by default the legal minimum, three, parameter
   ``commission.candidats_min``, CCH R441-3) unless the best one is DALO (the DALO exception:
   one candidate suffices); the dwelling is offered in score order.
6. **Acceptance**: each offer is refused with probability
   ``1 / (1 + exp(-(intercept + effort × effort_rate + rank × wish_rank + qpv × in_qpv)))``;
   a refusing household stays in the queue (its refusal is counted). After ``max_rounds`` rounds
   of refusals the dwelling stays vacant this year.

The output is an attributions table in the canonical ``attributions`` schema, so the diagnostic's
quota indicators run on it unchanged; several replicates (seeds drawn from one generator) give
intervals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.allocation.problem import (
    POOL_EMPLOYED,
    POOL_PRIORITY,
    AllocationProblem,
    Applications,
    Vacancies,
    affordable_for_vacancy,
    fit_key,
    fits_vacancy,
    wish_rank,
)
from mixite.errors import ConfigError
from mixite.household import annual_resources, resources_per_uc
from mixite.params import Parameters, resolve
from mixite.schema import ATTRIBUTIONS
from mixite.vocabulary import (
    LONG_COLUMNS,
    Indicator,
    Level,
    reservataire_key,
    reservataire_kind,
    split_reservataire_key,
)

__all__ = [
    "INTERVAL_LEVEL",
    "AcceptanceModel",
    "SimulationConfig",
    "SimulationResult",
    "calibrate_solvency_preference",
    "designation_key",
    "epci_share",
    "quota_shares",
    "replicate_intervals",
    "simulate_replicates",
    "simulate_year",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
#: Largest block of candidates evaluated at once by a vacancy's scanner, and the first one; each
#: next block is four times larger than the one before, up to ``BLOCK``. The result does not
#: depend on them (the scanner reads candidates in order until it has enough, test
#: ``test_the_simulation_does_not_depend_on_the_scanner_blocks``). Most vacancies find their
#: candidates among the first few hundred; a few read thousands (a pool or the fléchage):
#: measured on the first round of a 150,000-dwelling projection year (8,400 vacancies, one
#: core, loaded machine), 2.5 s of computation with a first block of 256, 2.4 s with 1,024,
#: 2.8 s with 64, 3.6 s with 4,096 (a single block size, as before).
BLOCK = 4096
FIRST_BLOCK = 256
#: Level of the empirical interval of the quota shares across replicates.
INTERVAL_LEVEL = 0.9
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AcceptanceModel:
    """Logistic model of the probability that a household refuses an offer."""

    intercept: float = -2.2
    effort: float = 6.0
    rank: float = 0.5
    qpv: float = 0.7

    def refusal_probability(
        self,
        effort: FloatArray,
        rank: FloatArray,
        in_qpv: npt.NDArray[np.bool_],
        shift: FloatArray | float = 0.0,
    ) -> FloatArray:
        """``shift`` is added to the logit (per offer; negative: fewer refusals)."""
        z = self.intercept + self.effort * effort + self.rank * rank + self.qpv * in_qpv + shift
        return np.asarray(1.0 / (1.0 + np.exp(-z)), np.float64)


@dataclass(frozen=True)
class SimulationConfig:
    """Rules of the simulated year."""

    year: int
    #: Candidates examined per dwelling; ``None``: the legal minimum of the year (``candidates``).
    n_candidates: int | None = None
    dalo_exception: bool = True
    max_rounds: int = 3
    flechage_share: float = 0.0
    flows: Mapping[str, float] | None = None  # reservataire → share of each landlord's flow
    acceptance: AcceptanceModel = field(default_factory=AcceptanceModel)
    commission_weekday: int = 1  # 0 = Monday
    #: Weight of the household's solvency in the order in which candidates are designated:
    #: ``score_n + solvency_preference × resources_rank`` (both in [0, 1]); 0 = the cotation
    #: alone. Not a rule: the observed practice (commissions favour solvent households), to be
    #: calibrated on the territory's attributions (``calibrate_solvency_preference``).
    solvency_preference: float = 0.0
    #: Per application, a shift of the refusal logit of the offers outside QPV (negative: fewer
    #: refusals); None: none. The projection's social support (``docs/projection.md``).
    refusal_shift_outside_qpv: FloatArray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.flechage_share <= 1.0:
            raise ConfigError(
                f"Part de fléchage {self.flechage_share} hors de [0, 1] : donnez une part entre 0 et 1."
            )
        if self.solvency_preference < 0:
            raise ConfigError(
                f"Préférence de la commission pour la solvabilité {self.solvency_preference} "
                "négative : donnez une valeur positive ou nulle (0 = cotation seule)."
            )
        if (self.n_candidates is not None and self.n_candidates < 1) or self.max_rounds < 1:
            raise ConfigError(
                "Le nombre de candidats et le nombre de tours doivent être au moins égaux à 1."
            )
        if self.flows is not None:
            total = sum(self.flows.values())
            if any(v < 0 for v in self.flows.values()) or abs(total - 1.0) > 1e-6:
                raise ConfigError(
                    f"Les parts de flux des réservataires totalisent {total:.4f} : elles doivent "
                    "être positives et totaliser 1."
                )

    def candidates(self, params: Parameters | None = None) -> int:
        """Candidates examined per dwelling: ``n_candidates``, else the legal minimum in force on
        1 July of ``year`` (parameter ``commission.candidats_min``, CCH art. R441-3)."""
        if self.n_candidates is not None:
            return self.n_candidates
        when = dt.date(self.year, 7, 1)
        return int(resolve(params).value("commission.candidats_min", when))


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """One simulated year."""

    attributions: pd.DataFrame
    vacancy: IntArray  # index of the vacancy of each attribution
    application: IntArray  # index of the application of each attribution
    reservataire: npt.NDArray[np.object_]  # orientation of each attribution
    offers: int
    refusals: int
    unfilled: int  # vacancies left vacant
    flechage_fallbacks: int
    seed: int

    def objective(self, problem: AllocationProblem) -> float:
        """Total weight of the simulated assignments under the problem's objective."""
        _, weight = problem.evaluate(self.vacancy, self.application)
        return float(weight.sum())


def _commission_dates(year: int, weekday: int) -> list[dt.date]:
    day = dt.date(year, 1, 1)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    out = []
    while day.year == year:
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def _attributions_frame(
    vac: Vacancies,
    apps: Applications,
    v: IntArray,
    a: IntArray,
    reservataire: list[str],
    dates: list[dt.date],
    seed: int,
) -> pd.DataFrame:
    n = len(v)

    def opt_int(values: IntArray | None, default: int) -> npt.NDArray[np.int64]:
        return np.full(n, default, np.int64) if values is None else values[a].astype(np.int64)

    size = opt_int(apps.household_size, 1)
    adults = opt_int(apps.adults, 1)
    data = {
        "attribution_id": [f"SIM{seed % 100000:05d}-{i:06d}" for i in range(n)],
        "application_id": [str(x) for x in apps.ids[a]],
        "dwelling_id": [str(x) for x in vac.ids[v]],
        "landlord_id": [str(x) for x in vac.landlord[v]],
        "commune": [str(x) for x in vac.commune[v]],
        "in_qpv": vac.in_qpv[v].astype(bool),
        "qpv_code": (
            [None if not x else str(x) for x in vac.qpv_code[v]]
            if vac.qpv_code is not None
            else [None] * n
        ),
        "lease_date": pd.to_datetime(pd.Series(dates, dtype=object)).astype("datetime64[ns]"),
        "filing_date": pd.Series([pd.NaT] * n, dtype="datetime64[ns]"),
        "reservataire": [split_reservataire_key(str(r))[0] for r in reservataire],
        "reservataire_id": [split_reservataire_key(str(r))[1] for r in reservataire],
        "rooms": vac.rooms[v].astype(np.int64),
        "rent": (vac.rent if vac.rent is not None else vac.housing_cost)[v].astype(np.float64),
        "household_size": size,
        "adults": adults,
        "persons_14plus": opt_int(apps.persons_14plus, 1),
        "monthly_resources": apps.monthly_resources[a].astype(np.float64),
        "is_mutation": (
            np.zeros(n, bool) if apps.is_mutation is None else apps.is_mutation[a].astype(bool)
        ),
        "npnru_relocation": apps.npnru[a].astype(bool),
        "dalo": apps.dalo[a].astype(bool),
        "priority": apps.priority[a].astype(bool),
    }
    frame = pd.DataFrame({c.name: data[c.name] for c in ATTRIBUTIONS.columns})
    for col in ("attribution_id", "application_id", "dwelling_id", "landlord_id", "commune"):
        frame[col] = frame[col].astype(object)
    frame["qpv_code"] = frame["qpv_code"].astype(object)
    frame["reservataire"] = frame["reservataire"].astype(object)
    frame["reservataire_id"] = frame["reservataire_id"].astype(object)
    return frame


class _Scanner:
    """Admissible, still waiting candidates of one vacancy, evaluated block by block (the first
    blocks small, most vacancies find their candidates among the first few hundred).

    ``candidates`` already fit the dwelling (``problem.fits_vacancy``) and wish its commune; a
    block checks that they still wait and the affordability rules (``affordable_for_vacancy``,
    the housing aid computed for them only)."""

    def __init__(
        self,
        problem: AllocationProblem,
        v: int,
        candidates: IntArray,
        ranks: npt.NDArray[np.int8],
        housed: BoolArray,
    ) -> None:
        self.problem = problem
        self.v = v
        self.candidates = candidates
        self.ranks = ranks
        self.housed = housed
        # Grown as blocks are scanned (most vacancies read a small part of a long list).
        self.ok = np.zeros(min(candidates.size, FIRST_BLOCK), bool)
        self.effort = np.zeros(self.ok.size)
        self.scanned = 0
        self.blocks = 0
        #: Per pool rule, the scanned candidates it admits (extended as blocks are scanned).
        self.pools: dict[str, BoolArray] = {}

    def scan_next(self) -> bool:
        if self.scanned >= self.candidates.size:
            return False
        pb = self.problem
        size = min(FIRST_BLOCK << (2 * self.blocks), BLOCK)
        self.blocks += 1
        start = self.scanned
        a_blk = self.candidates[start : start + size]
        end = start + a_blk.size
        if end > self.ok.size:
            grown = min(max(end, 2 * self.ok.size), self.candidates.size)
            self.ok = np.concatenate([self.ok, np.zeros(grown - self.ok.size, bool)])
            self.effort = np.concatenate([self.effort, np.zeros(grown - self.effort.size)])
        waiting = np.flatnonzero(~self.housed[a_blk])
        if waiting.size:
            passed, effort = affordable_for_vacancy(
                pb.vacancies, pb.applications, self.v, a_blk[waiting], pb.thresholds, pb.aid
            )
            self.ok[start + waiting] = passed
            self.effort[start + waiting] = effort
        self.scanned = end
        return True

    def available(self, reservataire: str, q1_only: bool) -> BoolArray:
        """Scanned candidates in the reservataire's pool (and Q1 or NPNRU when ``q1_only``)."""
        apps = self.problem.applications
        n = self.scanned
        kind = reservataire_kind(str(reservataire))
        m = self.ok[:n]
        if kind in (POOL_EMPLOYED, POOL_PRIORITY):
            pool = self.pools.get(kind)
            if pool is None or pool.size < n:
                cands = self.candidates[:n]
                pool = apps.employed[cands] if kind == POOL_EMPLOYED else apps.priority[cands]
                self.pools[kind] = pool
            m = m & pool[:n]
        return m & apps.q1_or_npnru[self.candidates[:n]] if q1_only else m


class _Reservataires:
    """Resolves a reservataire type of the flows to the reservataire (legal person) a vacancy
    goes to (module docstring, step 2)."""

    def __init__(self, vac: Vacancies) -> None:
        self.vac = vac
        by_kind: dict[str, set[str]] = {}
        for key in set(vac.reservataire.tolist()):
            by_kind.setdefault(split_reservataire_key(str(key))[0], set()).add(str(key))
        self.only = {kind: next(iter(keys)) for kind, keys in by_kind.items() if len(keys) == 1}

    def of(self, name: str, v: int) -> str:
        kind, ident = split_reservataire_key(name)
        if ident is not None:
            return name
        own = str(self.vac.reservataire[v])
        if split_reservataire_key(own)[0] == kind:
            return own
        if kind == "commune":
            return reservataire_key(kind, self.vac.commune[v])
        if kind == "bailleur":
            return reservataire_key(kind, self.vac.landlord[v])
        return self.only.get(kind, name)


def designation_key(apps: Applications, solvency_preference: float) -> FloatArray:
    """Order in which the commission designates candidates: the normalised cotation score plus
    ``solvency_preference`` × the rank of the household's resources per consumption unit
    (``mixite.household.resources_per_uc``) among the applications (0 = poorest, 1 = richest)."""
    if solvency_preference == 0 or len(apps) == 0:
        return np.asarray(apps.score, np.float64)
    per_uc = resources_per_uc(annual_resources(apps.monthly_resources), apps.consumption_units)
    rank = np.empty(len(apps))
    rank[np.argsort(per_uc, kind="stable")] = np.arange(len(apps)) / max(len(apps) - 1, 1)
    return np.asarray(apps.score_normalised + solvency_preference * rank, np.float64)


def simulate_year(
    problem: AllocationProblem,
    config: SimulationConfig,
    seed: int,
    arrival_day: npt.NDArray[np.int64] | None = None,
) -> SimulationResult:
    """Simulate the commissions of ``config.year`` on the problem's vacancies and applications."""
    rng = np.random.default_rng(seed)
    vac, apps = problem.vacancies, problem.applications
    n_v, n_a = len(vac), len(apps)
    days_in_year = (dt.date(config.year, 12, 31) - dt.date(config.year, 1, 1)).days + 1
    if arrival_day is None:
        arrival_day = rng.integers(0, days_in_year, n_v)
    commissions = _commission_dates(config.year, config.commission_weekday)
    first = commissions[0]
    day_of_commission = np.array([(d - dt.date(config.year, 1, 1)).days for d in commissions])
    # Each vacancy goes to the first commission on or after its arrival (the last one otherwise).
    week = np.minimum(np.searchsorted(day_of_commission, arrival_day), len(commissions) - 1)
    order = np.lexsort((np.arange(n_v), arrival_day, week))
    flagged = (~vac.in_qpv) & (rng.random(n_v) < config.flechage_share)
    # Candidate lists per commune: applications wishing it, in designation order (decreasing
    # score, shifted by the commission's preference for solvent households when set).
    by_score = np.argsort(-designation_key(apps, config.solvency_preference), kind="stable")
    n_ranks = max(apps.wished.shape[1], 1)
    lists: dict[str, tuple[IntArray, npt.NDArray[np.int8]]] = {}
    fitting: dict[tuple[str, int, int, int], list[Any]] = {}
    housed = np.zeros(n_a, bool)
    refusals_of = np.zeros(n_a, np.int64)
    flows = dict(config.flows) if config.flows else None
    n_candidates = config.candidates()
    res_names = list(flows) if flows else []
    shares = np.array([flows[r] for r in res_names]) if flows else np.zeros(0)
    persons = _Reservataires(vac)
    directed: dict[str, npt.NDArray[np.float64]] = {}
    out_v: list[int] = []
    out_a: list[int] = []
    out_r: list[str] = []
    out_d: list[dt.date] = []
    offers = refusals = unfilled = fallbacks = 0
    current_week = -1
    for v in order.tolist():
        commune = str(vac.commune[v])
        if commune not in lists:
            ranks = wish_rank(apps, commune)[by_score]
            keep = ranks < n_ranks
            lists[commune] = (by_score[keep], ranks[keep])
        if week[v] != current_week:  # new commission: drop the households housed meanwhile
            current_week = int(week[v])
            for key, (c_a, r_a) in lists.items():
                waiting = ~housed[c_a]
                if not waiting.all():
                    lists[key] = (c_a[waiting], r_a[waiting])
        # The candidates that fit the dwelling (ceiling, size), kept per commune and fit key
        # and pruned of the housed households once per commission, as the commune's lists.
        kind, zone, rooms = fit_key(vac, v)
        fit = fitting.get((commune, kind, zone, rooms))
        if fit is None:
            c_a, r_a = lists[commune]
            keep = fits_vacancy(vac, apps, v, c_a)
            fit = fitting[(commune, kind, zone, rooms)] = [c_a[keep], r_a[keep], current_week]
        elif fit[2] != current_week:
            waiting = ~housed[fit[0]]
            if not waiting.all():
                fit[0], fit[1] = fit[0][waiting], fit[1][waiting]
            fit[2] = current_week
        cand_all, rank_all = fit[0], fit[1]
        # Admissible, still waiting candidates in score order, evaluated lazily by blocks.
        scanner = _Scanner(problem, v, cand_all, rank_all, housed)
        scan_next = scanner.scan_next
        available = scanner.available
        scan_next()
        # Orientation by the flux ledger, subject to fit.
        if flows:
            landlord = str(vac.landlord[v])
            ledger = directed.setdefault(landlord, np.zeros(len(res_names)))
            deficit = shares * (ledger.sum() + 1) - ledger
            reservataire = res_names[int(np.argmax(deficit))]
            for r in np.argsort(-deficit, kind="stable").tolist():
                while not available(res_names[r], False).any() and scan_next():
                    pass
                if available(res_names[r], False).any():
                    reservataire = res_names[r]
                    break
            ledger[res_names.index(reservataire)] += 1
            reservataire = persons.of(reservataire, v)
        else:
            reservataire = str(vac.reservataire[v])
        need = n_candidates * config.max_rounds
        q1_only = bool(flagged[v])
        while available(reservataire, q1_only).sum() < need and scan_next():
            pass
        ok = available(reservataire, q1_only)
        if q1_only and not ok.any():
            fallbacks += 1
            while available(reservataire, False).sum() < need and scan_next():
                pass
            ok = available(reservataire, False)
        effort = scanner.effort
        idx = np.flatnonzero(ok)
        filled = False
        cursor = 0
        for _ in range(config.max_rounds):
            if cursor >= idx.size:
                break
            take = n_candidates
            if config.dalo_exception and apps.dalo[cand_all[idx[cursor]]]:
                take = 1
            chosen = idx[cursor : cursor + take]
            cursor += take
            shift = config.refusal_shift_outside_qpv
            p_refuse = config.acceptance.refusal_probability(
                effort[chosen],
                rank_all[chosen].astype(np.float64),
                np.full(chosen.size, vac.in_qpv[v]),
                0.0 if shift is None or vac.in_qpv[v] else shift[cand_all[chosen]],
            )
            draws = rng.random(chosen.size)
            for j, i in enumerate(chosen.tolist()):
                a = int(cand_all[i])
                offers += 1
                if draws[j] < p_refuse[j]:
                    refusals += 1
                    refusals_of[a] += 1
                    continue
                housed[a] = True
                out_v.append(v)
                out_a.append(a)
                out_r.append(reservataire)
                out_d.append(commissions[int(week[v])] if week[v] >= 0 else first)
                filled = True
                break
            if filled:
                break
        if not filled:
            unfilled += 1
    v_arr = np.array(out_v, np.int64)
    a_arr = np.array(out_a, np.int64)
    frame = _attributions_frame(vac, apps, v_arr, a_arr, out_r, out_d, seed)
    return SimulationResult(
        frame,
        v_arr,
        a_arr,
        np.array(out_r, dtype=object),
        offers,
        refusals,
        unfilled,
        fallbacks,
        seed,
    )


def simulate_replicates(
    problem: AllocationProblem,
    config: SimulationConfig,
    seed: int,
    replicates: int,
    arrival_day: npt.NDArray[np.int64] | None = None,
) -> list[SimulationResult]:
    """``replicates`` independent years; their seeds are drawn from ``seed``."""
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, replicates)
    return [simulate_year(problem, config, int(s), arrival_day) for s in seeds]


def quota_shares(
    vacancies: Vacancies,
    applications: Applications,
    vacancy: IntArray,
    application: IntArray,
    reservataire: npt.NDArray[np.object_] | None = None,
    epci: str = "epci",
) -> pd.DataFrame:
    """Quota results of an assignment, in the long format of ``vocabulary.LONG_COLUMNS``
    (without the target): one row per level (the EPCI, whose group is ``epci``, each landlord,
    each reservataire as a legal person, each landlord's own stock ``bailleur:<SIREN>`` at level
    ``bailleur_non_reserve``) and objective, with ``denominator``, ``numerator`` and ``share``.

    Q1 outside QPV counts Q1 or NPNRU households among the attributions outside QPV; non-Q1 in
    QPV the others among those in QPV; priority publics the DALO or priority households among
    all the attributions of the group (CCH art. L441-1, ``docs/droit.md``).
    """
    v = np.asarray(vacancy, np.int64)
    a = np.asarray(application, np.int64)
    res = vacancies.reservataire[v] if reservataire is None else np.asarray(reservataire, object)
    in_qpv = vacancies.in_qpv[v]
    q1n = applications.q1_or_npnru[a]
    non_q1 = ~applications.q1[a]
    prio = applications.priority[a]
    scopes: list[tuple[str, str, npt.NDArray[np.bool_]]] = [
        (Level.EPCI, epci, np.ones(v.size, bool))
    ]
    for lid in sorted(set(vacancies.landlord.tolist())):
        scopes.append((Level.LANDLORD, str(lid), vacancies.landlord[v] == lid))
    for rid in sorted(set(res.tolist())):
        kind, ident = split_reservataire_key(str(rid))
        if kind == "bailleur" and ident is not None:  # a landlord's own stock
            scopes.append((Level.LANDLORD_NON_RESERVED, ident, res == rid))
        else:
            scopes.append((Level.RESERVATAIRE, str(rid), res == rid))
    rows = []
    for level, group, m in scopes:
        out_m, in_m = m & ~in_qpv, m & in_qpv
        measures: tuple[tuple[Indicator, BoolArray, BoolArray], ...] = (
            (Indicator.Q1_OUTSIDE_QPV, out_m, q1n & out_m),
            (Indicator.NON_Q1_IN_QPV, in_m, non_q1 & in_m),
            (Indicator.PRIORITY, m, prio & m),
        )
        if level == Level.LANDLORD_NON_RESERVED:  # only the priority objective applies there
            measures = measures[2:]
        for indicator, den, num in measures:
            d, n = int(den.sum()), int(num.sum())
            rows.append(
                {
                    "level": str(level),
                    "group": group,
                    "indicator": str(indicator),
                    "denominator": d,
                    "numerator": n,
                    "share": n / d if d else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=list(LONG_COLUMNS[:-1]))


def replicate_intervals(
    problem: AllocationProblem,
    results: list[SimulationResult],
    level: float = INTERVAL_LEVEL,
    epci: str = "epci",
) -> pd.DataFrame:
    """The quota results of several replicates: per level, group and objective, the mean
    ``denominator``, ``numerator`` and ``share`` and the empirical ``level`` interval of the
    share (``share_low``, ``share_high``)."""
    frames = [
        quota_shares(
            problem.vacancies,
            problem.applications,
            r.vacancy,
            r.application,
            r.reservataire,
            epci,
        )
        for r in results
    ]
    stacked = pd.concat(frames, ignore_index=True)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    keys = ["level", "group", "indicator"]
    grouped = stacked.groupby(keys, sort=False)
    out = grouped[["denominator", "numerator", "share"]].mean()
    out["share_low"] = grouped["share"].quantile(lo)
    out["share_high"] = grouped["share"].quantile(hi)
    return out.reset_index()


def epci_share(table: pd.DataFrame, indicator: str = Indicator.Q1_OUTSIDE_QPV) -> float:
    """The EPCI's share of an objective in a quota-results table (NaN when absent)."""
    row = table.loc[(table["level"] == Level.EPCI) & (table["indicator"] == indicator), "share"]
    return float(row.iloc[0]) if len(row) else float("nan")


def calibrate_solvency_preference(
    problem: AllocationProblem,
    config: SimulationConfig,
    observed_share: float,
    seed: int,
    *,
    replicates: int = 2,
    upper: float = 4.0,
    steps: int = 8,
) -> tuple[float, float]:
    """The commission's ``solvency_preference`` whose simulated EPCI share of Q1-or-NPNRU
    attributions outside QPV is closest to ``observed_share`` (bisection on [0, ``upper``], the
    share falling as the preference grows; mean of ``replicates`` years with common seeds).

    Returns ``(preference, simulated share)``. When even 0 gives a share below the observed one,
    returns 0 (the cotation alone already selects fewer Q1 households than observed).
    """
    from dataclasses import replace

    def share(preference: float) -> float:
        runs = simulate_replicates(
            problem, replace(config, solvency_preference=preference), seed, replicates
        )
        return epci_share(replicate_intervals(problem, runs))

    low, high = 0.0, upper
    s_low = share(low)
    if s_low <= observed_share:
        return low, s_low
    s_high = share(high)
    if s_high >= observed_share:
        return high, s_high
    for _ in range(steps):
        mid = (low + high) / 2
        s_mid = share(mid)
        if s_mid > observed_share:
            low, s_low = mid, s_mid
        else:
            high, s_high = mid, s_mid
    if abs(s_low - observed_share) <= abs(s_high - observed_share):
        return low, s_low
    return high, s_high
