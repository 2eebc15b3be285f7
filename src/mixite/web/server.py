"""Starting the web application: Django configured on a store, its database migrated, the
partners read from the store, the task consumer and the server started (``mixite web``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mixite.web.setup import DemoAccount

__all__ = ["configure", "prepare", "serve"]


def configure(base: Path, grid: Path | None = None, ppgdid: Path | None = None) -> None:
    """Configure Django on the store ``base`` (before anything of Django is imported)."""
    from mixite.errors import StoreError

    if not base.is_file():
        raise StoreError(
            f"Base « {base} » introuvable. Créez-la avec « mixite importer » ou « mixite demo »."
        )
    os.environ["MIXITE_WEB_BASE"] = str(base.resolve())
    if grid is not None:
        os.environ["MIXITE_WEB_GRILLE"] = str(grid.resolve())
    if ppgdid is not None:
        os.environ["MIXITE_WEB_PPGDID"] = str(ppgdid.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mixite.web.settings")
    import django

    django.setup()


def prepare(
    demo: bool, survey: Path | None = None, followup: Path | None = None
) -> list[DemoAccount]:
    """Migrate the web database, create the store's partners, import the relocation follow-up
    (``survey`` and ``followup``; on the demo store, the files ``mixite demo`` wrote beside it)
    into Django's database and the store, both or neither (``relocation.import_and_store``),
    and (``demo``) create one account per role with a new password each."""
    from django.core.management import call_command

    from mixite.web import territory
    from mixite.web.models import RelocationCase
    from mixite.web.relocation import demo_files, import_and_store
    from mixite.web.setup import demo_accounts, sync_partners

    call_command("migrate", interactive=False, verbosity=0)
    sync_partners()
    if survey is None and demo and not RelocationCase.objects.exists():
        # The demo's files, on the first launch only: later launches keep the statuses edited
        # on the pages.
        found = demo_files(territory.base())
        if found is not None:
            survey, followup = found
    if survey is not None:
        import_and_store(survey, followup)
    accounts = demo_accounts() if demo else []
    return accounts


#: Threads of each server process (requests mostly wait on rendering and the database).
THREADS = 4


def _consumer() -> None:
    """The task consumer's process (``python -m mixite.web.server``): Django configured from
    the environment ``mixite web`` set, huey's consumer in threads until terminated."""
    import django

    django.setup()
    from huey.contrib.djhuey import HUEY

    import mixite.web.tasks  # noqa: F401  (registers the tasks, as ``run_huey`` would)

    HUEY.create_consumer(workers=1, worker_type="thread").run()


def serve(host: str, port: int, workers: int = 1) -> None:
    """Serve the application with gunicorn (``workers`` processes of ``THREADS`` threads: the
    pages use every core) beside the task consumer in its own process, until interrupted.
    The processes share the caches' rule (per state of the store file) and take turns on the
    store (``territory.STORE_LOCK``)."""
    import subprocess
    import sys

    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from mixite.web import territory

    application = get_wsgi_application()
    # What every page needs, computed once before the workers are forked (they inherit it):
    # otherwise each would compute it on its first request, one after the other on the store.
    territory.quotas()
    territory.names()
    territory.waiting()
    territory.dwelling_ids()
    connections.close_all()  # each process opens its own

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": max(1, workers),
                "threads": THREADS,
                "worker_class": "gthread",
                "timeout": 120,
                # Browsers and locust keep connections open: closing one after 2 s (gunicorn's
                # default) races the next request on it and fails it.
                "keepalive": 30,
                "graceful_timeout": 10,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "proc_name": "mixite-web",
            }.items():
                self.cfg.set(key, value)

        def load(self) -> object:
            return application

    consumer = subprocess.Popen([sys.executable, "-m", "mixite.web.server"])
    try:
        Server().run()
    finally:
        consumer.terminate()
        try:
            consumer.wait(timeout=15)
        except subprocess.TimeoutExpired:
            consumer.kill()


if __name__ == "__main__":
    _consumer()
