"""Cotation reports: the audit of a grid (HTML page with Plotly charts, XLSX workbook, CSV of
the scores) and the letter an applicant receives.

Presentation only: every figure comes from the cotation jobs' results (``mixite.jobs.cotation``).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mixite.jobs.results import ApplicantResult, AuditResult, Names
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
from mixite.schema import PRIORITY_CODES

if TYPE_CHECKING:
    from mixite.cotation.audit import Comparison

__all__ = ["applicant_letter", "grid_table", "write_audit_report"]

#: Points drawn in the rank-versus-rank scatter (a seeded sample beyond that).
SCATTER_POINTS = 4000


_GRID_FR = {
    "section": "Section",
    "rubric": "Rubrique",
    "mode": "Mode",
    "criterion": "Critère",
    "points": "Points",
    "justified": "Justificatif",
    "condition": "Condition",
}


def grid_table(grid_rows: pd.DataFrame) -> pd.DataFrame:
    """The grid as a French table: one row per criterion, seniority and refusal rules."""
    out = grid_rows.rename(columns=_GRID_FR)
    out["Justificatif"] = out["Justificatif"].map(fr.yes_no)
    return out


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
_SCORES_FR = {
    "application_id": "Demande (pseudonyme)",
    "section": "Section",
    "excluded": "Hors cotation",
    "seniority_points": "Points d'ancienneté",
    "refusal_penalty": "Pénalité de refus",
    "score": "Cotation",
}


def _named_communes(frame: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The communes of the similarity keys named, their codes beside."""
    out = frame.copy()
    for column in ("first_wished_commune", "commune_residence"):
        if column in out:
            position = list(out.columns).index(column)
            codes = out[column]
            out[column] = [fr.MISSING if pd.isna(c) else names.commune(c) for c in codes]
            out.insert(
                position + 1, f"{column}_code", codes.astype(object).where(codes.notna(), "")
            )
    if "is_mutation" in out:
        out["is_mutation"] = out["is_mutation"].map(fr.yes_no)
    if "dalo" in out:
        out["dalo"] = out["dalo"].map(fr.yes_no)
    return out


def _named_groups(groups: pd.DataFrame, names: Names) -> pd.DataFrame:
    """The communes of residence of the audit's groups named."""
    out = groups.copy()
    rows = out["Dimension"] == "Commune de résidence"
    out.loc[rows, "Groupe"] = [
        f"{names.commune(c)} ({c})" if names.commune(c) != str(c) else str(c)
        for c in out.loc[rows, "Groupe"]
    ]
    return out


