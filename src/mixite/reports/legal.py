"""The legal attribution objectives at first glance: who meets them, who misses them, by how much.

For each of the three obligations of CCH art. L441-1 (``vocabulary.Indicator``), the partners on
which the law sets it (the EPCI and each landlord for the two QPV objectives; each reservataire
but the State and each landlord's non-reserved dwellings for priority households), with the
achieved share, the target, the attributions missing, the trend over the previous years and a
colour; one sentence of finding per obligation, with the main reason given by the room for
manoeuvre when it is known; one chart per obligation with its target line. Used by the
diagnostic report (HTML and workbook); statistics (intervals, tests) stay in its annex.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from mixite.jobs.results import Names
from mixite.reports import fr
from mixite.reports.common import plotly_div
from mixite.reports.fr import Format
from mixite.vocabulary import Indicator, Level

__all__ = ["Obligation", "legal_html", "obligations"]

#: Colours of met and missed objectives (also used by the workbook's conditional fill).
MET, MISSED = "#1e8449", "#c0392b"

#: What each obligation asks, in one line (the title of its block).
TITLES: dict[str, str] = {
    Indicator.Q1_OUTSIDE_QPV: (
        "Hors QPV : attributions aux demandeurs du premier quartile ou aux ménages relogés"
    ),
    Indicator.NON_Q1_IN_QPV: "En QPV : attributions aux demandeurs des autres quartiles",
    Indicator.PRIORITY: "Attributions aux ménages DALO ou prioritaires, par réservataire",
}


@dataclass(frozen=True)
class Obligation:
    """One obligation: its rows (partners on which the law sets it) and its finding."""

    indicator: str
    title: str
    table: pd.DataFrame  # French columns, one row per partner
    formats: dict[str, Format]
    met: list[bool]
    shares: list[float]
    target: float
    labels: list[str]
    finding: str


def _partner(level: str, group: object, names: Names) -> str:
    label = fr.group_label(level, group, names)
    if level == Level.LANDLORD_NON_RESERVED:
        return f"{label} (logements non réservés)"
    if level == Level.EPCI:
        return f"EPCI — {label}"
    return label


def _trend(history: pd.DataFrame | None, level: str, group: object, indicator: str) -> str:
    if history is None or history.empty:
        return fr.MISSING
    part = history[
        (history["level"] == level)
        & (history["group"].astype(str) == str(group))
        & (history["indicator"] == indicator)
    ].sort_values("year")
    if part.empty:
        return fr.MISSING
    return " · ".join(
        f"{int(y)} : {fr.percent(s)}" for y, s in zip(part["year"], part["share"], strict=True)
    )


def obligations(
    quotas: pd.DataFrame,
    names: Names,
    year: int,
    history: pd.DataFrame | None = None,
    reasons: Mapping[str, str] | None = None,
) -> list[Obligation]:
    """The three obligations of the lease year ``year`` from the quota results (long format
    with ``target_applies``), each partner named; ``reasons`` maps a landlord to the main reason
    (code) of its room for manoeuvre when below the target."""
    out: list[Obligation] = []
    applies = quotas[quotas["target_applies"].astype(bool)]
    for indicator in Indicator:
        rows = applies[applies["indicator"] == indicator]
        if rows.empty:
            continue
        shares = [float(s) for s in rows["share"]]
        targets = [float(t) for t in rows["target"]]
        missing = [0 if pd.isna(m) else int(m) for m in rows["shortfall"]]
        met = [m == 0 for m in missing]
        labels = [
            _partner(lv, g, names) for lv, g in zip(rows["level"], rows["group"], strict=True)
        ]
        table = pd.DataFrame(
            {
                "Partenaire": labels,
                "Attributions": rows["denominator"].astype("Int64").to_numpy(),
                "Réalisé": shares,
                "Objectif": targets,
                "Attributions manquantes": missing,
                f"Années précédentes (avant {year})": [
                    _trend(history, lv, g, indicator)
                    for lv, g in zip(rows["level"], rows["group"], strict=True)
                ],
                "Situation": ["atteint" if m else "non atteint" for m in met],
            }
        )
        formats: dict[str, Format] = {
            "Attributions": "int",
            "Réalisé": "pct",
            "Objectif": "pct",
            "Attributions manquantes": "int",
        }
        if "target_national" in rows.columns:
            national = rows["target_national"].astype(float).to_numpy()
            if (abs(national - rows["target"].astype(float).to_numpy()) > 1e-12).any():
                # A partner judged on its CIA commitment or the territory's adapted rate: the
                # national default beside it (docs/regles.md §4).
                table.insert(4, "Objectif national", national)
                formats["Objectif national"] = "pct"
        out.append(
            Obligation(
                str(indicator),
                TITLES[indicator],
                table,
                formats,
                met,
                shares,
                targets[0] if targets else float("nan"),
                labels,
                _finding(indicator, rows, labels, met, missing, year, names, reasons or {}),
            )
        )
    return out


def _finding(
    indicator: str,
    rows: pd.DataFrame,
    labels: list[str],
    met: list[bool],
    missing: list[int],
    year: int,
    names: Names,
    reasons: Mapping[str, str],
) -> str:
    epci = rows["level"].to_numpy() == Level.EPCI
    partners = [
        (lab, ok, n) for lab, ok, n, e in zip(labels, met, missing, epci, strict=True) if not e
    ]
    missed = [lab for lab, ok, _ in partners if not ok]
    text = ""
    if epci.any():
        i = int(epci.argmax())
        share, target = float(rows["share"].iloc[i]), float(rows["target"].iloc[i])
        verdict = (
            "objectif atteint"
            if met[i]
            else f"il a manqué {fr.integer(missing[i])} attribution{'s' if missing[i] > 1 else ''}"
        )
        text = (
            f"En {year}, {fr.percent(share)} pour un objectif de {fr.percent(target, 0)} à "
            f"l'échelle de l'EPCI : {verdict}. "
        )
    who = "partenaires" if indicator == Indicator.PRIORITY else "bailleurs"
    if partners:
        if missed:
            text += (
                f"{len(missed)} {who} sur {len(partners)} n'atteignent pas l'objectif : "
                + ", ".join(missed)
                + "."
            )
        else:
            text += f"Les {len(partners)} {who} soumis à l'objectif l'atteignent."
    if indicator == Indicator.Q1_OUTSIDE_QPV and reasons:
        below = [
            (names.landlord(g), reasons[str(g)])
            for g, lv, ok in zip(rows["group"], rows["level"], met, strict=True)
            if lv == Level.LANDLORD and not ok and str(g) in reasons
        ]
        if below:
            text += (
                " Raison principale selon les marges de manœuvre : "
                + " ; ".join(f"{name} : {fr.REASON_LABELS.get(code, code)}" for name, code in below)
                + "."
            )
    return text.strip()


def _chart(obligation: Obligation) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Bar(
            y=obligation.labels,
            x=obligation.shares,
            orientation="h",
            marker_color=[MET if ok else MISSED for ok in obligation.met],
            text=[fr.percent(s) for s in obligation.shares],
            textposition="auto",
            hovertemplate="%{y} : %{x:.1%}<extra></extra>",
        )
    )
    fig.add_vline(
        x=obligation.target,
        line_dash="dash",
        line_color="#333",
        annotation_text=f"objectif {fr.percent(obligation.target, 0)}",
    )
    fig.update_layout(
        height=max(220, 42 * len(obligation.labels) + 90),
        margin={"l": 10, "r": 10, "t": 30, "b": 30},
        xaxis={"tickformat": ".0%", "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True},
        showlegend=False,
    )
    return plotly_div(fig)


def legal_html(items: list[Obligation]) -> list[str]:
    """The HTML blocks of the obligations: per obligation its title, finding (coloured),
    table and chart."""
    from mixite.reports.common import table_html

    blocks: list[str] = []
    for item in items:
        klass = "ok" if all(item.met) else "alerte"
        blocks.append(f"<h3>{html.escape(item.title)}</h3>")
        blocks.append(f'<p class="{klass}">{html.escape(item.finding)}</p>')
        blocks.append(table_html(item.table, item.formats, status_column="Situation"))
        blocks.append(_chart(item))
    return blocks
