"""``mixite demo``: the demonstration territory and every analysis on it, as one ordered list.

``DEMO_STEPS`` is the whole demonstration, in order: generate the synthetic territory in the
official formats, read it back through the real readers into a store, then run each job and
render its outputs (cotation, diagnostic, documents, room for manoeuvre, the relocation plan of a
synthetic NPNRU operation, mutations with exchanges and vacancy chains, simulated and optimised
attributions with the frontier, the strategies projected over the CIA's six years). A step is a
French label and a function of the ``DemoPaths`` that records what it made in ``paths.made``.
This module is presentation-level orchestration (like the command line): it calls the jobs
(``mixite.jobs``) and the renderers (``mixite.reports``); heavy modules are imported inside the
steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mixite.errors import ConfigError

__all__ = [
    "DEMO_MILLESIME",
    "DEMO_SEED",
    "DEMO_SIZE",
    "DEMO_STEPS",
    "DemoPaths",
    "DemoStep",
    "run_demo",
]

#: Seed and size of the demo territory (fixed: the demo is reproducible).
DEMO_SEED = 2025
DEMO_SIZE = "moyenne"
DEMO_MILLESIME = 2025

#: The example files shipped at the root of the repository (``exemples/``).
EXAMPLES = Path(__file__).resolve().parents[2] / "exemples"
#: The two scenarios of the demo's allocation steps: the baseline and a fléchage.
DEMO_SCENARIOS = ("reference.yaml", "flechage.yaml")
#: Time limit of the LP relaxation of each demo optimisation (seconds). The column generation
#: around the Lagrangian prices converges in about ten seconds on the demo territory; the limit
#: only guards the demo's duration on a loaded machine (past it, the Lagrangian bound is kept).
DEMO_LP_TIME_LIMIT = 120.0
#: Targets of the demo's landlord frontier (shares of Q1 attributions outside QPV).
DEMO_FRONTIER_TARGETS = (0.0, 0.1, 0.2, 0.25, 0.3)
#: The two strategies of the demo's projection: the baseline and a contrasted one.
DEMO_STRATEGIES = ("reference.yaml", "contrastee.yaml")
#: Years and replicates of the demo's projection: the CIA's six years, and fewer replicates than
#: the command's default (20) to keep the demo's time reasonable (docs/projection.md).
DEMO_HORIZON = 6
DEMO_REPLICATES = 4


@dataclass
class DemoPaths:
    """Where the demo writes: ``root/donnees`` (files), ``root/territoire.duckdb`` (store),
    ``root/sorties`` (reports of later steps); ``made`` collects what each step produced."""

    root: Path
    millesime: int = DEMO_MILLESIME
    #: Size of the synthetic territory (``mixite generer --taille``; the tests use ``petite``).
    size: str = DEMO_SIZE
    made: list[tuple[str, Path]] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "donnees"

    @property
    def store(self) -> Path:
        return self.root / "territoire.duckdb"

    @property
    def outputs(self) -> Path:
        return self.root / "sorties"


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: a French label (printed) and the function to run."""

    label: str
    run: Callable[[DemoPaths], None]


def _examples(kind: str) -> Path:
    folder = EXAMPLES / kind
    if not folder.is_dir():
        raise ConfigError(
            f"Dossier d'exemples « {folder} » introuvable : la démonstration s'exécute depuis "
            "une copie du dépôt mixite."
        )
    return folder


def step_generate(paths: DemoPaths) -> None:
    """Generate the demo territory (size and seed fixed) into ``donnees/``."""
    import numpy as np

    from mixite.synth.generateur import generate
    from mixite.synth.modele import size_profile

    result = generate(
        paths.data, np.random.default_rng(DEMO_SEED), size_profile(paths.size), paths.millesime
    )
    paths.made.append(("Fichiers du territoire synthétique", paths.data))
    paths.made.append(("Rapport de calibration", result.paths["calibration"]))


def step_import(paths: DemoPaths) -> None:
    """Read the generated files with the real readers and import them into the store."""
    from mixite.io import read_folder
    from mixite.store import import_millesime

    frames = read_folder(paths.data)
    if paths.store.exists():
        paths.store.unlink()
    import_millesime(paths.store, paths.millesime, frames)
    paths.made.append(("Base DuckDB du territoire", paths.store))


