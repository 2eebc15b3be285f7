"""A national run: each territory imported into its own store and analysed by the chosen tasks,
one Dask task per territory; results written atomically, territories already done skipped.

Layout of the output folder (``--sortie``)::

    bases/<SIREN>.duckdb            the territory's store (and its pseudonymisation key .cle)
    bases/<SIREN>.<tâche>.parquet   the figures of each task before statistical secrecy
                                    (private, like the store: the national aggregates' input,
                                    never published; simulation: <SIREN>.simulation-<empreinte>)
    resultats/<tâche>/<SIREN>.parquet   its rows in the national long format, one file per task
                                        (simulation: resultats/simulation-<empreinte>/, the
                                        fingerprint of the scenarios)
    erreurs/<SIREN>.txt             the technical detail of an unexpected error

A file of ``resultats`` is written under a temporary name then renamed: it exists only when
complete, so a rerun skips exactly the (territory, task) pairs already done, and an interrupted
run leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mixite.errors import ConfigError, MixiteError
from mixite.national.cluster import dashboard_link, open_client, peak_memory_mb, worker_name
from mixite.national.territories import Territory, discover
from mixite.vocabulary import NATIONAL_COLUMNS, Task

if TYPE_CHECKING:
    from mixite.allocation.scenario import Scenario
    from mixite.jobs.results import NationalResult

__all__ = [
    "BASES",
    "ERRORS",
    "RESULTS",
    "NationalRun",
    "TerritoryReport",
    "parse_tasks",
    "private_path",
    "process_territory",
    "result_path",
    "run_national",
    "scenario_key",
]

BASES = "bases"
RESULTS = "resultats"
ERRORS = "erreurs"
#: Status of a territory in a run.
DONE, ALREADY_DONE, FAILED = "fait", "deja_fait", "echec"


@dataclass(frozen=True)
class TerritoryReport:
    """What a task did on one territory: status (``fait``, ``deja_fait``, ``echec``), the tasks
    computed now, the errors (task, French message), duration, and the peak memory of the
    worker process that ran it (MiB, since the worker started)."""

    siren: str
    name: str
    status: str
    done: tuple[str, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    worker: str = ""
    #: CPU time of the worker process during the task (all its threads), seconds.
    cpu_seconds: float = 0.0


@dataclass(frozen=True)
class NationalRun:
    """A finished national run: the report of each territory, the national result, where it
    was written, the dashboard's address and the number of workers."""

    reports: tuple[TerritoryReport, ...]
    result: NationalResult
    output: Path
    dashboard: str | None
    workers: int
    seconds: float
    peak_memory_mb: dict[str, float] = field(default_factory=dict)


def parse_tasks(text: str | Sequence[str]) -> tuple[Task, ...]:
    """The tasks of ``--taches`` (« diagnostic,quotas,simulation »), in run order; ``ConfigError``
    naming an unknown task."""
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = {item.strip() for item in items if item.strip()}
    unknown = sorted(wanted - {t.value for t in Task})
    if unknown or not wanted:
        raise ConfigError(
            f"Tâche(s) inconnue(s) : {', '.join(unknown) or '(aucune)'}. Choisissez parmi "
            f"{', '.join(t.value for t in Task)}, séparées par des virgules."
        )
    return tuple(t for t in Task if t.value in wanted)


def scenario_key(scenarios: Sequence[Scenario], seed: int, replicates: int) -> str:
    """A short fingerprint of the simulation's settings: results of other scenarios are not
    reused."""
    payload = json.dumps(
        [[s.model_dump(mode="json") for s in scenarios], seed, replicates],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:10]


def result_path(output: Path, task: str, siren: str, key: str = "") -> Path:
    """The result file of a territory and a task."""
    folder = f"{task}-{key}" if task == Task.SIMULATION and key else str(task)
    return output / RESULTS / folder / f"{siren}.parquet"


def private_path(output: Path, task: str, siren: str, key: str = "") -> Path:
    """The private (unprotected) figures of a territory and a task, beside its store."""
    name = f"{task}-{key}" if task == Task.SIMULATION and key else str(task)
    return output / BASES / f"{siren}.{name}.parquet"


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partiel")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _imported(base: Path, millesime: int) -> bool:
    from mixite.store import Store

    if not base.exists():
        return False
    with Store(base) as store:
        return millesime in store.millesimes("dwellings") and bool(store.millesimes("territory"))


