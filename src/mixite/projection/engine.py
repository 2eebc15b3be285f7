"""One replicate of a strategy over the years: the yearly dynamics and a year of commissions.

Each year ``Y`` (the first is the base millésime N: the store holds the occupancy at 1 January N)
runs, in order (``docs/projection.md``, « Dynamique annuelle »):

1. **the strategy's events of the year**: deliveries of programmed residences (vacant, each
   arriving on a day of the year), rehabilitations (rents changed), sales to tenants (the
   occupant leaves the social stock with the dwelling), demolitions (the residence is no longer
   let; its households apply for relocation under the relocation rule and each dwelling leaves
   the stock once empty);
2. **the households' year**: ageing, births, children turning 14 and leaving home, separations
   (one adult leaves), resources fluctuating around their level of entry;
3. **departures** from the social stock (``rates.DepartureModel``), on a day drawn in the year;
   the dwelling is offered after the relet delay (``rates.relet_delay_days``);
4. **social support**: the year's supported Q1 households are chosen (the best-ranked pending
   applications);
5. **commissions**, by rounds: each round offers the dwellings vacant so far this year
   (rents rebalanced at relet where the strategy says so) in one call of the existing
   simulation (``allocation.simulate.simulate_year``, the year's allocation scenario); with the
   relocation planner (``relocation.PlannedRelocation``), households to relocate are first
   offered the round's vacancies by the planner and the planned dwellings leave the round; a
   household housed by mutation or relocation frees its former dwelling, offered in the next
   round (or next year) after the same delay; a vacancy left unlet waits for next year;
6. **the demand's year end**: pending applications lapse, the year's new applications still
   pending join (resampled from those the store shows filed during the last twelve months), new
   mutation applications are linked to occupant households of the same size.

Every household and every dwelling is accounted for every year (``ledger``): households at
1 January + new households − departures − sales = households at 31 December; dwellings at
1 January + deliveries − demolitions − sales = dwellings at 31 December = occupied + vacant +
not let to households (RPLS modes 3 to 5).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.affordability import one_thread
from mixite.projection.relocation import RelocationPlanner, RelocationRule, relocation_rule

if TYPE_CHECKING:
    from mixite.allocation.scenario import Scenario
    from mixite.params import Parameters
    from mixite.projection.base import ProjectionBase
    from mixite.projection.strategy import StrategyPlan

__all__ = [
    "IN_SERVICE",
    "RELOCATION_COUNTS",
    "Settings",
    "YearRecord",
    "run_replicate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Dwelling status codes.
NOT_DELIVERED, LETTABLE, NOT_LET, DEMOLISHED, SOLD = 0, 1, 2, 3, 4
#: Statuses of the dwellings in the social stock.
IN_SERVICE = (LETTABLE, NOT_LET)
_EMPLOYED = ("cdi", "cdd_interim", "apprenti")
_NEVER = np.inf


@dataclass(frozen=True)
class Settings:
    """The projection's hypotheses (``projection.*`` parameters at 1 January of the base)."""

    birth_rate: float
    birth_age_max: float
    separation_rate: float
    separation_keep: float
    turning_14_rate: float
    leaving_home_rate: float
    income_persistence: float
    income_sd: float
    income_growth: float
    max_rounds: int
    convention_margin: float
    household_by_rooms: Mapping[int, tuple[bool, int]]
    support_shift: float

    @classmethod
    def from_parameters(cls, millesime: int, params: Parameters | None = None) -> Settings:
        from mixite.params import resolve

        p = resolve(params)
        when = dt.date(millesime, 1, 1)

        def v(name: str) -> float:
            return float(p.value(f"projection.{name}", when))

        mapping = p.value("projection.loyers.menage_type_par_pieces", when)
        by_rooms = {
            int(k): (bool(m["couple"]), int(m["personnes_a_charge"])) for k, m in mapping.items()
        }
        return cls(
            birth_rate=v("menages.naissance_taux"),
            birth_age_max=v("menages.naissance_age_max"),
            separation_rate=v("menages.separation_taux"),
            separation_keep=v("menages.separation_part_ressources"),
            turning_14_rate=v("menages.passage_14_ans_taux"),
            leaving_home_rate=v("menages.decohabitation_taux"),
            income_persistence=v("revenus.persistance"),
            income_sd=v("revenus.ecart_type"),
            income_growth=v("revenus.croissance_reelle"),
            max_rounds=int(v("vacance.tours_max")),
            convention_margin=v("loyers.marge_convention"),
            household_by_rooms=by_rooms,
            support_shift=v("accompagnement.effet_refus"),
        )


@dataclass
class YearRecord:
    """What happened during one year of one replicate (counts and the tables of the year)."""

    year: int
    counts: dict[str, float]
    quotas: pd.DataFrame
    flux: pd.DataFrame
    rents: pd.DataFrame
    #: Flows per neighbourhood index: entrants, entrants_external, mutations_in, mutations_out,
    #: exits, q1_entrants.
    flows: dict[str, FloatArray]
    #: The relocations of the year (``RELOCATION_COUNTS``).
    relocation: dict[str, float] = field(default_factory=dict)


#: What is counted of the relocations each year: households to relocate waiting at 1 January,
#: newly to relocate (demolitions of the year), rehoused (by the planner, outside QPV, in a new
#: or recent dwelling), leaving the social stock instead, still waiting at 31 December
#: (``waiting_start + to_relocate = rehoused + left + waiting_end``), the shortfall of the
#: planner's targets (households, summed over the rounds) and the targets (NaN for the
#: priority rule).
RELOCATION_COUNTS = (
    "waiting_start",
    "to_relocate",
    "rehoused",
    "rehoused_planned",
    "rehoused_outside_qpv",
    "rehoused_recent",
    "left",
    "waiting_end",
    "shortfall_outside_qpv",
    "shortfall_recent",
    "target_outside_qpv",
    "target_recent",
)


