"""What the projection measures each year, and its summary over replicates.

For each year of each replicate (``year_tables``): per residence and per neighbourhood the
households, the share of first-quartile occupants, the rent per m² and the fragility index
(``indicators.fragility``, measured on the scale of the base year: the means and standard
deviations of the base's residences); per neighbourhood its flows (``indicators.roles``); for
the territory the segregation of Q1 households across residences (dissimilarity and isolation,
``indicators.segregation``); the quota results of the year's attributions per partner, the flux
ledger, the rents lever, the relocations (``engine.RELOCATION_COUNTS``) and the ledger of
households and dwellings.

Over replicates (``summarise``): the mean and the empirical interval
(``allocation.simulate.INTERVAL_LEVEL``) of every figure, roles from the mean flows, and the
first year each partner meets its Q1 objective (``objective_years``, the first year from which it stays met).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mixite.projection.engine import YearRecord, _State

__all__ = [
    "LEDGER_BALANCES",
    "ledger_imbalance",
    "objective_years",
    "summarise",
    "validation_table",
    "year_tables",
]

#: The identities of the ledger: (left side, right side) column lists, each summed.
LEDGER_BALANCES = (
    (
        ("households_start", "new_households"),
        ("households_end", "exits", "exits_sale"),
    ),
    (
        ("dwellings_start", "delivered"),
        ("dwellings_end", "demolished", "sold"),
    ),
    (
        ("dwellings_end",),
        ("occupied_end", "vacant_end", "not_let_end"),
    ),
)


def ledger_imbalance(ledger: pd.DataFrame) -> pd.Series:
    """Per row of a ledger, the largest absolute gap between the two sides of its identities
    (``LEDGER_BALANCES``): 0 when every household and dwelling is accounted for."""
    gaps = []
    for left, right in LEDGER_BALANCES:
        lhs = ledger[list(left)].sum(axis=1)
        rhs = ledger[list(right)].sum(axis=1)
        gaps.append((lhs - rhs).abs())
    return pd.concat(gaps, axis=1).max(axis=1)


def _households_frame(state: _State) -> tuple[pd.DataFrame, np.ndarray[Any, Any]]:
    """Present households as a canonical ``households`` frame, with their housing benefit."""
    from mixite.affordability import housing_benefit

    h, d = state.h, state.d
    rows = np.flatnonzero(h["present"])
    dwelling = h["dwelling"][rows]
    benefit, _ = housing_benefit(
        zone=d["apl_zone"][dwelling],
        couple=h["adults"][rows] >= 2,
        dependants=h["dependants"][rows],
        rent=d["rent"][dwelling],
        annual_resources=h["annual_resources"][rows],
        when=state.when,
        params=state.base.params,
    )
    frame = pd.DataFrame(
        {
            "household_size": h["household_size"][rows],
            "adults": h["adults"][rows],
            "persons_14plus": h["persons_14plus"][rows],
            "dependants": h["dependants"][rows],
            "reference_age": h["age"][rows],
            "single_parent": h["single_parent"][rows],
            "employment": h["employment"][rows],
            "annual_resources": h["annual_resources"][rows],
            "housing_benefit": np.asarray(benefit, dtype=float),
        }
    )
    return frame, rows


def _profiles(state: _State, year: int) -> dict[str, pd.DataFrame]:
    """Per residence and per neighbourhood: households, Q1 share, rent per m², fragility."""
    from mixite.ceilings import household_ceiling
    from mixite.indicators import small_cell_threshold
    from mixite.indicators.fragility import fragility_index
    from mixite.indicators.occupancy import FLAG_COLUMNS, household_flags

    h, d = state.h, state.d
    params = state.base.params
    frame, rows = _households_frame(state)
    dwelling = h["dwelling"][rows]
    ceiling = household_ceiling("plus", d["ceiling_zone"][dwelling], frame, state.when, params)
    flags = household_flags(frame, ceiling, state.millesime, params)
    q1 = state.q1_households(rows)
    minimum = small_cell_threshold(params, state.when)
    in_service = np.isin(d["status"], (1, 2))
    out: dict[str, pd.DataFrame] = {}
    references = getattr(state, "references", None)
    made: dict[str, pd.DataFrame] = {}
    for unit in ("residence", "neighbourhood"):
        occupant_unit = d[unit][dwelling]
        data = flags[list(FLAG_COLUMNS)].astype(float)
        data["q1"] = q1.astype(float)
        data["unit"] = occupant_unit
        grouped = data.groupby("unit")
        profile = grouped[list(FLAG_COLUMNS)].mean().add_prefix("share_")
        profile.insert(0, "households", grouped.size())
        profile["q1_households"] = grouped["q1"].sum()
        stock = (
            pd.DataFrame(
                {
                    "unit": d[unit][in_service],
                    "dwellings": 1.0,
                    "rent": d["rent"][in_service],
                    "surface": d["surface"][in_service],
                    "vacant": ((d["status"] == 1) & (d["occupant"] < 0))[in_service].astype(float),
                }
            )
            .groupby("unit")[["dwellings", "rent", "surface", "vacant"]]
            .sum()
        )
        profile = stock.join(profile, how="left").fillna({"households": 0, "q1_households": 0.0})
        filled = profile.reset_index(drop=True)
        shares = [c for c in filled.columns if c.startswith("share_")]
        filled[shares] = filled[shares].fillna(0.0)
        reference = None if references is None else references[unit]
        scored = fragility_index(
            filled, state.millesime, min_households=minimum, params=params, reference=reference
        )
        made[unit] = filled
        table = pd.DataFrame(
            {
                unit: profile.index.to_numpy(dtype=np.int64),
                "year": year,
                "dwellings": profile["dwellings"].to_numpy(),
                "households": profile["households"].to_numpy(dtype=float),
                "vacant": profile["vacant"].to_numpy(),
                "q1_households": profile["q1_households"].to_numpy(dtype=float),
                "q1_share": np.where(
                    profile["households"] > 0,
                    profile["q1_households"] / profile["households"].clip(lower=1),
                    np.nan,
                ),
                "rent_m2": np.where(
                    profile["surface"] > 0, profile["rent"] / profile["surface"], np.nan
                ),
                "fragility_index": scored["fragility_index"].to_numpy(dtype=float),
            }
        )
        out[unit] = table
    if references is None:
        state.references = made  # type: ignore[attr-defined]
    return out


def _territory(state: _State, year: int) -> dict[str, float]:
    from mixite.indicators.segregation import two_group_indices

    h, d = state.h, state.d
    rows = np.flatnonzero(h["present"])
    dwelling = h["dwelling"][rows]
    q1 = state.q1_households(rows)
    in_qpv = d["in_qpv"][dwelling]
    seg = two_group_indices(pd.Series(d["residence"][dwelling]), pd.Series(q1))
    in_service = np.isin(d["status"], (1, 2))
    lettable = d["status"] == 1
    outside = ~in_qpv
    return {
        "year": float(year),
        "households": float(rows.size),
        "dwellings": float(in_service.sum()),
        "vacant": float((lettable & (d["occupant"] < 0)).sum()),
        "q1_share": float(q1.mean()) if rows.size else np.nan,
        "q1_share_outside_qpv": float(q1[outside].mean()) if outside.any() else np.nan,
        "q1_share_in_qpv": float(q1[in_qpv].mean()) if in_qpv.any() else np.nan,
        "dissimilarity": float(seg["dissimilarity"]),
        "isolation": float(seg["isolation"]),
        "rent_m2": float(d["rent"][in_service].sum() / max(d["surface"][in_service].sum(), 1.0)),
    }


def _flows(state: _State, year: int, record: YearRecord | None) -> pd.DataFrame:
    """The flows of each neighbourhood during ``year`` (observed for the base year)."""
    h, d = state.h, state.d
    keys = state.neighbourhood_list
    n = len(keys)
    rows = np.flatnonzero(h["present"])
    unit = d["neighbourhood"][h["dwelling"][rows]]
    end = float(year + 1)
    stay = np.bincount(unit, weights=np.maximum(end - h["entry_year"][rows], 0.0), minlength=n)
    out = pd.DataFrame({"neighbourhood": np.arange(n), "year": year, "stay_years_total": stay})
    if record is None:
        observed = state.base.observed_flows.set_index("neighbourhood")
        for col in (
            "entrants",
            "entrants_external",
            "mutations_in",
            "mutations_out",
            "q1_entrants",
        ):
            out[col] = [float(observed[col].get(k, 0.0)) for k in keys]
        out["exits"] = np.nan
    else:
        for col, values in record.flows.items():
            out[col] = values[:n]
    return out


def year_tables(state: _State, record: YearRecord | None) -> dict[str, pd.DataFrame]:
    """Everything measured at the end of a year of one replicate (the base when ``record`` is
    None: the occupancy at 1 January of the millésime and the observed flows of the year
    before)."""
    year = state.millesime - 1 if record is None else record.year
    profiles = _profiles(state, year)
    neighbourhoods = profiles["neighbourhood"].merge(
        _flows(state, year, record), on=["neighbourhood", "year"], how="outer"
    )
    territory = pd.DataFrame([_territory(state, year)])
    out = {
        "territory": territory,
        "residences": profiles["residence"],
        "neighbourhoods": neighbourhoods,
    }
    if record is not None:
        ledger = pd.DataFrame([{"year": float(year), **record.counts}])
        out |= {
            "ledger": ledger,
            "quotas": record.quotas.assign(year=year),
            "flux": record.flux.assign(year=year),
            "rents": record.rents,
            "relocation": pd.DataFrame([{"year": float(year), **record.relocation}]),
        }
    return out


def summarise(
    frames: Sequence[pd.DataFrame], keys: Sequence[str], level: float | None = None
) -> pd.DataFrame:
    """The mean of every numeric column over replicates (one frame each, same ``keys``) and its
    empirical interval at ``level`` (columns ``<name>_low`` and ``<name>_high``)."""
    from mixite.allocation.simulate import INTERVAL_LEVEL

    level = INTERVAL_LEVEL if level is None else level
    present = [f for f in frames if f is not None and len(f)]
    if not present:
        return pd.DataFrame(columns=list(keys))
    stacked = pd.concat(present, ignore_index=True)
    for column in stacked.columns:
        if column not in keys and stacked[column].dtype == object:
            converted = pd.to_numeric(stacked[column], errors="coerce")
            if converted.notna().sum() == stacked[column].notna().sum():
                stacked[column] = converted
    values = [
        c for c in stacked.columns if c not in keys and pd.api.types.is_numeric_dtype(stacked[c])
    ]
    grouped = stacked.groupby(list(keys), sort=True, dropna=False)[values]
    mean = grouped.mean()
    low = grouped.quantile((1 - level) / 2).add_suffix("_low")
    high = grouped.quantile(1 - (1 - level) / 2).add_suffix("_high")
    return pd.concat([mean, low, high], axis=1).reset_index()


def validation_table(
    observed: dict[str, float], ledgers: Sequence[pd.DataFrame], territories: Sequence[Any]
) -> pd.DataFrame:
    """The first projected year against the observed year before the millésime: turnover and
    the profile of the attributions in dwellings already in service (share of Q1 or relocated
    households outside QPV, of mutations, of priority households, in QPV), observed value,
    replicates' mean and interval, and whether the observed value falls in the interval."""
    from mixite.allocation.simulate import INTERVAL_LEVEL

    del territories
    first = pd.concat([lg.iloc[[0]] for lg in ledgers], ignore_index=True)
    att = first["moves_in_base"].clip(lower=1)
    projected = {
        "turnover_rate": first["moves_in_base"] / max(observed.get("turnover_base", 1.0), 1.0),
        "q1_outside_qpv": first["attributions_q1_outside_qpv"]
        / first["attributions_outside_qpv"].clip(lower=1),
        "mutation_share": first["attributions_mutation_base"] / att,
        "priority_share": first["attributions_priority"] / att,
        "in_qpv_share": first["attributions_in_qpv"] / att,
    }
    lo, hi = (1 - INTERVAL_LEVEL) / 2, 1 - (1 - INTERVAL_LEVEL) / 2
    rows = []
    for name, values in projected.items():
        obs = observed.get(name, np.nan)
        low, high = float(values.quantile(lo)), float(values.quantile(hi))
        rows.append(
            {
                "measure": name,
                "observed": obs,
                "mean": float(values.mean()),
                "low": low,
                "high": high,
                "within": bool(np.isfinite(obs) and low - 1e-12 <= obs <= high + 1e-12),
            }
        )
    return pd.DataFrame(rows)


