"""Benchmark: a metropolis (≈150,000 dwellings, ``mixite generer --taille grande``) projected
over the CIA's six years with 20 replicates, the replicates spread over the cores (processes).

Run: ``.venv/bin/python -m benchmarks projection`` (or ``-m benchmarks.bench_projection
[--logements N] [--annees 6] [--replications 20] [--processus 2] [--dossier D]``). Generates the
territory in the official formats and reads it back through the real readers (``--dossier``
keeps the files for another run), builds the projection's starting point, then times the
projection of the baseline strategy (``exemples/strategies/reference.yaml``). Prints the
preparation time, the projection's wall time (target ≤ 10 min on a 2-core machine), the time per
simulated year (wall time × processes / simulated years, and wall time / simulated years) and
the peak memory of the main process and of the largest worker. On a shared machine the wall
time counts the other computations too: the CPU time of the workers (and what it would take on
free cores) is printed beside it, and so is the reference run of this process: a fixed
workload (numpy sorts and a Python loop) timed in the main process before and after the
projection, the CPU time per simulated year printed as a multiple of it — a ratio that the
machine's load changes far less than the seconds, comparable between two runs of two versions.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from mixite.io import read_folder
from mixite.io.strategy import load_strategy
from mixite.projection.base import build_base
from mixite.projection.project import project
from mixite.synth import generate, size_profile

STRATEGY = Path(__file__).resolve().parents[1] / "exemples" / "strategies" / "reference.yaml"
TARGET_S = 600.0


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def reference_cpu() -> float:
    """CPU seconds of a fixed workload (the unit of the ratios): numpy sorts of a million floats
    and a Python loop of a million additions, ten times (about a second on a free core)."""
    rng = np.random.default_rng(0)
    start = time.process_time()
    for _ in range(10):
        np.sort(rng.random(1_000_000))
        total = 0
        for i in range(1_000_000):
            total += i
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logements", type=int, default=None, help="défaut : taille grande")
    parser.add_argument("--annees", type=int, default=6)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--processus", type=int, default=2)
    parser.add_argument("--graine", type=int, default=3)
    parser.add_argument("--dossier", type=Path, default=None)
    args = parser.parse_args(argv)
    profile = (
        size_profile("grande") if args.logements is None else size_profile(dwellings=args.logements)
    )
    with tempfile.TemporaryDirectory(prefix="bench_projection_") as tmp:
        folder = args.dossier or Path(tmp) / "donnees"
        start = time.perf_counter()
        if not (folder / "territoire.yaml").exists():
            generate(folder, np.random.default_rng(args.graine), profile, 2025)
        frames = read_folder(folder)
        plan = load_strategy(STRATEGY)
        base = build_base(frames, 2025, [plan])
        prepare_s = time.perf_counter() - start
    print(
        f"Préparation (génération, lecture, point de départ) : {prepare_s:.1f} s ; "
        f"{base.n_dwellings:,} logements, {base.n_households:,} ménages, "
        f"{base.n_applications:,} demandes ; {base.demand.filings_per_year:,} nouvelles demandes "
        f"par an ; délai de remise en location {base.relet_delay_days:.0f} jours"
    )
    done: list[float] = []

    def progress(finished: int, total: int) -> None:
        done.append(time.perf_counter())
        print(f"  réplication {finished}/{total} : {done[-1] - start:.0f} s", flush=True)

    reference = reference_cpu()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    outcome = project(
        base, [plan], args.annees, args.replications, args.graine, args.processus, progress
    )[0]
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    reference = (reference + reference_cpu()) / 2
    years = args.annees * args.replications
    attributions = float(outcome.ledger["attributions"].mean())
    print(
        f"Projection : {args.annees} ans × {args.replications} réplications sur "
        f"{args.processus} processus en {wall:.1f} s (cible ≤ {TARGET_S:.0f} s : "
        f"{'atteinte' if wall <= TARGET_S else 'manquée'})"
    )
    print(
        f"Temps par année simulée : {wall * args.processus / years:.2f} s de processus "
        f"({wall / years:.2f} s d'horloge) ; {attributions:,.0f} attributions par an en moyenne"
    )
    print(
        f"Temps de calcul (CPU) des processus : {cpu:.0f} s, soit {cpu / years:.2f} s par année "
        f"simulée ; sur {args.processus} cœurs libres, la projection prendrait "
        f"{cpu / args.processus:.0f} s (la machine est partagée : l'horloge compte aussi les "
        "autres calculs)"
    )
    print(
        f"Référence de ce processus (charge fixe) : {reference:.2f} s de CPU ; une année simulée "
        f"coûte {cpu / years / reference:.2f} références (rapport peu sensible à la charge de "
        "la machine, comparable d'une version à l'autre)"
    )
    print(
        f"Mémoire de pointe : {_peak_mb(resource.RUSAGE_SELF):.0f} Mo (processus principal), "
        f"{_peak_mb(resource.RUSAGE_CHILDREN):.0f} Mo (plus gros processus de calcul)"
    )
    print(
        f"Bilan : écart maximal {outcome.ledger['imbalance_high'].max():.0f} ; dissimilarité Q1 "
        f"{outcome.territory['dissimilarity'].iloc[0]:.3f} → "
        f"{outcome.territory['dissimilarity'].iloc[-1]:.3f}"
    )


if __name__ == "__main__":
    main()
