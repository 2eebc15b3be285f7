"""Cotation audit report: HTML page (tables + Plotly charts) and XLSX workbook.

Presentation only: every figure comes from ``engine`` and ``audit``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mixite.cotation.audit import Comparison
from mixite.cotation.engine import describe_condition
from mixite.cotation.grid import Grid
from mixite.reports.common import (
    Format,
    Section,
    Sheet,
    plotly_div,
    render_page,
    table_html,
    write_csv_excel,
    write_xlsx,
)

__all__ = ["AuditResult", "grid_table", "write_audit_report"]

#: Points drawn in the rank-versus-rank scatter (a seeded sample beyond that).
SCATTER_POINTS = 4000


@dataclass(frozen=True)
class AuditResult:
    """Everything the report shows for one grid (and optionally a comparison)."""

    grid: Grid
    millesime: int | None
    scores: pd.DataFrame
    distribution: pd.DataFrame
    groups: pd.DataFrame
    criteria: pd.DataFrame
    top_n: int | None
    waiting: pd.DataFrame | None = None
    other_grid: Grid | None = None
    comparison: Comparison | None = None
    positions: pd.DataFrame | None = None


def grid_table(grid: Grid) -> pd.DataFrame:
    """The grid as a French table: one row per criterion, plus seniority and refusal rules."""
    rows = []
    for section in grid.sections:
        if section.seniority is not None:
            cap = section.seniority.cap_cents
            rows.append(
                {
                    "Section": section.name,
                    "Rubrique": "Ancienneté",
                    "Mode": "—",
                    "Critère": "points par mois d'ancienneté"
                    + (f" (plafond {cap / 100:g})" if cap is not None else ""),
                    "Points": section.seniority.cents_per_month / 100,
                    "Justificatif": "non",
                    "Condition": "mois pleins depuis le dépôt",
                }
            )
        for rubric in section.rubrics:
            for criterion in rubric.criteria:
                rows.append(
                    {
                        "Section": section.name,
                        "Rubrique": rubric.name,
                        "Mode": "exclusive" if rubric.mode == "exclusive" else "cumulative",
                        "Critère": criterion.name,
                        "Points": criterion.cents / 100,
                        "Justificatif": "oui" if criterion.justified else "non",
                        "Condition": describe_condition(criterion.condition),
                    }
                )
        if section.refusals is not None:
            rule = section.refusals
            cap = rule.cap_cents
            rows.append(
                {
                    "Section": section.name,
                    "Rubrique": "Refus",
                    "Mode": "—",
                    "Critère": f"par refus au-delà de {rule.free}"
                    + (f" (pénalité maximale {cap / 100:g})" if cap is not None else ""),
                    "Points": -rule.cents_per_refusal / 100,
                    "Justificatif": "non",
                    "Condition": "refus d'une proposition adaptée",
                }
            )
    return pd.DataFrame(rows)


_DISTRIBUTION_FR = {
    "section": "Section",
    "applications": "Demandes cotées",
    "excluded": "Hors cotation",
    "mean": "Moyenne",
    "min": "Minimum",
    "p10": "1er décile",
    "p25": "1er quartile",
    "median": "Médiane",
    "p75": "3e quartile",
    "p90": "9e décile",
    "max": "Maximum",
}
_GROUPS_FR = {
    "dimension": "Dimension",
    "group": "Groupe",
    "applications": "Demandes cotées",
    "share_all": "Part parmi toutes",
    "share_top_decile": "Part dans le premier décile",
    "share_top_n": "Part dans les N premiers",
    "ratio_top_n": "Indice de représentation (N premiers)",
}
_CRITERIA_FR = {
    "section": "Section",
    "rubric": "Rubrique",
    "criterion": "Critère",
    "points": "Points",
    "justified": "Justificatif exigé",
    "condition": "Condition",
    "holds": "Demandes remplissant la condition",
    "counted": "Demandes créditées",
}
_COMPARE_GROUPS_FR = {
    "dimension": "Dimension",
    "group": "Groupe",
    "applications": "Demandes",
    "mean_places_gained": "Places gagnées (moyenne)",
    "share_gaining": "Part qui gagne",
    "share_losing": "Part qui perd",
    "share_top_n_a": "Part dans les N premiers (grille A)",
    "share_top_n_b": "Part dans les N premiers (grille B)",
}
_WAITING_FR = {
    "rooms_min": "Typologie minimale",
    "first_wished_commune": "Première commune souhaitée",
    "household_size": "Taille du ménage",
    "is_mutation": "Mutation",
    "dalo": "DALO",
    "adults": "Adultes",
    "pending": "Demandes en attente",
    "attributions_per_year": "Attributions par an",
    "waiting_months": "Délai indicatif (mois)",
}


def _blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values shown as « — » in the workbook (a column keeps its numbers otherwise)."""
    out = frame.copy()
    for col in out.columns:
        missing = out[col].isna().to_numpy()
        if missing.any():
            values = out[col].astype(object).to_numpy(copy=True)
            values[missing] = "—"
            out[col] = pd.Series(values, index=out.index, dtype=object)
    return out


