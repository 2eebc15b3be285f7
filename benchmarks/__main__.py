"""Run every benchmark: each ``benchmarks/bench_*.py`` module's ``main()``, in name order.

``python -m benchmarks`` (``make bench``) runs them all with their default sizes;
``python -m benchmarks import synth`` runs only the named ones (``bench_<name>.py``).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def benchmark_names() -> list[str]:
    """Module names of the benchmarks, sorted."""
    folder = Path(__file__).resolve().parent
    return sorted(p.stem for p in folder.glob("bench_*.py"))


def run(selected: list[str]) -> int:
    names = benchmark_names()
    wanted = [f"bench_{s.removeprefix('bench_')}" for s in selected] or names
    unknown = [w for w in wanted if w not in names]
    if unknown:
        print(f"Benchmark inconnu : {', '.join(unknown)} (disponibles : {', '.join(names)})")
        return 2
    for name in wanted:
        print(f"=== {name} ===", flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        module.main([])
        print(f"--- {name} : {time.perf_counter() - start:.1f} s\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
