"""Starting the web application: Django configured on a store, its database migrated, the
partners read from the store, the task consumer and the server started (``mixite web``)."""

from __future__ import annotations

import os
import signal
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
    and (``demo``) create one account per role with a new password each."""
    from django.core.management import call_command

    from mixite.web import territory
    from mixite.web.relocation import demo_files, import_followup
    from mixite.web.setup import demo_accounts, sync_partners

    call_command("migrate", interactive=False, verbosity=0)
    accounts = demo_accounts() if demo else []
    if not demo:
        sync_partners()
    if survey is None and demo:
        found = demo_files(territory.base())
        if found is not None:
            survey, followup = found
    if survey is not None:
        import_followup(survey, followup)
    return accounts


def serve(host: str, port: int) -> None:
    """Run the task consumer (threads) and the server until interrupted."""
    from django.core.management import call_command
    from huey.contrib.djhuey import HUEY

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = HUEY.create_consumer(workers=1, worker_type="thread")
    consumer.start()
    for sig, handler in handlers.items():  # huey's handlers only serve its own loop
        signal.signal(sig, handler)
    try:
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
    finally:
        consumer.stop(graceful=False)
