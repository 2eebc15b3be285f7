"""Allocation benchmark (not a test): a metropolis-sized year under all the quotas.

Run: ``.venv/bin/python -m benchmarks.bench_allocation [n_vacancies n_applications]`` (default
10,000 vacancies × 200,000 applications). Prints, in one run:

* pair generation (K-bounded) time and size;
* the optimiser (min-cost flow with Lagrangian prices, then the LP polish: column generation
  around the prices, which gives the exact LP bound, and diving): time, objective, Lagrangian
  bound, LP bound, gap to the LP bound (target ≤ 0.1 %);
* HiGHS solving the full LP relaxation of the same problem (the reference run of this process):
  time, its value against the column generation's, and the speed ratio (target ≥ 10×);
* how the bound K on candidates per vacancy moves the optimum (on a 1/5 subsample);
* a year's simulation of the same territory (target under a minute);
* the process's peak resident memory after each step.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from mixite.allocation.instances import random_instance
from mixite.allocation.optimise import SolverTimeLimit, optimise, solve_lp
from mixite.allocation.problem import Quotas, Thresholds, build_problem
from mixite.allocation.simulate import SimulationConfig, simulate_year

#: Affordability thresholds of the instances: the default CAL charter of
#: params/solvabilite.yaml (35 %, 12 € per UC per day, 30-day months), written here so that
#: the instances do not move when the packaged conventions are revised.
CHARTER = Thresholds(max_effort_rate=0.35, min_reste_a_vivre=12.0, days_per_month=30.0)

#: Time limit of the reference LP (s): past it the ratio is printed as a lower bound.
LP_TIME_LIMIT = 1200.0
FLOWS = {"etat_prioritaire": 0.25, "action_logement": 0.30, "commune": 0.20, "bailleur": 0.25}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    n_v = int(args[0]) if args else 10_000
    n_a = int(args[1]) if len(args) > 1 else 200_000
    k = 40
    quotas = Quotas.legal("2025-06-01")
    vac, apps = random_instance(n_v, n_a, np.random.default_rng(2025), n_communes=40, n_landlords=6)
    print(
        f"Instance : {n_v} logements vacants × {n_a} demandes, K = {k}, tous les objectifs légaux"
    )

    t = time.perf_counter()
    problem = build_problem(vac, apps, quotas, CHARTER, k=k)
    print(
        f"Couples admissibles : {len(problem.pairs):,} en {time.perf_counter() - t:.1f} s ; "
        f"{len(problem.constraints)} contraintes ; mémoire de pointe {_peak_mb():.0f} Mo"
    )

    t = time.perf_counter()
    result = optimise(problem, "flow")
    t_opt = time.perf_counter() - t
    result.check()
    lp_bound = result.lp_bound
    gap_text = "—" if result.gap is None else f"{100 * result.gap:.4f} %"
    print(
        f"Optimiseur (flot + prix lagrangiens, puis polissage par la relaxation linéaire) : "
        f"{t_opt:.1f} s ({result.seconds:.1f} s de calcul), {result.iterations} itérations de "
        f"prix, méthode retenue « {result.method} », objectif {result.objective:.3f}, borne "
        f"lagrangienne {result.lagrangian_bound:.3f}, borne LP par génération de colonnes "
        f"{'non atteinte' if lp_bound is None else f'{lp_bound:.3f}'} ; écart à la borne "
        f"{gap_text} (cible ≤ 0,1 %) ; objectifs respectés : {result.feasible} ; "
        f"mémoire de pointe {_peak_mb():.0f} Mo"
    )

    t = time.perf_counter()
    try:
        lp_value, _ = solve_lp(problem, time_limit=LP_TIME_LIMIT)
    except SolverTimeLimit:
        t_lp = time.perf_counter() - t
        print(
            f"Relaxation linéaire complète (HiGHS, référence) : non résolue en {t_lp:.0f} s "
            f"(limite) ; rapport de vitesse > {t_lp / t_opt:.1f}× (cible ≥ 10×) ; "
            f"mémoire de pointe {_peak_mb():.0f} Mo"
        )
    else:
        t_lp = time.perf_counter() - t
        same = "—" if lp_bound is None else f"{abs(lp_value - lp_bound):.2e}"
        gap = (lp_value - result.objective) / lp_value
        print(
            f"Relaxation linéaire complète (HiGHS, référence) : {t_lp:.1f} s, valeur "
            f"{lp_value:.3f} (écart à la génération de colonnes : {same}) ; écart de "
            f"l'optimiseur à cette borne {100 * gap:.4f} % (cible ≤ 0,1 %) ; rapport de vitesse "
            f"{t_lp / t_opt:.1f}× (cible ≥ 10×) ; mémoire de pointe {_peak_mb():.0f} Mo"
        )

    sub_v, sub_a = max(n_v // 5, 10), max(n_a // 5, 50)
    vac_s, apps_s = random_instance(
        sub_v, sub_a, np.random.default_rng(7), n_communes=40, n_landlords=6
    )
    print(f"Effet de K (sous-échantillon {sub_v} × {sub_a}) :")
    reference = None
    for k_i in (10, 20, 40, 80, None):
        pb = build_problem(vac_s, apps_s, quotas, CHARTER, k=k_i)
        res = optimise(pb, "flow")
        res.check()
        if k_i is None:
            reference = res.objective
        label = "sans borne" if k_i is None else f"K = {k_i}"
        print(
            f"  {label:>10} : {len(pb.pairs):>9,} couples, {len(res.selected):>6} attributions, "
            f"objectif {res.objective:.3f}, objectifs respectés : {res.feasible}"
        )
    if reference is not None:
        print(f"  (référence sans borne : {reference:.3f})")

    t = time.perf_counter()
    config = SimulationConfig(year=2025, flows=FLOWS, flechage_share=0.0)
    sim = simulate_year(problem, config, seed=1)
    t_sim = time.perf_counter() - t
    print(
        f"Simulation d'une année : {t_sim:.1f} s (cible < 60 s), {len(sim.vacancy)} attributions, "
        f"{sim.offers} propositions dont {sim.refusals} refus, {sim.unfilled} logements non "
        f"attribués ; mémoire de pointe {_peak_mb():.0f} Mo"
    )


if __name__ == "__main__":
    main()
