"""Run scenarios on a territory store: simulation or optimisation, then the files of the report.

Files written in the output folder, per scenario ``<nom>`` (slug):

* ``attributions_<nom>.csv``: attributions in mixite's CSV format (French headers of the
  ``attributions`` table, ``;``, ISO dates, booleans 0/1); for a simulation, the first replicate;
* ``indicateurs_<nom>.csv``: quota shares per perimeter (EPCI, landlords, reservataires) with the
  objectives, and for a simulation the mean and the 90 % interval across replicates;
* ``comparaison.html`` and ``comparaison.xlsx``: the scenarios side by side (the first one is the
  baseline), per perimeter, every objective of every partner, and for an optimisation what the
  objectives cost in dwellings left vacant (``write_comparison``).

``write_frontier`` writes ``frontiere.csv`` and ``frontiere.html`` for ``mixite frontiere`` and
the demo.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from mixite.allocation.optimise import optimise
from mixite.allocation.problem import AllocationProblem, Quotas, build_problem
from mixite.allocation.scenario import (
    Scenario,
    applications_from_store,
    default_flows,
    load_scenario,
    vacancies_from_store,
)
from mixite.allocation.simulate import (
    INTERVAL_LEVEL,
    _attributions_frame,
    calibrate_solvency_preference,
    quota_shares,
    replicate_intervals,
    simulate_replicates,
)
from mixite.errors import StoreError
from mixite.schema import ATTRIBUTIONS, RESERVATAIRES

__all__ = [
    "ScenarioRun",
    "calibrate_scenario",
    "objectives_table",
    "observed_q1_share",
    "run_scenarios",
    "write_attributions_csv",
    "write_comparison",
    "write_frontier",
]

Mode = Literal["simuler", "optimiser"]


@dataclass(frozen=True)
class ScenarioRun:
    scenario: Scenario
    problem: AllocationProblem
    attributions: pd.DataFrame
    indicators: pd.DataFrame
    summary: str


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "scenario"


def write_attributions_csv(frame: pd.DataFrame, path: Path) -> None:
    """Attributions in mixite's CSV format (readable by ``read_table`` with no option)."""
    out = frame.copy()
    for col in ATTRIBUTIONS.columns:
        if col.dtype == "bool":
            out[col.name] = out[col.name].astype(int)
        elif col.dtype == "date":
            out[col.name] = out[col.name].dt.strftime("%Y-%m-%d")
    out.columns = [c.header for c in ATTRIBUTIONS.columns]
    out.to_csv(path, sep=";", index=False, encoding="utf-8")


def housing_aid(apps: Any, communes: pd.DataFrame, year: int) -> Any:
    """The vectorised housing-aid function of the problem: APL + RLS of each applicant for a
    dwelling of monthly cost ``cost`` (``mixite.affordability``, in force on 1 January of the
    year). Approximations (docs/allocation.md): the APL zone is the territory's most common one,
    and the housing cost (rent + charges) is taken as the rent, which the APL rent ceiling caps."""
    from mixite.affordability import housing_benefit

    zones = communes["apl_zone"].dropna().astype(str) if "apl_zone" in communes else pd.Series([])
    zone = int(zones.mode().iloc[0]) if len(zones) else 2
    size = np.asarray(
        apps.household_size if apps.household_size is not None else np.ones(len(apps.ids))
    )
    adults = np.asarray(apps.adults if apps.adults is not None else np.ones(len(apps.ids)))
    dependants = np.clip(size - adults, 0, None).astype(np.int64)
    couple = adults >= 2
    annual = 12.0 * np.asarray(apps.monthly_resources, dtype=np.float64)
    when = dt.date(year, 1, 1)

    def aid(cost: Any, app_index: Any) -> Any:
        idx = np.asarray(app_index)
        benefit, rls = housing_benefit(
            zone=np.full(np.shape(cost), zone),
            couple=couple[idx],
            dependants=dependants[idx],
            rent=np.asarray(cost, dtype=np.float64),
            annual_resources=annual[idx],
            when=when,
        )
        return np.asarray(benefit, dtype=np.float64) + np.asarray(rls, dtype=np.float64)

    return aid