def _fmt(frame: pd.DataFrame, kinds: dict[str, Format]) -> dict[str, Format]:
    return {c: kinds[c] for c in frame.columns if c in kinds}


def _histogram(scores: pd.DataFrame) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, part in scores.loc[~scores["excluded"]].groupby("section", sort=False):
        fig.add_trace(go.Histogram(x=part["score"], name=str(name), opacity=0.7, nbinsx=40))
    fig.update_layout(
        barmode="overlay",
        xaxis_title="Cotation (points)",
        yaxis_title="Demandes",
        height=380,
        margin={"t": 30},
    )
    return plotly_div(fig)


def _group_chart(groups: pd.DataFrame, with_top_n: bool) -> str:
    import plotly.graph_objects as go

    keep = groups.loc[groups["dimension"] != "Commune de résidence"]
    labels = keep["dimension"] + " : " + keep["group"]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(y=labels, x=keep["share_all"], name="Toutes les demandes", orientation="h")
    )
    fig.add_trace(
        go.Bar(y=labels, x=keep["share_top_decile"], name="Premier décile", orientation="h")
    )
    if with_top_n:
        fig.add_trace(go.Bar(y=labels, x=keep["share_top_n"], name="N premiers", orientation="h"))
    fig.update_layout(
        barmode="group",
        xaxis_tickformat=".0%",
        height=max(400, 28 * len(keep)),
        margin={"l": 320, "t": 30},
        yaxis={"autorange": "reversed"},
    )
    return plotly_div(fig)


def _comparison_charts(comparison: Comparison) -> list[str]:
    import plotly.graph_objects as go

    per_app = comparison.applications.dropna(subset=["rank_a", "rank_b"])
    if len(per_app) > SCATTER_POINTS:
        rng = np.random.default_rng(0)
        per_app = per_app.iloc[np.sort(rng.choice(len(per_app), SCATTER_POINTS, replace=False))]
    scatter = go.Figure(
        go.Scattergl(
            x=per_app["rank_a"].astype(float),
            y=per_app["rank_b"].astype(float),
            mode="markers",
            marker={"size": 4, "opacity": 0.5},
        )
    )
    scatter.update_layout(
        xaxis_title="Rang avec la grille A",
        yaxis_title="Rang avec la grille B",
        height=450,
        margin={"t": 30},
    )
    groups = comparison.groups.loc[comparison.groups["dimension"] != "Commune de résidence"]
    bars = go.Figure(
        go.Bar(
            y=groups["dimension"] + " : " + groups["group"],
            x=groups["mean_places_gained"],
            orientation="h",
        )
    )
    bars.update_layout(
        xaxis_title="Places gagnées en moyenne avec la grille B",
        height=max(400, 26 * len(groups)),
        margin={"l": 320, "t": 30},
        yaxis={"autorange": "reversed"},
    )
    return [plotly_div(scatter), plotly_div(bars)]