def step_cotation(paths: DemoPaths) -> None:
    """Audit the Lyon-like example grid against the Paris-like one, and explain the first
    application's score."""
    from mixite.cotation.grid import load_grid
    from mixite.jobs import cotation as jobs
    from mixite.reports.cotation import applicant_letter, write_audit_report
    from mixite.store import Store

    grids = _examples("grilles")
    grid = load_grid(grids / "lyon_illustrative.yaml")
    other = load_grid(grids / "paris_illustrative.yaml")
    with Store(paths.store) as store:
        inputs = jobs.load_inputs(store, paths.millesime)
    folder = paths.outputs / "cotation"
    written = write_audit_report(jobs.audit_inputs(inputs, grid, other), folder)
    # The letter of the first application of the generated file, found by its SNE number
    # with the pseudonymisation key beside the base (as its holder, the EPCI, would).
    import dataclasses

    from mixite.io import read_table

    source = paths.data / "demandes.csv"
    first = inputs.applications["application_id"].iloc[0]
    number = str(
        read_table(source, "applications")["application_id"].iloc[0] if source.exists() else first
    )
    pseudonym = jobs.resolve_application(inputs, number, paths.store)
    result = jobs.applicant_of_inputs(inputs, grid, pseudonym)
    letter = folder / "explication_demande.txt"
    letter.write_text(applicant_letter(dataclasses.replace(result, number=number)) + "\n", "utf-8")
    paths.made.append(("Audit de la grille de cotation (HTML)", written[0]))
    paths.made.append(("Audit de la grille de cotation (XLSX)", written[1]))
    paths.made.append(("Cotation expliquée d'une demande", letter))


def step_diagnostic(paths: DemoPaths) -> None:
    """The diagnostic of the demo store under ``rapport/``."""
    from mixite.jobs.diagnostic import diagnostic
    from mixite.reports.diagnostic import write_diagnostic
    from mixite.store import Store

    with Store(paths.store) as store:
        result = diagnostic(store, paths.millesime)
    outputs = write_diagnostic(result, paths.root / "rapport")
    paths.made.append(("Diagnostic territorial (HTML)", outputs.html))
    paths.made.append(("Diagnostic (classeur XLSX)", outputs.xlsx))
    paths.made.append(("Résidences et QPV (GeoPackage)", outputs.gpkg))
    paths.made.append(("Indicateurs légaux (CSV)", outputs.quotas_csv))


def step_documents(paths: DemoPaths) -> None:
    """The three policy documents for the demo's attribution year."""
    from mixite.jobs.documents import documents
    from mixite.reports.documents import write_documents
    from mixite.store import Store

    with Store(paths.store) as store:
        result = documents(store, paths.millesime - 1)
    outputs = write_documents(result, paths.root / "documents")
    for docx in outputs.docx:
        paths.made.append((f"Document « {docx.stem} » (DOCX, HTML à côté)", docx))


def step_marges(paths: DemoPaths) -> None:
    """The room for manoeuvre of the demo's attribution year under ``marges/``."""
    from mixite.jobs.diagnostic import marges
    from mixite.reports.marges import write_marges
    from mixite.store import Store

    with Store(paths.store) as store:
        result = marges(store, paths.millesime - 1)
    outputs = write_marges(result, paths.root / "marges")
    paths.made.append(("Marges de manœuvre hors QPV (HTML)", outputs.html))
    paths.made.append(("Marges de manœuvre (XLSX)", outputs.xlsx))


def _allocation(paths: DemoPaths, mode: str) -> None:
    from mixite.allocation.scenario import load_scenario
    from mixite.jobs.allocation import costliest_landlord, frontier_of_problem, run_scenarios
    from mixite.reports.allocation import write_allocation, write_frontier
    from mixite.store import Store

    folder = _examples("scenarios")
    scenarios = [load_scenario(folder / name) for name in DEMO_SCENARIOS]
    optimise = mode == "optimiser"
    out = paths.outputs / ("optimisation" if optimise else "simulation")
    with Store(paths.store) as store:
        runs = run_scenarios(
            store, scenarios, "optimiser" if optimise else "simuler", DEMO_LP_TIME_LIMIT
        )
        html, xlsx = write_allocation(runs, out)
        label = "optimisées" if optimise else "simulées"
        paths.made.append((f"Attributions {label} : comparaison (HTML)", html))
        paths.made.append((f"Attributions {label} : comparaison (XLSX)", xlsx))
        if not optimise:
            return
        baseline = runs.runs[0]
        landlord = costliest_landlord(baseline.indicators)
        if landlord is None:
            return
        result = frontier_of_problem(
            baseline.problem, baseline.scenario.nom, DEMO_FRONTIER_TARGETS, landlord, store
        )
    page = write_frontier(result, paths.outputs / "frontiere")
    name = runs.names.landlord(landlord)
    paths.made.append((f"Frontière des marges de manœuvre du bailleur {name} (HTML)", page))


def step_simulation(paths: DemoPaths) -> None:
    """Simulate the year with the baseline and fléchage scenarios."""
    _allocation(paths, "simuler")


def step_optimisation(paths: DemoPaths) -> None:
    """Optimise the year with the baseline and fléchage scenarios, then trace the frontier of
    the landlord whose objectives cost the most dwellings left vacant."""
    _allocation(paths, "optimiser")