def _problem(base: Path, scenario: Scenario) -> tuple[AllocationProblem, dict[str, float] | None]:
    from mixite.store import Store

    if not base.exists():
        raise StoreError(
            f"Base « {base} » introuvable. Créez-la avec « mixite importer » ou « mixite demo »."
        )
    with Store(base, read_only=True) as store:
        available = store.millesimes("dwellings")
        if not available:
            raise StoreError(f"La base « {base} » ne contient aucun logement (RPLS).")
        m = scenario.millesime if scenario.millesime is not None else max(available)
        dwellings = store.read("dwellings", m)
        applications = store.read("applications", m)
        territory = store.read("territory", m)
        communes = store.read("communes", m)
        reservations = (
            store.read("reservations", m) if m in store.millesimes("reservations") else None
        )
    rng = np.random.default_rng(scenario.graine)
    vac = vacancies_from_store(dwellings, scenario, reservations, rng)
    apps = applications_from_store(applications, territory, communes, scenario, m)
    problem = build_problem(
        vac,
        apps,
        scenario.quotas(),
        scenario.thresholds(territory),
        k=scenario.k,
        aid=housing_aid(apps, communes, scenario.annee),
    )
    flows = scenario.flux if scenario.flux is not None else default_flows(reservations)
    return problem, flows


def _objectives(problem: AllocationProblem, table: pd.DataFrame) -> pd.DataFrame:
    q = problem.quotas
    out = table.copy()

    def target(epci: float | None, landlord: float | None) -> list[float | None]:
        return [
            epci if p == "EPCI" else landlord if p.startswith("bailleur") else None
            for p in out["perimetre"].tolist()
        ]

    out.insert(1, "objectif_q1_hors_qpv", target(q.q1_outside_qpv, q.q1_outside_qpv_landlord))
    out.insert(2, "objectif_hors_q1_en_qpv", target(q.non_q1_in_qpv, q.non_q1_in_qpv_landlord))
    # Priority publics: each reservataire's obligation, except the pools made of them.
    out.insert(
        3,
        "objectif_prioritaires",
        [
            q.priority_per_reservataire
            if p.startswith("réservataire ")
            and p.removeprefix("réservataire ") not in q.priority_exempt
            else None
            for p in out["perimetre"].tolist()
        ],
    )
    return out


#: The three objectives of the comparison: (share column, objective column, French title).
_INDICATORS = (
    ("part_q1_hors_qpv", "objectif_q1_hors_qpv", "Q1 ou relogés hors QPV"),
    ("part_hors_q1_en_qpv", "objectif_hors_q1_en_qpv", "hors Q1 en QPV"),
    ("part_prioritaires", "objectif_prioritaires", "publics prioritaires"),
)


def objectives_table(ind: pd.DataFrame, simulated: bool) -> pd.DataFrame:
    """Every objective of every partner for one scenario's indicators, in French: each cell is
    the share (the replicates' mean for a simulation), the objective, and whether it is met."""
    out = pd.DataFrame({"périmètre": ind["perimetre"]})
    for share, objective, title in _INDICATORS:
        values = ind[f"{share}_moyenne" if simulated else share]
        cells = []
        for value, goal in zip(values, ind[objective], strict=True):
            if goal is None or pd.isna(goal):
                cells.append(_percent(value))
            elif pd.isna(value):
                cells.append(f"— (objectif {_percent(goal)})")
            else:
                met = "atteint" if float(value) >= float(goal) - 1e-9 else "non atteint"
                cells.append(f"{_percent(value)} (objectif {_percent(goal)} : {met})")
        out[title] = cells
    return out


def _percent(x: Any) -> str:
    return "—" if x is None or pd.isna(x) else f"{100 * float(x):.1f} %".replace(".", ",")