def process_territory(
    territory: Territory,
    tasks: Sequence[str],
    output: Path,
    millesime: int,
    scenarios: Sequence[Scenario] = (),
    key: str = "",
    seed: int = 0,
    replicates: int = 1,
) -> TerritoryReport:
    """Import one territory into its store (unless already there) and run each task whose
    result is missing (a Dask task: it never raises; a failure is in the report, with the
    French message of the error)."""
    from mixite import _duckdb
    from mixite.affordability import one_thread
    from mixite.jobs import national as jobs
    from mixite.jobs.importing import import_files, plan_import
    from mixite.national._store import CachedStore
    from mixite.store import Store

    start, cpu = time.perf_counter(), time.process_time()
    done: list[str] = []
    errors: list[tuple[str, str]] = []
    step = "import"
    # one thread per Dask worker (DuckDB here, the housing-aid kernels below): the workers
    # already share the cores (docs/national.md)
    with _duckdb.one_thread():
        try:
            base = output / BASES / f"{territory.siren}.duckdb"
            if not _imported(base, millesime):
                base.parent.mkdir(parents=True, exist_ok=True)
                import_files(base, millesime, plan_import({}, territory.folder, None))
            with one_thread(), Store(base) as opened:
                store = CachedStore(opened)
                identity = jobs.territory_identity(store, millesime)
                for task in tasks:
                    path = result_path(output, task, territory.siren, key)
                    if path.exists():
                        continue
                    step = str(task)
                    try:
                        if task == Task.DIAGNOSTIC:
                            both = jobs.national_diagnostic(store, millesime)
                        elif task == Task.QUOTAS:
                            both = jobs.national_quotas(store, millesime - 1)
                        else:
                            chosen = jobs.default_scenarios(store, scenarios, seed, replicates)
                            both = jobs.national_simulation(store, chosen)
                        rows = jobs.with_identity(both.published, identity, task)
                        # the private figures first: the published file marks the task done
                        _write_atomic(
                            jobs.with_identity(both.private, identity, task),
                            private_path(output, task, territory.siren, key),
                        )
                        _write_atomic(rows, path)
                        done.append(str(task))
                    except MixiteError as exc:
                        errors.append((str(task), str(exc)))
                    except Exception as exc:  # reported; the other territories go on
                        errors.append((str(task), _unexpected(output, territory, exc)))
        except MixiteError as exc:
            errors.append((step, str(exc)))
        except Exception as exc:  # reported; the other territories go on
            errors.append((step, _unexpected(output, territory, exc)))
    return TerritoryReport(
        siren=territory.siren,
        name=territory.name,
        status=FAILED if errors else DONE,
        done=tuple(done),
        errors=tuple(errors),
        seconds=time.perf_counter() - start,
        peak_memory_mb=peak_memory_mb(),
        worker=worker_name(),
        cpu_seconds=time.process_time() - cpu,
    )


def _unexpected(output: Path, territory: Territory, exc: BaseException) -> str:
    """The French message of an unexpected error; its traceback goes to ``erreurs/<SIREN>.txt``."""
    path = output / ERRORS / f"{territory.siren}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return (
        f"Erreur inattendue ({type(exc).__name__} : {exc}). Le détail technique est dans "
        f"« {path} » ; signalez-le avec ce fichier."
    )


def _rows(
    output: Path,
    territories: Sequence[Territory],
    tasks: Sequence[str],
    key: str,
    private: bool = False,
) -> pd.DataFrame:
    frames = []
    for territory in territories:
        for task in tasks:
            path = (
                private_path(output, task, territory.siren, key)
                if private
                else result_path(output, task, territory.siren, key)
            )
            if path.exists():
                frames.append(pd.read_parquet(path))
    if not frames:
        return pd.DataFrame(columns=list(NATIONAL_COLUMNS))
    return pd.concat([f for f in frames if not f.empty] or frames, ignore_index=True)


