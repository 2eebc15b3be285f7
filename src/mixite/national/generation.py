"""Generating the synthetic France (``mixite generer --france``): the profiles of every EPCI
computed at once (``synth.france.france_territories``), the index written, then each territory
generated on its own — in this process one after the other, or as Dask tasks (one territory per
task, the biggest first). Each territory has its own seed, derived from the national seed and
its SIREN: the files are the same whatever the number of workers. A territory folder that
exists is complete (written under a temporary name, then renamed) and is skipped by a rerun.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mixite.national.cluster import dashboard_link, open_client, peak_memory_mb, worker_name

if TYPE_CHECKING:
    from mixite.synth.calibration import Figure
    from mixite.synth.france import FranceTerritory

__all__ = ["FranceGeneration", "GeneratedTerritory", "generate_france"]


@dataclass(frozen=True)
class GeneratedTerritory:
    """One territory of a generation: SIREN, name, row counts (empty when skipped), whether it
    was generated now, duration and the peak memory of the process that generated it (MiB)."""

    siren: str
    name: str
    counts: dict[str, int]
    generated: bool
    seconds: float
    peak_memory_mb: float
    worker: str
    #: CPU time of the process during the generation (all its threads), seconds.
    cpu_seconds: float = 0.0


@dataclass(frozen=True)
class FranceGeneration:
    """What ``generate_france`` wrote: the index, each territory, the national figures of the
    profiles (all of France, whatever the subset), the duration and the workers' peak memory."""

    root: Path
    index: Path
    territories: tuple[GeneratedTerritory, ...]
    figures: tuple[Figure, ...]
    seconds: float
    workers: int
    peak_memory_mb: dict[str, float] = field(default_factory=dict)


def _one(territory: FranceTerritory, root: Path, millesime: int, seed: int) -> GeneratedTerritory:
    from mixite.synth.france import generate_territory

    start, cpu = time.perf_counter(), time.process_time()
    _, counts, made = generate_territory(territory, root, millesime, seed)
    return GeneratedTerritory(
        territory.siren,
        territory.name,
        counts,
        made,
        time.perf_counter() - start,
        peak_memory_mb(),
        worker_name(),
        time.process_time() - cpu,
    )


def generate_france(
    root: Path,
    millesime: int = 2025,
    seed: int = 2025,
    scale: float = 1.0,
    sirens: set[str] | None = None,
    workers: int = 1,
    cluster: str | None = None,
    started: Callable[[str | None, int, int], None] | None = None,
    progress: Callable[[int, int, GeneratedTerritory], None] | None = None,
    dask: bool | None = None,
) -> FranceGeneration:
    """Write the synthetic France of ``millesime`` into ``root``: ``france.csv`` and one folder
    per territory (``sirens`` only when given; every size × ``scale``). With ``workers`` = 1 and
    no ``cluster``, in this process one territory at a time; otherwise (or with ``dask``) as
    Dask tasks."""
    from mixite.synth.france import (
        france_territories,
        national_figures,
        selection,
        write_index,
    )

    start = time.perf_counter()
    everything = france_territories(millesime, seed)
    figures = tuple(national_figures(everything, millesime))
    chosen = selection(everything, scale, sirens, millesime)
    index = write_index(chosen, root)
    order = sorted(chosen, key=lambda t: (-t.dwellings, t.siren))
    done: list[GeneratedTerritory] = []
    n_workers = 1
    if not (dask if dask is not None else workers != 1 or cluster is not None):
        if started is not None:
            started(None, 1, len(order))
        for k, territory in enumerate(order, start=1):
            item = _one(territory, root, millesime, seed)
            done.append(item)
            if progress is not None:
                progress(k, len(order), item)
    else:
        from dask.distributed import as_completed

        with open_client(cluster, workers) as client:
            n_workers = len(client.scheduler_info().get("workers", {})) or workers
            if started is not None:
                started(dashboard_link(client), n_workers, len(order))
            futures = [
                client.submit(
                    _one,
                    territory,
                    root,
                    millesime,
                    seed,
                    key=f"mixite-generer-{territory.siren}-{time.time_ns()}",
                    pure=False,
                    priority=len(order) - rank,  # the biggest first (``runner.run_national``)
                )
                for rank, territory in enumerate(order)
            ]
            for k, future in enumerate(as_completed(futures), start=1):
                item = future.result()
                done.append(item)
                if progress is not None:
                    progress(k, len(order), item)
    peaks: dict[str, float] = {}
    for item in done:
        peaks[item.worker] = max(peaks.get(item.worker, 0.0), item.peak_memory_mb)
    return FranceGeneration(
        root,
        index,
        tuple(sorted(done, key=lambda g: g.siren)),
        figures,
        time.perf_counter() - start,
        n_workers,
        peaks,
    )
