"""``mixite simuler`` and ``mixite optimiser``: next year's attributions under one or several
scenarios, simulated (commission process) or optimised (best lawful allocation and its bound)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mixite.allocation.demo import step_optimisation, step_simulation
from mixite.cli._app import app, err_console
from mixite.synth.demo import DEMO_STEPS, DemoStep

if TYPE_CHECKING:
    from mixite.allocation.run import Mode

_BASE = typer.Option("--base", help="Base DuckDB du territoire.")
_SCENARIO = typer.Option(
    "--scenario",
    help="Fichier de scénario YAML ; répétez l'option pour comparer (le premier sert de référence).",
)
_SORTIE = typer.Option("--sortie", help="Dossier où écrire les attributions et la comparaison.")


def _run(
    base: Path,
    scenarios: list[Path],
    sortie: Path,
    mode: Mode,
    lp_limit: float | None = None,
    calibrate: bool = False,
) -> None:
    from mixite.allocation.run import run_scenarios

    notes: list[str] = []
    runs = run_scenarios(base, scenarios, sortie, mode, lp_limit, calibrate, notes)
    for note in notes:
        err_console.print(note)
    for run in runs:
        err_console.print(run.summary)
    err_console.print(f"Fichiers écrits dans « {sortie} » (comparaison.html, comparaison.xlsx).")


@app.command(
    "simuler",
    help=(
        "Simule une année de commissions d'attribution (orientation par le flux, trois candidats, "
        "refus, fléchage) pour chaque scénario et écrit les attributions, les indicateurs "
        "d'objectifs par partenaire avec intervalles, et une comparaison HTML/XLSX."
    ),
)
def simuler(
    base: Annotated[Path, _BASE],
    scenario: Annotated[list[Path], _SCENARIO],
    sortie: Annotated[Path, _SORTIE],
    calibrer: Annotated[
        bool,
        typer.Option(
            "--calibrer",
            help="Calibre d'abord la préférence de la commission pour la solvabilité sur le "
            "scénario de référence, pour qu'il reproduise la part Q1 hors QPV observée dans la "
            "base, puis l'applique à tous les scénarios.",
        ),
    ] = False,
) -> None:
    _run(base, scenario, sortie, "simuler", calibrate=calibrer)


@app.command(
    "optimiser",
    help=(
        "Calcule, pour chaque scénario, la meilleure répartition des logements libérés qui "
        "respecte les objectifs légaux (flot à coût minimal et prix lagrangiens, borne de la "
        "relaxation linéaire) et écrit les attributions, les indicateurs et une comparaison."
    ),
)
def optimiser(
    base: Annotated[Path, _BASE],
    scenario: Annotated[list[Path], _SCENARIO],
    sortie: Annotated[Path, _SORTIE],
    limite_lp: Annotated[
        float | None,
        typer.Option(
            "--limite-lp",
            help="Temps maximal (secondes) de la relaxation linéaire ; au-delà, la borne "
            "lagrangienne du flot est donnée ; 0 : pas de relaxation linéaire.",
        ),
    ] = None,
) -> None:
    _run(base, scenario, sortie, "optimiser", limite_lp)


# ``mixite demo``: simulation then optimisation, after the import of the demo territory.
if not any(step.run is step_simulation for step in DEMO_STEPS):
    DEMO_STEPS.append(
        DemoStep(
            "Attributions simulées : scénario de référence et fléchage de 30 % hors QPV",
            step_simulation,
        )
    )
if not any(step.run is step_optimisation for step in DEMO_STEPS):
    DEMO_STEPS.append(
        DemoStep(
            "Attributions optimisées sous les objectifs légaux, avec la borne lagrangienne",
            step_optimisation,
        )
    )


@app.command(
    "frontiere",
    help=(
        "Frontière des marges de manœuvre côté attributions : pour chaque objectif de part du "
        "premier quartile hors QPV, l'allocation optimale de l'année, la part atteinte et le "
        "score de priorité sacrifié (EPCI, ou un bailleur avec --bailleur)."
    ),
)
def frontiere(
    base: Annotated[Path, _BASE],
    scenario: Annotated[Path, typer.Option("--scenario", help="Fichier de scénario YAML.")],
    sortie: Annotated[Path, _SORTIE],
    bailleur: Annotated[
        str | None, typer.Option("--bailleur", help="SIREN d'un bailleur (défaut : l'EPCI).")
    ] = None,
    cibles: Annotated[
        str,
        typer.Option("--cibles", help="Objectifs de part Q1 hors QPV, séparés par des virgules."),
    ] = "0,0.1,0.2,0.25,0.3,0.4",
) -> None:
    import plotly.graph_objects as go

    from mixite.allocation.frontier import frontier
    from mixite.allocation.run import _problem
    from mixite.allocation.scenario import load_scenario
    from mixite.errors import ConfigError
    from mixite.reports.common import Section, plotly_div, render_page, table_html, write_csv_excel

    try:
        alphas = [float(c.replace(",", ".")) for c in cibles.split(",") if c.strip()]
    except ValueError:
        raise ConfigError(
            f"Objectifs « {cibles} » illisibles : donnez des parts entre 0 et 1 séparées par des "
            "virgules, par exemple « 0,0.25,0.4 »."
        ) from None
    if any(not 0.0 <= a <= 1.0 for a in alphas):
        raise ConfigError(
            f"Objectifs « {cibles} » hors de [0, 1] : donnez des parts, par exemple 0.25 pour 25 %."
        )
    problem, _ = _problem(base, load_scenario(scenario))
    known = sorted(set(problem.vacancies.landlord.tolist()))
    if bailleur is not None and bailleur not in known:
        raise ConfigError(
            f"Bailleur « {bailleur} » sans logement libéré dans ce scénario. Bailleurs "
            f"présents : {', '.join(known)}."
        )
    table = frontier(problem, alphas, landlord=bailleur)
    sortie.mkdir(parents=True, exist_ok=True)
    write_csv_excel(table, sortie / "frontiere.csv")
    fig = go.Figure(
        go.Scatter(
            x=table["score_sacrifie"],
            y=table["part_q1_hors_qpv"],
            mode="lines+markers",
            text=[
                f"objectif {100 * a:.0f} %, {n} attributions"
                for a, n in zip(table["objectif_q1_hors_qpv"], table["attributions"], strict=True)
            ],
        )
    )
    fig.update_layout(
        title="Part Q1 hors QPV atteignable selon le score de priorité sacrifié",
        xaxis_title="score de priorité sacrifié",
        yaxis_title="part des attributions hors QPV au 1er quartile ou relogés",
        yaxis_tickformat=".1%",
    )
    scope = f"bailleur {bailleur}" if bailleur else "EPCI"
    reading = (
        "<p>Chaque point est l'allocation optimale des logements libérés de l'année quand la "
        "part des attributions hors QPV aux ménages du premier quartile ou relogés doit "
        "atteindre l'objectif de la ligne. Cet objectif remplace ceux du scénario : "
        + (
            "le problème est restreint aux logements de ce bailleur, dont c'est le seul "
            "objectif Q1 ; "
            if bailleur
            else "celui de l'EPCI, les objectifs propres des bailleurs étant levés ; "
        )
        + "les autres objectifs (ménages hors premier quartile en QPV, publics prioritaires) "
        "restent ceux du scénario. Le score sacrifié est la somme des scores de cotation des "
        "ménages logés perdue par rapport au premier objectif ; une baisse du nombre "
        "d'attributions signale des logements laissés vides pour tenir la part. « borne » : "
        "borne supérieure de l'objectif optimisé (relaxation linéaire ou lagrangienne).</p>"
    )
    headers = {
        "objectif_q1_hors_qpv": "objectif Q1 hors QPV",
        "realisable": "réalisable",
        "part_q1_hors_qpv": "part atteinte",
        "attributions": "attributions",
        "attributions_hors_qpv": "dont hors QPV",
        "score_prioritaire": "score de priorité",
        "score_sacrifie": "score sacrifié",
        "objectif": "valeur optimisée",
        "borne": "borne",
    }
    kinds = ("pct", "text", "pct", "int", "int", "float", "float", "float", "float")
    formats: dict[str, Any] = dict(zip(headers.values(), kinds, strict=True))
    shown = table[list(headers)].rename(columns=headers)
    page = render_page(
        f"Frontière des marges de manœuvre — {scope}",
        f"Scénario {scenario.name} · produit par mixite",
        [
            Section("Lecture", (reading,)),
            Section("Frontière", (plotly_div(fig), table_html(shown, formats))),
        ],
    )
    (sortie / "frontiere.html").write_text(page, encoding="utf-8")
    err_console.print(f"Frontière écrite dans « {sortie} » (frontiere.csv, frontiere.html).")
