"""Jobs of the residential trajectories: the relocation plan of an urban renewal programme
(``mixite reloger``) and the mutations with exchanges and vacancy chains (``mixite mutations``).

Each job reads the latest millésime of the store through ``jobs._load``, builds the arrays of the
pure computations of ``mixite.trajectoires`` (ceilings from ``mixite.ceilings``, the household's
category from ``mixite.household``, the housing benefit and reste à charge from
``mixite.affordability``), checks the plan (``RelocationPlan.check``) and returns a typed result
(``jobs.results``) of tables with English columns and codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixite.errors import InputError, Location, StoreError
from mixite.jobs._load import StoreLike, load_names, load_snapshot
from mixite.jobs.results import MutationsResult, RelocationResult

if TYPE_CHECKING:
    from mixite.io.relogement import CharterFile
    from mixite.params import Parameters
    from mixite.trajectoires.relogement import Offers, RelocationHouseholds

__all__ = [
    "RelocationInputs",
    "household_ceilings",
    "mutations",
    "read_relocation_inputs",
    "relocation",
    "turnover_rates",
]

_LET_MODES = ("1", "2")


@dataclass(frozen=True)
class RelocationInputs:
    """The files of ``mixite reloger``, read and checked; survey identifiers pseudonymised."""

    programme: pd.DataFrame
    survey: pd.DataFrame
    charter: CharterFile
    followup: pd.DataFrame | None
    programme_file: str
    survey_file: str


def read_relocation_inputs(
    base: Path,
    programme: Path,
    survey: Path,
    charter: Path,
    followup: Path | None = None,
) -> RelocationInputs:
    """Read the programme, the survey (pseudonymised with the key of the store ``base``), the
    charter (parameters in force on 1 January of the programme's first year fill its gaps) and
    the follow-up table when given (its identifiers are the pseudonyms the plan wrote)."""
    from mixite.io.relogement import read_charter, read_followup, read_programme, read_survey
    from mixite.store import Store, pseudonymise_with_key

    with Store(base) as store:
        years = store.millesimes("communes")
        known: list[str] = (
            store.read("communes", max(years))["commune"].astype(str).tolist() if years else []
        )
    prog = read_programme(programme)
    frame = read_survey(survey, known_communes=list(known))
    frame["household_id"] = pseudonymise_with_key(base, frame["household_id"])
    first = int(prog["year"].min()) if len(prog) else dt.date.today().year
    chart = read_charter(charter, dt.date(first, 1, 1))
    follow = read_followup(followup) if followup is not None else None
    return RelocationInputs(prog, frame, chart, follow, programme.name, survey.name)


def turnover_rates(dwellings: pd.DataFrame) -> pd.Series:
    """Each residence's yearly turnover: leases started in the latest lease year over its let
    dwellings (the rule of ``allocation.scenario.vacancies_from_store``), by residence."""
    let = dwellings[
        dwellings["occupancy_mode"].isin(_LET_MODES) | dwellings["occupancy_mode"].isna()
    ]
    if let.empty or let["lease_start"].isna().all():
        return pd.Series(dtype=float)
    year = int(let["lease_start"].dt.year.max())
    recent = let["lease_start"].dt.year.eq(year).astype(float)
    out: pd.Series = recent.groupby(let["residence_id"]).mean()
    return out


def household_ceilings(
    frame: pd.DataFrame, zones: np.ndarray, when: dt.date, params: Parameters | None = None
) -> np.ndarray:
    """(n, 3) PLAI, PLUS, PLS ceilings (€/year) of households (``household_size``, ``adults``,
    ``dependants``, optional ``reference_age`` and ``disability``) in the given ceiling zones.
    A missing age gives no « jeune ménage » increase."""
    from mixite.ceilings import category_ceiling
    from mixite.household import ceiling_category

    part = frame[["household_size", "adults", "dependants"]].copy()
    if "reference_age" in frame:
        # an unknown age: no « jeune ménage » increase (the increase needs the age to apply)
        part["reference_age"] = frame["reference_age"].astype("Float64").fillna(200.0)
    if "disability" in frame:
        part["disability"] = frame["disability"].astype("boolean").fillna(False)
    category, extra = ceiling_category(part, when, params)
    return np.stack(
        [
            category_ceiling(k, zones, category, extra, when, params)
            for k in ("plai", "plus", "pls")
        ],
        axis=1,
    )


def _financing(dwellings: pd.DataFrame) -> np.ndarray:
    from mixite.allocation.problem import FIN_OTHER
    from mixite.allocation.scenario import FINANCING

    out: np.ndarray = (
        dwellings["finan_family"].map(FINANCING).fillna(FIN_OTHER).astype(np.int64).to_numpy()
    )
    return out


def _surface(dwellings: pd.DataFrame) -> np.ndarray:
    rooms = dwellings["rooms"].astype(float)
    out: np.ndarray = dwellings["surface"].astype(float).fillna(18.0 + 17.0 * rooms).to_numpy()
    return out


def _rents(dwellings: pd.DataFrame) -> np.ndarray:
    rent = dwellings["rent"].astype(float)
    out: np.ndarray = rent.fillna(rent.median() if rent.notna().any() else 0.0).to_numpy()
    return out


def _zone_map(communes: pd.DataFrame, column: str) -> dict[str, str]:
    if column not in communes:
        return {}
    part = communes.dropna(subset=[column])
    return dict(zip(part["commune"].astype(str), part[column].astype(str), strict=True))


def _wished(lists: pd.Series) -> np.ndarray:
    values = [list(v) if isinstance(v, list | tuple | np.ndarray) else [] for v in lists]
    width = max((len(v) for v in values), default=0) or 1
    out = np.full((len(values), width), "", dtype=object)
    for i, v in enumerate(values):
        out[i, : len(v)] = [str(c) for c in v]
    return out


def _known(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    """A dwelling attribute as floats (NaN unknown), None when the stock does not hold it."""
    if column not in frame.columns:
        return None
    out: np.ndarray = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
    return out


def _described(offers: Offers) -> np.ndarray:
    """Whether the stock describes each offer's floor, lift or accessibility."""
    out = np.zeros(len(offers), dtype=bool)
    for values in (offers.floor, offers.lift, offers.accessible):
        if values is not None:
            out |= ~np.isnan(values)
    return out


def _unknown_residence(file: str, frame: pd.DataFrame, known: set[str], what: str) -> None:
    bad = frame.index[~frame["residence_id"].astype(str).isin(known)]
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"Résidence inconnue de la base ({what})",
            Location(file, i + 2, "residence", str(frame.loc[i, "residence_id"])),
            "Donnez l'identifiant PROGRAMME du RPLS d'une résidence du territoire.",
        )


