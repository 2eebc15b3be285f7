"""The Dask client of a national run: an existing scheduler, or a local cluster of one worker
process per core (one thread each: the jobs are CPU-bound and DuckDB, HiGHS and NumPy use their
own threads)."""

from __future__ import annotations

import importlib.util
import logging
import os
import resource
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mixite.errors import ConfigError

if TYPE_CHECKING:
    from dask.distributed import Client

__all__ = ["dashboard_link", "open_client", "peak_memory_mb", "worker_name"]


@contextmanager
def open_client(cluster: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A Dask client on the scheduler at ``cluster`` (``tcp://machine:8786``), else on a local
    cluster of ``workers`` worker processes (one per core when None). ``ConfigError`` in French
    when Dask is missing or the scheduler cannot be reached."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ConfigError(
            "Le traitement national demande Dask : installez « dask[distributed] »."
        ) from exc
    if cluster:
        try:
            client = Client(cluster, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(
                f"Impossible de joindre l'ordonnanceur Dask « {cluster} » ({exc}). Vérifiez "
                "l'adresse (tcp://machine:8786) et que « dask scheduler » tourne sur cette "
                "machine, avec des travailleurs (« dask worker tcp://machine:8786 »)."
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ConfigError(f"Nombre de travailleurs impossible ({n}) : donnez au moins 1.")
    # a free port: another cluster may hold the default 8787 (the dashboard pages need Bokeh)
    dashboard = ":0"
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=dashboard,
            # CRITICAL: at shutdown a worker may log a heartbeat to the closing scheduler as an
            # ERROR with its traceback; the tasks report their own errors in French
            silence_logs=logging.CRITICAL,
        ) as local,
        Client(local) as client,
    ):
        yield client


def dashboard_link(client: Client) -> str | None:
    """The address of the Dask dashboard, None when the scheduler serves none (its pages need
    Bokeh)."""
    if importlib.util.find_spec("bokeh") is None:
        return None
    try:
        return str(client.dashboard_link)
    except (AttributeError, KeyError):
        return None


def peak_memory_mb() -> float:
    """The peak resident memory of this process since it started, in MiB (``getrusage``;
    kibibytes on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker_name() -> str:
    """The address of the Dask worker running the current task (host and process id outside a
    worker)."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"