_WAITING_FR = {
    "first_wished_commune_code": "Code de la commune souhaitée",
    "commune_residence_code": "Code de la commune de résidence",
    "commune_residence": "Commune de résidence",
    "rooms_min": "Typologie minimale",
    "first_wished_commune": "Première commune souhaitée",
    "household_size": "Taille du ménage",
    "is_mutation": "Mutation",
    "dalo": "DALO",
    "adults": "Adultes",
    "pending": "Demandes en attente",
    "attributions_per_year": "Attributions par an",
    "cases": "Attributions dont le dépôt est connu",
    "observed_months": "Délai observé (mois)",
    "estimated_months": "Délai estimé (mois)",
    "waiting_months": "Délai retenu (mois)",
    "method": "Méthode",
}
_METHOD_FR = {"observe": "observé", "estimation": "estimation (stock / flux)"}


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
    grid_frame = grid_table(result.grid_rows)
    distribution = result.distribution.rename(columns=_DISTRIBUTION_FR)
    groups = result.groups.rename(columns=_GROUPS_FR)
    criteria = result.criteria.rename(columns=_CRITERIA_FR)
    if "Justificatif exigé" in criteria:
        criteria["Justificatif exigé"] = criteria["Justificatif exigé"].map(fr.yes_no)
    groups = _named_groups(groups, result.names)
    num: dict[str, Format] = {
        "Points": "points",
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
        "Attributions dont le dépôt est connu": "int",
        "Délai observé (mois)": "float",
        "Délai estimé (mois)": "float",
        "Délai retenu (mois)": "float",
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
        named = _named_communes(result.waiting, result.names)
        waiting = named.assign(
            method=named["method"].map(lambda m: _METHOD_FR.get(m, fr.MISSING))
        ).rename(columns=_WAITING_FR)
        note = (
            "Délai observé = durée moyenne entre le dépôt de la demande et la signature du bail "
            "des attributions similaires (même typologie, même commune) ; il est retenu à partir "
            "d'un nombre minimal d'attributions similaires, fixé dans les paramètres de la cotation. "
            "En dessous, le délai retenu est une estimation : 12 × demandes similaires en "
            "attente / attributions similaires par an (écoulement du stock, loi de Little). "
            "Les délais observés sur moins d'attributions que le seuil du secret statistique "
            "sont masqués."
        )
        sections.append(
            Section(
                "Délais d'attente des demandes similaires",
                (table_html(waiting, _fmt(waiting, num), note=note),),
                "delais",
            )
        )
        sheets.append(
            Sheet(
                "Délais",
                waiting,
                "Délais d'attente des demandes similaires",
                note,
                _fmt(waiting, num),
            )
        )
    moves: pd.DataFrame | None = None
    if result.comparison is not None and result.other_grid is not None:
        cmp = result.comparison
        summary = cmp.summary.rename(columns={"indicator": "Indicateur", "value": "Valeur"})
        cgroups = _named_groups(cmp.groups.rename(columns=_COMPARE_GROUPS_FR), result.names)
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
        for column in ("Dans les N premiers (A)", "Dans les N premiers (B)"):
            if column in moves:
                moves[column] = moves[column].map(fr.yes_no)
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
    scores = result.scores.drop(columns=["score_cents"]).rename(columns=_SCORES_FR)
    scores["Hors cotation"] = scores["Hors cotation"].map(fr.yes_no)
    if result.positions is not None:
        scores["Rang parmi les demandes similaires"] = result.positions["rank"].array
        scores["Demandes similaires"] = result.positions["group_size"].array
    csv_path = write_csv_excel(scores, folder / "cotation_demandes.csv")
    written = [html_path, xlsx_path, csv_path]
    if moves is not None:
        # One row per application: a CSV, the workbook keeps the summaries.
        written.append(write_csv_excel(moves, folder / "cotation_comparaison_demandes.csv"))
    return written


# ---------------------------------------------------------------------------------------------
# The applicant's letter
# ---------------------------------------------------------------------------------------------


def applicant_letter(result: ApplicantResult) -> str:
    """The text an applicant receives (décret n° 2019-1378): score and detail, position among
    similar applications, waiting time of similar applications, priority status and the refusal
    rule."""
    explanation = result.explanation
    row = result.application
    grid = result.grid
    out: list[str] = []
    title = f"Cotation de votre demande n° {result.number}"
    out += [title, "=" * len(title), ""]
    out.append(f"Grille : {grid.name}" + (" (grille illustrative)" if grid.illustrative else ""))
    out.append(f"Section de la grille : {explanation.section}")
    out.append("")
    if explanation.excluded:
        out.append(
            "Votre demande n'est pas cotée : elle relève d'un autre circuit de désignation "
            f"({explanation.exclusion_reason})."
        )
    else:
        out.append(f"Votre cotation : {fr.n_points(explanation.score)}")
        out.append("")
        out.append("Détail :")
        for line in explanation.lines:
            values = "; ".join(f"{k} : {v}" for k, v in line.values)
            sign = "+" if line.points >= 0 else "−"
            out.append(
                f"  {sign} {fr.points(abs(line.points))} — {line.rubric} / {line.criterion}"
                f" ({line.note}) [{values}]"
            )
        out.append(f"  = {fr.n_points(explanation.total())}")
    out.append("")
    position = result.position
    if position is not None and not pd.isna(position["rank"]):
        out.append(
            f"Position parmi les demandes similaires : rang {int(position['rank'])} sur "
            f"{int(position['group_size'])} (demandes de même {result.similarity})."
        )
    if result.waiting is not None:
        months = result.waiting["waiting_months"]
        method = result.waiting.get("method")
        raw_cases = result.waiting.get("cases")
        cases = 0 if raw_cases is None or pd.isna(raw_cases) else int(raw_cases)
        if pd.isna(months):
            out.append(
                "Délai d'attente des demandes similaires : non estimable (aucune attribution "
                "similaire sur la période observée)."
            )
        else:
            rounded = round(float(months))
            years = f" (soit environ {rounded // 12} ans)" if rounded >= 36 else ""
            if method == "observe":
                out.append(
                    f"Délai d'attente moyen des demandes similaires satisfaites : environ "
                    f"{fr.integer(rounded)} mois{years}, du dépôt de la demande à la signature "
                    f"du bail, observé sur {fr.integer(cases)} attributions (ce n'est pas un "
                    "engagement)."
                )
            else:
                observed = (
                    f"seulement {fr.integer(cases)} attribution{'s' if cases > 1 else ''} "
                    "similaire" + ("s" if cases > 1 else "")
                    if cases
                    else "aucune attribution similaire"
                )
                out.append(
                    f"Délai d'attente estimé pour des demandes similaires : environ "
                    f"{fr.integer(rounded)} mois{years} (estimation par les demandes similaires "
                    f"en attente et les attributions similaires par an, faute d'un délai "
                    f"observé : {observed} dont la date de dépôt est connue ; ce n'est pas un "
                    "engagement)."
                )
    out.append("")
    codes = list(row["priority_codes"]) if "priority_codes" in row.index else []
    if bool(row.get("dalo", False)):
        out.append("Votre ménage est reconnu prioritaire et devant être logé d'urgence (DALO).")
    if codes:
        status = "justifiée" if bool(row.get("priority_justified", False)) else "déclarée"
        labels = ", ".join(PRIORITY_CODES.get(c, c) for c in codes)
        out.append(
            f"Votre demande est prioritaire au sens de l'article L441-1 ({status}) : {labels}."
        )
    elif not bool(row.get("dalo", False)):
        out.append(
            "Votre demande ne relève pas d'un public prioritaire au sens de l'article L441-1."
        )
    out.append(f"Refus : {result.refusal_rule}")
    out.append("")
    out.append(
        "La cotation est une aide à la décision : les logements ne sont pas attribués "
        "automatiquement dans l'ordre des points."
    )
    return "\n".join(out)
