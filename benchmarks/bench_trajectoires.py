"""Residential trajectories benchmark (not a test): a metropolis-sized relocation plan and a
bourse d'échange.

Run: ``.venv/bin/python -m benchmarks.bench_trajectoires [households applications]`` (default
2,000 households to rehouse over 6 years, 20,000 mutation applications). Prints:

* the relocation plan: 2,000 households of six yearly operations, the offers of a metropolis
  (150,000 social dwellings in 40 communes, 6 % yearly turnover over the 8 years of the window:
  about 72,000 offers), the reste à charge computed with the APL kernel for every candidate pair;
  pair generation, the staged HiGHS programme, its LP bound and gap, ``check()`` (target: the
  whole in ≤ 60 s);
* the exchanges among 20,000 mutation applications (preference lists under the landlords'
  rules, Top Trading Cycles) and the vacancy chains of 9,000 departures (target ≤ 10 s);
* the process's peak resident memory after each step.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time

import numpy as np

from mixite.affordability import housing_benefit, housing_benefit_detail, net_housing_cost
from mixite.trajectoires.chains import FreedDwellings, vacancy_chains
from mixite.trajectoires.relogement import (
    Charter,
    Offers,
    RelocationHouseholds,
    build_relocation,
    plan_relocation,
)
from mixite.trajectoires.ttc import (
    ExchangeMarket,
    exchange_cycles,
    exchange_preferences,
    top_trading_cycles,
)

N_COMMUNES = 40
N_LANDLORDS = 8
STOCK = 150_000
TURNOVER = 0.06
WHEN = dt.date(2025, 1, 1)
#: PLAI, PLUS, PLS ceilings of a category-3 household in zone A, 2025 (€/year; order of size).
CEILINGS = (22_000.0, 40_000.0, 52_000.0)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _communes(rng: np.random.Generator, n: int) -> np.ndarray:
    # a metropolis: the central communes weigh more (Zipf-like weights)
    weights = 1.0 / np.arange(1, N_COMMUNES + 1)
    codes = np.array([f"{69001 + i:05d}" for i in range(N_COMMUNES)], dtype=object)
    return codes[rng.choice(N_COMMUNES, n, p=weights / weights.sum())]


def relocation(n_households: int, rng: np.random.Generator) -> None:
    years = np.arange(2027, 2033)  # six yearly operations
    size = rng.integers(1, 6, n_households)
    rooms_min = np.clip(size - 1, 1, 5)
    wished = np.full((n_households, 3), "", dtype=object)
    wished[:, 0] = _communes(rng, n_households)
    wished[:, 1] = _communes(rng, n_households)
    wished[rng.random(n_households) < 0.5, 2] = "69001"
    annual = rng.gamma(3.0, 5_000.0, n_households)
    households = RelocationHouseholds.from_arrays(
        ids=[f"m{i}" for i in range(n_households)],
        operation=["op"] * n_households,
        deadline=rng.choice(years, n_households),
        income=annual,
        ceilings=np.tile(CEILINGS, (n_households, 1)),
        rooms_min=rooms_min,
        rooms_max=rooms_min + 1,
        wished=wished,
        accepts_qpv=rng.random(n_households) < 0.4,
        current_cost=rng.uniform(150.0, 450.0, n_households),
    )
    offer_years = np.arange(years.min() - 2, years.max() + 1)
    per_year = int(STOCK * TURNOVER)
    n_o = per_year * offer_years.size
    rooms = rng.integers(1, 6, n_o)
    landlord = np.array([f"9999610{i:02d}" for i in range(N_LANDLORDS)], dtype=object)
    land = landlord[rng.integers(0, N_LANDLORDS, n_o)]
    partners = np.where(rng.random(n_o) < 0.5, "bailleur:" + land.astype(str), "commune:69001")
    offers = Offers.from_arrays(
        ids=[f"d{j}" for j in range(n_o)],
        year=np.repeat(offer_years, per_year),
        landlord=land,
        partner=partners.astype(object),
        commune=_communes(rng, n_o),
        in_qpv=rng.random(n_o) < 0.3,
        rooms=rooms,
        rent=150.0 + 80.0 * rooms + rng.normal(0.0, 40.0, n_o),
        charges=1.5 * (18.0 + 17.0 * rooms),
        financing=rng.choice(4, n_o, p=[0.15, 0.55, 0.1, 0.2]),
        recent=rng.random(n_o) < 0.1,
    )
    couple = size >= 2
    dependants = np.clip(size - 2, 0, None)

    def cost(h: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        args = {"zone": 2, "couple": couple[h], "dependants": dependants[h],
                "annual_resources": annual[h], "when": WHEN}  # fmt: skip
        rent = offers.rent[o]
        reduced = rent.copy()
        new = offers.recent[o]
        part = {k: (v[new] if isinstance(v, np.ndarray) else v) for k, v in args.items()}
        ceiling = housing_benefit_detail(rent=rent[new], **part).rent_ceiling
        reduced[new] = np.minimum(rent[new], ceiling)
        aid, rls = housing_benefit(rent=reduced, **args)
        return net_housing_cost(reduced, offers.charges[o], aid, rls), rent - reduced

    charter = Charter(
        share_recent=0.2,
        share_outside_qpv=0.6,
        max_rise=30.0,
        lead_years=2,
        contributions={"commune:69001": 0.2, "bailleur:999961000": 0.1},
    )
    print(
        f"Relogement : {n_households} ménages, {len(years)} opérations annuelles, "
        f"{n_o:,} libérations attendues dans {N_COMMUNES} communes"
    )
    start = time.perf_counter()
    problem = build_relocation(households, offers, charter, cost, k=40)
    built = time.perf_counter() - start
    print(
        f"  Couples admissibles gardés : {len(problem):,} en {built:.1f} s ; "
        f"mémoire de pointe {_peak_mb():.0f} Mo"
    )
    t = time.perf_counter()
    plan = plan_relocation(problem, time_limit=120.0)
    solved = time.perf_counter() - t
    t = time.perf_counter()
    plan.check()
    checked = time.perf_counter() - t
    total = time.perf_counter() - start
    print(
        f"  Plan : {plan.rehoused} ménages relogés ; écarts aux objectifs "
        f"{ {k: round(v, 2) for k, v in plan.shortfall.items()} } ; "
        f"valeur {plan.objective:.2f}, borne PL {plan.lp_bound:.2f}, écart {100 * plan.gap:.3f} %"
    )
    print(
        f"  Temps : couples {built:.1f} s, programme HiGHS (3 étapes + PL) {solved:.1f} s, "
        f"contrôle {checked:.1f} s ; total {total:.1f} s (cible ≤ 60 s) ; "
        f"mémoire de pointe {_peak_mb():.0f} Mo"
    )


def exchanges(n_applications: int, rng: np.random.Generator) -> None:
    n = n_applications
    rooms = rng.integers(1, 6, n)
    lower = np.clip(rooms + rng.integers(-2, 3, n), 1, 5)
    wished = np.full((n, 3), "", dtype=object)
    for r in range(3):
        wished[:, r] = _communes(rng, n)
    landlord = np.array([f"9999610{i:02d}" for i in range(N_LANDLORDS)], dtype=object)
    market = ExchangeMarket(
        rooms_min=lower,
        rooms_max=np.minimum(lower + 1, 6),
        wished=wished,
        income=rng.gamma(3.0, 6_000.0, n),
        ceilings=np.tile(CEILINGS, (n, 1)),
        landlord=landlord[rng.integers(0, N_LANDLORDS, n)],
        commune=_communes(rng, n),
        rooms=rooms,
        rent=150.0 + 80.0 * rooms + rng.normal(0.0, 40.0, n),
        financing=rng.choice(4, n, p=[0.15, 0.55, 0.1, 0.2]),
    )
    print(f"Échanges : {n:,} demandes de mutation, {N_LANDLORDS} bailleurs, {N_COMMUNES} communes")
    start = time.perf_counter()
    prefs = exchange_preferences(market, inter_landlord=True, max_list=10)
    listed = time.perf_counter() - start
    t = time.perf_counter()
    assignment = top_trading_cycles(prefs)
    ttc = time.perf_counter() - t
    cycles = exchange_cycles(assignment)
    moved = int((assignment != np.arange(n)).sum())
    t = time.perf_counter()
    n_freed = int(STOCK * TURNOVER)
    freed = FreedDwellings(_communes(rng, n_freed), rng.integers(1, 6, n_freed),
                           rng.choice(4, n_freed, p=[0.15, 0.55, 0.1, 0.2]))  # fmt: skip
    order = rng.permutation(n)
    chains = vacancy_chains(market, assignment == np.arange(n), order, freed, 0.3, rng)
    chained = time.perf_counter() - t
    total = time.perf_counter() - start
    print(
        f"  Listes de préférences ({sum(len(p) for p in prefs):,} vœux) {listed:.1f} s ; "
        f"Top Trading Cycles {ttc:.2f} s : {moved:,} locataires échangent en {len(cycles):,} "
        f"cycles (le plus long : {max((len(c) for c in cycles), default=0)})"
    )
    print(
        f"  Chaînes de {n_freed:,} libérations {chained:.1f} s : {len(chains.moves):,} mutations, "
        f"{chains.mean_length:.2f} déménagements par libération"
    )
    print(
        f"  Total échanges {listed + ttc:.1f} s (cible ≤ 10 s), avec les chaînes {total:.1f} s ; "
        f"mémoire de pointe {_peak_mb():.0f} Mo"
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    n_households = int(args[0]) if args else 2_000
    n_applications = int(args[1]) if len(args) > 1 else 20_000
    rng = np.random.default_rng(2025)
    relocation(n_households, rng)
    exchanges(n_applications, rng)


if __name__ == "__main__":
    main()