def relocation(
    store: StoreLike,
    inputs: RelocationInputs,
    seed: int = 0,
    time_limit: float = 120.0,
    params: Parameters | None = None,
) -> RelocationResult:
    """The relocation plan of the programme on the store's latest millésime (module docstring of
    ``mixite.trajectoires.relogement``): expected offers drawn with each residence's turnover
    (``seed``), deliveries of the programme, the staged optimum, checked."""
    from mixite.allocation.scenario import draw_reservataires
    from mixite.io.relogement import special_needs
    from mixite.params import resolve
    from mixite.trajectoires.relogement import (
        Charter,
        Offers,
        RelocationHouseholds,
        build_relocation,
        current_housing_cost,
        offer_cost,
        plan_relocation,
    )

    p = resolve(params)
    snap = load_snapshot(store, None, ("dwellings", "communes", "reservations"))
    dwellings = snap.require("dwellings", "le plan de relogement").reset_index(drop=True)
    communes = snap.require("communes", "le plan de relogement")
    when = dt.date(snap.millesime, 1, 1)
    values = inputs.charter.values
    prog = inputs.programme.reset_index(drop=True)
    residences = set(dwellings["residence_id"].astype(str))
    _unknown_residence(inputs.programme_file, prog, residences, "programme")
    emptied = prog[prog["kind"].isin(["demolition", "rehabilitation"])]
    deadline = emptied.groupby(["operation", "residence_id"])["year"].min()
    survey = inputs.survey.reset_index(drop=True)
    keys = list(
        zip(survey["operation"].astype(str), survey["residence_id"].astype(str), strict=True)
    )
    known = {(str(a), str(b)) for a, b in deadline.index}
    for i, key in enumerate(keys):
        if key not in known:
            raise InputError(
                "Ménage d'une résidence absente des démolitions et réhabilitations du programme",
                Location(inputs.survey_file, i + 2, "residence", key[1]),
                f"Ajoutez au programme la résidence {key[1]} de l'opération {key[0]}, ou "
                "corrigez l'opération ou la résidence du ménage.",
            )
    survey["deadline"] = [int(deadline.loc[k]) for k in keys]
    followup = inputs.followup
    done_households: set[str] = set()
    done_dwellings: set[str] = set()
    refused: set[tuple[str, str]] = set()
    if followup is not None:
        rehoused = followup[followup["status"] == "reloge"]
        done_households = set(rehoused["household_id"].astype(str))
        done_dwellings = set(rehoused["dwelling_id"].dropna().astype(str))
        # a proposal the household refused is not made to it again
        said_no = followup[
            ((followup["status"] == "refus") | (followup["refusals"] > 0))
            & followup["proposed_dwelling"].notna()
        ]
        refused = set(
            zip(
                said_no["household_id"].astype(str),
                said_no["proposed_dwelling"].astype(str),
                strict=True,
            )
        )
    todo = survey[~survey["household_id"].astype(str).isin(done_households)].reset_index(drop=True)

    # --- households
    residence_commune = dwellings.groupby("residence_id")["commune"].first()
    home = todo["residence_id"].map(residence_commune).astype(str)
    ceiling_zone = _zone_map(communes, "ceiling_zone")
    apl_zone = _zone_map(communes, "apl_zone")
    default_ceiling = max(
        set(ceiling_zone.values()) or {"A"}, key=list(ceiling_zone.values()).count
    )
    default_apl = max(set(apl_zone.values()) or {"2"}, key=list(apl_zone.values()).count)
    zones = home.map(ceiling_zone).fillna(default_ceiling).to_numpy(dtype=object)
    ceilings = household_ceilings(todo, zones, when, p)
    monthly = todo["monthly_resources"].to_numpy(np.float64)
    annual = 12.0 * monthly
    income = todo["tax_income"].astype(float).fillna(pd.Series(annual)).to_numpy()
    couple = todo["adults"].to_numpy(np.int64) >= 2
    dependants = todo["dependants"].to_numpy(np.int64)
    home_apl = home.map(apl_zone).fillna(default_apl).astype(int).to_numpy()
    current_cost = current_housing_cost(
        zone=home_apl,
        couple=couple,
        dependants=dependants,
        annual_resources=annual,
        rent=todo["current_rent"].to_numpy(np.float64),
        charges=todo["current_charges"].to_numpy(np.float64),
        when=when,
        params=p,
    )
    households = RelocationHouseholds.from_arrays(
        ids=todo["household_id"].astype(str).to_numpy(dtype=object),
        operation=todo["operation"].astype(str).to_numpy(dtype=object),
        deadline=todo["deadline"].to_numpy(np.int64),
        income=income,
        ceilings=ceilings,
        rooms_min=todo["rooms_min"].to_numpy(np.int64),
        rooms_max=todo["rooms_max"].to_numpy(np.int64),
        wished=_wished(todo["wished_communes"]),
        accepts_qpv=todo["accepts_qpv"].to_numpy(dtype=bool),
        current_cost=current_cost,
        needs=special_needs(todo["needs"]).to_numpy(dtype=bool),
    )

    # --- offers: turnover of the stock outside the programme's residences, and deliveries
    lead = int(values["annees_avant_operation"])
    recent_age = int(values["anciennete_max_recent"])
    years = (
        list(range(int(todo["deadline"].min()) - lead, int(todo["deadline"].max()) + 1))
        if len(todo)
        else []
    )
    deliveries = prog[prog["kind"] == "livraison"]
    out_of_stock = set(emptied["residence_id"].astype(str)) | set(
        deliveries["residence_id"].astype(str)
    )
    let = dwellings[
        (dwellings["occupancy_mode"].isin(_LET_MODES) | dwellings["occupancy_mode"].isna())
        & ~dwellings["residence_id"].astype(str).isin(out_of_stock)
    ]
    rates = let["residence_id"].map(turnover_rates(dwellings)).fillna(0.0).to_numpy()
    rng = np.random.default_rng(seed)
    parts = []
    for year in years:
        chosen = let[rng.random(len(let)) < rates].assign(offer_year=year, delivered=False)
        parts.append(chosen)
        part = deliveries[deliveries["year"] == year]
        for residence, number in zip(
            part["residence_id"].astype(str), part["dwellings"].astype(int), strict=True
        ):
            new = dwellings[dwellings["residence_id"].astype(str) == residence]
            new = new.sort_values("dwelling_id").head(number)
            parts.append(new.assign(offer_year=year, delivered=True))
    pool = (
        pd.concat(parts, ignore_index=True)
        if parts
        else dwellings.head(0).assign(offer_year=0, delivered=False)
    )
    pool = pool[~pool["dwelling_id"].astype(str).isin(done_dwellings)].reset_index(drop=True)
    first_let = (
        pool["first_letting_year"]
        .astype("Float64")
        .fillna(pool["construction_year"].astype("Float64"))
    )
    recent = (pool["delivered"] | (first_let >= pool["offer_year"] - recent_age)).to_numpy(
        dtype=bool, na_value=False
    )
    charges_m2 = float(p.value("solvabilite.charges_par_m2", when))
    partners = draw_reservataires(
        pool["landlord_id"].astype(str), pool["commune"].astype(str), snap.get("reservations"), rng
    )
    offers = Offers.from_arrays(
        ids=pool["dwelling_id"].astype(str).to_numpy(dtype=object),
        year=pool["offer_year"].to_numpy(np.int64),
        landlord=pool["landlord_id"].astype(str).to_numpy(dtype=object),
        partner=partners,
        commune=pool["commune"].astype(str).to_numpy(dtype=object),
        in_qpv=pool["in_qpv"].to_numpy(dtype=bool),
        rooms=pool["rooms"].to_numpy(np.int64),
        rent=_rents(pool),
        charges=charges_m2 * _surface(pool),
        financing=_financing(pool),
        recent=recent,
        # the dwelling's floor, lift and accessibility when the stock describes them
        **{k: _known(pool, k) for k in ("floor", "lift", "accessible")},
    )
    offer_apl = pool["commune"].astype(str).map(apl_zone).fillna(default_apl).astype(int).to_numpy()
    minoration = bool(values["minoration_loyer"])
    refusing = np.flatnonzero(np.isin(households.ids, [a for a, _ in refused]))

    net_cost = offer_cost(offers, offer_apl, couple, dependants, annual, when, p, minoration)

    def cost(h: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out, reduction = net_cost(h, o)
        if refused:
            # a refused proposal costs infinitely: never admissible again (``check`` agrees)
            for k in np.flatnonzero(np.isin(h, refusing)).tolist():
                if (str(households.ids[h[k]]), str(offers.ids[o[k]])) in refused:
                    out[k] = np.inf
        return out, reduction

    charter = Charter(
        share_recent=float(values["part_neuf_recent"]),
        share_outside_qpv=float(values["part_hors_qpv"]),
        max_rise=float(values["hausse_reste_a_charge_max"]),
        lead_years=lead,
        contributions=dict(inputs.charter.contributions),
        commune_weight=float(p.value("relogement.poids_commune", when)),
        rise_weight=float(p.value("relogement.poids_reste_a_charge", when)),
    )
    k = int(p.value("relogement.propositions_par_menage", when))
    problem = build_relocation(households, offers, charter, cost, k=k)
    plan = plan_relocation(problem, time_limit)
    plan.check()
    return _relocation_result(
        store, dwellings, snap.millesime, inputs, survey, followup, households, offers, pool,
        plan, years,
    )  # fmt: skip


def _relocation_result(
    store: StoreLike,
    dwellings: pd.DataFrame,
    millesime: int,
    inputs: RelocationInputs,
    survey: pd.DataFrame,
    followup: pd.DataFrame | None,
    households: RelocationHouseholds,
    offers: Offers,
    pool: pd.DataFrame,
    plan: Any,
    years: list[int],
) -> RelocationResult:
    from mixite.io.relogement import special_needs
    from mixite.trajectoires.relogement import (
        TARGET_OUTSIDE_QPV,
        TARGET_RECENT,
        rent_reduction_indemnity,
        target_name,
    )

    problem = plan.problem
    sel = plan.selected
    h, o = plan.household, plan.offer
    n = len(households)
    plan_rows = pd.DataFrame(
        {
            "household_id": households.ids,
            "operation": households.operation,
            "deadline": households.deadline,
            "cost_before": households.current_cost,
        }
    )
    origin = survey.set_index("household_id")["residence_id"]
    plan_rows["origin_residence"] = plan_rows["household_id"].map(origin).astype(object)
    assigned = np.full(n, -1, dtype=np.int64)
    assigned[h] = o
    pair_of = np.full(n, -1, dtype=np.int64)
    pair_of[h] = sel
    has = assigned >= 0
    idx = np.where(has, assigned, 0)
    pidx = np.where(has, pair_of, 0)

    def pick(values: np.ndarray) -> list[Any]:
        return [v if ok else None for v, ok in zip(values[idx].tolist(), has.tolist(), strict=True)]

    plan_rows["planned"] = has
    plan_rows["year"] = pd.array(pick(offers.year), dtype="Int64")
    plan_rows["dwelling_id"] = pick(offers.ids)
    plan_rows["residence_id"] = pick(pool["residence_id"].astype(str).to_numpy(dtype=object))
    plan_rows["landlord_id"] = pick(offers.landlord)
    plan_rows["partner"] = pick(offers.partner)
    plan_rows["commune"] = pick(offers.commune)
    plan_rows["in_qpv"] = pd.array(pick(offers.in_qpv), dtype="boolean")
    plan_rows["qpv_code"] = pick(pool["qpv_code"].astype(object).to_numpy(dtype=object))
    plan_rows["rooms"] = pd.array(pick(offers.rooms), dtype="Int64")
    plan_rows["recent"] = pd.array(pick(offers.recent), dtype="boolean")
    plan_rows["rent"] = pd.array(pick(offers.rent), dtype="Float64")
    reduction = problem.reduction[pidx]
    after = problem.new_cost[pidx]
    plan_rows["rent_reduction"] = pd.array(np.where(has, reduction, np.nan), dtype="Float64")
    plan_rows["cost_after"] = pd.array(np.where(has, after, np.nan), dtype="Float64")
    plan_rows["rise"] = plan_rows["cost_after"] - plan_rows["cost_before"]
    plan_rows["wish_rank"] = pd.array(
        np.where(has, problem.rank[pidx] + 1, np.nan), dtype="Float64"
    ).astype("Int64")
    plan_rows["needs"] = (
        plan_rows["household_id"].map(survey.set_index("household_id")["needs"]).astype(object)
    )
    verify = problem.to_verify(problem.household[pidx], problem.offer[pidx])
    plan_rows["to_verify"] = pd.array(np.where(has, verify, False), dtype="boolean")
    amounts = inputs.charter.indemnity
    due = rent_reduction_indemnity(
        offers.rooms[idx], offers.recent[idx], np.where(has, reduction, 0.0), amounts
    )
    plan_rows["indemnity"] = pd.array(np.where(has & bool(amounts), due, np.nan), dtype="Float64")
    rehoused_before = survey[~survey["household_id"].isin(plan_rows["household_id"])]
    counts = plan.counts()
    total = int(has.sum())
    targets = pd.DataFrame(
        [
            {
                "target": name,
                "households": counts.get(name, 0),
                "share": counts.get(name, 0) / total if total else np.nan,
                "target_share": share,
                "shortfall": plan.shortfall.get(name, 0.0),
                "met": plan.shortfall.get(name, 0.0) <= 1e-9,
            }
            for name, share in problem.charter.targets()
            if name in (TARGET_RECENT, TARGET_OUTSIDE_QPV)
        ]
    )
    partners = sorted(set(offers.partner[o].tolist()) | set(problem.charter.contributions))
    contributions = pd.DataFrame(
        [
            {
                "partner": partner,
                "relocations": int((offers.partner[o] == partner).sum()),
                "share": float((offers.partner[o] == partner).sum()) / total if total else np.nan,
                "charter_share": problem.charter.contributions.get(partner, np.nan),
                "shortfall": plan.shortfall.get(target_name(partner), 0.0),
                "source": inputs.charter.contribution_sources.get(partner, ""),
            }
            for partner in partners
        ],
        columns=["partner", "relocations", "share", "charter_share", "shortfall", "source"],
    )
    rise = plan_rows.loc[plan_rows["planned"], "rise"].astype(float)
    bins = [-np.inf, -50.0, -0.005, 0.005, 25.0, 50.0, np.inf]
    labels = [
        "baisse_plus_50",
        "baisse",
        "stable",
        "hausse_jusqu_25",
        "hausse_25_50",
        "hausse_plus_50",
    ]
    rise_table = (
        pd.cut(rise, bins=bins, labels=labels).value_counts(sort=False).rename_axis("band")
    ).reset_index(name="households")
    calendar = pd.DataFrame({"year": years})
    calendar["operations_households"] = (
        calendar["year"].map(plan_rows.groupby("deadline").size()).fillna(0).astype(int)
    )
    calendar["offers"] = calendar["year"].map(pd.Series(offers.year).value_counts()).fillna(0)
    calendar["offers"] = calendar["offers"].astype(int)
    calendar["planned"] = (
        calendar["year"]
        .map(plan_rows.loc[plan_rows["planned"], "year"].astype(int).value_counts())
        .fillna(0)
        .astype(int)
    )
    follow = _followup(plan_rows, survey, followup)
    indemnities = None
    if inputs.charter.indemnity:
        planned_rows = plan_rows[plan_rows["planned"]]
        planned_rows = planned_rows.assign(eligible=planned_rows["indemnity"].astype(float) > 0)
        indemnities = (
            planned_rows.groupby("landlord_id")
            .agg(
                relocations=("household_id", "size"),
                eligible=("eligible", "sum"),
                amount=("indemnity", "sum"),
            )
            .reset_index()
            .astype({"relocations": int, "eligible": int, "amount": float})
        )
    figures = {
        "households": float(len(survey)),
        "already_rehoused": float(len(rehoused_before)),
        "to_rehouse": float(n),
        "planned": float(total),
        "offers": float(len(offers)),
        "pairs": float(len(problem)),
        "objective": plan.objective,
        "lp_bound": plan.lp_bound,
        "bound": plan.bound,
        "gap": plan.gap,
        "seconds": plan.seconds,
        "median_rise": float(rise.median()) if len(rise) else float("nan"),
        "to_verify": float(plan_rows["to_verify"].astype(bool).sum()),
        # offers whose floor, lift or accessibility the stock describes
        "described_offers": float(_described(offers).sum()),
        "with_needs": float(special_needs(survey["needs"]).any(axis=1).sum()),
        "indemnity": float(plan_rows["indemnity"].astype(float).sum())
        if inputs.charter.indemnity
        else float("nan"),
    }
    from mixite.jobs._load import residence_names

    return RelocationResult(
        names=residence_names(dwellings, load_names(store)),
        millesime=millesime,
        charter_name=inputs.charter.name,
        charter_source=inputs.charter.source,
        charter_values=dict(inputs.charter.values),
        charter_sources=dict(inputs.charter.sources),
        plan=plan_rows,
        targets=targets,
        contributions=contributions,
        rise=rise_table,
        calendar=calendar,
        followup=follow,
        figures=figures,
        indemnities=indemnities,
        indemnity_amounts=dict(inputs.charter.indemnity),
        indemnity_source=inputs.charter.indemnity_source,
    )


def _followup(
    plan_rows: pd.DataFrame, survey: pd.DataFrame, followup: pd.DataFrame | None
) -> pd.DataFrame:
    """The follow-up table: one row per surveyed household, in ``schema.RELOCATION_FOLLOWUP``
    columns; the statuses, refusals, leases and comments of an imported follow-up are kept, the
    proposed dwelling is the plan's."""
    from mixite.schema import RELOCATION_FOLLOWUP

    out = pd.DataFrame(
        {
            "household_id": survey["household_id"].astype(str),
            "operation": survey["operation"].astype(str),
            "status": "enquete",
            "proposed_dwelling": survey["household_id"].map(
                plan_rows.set_index("household_id")["dwelling_id"]
            ),
            "refusals": 0,
            "dwelling_id": None,
            "lease_date": pd.NaT,
            "comment": None,
        }
    )
    planned = plan_rows.set_index("household_id")
    out["cost_before"] = out["household_id"].map(planned["cost_before"]).astype("Float64")
    out["cost_after"] = out["household_id"].map(planned["cost_after"]).astype("Float64")
    if followup is not None and len(followup):
        prev = followup.set_index("household_id")
        for col in ("status", "refusals", "dwelling_id", "lease_date", "comment"):
            known = out["household_id"].map(prev[col])
            out[col] = known.where(out["household_id"].isin(prev.index), out[col])
        done = out["status"] == "reloge"
        out.loc[done, "proposed_dwelling"] = out.loc[done, "household_id"].map(
            prev["proposed_dwelling"]
        )
        # a rehoused household keeps the reste à charge the partners recorded for its lease
        for col in ("cost_before", "cost_after"):
            if col in prev:
                given = out["household_id"].map(prev[col]).astype("Float64")
                out[col] = given.where(done & given.notna(), out[col])
    return out[list(RELOCATION_FOLLOWUP.names)]


def mutations(
    store: StoreLike,
    exchanges: bool = False,
    seed: int = 0,
    params: Parameters | None = None,
) -> MutationsResult:
    """Mutations of the latest millésime: each pending mutation application is attached to an
    occupied dwelling of its commune and size (the SNE does not carry the dwelling's RPLS
    identifier: a seeded draw among the matching occupied dwellings, docs/trajectoires.md), then
    direct exchanges by Top Trading Cycles (``exchanges``) and the vacancy chains of the year's
    expected departures."""
    from mixite.household import occupancy_status
    from mixite.params import resolve
    from mixite.trajectoires.chains import FreedDwellings, vacancy_chains
    from mixite.trajectoires.ttc import (
        ExchangeMarket,
        exchange_cycles,
        exchange_preferences,
        top_trading_cycles,
    )

    p = resolve(params)
    snap = load_snapshot(
        store, None, ("dwellings", "households", "applications", "attributions", "communes")
    )
    dwellings = snap.require("dwellings", "les mutations").reset_index(drop=True)
    occupants = snap.require("households", "les mutations")
    applications = snap.require("applications", "les mutations")
    communes = snap.require("communes", "les mutations")
    when = dt.date(snap.millesime, 1, 1)
    rng = np.random.default_rng(seed)
    apps = applications[applications["is_mutation"].astype(bool)]
    apps = apps.sort_values("application_id").reset_index(drop=True)
    occupied = dwellings[dwellings["dwelling_id"].isin(set(occupants["dwelling_id"]))]
    occupied = occupied.iloc[rng.permutation(len(occupied))].reset_index(drop=True)
    occupied["k"] = occupied.groupby(["commune", "rooms"]).cumcount()
    apps["commune"] = apps["commune_residence"].astype(object)
    apps["rooms"] = apps["current_rooms"].astype("Int64")
    apps["k"] = apps.groupby(["commune", "rooms"], dropna=False).cumcount()
    linked = apps.dropna(subset=["commune", "rooms"]).merge(
        occupied.astype({"rooms": "Int64"}),
        on=["commune", "rooms", "k"],
        suffixes=("", "_dwelling"),
    )
    linked = linked.sort_values("application_id").reset_index(drop=True)
    unlinked = len(apps) - len(linked)
    if linked.empty:
        raise StoreError(
            "Aucune demande de mutation ne se rattache à un logement occupé de sa commune et de "
            "sa taille : vérifiez « commune_residence » et « pieces_actuelles » des demandes."
        )
    zone_map = _zone_map(communes, "ceiling_zone")
    zones = linked["commune"].astype(str).map(zone_map).fillna("A").to_numpy(dtype=object)
    frame = linked.rename(columns={"applicant_age": "reference_age"})
    ceilings = household_ceilings(frame, zones, when, p)
    monthly = linked["monthly_resources"].to_numpy(np.float64)
    income = linked["tax_income"].astype(float).fillna(pd.Series(12.0 * monthly)).to_numpy()
    market = ExchangeMarket(
        rooms_min=linked["rooms_min"].to_numpy(np.int64),
        rooms_max=np.maximum(
            linked["rooms_max"].to_numpy(np.int64), linked["rooms_min"].to_numpy(np.int64)
        ),
        wished=_wished(linked["wished_communes"]),
        income=np.asarray(income, np.float64),
        ceilings=ceilings,
        landlord=linked["landlord_id"].astype(str).to_numpy(dtype=object),
        commune=linked["commune"].astype(str).to_numpy(dtype=object),
        rooms=linked["rooms"].to_numpy(np.int64),
        rent=_rents(linked),
        financing=_financing(linked),
    )
    n = len(market)
    size = linked["household_size"].to_numpy(np.int64)
    surface = _surface(linked)
    before = occupancy_status(size, market.rooms, surface, when, p)
    assignment = np.arange(n, dtype=np.int64)
    cycles: list[list[int]] = []
    if exchanges:
        prefs = exchange_preferences(
            market,
            inter_landlord=bool(p.value("mutations.echanges_inter_bailleurs", when)),
            max_list=int(p.value("mutations.longueur_liste_echange", when)),
        )
        assignment = top_trading_cycles(prefs)
        cycles = exchange_cycles(assignment)
    exchanged = assignment != np.arange(n)
    # the year's departures outside the market's dwellings start the chains
    let = dwellings[
        (dwellings["occupancy_mode"].isin(_LET_MODES) | dwellings["occupancy_mode"].isna())
        & ~dwellings["dwelling_id"].isin(set(linked["dwelling_id"]))
    ]
    rates = let["residence_id"].map(turnover_rates(dwellings)).fillna(0.0).to_numpy()
    freed_rows = let[rng.random(len(let)) < rates].reset_index(drop=True)
    freed = FreedDwellings(
        commune=freed_rows["commune"].astype(str).to_numpy(dtype=object),
        rooms=freed_rows["rooms"].to_numpy(np.int64),
        financing=_financing(freed_rows),
    )
    attributions = snap.get("attributions")
    if attributions is not None and len(attributions):
        share = float(attributions["is_mutation"].astype(bool).mean())
        share_source = "mesurée"
    else:
        share = float(p.value("mutations.part_mutations_defaut", when))
        share_source = "défaut"
    filing = linked["filing_date"].astype("int64").to_numpy()
    order = np.lexsort((filing, before != -1)).astype(np.int64)  # over-occupied first, then oldest
    chains = vacancy_chains(market, ~exchanged, order, freed, share, rng)

    # --- who moves where
    rows = []
    for i in np.flatnonzero(exchanged).tolist():
        j = int(assignment[i])
        rows.append((i, "echange", market.commune[j], int(market.rooms[j]), surface[j],
                     str(linked.loc[j, "dwelling_id"])))  # fmt: skip
    freed_surface = _surface(freed_rows)
    freed_ids = freed_rows["dwelling_id"].astype(str).tolist()
    for tenant, to_freed, to_tenant in zip(
        chains.moves["tenant"].tolist(),
        chains.moves["to_freed"].tolist(),
        chains.moves["to_tenant"].tolist(),
        strict=True,
    ):
        if to_freed >= 0:
            rows.append((tenant, "chaine", freed.commune[to_freed], int(freed.rooms[to_freed]),
                         float(freed_surface[to_freed]), freed_ids[to_freed]))  # fmt: skip
        else:
            rows.append((tenant, "chaine", market.commune[to_tenant],
                         int(market.rooms[to_tenant]), surface[to_tenant],
                         str(linked.loc[to_tenant, "dwelling_id"])))  # fmt: skip
    moves = pd.DataFrame(rows, columns=["t", "kind", "to_commune", "to_rooms", "to_surface", "to"])
    t = moves["t"].to_numpy(np.int64)
    after = occupancy_status(size[t], moves["to_rooms"].to_numpy(), moves["to_surface"], when, p)
    movers = pd.DataFrame(
        {
            "application_id": linked["application_id"].to_numpy(dtype=object)[t],
            "kind": moves["kind"],
            "landlord_id": market.landlord[t],
            "from_dwelling": linked["dwelling_id"].to_numpy(dtype=object)[t],
            "from_commune": market.commune[t],
            "from_rooms": market.rooms[t],
            "household_size": size[t],
            "to_dwelling": moves["to"],
            "to_commune": moves["to_commune"],
            "to_rooms": moves["to_rooms"],
            "status_before": before[t],
            "status_after": after,
        }
    )
    # dwellings left to external applicants at the end of each chain
    end = chains.chains
    end_rooms = np.where(
        end["end_tenant"] >= 0,
        market.rooms[np.maximum(end["end_tenant"].to_numpy(), 0)],
        freed.rooms[end["chain"].to_numpy()] if len(freed) else 0,
    )
    external = pd.Series(end_rooms, dtype=np.int64).value_counts().sort_index()
    freed_by_rooms = pd.DataFrame(
        {"rooms": external.index.astype(int), "dwellings": external.to_numpy(dtype=int)}
    )
    cycle_lengths = pd.Series([len(c) for c in cycles], dtype=int).value_counts().sort_index()
    figures = {
        "applications": float(len(apps)),
        "linked": float(n),
        "unlinked": float(unlinked),
        "exchanges": float(exchanged.sum()),
        "cycles": float(len(cycles)),
        "freed": float(len(freed)),
        "chain_moves": float(len(chains.moves)),
        "mean_chain_length": chains.mean_length,
        "mutation_share": share,
        "over_before": float((movers["status_before"] == -1).sum()),
        "over_after": float((movers["status_after"] == -1).sum()),
        "under_before": float((movers["status_before"] == 1).sum()),
        "under_after": float((movers["status_after"] == 1).sum()),
        "over_waiting": float(((before == -1) & ~np.isin(np.arange(n), t)).sum()),
    }
    return MutationsResult(
        names=load_names(store),
        millesime=snap.millesime,
        exchanges=exchanges,
        mutation_share_source=share_source,
        movers=movers,
        cycles=pd.DataFrame(
            {"length": cycle_lengths.index.astype(int), "cycles": cycle_lengths.to_numpy(int)}
        ),
        chains=chains.chains.assign(length=chains.chains["mutations"] + 1)
        .groupby("length")
        .size()
        .rename("chains")
        .reset_index(),
        freed_by_rooms=freed_by_rooms,
        figures=figures,
    )