def objective_years(quotas: pd.DataFrame, landlords: Sequence[str]) -> pd.DataFrame:
    """For the EPCI and each landlord, ``year_met``: the first projected year from which the
    mean share of Q1-or-NPNRU attributions outside QPV meets the partner's own target of the year
    (the ``target`` column, ``project.quota_targets``) every year to the horizon, NaN when the
    last year misses it; ``first_year_met``: the first year it is met at all; with the share and
    the target of the last year."""
    from mixite.vocabulary import Indicator, Level

    rows = quotas.loc[quotas["indicator"] == Indicator.Q1_OUTSIDE_QPV]
    out = []
    partners = [(Level.EPCI.value, None), *[(Level.LANDLORD.value, lid) for lid in landlords]]
    for level, group in partners:
        part = rows.loc[rows["level"] == level]
        if group is not None:
            part = part.loc[part["group"].astype(str) == str(group)]
        part = part.sort_values("year")
        met = [
            bool(np.isfinite(share) and np.isfinite(target) and share >= target - 1e-9)
            for share, target in zip(
                part["share"].astype(float), part["target"].astype(float), strict=True
            )
        ]
        years = [int(y) for y in part["year"]]
        # The first year from which the objective stays met to the horizon.
        lasting = np.nan
        for k in range(len(met) - 1, -1, -1):
            if not met[k]:
                break
            lasting = float(years[k])
        last = part.iloc[-1] if len(part) else None
        out.append(
            {
                "level": level,
                "group": "" if group is None else str(group),
                "year_met": lasting,
                "first_year_met": float(years[met.index(True)]) if any(met) else np.nan,
                "last_year": float(last["year"]) if last is not None else np.nan,
                "last_share": float(last["share"]) if last is not None else np.nan,
                "target": float(last["target"]) if last is not None else np.nan,
            }
        )
    return pd.DataFrame(out)
