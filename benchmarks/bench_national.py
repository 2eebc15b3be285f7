"""Benchmark: the national observatory (issue 20) with 1 and then 2 Dask workers.

Run: ``.venv/bin/python -m benchmarks.bench_national [--un-sur K] [--travailleurs 1,2]``.

Three phases, each timed with every number of workers on a local Dask cluster (the same code as
``mixite national``): generating the synthetic France (``generate_france``, target 15 min for all
of France), the national diagnostic and quotas of every EPCI (import into its store included,
target 10 min) and a simulated year for every EPCI (one replicate, the stores already imported,
target 30 min). Printed: the wall-clock time, the CPU time of the tasks (summed over the
workers: unlike the wall-clock time it does not grow when other jobs share the machine), the
scaling ratio (wall-clock time with 1 worker / with 2, target ≥ 1.8) and the peak resident
memory of each worker (MiB, since it started).

``--phases simulation --dossier D`` measures the simulated year alone, on the territories and
stores a previous run kept in ``D`` (``D/france_<n>``, ``D/national_<n>/bases``): only the
simulation's results are removed before each run, so the time is the simulation's alone.

``--un-sur K`` keeps one EPCI in K (every K-th SIREN, a quasi-random sample of sizes and
regions) and extrapolates the times × (dwellings of France / dwellings of the sample); K = 1
runs all of France (about 5 GB of files and several hours on a shared 2-core machine). The
profiles' national figures are printed too (all of France, computed without generating).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mixite.national import NationalRun

TARGETS = {"generation": 15 * 60, "diagnostic+quotas": 10 * 60, "simulation": 30 * 60}


@dataclass
class Phase:
    name: str
    workers: int
    seconds: float
    peaks: dict[str, float]
    cpu: float
    failures: int = 0


def _shown(value: object, spec: str = ".1%") -> str:
    """A national figure, or « secret statistique » where the report masks it."""
    import pandas as pd

    return "secret statistique" if pd.isna(value) else format(value, spec)


def _sample(every: int) -> tuple[set[str], int, int]:
    from mixite.synth.france import france_territories

    everything = france_territories(2025, 2025)
    chosen = everything[::every]
    return (
        {t.siren for t in chosen},
        sum(t.dwellings for t in chosen),
        sum(t.dwellings for t in everything),
    )


def _record(phases: list[Phase], name: str, run: NationalRun) -> None:
    failed = sum(1 for r in run.reports if r.status == "echec")
    cpu = sum(r.cpu_seconds for r in run.reports)
    phases.append(Phase(name, run.workers, run.seconds, run.peak_memory_mb, cpu, failed))
    print(f"{name}, {run.workers} travailleur(s) : {run.seconds:.0f} s, {failed} échec(s)",
          flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--un-sur", type=int, default=10, dest="every")
    parser.add_argument("--travailleurs", default="1,2")
    parser.add_argument("--dossier", type=Path, default=None, help="dossier de travail (gardé)")
    parser.add_argument(
        "--phases",
        default="toutes",
        choices=["toutes", "simulation"],
        help="toutes, ou simulation seule sur les bases gardées par une mesure précédente",
    )
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.travailleurs.split(",")]
    if args.phases == "simulation":
        if args.dossier is None:
            parser.error("--phases simulation demande le --dossier d'une mesure précédente")
        missing = [n for n in workers if not (args.dossier / f"national_{n}" / "bases").is_dir()]
        if missing:
            parser.error(
                f"pas de bases gardées pour {missing} travailleur(s) dans {args.dossier} : "
                "lancez d'abord une mesure complète avec ce --dossier"
            )

    from mixite.national import generate_france, run_national

    sirens, sample_dwellings, total_dwellings = _sample(args.every)
    factor = total_dwellings / sample_dwellings
    print(
        f"échantillon : {len(sirens)} EPCI (un sur {args.every}), {sample_dwellings:,} logements "
        f"sur {total_dwellings:,} ; extrapolation × {factor:.2f}",
        flush=True,
    )
    keep = args.dossier is not None
    work = args.dossier or Path(tempfile.mkdtemp(prefix="bench_national_"))
    work.mkdir(parents=True, exist_ok=True)
    phases: list[Phase] = []
    figures_shown = False
    try:
        for n in workers:
            root = work / f"france_{n}"
            if args.phases == "simulation":
                out = work / f"national_{n}"
                for old in (out / "resultats").glob("simulation-*"):
                    shutil.rmtree(old)
                for old in (out / "bases").glob("*.simulation-*.parquet"):
                    old.unlink()
                run = run_national(root, ["simulation"], out, workers=n, sirens=sirens)
                _record(phases, "simulation", run)
                continue
            shutil.rmtree(root, ignore_errors=True)
            # through Dask even with one worker: the same code path for every count
            gen = generate_france(root, 2025, 2025, 1.0, sirens, workers=n, dask=True)
            cpu = sum(t.cpu_seconds for t in gen.territories)
            phases.append(Phase("generation", gen.workers, gen.seconds, gen.peak_memory_mb, cpu))
            if not figures_shown:
                for f in gen.figures:
                    print(f"  profils : {f.label} = {f.value:,.4g} (cible {f.target:,.4g}) "
                          f"{'OK' if f.ok else 'écart'}")  # fmt: skip
                figures_shown = True
            print(f"génération, {n} travailleur(s) : {gen.seconds:.0f} s", flush=True)
            out = work / f"national_{n}"
            shutil.rmtree(out, ignore_errors=True)
            for name, tasks in (
                ("diagnostic+quotas", ["diagnostic", "quotas"]),
                ("simulation", ["simulation"]),
            ):
                run = run_national(root, tasks, out, workers=n)
                _record(phases, name, run)
                if name == "diagnostic+quotas":
                    a = run.result.attainment
                    q1 = a.loc[(a["source"] == "observe") & (a["indicator"] == "q1_hors_qpv")]
                    if len(q1):
                        row = q1.iloc[0]
                        print(f"  échantillon : part nationale Q1 hors QPV {_shown(row['national_share'])}, "
                              f"EPCI à l'objectif {_shown(row['share_met'])} "
                              f"({_shown(row['met'], '.0f')}/{_shown(row['epcis'], '.0f')})")  # fmt: skip
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)

    print(
        "\nphase               | trav. | horloge (s) | CPU des tâches (s) | France extrapolée "
        "(min d'horloge) | objectif | pic mémoire par travailleur (Mo)"
    )
    for p in phases:
        national = p.seconds * factor / 60
        peaks = ", ".join(f"{v:.0f}" for v in sorted(p.peaks.values())) or "—"
        print(f"{p.name:<19} | {p.workers:>5} | {p.seconds:>11.0f} | {p.cpu:>18.0f} | "
              f"{national:>32.1f} | {TARGETS[p.name] / 60:>6.0f} min | {peaks}")  # fmt: skip
    for name in TARGETS:
        runs = {p.workers: p.seconds for p in phases if p.name == name}
        if 1 in runs and 2 in runs and runs[2] > 0:
            print(f"rapport d'échelle {name} (1 travailleur / 2) : {runs[1] / runs[2]:.2f} "
                  "(objectif ≥ 1,8)")  # fmt: skip


if __name__ == "__main__":
    main()