def write_audit_report(result: AuditResult, folder: Path) -> list[Path]:
    """Write ``cotation.html``, ``cotation.xlsx`` and ``cotation_scores.csv`` into ``folder``.

    Returns the written paths. Application ids are the store's pseudonyms.
    """
    folder.mkdir(parents=True, exist_ok=True)
    grid = result.grid
    grid_frame = grid_table(grid)
    distribution = result.distribution.rename(columns=_DISTRIBUTION_FR)
    groups = result.groups.rename(columns=_GROUPS_FR)
    criteria = result.criteria.rename(columns=_CRITERIA_FR)
    num: dict[str, Format] = {
        "Points": "float",
        "Demandes cotées": "int",
        "Hors cotation": "int",
        "Demandes remplissant la condition": "int",
        "Demandes créditées": "int",
        "Part parmi toutes": "pct",
        "Part dans le premier décile": "pct",
        "Part dans les N premiers": "pct",
        "Indice de représentation (N premiers)": "float",
        "Demandes": "int",
        "Places gagnées (moyenne)": "float",
        "Part qui gagne": "pct",
        "Part qui perd": "pct",
        "Part dans les N premiers (grille A)": "pct",
        "Part dans les N premiers (grille B)": "pct",
        "Demandes en attente": "int",
        "Attributions par an": "float",
        "Délai indicatif (mois)": "float",
        "Typologie minimale": "int",
    }
    num |= {
        v: "float"
        for k, v in _DISTRIBUTION_FR.items()
        if k not in ("section", "applications", "excluded")
    }
    label = " (grille illustrative)" if grid.illustrative else ""
    millesime = f", millésime {result.millesime}" if result.millesime is not None else ""
    top_note = (
        f"N = {result.top_n} attributions annuelles."
        if result.top_n is not None
        else "N inconnu (aucune attribution dans la base)."
    )
    rank_note = (
        "Classement : cotation décroissante, puis date de dépôt la plus ancienne, puis numéro. "
        "Le premier décile est le premier dixième du classement ; les N premiers sont les N "
        "premiers rangs. " + top_note
    )
    if "Premier quartile (Q1)" not in set(result.groups["dimension"]):
        rank_note += (
            " Groupe Q1 absent : le seuil du premier quartile ou l'échelle des unités de "
            "consommation n'est pas connu pour ce territoire et cette date."
        )
    sections = [
        Section(
            "La grille",
            (
                f"<p>{html.escape(grid.description or '')}</p>",
                table_html(grid_frame, _fmt(grid_frame, num), caption=grid.name),
            ),
            "grille",
        ),
        Section(
            "Distribution des cotations",
            (
                table_html(distribution, _fmt(distribution, num)),
                _histogram(result.scores),
            ),
            "distribution",
        ),
        Section(
            "Qui la grille place en tête",
            (
                f'<p class="note">{html.escape(rank_note)}</p>',
                _group_chart(result.groups, result.top_n is not None),
                table_html(groups, _fmt(groups, num)),
            ),
            "groupes",
        ),
        Section(
            "Critères",
            (table_html(criteria, _fmt(criteria, num)),),
            "criteres",
        ),
    ]
    sheets = [
        Sheet("Grille", grid_frame, grid.name + label, grid.reference or "", _fmt(grid_frame, num)),
        Sheet(
            "Distribution", distribution, "Distribution des cotations", "", _fmt(distribution, num)
        ),
        Sheet(
            "Groupes",
            groups,
            "Parts des groupes en tête de classement",
            rank_note,
            _fmt(groups, num),
        ),
        Sheet("Critères", criteria, "Fréquence des critères", "", _fmt(criteria, num)),
    ]
    if result.waiting is not None:
        waiting = result.waiting.rename(columns=_WAITING_FR)
        note = (
            "Délai indicatif = 12 × demandes similaires en attente / attributions similaires "
            "par an (écoulement du stock, loi de Little) : une estimation, pas une mesure."
        )
        sections.append(
            Section(
                "Délais d'attente indicatifs",
                (table_html(waiting, _fmt(waiting, num), note=note),),
                "delais",
            )
        )
        sheets.append(
            Sheet("Délais", waiting, "Délais d'attente indicatifs", note, _fmt(waiting, num))
        )
    moves: pd.DataFrame | None = None
    if result.comparison is not None and result.other_grid is not None:
        cmp = result.comparison
        summary = cmp.summary.rename(columns={"indicator": "Indicateur", "value": "Valeur"})
        cgroups = cmp.groups.rename(columns=_COMPARE_GROUPS_FR)
        intro = (
            f"Grille A : {grid.name}. Grille B : {result.other_grid.name}. "
            "Places gagnées = rang avec A − rang avec B (positif : la grille B fait remonter "
            "la demande)."
        )
        sections.append(
            Section(
                "Comparaison de deux grilles",
                (
                    f"<p>{html.escape(intro)}</p>",
                    table_html(summary, {"Valeur": "float"}),
                    *_comparison_charts(cmp),
                    table_html(cgroups, _fmt(cgroups, num)),
                ),
                "comparaison",
            )
        )
        moves = cmp.applications.rename(
            columns={
                "application_id": "Demande (pseudonyme)",
                "score_a": "Cotation A",
                "score_b": "Cotation B",
                "rank_a": "Rang A",
                "rank_b": "Rang B",
                "places_gained": "Places gagnées",
                "top_n_a": "Dans les N premiers (A)",
                "top_n_b": "Dans les N premiers (B)",
            }
        )
        sheets += [
            Sheet(
                "Comparaison", summary, "Comparaison de deux grilles", intro, {"Valeur": "float"}
            ),
            Sheet(
                "Comparaison groupes",
                cgroups,
                "Gains et pertes par groupe",
                intro,
                _fmt(cgroups, num),
            ),
        ]
    page = render_page(
        f"Cotation : {grid.name}{label}",
        f"Audit de la grille{millesime}. La cotation est une aide à la décision, pas un ordre "
        "d'attribution.",
        sections,
    )
    html_path = folder / "cotation.html"
    html_path.write_text(page, encoding="utf-8")
    xlsx_path = write_xlsx(
        folder / "cotation.xlsx",
        [Sheet(sh.name, _blank_missing(sh.frame), sh.title, sh.note, sh.formats) for sh in sheets],
    )
    scores = result.scores.drop(columns=["score_cents"]).rename(
        columns={
            "application_id": "demande",
            "section": "section",
            "excluded": "hors_cotation",
            "seniority_points": "points_anciennete",
            "refusal_penalty": "penalite_refus",
            "score": "cotation",
        }
    )
    if result.positions is not None:
        scores["rang_parmi_similaires"] = result.positions["rank"].array
        scores["demandes_similaires"] = result.positions["group_size"].array
    csv_path = write_csv_excel(scores, folder / "cotation_demandes.csv")
    written = [html_path, xlsx_path, csv_path]
    if moves is not None:
        # One row per application: a CSV, the workbook keeps the summaries.
        written.append(write_csv_excel(moves, folder / "cotation_comparaison_demandes.csv"))
    return written
