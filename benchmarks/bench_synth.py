"""Benchmark: generate a synthetic territory of 1 million dwellings and extrapolate national scale.

Run: ``.venv/bin/python -m benchmarks.bench_synth [--logements N] [--graine S] [--national]``.
Prints the wall-clock and CPU time and the peak memory of a reference run (100,000 dwellings)
and of the main run (1 million by default) in the same process, their CPU-time ratio (linear
scaling would give 10; CPU time does not depend on other jobs sharing the machine), and the
extrapolated time for the national stock (5.4 million dwellings, 2.8 million applications,
384,000 attributions; the issue's target is 15 minutes on 2 cores). ``--national`` runs the
national size itself instead of extrapolating.

Peak memory is the process's maximum resident size (``resource.getrusage``): generation works
chunk by chunk, so it should not grow with the size beyond the per-application resources kept
for the Q1 threshold (4 bytes each).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from mixite.synth import generate, size_profile

NATIONAL_DWELLINGS = 5_400_000
TARGET_SECONDS = 15 * 60
REFERENCE = 100_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(dwellings: int, seed: int, folder: Path) -> tuple[float, float, dict[str, int], int]:
    """Wall-clock seconds, CPU seconds, row counts and bytes written for one generation (CPU
    time is the meaningful figure on a machine shared with other jobs)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = generate(folder, np.random.default_rng(seed), size_profile(dwellings=dwellings), 2025)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    size = sum(p.stat().st_size for p in result.paths.values())
    return seconds, cpu_seconds, result.counts, size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logements", type=int, default=1_000_000)
    parser.add_argument("--graine", type=int, default=1)
    parser.add_argument("--national", action="store_true")
    args = parser.parse_args(argv)
    main_size = NATIONAL_DWELLINGS if args.national else args.logements
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp:
        ref_s, ref_cpu, _, _ = run(REFERENCE, args.graine, Path(tmp) / "ref")
        ref_mb = _peak_mb()
        print(
            f"référence : {REFERENCE:,} logements en {ref_s:.1f} s ({ref_cpu:.1f} s CPU), "
            f"pic mémoire {ref_mb:.0f} Mo"
        )
        big_s, big_cpu, counts, size = run(main_size, args.graine, Path(tmp) / "main")
        big_mb = _peak_mb()
    ratio = big_cpu / ref_cpu
    print(
        f"principal : {counts['dwellings']:,} logements, {counts['applications']:,} demandes, "
        f"{counts['attributions']:,} attributions en {big_s:.1f} s ({big_cpu:.1f} s CPU) "
        f"({counts['dwellings'] / big_s:,.0f} logements/s), {size / 1e6:,.0f} Mo écrits, "
        f"pic mémoire {big_mb:.0f} Mo"
    )
    print(
        f"rapport de temps CPU principal / référence : {ratio:.1f} (taille × {main_size / REFERENCE:.0f})"
    )
    if not args.national:
        national = big_s * NATIONAL_DWELLINGS / main_size
        national_cpu = big_cpu * NATIONAL_DWELLINGS / main_size
        print(
            f"extrapolation nationale ({NATIONAL_DWELLINGS:,} logements) : {national / 60:.1f} min "
            f"d'horloge, {national_cpu / 60:.1f} min CPU (objectif {TARGET_SECONDS / 60:.0f} min : "
            f"{'atteint' if national_cpu <= TARGET_SECONDS else 'dépassé'} en temps CPU)"
        )
    else:
        print(
            f"objectif {TARGET_SECONDS / 60:.0f} min : {'atteint' if big_s <= TARGET_SECONDS else 'dépassé'}"
        )


if __name__ == "__main__":
    main()
