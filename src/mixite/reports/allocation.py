"""Allocation reports: a year of attributions under several scenarios, and the frontier.

Files written in the output folder, per scenario ``<nom>`` (slug):

* ``attributions_<nom>.csv``, only when asked (``details=True``, CLI ``--details-menages``):
  attributions in mixite's CSV format (French headers of the ``attributions`` table, ``;``, ISO
  dates, booleans 0/1); for a simulation, the first replicate. These are personal data, one row
  per household (RPLS dwelling identifier beside the applicant's pseudonym, household size and
  resources): never written by default, never by ``mixite demo``;
* ``indicateurs_<nom>.csv``: the objectives per partner (EPCI, landlords, reservataires) with
  their targets, and for a simulation the mean and the 90 % interval across replicates;
* ``comparaison.html`` and ``comparaison.xlsx``: the scenarios side by side (the first one is the
  baseline), per partner, every objective of every partner, and for an optimisation what the
  objectives cost in dwellings left vacant.

``write_frontier`` writes ``frontiere.csv`` and ``frontiere.html``. Presentation only: every
figure comes from the allocation jobs' results (``mixite.jobs.allocation``).
"""

from __future__ import annotations

import re
import unicodedata
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.jobs.results import AllocationRuns, FrontierResult, Names, ScenarioRun
from mixite.reports import fr
from mixite.reports.common import (
    Section,
    Sheet,
    plotly_div,
    render_page,
    table_html,
    write_csv_excel,
    write_xlsx,
)
from mixite.reports.fr import Format
from mixite.schema import ATTRIBUTIONS
from mixite.vocabulary import Indicator, Level

__all__ = [
    "merged_note",
    "objectives_table",
    "run_summary",
    "write_allocation",
    "write_attributions_csv",
    "write_frontier",
]

#: The simulation's interval across replicates (``allocation.simulate.INTERVAL_LEVEL``).
_INTERVAL_NOTE = "l'intervalle à 90 % des réplicats"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "scenario"


def write_attributions_csv(frame: pd.DataFrame, path: Path) -> None:
    """Attributions in mixite's CSV format (readable by ``read_table`` with no option).

    Personal data (one row per household): written only on the user's explicit request. A text
    cell that a spreadsheet would take for a formula gets a leading apostrophe
    (``reports.safe``); numbers and dates are unchanged.
    """
    from mixite.reports.safe import neutralise_frame

    out = frame.copy()
    for col in ATTRIBUTIONS.columns:
        if col.dtype == "bool":
            out[col.name] = out[col.name].astype(int)
        elif col.dtype == "date":
            out[col.name] = out[col.name].dt.strftime("%Y-%m-%d")
    out.columns = [c.header for c in ATTRIBUTIONS.columns]
    neutralise_frame(out).to_csv(path, sep=";", index=False, encoding="utf-8")


def _partner(level: str, group: Any, names: Names) -> str:
    """The partner of a result row, named: the EPCI, a landlord (« name (SIREN) »), a
    reservataire."""
    if level == Level.RESERVATAIRE:
        return f"Réservataire : {fr.group_label(level, group, names)}"
    if level == Level.EPCI:
        return names.territory or "EPCI"
    return fr.group_label(level, group, names, with_code=True)


def run_summary(run: ScenarioRun) -> str:
    """One French sentence on a scenario's year."""
    f = run.figures
    vacancies = fr.integer(f["vacancies"])
    name = run.scenario.nom
    if run.mode == "optimiser":
        gap = "—" if f.get("gap") is None else fr.percent(f["gap"], 3)
        total = f["attributions"] or 0.0
        free = f["attributions_free"] or 0.0
        return (
            f"{name} : {fr.integer(total)} attributions sur {vacancies} logements vacants ; "
            f"objectifs respectés : {fr.yes_no(f['feasible'])} ; écart à la borne : {gap} ; "
            f"sans les objectifs, l'optimum attribuerait {fr.integer(free)} logements "
            f"({fr.integer(free - total)} de plus)."
        )
    return (
        f"{name} : {fr.integer(f['attributions'])} attributions en moyenne sur {vacancies} "
        f"logements vacants, {fr.integer(f['replicates'])} réplicats."
    )


def _q1_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    rows = indicators.loc[indicators["indicator"] == Indicator.Q1_OUTSIDE_QPV]
    return rows.set_index(["level", "group"])


#: The three objectives of the comparison, with their column titles.
_OBJECTIVES = (
    (Indicator.Q1_OUTSIDE_QPV, "Q1 ou relogés hors QPV"),
    (Indicator.NON_Q1_IN_QPV, "hors Q1 en QPV"),
    (Indicator.PRIORITY, "publics prioritaires"),
)


