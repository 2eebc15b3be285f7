"""Background runs on the huey task queue (SQLite, no broker; ``mixite web`` starts the
consumer in threads beside the server). Each run records its progress in its ``Run`` row,
which the « Travaux » page refreshes."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import db_task

from mixite.web import territory
from mixite.web.models import Run

Progress = Callable[[int, str], None]
Options = dict[str, Any]


def _inputs(options: Options, kind: str, default: tuple[str, ...]) -> list[Path]:
    """The files a run was asked to compare: the chosen examples of ``exemples/<kind>`` (the
    demo's when none), then the uploaded file (``options["upload"]``, already checked by the
    strict loader when the run was launched)."""
    from mixite.demo import EXAMPLES

    names = list(options.get("examples") or [])
    upload = str(options.get("upload") or "")
    if not names:
        names = list(default[:1] if upload else default)
    files = [EXAMPLES / kind / name for name in names]
    if upload:
        files.append(Path(upload))
    return files


def _diagnostic(out: Path, progress: Progress, options: Options) -> list[Path]:
    from mixite.jobs.diagnostic import diagnostic
    from mixite.reports.diagnostic import write_diagnostic
    from mixite.store import Store

    progress(10, "Lecture de la base et calcul du diagnostic")
    with territory.STORE_LOCK, Store(territory.base()) as store:
        result = diagnostic(store, max(store.millesimes("dwellings")))
    progress(60, "Écriture de la page, du classeur et de la carte")
    written = write_diagnostic(result, out)
    return [written.html, written.xlsx, written.gpkg, written.quotas_csv, out / "carte.html"]


def _documents(out: Path, progress: Progress, options: Options) -> list[Path]:
    from mixite.jobs.documents import documents
    from mixite.reports.documents import write_documents
    from mixite.store import Store

    progress(10, "Lecture de la base et calcul du contenu des documents")
    year = territory.latest_year()
    with territory.STORE_LOCK, Store(territory.base()) as store:
        result = documents(store, year)
    progress(40, "Rédaction des documents (DOCX et HTML)")
    written = write_documents(result, out, page_numbers=False)
    progress(80, "Rédaction du plan partenarial de gestion de la demande (PPGDID)")
    from mixite.jobs.ppgdid import load_config, ppgdid
    from mixite.reports.ppgdid import write_ppgdid

    config = load_config(territory.ppgdid_config())
    with territory.STORE_LOCK, Store(territory.base()) as store:
        plan = ppgdid(store, config, territory.grid())
    docx, page = write_ppgdid(plan, out)
    return [*written.docx, *written.html, docx, page]


def _allocation(out: Path, progress: Progress, options: Options, mode: str) -> list[Path]:
    from mixite.allocation.scenario import load_scenario
    from mixite.demo import DEMO_SCENARIOS
    from mixite.jobs.allocation import run_scenarios
    from mixite.reports.allocation import write_allocation
    from mixite.store import Store

    scenarios = [load_scenario(f) for f in _inputs(options, "scenarios", DEMO_SCENARIOS)]
    if mode == "simuler":
        progress(10, "Simulation des commissions d'attribution")
        limit = None
    else:
        progress(10, "Optimisation des attributions sous les objectifs légaux")
        limit = float(settings.MIXITE_RUN_LIMITS["lp_seconds"])
    with territory.STORE_LOCK, Store(territory.base()) as store:
        runs = run_scenarios(store, scenarios, mode, lp_time_limit=limit)  # type: ignore[arg-type]
    progress(80, "Écriture de la comparaison")
    return list(write_allocation(runs, out))


def _simulation(out: Path, progress: Progress, options: Options) -> list[Path]:
    return _allocation(out, progress, options, "simuler")


def _optimisation(out: Path, progress: Progress, options: Options) -> list[Path]:
    return _allocation(out, progress, options, "optimiser")


def _projection(out: Path, progress: Progress, options: Options) -> list[Path]:
    from mixite.demo import DEMO_STRATEGIES
    from mixite.io.strategy import load_strategy
    from mixite.jobs.projection import projection
    from mixite.reports.projection import write_projection
    from mixite.store import Store

    limits = settings.MIXITE_RUN_LIMITS
    horizon = min(int(options.get("horizon") or limits["horizon_initial"]), limits["horizon"])
    replicates = min(
        int(options.get("replicates") or limits["replicates_initial"]), limits["replicates"]
    )
    plans = [load_strategy(f) for f in _inputs(options, "strategies", DEMO_STRATEGIES)]
    progress(5, f"Projection : {len(plans)} stratégies, {horizon} ans, {replicates} réplications")

    def advance(done: int, total: int) -> None:
        progress(5 + int(80 * done / max(total, 1)), f"Projection : {done} sur {total}")

    with territory.STORE_LOCK, Store(territory.base()) as store:
        result = projection(
            store, plans, horizon, replicates, int(limits["seed"]), workers=1, progress=advance
        )
    progress(90, "Écriture de la comparaison, du classeur et des couches")
    written = write_projection(result, out)
    return [written.html, written.xlsx, written.csv, *written.gpkg]


RUNNERS: dict[str, Callable[[Path, Progress, Options], list[Path]]] = {
    Run.Kind.DIAGNOSTIC: _diagnostic,
    Run.Kind.DOCUMENTS: _documents,
    Run.Kind.SIMULATION: _simulation,
    Run.Kind.OPTIMISATION: _optimisation,
    Run.Kind.PROJECTION: _projection,
}


def perform(run_id: int) -> None:
    """Execute the run ``run_id`` and record its progress, outputs or error."""
    from mixite.errors import MixiteError

    run = Run.objects.get(pk=run_id)

    def progress(percent: int, step: str) -> None:
        Run.objects.filter(pk=run_id).update(status=Run.Status.RUNNING, progress=percent, step=step)

    progress(1, "Démarrage")
    out = territory.web_dir() / "sorties" / run.kind
    try:
        written = RUNNERS[run.kind](out, progress, dict(run.options))
    except MixiteError as error:
        Run.objects.filter(pk=run_id).update(
            status=Run.Status.FAILED, error=str(error), finished=timezone.now()
        )
        return
    except Exception:
        # Kept for the administrator (the page shows it in a collapsed block).
        Run.objects.filter(pk=run_id).update(
            status=Run.Status.FAILED, error=traceback.format_exc(), finished=timezone.now()
        )
        return
    Run.objects.filter(pk=run_id).update(
        status=Run.Status.DONE,
        progress=100,
        step="Terminé",
        outputs=[p.name for p in written if p.exists()],
        finished=timezone.now(),
    )


@db_task()  # type: ignore[misc]
def execute(run_id: int) -> None:
    """The huey task of a run."""
    perform(run_id)