def run_national(
    folder: Path,
    tasks: Sequence[str],
    output: Path,
    millesime: int = 2025,
    scenarios: Sequence[Scenario] = (),
    cluster: str | None = None,
    workers: int | None = None,
    sirens: set[str] | None = None,
    seed: int = 0,
    replicates: int = 1,
    started: Callable[[str | None, int, int], None] | None = None,
    progress: Callable[[int, int, TerritoryReport], None] | None = None,
) -> NationalRun:
    """Run ``tasks`` on every territory of ``folder`` (``discover``) and summarise them.

    Territories whose results are all on disk are skipped (reported as ``deja_fait``); the
    others run as Dask tasks on ``cluster`` (a scheduler address) or on a local cluster of
    ``workers`` processes, the biggest first. ``started(dashboard, workers, to_do)`` is called
    once the cluster is up, ``progress(done, total, report)`` after each territory. Scenarios
    (simulation): none, the current rules; one, compared with the same scenario under the legal
    objectives without fléchage; several, the first is the baseline."""
    from mixite.jobs.national import national_summary

    start = time.perf_counter()
    chosen = parse_tasks(list(tasks))
    territories = discover(folder, sirens)
    key = scenario_key(scenarios, seed, replicates) if Task.SIMULATION in chosen else ""
    todo = [
        t
        for t in territories
        if not all(result_path(output, task, t.siren, key).exists() for task in chosen)
    ]
    reports: list[TerritoryReport] = [
        TerritoryReport(t.siren, t.name, ALREADY_DONE) for t in territories if t not in todo
    ]
    dashboard: str | None = None
    n_workers = 0
    if todo:
        output.mkdir(parents=True, exist_ok=True)
        from dask.distributed import as_completed

        with open_client(cluster, workers) as client:
            n_workers = len(client.scheduler_info().get("workers", {})) or (workers or 0)
            dashboard = dashboard_link(client)
            if started is not None:
                started(dashboard, n_workers, len(todo))
            # longest processing time first: the biggest territories (``discover``'s order) get
            # the highest priorities, so that a big one does not start last on a worker
            # while the others sit idle (the scheduler runs the highest priority first)
            futures = {
                client.submit(
                    process_territory,
                    t,
                    [str(task) for task in chosen],
                    output,
                    millesime,
                    list(scenarios),
                    key,
                    seed,
                    replicates,
                    key=f"mixite-territoire-{t.siren}-{time.time_ns()}",
                    pure=False,
                    priority=len(todo) - rank,
                ): t
                for rank, t in enumerate(sorted(todo, key=lambda t: (-t.size, t.siren)))
            }
            for count, future in enumerate(as_completed(futures), start=1):
                territory = futures[future]
                try:
                    report = future.result()
                except Exception as exc:  # a worker died (memory) or was lost
                    report = TerritoryReport(
                        territory.siren,
                        territory.name,
                        FAILED,
                        errors=(
                            (
                                "dask",
                                f"Le travailleur Dask s'est arrêté pendant le traitement "
                                f"({type(exc).__name__}) : mémoire insuffisante ou machine "
                                "perdue. Relancez avec moins de travailleurs par machine.",
                            ),
                        ),
                    )
                reports.append(report)
                if progress is not None:
                    progress(count, len(todo), report)
    failed = [r for r in reports if r.status == FAILED]
    failures = pd.DataFrame(
        [
            {"epci": r.siren, "epci_name": r.name, "task": task, "error": message}
            for r in failed
            for task, message in r.errors
        ],
        columns=["epci", "epci_name", "task", "error"],
    )
    failed_sirens = {r.siren for r in failed}
    sound = [t for t in territories if t.siren not in failed_sirens]
    result = national_summary(
        _rows(output, sound, chosen, key),
        failures,
        [str(t) for t in chosen],
        skipped=len(territories) - len(todo),
        private=_rows(output, sound, chosen, key, private=True),
    )
    peaks: dict[str, float] = {}
    for r in reports:
        if r.worker:
            peaks[r.worker] = max(peaks.get(r.worker, 0.0), r.peak_memory_mb)
    return NationalRun(
        tuple(sorted(reports, key=lambda r: r.siren)),
        result,
        output,
        dashboard,
        n_workers,
        time.perf_counter() - start,
        peaks,
    )
