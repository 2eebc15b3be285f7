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
from typing import TYPE_CHECKING

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
    from mixite.projection.base import ProjectionBase
    from mixite.projection.project import StrategyOutcome
    from mixite.projection.strategy import StrategyPlan

__all__ = ["DEFAULT_WORKERS", "check_plan", "projection"]

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


def _protected_relocation(outcome: StrategyOutcome, millesime: int) -> StrategyOutcome:
    """The outcome with its relocation table under statistical secrecy
    (``indicators.relocation_secrecy``: small counts of households masked, with partners)."""
    import dataclasses
    import datetime as dt

    from mixite.indicators._common import small_cell_threshold
    from mixite.indicators.relocation_secrecy import protect_relocation

    if outcome.relocation.empty:
        return outcome
    threshold = small_cell_threshold(None, dt.date(millesime, 1, 1))
    table = protect_relocation(outcome.relocation, threshold).tables["relocation"]
    return dataclasses.replace(outcome, relocation=table)


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
    strategies = tuple(_protected_relocation(o, snapshot.millesime) for o in outcomes)
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
    return ProjectionResult(
        snapshot.millesime,
        residence_names(frames["dwellings"], load_names(store)),
        strategies,
        figures,
        calibration,
        snapshot.get("qpv"),
    )
