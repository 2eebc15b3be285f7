"""The territory's data for the web pages: the jobs of ``mixite.jobs`` called on the store, one
at a time (DuckDB: one writer, and one configuration per file within a process), their results
kept while the store file is unchanged."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings

from mixite.web.paths import DEFAULT_GRID, DEFAULT_PPGDID, web_folder

if TYPE_CHECKING:
    import pandas as pd

    from mixite.cotation.grid import Grid
    from mixite.jobs.cotation import CotationInputs
    from mixite.jobs.results import Names, QuotasResult

__all__ = [
    "STORE_LOCK",
    "base",
    "cached",
    "cotation_inputs",
    "dwelling_ids",
    "grid",
    "latest_year",
    "names",
    "ppgdid_config",
    "quotas",
    "store_written",
    "version_key",
    "waiting",
    "web_dir",
]


class _StoreLock:
    """One access to the store at a time, across the threads of a process and across the
    processes of the application (the server's workers and the task consumer): a re-entrant
    thread lock, and an exclusive ``flock`` on ``<web folder>/base.verrou`` held while the
    outermost access lasts (DuckDB: one writer, and no reader while it writes).

    ``with STORE_LOCK:`` waits as long as needed (background runs);
    ``with STORE_LOCK.within(seconds):`` gives up after ``seconds`` with a French
    ``StoreError`` (a page that writes while a long run holds the store)."""

    #: Seconds between two attempts at the file lock when the wait is bounded.
    POLL = 0.05

    def __init__(self) -> None:
        self._thread = threading.RLock()
        self._depth = 0
        self._file: Any = None

    def __enter__(self) -> _StoreLock:
        self._acquire(None)
        return self

    @contextmanager
    def within(self, seconds: float) -> Iterator[_StoreLock]:
        """Hold the lock, waiting ``seconds`` at most for it (``StoreError`` in French)."""
        self._acquire(seconds)
        try:
            yield self
        finally:
            self.__exit__()

    def _acquire(self, seconds: float | None) -> None:
        deadline = None if seconds is None else time.monotonic() + max(0.0, seconds)
        if not self._thread.acquire(timeout=-1 if seconds is None else max(0.0, seconds)):
            raise _busy(seconds)
        if self._depth == 0 and os.name == "posix":
            import fcntl

            try:
                self._file = (web_dir() / "base.verrou").open("a")
                if deadline is None:
                    fcntl.flock(self._file, fcntl.LOCK_EX)
                else:
                    while True:
                        try:
                            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                            break
                        except BlockingIOError:
                            if time.monotonic() >= deadline:
                                raise _busy(seconds) from None
                            time.sleep(self.POLL)
            except BaseException:
                if self._file is not None:
                    self._file.close()
                    self._file = None
                self._thread.release()
                raise
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            import fcntl

            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self._thread.release()


def _busy(seconds: float | None) -> Exception:
    from mixite.errors import StoreError
    from mixite.reports import fr

    return StoreError(
        f"La base du territoire est occupée depuis plus de {fr.number(seconds)} s par un autre "
        "accès (un travail en arrière-plan comme une projection, ou un import) : réessayez "
        "quand il sera terminé (page « Travaux »)."
    )


#: Every access to the store from the web application (pages, background runs) holds this lock.
STORE_LOCK = _StoreLock()
_CACHE: dict[tuple[Any, ...], Any] = {}
#: Guards ``_CACHE`` (held briefly: never while the store is read).
_CACHE_LOCK = threading.RLock()
#: File of the web folder whose content changes at each write of the store by the application.
_WRITTEN = "base.ecriture"
T = TypeVar("T")


def base() -> Path:
    """The territory's store (``MIXITE_BASE``)."""
    path = getattr(settings, "MIXITE_BASE", None)
    if path is None:
        from mixite.errors import StoreError

        raise StoreError(
            "Aucune base de territoire : lancez l'application avec « mixite web --base »."
        )
    return Path(path)


def web_dir() -> Path:
    """The web application's folder beside the store (created when missing)."""
    folder = web_folder(base())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _version() -> tuple[str, int, str]:
    """The state of the store: its path, its modification time, and the token that the
    application's own writes change (``store_written``: a write seen by every process even
    where file times are coarse)."""
    path = base()
    stat = path.stat()
    try:
        token = (web_folder(path) / _WRITTEN).read_text("utf-8")
    except FileNotFoundError:
        token = ""
    return str(path), stat.st_mtime_ns, token


def version_key() -> str:
    """A key that changes with the store file (template fragments cached per state)."""
    path, mtime, token = _version()
    return f"{abs(hash(path))}-{mtime}-{token}"


def store_written() -> None:
    """Record that the application wrote the store: a new token (the other processes compute
    their values again on their next request) and this process's values of the store dropped
    (the next page computes them on the new state). Called under the store's lock."""
    folder = web_dir()
    fresh = folder / f".{_WRITTEN}.{uuid.uuid4().hex}"
    fresh.write_text(uuid.uuid4().hex, "utf-8")
    os.replace(fresh, folder / _WRITTEN)
    with _CACHE_LOCK:
        for key in [k for k in _CACHE if k[0] != "grid"]:
            del _CACHE[key]


def cached(name: str, compute: Callable[[], T], *key: Any) -> T:
    """``compute()`` once per state of the store file (its path and modification time), in
    this process. A hit takes only the cache's own lock: pages are not held up by a background
    run that holds the store; a miss computes under the store's lock."""
    full = (name, _version(), *key)
    with _CACHE_LOCK:
        if full in _CACHE:
            return _CACHE[full]  # type: ignore[no-any-return]
    with STORE_LOCK:
        with _CACHE_LOCK:
            if full in _CACHE:  # computed meanwhile by another thread
                return _CACHE[full]  # type: ignore[no-any-return]
        value = compute()
        with _CACHE_LOCK:
            stale = [k for k in _CACHE if k[0] == name and k[1] != full[1]]
            for k in stale:
                del _CACHE[k]
            _CACHE[full] = value
        return value


def latest_year() -> int:
    """The latest lease year of the store's attributions (the dashboards' year)."""

    def compute() -> int:
        from mixite.jobs._load import all_attributions
        from mixite.store import Store

        with Store(base()) as store:
            return int(all_attributions(store)["lease_date"].dt.year.max())

    return cached("year", compute)


def quotas() -> QuotasResult:
    """The legal quota indicators of the latest lease year (``jobs.diagnostic.quotas``)."""

    def compute() -> QuotasResult:
        from mixite.jobs.diagnostic import quotas as job
        from mixite.store import Store

        year = latest_year()
        with Store(base()) as store:
            return job(store, year)

    return cached("quotas", compute)


def names() -> Names:
    """The names of the territory's codes."""

    def compute() -> Names:
        from mixite.jobs._load import load_names
        from mixite.store import Store

        with Store(base()) as store:
            return load_names(store)

    return cached("names", compute)


def grid() -> Grid:
    """The territory's cotation grid (``MIXITE_GRID``, else the demo's example grid)."""
    from mixite.cotation.grid import load_grid

    path = Path(getattr(settings, "MIXITE_GRID", None) or DEFAULT_GRID)
    key = (str(path), path.stat().st_mtime_ns)
    with _CACHE_LOCK:
        if ("grid", key) not in _CACHE:
            _CACHE[("grid", key)] = load_grid(path)
        return _CACHE[("grid", key)]  # type: ignore[no-any-return]


def ppgdid_config() -> Path:
    """The PPGDID configuration (``MIXITE_PPGDID``, else the example of the repository)."""
    return Path(getattr(settings, "MIXITE_PPGDID", None) or DEFAULT_PPGDID)


def cotation_inputs() -> CotationInputs:
    """The applications, attributions and territory of the latest millésime."""

    def compute() -> CotationInputs:
        from mixite.jobs.cotation import load_inputs
        from mixite.store import Store

        with Store(base()) as store:
            return load_inputs(store)

    return cached("cotation_inputs", compute)


def waiting() -> pd.DataFrame:
    """The public waiting times by typology and commune (``jobs.cotation.public_waiting_times``)."""

    def compute() -> pd.DataFrame:
        from mixite.jobs.cotation import public_waiting_times

        return public_waiting_times(cotation_inputs(), grid())

    return cached("waiting", compute)


def dwelling_ids() -> frozenset[str]:
    """The identifiers of the store's latest dwellings (a lease of the follow-up names one)."""

    def compute() -> frozenset[str]:
        from mixite.store import Store

        with Store(base()) as store:
            frame = store.read("dwellings", max(store.millesimes("dwellings")))
        return frozenset(frame["dwelling_id"].astype(str))

    return cached("dwelling_ids", compute)