def _days(year: int) -> int:
    return (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1


def _concat(table: dict[str, Any], rows: Mapping[str, Any]) -> IntArray:
    """Append ``rows`` (same keys) to ``table``; the indices of the new rows."""
    start = len(table["id"])
    for key in table:
        table[key] = np.concatenate([table[key], np.asarray(rows[key], dtype=table[key].dtype)])
    out: IntArray = np.arange(start, len(table["id"]), dtype=np.int64)
    return out


class _State:
    """The mutable state of one replicate (arrays of dwellings, households, applications)."""

    def __init__(
        self,
        base: ProjectionBase,
        plan: StrategyPlan,
        rng: np.random.Generator,
        settings: Settings,
        rule: RelocationRule,
    ) -> None:
        from mixite.allocation.scenario import ConventionMenus
        from mixite.household import consumption_units
        from mixite.params import resolve

        self.base = base
        self.plan = plan
        self.rng = rng
        self.menus = ConventionMenus(base.reservations)
        self.persons = _single_persons(base.reservations)
        self.settings = settings
        self.rule = rule
        #: The relocation planner, when the rule plans the relocations itself.
        self.planner: RelocationPlanner | None = (
            rule if isinstance(rule, RelocationPlanner) else None
        )
        #: A dwelling first let at most this many years before a year is « recent » that year.
        own = getattr(rule, "recent_years", None)
        self.recent_years = int(
            resolve(base.params).value(
                "relogement.anciennete_max_recent", dt.date(base.millesime, 1, 1)
            )
            if own is None
            else own
        )
        self.relocation: dict[str, float] = {}
        self.millesime = base.millesime
        self.threshold = base.q1_threshold
        self.when = dt.date(base.millesime, 1, 1)
        self.residences = base.residences.copy()
        self.origin = float(base.millesime)  # time 0 = 1 January of the base, in years
        d = {k: np.array(v, copy=True) for k, v in base.dwellings.items()}
        n_d = len(d["id"])
        d["status"] = np.where(d["lettable"], LETTABLE, NOT_LET).astype(np.int8)
        d["to_demolish"] = np.zeros(n_d, bool)
        d["programmed"] = np.zeros(n_d, bool)
        d["delivery"] = np.full(n_d, base.millesime - 1, np.int64)
        d["occupant"] = np.full(n_d, -1, np.int64)
        d["ready"] = np.full(n_d, _NEVER)
        d["rent_max"] = d["rent"] * (1.0 + settings.convention_margin)
        if "first_year" not in d:
            d["first_year"] = np.full(n_d, np.nan)
        self.d = d
        self._add_programme()
        self.d["apl_ceiling"] = self._apl_ceiling(self.d["apl_zone"], self.d["rooms"])
        from mixite.ceilings import ZONES

        index = {z: i for i, z in enumerate(ZONES)}
        #: Index of each dwelling's income-ceiling zone in ``ceilings.ZONES`` (the vacancies'
        #: ``ceiling_zone``); zone A (the highest ceilings) for an unknown zone.
        self.ceiling_zone_index = np.array(
            [index.get(str(z), index["A"]) for z in self.d["ceiling_zone"]], dtype=np.int64
        )
        # Households.
        h = {k: np.array(v, copy=True) for k, v in base.households.items()}
        n_h = len(h["id"])
        h["present"] = np.ones(n_h, bool)
        # Entered the social stock during the projection from outside it (first-time tenants);
        # unknown for the base's occupants.
        h["external"] = np.zeros(n_h, bool)
        h["application"] = np.full(n_h, -1, np.int64)
        positive = h["annual_resources"] > 0
        h["log_permanent"] = np.where(
            positive, np.log(np.where(positive, h["annual_resources"], 1.0)), -np.inf
        )
        h["shock"] = np.zeros(n_h)
        self.h = h
        self.d["occupant"][h["dwelling"]] = np.arange(n_h)
        # Vacant lettable dwellings of the base are offered from 1 January of the first year.
        vacant = (self.d["status"] == LETTABLE) & (self.d["occupant"] < 0)
        self.d["ready"][vacant] = 0.0
        # Applications.
        a = base.applications
        n_a = len(a["id"])
        self.p: dict[str, Any] = {
            k: np.array(v, copy=True) for k, v in a.items() if k != "seniority"
        }
        self.p["filing"] = self.origin - np.asarray(a["seniority"], dtype=float)
        self.p["source"] = np.arange(n_a, dtype=np.int64)
        self.p["household"] = np.full(n_a, -1, np.int64)
        self.p["relocation"] = np.zeros(n_a, bool)
        self.p["supported"] = np.zeros(n_a, bool)
        self.p["alive"] = np.ones(n_a, bool)
        self.recent_sources = np.flatnonzero(np.asarray(a["seniority"]) < 1.0)
        if self.recent_sources.size == 0:
            self.recent_sources = np.arange(n_a)
        self._link_mutations(np.arange(n_a))
        self.uc_fn = consumption_units
        self.new_households = 0
        self.counts: dict[str, float] = {}

    # -----------------------------------------------------------------------------------------
    # Dwellings
    # -----------------------------------------------------------------------------------------

    def _apl_ceiling(self, zone: IntArray, rooms: IntArray) -> FloatArray:
        """The housing-aid rent ceiling of a household fitting each dwelling (rents lever)."""
        from mixite.affordability import apl_scale

        scale = apl_scale(self.when, self.base.params)
        z = np.clip(np.asarray(zone, dtype=np.int64), 1, 3)
        by_rooms = self.settings.household_by_rooms
        top = max(by_rooms)
        couple = np.array([by_rooms[min(int(r), top)][0] for r in rooms], dtype=bool)
        dependants = np.array([by_rooms[min(int(r), top)][1] for r in rooms], dtype=np.int64)
        ceiling = np.where(couple, scale.ceiling_couple[z], scale.ceiling_single[z])
        with_children = scale.ceiling_one_dependant[z] + scale.ceiling_extra_dependant[z] * (
            np.maximum(dependants, 1) - 1
        )
        out: FloatArray = np.where(dependants > 0, with_children, ceiling).astype(np.float64)
        return out

    def _add_programme(self) -> None:
        """Append the programmed dwellings (not yet delivered) and their residences."""
        from mixite.indicators.roles import NEIGHBOURHOOD_PREFIX
        from mixite.projection.strategy import PROGRAMME_ROOMS

        programme = self.plan.programme
        if programme is None or programme.empty:
            return
        base = self.base
        neighbourhoods = list(base.neighbourhoods["neighbourhood"])
        res_rows: list[dict[str, Any]] = []
        columns: dict[str, list[Any]] = {k: [] for k in self.d}
        position = {n: i for i, n in enumerate(neighbourhoods)}
        zones = dict(
            zip(
                base.communes["commune"].astype(str),
                base.communes["apl_zone"].astype(str),
                strict=True,
            )
        )
        ceiling_zones = dict(
            zip(base.communes["commune"].astype(str), base.communes["ceiling_zone"], strict=True)
        )
        residences = self.residences
        for k, row in enumerate(programme.to_dict("records")):
            res_index = len(residences) + len(res_rows)
            qpv = row["qpv_code"] if isinstance(row["qpv_code"], str) and row["qpv_code"] else None
            key = qpv if qpv else NEIGHBOURHOOD_PREFIX + str(row["commune"])
            if key not in position:
                # A neighbourhood the base does not hold: added at the end.
                position[key] = len(neighbourhoods)
                neighbourhoods.append(key)
            x, y = float(row["x"]), float(row["y"])
            if not (np.isfinite(x) and np.isfinite(y)):
                same = residences.loc[residences["neighbourhood"] == key]
                if same.empty:
                    same = residences.loc[residences["commune"] == str(row["commune"])]
                x = float(same["x"].mean()) if len(same) else np.nan
                y = float(same["y"].mean()) if len(same) else np.nan
            counts = [int(row[r]) for r in PROGRAMME_ROOMS]
            rooms = np.repeat(np.arange(1, 6), counts)
            n = rooms.size
            res_rows.append(
                {
                    "residence_id": f"PROG-{k + 1:03d}",
                    "landlord_id": str(row["landlord_id"]),
                    "commune": str(row["commune"]),
                    "in_qpv": qpv is not None,
                    "qpv_code": qpv,
                    "neighbourhood": key,
                    "x": x,
                    "y": y,
                    "dwellings": n,
                    "programmed": True,
                    "name": str(row["residence_name"]),
                }
            )
            surface = np.array([base.surface_by_rooms[int(r)] for r in rooms])
            per_m2 = float(row["rent_m2"])
            if not np.isfinite(per_m2):
                per_m2 = base.convention_rent_m2[str(row["finan_family"])]
            rent = per_m2 * surface
            fin = {"plai": 0, "plus": 1, "pls": 2}[str(row["finan_family"])]
            values = {
                "id": [f"PROG-{k + 1:03d}-{j + 1:04d}" for j in range(n)],
                "residence": [res_index] * n,
                "neighbourhood": [position[key]] * n,
                "landlord": [str(row["landlord_id"])] * n,
                "commune": [str(row["commune"])] * n,
                "in_qpv": [qpv is not None] * n,
                "qpv_code": [qpv or ""] * n,
                "rooms": rooms.tolist(),
                "surface": surface.tolist(),
                "rent": rent.tolist(),
                "financing": [fin] * n,
                "lettable": [True] * n,
                "apl_zone": [int(zones.get(str(row["commune"]), "2"))] * n,
                "ceiling_zone": [ceiling_zones.get(str(row["commune"]), "A")] * n,
                "status": [NOT_DELIVERED] * n,
                "to_demolish": [False] * n,
                "programmed": [True] * n,
                "delivery": [int(row["year"])] * n,
                "occupant": [-1] * n,
                "ready": [_NEVER] * n,
                "rent_max": rent.tolist(),
                "first_year": [float(row["year"])] * n,
            }
            for key_, vals in values.items():
                columns[key_].extend(vals)
        for key_ in self.d:
            self.d[key_] = np.concatenate(
                [self.d[key_], np.asarray(columns[key_], dtype=self.d[key_].dtype)]
            )
        self.residences = pd.concat([residences, pd.DataFrame(res_rows)], ignore_index=True)
        self.neighbourhood_keys = neighbourhoods

    @property
    def neighbourhood_list(self) -> list[str]:
        keys = getattr(self, "neighbourhood_keys", None)
        return list(self.base.neighbourhoods["neighbourhood"]) if keys is None else keys

    def residence_index(self, code: str, source: str) -> IntArray:
        """Dwellings of residence ``code`` (a ``ConfigError`` when the base does not hold it)."""
        from mixite.errors import ConfigError

        match = np.flatnonzero(self.residences["residence_id"].astype(str).to_numpy() == code)
        if match.size == 0:
            raise ConfigError(
                f"Stratégie « {source} » : résidence « {code} » inconnue dans la base. Donnez "
                "l'identifiant RPLS (PROGRAMME) d'une résidence du territoire."
            )
        out: IntArray = np.flatnonzero(np.isin(self.d["residence"], match))
        return out

    # -----------------------------------------------------------------------------------------
    # Households and applications
    # -----------------------------------------------------------------------------------------

    def q1_households(self, rows: IntArray | None = None) -> BoolArray:
        """First-quartile status of households (resources per UC below the base's threshold)."""
        from mixite.household import is_q1, resources_per_uc

        h = self.h
        sel = slice(None) if rows is None else rows
        units = self.uc_fn(
            h["adults"][sel], h["persons_14plus"][sel], h["household_size"][sel], self.when
        )
        out: BoolArray = is_q1(resources_per_uc(h["annual_resources"][sel], units), self.threshold)
        return out

    def q1_applications(self, rows: IntArray) -> BoolArray:
        from mixite.household import annual_resources, is_q1, resources_per_uc

        per_uc = resources_per_uc(
            annual_resources(self.p["monthly_resources"][rows]),
            self.p["consumption_units"][rows],
        )
        out: BoolArray = is_q1(per_uc, self.threshold)
        return out

    def _link_mutations(self, rows: IntArray) -> None:
        """Link each new mutation application to an occupant household of the same size (capped
        at five persons) not yet linked; without one, the application stays unlinked (a tenant
        of a social dwelling elsewhere)."""
        p, h = self.p, self.h
        rows = rows[p["is_mutation"][rows] & (p["household"][rows] < 0) & p["alive"][rows]]
        if rows.size == 0:
            return
        free = np.flatnonzero(h["present"] & (h["application"] < 0))
        if free.size == 0:
            return
        size_h = np.minimum(h["household_size"][free], 5)
        size_a = np.minimum(p["household_size"][rows], 5)
        for size in np.unique(size_a):
            apps = rows[size_a == size]
            candidates = free[size_h == size]
            if candidates.size == 0:
                continue
            chosen = self.rng.permutation(candidates)[: apps.size]
            apps = apps[: chosen.size]
            p["household"][apps] = chosen
            h["application"][chosen] = apps

    def _cancel_applications(self, households: IntArray) -> None:
        rows = self.h["application"][households]
        rows = rows[rows >= 0]
        self.p["alive"][rows] = False
        self.p["household"][rows] = -1
        self.h["application"][households] = -1

    def _compact_pool(self) -> None:
        """Drop the applications no longer pending (keeps the arrays small)."""
        keep = np.flatnonzero(self.p["alive"])
        if keep.size == len(self.p["alive"]):
            return
        for key in self.p:
            self.p[key] = self.p[key][keep]
        linked = self.p["household"] >= 0
        self.h["application"][:] = -1
        self.h["application"][self.p["household"][linked]] = np.flatnonzero(linked)

    def _append_applications(self, rows: Mapping[str, Any]) -> IntArray:
        return _concat(self.p, rows)

    def _append_households(self, rows: Mapping[str, Any]) -> IntArray:
        return _concat(self.h, rows)

    # -----------------------------------------------------------------------------------------
    # The year
    # -----------------------------------------------------------------------------------------

    def exit_households(self, households: IntArray, time: FloatArray) -> None:
        """Households leaving the social stock at ``time`` (years since the base's 1 January):
        their dwelling is offered after the relet delay, or leaves the stock when it is to be
        demolished."""
        if households.size == 0:
            return
        d, h = self.d, self.h
        dwellings = h["dwelling"][households]
        h["present"][households] = False
        h["dwelling"][households] = -1
        self._cancel_applications(households)
        d["occupant"][dwellings] = -1
        self.free_dwellings(dwellings, time)

    def free_dwellings(self, dwellings: IntArray, time: FloatArray) -> None:
        """Dwellings just emptied: offered after the delay, or demolished."""
        d = self.d
        demolish = d["to_demolish"][dwellings]
        d["status"][dwellings[demolish]] = DEMOLISHED
        self.counts["demolished"] = self.counts.get("demolished", 0.0) + float(demolish.sum())
        d["ready"][dwellings[demolish]] = _NEVER
        rest = dwellings[~demolish]
        delay = self.base.relet_delay_days / 365.25
        d["ready"][rest] = np.broadcast_to(time, dwellings.shape)[~demolish] + delay

    def events(self, year: int, counts: dict[str, float]) -> None:
        """The strategy's events of ``year`` (deliveries, rehabilitations, sales, demolitions)."""
        d, rng = self.d, self.rng
        t0 = year - self.origin
        strategy = self.plan.strategy
        source = self.plan.source or strategy.nom
        delivered = np.flatnonzero((d["status"] == NOT_DELIVERED) & (d["delivery"] == year))
        d["status"][delivered] = LETTABLE
        d["ready"][delivered] = t0 + rng.random(delivered.size)
        counts["delivered"] = float(delivered.size)
        for rehab in strategy.renouvellement.rehabilitations:
            if rehab.annee != year:
                continue
            rows = self.residence_index(rehab.residence, source)
            rows = rows[np.isin(d["status"][rows], IN_SERVICE)]
            d["rent"][rows] *= 1.0 + rehab.hausse_loyer
            d["rent_max"][rows] = np.maximum(d["rent_max"][rows], d["rent"][rows])
        sold = 0
        for sale in strategy.offre.ventes:
            if sale.annee != year:
                continue
            rows = self.residence_index(sale.residence, source)
            rows = rows[(d["status"][rows] == LETTABLE) & ~d["to_demolish"][rows]]
            occupied = rows[d["occupant"][rows] >= 0]
            empty = rows[d["occupant"][rows] < 0]
            chosen = np.concatenate([rng.permutation(occupied), rng.permutation(empty)])
            chosen = chosen[: sale.logements]
            occupants = d["occupant"][chosen]
            occupants = occupants[occupants >= 0]
            self.h["present"][occupants] = False
            self.h["dwelling"][occupants] = -1
            self._cancel_applications(occupants)
            d["occupant"][chosen] = -1
            d["status"][chosen] = SOLD
            d["ready"][chosen] = _NEVER
            counts["exits_sale"] = counts.get("exits_sale", 0.0) + float(occupants.size)
            sold += chosen.size
        counts["sold"] = float(sold)
        for demolition in strategy.renouvellement.demolitions:
            if demolition.annee != year:
                continue
            rows = self.residence_index(demolition.residence, source)
            rows = rows[np.isin(d["status"][rows], IN_SERVICE)]
            d["to_demolish"][rows] = True
            empty = rows[d["occupant"][rows] < 0]
            d["status"][empty] = DEMOLISHED
            d["ready"][empty] = _NEVER
            counts["demolished"] = counts.get("demolished", 0.0) + float(empty.size)
            self._relocate(d["occupant"][rows[d["occupant"][rows] >= 0]], year)

    def _relocate(self, households: IntArray, year: int) -> None:
        """Households to relocate: their mutation application becomes a relocation, or one is
        created from the household (``RelocationRule``)."""
        from mixite.ceilings import ZONES, category_ceiling
        from mixite.household import ceiling_category

        if households.size == 0:
            return
        self.relocation["to_relocate"] = self.relocation.get("to_relocate", 0.0) + float(
            households.size
        )
        h, p, d = self.h, self.p, self.d
        linked = h["application"][households]
        has = linked >= 0
        p["relocation"][linked[has]] = True
        p["npnru"][linked[has]] = True
        new = households[~has]
        if new.size == 0:
            return
        frame = pd.DataFrame(
            {
                "household_size": h["household_size"][new],
                "adults": h["adults"][new],
                "dependants": h["dependants"][new],
                "reference_age": h["age"][new],
            }
        )
        category, extra = ceiling_category(frame, self.when, self.base.params)
        # The ceilings in each income-ceiling zone, (n, 3, zones), as the pending applications
        # (``allocation.scenario.applications_from_store``): the dwelling's zone chooses.
        ceilings = np.stack(
            [
                np.stack(
                    [
                        category_ceiling(
                            kind,
                            np.full(new.size, zone, dtype=object),
                            category,
                            extra,
                            self.when,
                            self.base.params,
                        )
                        for zone in ZONES
                    ],
                    axis=1,
                )
                for kind in ("plai", "plus", "pls")
            ],
            axis=1,
        )
        rooms_min, rooms_max = self.rule.rooms(d["rooms"][h["dwelling"][new]])
        width = p["wished"].shape[1]
        resources = h["annual_resources"][new]
        rows = self._append_applications(
            {
                "id": np.array([f"RELOG-{h['id'][i]}" for i in new], dtype=object),
                "npnru": np.ones(new.size, bool),
                "priority": np.zeros(new.size, bool),
                "dalo": np.zeros(new.size, bool),
                "employed": np.isin(h["employment"][new], _EMPLOYED),
                "income": resources,
                "ceilings": ceilings,
                "rooms_min": rooms_min,
                "rooms_max": rooms_max,
                "monthly_resources": resources / 12.0,
                "consumption_units": self.uc_fn(
                    h["adults"][new], h["persons_14plus"][new], h["household_size"][new], self.when
                ),
                "wished": self.rule.wishes(d["commune"][h["dwelling"][new]], width),
                "household_size": h["household_size"][new],
                "adults": h["adults"][new],
                "persons_14plus": h["persons_14plus"][new],
                "dependants": h["dependants"][new],
                "single_parent": h["single_parent"][new],
                "age": h["age"][new],
                "employment": h["employment"][new],
                "is_mutation": np.ones(new.size, bool),
                "filing": np.full(new.size, float(year)),
                "source": np.full(new.size, -1, np.int64),
                "household": new,
                "relocation": np.ones(new.size, bool),
                "supported": np.zeros(new.size, bool),
                "alive": np.ones(new.size, bool),
            }
        )
        h["application"][new] = rows

    def households_year(self) -> None:
        """Ageing, births, children turning 14 and leaving home, separations, resources."""
        h, rng, s = self.h, self.rng, self.settings
        rows = np.flatnonzero(h["present"])
        n = rows.size
        if n == 0:
            return
        h["age"][rows] += 1.0
        adults = h["adults"][rows]
        births = (adults >= 2) & (h["age"][rows] < s.birth_age_max) & (rng.random(n) < s.birth_rate)
        h["household_size"][rows[births]] += 1
        h["dependants"][rows[births]] += 1
        young = h["household_size"][rows] - h["persons_14plus"][rows]
        turning = rng.binomial(np.maximum(young, 0), s.turning_14_rate)
        h["persons_14plus"][rows] += turning
        older = np.maximum(h["persons_14plus"][rows] - h["adults"][rows], 0)
        leaving = rng.binomial(older, s.leaving_home_rate)
        h["persons_14plus"][rows] -= leaving
        h["household_size"][rows] -= leaving
        h["dependants"][rows] = np.maximum(h["dependants"][rows] - leaving, 0)
        split = (h["adults"][rows] >= 2) & (rng.random(n) < s.separation_rate)
        gone = rows[split]
        h["adults"][gone] -= 1
        h["household_size"][gone] -= 1
        h["persons_14plus"][gone] -= 1
        h["log_permanent"][gone] += np.log(s.separation_keep)
        h["dependants"][rows] = np.minimum(
            h["dependants"][rows], h["household_size"][rows] - h["adults"][rows]
        )
        h["single_parent"][rows] = (h["adults"][rows] == 1) & (h["dependants"][rows] > 0)
        shock = s.income_persistence * h["shock"][rows] + s.income_sd * rng.standard_normal(n)
        h["shock"][rows] = shock
        h["log_permanent"][rows] += s.income_growth
        finite = np.isfinite(h["log_permanent"][rows])
        h["annual_resources"][rows] = np.where(
            finite, np.exp(np.where(finite, h["log_permanent"][rows], 0.0) + shock), 0.0
        )

    def departures(self, year: int, counts: dict[str, float], flows: dict[str, FloatArray]) -> None:
        """Households leaving the social stock this year (``rates.DepartureModel``)."""
        from mixite.projection.rates import household_type

        h, d = self.h, self.d
        rows = np.flatnonzero(h["present"])
        if rows.size == 0:
            counts["exits"] = 0.0
            return
        prob = self.base.departures.exit_probability(
            household_type(h["adults"][rows], h["dependants"][rows]),
            h["age"][rows],
            self.q1_households(rows),
            d["residence"][h["dwelling"][rows]],
        )
        leaving = rows[self.rng.random(rows.size) < prob]
        time = (year - self.origin) + self.rng.random(leaving.size)
        np.add.at(flows["exits"], d["neighbourhood"][h["dwelling"][leaving]], 1.0)
        counts["exits"] = float(leaving.size)
        left = float(d["to_demolish"][h["dwelling"][leaving]].sum())
        self.relocation["left"] = self.relocation.get("left", 0.0) + left
        self.exit_households(leaving, time)

    def demand(self, year: int, counts: dict[str, float]) -> None:
        """The end of the demand's year (``rates.DemandModel``): pending applications lapse,
        the year's new ones still pending join (resampled from the applications filed during
        the base's last twelve months, with their seniority) and mutation ones are linked."""
        p, rng = self.p, self.rng
        model = self.base.demand
        alive = np.flatnonzero(p["alive"] & ~p["relocation"])
        lapsed = alive[rng.random(alive.size) < model.lapse_probability]
        linked = p["household"][lapsed]
        self.h["application"][linked[linked >= 0]] = -1
        p["alive"][lapsed] = False
        p["household"][lapsed] = -1
        counts["applications_lapsed"] = float(lapsed.size)
        self._compact_pool()
        n_new = model.filings_per_year
        counts["applications_new"] = float(n_new)
        if n_new:
            source = self.recent_sources[rng.integers(0, self.recent_sources.size, n_new)]
            base = self.base.applications
            rows = {
                k: np.asarray(v)[source] for k, v in base.items() if k not in ("seniority", "id")
            }
            rows["id"] = np.array([f"D{year}-{i:06d}" for i in range(n_new)], dtype=object)
            rows["filing"] = year + 1.0 - np.asarray(base["seniority"])[source]
            rows["source"] = source
            rows["household"] = np.full(n_new, -1, np.int64)
            rows["relocation"] = np.zeros(n_new, bool)
            rows["supported"] = np.zeros(n_new, bool)
            rows["alive"] = np.ones(n_new, bool)
            new = self._append_applications(rows)
            self._link_mutations(new)
        counts["applications_pending"] = float(p["alive"].sum())

    def scores(self, scenario: Scenario, rows: IntArray, year: int) -> FloatArray:
        """The designation scores of the pending applications ``rows`` in ``year``: the
        scenario's grid score (resampled applications keep their source's), or the seniority in
        months at 1 January; the relocation rule places the households to relocate."""
        from mixite.projection.base import grid_key

        key = grid_key(scenario)
        p = self.p
        if key == "" or key not in self.base.scores:
            score = (float(year) - p["filing"][rows]) * 12.0
        else:
            src = p["source"][rows]
            table = self.base.scores[key]
            score = np.where(src >= 0, table[np.clip(src, 0, None)], 0.0)
        preferences = self.plan.strategy.attributions
        if score.size and (preferences.preference_mutations or preferences.preference_prioritaires):
            span = float(score.max() - score.min()) or 1.0
            mutation = p["is_mutation"][rows] | (p["household"][rows] >= 0)
            priority = p["priority"][rows] | p["dalo"][rows]
            score = score + span * (
                preferences.preference_mutations * mutation
                + preferences.preference_prioritaires * priority
            )
        out: FloatArray = self.rule.designation_scores(score, p["relocation"][rows])
        return out

    def support(self, year: int, scenario: Scenario, counts: dict[str, float]) -> None:
        """The year's newly supported Q1 households: the best-ranked pending ones."""
        n = self.plan.strategy.supported(year)
        counts["supported_new"] = 0.0
        if n <= 0:
            return
        p = self.p
        rows = np.flatnonzero(p["alive"] & ~p["supported"])
        rows = rows[self.q1_applications(rows)]
        if rows.size == 0:
            return
        order = np.argsort(-self.scores(scenario, rows, year), kind="stable")
        chosen = rows[order[:n]]
        p["supported"][chosen] = True
        counts["supported_new"] = float(chosen.size)

    def rebalance(self, year: int, relets: IntArray, rows_out: list[dict[str, Any]]) -> None:
        """The rents lever at relet: per landlord, a share of its non-QPV relets lowered to the
        housing-aid rent ceiling of a household fitting the dwelling, the loss spread over its
        other relets of the round within their convention's maximum (rent mass kept)."""
        levers = self.plan.strategy.loyers
        if not levers or relets.size == 0:
            return
        d = self.d
        for landlord in np.unique(d["landlord"][relets]).tolist():
            lever = next((lv for lv in levers if lv.applies(year, str(landlord))), None)
            if lever is None:
                continue
            rows = relets[d["landlord"][relets] == landlord]
            before = float(d["rent"][rows].sum())
            outside = rows[~d["in_qpv"][rows]]
            draw = self.rng.random(outside.size) < lever.part_baisse_hors_qpv
            lower = outside[draw & (d["rent"][outside] > d["apl_ceiling"][outside])]
            loss = float((d["rent"][lower] - d["apl_ceiling"][lower]).sum())
            d["rent"][lower] = d["apl_ceiling"][lower]
            others = rows[~np.isin(rows, lower)]
            room = np.maximum(d["rent_max"][others] - d["rent"][others], 0.0)
            if loss > 0 and room.sum() > 0:
                d["rent"][others] += room * min(1.0, loss / float(room.sum()))
            rows_out.append(
                {
                    "year": year,
                    "landlord_id": str(landlord),
                    "relets": float(rows.size),
                    "lowered": float(lower.size),
                    "rent_mass_before": before,
                    "rent_mass_after": float(d["rent"][rows].sum()),
                }
            )

    def reservataires(self, vac: IntArray) -> npt.NDArray[np.object_]:
        """The reservataire (key) of each vacant dwelling ``vac``, drawn among the conventions of
        its landlord covering its commune, the rest going to the landlord's own stock (as
        ``allocation.scenario.vacancies_from_store``)."""
        landlord = self.d["landlord"][vac].astype(str)
        commune = self.d["commune"][vac].astype(str)
        out = np.empty(vac.size, dtype=object)
        if vac.size == 0:
            return out
        codes, _ = pd.factorize(np.char.add(np.char.add(landlord, "\x1f"), commune))
        order = np.argsort(codes, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
        for rows in np.split(order, starts[1:]):
            keys, probs = self.menus.of(str(landlord[rows[0]]), str(commune[rows[0]]))
            pick = self.rng.choice(len(keys), size=rows.size, p=probs)
            out[rows] = np.asarray(keys, dtype=object)[pick]
        return out

    def waiting(self) -> float:
        """Households to relocate still in a dwelling to demolish."""
        d, h = self.d, self.h
        rows = np.flatnonzero(h["present"])
        return float(d["to_demolish"][h["dwelling"][rows]].sum())

    def recent(self, dwellings: IntArray, year: int) -> BoolArray:
        """Whether each dwelling is new or recent in ``year`` (the relocation charter's
        definition): delivered by the programme, or first let at most ``recent_years`` years
        before (unknown first letting: not recent)."""
        d = self.d
        first = d["first_year"][dwellings]
        out: BoolArray = d["programmed"][dwellings] | (
            np.nan_to_num(first, nan=-np.inf) >= year - self.recent_years
        )
        return out

    def round_vacancies(self, vac: IntArray, reservataire: Any, charges: float) -> Any:
        """The ``allocation.problem.Vacancies`` of the dwellings ``vac`` in a round."""
        from mixite.allocation.problem import Vacancies

        d = self.d
        return Vacancies.from_arrays(
            ids=d["id"][vac],
            landlord=d["landlord"][vac],
            commune=d["commune"][vac],
            in_qpv=d["in_qpv"][vac],
            reservataire=reservataire,
            apl_zone=d["apl_zone"][vac],
            ceiling_zone=self.ceiling_zone_index[vac],
            rooms=d["rooms"][vac],
            housing_cost=d["rent"][vac] + charges * d["surface"][vac],
            financing=d["financing"][vac],
            qpv_code=d["qpv_code"][vac],
            rent=d["rent"][vac],
        )

    def round_applications(
        self, scenario: Scenario, rows: IntArray, year: int, q1: BoolArray
    ) -> Any:
        """The ``allocation.problem.Applications`` of the pending applications ``rows``."""
        from mixite.allocation.problem import Applications

        p = self.p
        return Applications.from_arrays(
            ids=p["id"][rows],
            q1=q1,
            npnru=p["npnru"][rows],
            priority=p["priority"][rows],
            dalo=p["dalo"][rows],
            employed=p["employed"][rows],
            score=self.scores(scenario, rows, year),
            income=p["income"][rows],
            ceilings=p["ceilings"][rows],
            rooms_min=p["rooms_min"][rows],
            rooms_max=p["rooms_max"][rows],
            monthly_resources=p["monthly_resources"][rows],
            consumption_units=p["consumption_units"][rows],
            wished=p["wished"][rows],
            household_size=p["household_size"][rows],
            adults=p["adults"][rows],
            persons_14plus=p["persons_14plus"][rows],
            is_mutation=p["is_mutation"][rows] | (p["household"][rows] >= 0),
        )

    def plan_relocations(
        self,
        year: int,
        scenario: Scenario,
        vac: IntArray,
        reservataire: npt.NDArray[np.object_],
        day: IntArray,
        waiting: IntArray,
        charges: float,
        flows: dict[str, FloatArray],
        quota_frames: list[pd.DataFrame],
        flux_rows: list[pd.DataFrame],
    ) -> BoolArray:
        """The planner's relocations before a round (``relocation.PlannedRelocation``): the
        households of the applications ``waiting`` are offered the round's vacancies ``vac``;
        each planned pair is an attribution (lease on the dwelling's first day of the round,
        counted in the quotas and the flux like the commissions' ones), the household's former
        dwelling is demolished. Returns which vacancies stay offered to the commissions."""
        from mixite.allocation.simulate import quota_shares

        assert self.planner is not None
        d, p, h = self.d, self.p, self.h
        keep = np.ones(vac.size, bool)
        households = p["household"][waiting]
        home = h["dwelling"][households]
        ceilings = np.asarray(p["ceilings"][waiting], np.float64)
        if ceilings.ndim == 3:
            # The ceilings of the zone of the household's commune (as ``mixite reloger``).
            ceilings = ceilings[np.arange(waiting.size), :, self.ceiling_zone_index[home]]
        partner = np.array([self.persons.get(str(r), r) for r in reservataire.tolist()], object)
        plan = self.planner.plan_round(
            {
                "ids": p["id"][waiting],
                "operation": self.residences["residence_id"]
                .astype(str)
                .to_numpy(dtype=object)[d["residence"][home]],
                "income": p["income"][waiting],
                "ceilings": ceilings,
                "rooms_min": p["rooms_min"][waiting],
                "rooms_max": p["rooms_max"][waiting],
                "wished": p["wished"][waiting],
                "couple": h["adults"][households] >= 2,
                "dependants": h["dependants"][households],
                "annual_resources": h["annual_resources"][households],
                "rent": d["rent"][home],
                "charges": charges * d["surface"][home],
                "apl_zone": d["apl_zone"][home],
            },
            {
                "ids": d["id"][vac],
                "landlord": d["landlord"][vac],
                "partner": partner,
                "commune": d["commune"][vac],
                "in_qpv": d["in_qpv"][vac],
                "rooms": d["rooms"][vac],
                "rent": d["rent"][vac],
                "charges": charges * d["surface"][vac],
                "financing": d["financing"][vac],
                "recent": self.recent(vac, year),
                "apl_zone": d["apl_zone"][vac],
            },
            year,
            self.when,
            self.base.params,
        )
        from mixite.trajectoires.relogement import TARGET_OUTSIDE_QPV, TARGET_RECENT

        reloc = self.relocation
        for key, target in (
            ("shortfall_outside_qpv", TARGET_OUTSIDE_QPV),
            ("shortfall_recent", TARGET_RECENT),
        ):
            reloc[key] = reloc.get(key, 0.0) + float(plan.shortfall.get(target, 0.0))
        if plan.offer.size == 0:
            return keep
        o, rows = plan.offer, waiting[plan.household]
        dwellings = vac[o]
        # The rent of the relocation (lowered in a new or recent dwelling under the charter).
        d["rent"][dwellings] = plan.rent
        q1 = self.q1_applications(rows)
        index = np.arange(o.size)
        quota_frames.append(
            quota_shares(
                self.round_vacancies(dwellings, reservataire[o], charges),
                self.round_applications(scenario, rows, year, q1),
                index,
                index,
                partner[o],
                self.base.epci,
            )
        )
        flux_rows.append(
            pd.DataFrame(
                {
                    "landlord_id": d["landlord"][dwellings],
                    "reservataire": partner[o],
                    "delivered": 1.0,
                }
            )
        )
        t0 = float(year) - self.origin
        self.house(year, dwellings, rows, t0 + day[o] / _days(year), q1, flows)
        reloc["rehoused_planned"] = reloc.get("rehoused_planned", 0.0) + float(o.size)
        keep[o] = False
        return keep

    def commissions(
        self,
        year: int,
        scenario: Scenario,
        flows: dict[str, FloatArray],
        quota_frames: list[pd.DataFrame],
        flux_rows: list[pd.DataFrame],
        rent_rows: list[dict[str, Any]],
    ) -> None:
        """The year's commissions, round by round (module docstring, step 5)."""
        from mixite.allocation.problem import AllocationProblem, Pairs, WeightCoefficients
        from mixite.allocation.scenario import housing_aid
        from mixite.allocation.simulate import quota_shares, simulate_year

        d, p, counts = self.d, self.p, self.counts
        params = self.base.params
        t0 = float(year) - self.origin
        t1 = t0 + 1.0
        days = _days(year)
        flow_shares = scenario.flux if scenario.flux is not None else self.base.flows
        config = dataclasses.replace(
            scenario.simulation_config(dict(flow_shares) if flow_shares else None), year=year
        )
        thresholds = scenario.thresholds(self.base.territory, params)
        quotas = scenario.quotas(params, self.base.commitments)
        charges = scenario.charges_per_m2(params)
        empty_pairs = Pairs(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, np.int64),
        )
        for _ in range(self.settings.max_rounds):
            vac = np.flatnonzero(
                (d["status"] == LETTABLE)
                & (d["occupant"] < 0)
                & ~d["to_demolish"]
                & (d["ready"] < t1)
            )
            if vac.size == 0:
                break
            rows = np.flatnonzero(p["alive"])
            waiting = rows[:0]
            if self.planner is not None:
                # The planner rehouses the households to relocate; the commissions the others.
                relocating = p["relocation"][rows]
                waiting, rows = rows[relocating], rows[~relocating]
            if rows.size == 0 and waiting.size == 0:
                d["ready"][vac] = t1
                break
            counts["rounds"] = counts.get("rounds", 0.0) + 1.0
            counts["offered"] = counts.get("offered", 0.0) + float(vac.size)
            day = np.clip(
                np.floor((np.maximum(d["ready"][vac], t0) - t0) * days), 0, days - 1
            ).astype(np.int64)
            relet = ~(d["programmed"][vac] & (d["delivery"][vac] == year))
            self.rebalance(year, vac[relet], rent_rows)
            reservataire = self.reservataires(vac)
            if waiting.size:
                keep = self.plan_relocations(
                    year,
                    scenario,
                    vac,
                    reservataire,
                    day,
                    waiting,
                    charges,
                    flows,
                    quota_frames,
                    flux_rows,
                )
                vac, day, reservataire = vac[keep], day[keep], reservataire[keep]
                if vac.size == 0:
                    continue
                if rows.size == 0:
                    d["ready"][vac] = t1
                    break
            vacancies = self.round_vacancies(vac, reservataire, charges)
            q1 = self.q1_applications(rows)
            apps = self.round_applications(scenario, rows, year, q1)
            shift = np.where(p["supported"][rows] & q1, self.settings.support_shift, 0.0)
            cfg = dataclasses.replace(
                config, refusal_shift_outside_qpv=shift if shift.any() else None
            )
            problem = AllocationProblem(
                vacancies,
                apps,
                empty_pairs,
                quotas,
                thresholds,
                WeightCoefficients(),
                scenario.k,
                housing_aid(apps, vacancies, self.millesime),
            )
            result = simulate_year(problem, cfg, int(self.rng.integers(0, 2**31 - 1)), day)
            if self.persons:
                # A flow type the round's vacancies do not name resolves to the bare type in
                # the simulation: the territory's only reservataire of that type, when it has one.
                persons = np.array(
                    [self.persons.get(str(r), r) for r in result.reservataire.tolist()],
                    dtype=object,
                )
                result = dataclasses.replace(result, reservataire=persons)
            counts["refusals"] = counts.get("refusals", 0.0) + float(result.refusals)
            quota_frames.append(
                quota_shares(
                    vacancies,
                    apps,
                    result.vacancy,
                    result.application,
                    result.reservataire,
                    self.base.epci,
                )
            )
            if result.vacancy.size:
                flux_rows.append(
                    pd.DataFrame(
                        {
                            "landlord_id": d["landlord"][vac][result.vacancy],
                            "reservataire": result.reservataire,
                            "delivered": 1.0,
                        }
                    )
                )
            taken = np.zeros(vac.size, bool)
            taken[result.vacancy] = True
            d["ready"][vac[~taken]] = t1
            lease = pd.to_datetime(result.attributions["lease_date"]).dt.dayofyear.to_numpy()
            self.house(
                year,
                vac[result.vacancy],
                rows[result.application],
                t0 + (lease - 1) / days,
                q1[result.application],
                flows,
            )
        # Dwellings freed after the last round wait for next year.
        leftover = (d["status"] == LETTABLE) & (d["occupant"] < 0) & (d["ready"] < t1)
        d["ready"][leftover] = t1

    def house(
        self,
        year: int,
        dwellings: IntArray,
        rows: IntArray,
        time: FloatArray,
        q1: BoolArray,
        flows: dict[str, FloatArray],
    ) -> None:
        """Households housed in ``dwellings`` from the applications ``rows`` at ``time``: a
        linked household moves (its former dwelling is freed), any other one enters the stock."""
        d, p, h, counts = self.d, self.p, self.h, self.counts
        linked = p["household"][rows]
        moved = linked >= 0
        mutation = moved | p["is_mutation"][rows]
        dest = d["neighbourhood"][dwellings]
        np.add.at(flows["entrants"], dest, 1.0)
        np.add.at(flows["mutations_in"], dest[mutation], 1.0)
        np.add.at(flows["entrants_external"], dest[~mutation], 1.0)
        np.add.at(flows["q1_entrants"], dest[q1], 1.0)
        # The profile of the attributions in the base's dwellings (the first year is checked
        # against the observed one, first lettings of new dwellings left out).
        existing = ~d["programmed"][dwellings]
        outside = ~d["in_qpv"][dwellings]
        q1n = q1 | p["npnru"][rows]
        relocated = p["relocation"][rows]
        if relocated.any():
            reloc = self.relocation
            for key, value in (
                ("rehoused", relocated.sum()),
                ("rehoused_outside_qpv", (relocated & outside).sum()),
                ("rehoused_recent", (relocated & self.recent(dwellings, year)).sum()),
            ):
                reloc[key] = reloc.get(key, 0.0) + float(value)
        for key, value in (
            ("attributions", rows.size),
            ("attributions_mutation", mutation.sum()),
            ("relocations", p["relocation"][rows].sum()),
            ("moves_in_base", existing.sum()),
            ("attributions_mutation_base", (existing & mutation).sum()),
            ("attributions_outside_qpv", (existing & outside).sum()),
            ("attributions_q1_outside_qpv", (existing & outside & q1n).sum()),
            ("attributions_in_qpv", (existing & ~outside).sum()),
            (
                "attributions_priority",
                (existing & (p["priority"][rows] | p["dalo"][rows])).sum(),
            ),
        ):
            counts[key] = counts.get(key, 0.0) + float(value)
        # Moves within the stock.
        movers = linked[moved]
        old = h["dwelling"][movers]
        np.add.at(flows["mutations_out"], d["neighbourhood"][old], 1.0)
        d["occupant"][old] = -1
        h["dwelling"][movers] = dwellings[moved]
        h["entry_year"][movers] = self.origin + time[moved]
        h["application"][movers] = -1
        d["occupant"][dwellings[moved]] = movers
        self.free_dwellings(old, time[moved])
        # Households entering the social stock.
        new_rows = rows[~moved]
        n = new_rows.size
        if n:
            resources = 12.0 * p["monthly_resources"][new_rows]
            positive = resources > 0
            start = self.new_households
            self.new_households += n
            created = self._append_households(
                {
                    "id": np.array([f"M{year}-{start + i:07d}" for i in range(n)], dtype=object),
                    "dwelling": dwellings[~moved],
                    "household_size": p["household_size"][new_rows],
                    "adults": p["adults"][new_rows],
                    "persons_14plus": p["persons_14plus"][new_rows],
                    "dependants": p["dependants"][new_rows],
                    "age": p["age"][new_rows],
                    "annual_resources": resources,
                    "employment": p["employment"][new_rows],
                    "single_parent": p["single_parent"][new_rows],
                    "entry_year": self.origin + time[~moved],
                    "present": np.ones(n, bool),
                    "external": ~p["is_mutation"][new_rows],
                    "application": np.full(n, -1, np.int64),
                    "log_permanent": np.where(
                        positive, np.log(np.where(positive, resources, 1.0)), -np.inf
                    ),
                    "shock": np.zeros(n),
                }
            )
            d["occupant"][dwellings[~moved]] = created
            counts["new_households"] = counts.get("new_households", 0.0) + float(n)
        p["alive"][rows] = False
        p["household"][rows] = -1

    def run_year(self, year: int) -> YearRecord:
        """One projected year; returns its record (the state is updated in place)."""
        scenario = self.plan.scenario(year)
        n_neighbourhoods = len(self.neighbourhood_list)
        flows = {
            k: np.zeros(n_neighbourhoods)
            for k in (
                "entrants",
                "entrants_external",
                "mutations_in",
                "mutations_out",
                "exits",
                "q1_entrants",
            )
        }
        d, h = self.d, self.h
        self.counts = counts = {
            "households_start": float(h["present"].sum()),
            "dwellings_start": float(np.isin(d["status"], IN_SERVICE).sum()),
            "delivered": 0.0,
            "demolished": 0.0,
            "sold": 0.0,
            "exits": 0.0,
            "exits_sale": 0.0,
            "new_households": 0.0,
            "attributions": 0.0,
        }
        self.relocation = dict.fromkeys(RELOCATION_COUNTS, 0.0)
        self.relocation["waiting_start"] = self.waiting()
        targets = (
            (
                getattr(self.rule, "share_outside_qpv", np.nan),
                getattr(self.rule, "share_recent", np.nan),
            )
            if self.planner is not None
            else (np.nan, np.nan)
        )
        self.relocation["target_outside_qpv"], self.relocation["target_recent"] = targets
        self.events(year, counts)
        self.households_year()
        self.departures(year, counts, flows)
        self.support(year, scenario, counts)
        quota_frames: list[pd.DataFrame] = []
        flux_rows: list[pd.DataFrame] = []
        rent_rows: list[dict[str, Any]] = []
        self.commissions(year, scenario, flows, quota_frames, flux_rows, rent_rows)
        self.demand(year, counts)
        counts["households_end"] = float(h["present"].sum())
        in_service = np.isin(d["status"], IN_SERVICE)
        counts["dwellings_end"] = float(in_service.sum())
        counts["occupied_end"] = float((in_service & (d["occupant"] >= 0)).sum())
        counts["vacant_end"] = float(((d["status"] == LETTABLE) & (d["occupant"] < 0)).sum())
        counts["not_let_end"] = float((d["status"] == NOT_LET).sum())
        counts["to_demolish_end"] = float((in_service & d["to_demolish"]).sum())
        self.relocation["waiting_end"] = self.waiting()
        return YearRecord(
            year,
            counts,
            _sum_quotas(quota_frames),
            _flux(flux_rows, scenario, self.base.flows),
            pd.DataFrame(
                rent_rows,
                columns=[
                    "year",
                    "landlord_id",
                    "relets",
                    "lowered",
                    "rent_mass_before",
                    "rent_mass_after",
                ],
            ),
            flows,
            dict(self.relocation),
        )


def _sum_quotas(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The quota results of a year's rounds added up (numerators and denominators)."""
    from mixite.vocabulary import LONG_COLUMNS

    columns = list(LONG_COLUMNS[:-1])
    if not frames:
        return pd.DataFrame(columns=columns)
    stacked = pd.concat(frames, ignore_index=True)
    out = stacked.groupby(["level", "group", "indicator"], sort=False)[
        ["denominator", "numerator"]
    ].sum()
    out["share"] = np.where(
        out["denominator"] > 0, out["numerator"] / out["denominator"].clip(lower=1), np.nan
    )
    return out.reset_index()[columns]


def _single_persons(reservations: pd.DataFrame | None) -> dict[str, str]:
    """Reservataire type → its key, for the types with a single legal person among the
    conventions (``epci`` → ``epci:<SIREN>``)."""
    from mixite.vocabulary import reservataire_key

    if reservations is None or reservations.empty:
        return {}
    ids = (
        reservations["reservataire_id"].tolist()
        if "reservataire_id" in reservations
        else [None] * len(reservations)
    )
    keys: dict[str, set[str]] = {}
    for kind, ident in zip(reservations["reservataire"].astype(str).tolist(), ids, strict=True):
        keys.setdefault(kind, set()).add(reservataire_key(kind, ident))
    return {
        kind: next(iter(found))
        for kind, found in keys.items()
        if len(found) == 1 and next(iter(found)) != kind
    }


def _flux(
    frames: list[pd.DataFrame], scenario: Scenario, default: Mapping[str, float] | None
) -> pd.DataFrame:
    """Per landlord and reservataire type (flows are given by type): dwellings directed to the
    type's reservataires and its entitlement (its share of the flow × the landlord's
    attributions of the year)."""
    from mixite.vocabulary import reservataire_kind

    columns = ["landlord_id", "reservataire", "delivered", "entitled", "balance"]
    if not frames:
        return pd.DataFrame(columns=columns)
    shares = scenario.flux if scenario.flux is not None else default
    stacked = pd.concat(frames, ignore_index=True)
    stacked["reservataire"] = [reservataire_kind(str(r)) for r in stacked["reservataire"]]
    delivered = stacked.groupby(["landlord_id", "reservataire"])["delivered"].sum()
    totals = stacked.groupby("landlord_id")["delivered"].sum()
    names = sorted(set(shares or {}) | set(stacked["reservataire"].astype(str)))
    rows = []
    for landlord, total in totals.items():
        for name in names:
            got = float(delivered.get((landlord, name), 0.0))
            share = float((shares or {}).get(name, 1.0 if name == "bailleur" else 0.0))
            rows.append(
                {
                    "landlord_id": str(landlord),
                    "reservataire": name,
                    "delivered": got,
                    "entitled": share * float(total),
                    "balance": got - share * float(total),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def run_replicate(
    base: ProjectionBase,
    plan: StrategyPlan,
    horizon: int,
    seed: int,
    rule: RelocationRule | None = None,
    settings: Settings | None = None,
    observe: Any = None,
) -> list[Any]:
    """One replicate of ``plan`` over ``horizon`` years from ``base`` (random draws from
    ``seed``): for the base (year N-1, observed) then each projected year, what ``observe``
    returns for ``(state, record)`` (``outputs.year_tables`` by default; the record is None for
    the base)."""
    from mixite.projection.outputs import year_tables

    observe = observe or year_tables
    base_when = dt.date(base.millesime, 1, 1)
    with one_thread():
        state = _State(
            base,
            plan,
            np.random.default_rng(seed),
            settings or Settings.from_parameters(base.millesime, base.params),
            rule
            or relocation_rule(plan.strategy.renouvellement.relogement, base_when, base.params),
        )
        out = [observe(state, None)]
        for offset in range(horizon):
            record = state.run_year(base.millesime + offset)
            out.append(observe(state, record))
    return out