def observed_q1_share(base: Path, millesime: int | None = None) -> tuple[int, float]:
    """Year and EPCI share of Q1-or-NPNRU attributions outside QPV observed in the store: the
    leases of the year before the millésime (latest millésime when None)."""
    from mixite.indicators.quotas import q1_threshold, quota_indicators
    from mixite.store import Store

    with Store(base, read_only=True) as store:
        m = millesime if millesime is not None else max(store.millesimes("attributions"))
        attributions = store.read("attributions", m)
        territory = store.read("territory", m)
    year = m - 1
    table = quota_indicators(
        attributions, year, q1_threshold(territory, year), levels=("territoire",), strict=False
    )
    row = table.loc[table["indicator"] == "q1_hors_qpv"]
    if row.empty or not np.isfinite(float(row["share"].iloc[0])):
        raise StoreError(
            f"Aucune attribution hors QPV en {year} dans « {base} » : la préférence de la "
            "commission ne peut pas être calibrée ; indiquez-la dans le scénario "
            "(commission.preference_solvabilite)."
        )
    return year, float(row["share"].iloc[0])


def calibrate_scenario(base: Path, scenario: Scenario) -> tuple[Scenario, str]:
    """The scenario with ``commission.preference_solvabilite`` calibrated so that its simulated
    EPCI share of Q1 attributions outside QPV matches the share observed in the store, and a
    French sentence saying so."""
    problem, flows = _problem(base, scenario)
    year, observed = observed_q1_share(base, scenario.millesime)
    preference, simulated = calibrate_solvency_preference(
        problem, scenario.simulation_config(flows), observed, scenario.graine
    )
    commission = scenario.commission.model_copy(update={"preference_solvabilite": preference})
    text = (
        f"Calibrage sur les attributions observées en {year} : part Q1 hors QPV observée "
        f"{_percent(observed)}, simulée {_percent(simulated)} avec une préférence de la commission "
        f"pour la solvabilité de {preference:.3f}."
    )
    return scenario.model_copy(update={"commission": commission}), text