def objectives_table(indicators: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Every objective of every partner for one scenario, in French: each cell is the share
    (the replicates' mean for a simulation), the target, and whether it is met."""
    keys = indicators[["level", "group"]].drop_duplicates()
    out = pd.DataFrame(
        {
            "périmètre": [
                _partner(lv, g, names) for lv, g in zip(keys["level"], keys["group"], strict=True)
            ]
        }
    )
    for indicator, title in _OBJECTIVES:
        part = indicators.loc[indicators["indicator"] == indicator].set_index(["level", "group"])
        cells = []
        for lv, g in zip(keys["level"], keys["group"], strict=True):
            if (lv, g) not in part.index:
                cells.append(fr.MISSING)
                continue
            value, goal = part.loc[(lv, g), "share"], part.loc[(lv, g), "target"]
            national = part["target_national"].get((lv, g)) if "target_national" in part else None
            beside = (
                f", national {fr.percent(national)}"
                if national is not None
                and pd.notna(national)
                and pd.notna(goal)
                and abs(float(national) - float(goal)) > 1e-12
                else ""
            )
            if pd.isna(goal):
                cells.append(fr.percent(value))
            elif pd.isna(value):
                cells.append(f"— (objectif {fr.percent(goal)}{beside})")
            else:
                met = "atteint" if float(value) >= float(goal) - 1e-9 else "non atteint"
                cells.append(f"{fr.percent(value)} (objectif {fr.percent(goal)}{beside} : {met})")
        out[title] = cells
    return out


_INDICATOR_HEADERS = {
    "level": "Échelle",
    "partner": "Partenaire",
    "group": "Code",
    "indicator": "Objectif",
    "denominator": "Attributions concernées",
    "numerator": "Attributions au public cible",
    "share": "Part réalisée",
    "share_low": "Intervalle (bas)",
    "share_high": "Intervalle (haut)",
    "target": "Objectif (part)",
    "target_national": "Objectif national (part)",
    "attributions_free": "Attributions sans objectifs",
    "outside_qpv_free": "Attributions hors QPV sans objectifs",
}


def indicators_frame(run: ScenarioRun, names: Names) -> tuple[pd.DataFrame, dict[str, Format]]:
    """A scenario's quota results with French headers and words, for the CSV and the workbook."""
    ind = run.published.copy()
    ind.insert(
        1,
        "partner",
        [fr.group_label(lv, g, names) for lv, g in zip(ind["level"], ind["group"], strict=True)],
    )
    # the EPCI's SIREN and landlords' SIRENs as codes; a reservataire's key when it has an
    # identifier (commune:96001), none for a bare type (action_logement)
    ind["group"] = [
        "" if lv == Level.RESERVATAIRE and ":" not in str(g) else str(g)
        for lv, g in zip(ind["level"], ind["group"], strict=True)
    ]
    ind["level"] = ind["level"].map(lambda c: fr.LEVEL_LABELS.get(c, c))
    ind["indicator"] = ind["indicator"].map(lambda c: fr.INDICATOR_SHORT_LABELS.get(c, c))
    headers = dict(_INDICATOR_HEADERS)
    if run.mode == "simuler":  # counts are means over the replicates
        for key in ("denominator", "numerator"):
            headers[key] += " (moyenne des réplicats)"
    frame = ind.rename(columns=headers)
    kinds: dict[str, Format] = {}
    for key, header in headers.items():
        if key.startswith("share") or key.startswith("target"):
            kinds[header] = "pct"
        elif key in ("denominator", "numerator", "attributions_free", "outside_qpv_free"):
            kinds[header] = "float" if run.mode == "simuler" else "int"
    return frame, kinds


def _vacancy_block(runs: AllocationRuns) -> str:
    """How many non-QPV dwellings each optimum lets, against the optimum without objectives."""
    first = _q1_rows(runs.runs[0].published)
    first = first.loc[first.index.get_level_values("level") != Level.RESERVATAIRE]
    lets = pd.DataFrame({"périmètre": [_partner(lv, g, runs.names) for lv, g in first.index]})
    for run in runs.runs:
        ind = _q1_rows(run.published).reindex(first.index)
        lets[run.scenario.nom] = [
            f"{fr.integer(n)} sur {fr.integer(m)}"
            for n, m in zip(ind["denominator"], ind["outside_qpv_free"], strict=True)
        ]
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


def _calibration_sentence(calibration: dict[str, float] | Any) -> str:
    return (
        f"Calibrage sur les attributions observées en {int(calibration['year'])} : part Q1 hors "
        f"QPV observée {fr.percent(calibration['observed'])}, simulée "
        f"{fr.percent(calibration['simulated'])} avec une préférence de la commission pour la "
        f"solvabilité de {fr.decimal(calibration['preference'], 3)}."
    )


def merged_note(name: str, same: str, mode: str) -> str:
    """Why a scenario was not run: it gives the same problem as an earlier one."""
    if mode == "optimiser":
        return (
            f"Le scénario « {name} » donne le même optimum que « {same} » : le fléchage, "
            "l'acceptation des propositions et les règles de la commission ne concernent que les "
            "commissions simulées ; l'optimiseur choisit directement les attributions. Il n'est "
            "pas présenté à part."
        )
    return f"Le scénario « {name} » est identique à « {same} » : il n'est pas présenté à part."


def calibration_note(runs: AllocationRuns) -> str:
    """The sentence saying how the commission was calibrated ("" when it was not)."""
    return _calibration_sentence(runs.calibration) if runs.calibration else ""


def write_allocation(runs: AllocationRuns, output: Path, details: bool = False) -> list[Path]:
    """Write every scenario's indicators, and the comparison page and workbook; returns the
    comparison's paths (HTML, XLSX). With ``details``, also each scenario's attributions, one
    row per household (``donnees/attributions_<nom>.csv``, personal data)."""
    import plotly.graph_objects as go

    output.mkdir(parents=True, exist_ok=True)
    names = runs.names
    simulated = runs.mode == "simuler"
    for run in runs.runs:
        slug = _slug(run.scenario.nom)
        if details:
            # the attributions in mixite's input format (re-importable, codes as in the data
            # files): personal data, only on request (--details-menages)
            data = output / "donnees"
            data.mkdir(exist_ok=True)
            write_attributions_csv(run.attributions, data / f"attributions_{slug}.csv")
        frame, _ = indicators_frame(run, names)
        write_csv_excel(frame, output / f"indicateurs_{slug}.csv")

    base = _q1_rows(runs.runs[0].published)
    labels = [_partner(lv, g, names) for lv, g in base.index]
    # Table: each share, with its interval across replicates for a simulation.
    shown = pd.DataFrame({"périmètre": labels})
    shown["objectif"] = [fr.percent(x) for x in base["target"]]
    comparison = pd.DataFrame({"périmètre": labels, "objectif": base["target"].to_numpy()})
    for run in runs.runs:
        ind = _q1_rows(run.published).reindex(base.index)
        comparison[run.scenario.nom] = ind["share"].to_numpy()
        if simulated:
            shown[run.scenario.nom] = [
                f"{fr.percent(m)} [{fr.percent(lo)} ; {fr.percent(hi)}]"
                for m, lo, hi in zip(ind["share"], ind["share_low"], ind["share_high"], strict=True)
            ]
        else:
            shown[run.scenario.nom] = [fr.percent(x) for x in ind["share"]]

    # Chart: EPCI and landlords, one bar per scenario, the interval as error bars, the target.
    keep = base.index.get_level_values("level") != Level.RESERVATAIRE
    fig = go.Figure()
    for run in runs.runs:
        ind = _q1_rows(run.published).reindex(base.index[keep])
        error = None
        if simulated:
            mean = ind["share"].to_numpy(dtype=float)
            error = {
                "type": "data",
                "symmetric": False,
                "array": ind["share_high"].to_numpy(dtype=float) - mean,
                "arrayminus": mean - ind["share_low"].to_numpy(dtype=float),
            }
        fig.add_trace(
            go.Bar(
                name=run.scenario.nom,
                x=[lab for lab, k in zip(labels, keep, strict=True) if k],
                y=ind["share"].to_numpy(dtype=float),
                error_y=error,
            )
        )
    target = base.loc[base.index.get_level_values("level") == Level.EPCI, "target"]
    if len(target) and pd.notna(target.iloc[0]):
        fig.add_hline(
            y=float(target.iloc[0]),
            line_dash="dash",
            annotation_text=f"objectif {fr.percent(target.iloc[0])}",
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
        "<ul>" + "".join(f"<li>{html_escape(run_summary(r))}</li>" for r in runs.runs) + "</ul>",
    ]
    if simulated:
        intro.append(
            "<p>Simulations : moyenne sur les réplicats et, entre crochets (barres du "
            f"graphique), {_INTERVAL_NOTE}.</p>"
        )
    if runs.calibration:
        intro.append(f"<p>{html_escape(calibration_note(runs))}</p>")
    for name, same in runs.merged.items():
        intro.append(f'<p class="note">{html_escape(merged_note(name, same, runs.mode))}</p>')
    sections = [
        Section("Synthèse", tuple(intro)),
        Section("Part Q1 hors QPV par périmètre", (plotly_div(fig), table_html(shown))),
    ]
    every = [
        table_html(objectives_table(run.published, names), caption=run.scenario.nom)
        for run in runs.runs
    ]
    every.append(
        "<p class='note'>Objectifs de l'EPCI et des bailleurs : ceux du scénario (à défaut, "
        "les valeurs légales de l'année) ; publics prioritaires : obligation de chaque "
        "réservataire, dont le contingent préfectoral prioritaire est exempté (son vivier est "
        "prioritaire). " + ("Simulations : moyenne des réplicats." if simulated else "") + "</p>"
    )
    sections.append(Section("Tous les objectifs, par partenaire", tuple(every)))
    if not simulated:
        sections.append(Section("Ce que coûtent les objectifs", (_vacancy_block(runs),)))
    page = render_page(
        f"Attributions {verb} : comparaison des scénarios",
        "Produit par mixite · " + ", ".join(r.scenario.nom for r in runs.runs),
        sections,
    )
    html_path = output / "comparaison.html"
    html_path.write_text(page, encoding="utf-8")

    formats: dict[str, Format] = {c: "pct" for c in comparison.columns[1:]}
    sheets = [
        Sheet(
            "Comparaison",
            comparison,
            f"Attributions {verb} : part Q1 hors QPV par périmètre et par scénario",
            "Moyenne sur les réplicats pour une simulation." if simulated else "",
            formats,
        )
    ]
    for run in runs.runs:
        frame, kinds = indicators_frame(run, names)
        sheets.append(
            Sheet(
                run.scenario.nom[:31],
                frame,
                f"Indicateurs du scénario « {run.scenario.nom} »",
                run_summary(run),
                kinds,
            )
        )
    xlsx_path = write_xlsx(output / "comparaison.xlsx", sheets)
    return [html_path, xlsx_path]


_FRONTIER_HEADERS = {
    "target": "objectif Q1 hors QPV",
    "feasible": "réalisable",
    "share": "part atteinte",
    "attributions": "attributions",
    "attributions_outside_qpv": "dont hors QPV",
    "priority_score": "score de priorité",
    "score_given_up": "score sacrifié",
    "objective": "valeur optimisée",
    "bound": "borne",
}
_FRONTIER_KINDS: tuple[Format, ...] = (
    "pct", "text", "pct", "int", "int", "float", "float", "float", "float",
)  # fmt: skip


def write_frontier(result: FrontierResult, output: Path) -> Path:
    """``frontiere.csv`` and ``frontiere.html`` of a frontier of the EPCI or of one landlord;
    returns the page's path."""
    import plotly.graph_objects as go

    output.mkdir(parents=True, exist_ok=True)
    table = result.table
    shown = table[list(_FRONTIER_HEADERS)].rename(columns=_FRONTIER_HEADERS)
    shown["réalisable"] = shown["réalisable"].map(fr.yes_no)
    write_csv_excel(shown, output / "frontiere.csv")
    fig = go.Figure(
        go.Scatter(
            x=table["score_given_up"],
            y=table["share"],
            mode="lines+markers",
            text=[
                f"objectif {fr.percent(a, 0)}, {fr.integer(n)} attributions"
                for a, n in zip(table["target"], table["attributions"], strict=True)
            ],
        )
    )
    fig.update_layout(
        title="Part Q1 hors QPV atteignable selon le score de priorité sacrifié",
        xaxis_title="score de priorité sacrifié",
        yaxis_title="part des attributions hors QPV au 1er quartile ou relogés",
        yaxis_tickformat=".1%",
    )
    landlord = result.landlord
    scope = _partner(Level.LANDLORD, landlord, result.names) if landlord else "EPCI"
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
    formats: dict[str, Format] = dict(zip(_FRONTIER_HEADERS.values(), _FRONTIER_KINDS, strict=True))
    page = render_page(
        f"Frontière des marges de manœuvre — {scope}",
        f"Scénario {result.scenario_name} · produit par mixite",
        [
            Section("Lecture", (reading,)),
            Section("Frontière", (plotly_div(fig), table_html(shown, formats))),
        ],
    )
    path = output / "frontiere.html"
    path.write_text(page, encoding="utf-8")
    return path