def step_relogement(paths: DemoPaths) -> None:
    """The territory's synthetic NPNRU operation (programme, social survey and charter written
    under ``relogement/``, derived from the seed) and its relocation plan."""
    from mixite.jobs.trajectoires import read_relocation_inputs, relocation
    from mixite.reports.trajectoires import write_relocation
    from mixite.store import Store
    from mixite.synth.relogement import write_relocation_files

    with Store(paths.store) as store:
        files = write_relocation_files(
            paths.root / "relogement" / "donnees",
            store.read("dwellings", paths.millesime),
            store.read("households", paths.millesime),
            paths.millesime,
            DEMO_SEED,
        )
    inputs = read_relocation_inputs(paths.store, files.programme, files.survey, files.charter)
    with Store(paths.store) as store:
        result = relocation(store, inputs, seed=DEMO_SEED)
    outputs = write_relocation(result, paths.outputs / "relogement")
    paths.made.append(
        ("Opération NPNRU : programme, enquête sociale, charte", files.programme.parent)
    )
    paths.made.append(("Plan de relogement (HTML)", outputs.html))
    paths.made.append(("Plan de relogement (XLSX)", outputs.xlsx))
    paths.made.append(("Suivi des relogements à compléter (CSV)", outputs.followup))


def step_mutations(paths: DemoPaths) -> None:
    """Mutations of the demo territory with the exchanges among tenants and vacancy chains."""
    from mixite.jobs.trajectoires import mutations
    from mixite.reports.trajectoires import write_mutations
    from mixite.store import Store

    with Store(paths.store) as store:
        result = mutations(store, exchanges=True, seed=DEMO_SEED)
    outputs = write_mutations(result, paths.outputs / "mutations")
    paths.made.append(("Mutations, échanges et chaînes (HTML)", outputs.html))
    paths.made.append(("Mutations, échanges et chaînes (XLSX)", outputs.xlsx))


def step_projection(paths: DemoPaths) -> None:
    """Project the occupancy over the CIA's six years under the baseline strategy and a
    contrasted one (supply outside QPV, demolition and relocation, fléchage, rents, support)."""
    from mixite.io.strategy import load_strategy
    from mixite.jobs.projection import projection
    from mixite.reports.projection import write_projection
    from mixite.store import Store

    folder = _examples("strategies")
    plans = [load_strategy(folder / name) for name in DEMO_STRATEGIES]
    with Store(paths.store) as store:
        result = projection(store, plans, DEMO_HORIZON, DEMO_REPLICATES, DEMO_SEED)
    outputs = write_projection(result, paths.outputs / "projection")
    paths.made.append(("Stratégies sur six ans : comparaison (HTML)", outputs.html))
    paths.made.append(("Stratégies sur six ans (XLSX)", outputs.xlsx))
    for gpkg in outputs.gpkg:
        paths.made.append(("Projection, une couche par année (GeoPackage)", gpkg))


#: The demonstration, in order.
DEMO_STEPS: tuple[DemoStep, ...] = (
    DemoStep("Génération du territoire synthétique (taille moyenne, graine fixe)", step_generate),
    DemoStep("Lecture des fichiers et import dans la base DuckDB", step_import),
    DemoStep(
        "Cotation des demandes : audit de la grille illustrative de type Lyon, comparée au type "
        "Paris, et explication d'une demande",
        step_cotation,
    ),
    DemoStep("Diagnostic territorial et objectifs légaux", step_diagnostic),
    DemoStep("Documents : document-cadre, projet de CIA, bilan", step_documents),
    DemoStep("Marges de manœuvre hors QPV", step_marges),
    DemoStep(
        "Relogement NPNRU : plan de relogement de l'opération de démonstration sous sa charte",
        step_relogement,
    ),
    DemoStep(
        "Mutations : échanges directs entre locataires et chaînes de libérations",
        step_mutations,
    ),
    DemoStep(
        "Attributions simulées : scénario de référence et fléchage de 30 % hors QPV",
        step_simulation,
    ),
    DemoStep(
        "Attributions optimisées sous les objectifs légaux (écart à la relaxation linéaire), "
        "puis frontière du bailleur dont les objectifs coûtent le plus",
        step_optimisation,
    ),
    DemoStep(
        "Stratégies sur les six ans de la CIA : référence et stratégie contrastée, rôles des "
        "quartiers",
        step_projection,
    ),
)


def run_demo(
    root: Path,
    steps: Sequence[DemoStep] = DEMO_STEPS,
    report: Callable[[str], None] | None = None,
    size: str | None = None,
) -> DemoPaths:
    """Run the demo steps into ``root`` on a territory of ``size`` (``DEMO_SIZE`` when None,
    read at call time so that a test can set it); ``report`` receives one French line per
    step."""
    paths = DemoPaths(root, size=size if size is not None else DEMO_SIZE)
    root.mkdir(parents=True, exist_ok=True)
    for step in steps:
        if report is not None:
            report(f"→ {step.label}")
        step.run(paths)
    return paths
