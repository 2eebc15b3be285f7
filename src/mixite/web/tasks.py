"""Background runs on the huey task queue (SQLite, no broker; ``mixite web`` starts the
consumer in threads beside the server). Each run records its progress in its ``Run`` row,
which the « Travaux » page refreshes."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

from django.utils import timezone
from huey.contrib.djhuey import db_task

from mixite.web import territory
from mixite.web.models import Run

Progress = Callable[[int, str], None]


def _diagnostic(out: Path, progress: Progress) -> list[Path]:
    from mixite.jobs.diagnostic import diagnostic
    from mixite.reports.diagnostic import write_diagnostic
    from mixite.store import Store

    progress(10, "Lecture de la base et calcul du diagnostic")
    with territory.STORE_LOCK, Store(territory.base()) as store:
        result = diagnostic(store, max(store.millesimes("dwellings")))
    progress(60, "Écriture de la page, du classeur et de la carte")
    written = write_diagnostic(result, out)
    return [written.html, written.xlsx, written.gpkg, written.quotas_csv, out / "carte.html"]


def _documents(out: Path, progress: Progress) -> list[Path]:
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


def _simulation(out: Path, progress: Progress) -> list[Path]:
    from mixite.allocation.scenario import load_scenario
    from mixite.demo import DEMO_SCENARIOS, EXAMPLES
    from mixite.jobs.allocation import run_scenarios
    from mixite.reports.allocation import write_allocation
    from mixite.store import Store

    progress(10, "Simulation des commissions d'attribution")
    scenarios = [load_scenario(EXAMPLES / "scenarios" / name) for name in DEMO_SCENARIOS]
    with territory.STORE_LOCK, Store(territory.base()) as store:
        runs = run_scenarios(store, scenarios, "simuler")
    progress(70, "Écriture de la comparaison")
    return list(write_allocation(runs, out))


RUNNERS: dict[str, Callable[[Path, Progress], list[Path]]] = {
    Run.Kind.DIAGNOSTIC: _diagnostic,
    Run.Kind.DOCUMENTS: _documents,
    Run.Kind.SIMULATION: _simulation,
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
        written = RUNNERS[run.kind](out, progress)
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
