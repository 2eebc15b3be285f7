"""Benchmark: the whole territorial diagnostic on a 1M-dwelling synthetic territory.

Run: ``.venv/bin/python -m benchmarks diagnostic`` (or ``-m benchmarks.bench_diagnostic
--logements N``). Generates the territory, imports it, then times in the same process:
(1) DuckDB's plain scan of the input tables into pandas (``SELECT *`` of each table of the
millésime: the unavoidable cost of reading the data), and (2) ``territorial_diagnostic`` plus
statistical secrecy on the frames read. Prints both times, their ratio and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from mixite.indicators import publishable, territorial_diagnostic
from mixite.io import read_folder
from mixite.jobs._load import INPUT_TABLES, load_snapshot
from mixite.store import Store, import_millesime
from mixite.synth import generate, size_profile


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logements", type=int, default=1_000_000)
    parser.add_argument("--graine", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_diag_") as tmp:
        folder = Path(tmp) / "donnees"
        start = time.perf_counter()
        generate(
            folder, np.random.default_rng(args.graine), size_profile(dwellings=args.logements), 2025
        )
        base = Path(tmp) / "territoire.duckdb"
        import_millesime(base, 2025, read_folder(folder))
        print(f"préparation (génération + import) : {time.perf_counter() - start:.1f} s")

        with Store(base) as store:
            start = time.perf_counter()
            for table in INPUT_TABLES:
                store.con.execute(f"SELECT * FROM {table} WHERE millesime = 2025").df()
            scan_s = time.perf_counter() - start
            start = time.perf_counter()
            snapshot = load_snapshot(store)
            read_s = time.perf_counter() - start
        year, frames = snapshot.millesime, snapshot.frames()
        rows = {name: len(frame) for name, frame in frames.items()}
        start = time.perf_counter()
        tables = territorial_diagnostic(frames, year)
        publishable(tables, 11)
        diag_s = time.perf_counter() - start
    total = read_s + diag_s
    print(f"lignes lues : {rows}")
    print(f"DuckDB, lecture brute des tables : {scan_s:.2f} s")
    print(f"mixite, lecture canonique : {read_s:.2f} s ; diagnostic complet : {diag_s:.2f} s")
    print(f"ratio mixite (lecture + diagnostic) / lecture brute DuckDB : {total / scan_s:.1f}×")
    print(f"pic mémoire du processus : {_peak_mb():.0f} Mo")


if __name__ == "__main__":
    main()
