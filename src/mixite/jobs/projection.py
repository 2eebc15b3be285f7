"""Job of the projection: strategies over the CIA's six years from a store millésime.

Loads one millésime through the one loader, builds the projection's starting point
(``projection.base.build_base``), checks that every residence, commune and landlord a strategy
names exists, optionally calibrates the commissions' preferences on the observed attributions
(``projection.calibration``), projects every strategy (``projection.project``) and returns a
``ProjectionResult``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mixite.errors import ConfigError
from mixite.jobs._load import (
    StoreLike,
    load_commitments,
    load_names,
    load_snapshot,
    residence_names,
)
from mixite.jobs.results import ProjectionResult

if TYPE_CHECKING:
    import pandas as pd

    from mixite.projection.base import ProjectionBase
    from mixite.projection.project import StrategyOutcome as StrategyProjection
    from mixite.projection.strategy import StrategyPlan

__all__ = ["DEFAULT_WORKERS", "check_plan", "projection", "publish"]

#: Processes the replicates are spread over by default: the machine's cores.
DEFAULT_WORKERS = max(os.cpu_count() or 1, 1)

_TABLES = (
    "dwellings",
    "households",
    "applications",
    "attributions",
    "reservations",
    "communes",
    "territory",
    "qpv",
)


def check_plan(plan: StrategyPlan, base: ProjectionBase) -> None:
    """Raise a French ``ConfigError`` when the strategy names a residence the base does not hold,
    dates a lever before the first projected year (the base's millésime), or programmes a
    residence in a commune, for a landlord or in a QPV the base does not know."""
    source = plan.source or plan.name
    known = set(base.residences["residence_id"].astype(str))
    strategy = plan.strategy
    named = [
        *((s.residence, "offre.ventes") for s in strategy.offre.ventes),
        *((d.residence, "renouvellement.demolitions") for d in strategy.renouvellement.demolitions),
        *(
            (r.residence, "renouvellement.rehabilitations")
            for r in strategy.renouvellement.rehabilitations
        ),
    ]
    dated = [
        *((s.annee, "offre.ventes") for s in strategy.offre.ventes),
        *((d.annee, "renouvellement.demolitions") for d in strategy.renouvellement.demolitions),
        *(
            (r.annee, "renouvellement.rehabilitations")
            for r in strategy.renouvellement.rehabilitations
        ),
        *((int(y), "programmation (annee_livraison)") for y in plan.programme.get("year", [])),
    ]
    for year, field in dated:
        if year < base.millesime:
            raise ConfigError(
                f"Stratégie « {source} », champ « {field} » : année {year} antérieure à la "
                f"première année projetée ({base.millesime}, le millésime de la base). Donnez "
                f"une année à partir de {base.millesime}."
            )
    for residence, field in named:
        if residence not in known:
            raise ConfigError(
                f"Stratégie « {source} », champ « {field} » : résidence « {residence} » inconnue "
                "dans la base. Donnez l'identifiant RPLS (PROGRAMME) d'une résidence du territoire."
            )
    programme = plan.programme
    if programme is None or programme.empty:
        return
    communes = set(base.communes["commune"].astype(str))
    landlords = set(base.residences["landlord_id"].astype(str))
    qpv = {str(k) for k in base.dwellings["qpv_code"] if k}
    where = plan.strategy.offre.programmation or "programmation"
    for row in programme.to_dict("records"):
        checks = (
            ("commune", str(row["commune"]), communes, "une commune du territoire"),
            (
                "bailleur",
                str(row["landlord_id"]),
                landlords,
                "le SIREN d'un bailleur du territoire",
            ),
        )
        for column, value, allowed, what in checks:
            if value not in allowed:
                raise ConfigError(
                    f"Programmation « {where} », ligne {row['line']}, colonne « {column} » : "
                    f"« {value} » inconnu dans la base. Donnez {what}."
                )
        code = row["qpv_code"] if isinstance(row["qpv_code"], str) else ""
        if code and code not in qpv:
            raise ConfigError(
                f"Programmation « {where} », ligne {row['line']}, colonne « qpv » : "
                f"« {row['qpv_code']} » inconnu dans la base. Donnez le code d'un QPV du "
                "territoire, ou laissez la cellule vide hors QPV."
            )


def projection(
    store: StoreLike,
    plans: Sequence[StrategyPlan],
    horizon: int = 6,
    replicates: int = 20,
    seed: int = 0,
    *,
    millesime: int | None = None,
    workers: int | None = None,
    calibrate: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ProjectionResult:
    """Every strategy of ``plans`` (the first one the baseline) projected ``horizon`` years from
    the store's millésime (the latest when None), ``replicates`` times, over ``workers``
    processes (default: the machine's cores). With ``calibrate``, the commissions' preferences
    (solvency, mutations, priority households) are calibrated on the baseline against the
    observed attributions and applied to every strategy."""
    from mixite.allocation.simulate import INTERVAL_LEVEL
    from mixite.projection.base import build_base
    from mixite.projection.calibration import calibrate_preferences, with_preferences
    from mixite.projection.project import project

    if not plans:
        raise ConfigError("Donnez au moins une stratégie (--strategie).")
    if horizon < 1 or replicates < 1:
        raise ConfigError("L'horizon et le nombre de réplications doivent valoir au moins 1.")
    snapshot = load_snapshot(store, millesime, _TABLES)
    purpose = "la projection de l'occupation"
    frames = {
        name: snapshot.require(name, purpose)
        for name in ("dwellings", "households", "applications", "communes", "territory")
    }
    for optional in ("attributions", "reservations"):
        frame = snapshot.get(optional)
        if frame is not None:
            frames[optional] = frame
    commitments = load_commitments(store)
    if commitments is not None:
        frames["commitments"] = commitments
    base = build_base(frames, snapshot.millesime, plans)
    for plan in plans:
        check_plan(plan, base)
    chosen = list(plans)
    calibration: dict[str, float] | None = None
    if calibrate:
        _, fitted = calibrate_preferences(base, chosen[0], seed)
        chosen = [
            with_preferences(
                plan,
                fitted.preference_mutations,
                fitted.preference_prioritaires,
                fitted.preference_solvabilite,
            )
            for plan in chosen
        ]
        calibration = {
            "preference_mutations": fitted.preference_mutations,
            "preference_prioritaires": fitted.preference_prioritaires,
            "preference_solvabilite": fitted.preference_solvabilite,
            "mutation_share": fitted.mutation_share,
            "priority_share": fitted.priority_share,
            "q1_outside_qpv": fitted.q1_outside_qpv,
            "observed_mutation_share": fitted.observed_mutation_share,
            "observed_priority_share": fitted.observed_priority_share,
            "observed_q1_outside_qpv": fitted.observed_q1_outside_qpv,
        }
    outcomes = project(
        base,
        chosen,
        horizon,
        replicates,
        seed,
        workers=DEFAULT_WORKERS if workers is None else workers,
        progress=progress,
    )
    strategies = tuple(outcomes)
    figures = {
        "horizon": float(horizon),
        "replicates": float(replicates),
        "seed": float(seed),
        "interval_level": float(INTERVAL_LEVEL),
        "departure_share": base.departures.overall_share,
        "mutation_share": base.departures.mutation_share,
        "relet_delay_days": base.relet_delay_days,
        "filings_per_year": float(base.demand.filings_per_year),
        "lapse_probability": base.demand.lapse_probability,
        "households": float(base.n_households),
        "dwellings": float(base.n_dwellings),
        "applications": float(base.n_applications),
        **{f"observed_{k}": float(v) for k, v in base.observed.items()},
    }
    from mixite.indicators._common import small_cell_threshold
    from mixite.indicators.diagnostic_secrecy import secret_dwellings

    threshold = small_cell_threshold(base.params, f"{snapshot.millesime}-01-01")
    published = publish(
        strategies,
        snapshot.millesime - 1,
        threshold,
        secret_dwellings(base.params, f"{snapshot.millesime}-01-01"),
    )
    return ProjectionResult(
        snapshot.millesime,
        residence_names(frames["dwellings"], load_names(store)),
        strategies,
        figures,
        published,
        threshold,
        calibration,
        snapshot.get("qpv"),
    )


def publish(
    strategies: Sequence[StrategyProjection],
    base_year: int,
    threshold: int,
    with_dwellings: bool = False,
) -> tuple[StrategyProjection, ...]:
    """The strategies as published: their tables of persons under statistical secrecy, all the
    tables of all the strategies protected in one pass
    (``indicators.outputs_secrecy.protect_projection``: the base year is the same observed year
    in each; the relocation table's rehoused are the ledger's relocations), the objectives' last
    share masked where the published share is; the other tables (rents, validation at the
    territory's level, units) as they are. The relocation table loses its unpublished columns
    (the rehoused by the planner)."""
    import dataclasses

    import pandas as pd

    from mixite.indicators.outputs_secrecy import protect_projection

    def stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
        present = [f for f in frames if len(f.columns)]
        return pd.concat(present, ignore_index=True) if present else pd.DataFrame()

    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in _PUBLISHED}
    for k, s in enumerate(strategies):
        key = str(k)
        places = s.residences.set_index("residence")[["residence_id", "neighbourhood", "in_qpv"]]
        tables["residences"].append(
            s.residence_years.join(places, on="residence").assign(strategy=key)
        )
        hoods = s.neighbourhoods.set_index("neighbourhood")
        keys = hoods["key"].reindex(s.neighbourhood_years["neighbourhood"]).to_numpy()
        kinds = hoods["kind"].reindex(s.neighbourhood_years["neighbourhood"]).to_numpy()
        tables["neighbourhoods"].append(
            s.neighbourhood_years.assign(neighbourhood=keys, in_qpv=kinds == "qpv", strategy=key)
        )
        for name in ("territory", "quotas", "flux", "ledger"):
            tables[name].append(getattr(s, name).assign(strategy=key))
        if not s.relocation.empty:
            tables["relocation"].append(s.relocation.assign(strategy=key))
    frames = {name: stacked(parts) for name, parts in tables.items()}
    frames = {name: frame for name, frame in frames.items() if len(frame)}
    protected = protect_projection(frames, base_year, threshold, with_dwellings).tables
    out = []
    for k, s in enumerate(strategies):
        changes: dict[str, Any] = {}
        for name, frame in protected.items():
            original = getattr(s, _PUBLISHED[name])
            if name == "relocation" and original.empty:
                continue
            rows = (frames[name]["strategy"] == str(k)).to_numpy()
            kept = [c for c in original.columns if c in frame.columns]
            part = frame.loc[rows, kept].reset_index(drop=True)
            if name == "neighbourhoods":  # the unit's number, not its key
                part["neighbourhood"] = original["neighbourhood"].to_numpy()
            part.index = original.index
            changes[_PUBLISHED[name]] = part
        quotas = changes.get("quotas", s.quotas)
        changes["objectives"] = _published_objectives(s.objectives, quotas)
        out.append(dataclasses.replace(s, **changes))
    return tuple(out)


#: The tables ``protect_projection`` reads → the ``StrategyProjection`` field they come from.
_PUBLISHED = {
    "residences": "residence_years",
    "neighbourhoods": "neighbourhood_years",
    "territory": "territory",
    "quotas": "quotas",
    "flux": "flux",
    "ledger": "ledger",
    "relocation": "relocation",
}


def _published_objectives(objectives: pd.DataFrame, quotas: pd.DataFrame) -> pd.DataFrame:
    """The objectives with the last year's share masked where the published quota table masks
    it (the year an objective is met compares a mean share with its target: it shows no
    count)."""
    import pandas as pd

    from mixite.vocabulary import Indicator

    rows = quotas.loc[quotas["indicator"] == Indicator.Q1_OUTSIDE_QPV]
    shares = {
        (str(lv), str(g), float(y)): sh
        for lv, g, y, sh in zip(
            rows["level"], rows["group"], rows["year"], rows["share"], strict=True
        )
    }
    out = objectives.copy()
    masked = []
    for lv, g, y in zip(out["level"], out["group"], out["last_year"], strict=True):
        epci = str(lv) == "epci"
        found = [
            v
            for (level, group, year), v in shares.items()
            if level == str(lv) and (epci or group == str(g)) and year == float(y)
        ]
        masked.append(bool(found) and all(pd.isna(v) for v in found))
    out.loc[masked, "last_share"] = float("nan")
    return out