def _with_unconstrained(
    problem: AllocationProblem, table: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """The optimiser's table with, per perimeter, the attributions of the optimum without any
    quota (``attributions_sans_objectifs``, ``hors_qpv_sans_objectifs``), and that optimum's
    total: the objectives are ratios, so the optimum may meet them by leaving dwellings that only
    non-qualifying applicants can take vacant; the difference shows how many."""
    free = optimise(dataclasses.replace(problem, quotas=Quotas()), polish=False)
    free.check()
    counts = quota_shares(problem.vacancies, problem.applications, free.vacancy, free.application)
    counts = counts.set_index("perimetre")[["attributions", "hors_qpv"]]
    counts.columns = ["attributions_sans_objectifs", "hors_qpv_sans_objectifs"]
    out = table.join(counts, on="perimetre")
    for column in counts.columns:
        out[column] = out[column].fillna(0).astype("int64")
    return out, len(free.selected)


def run_scenario(
    base: Path, scenario: Scenario, mode: Mode, lp_time_limit: float | None = None
) -> ScenarioRun:
    problem, flows = _problem(base, scenario)
    if mode == "optimiser":
        result = optimise(problem, with_lp_bound=True, lp_time_limit=lp_time_limit)
        result.check()
        dates = [pd.Timestamp(scenario.annee, 7, 1).date()] * len(result.selected)
        frame = _attributions_frame(
            problem.vacancies,
            problem.applications,
            result.vacancy,
            result.application,
            [str(r) for r in problem.vacancies.reservataire[result.vacancy]],
            dates,
            scenario.graine,
        )
        table = quota_shares(
            problem.vacancies, problem.applications, result.vacancy, result.application
        )
        table, free_total = _with_unconstrained(problem, table)
        gap = "—" if result.gap is None else f"{100 * result.gap:.3f} %".replace(".", ",")
        summary = (
            f"{scenario.nom} : {len(result.selected)} attributions sur {len(problem.vacancies)} "
            f"logements vacants ; objectifs respectés : {'oui' if result.feasible else 'non'} ; "
            f"écart à la borne : {gap} ; sans les objectifs, l'optimum attribuerait "
            f"{free_total} logements ({free_total - len(result.selected)} de plus)."
        )
    else:
        config = scenario.simulation_config(flows)
        runs = simulate_replicates(problem, config, scenario.graine, scenario.replicats)
        frame = runs[0].attributions
        table = replicate_intervals(problem, runs)
        mean_n = float(np.mean([len(r.vacancy) for r in runs]))
        summary = (
            f"{scenario.nom} : {mean_n:.0f} attributions en moyenne sur {len(problem.vacancies)} "
            f"logements vacants, {scenario.replicats} réplicats."
        )
    return ScenarioRun(scenario, problem, frame, _objectives(problem, table), summary)


def _landlord_names(base: Path) -> dict[str, str]:
    """SIREN → name of the landlords of the store at ``base``."""
    from mixite.reports.common import landlord_names
    from mixite.store import Store

    with Store(base, read_only=True) as store:
        return landlord_names(store)


def _perimeter_label(perimeter: str, names: dict[str, str]) -> str:
    """French label of a perimeter: the landlord's name before its SIREN when known, the
    reservataire's name (``schema.RESERVATAIRES``)."""
    kind, _, ident = perimeter.partition(" ")
    if kind == "bailleur" and ident in names:
        return f"{names[ident]} ({ident})"
    if kind == "réservataire" and ident in RESERVATAIRES:
        return f"Réservataire : {RESERVATAIRES[ident]}"
    return perimeter


def write_comparison(
    runs: list[ScenarioRun],
    mode: Mode,
    output: Path,
    names: dict[str, str],
    calibration: str = "",
) -> None:
    """``comparaison.html`` and ``comparaison.xlsx``: the scenarios side by side per perimeter,
    the first one as the baseline (simulations with their intervals across replicates)."""
    import plotly.graph_objects as go

    from mixite.reports.common import (
        Section,
        Sheet,
        plotly_div,
        render_page,
        table_html,
        write_xlsx,
    )

    simulated = mode == "simuler"
    column = "part_q1_hors_qpv_moyenne" if simulated else "part_q1_hors_qpv"
    base_ind = runs[0].indicators
    comparison = pd.DataFrame(
        {
            "perimetre": base_ind["perimetre"],
            "objectif_q1_hors_qpv": base_ind["objectif_q1_hors_qpv"].to_numpy(),
        }
    )
    for run in runs:
        series = run.indicators.set_index("perimetre")[column]
        comparison[run.scenario.nom] = comparison["perimetre"].map(series).to_numpy()
    label = [_perimeter_label(p, names) for p in comparison["perimetre"]]

    # Table: each share, with its interval across replicates for a simulation.
    shown = pd.DataFrame({"périmètre": label})
    shown["objectif"] = [_percent(x) for x in comparison["objectif_q1_hors_qpv"]]
    for run in runs:
        ind = run.indicators.set_index("perimetre").reindex(comparison["perimetre"])
        if simulated:
            shown[run.scenario.nom] = [
                f"{_percent(m)} [{_percent(lo)} ; {_percent(hi)}]"
                for m, lo, hi in zip(
                    ind["part_q1_hors_qpv_moyenne"],
                    ind["part_q1_hors_qpv_bas"],
                    ind["part_q1_hors_qpv_haut"],
                    strict=True,
                )
            ]
        else:
            shown[run.scenario.nom] = [_percent(x) for x in ind["part_q1_hors_qpv"]]

    # Chart: EPCI and landlords, one bar per scenario, the interval as error bars, the target.
    keep = ~comparison["perimetre"].str.startswith("réservataire")
    fig = go.Figure()
    for run in runs:
        ind = run.indicators.set_index("perimetre").reindex(comparison["perimetre"][keep])
        error = None
        if simulated:
            mean = ind["part_q1_hors_qpv_moyenne"].to_numpy(dtype=float)
            error = {
                "type": "data",
                "symmetric": False,
                "array": ind["part_q1_hors_qpv_haut"].to_numpy(dtype=float) - mean,
                "arrayminus": mean - ind["part_q1_hors_qpv_bas"].to_numpy(dtype=float),
            }
        fig.add_trace(
            go.Bar(
                name=run.scenario.nom,
                x=[lab for lab, k in zip(label, keep, strict=True) if k],
                y=ind[column].to_numpy(dtype=float),
                error_y=error,
            )
        )
    target = comparison.loc[comparison["perimetre"] == "EPCI", "objectif_q1_hors_qpv"]
    if len(target) and pd.notna(target.iloc[0]):
        fig.add_hline(
            y=float(target.iloc[0]),
            line_dash="dash",
            annotation_text=f"objectif {_percent(target.iloc[0])}",
        )
    fig.update_layout(
        barmode="group",
        yaxis_tickformat=".0%",
        yaxis_title="part Q1 ou relogés parmi les attributions hors QPV",
        legend_title="scénario",
    )

    verb = "simulées" if simulated else "optimisées"
    intro = [
        "<p>Part des attributions hors QPV aux ménages du premier quartile ou relogés "
        "(NPNRU/ORCOD), par périmètre ; le premier scénario sert de référence.</p>",
        "<ul>" + "".join(f"<li>{html_escape(r.summary)}</li>" for r in runs) + "</ul>",
    ]
    if simulated:
        intro.append(
            f"<p>Simulations : moyenne sur les réplicats et, entre crochets (barres du "
            f"graphique), l'intervalle à {100 * INTERVAL_LEVEL:.0f} % des réplicats.</p>"
        )
    if calibration:
        intro.append(f"<p>{html_escape(calibration)}</p>")
    sections = [
        Section("Synthèse", tuple(intro)),
        Section(
            "Part Q1 hors QPV par périmètre",
            (plotly_div(fig), table_html(shown)),
        ),
    ]
    every = []
    for run in runs:
        table = objectives_table(run.indicators, simulated)
        table["périmètre"] = [_perimeter_label(p, names) for p in table["périmètre"]]
        every.append(table_html(table, caption=run.scenario.nom))
    every.append(
        "<p class='note'>Objectifs de l'EPCI et des bailleurs : ceux du scénario (à défaut, "
        "les valeurs légales de l'année) ; publics prioritaires : obligation de chaque "
        "réservataire, dont le contingent préfectoral prioritaire est exempté (son vivier est "
        "prioritaire). " + ("Simulations : moyenne des réplicats." if simulated else "") + "</p>"
    )
    sections.append(Section("Tous les objectifs, par partenaire", tuple(every)))
    if not simulated:
        sections.append(Section("Ce que coûtent les objectifs", (_vacancy_block(runs, names),)))
    page = render_page(
        f"Attributions {verb} : comparaison des scénarios",
        "Produit par mixite · " + ", ".join(r.scenario.nom for r in runs),
        sections,
    )
    (output / "comparaison.html").write_text(page, encoding="utf-8")

    formats: dict[str, Any] = {c: "pct" for c in comparison.columns[1:]}
    sheets = [
        Sheet(
            "Comparaison",
            comparison,
            f"Attributions {verb} : part Q1 hors QPV par périmètre et par scénario",
            "Moyenne sur les réplicats pour une simulation." if simulated else "",
            formats,
        )
    ]
    for run in runs:
        ind = run.indicators
        sheets.append(
            Sheet(
                _slug(run.scenario.nom)[:31],
                ind,
                f"Indicateurs du scénario « {run.scenario.nom} »",
                run.summary,
                {c: "pct" for c in ind.columns if c.startswith(("part_", "objectif_"))},
            )
        )
    write_xlsx(output / "comparaison.xlsx", sheets)


def _vacancy_block(runs: list[ScenarioRun], names: dict[str, str]) -> str:
    """How many non-QPV dwellings each optimum lets, against the optimum without objectives."""
    from mixite.reports.common import table_html

    first = runs[0].indicators
    lets = pd.DataFrame({"périmètre": [_perimeter_label(p, names) for p in first["perimetre"]]})
    for run in runs:
        ind = run.indicators.set_index("perimetre").reindex(first["perimetre"])
        lets[run.scenario.nom] = [
            f"{n} sur {m}"
            for n, m in zip(ind["hors_qpv"], ind["hors_qpv_sans_objectifs"], strict=True)
        ]
    lets = lets.loc[~first["perimetre"].str.startswith("réservataire").to_numpy()]
    return (
        "<p>Les objectifs légaux sont des parts : l'optimum peut les atteindre en laissant "
        "vides des logements que seuls des ménages hors premier quartile peuvent prendre. "
        "« n sur m » : n logements hors QPV attribués avec les objectifs, m sans objectif "
        "(même problème). Un écart important signale un périmètre où l'objectif n'est "
        "atteignable qu'au prix de la vacance : les leviers sont alors les loyers, l'offre "
        "très sociale et les mutations, pas la seule commission (voir les marges de "
        "manœuvre).</p>"
        + table_html(lets, caption="Logements hors QPV attribués, avec les objectifs et sans eux")
        + "<p>Le fléchage est une règle du processus de commission : l'optimiseur choisit "
        "directement les attributions sous les objectifs et n'en dépend pas.</p>"
    )


def run_scenarios(
    base: Path,
    scenario_paths: list[Path],
    output: Path,
    mode: Mode,
    lp_time_limit: float | None = None,
    calibrate: bool = False,
    notes: list[str] | None = None,
) -> list[ScenarioRun]:
    """Run each scenario and write the files; the first scenario is the baseline.

    ``lp_time_limit`` bounds the HiGHS LP of each optimisation (seconds; None = no limit). With
    ``calibrate`` (simulation), the commission's preference for solvency is calibrated on the
    baseline against the store's observed attributions and applied to every scenario; the
    sentence that says so is appended to ``notes`` and to the comparison page."""
    output.mkdir(parents=True, exist_ok=True)
    scenarios = [load_scenario(p) for p in scenario_paths]
    calibration = ""
    if calibrate and mode == "simuler" and scenarios:
        calibrated, calibration = calibrate_scenario(base, scenarios[0])
        preference = calibrated.commission.preference_solvabilite
        scenarios = [
            s.model_copy(
                update={
                    "commission": s.commission.model_copy(
                        update={"preference_solvabilite": preference}
                    )
                }
            )
            for s in scenarios
        ]
        if notes is not None:
            notes.append(calibration)
    runs = [run_scenario(base, sc, mode, lp_time_limit) for sc in scenarios]
    for run in runs:
        slug = _slug(run.scenario.nom)
        write_attributions_csv(run.attributions, output / f"attributions_{slug}.csv")
        run.indicators.to_csv(
            output / f"indicateurs_{slug}.csv", sep=";", index=False, encoding="utf-8"
        )
    write_comparison(runs, mode, output, _landlord_names(base), calibration)
    return runs


def write_frontier(
    table: pd.DataFrame, output: Path, base: Path, scenario_name: str, landlord: str | None
) -> Path:
    """``frontiere.csv`` and ``frontiere.html`` of a frontier (``frontier.frontier``) of the EPCI
    or of one landlord; returns the page's path."""
    import plotly.graph_objects as go

    from mixite.reports.common import Section, plotly_div, render_page, table_html, write_csv_excel

    output.mkdir(parents=True, exist_ok=True)
    write_csv_excel(table, output / "frontiere.csv")
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
    scope = _perimeter_label(f"bailleur {landlord}", _landlord_names(base)) if landlord else "EPCI"
    reading = (
        "<p>Chaque point est l'allocation optimale des logements libérés de l'année quand la "
        "part des attributions hors QPV aux ménages du premier quartile ou relogés doit "
        "atteindre l'objectif de la ligne. Cet objectif remplace ceux du scénario : "
        + (
            "le problème est restreint aux logements de ce bailleur, dont c'est le seul "
            "objectif Q1 ; "
            if landlord
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
        f"Scénario {scenario_name} · produit par mixite",
        [
            Section("Lecture", (reading,)),
            Section("Frontière", (plotly_div(fig), table_html(shown, formats))),
        ],
    )
    (output / "frontiere.html").write_text(page, encoding="utf-8")
    return output / "frontiere.html"
