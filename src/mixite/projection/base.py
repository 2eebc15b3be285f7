"""The starting point of a projection: a store millésime turned into arrays, with the rates of
the yearly dynamics estimated on it (``mixite.projection.rates``) and the observed figures the
first projected year is checked against.

``build_base`` is pure: it takes the canonical frames of one millésime (as the jobs load them)
and the strategies to project (for their allocation scenarios' cotation grids), and returns an
immutable ``ProjectionBase`` shared by every replicate and every strategy. Money is in euros of
the millésime's year: thresholds, scales and ceilings are those in force on 1 January of it for
the whole projection (``docs/projection.md``, « Hypothèses »).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.errors import InputError, Location
from mixite.params import Parameters, resolve
from mixite.projection.rates import (
    DemandModel,
    DepartureModel,
    demand_model,
    departure_model,
    household_type,
    recent_entries,
    relet_delay_days,
)

if TYPE_CHECKING:
    from mixite.allocation.scenario import Scenario
    from mixite.projection.strategy import StrategyPlan

__all__ = ["ProjectionBase", "build_base", "expected_flows", "grid_key"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: RPLS occupancy modes of the dwellings the projection lets to households (let, or vacant and
#: offered); the others (works, association, other use) stay as they are.
LETTABLE_MODES = ("1", "2")
#: Employment codes of employed applicants (Action Logement's pool), as in the scenarios.
_FIN = {"plai": 0, "plus": 1, "pls": 2}


def grid_key(scenario: Scenario) -> str:
    """The key of a scenario's cotation (its grid's resolved path; ``""`` = seniority)."""
    if scenario.grille is None:
        return ""
    return str(scenario.path(scenario.grille).resolve())


@dataclass(frozen=True, eq=False)
class ProjectionBase:
    """The territory at 1 January of ``millesime``, as arrays, and its estimated dynamics.

    ``dwellings``, ``households`` and ``applications`` map column names to aligned arrays (the
    columns are listed in ``build_base``); ``residences`` and ``neighbourhoods`` are tables whose
    row order is the ``residence`` and ``neighbourhood`` index of the dwellings.
    """

    millesime: int
    epci: str
    q1_threshold: float
    dwellings: Mapping[str, Any]
    households: Mapping[str, Any]
    applications: Mapping[str, Any]
    #: Cotation score of every pending application per grid key (``grid_key``).
    scores: Mapping[str, FloatArray]
    residences: pd.DataFrame
    neighbourhoods: pd.DataFrame
    departures: DepartureModel
    demand: DemandModel
    flows: Mapping[str, float] | None
    communes: pd.DataFrame
    territory: pd.DataFrame
    #: Observed figures of the year before the millésime (turnover, attributions profile).
    observed: Mapping[str, float]
    #: Observed flows of each neighbourhood (``indicators.roles.observed_flows``).
    observed_flows: pd.DataFrame
    #: Median rent per m² of the recently put into service dwellings, per financing family.
    convention_rent_m2: Mapping[str, float]
    #: Median surface (m²) per number of rooms (1 to 5, 5 = five or more).
    surface_by_rooms: Mapping[int, float]
    charges_per_m2: float
    #: Days a freed dwelling waits before its commission (``rates.relet_delay_days``).
    relet_delay_days: float
    params: Parameters | None = field(default=None, repr=False)
    #: The landlords' conventions (store table ``reservations``): each vacancy's reservataire is
    #: drawn among the conventions of its landlord covering its commune, as in
    #: ``allocation.scenario.vacancies_from_store``.
    reservations: pd.DataFrame | None = field(default=None, repr=False)
    #: The territory's adapted rates and the partners' CIA commitments (store table
    #: ``commitments``), for each partner's own objective (``Scenario.quotas``).
    commitments: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def n_dwellings(self) -> int:
        return len(self.dwellings["id"])

    @property
    def n_households(self) -> int:
        return len(self.households["id"])

    @property
    def n_applications(self) -> int:
        return len(self.applications["id"])


def _residences(dw: pd.DataFrame, neighbourhood: pd.Series) -> tuple[pd.DataFrame, IntArray]:
    codes, uniques = pd.factorize(dw["residence_id"].astype(str), sort=True)
    frame = pd.DataFrame(
        {
            "residence": codes,
            "landlord_id": dw["landlord_id"].astype(object).fillna("").astype(str).to_numpy(),
            "commune": dw["commune"].astype(str).to_numpy(),
            "in_qpv": dw["in_qpv"].astype(bool).to_numpy(),
            "qpv_code": dw["qpv_code"].astype(object).to_numpy(),
            "neighbourhood": neighbourhood.to_numpy(),
            "x": pd.to_numeric(dw["x"], errors="coerce").to_numpy(dtype=float),
            "y": pd.to_numeric(dw["y"], errors="coerce").to_numpy(dtype=float),
        }
    )
    grouped = frame.groupby("residence", sort=True)
    out = grouped.agg(
        landlord_id=("landlord_id", "first"),
        commune=("commune", "first"),
        in_qpv=("in_qpv", "mean"),
        qpv_code=("qpv_code", "first"),
        neighbourhood=("neighbourhood", "first"),
        x=("x", "mean"),
        y=("y", "mean"),
        dwellings=("landlord_id", "size"),
    )
    out["in_qpv"] = out["in_qpv"] >= 0.5
    out.insert(0, "residence_id", np.asarray(uniques, dtype=object))
    out["programmed"] = False
    out["name"] = out["residence_id"]
    return out.reset_index(drop=True), codes.astype(np.int64)


def _observed_profile(
    attributions: pd.DataFrame | None,
    dwellings: pd.DataFrame,
    new: BoolArray,
    territory: pd.DataFrame,
    millesime: int,
    params: Parameters | None,
) -> dict[str, float]:
    """Turnover of the year before the millésime and the profile of its attributions in
    dwellings already in service (first lettings of new dwellings left out: the projection's
    first year is compared with it, whatever the strategy's new supply)."""
    from mixite.indicators.quotas import q1_threshold, quota_indicators
    from mixite.indicators.stock import vacancy_turnover
    from mixite.vocabulary import Indicator, Level

    turnover = vacancy_turnover(dwellings, millesime, None, params).iloc[0]
    out = {
        "turnover_base": float(turnover["turnover_base"]),
        "moves_in": float(turnover["moves_in"]),
        "turnover_rate": float(turnover["turnover_rate"]),
    }
    if attributions is None or attributions.empty:
        return out
    year = millesime - 1
    att = attributions.loc[pd.to_datetime(attributions["lease_date"]).dt.year == year]
    out["attributions"] = float(len(att))
    new_ids = set(dwellings["dwelling_id"].astype(str).to_numpy()[new])
    att = att.loc[~att["dwelling_id"].astype(str).isin(new_ids)]
    if att.empty:
        return out
    table = quota_indicators(
        att, year, q1_threshold(territory, year, params), levels=(Level.EPCI,), params=params
    )
    q1 = table.loc[table["indicator"] == Indicator.Q1_OUTSIDE_QPV, "share"]
    mutation = att["is_mutation"].astype(bool) | att["npnru_relocation"].astype(bool)
    out |= {
        "attributions_existing": float(len(att)),
        "q1_outside_qpv": float(q1.iloc[0]) if len(q1) else float("nan"),
        "mutation_share": float(mutation.mean()),
        "priority_share": float((att["priority"] | att["dalo"]).astype(bool).mean()),
        "in_qpv_share": float(att["in_qpv"].astype(bool).mean()),
    }
    return out


def _applications(
    frames: Mapping[str, pd.DataFrame],
    scenarios: Sequence[Scenario],
    millesime: int,
) -> tuple[dict[str, Any], dict[str, FloatArray]]:
    """The pending applications as arrays (``allocation.scenario.applications_from_store``),
    with the columns a new occupant household needs, and the score of each grid."""
    from mixite.allocation.scenario import applications_from_store

    frame = frames["applications"].reset_index(drop=True)
    territory, communes = frames["territory"], frames["communes"]
    first = scenarios[0]
    apps = applications_from_store(frame, territory, communes, first, millesime)
    scores: dict[str, FloatArray] = {grid_key(first): np.asarray(apps.score, np.float64)}
    for scenario in scenarios[1:]:
        key = grid_key(scenario)
        if key not in scores:
            other = applications_from_store(frame, territory, communes, scenario, millesime)
            scores[key] = np.asarray(other.score, np.float64)
    reference = pd.Timestamp(dt.date(millesime, 1, 1))
    filing = pd.to_datetime(frame["filing_date"])
    seniority = ((reference - filing).dt.days / 365.25).to_numpy(dtype=float)
    data: dict[str, Any] = {
        "id": np.asarray(apps.ids, dtype=object),
        "npnru": np.asarray(apps.npnru, bool),
        "priority": np.asarray(apps.priority, bool),
        "dalo": np.asarray(apps.dalo, bool),
        "employed": np.asarray(apps.employed, bool),
        "income": np.asarray(apps.income, np.float64),
        "ceilings": np.asarray(apps.ceilings, np.float64),
        "rooms_min": np.asarray(apps.rooms_min, np.int64),
        "rooms_max": np.asarray(apps.rooms_max, np.int64),
        "monthly_resources": np.asarray(apps.monthly_resources, np.float64),
        "consumption_units": np.asarray(apps.consumption_units, np.float64),
        "wished": np.asarray(apps.wished, dtype=object),
        "household_size": frame["household_size"].to_numpy(np.int64),
        "adults": frame["adults"].to_numpy(np.int64),
        "persons_14plus": frame["persons_14plus"].to_numpy(np.int64),
        "dependants": frame["dependants"].to_numpy(np.int64),
        "single_parent": frame["single_parent"].to_numpy(dtype=bool),
        "age": frame["applicant_age"].to_numpy(np.float64),
        "employment": frame["employment"].astype(str).to_numpy(dtype=object),
        "is_mutation": frame["is_mutation"].to_numpy(dtype=bool),
        "seniority": np.nan_to_num(seniority, nan=0.0),
    }
    return data, scores


def build_base(
    frames: Mapping[str, pd.DataFrame],
    millesime: int,
    plans: Sequence[StrategyPlan],
    params: Parameters | None = None,
) -> ProjectionBase:
    """The projection's starting point from the canonical frames of store millésime
    ``millesime`` (``dwellings``, ``households``, ``applications``, ``territory``, ``communes``
    required; ``attributions``, ``reservations`` and ``commitments`` optional) and the strategies
    to project.

    Raises ``InputError`` for an occupant household whose dwelling is not in the RPLS.
    """
    from mixite.allocation.scenario import FINANCING
    from mixite.household import consumption_units, is_q1, resources_per_uc
    from mixite.indicators.quotas import q1_threshold
    from mixite.indicators.roles import neighbourhood_keys, observed_flows

    p = resolve(params)
    when = dt.date(millesime, 1, 1)
    dw = frames["dwellings"].reset_index(drop=True)
    hh = frames["households"].reset_index(drop=True)
    territory = frames["territory"]
    communes = frames["communes"]
    attributions = frames.get("attributions")
    threshold = q1_threshold(territory, millesime, params)
    epci = str(territory.iloc[0]["epci"])

    # Dwellings and residences.
    keys = neighbourhood_keys(dw, millesime, params)
    n_codes, n_uniques = pd.factorize(keys, sort=True)
    residences, res_index = _residences(dw, keys)
    neighbourhoods = pd.DataFrame({"neighbourhood": np.asarray(n_uniques, dtype=object)})
    first = dw.groupby(keys.to_numpy(), sort=True).agg(
        commune=("commune", "first"), qpv=("in_qpv", "any")
    )
    neighbourhoods["commune"] = first["commune"].astype(str).to_numpy()
    neighbourhoods["kind"] = np.where(
        first["qpv"].to_numpy(), "qpv", str(p.value("quartiers.unite_hors_qpv", when))
    )
    rooms = dw["rooms"].astype(np.int64).to_numpy()
    surface = (
        pd.to_numeric(dw["surface"], errors="coerce")
        .fillna(pd.Series(18.0 + 17.0 * rooms))
        .to_numpy(dtype=float)
    )
    rent_s = pd.to_numeric(dw["rent"], errors="coerce")
    rent = rent_s.fillna(rent_s.median() if rent_s.notna().any() else 0.0).to_numpy(dtype=float)
    mode = dw["occupancy_mode"].astype(object)
    lettable = (mode.isin(LETTABLE_MODES) | mode.isna()).to_numpy(dtype=bool)
    apl_zone = (
        dw["commune"]
        .astype(str)
        .map(
            dict(
                zip(communes["commune"].astype(str), communes["apl_zone"].astype(str), strict=True)
            )
        )
        .fillna("2")
        .astype(int)
        .to_numpy(np.int64)
    )
    ceiling_zone = (
        dw["commune"]
        .astype(str)
        .map(dict(zip(communes["commune"].astype(str), communes["ceiling_zone"], strict=True)))
        .fillna("A")
        .to_numpy(dtype=object)
    )
    dwellings: dict[str, Any] = {
        "id": dw["dwelling_id"].astype(str).to_numpy(dtype=object),
        "residence": res_index,
        "neighbourhood": n_codes.astype(np.int64),
        "landlord": dw["landlord_id"].astype(object).fillna("").astype(str).to_numpy(dtype=object),
        "commune": dw["commune"].astype(str).to_numpy(dtype=object),
        "in_qpv": dw["in_qpv"].astype(bool).to_numpy(),
        "qpv_code": dw["qpv_code"].astype(object).fillna("").to_numpy(dtype=object),
        "rooms": rooms,
        "surface": surface,
        "rent": rent,
        "financing": dw["finan_family"].map(FINANCING).fillna(3).astype(np.int64).to_numpy(),
        "lettable": lettable,
        "apl_zone": apl_zone,
        "ceiling_zone": ceiling_zone,
    }

    # Occupant households.
    position = pd.Series(np.arange(len(dw)), index=dwellings["id"])
    where = hh["dwelling_id"].astype(str).map(position)
    if where.isna().any():
        line = int(np.flatnonzero(where.isna().to_numpy())[0])
        raise InputError(
            "Ménage occupant un logement absent du RPLS",
            Location("households", line + 2, "dwelling_id", str(hh["dwelling_id"].iloc[line])),
            "Vérifiez l'identifiant du logement (IDENT_INT) ou importez le RPLS du même millésime.",
        )
    h_dwelling = where.to_numpy(dtype=np.int64)
    entry = pd.to_datetime(hh["entry_date"])
    entry_year = (entry.dt.year + (entry.dt.dayofyear - 1) / 365.25).to_numpy(dtype=float)
    resources = hh["annual_resources"].to_numpy(np.float64)
    units = consumption_units(
        hh["adults"], hh["persons_14plus"], hh["household_size"], when, params
    )
    q1 = is_q1(resources_per_uc(resources, units), threshold)
    households: dict[str, Any] = {
        "id": hh["household_id"].astype(str).to_numpy(dtype=object),
        "dwelling": h_dwelling,
        "household_size": hh["household_size"].to_numpy(np.int64),
        "adults": hh["adults"].to_numpy(np.int64),
        "persons_14plus": hh["persons_14plus"].to_numpy(np.int64),
        "dependants": hh["dependants"].to_numpy(np.int64),
        "age": hh["reference_age"].to_numpy(np.float64),
        "annual_resources": resources,
        "employment": hh["employment"].astype(str).to_numpy(dtype=object),
        "single_parent": hh["single_parent"].to_numpy(dtype=bool),
        "entry_year": np.nan_to_num(entry_year, nan=float(millesime - 1)),
    }

    # Departures, estimated on the recent movers.
    first_year = (
        pd.to_numeric(dw["first_letting_year"], errors="coerce")
        .astype("float64")
        .fillna(pd.to_numeric(dw["construction_year"], errors="coerce").astype("float64"))
        .to_numpy(dtype=float, na_value=np.nan)
    )
    # The year each dwelling was first let (else built), NaN when unknown: the relocation
    # planner's « new or recent » dwellings (``projection.relocation``).
    dwellings["first_year"] = first_year
    new = dw["new_dwelling"].astype(bool).to_numpy() | (first_year >= millesime - 1)
    observed = _observed_profile(attributions, dw, new, territory, millesime, params)
    departures = departure_model(
        household_type(households["adults"], households["dependants"]),
        households["age"],
        q1,
        res_index[h_dwelling],
        recent_entries(hh["entry_date"], millesime),
        ~new[h_dwelling],
        len(residences),
        observed.get("mutation_share", 0.0),
        millesime,
        params,
    )

    # Applications and the demand's dynamics.
    scenarios: list[Scenario] = []
    for plan in plans:
        scenarios.append(plan.default)
        scenarios.extend(plan.by_year.values())
    applications, scores = _applications(frames, scenarios, millesime)
    demand = demand_model(applications["seniority"], int(observed.get("attributions", 0)))

    # Rents of new supply and surfaces by rooms.
    years = int(p.value("projection.offre.annees_recentes", when))
    per_m2 = rent / np.where(surface > 0, surface, np.nan)
    recent = np.nan_to_num(first_year, nan=0.0) >= millesime - years
    family = dw["finan_family"].astype(str).to_numpy()
    convention: dict[str, float] = {}
    overall = float(np.nanmedian(per_m2)) if np.isfinite(per_m2).any() else 0.0
    for fam in ("plai", "plus", "pls"):
        pick = per_m2[(family == fam) & recent]
        if not np.isfinite(pick).any():
            pick = per_m2[family == fam]
        convention[fam] = float(np.nanmedian(pick)) if np.isfinite(pick).any() else overall
    capped = np.minimum(rooms, 5)
    surfaces = {
        r: float(np.median(surface[capped == r])) if (capped == r).any() else 18.0 + 17.0 * r
        for r in range(1, 6)
    }
    charges = float(p.value("solvabilite.charges_par_m2", when))
    vacant = int((lettable & (np.bincount(h_dwelling, minlength=len(dw)) == 0)).sum())
    delay = relet_delay_days(
        vacant,
        int(observed.get("moves_in", 0)),
        float(p.value("projection.vacance.delai_jours", when)),
    )
    flows_frame = observed_flows(hh, dw, attributions, millesime, threshold, params)
    return ProjectionBase(
        millesime=millesime,
        epci=epci,
        q1_threshold=float(threshold),
        dwellings=dwellings,
        households=households,
        applications=applications,
        scores=scores,
        residences=residences,
        neighbourhoods=neighbourhoods,
        departures=departures,
        demand=demand,
        flows=expected_flows(
            frames.get("reservations"),
            dw["landlord_id"].astype(str).to_numpy()[lettable],
            dw["commune"].astype(str).to_numpy()[lettable],
        ),
        communes=communes,
        territory=territory,
        observed=observed,
        observed_flows=flows_frame,
        convention_rent_m2=convention,
        surface_by_rooms=surfaces,
        charges_per_m2=charges,
        relet_delay_days=delay,
        params=params,
        reservations=frames.get("reservations"),
        commitments=frames.get("commitments"),
    )


def expected_flows(
    reservations: pd.DataFrame | None, landlords: npt.NDArray[Any], communes: npt.NDArray[Any]
) -> dict[str, float] | None:
    """Flow shares by reservataire type: the expected share of vacancies the conventions direct
    to each type when every dwelling (``landlords``, ``communes``) is equally likely to be
    freed — the expectation of ``allocation.scenario.default_flows`` over the year's vacancies.
    None without conventions."""
    from mixite.allocation.scenario import ConventionMenus
    from mixite.vocabulary import reservataire_kind

    if reservations is None or reservations.empty or len(landlords) == 0:
        return None
    menus = ConventionMenus(reservations)
    pairs = Counter(zip((str(x) for x in landlords), (str(x) for x in communes), strict=True))
    total: dict[str, float] = {}
    for (landlord, commune), count in pairs.items():
        keys, probs = menus.of(str(landlord), str(commune))
        for key, prob in zip(keys, probs, strict=True):
            kind = reservataire_kind(key)
            total[kind] = total.get(kind, 0.0) + float(count) * prob
    mass = sum(total.values())
    return {k: v / mass for k, v in total.items()} if mass > 0 else None
