"""The national report (``mixite national``): every EPCI of a national run, named.

Files written in the output folder:

* ``national.html``: a self-contained page (Plotly inlined, readable offline): synthesis, the
  three objectives per EPCI with their intervals and shortfalls, the distributions by region
  and by size, the room for manoeuvre, the change under each scenario, the territories that
  failed and why;
* ``national.xlsx``: the same tables, one sheet each, with French headers;
* ``national.parquet``: every result in the national long format (``vocabulary.NATIONAL_COLUMNS``,
  codes and names), and ``epci.parquet``: one row per EPCI — for analysts.

Presentation only: every figure comes from ``jobs.results.NationalResult``.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixite.reports import fr
from mixite.reports.common import Section, Sheet, plotly_div, render_page, table_html, write_xlsx
from mixite.reports.fr import Format
from mixite.vocabulary import Indicator

if TYPE_CHECKING:
    from mixite.jobs.results import NationalResult

__all__ = ["DEFINITIONS", "NationalOutputs", "epci_frame", "failures_frame", "write_national"]

_OBJECTIVES = (Indicator.Q1_OUTSIDE_QPV, Indicator.NON_Q1_IN_QPV, Indicator.PRIORITY)
_SHORT = {
    Indicator.Q1_OUTSIDE_QPV: "Q1 ou relogés hors QPV",
    Indicator.NON_Q1_IN_QPV: "hors Q1 en QPV",
    Indicator.PRIORITY: "prioritaires",
}


#: Definition of the columns of the workbook (the « Définitions » sheet).
DEFINITIONS: dict[str, str] = {
    "part": "Attributions au public visé / attributions concernées de l'année (CCH art. L441-1).",
    "bas, haut": "Intervalle de confiance exact (Clopper-Pearson) de la part observée.",
    "attributions concernées": "Attributions hors QPV (objectif hors QPV), en QPV (objectif en "
    "QPV) ou toutes (publics prioritaires), baux signés dans l'année.",
    "manque": "max(0, ⌈objectif × attributions concernées⌉ − attributions au public visé) : "
    "attributions qui auraient permis d'atteindre l'objectif (CCH art. L441-1).",
    "verdict": "Atteint quand le manque est nul ; publics prioritaires : chaque réservataire "
    "soumis à l'objectif (hors État) et chaque bailleur pour ses logements non réservés.",
    "part simulée": "Moyenne des réplicats de l'année simulée sous le scénario de référence.",
    "Part nationale": "Somme des attributions au public visé / somme des attributions "
    "concernées de tous les EPCI.",
    "Part des EPCI qui l'atteignent": "EPCI dont le verdict est « atteint » / EPCI qui ont des "
    "attributions concernées.",
    "Part atteignable": "Attributions Q1 atteignables / libérations attendues hors QPV "
    "(méthode des marges de manœuvre de mixite).",
    "Situation": "Objectif atteint ; atteignable (part atteignable ≥ objectif) mais non "
    "atteint ; hors d'atteinte (part atteignable < objectif, pour la raison indiquée).",
    "Variation (points)": "Part sous le scénario − part sous la référence (même graine).",
    "Taille": "Classe de taille de l'EPCI en logements sociaux (convention de "
    "présentation de mixite).",
}


@dataclass(frozen=True)
class NationalOutputs:
    """The files of the national report."""

    html: Path
    xlsx: Path
    parquet: Path
    epci_parquet: Path


def _interval(share: Any, low: Any, high: Any) -> str:
    if pd.isna(share):
        return fr.MISSING
    if pd.isna(low) or pd.isna(high):
        return fr.percent(share)
    return f"{fr.percent(share)} [{fr.percent(low)} ; {fr.percent(high)}]"


#: The verdict of an EPCI without any attribution the objective concerns.
NOT_APPLICABLE = "sans objet (aucune attribution concernée)"


def _verdict(met: Any, secret: bool = False, attributions: Any = None) -> str:
    """The verdict in words; ``secret``: the EPCI's counts are masked (statistical secrecy);
    ``attributions``: the attributions the objective concerns (none: the objective has no
    object)."""
    if met is None or met is pd.NA or (isinstance(met, float) and met != met):
        if secret:
            return fr.SECRET
        if attributions is not None and not pd.isna(attributions) and float(attributions) == 0:
            return NOT_APPLICABLE
        return fr.MISSING
    word = "atteint" if bool(met) else "non atteint"
    return f"{word} ({fr.SECRET} sur les effectifs)" if secret else word


def _said_secret(frame: pd.DataFrame, columns: list[str], masked: Any) -> None:
    """Write « secret statistique » in the empty cells of ``columns`` where ``masked`` (a
    boolean per row): a reader sees why a figure is missing, never a blank."""
    mask = pd.Series(masked, index=frame.index).fillna(False).astype(bool)
    for column in columns:
        if column not in frame:
            continue
        cells = frame[column].astype(object)
        frame[column] = cells.where(~(mask & cells.isna()), fr.SECRET)


def _miss_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The EPCIs that miss the objective outside QPV first (largest shortfall first), then
    those whose counts are masked, then those that meet it; by name within each group."""
    short = _SHORT[Indicator.Q1_OUTSIDE_QPV]
    if f"{short} : verdict" not in frame:
        return frame.sort_values("EPCI", kind="stable")
    verdict = frame[f"{short} : verdict"].astype(str)
    rank = np.select(
        [
            verdict.str.startswith("non atteint"),
            verdict == fr.SECRET,
            verdict.str.startswith("atteint"),
        ],
        [0, 1, 2],
        3,
    )
    gap = pd.to_numeric(frame[f"{short} : manque"], errors="coerce").fillna(-1)
    order = pd.DataFrame({"rank": rank, "gap": -gap, "name": frame["EPCI"]}, index=frame.index)
    return frame.loc[order.sort_values(["rank", "gap", "name"], kind="stable").index]


def epci_frame(result: NationalResult) -> tuple[pd.DataFrame, dict[str, Format]]:
    """One row per EPCI in French: region, name, SIREN, dwellings, size class, each objective's
    observed share, interval, attributions concerned, shortfall and verdict, the simulated
    shares, the diagnostic's figures and the room for manoeuvre."""
    e = result.epci
    out = pd.DataFrame(
        {
            "Région": e["region_name"],
            "EPCI": e["epci_name"],
            "SIREN": e["epci"],
            "Logements sociaux": e["dwellings"],
            "Taille": [fr.size_class_label(c, result.size_bounds) for c in e["size_class"]],
        }
    )
    formats: dict[str, Format] = {"Logements sociaux": "int"}
    for ind in _OBJECTIVES:
        short = _SHORT[ind]
        if f"{ind}_share" not in e:
            continue
        out[f"{short} : part"] = e[f"{ind}_share"]
        out[f"{short} : bas"] = e[f"{ind}_low"]
        out[f"{short} : haut"] = e[f"{ind}_high"]
        out[f"{short} : attributions concernées"] = e[f"{ind}_attributions"]
        out[f"{short} : manque"] = e[f"{ind}_shortfall"]
        secret = e[f"{ind}_secret"] if f"{ind}_secret" in e else pd.Series(False, index=e.index)
        # a masked count: its cells empty, the verdict column says why
        out[f"{short} : verdict"] = [
            _verdict(m, bool(s), n)
            for m, s, n in zip(
                e[f"{ind}_met"], secret.fillna(False), e[f"{ind}_attributions"], strict=True
            )
        ]
        _said_secret(
            out,
            [
                f"{short} : {c}"
                for c in ("part", "bas", "haut", "attributions concernées", "manque")
            ],
            secret.fillna(False).to_numpy(dtype=bool),
        )
        formats |= {
            f"{short} : part": "pct",
            f"{short} : bas": "pct",
            f"{short} : haut": "pct",
            f"{short} : attributions concernées": "int",
            f"{short} : manque": "int",
        }
    for ind in _OBJECTIVES:
        column = f"{ind}_simulated"
        if column in e:
            out[f"{_SHORT[ind]} : part simulée"] = e[column]
            formats[f"{_SHORT[ind]} : part simulée"] = "pct"
    for code, label in fr.NATIONAL_INDICATOR_LABELS.items():
        if code in e:
            out[label] = e[code]
            formats[label] = "float" if code == "demandes_par_attribution" else "pct"
    if "reason" in e:
        out["Raison de la marge"] = [fr.REASON_LABELS.get(str(r), fr.MISSING) for r in e["reason"]]
    return _miss_first(out).reset_index(drop=True), formats


def failures_frame(result: NationalResult) -> pd.DataFrame:
    """The territories that failed, named, with the step and the French message."""
    f = result.failures
    return pd.DataFrame(
        {
            "EPCI": f["epci_name"],
            "SIREN": f["epci"],
            "Étape": [fr.TASK_LABELS.get(str(t), str(t)) for t in f["task"]],
            "Erreur": f["error"],
        }
    )


def _attainment_frame(result: NationalResult) -> tuple[pd.DataFrame, dict[str, Format]]:
    a = result.attainment
    out = pd.DataFrame(
        {
            "Objectif": [fr.INDICATOR_LABELS.get(str(i), str(i)) for i in a["indicator"]],
            "Source": [
                fr.SOURCE_LABELS.get(str(s), str(s)) + (f" — {sc}" if sc else "")
                for s, sc in zip(a["source"], a["scenario"], strict=True)
            ],
            "EPCI concernés": a["epcis"],
            "EPCI qui l'atteignent": a["met"],
            "Part des EPCI qui l'atteignent": a["share_met"],
            "Part nationale": a["national_share"],
            "Part médiane des EPCI": a["median_share"],
            "Objectif (part)": a["target"],
        }
    )
    formats: dict[str, Format] = {
        "EPCI concernés": "int",
        "EPCI qui l'atteignent": "int",
        "Part des EPCI qui l'atteignent": "pct",
        "Part nationale": "pct",
        "Part médiane des EPCI": "pct",
        "Objectif (part)": "pct",
    }
    # a figure missing although EPCIs are concerned was masked by statistical secrecy
    _said_secret(
        out,
        [
            "EPCI qui l'atteignent",
            "Part des EPCI qui l'atteignent",
            "Part nationale",
            "Part médiane des EPCI",
        ],
        a["epcis"].fillna(0).to_numpy(dtype=float) > 0,
    )
    return out, formats


def _distribution_frame(
    table: pd.DataFrame, result: NationalResult, key: str
) -> tuple[pd.DataFrame, dict[str, Format]]:
    first = (
        table["region_name"]
        if key == "region"
        else pd.Series([fr.size_class_label(c, result.size_bounds) for c in table[key]])
    )
    out = pd.DataFrame(
        {
            "Région" if key == "region" else "Taille": first.to_numpy(),
            "Objectif": [fr.INDICATOR_SHORT_LABELS.get(str(i), str(i)) for i in table["indicator"]],
            "EPCI concernés": table["epcis"].to_numpy(),
            "EPCI qui l'atteignent": table["met"].to_numpy(),
            "Part des EPCI qui l'atteignent": table["share_met"].to_numpy(),
            "Part nationale": table["national_share"].to_numpy(),
            "Part médiane": table["median_share"].to_numpy(),
            "Logements sociaux": table["dwellings"].to_numpy(),
        }
    )
    formats: dict[str, Format] = {
        "EPCI concernés": "int",
        "EPCI qui l'atteignent": "int",
        "Part des EPCI qui l'atteignent": "pct",
        "Part nationale": "pct",
        "Part médiane": "pct",
        "Logements sociaux": "int",
    }
    _said_secret(
        out,
        [
            "EPCI qui l'atteignent",
            "Part des EPCI qui l'atteignent",
            "Part nationale",
            "Part médiane",
        ],
        table["epcis"].fillna(0).to_numpy(dtype=float) > 0,
    )
    return out, formats


def _room_frames(
    result: NationalResult,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Format]]:
    r = result.room
    per_epci = pd.DataFrame(
        {
            "Région": r["region_name"],
            "EPCI": r["epci_name"],
            "SIREN": r["epci"],
            "Logements sociaux": r["dwellings"],
            "Part réalisée": r["achieved_share"],
            "Part atteignable": r["attainable_share"],
            "Objectif (part)": r["target"],
            "Situation": [fr.ROOM_CATEGORY_LABELS.get(str(c), fr.MISSING) for c in r["category"]],
            "Raison": [fr.REASON_LABELS.get(str(x), fr.MISSING) for x in r["reason"]],
            "Marge (points)": r["room"],
            "Manque (attributions)": r["shortfall"],
        }
    )
    secret_column = f"{Indicator.Q1_OUTSIDE_QPV}_secret"
    quotas = "quotas" in result.tasks
    if quotas and secret_column in result.epci:
        # the EPCI's attributions outside QPV masked: so are its achieved share, room, shortfall
        masked = r["epci"].map(result.epci.set_index("epci")[secret_column])
        _said_secret(
            per_epci,
            ["Part réalisée", "Marge (points)", "Manque (attributions)"],
            masked.astype("boolean").fillna(False).to_numpy(dtype=bool),
        )
    c = result.room_counts
    counts = pd.DataFrame(
        {
            "Situation": [fr.ROOM_CATEGORY_LABELS.get(str(x), str(x)) for x in c["category"]],
            "Raison": [fr.REASON_LABELS.get(str(x), fr.MISSING) for x in c["reason"]],
            "EPCI": c["epcis"],
            "Part des EPCI": c["share"],
            "Manque (attributions)": c["shortfall"],
        }
    )
    # a situation with an EPCI whose shortfall is masked has its total masked
    _said_secret(
        counts,
        ["Manque (attributions)"],
        (c["epcis"].fillna(0).to_numpy(dtype=float) > 0) & quotas,
    )
    formats: dict[str, Format] = {
        "Logements sociaux": "int",
        "Part réalisée": "pct",
        "Part atteignable": "pct",
        "Objectif (part)": "pct",
        "Marge (points)": "pct",
        "Manque (attributions)": "int",
    }
    return per_epci, counts, formats


#: The formats of the room counts (« EPCI » is a count there, a name in the per-EPCI table).
_ROOM_COUNT_FORMATS: dict[str, Format] = {
    "EPCI": "int",
    "Part des EPCI": "pct",
    "Manque (attributions)": "int",
}


def _changes_frame(result: NationalResult) -> tuple[pd.DataFrame, dict[str, Format]]:
    c = result.scenario_changes
    if c is None or c.empty:
        return pd.DataFrame(), {}
    out = pd.DataFrame(
        {
            "Scénario": c["scenario"],
            "Région": c["region_name"],
            "EPCI": c["epci_name"],
            "SIREN": c["epci"],
            "Objectif": [fr.INDICATOR_SHORT_LABELS.get(str(i), str(i)) for i in c["indicator"]],
            "Part (référence)": c["baseline_share"],
            "Part (scénario)": c["share"],
            "Variation (points)": c["change"],
            "Verdict (référence)": [_verdict(m) for m in c["baseline_met"]],
            "Verdict (scénario)": [_verdict(m) for m in c["met"]],
        }
    )
    formats: dict[str, Format] = {
        "Part (référence)": "pct",
        "Part (scénario)": "pct",
        "Variation (points)": "pct",
    }
    return out, formats


def _figure(share: Any, epcis: Any) -> str:
    """A headline share; missing although EPCIs are concerned: masked by statistical secrecy."""
    if pd.isna(share):
        return fr.SECRET if not pd.isna(epcis) and int(epcis) > 0 else fr.MISSING
    return fr.percent(share)


def _kpis(result: NationalResult) -> str:
    a = result.attainment
    items = [
        (fr.integer(len(result.epci)), "EPCI analysés"),
        (fr.integer(result.failures["epci"].nunique()), "territoires en échec"),
    ]
    q1 = a.loc[(a["indicator"] == Indicator.Q1_OUTSIDE_QPV) & (a["source"] == "observe")]
    if len(q1):
        row = q1.iloc[0]
        items += [
            # masked by statistical secrecy where it would give back a small EPCI's count
            (_figure(row["national_share"], row["epcis"]), "part nationale Q1 ou relogés hors QPV"),
            (
                _figure(row["share_met"], row["epcis"]),
                f"des EPCI atteignent {fr.percent(row['target'], 0)}",
            ),
        ]
    missed = f"{Indicator.Q1_OUTSIDE_QPV}_met"
    alert = -1
    if len(q1) and not (pd.isna(q1.iloc[0]["met"]) or pd.isna(q1.iloc[0]["epcis"])):
        # the EPCIs with a verdict minus those meeting it, both published
        n = int(q1.iloc[0]["epcis"]) - int(q1.iloc[0]["met"])
        alert = len(items)
        items.append((fr.integer(n), "EPCI sous l'objectif hors QPV (non atteint)"))
    elif missed in result.epci:
        # the published verdicts of the per-EPCI table, counted (withheld ones are not):
        # nothing more is revealed, and it is a lower bound
        n = int((result.epci[missed].astype("boolean") == False).sum())  # noqa: E712
        alert = len(items)
        items.append((f"au moins {fr.integer(n)}", "EPCI sous l'objectif hors QPV (non atteint)"))
    cells = "".join(
        f'<div class="kpi{" alerte" if k == alert else ""}"><div class="v">{html.escape(v)}</div>'
        f'<div class="l">{html.escape(label)}</div></div>'
        for k, (v, label) in enumerate(items)
    )
    return f'<div class="kpis">{cells}</div>'


def _bar(table: pd.DataFrame, labels: list[str], title: str) -> str:
    """Per group (region or size class), the share of attributions outside QPV to the first
    quartile or to relocated households, one horizontal bar each, against the objective: red
    below it, green at or above it; a masked share is said « secret statistique » instead of a
    bar that a reader would take for 0 %."""
    import plotly.graph_objects as go

    part = table.loc[table["indicator"] == Indicator.Q1_OUTSIDE_QPV]
    if part.empty:
        return ""
    names = [labels[i] for i in part.index]
    share = part["national_share"].to_numpy(dtype=float)
    target = part["target"].to_numpy(dtype=float)
    below = share < target
    fig = go.Figure(
        go.Bar(
            x=np.nan_to_num(share),
            y=names,
            orientation="h",
            marker_color=["#c0392b" if b else "#1e8449" for b in below],
            text=[fr.SECRET if np.isnan(v) else fr.percent(v) for v in share],
            textposition="outside",
            hovertemplate="%{y}<br>%{text}<extra></extra>",
        )
    )
    goal = target[~np.isnan(target)]
    if len(goal):
        fig.add_vline(
            x=float(goal[0]),
            line_dash="dash",
            annotation_text=f"objectif {fr.percent(float(goal[0]), 0)}",
        )
    fig.update_layout(
        xaxis_tickformat=".0%",
        xaxis_title=title,
        yaxis_autorange="reversed",
        height=max(300, 28 * len(names) + 120),
        showlegend=False,
        margin={"l": 220},
    )
    return plotly_div(fig)


def _q1_charts(result: NationalResult) -> str:
    import plotly.graph_objects as go

    e = result.epci
    column = f"{Indicator.Q1_OUTSIDE_QPV}_share"
    if column not in e or e[column].notna().sum() == 0:
        return ""
    shown = e.loc[e[column].notna()]
    share = shown[column].to_numpy(dtype=float)
    target = result.attainment.loc[
        result.attainment["indicator"] == Indicator.Q1_OUTSIDE_QPV, "target"
    ]
    hist = go.Figure(go.Histogram(x=share, xbins={"size": 0.02}, name="EPCI"))
    hist.update_layout(
        xaxis_tickformat=".0%",
        xaxis_title="part des attributions hors QPV au premier quartile ou aux relogés",
        yaxis_title="nombre d'EPCI",
        showlegend=False,
    )
    scatter = go.Figure(
        go.Scatter(
            x=shown[f"{Indicator.Q1_OUTSIDE_QPV}_attributions"].to_numpy(dtype=float),
            y=share,
            mode="markers",
            text=shown["epci_name"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": shown[f"{Indicator.Q1_OUTSIDE_QPV}_high"].to_numpy(dtype=float) - share,
                "arrayminus": share
                - shown[f"{Indicator.Q1_OUTSIDE_QPV}_low"].to_numpy(dtype=float),
                "thickness": 0.6,
            },
            hovertemplate="%{text}<br>%{y:.1%}<extra></extra>",
        )
    )
    scatter.update_layout(
        xaxis_type="log",
        xaxis_title="attributions hors QPV de l'année (échelle logarithmique)",
        yaxis_tickformat=".0%",
        yaxis_title="part Q1 ou relogés",
    )
    if len(target) and pd.notna(target.iloc[0]):
        goal = float(target.iloc[0])
        hist.add_vline(x=goal, line_dash="dash", annotation_text=f"objectif {fr.percent(goal, 0)}")
        scatter.add_hline(
            y=goal, line_dash="dash", annotation_text=f"objectif {fr.percent(goal, 0)}"
        )
    return plotly_div(hist) + plotly_div(scatter)


def _room_chart(result: NationalResult) -> str:
    import plotly.graph_objects as go

    r = result.room
    if r.empty:
        return ""
    fig = go.Figure()
    for category, label in fr.ROOM_CATEGORY_LABELS.items():
        part = r.loc[r["category"] == category]
        fig.add_trace(
            go.Scatter(
                x=part["achieved_share"].to_numpy(dtype=float),
                y=part["attainable_share"].to_numpy(dtype=float),
                mode="markers",
                name=label,
                text=part["epci_name"],
                hovertemplate="%{text}<br>réalisée %{x:.1%}, atteignable %{y:.1%}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis_tickformat=".0%",
        yaxis_tickformat=".0%",
        xaxis_title="part réalisée (Q1 ou relogés hors QPV)",
        yaxis_title="part atteignable",
        legend_title="situation",
    )
    return plotly_div(fig)


def _change_chart(result: NationalResult) -> str:
    import plotly.graph_objects as go

    c = result.scenario_changes
    if c is None or c.empty:
        return ""
    fig = go.Figure()
    for name in dict.fromkeys(c["scenario"]):
        part = c.loc[(c["scenario"] == name) & (c["indicator"] == Indicator.Q1_OUTSIDE_QPV)]
        fig.add_trace(go.Histogram(x=part["change"].to_numpy(dtype=float), name=str(name)))
    fig.update_layout(
        barmode="overlay",
        xaxis_tickformat="+.0%",
        xaxis_title="variation de la part Q1 ou relogés hors QPV (scénario − référence)",
        yaxis_title="nombre d'EPCI",
        legend_title="scénario",
    )
    return plotly_div(fig)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partiel")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_national(result: NationalResult, output: Path) -> NationalOutputs:
    """Write the national page, workbook and Parquet files into ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    epci, epci_formats = epci_frame(result)
    attainment, attainment_formats = _attainment_frame(result)
    regions, region_formats = _distribution_frame(result.by_region, result, "region")
    sizes, size_formats = _distribution_frame(result.by_size, result, "size_class")
    room, room_counts, room_formats = _room_frames(result)
    changes, change_formats = _changes_frame(result)
    failures = failures_frame(result)

    n_failed = result.failures["epci"].nunique()
    intro = [
        _kpis(result),
        f"<p>Tâches : {html.escape(', '.join(fr.TASK_LABELS.get(t, t) for t in result.tasks))}. "
        f"{fr.integer(len(result.epci))} EPCI analysés"
        + (
            f", dont {fr.integer(result.skipped)} repris d'un calcul précédent"
            if result.skipped
            else ""
        )
        + (
            f" ; {fr.integer(n_failed)} territoire(s) en échec (section « Territoires en échec »)"
            if n_failed
            else ""
        )
        + ".</p>",
        "<p>Un objectif est atteint quand le manque est nul : au moins ⌈objectif × attributions "
        "concernées⌉ attributions au public visé (CCH art. L441-1). Pour les publics "
        "prioritaires, chaque réservataire soumis à l'objectif (hors État) et chaque bailleur "
        "pour ses logements non réservés doivent l'atteindre. La part nationale rapporte la "
        "somme des attributions au public visé à la somme des attributions concernées de tous "
        "les EPCI.</p>",
        table_html(
            attainment, attainment_formats, caption="Objectifs légaux : EPCI qui les atteignent"
        ),
    ]
    sections = [Section("Synthèse", tuple(intro), "synthese")]
    if len(result.epci):
        sections.append(
            Section(
                "Les objectifs par EPCI",
                (
                    "<p>Part observée de chaque objectif avec, entre crochets, son intervalle "
                    "de confiance exact (Clopper-Pearson), manque (attributions au public visé "
                    "qui auraient permis d'atteindre l'objectif) et verdict. Les EPCI qui "
                    "n'atteignent pas l'objectif hors QPV viennent en premier, par manque "
                    "décroissant, puis ceux dont les effectifs sont couverts par le secret "
                    "statistique, puis ceux qui l'atteignent. L'objectif des publics "
                    "prioritaires s'apprécie pour chaque réservataire (hors État) et chaque "
                    "bailleur : un EPCI peut ne pas l'atteindre avec un manque nul au total.</p>",
                    _SECRECY_NOTE_HTML,
                    _q1_charts(result),
                    _epci_table(epci),
                ),
                "epci",
            )
        )
    if len(regions):
        labels = list(regions["Région"])
        sections.append(
            Section(
                "Par région",
                (
                    _bar(
                        result.by_region,
                        labels,
                        "part des attributions hors QPV au premier quartile ou aux relogés",
                    ),
                    table_html(regions, region_formats),
                ),
                "regions",
            )
        )
    if len(sizes):
        labels = list(sizes["Taille"])
        sections.append(
            Section(
                "Par taille d'EPCI",
                (
                    _bar(
                        result.by_size,
                        labels,
                        "part des attributions hors QPV au premier quartile ou aux relogés",
                    ),
                    table_html(sizes, size_formats),
                ),
                "tailles",
            )
        )
    if len(room):
        sections.append(
            Section(
                "Marges de manœuvre hors QPV",
                (
                    "<p>Pour chaque EPCI, la part atteignable d'attributions hors QPV au premier "
                    "quartile (libérations attendues accessibles aux ménages du premier "
                    "quartile) face à la part réalisée : un EPCI sous "
                    "l'objectif dont la part atteignable le dépasse a une marge dans ses "
                    "commissions ; sinon la raison dit ce qui la ferme (loyers, typologies…).</p>",
                    table_html(
                        room_counts, _ROOM_COUNT_FORMATS, caption="EPCI par situation et raison"
                    ),
                    _room_chart(result),
                    table_html(
                        room.loc[
                            room.assign(
                                gap=-pd.to_numeric(room["Manque (attributions)"], errors="coerce")
                            )
                            .sort_values(["gap", "EPCI"], na_position="last", kind="stable")
                            .index
                        ],
                        room_formats,
                        caption="EPCI (tous dans le classeur)",
                    ),
                ),
                "marges",
            )
        )
    if len(changes):
        sections.append(
            Section(
                "Scénario contre référence",
                (
                    f"<p>Année simulée sous chaque scénario, comparée à la référence "
                    f"« {html.escape(result.scenarios[0])} » (même graine) : variation de la "
                    "part de chaque EPCI, en points.</p>",
                    _change_chart(result),
                    table_html(
                        changes.sort_values("Variation (points)", ascending=False),
                        change_formats,
                        caption="Variation par EPCI et objectif (toutes dans le classeur)",
                    ),
                ),
                "scenario",
            )
        )
    failure_blocks: tuple[str, ...] = (
        (
            '<p class="alerte">Ces territoires n\'ont pas été analysés (ou pas entièrement) ; '
            "les autres l'ont été. Corrigez leurs fichiers puis relancez la même commande : "
            "les territoires déjà faits ne sont pas recalculés.</p>",
            table_html(failures),
        )
        if len(failures)
        else ('<p class="ok">Aucun territoire en échec.</p>',)
    )
    sections.append(Section("Territoires en échec", failure_blocks, "echecs"))
    subtitle = f"Produit par mixite · {fr.integer(len(result.epci))} EPCI"
    page = render_page("Observatoire national des attributions", subtitle, sections)
    html_path = output / "national.html"
    html_path.write_text(page, encoding="utf-8")

    sheets = [
        Sheet(
            "Synthèse",
            attainment,
            "Objectifs légaux : EPCI qui les atteignent",
            _SECRECY_NOTE,
            attainment_formats,
        ),
        Sheet(
            "EPCI",
            epci,
            "Les objectifs par EPCI",
            "Parts observées, intervalles exacts, manques et verdicts ; les EPCI qui "
            "n'atteignent pas l'objectif hors QPV d'abord. " + _SECRECY_NOTE,
            epci_formats,
        ),
        Sheet("Régions", regions, "Par région", _SECRECY_NOTE, region_formats),
        Sheet("Tailles", sizes, "Par taille d'EPCI", _SECRECY_NOTE, size_formats),
        Sheet("Marges", room, "Marges de manœuvre hors QPV par EPCI", formats=room_formats),
        Sheet(
            "Marges (synthèse)",
            room_counts,
            "EPCI par situation et raison",
            formats=_ROOM_COUNT_FORMATS,
        ),
    ]
    if len(changes):
        sheets.append(
            Sheet("Scénario", changes, "Scénario contre référence", formats=change_formats)
        )
    sheets.append(
        Sheet(
            "Échecs",
            failures,
            "Territoires en échec",
            "" if len(failures) else "Aucun territoire en échec : tous ont été analysés.",
        )
    )
    xlsx_path = write_xlsx(
        output / "national.xlsx",
        sheets,
        title="Observatoire national des attributions",
        definitions=DEFINITIONS,
    )

    parquet = output / "national.parquet"
    _write_parquet(result.rows, parquet)
    epci_parquet = output / "epci.parquet"
    _write_parquet(
        result.epci.astype(
            {c: "object" for c in result.epci.columns if str(result.epci[c].dtype) == "boolean"}
        ),
        epci_parquet,
    )
    return NationalOutputs(html_path, xlsx_path, parquet, epci_parquet)


#: Sorting and filtering of the EPCI table in the browser, without any library (the page
#: works offline): a click on a header sorts by that column (numbers by their value), the
#: search box keeps the rows that contain its text.
_TABLE_SCRIPT = """<script>
(function () {
  var table = document.getElementById("table-epci");
  var box = document.getElementById("filtre-epci");
  var count = document.getElementById("compte-epci");
  if (!table) { return; }
  var body = table.tBodies[0];
  function key(cell) {
    var v = cell.getAttribute("data-v");
    return v === null ? cell.textContent.toLowerCase() : parseFloat(v);
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.style.cursor = "pointer";
    th.title = "Cliquer pour trier";
    th.addEventListener("click", function () {
      var up = th.getAttribute("data-tri") !== "asc";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
        h.removeAttribute("data-tri");
      });
      th.setAttribute("data-tri", up ? "asc" : "desc");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[col]), y = key(b.cells[col]);
        var nx = typeof x === "number" && !isNaN(x), ny = typeof y === "number" && !isNaN(y);
        if (nx !== ny) { return nx ? -1 : 1; }
        var c = nx ? x - y : String(x).localeCompare(String(y), "fr");
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  if (box) {
    box.addEventListener("input", function () {
      var text = box.value.toLowerCase(), shown = 0;
      Array.prototype.forEach.call(body.rows, function (r) {
        var keep = r.textContent.toLowerCase().indexOf(text) >= 0;
        r.style.display = keep ? "" : "none";
        shown += keep ? 1 : 0;
      });
      count.textContent = shown + " EPCI affiché(s)";
    });
  }
})();
</script>"""


#: What « secret statistique » means, said where masked figures appear.
_SECRECY_NOTE = (
    "« secret statistique » : effectif inférieur au seuil de secret statistique (ou qui "
    "permettrait de le retrouver), masqué avec les parts, intervalles et manques qui le "
    "redonneraient ; le verdict reste publié quand il ne révèle pas l'effectif."
)
_SECRECY_NOTE_HTML = f'<p class="note">{html.escape(_SECRECY_NOTE)}</p>'


def _verdict_class(verdict: str) -> str:
    if verdict.startswith("non atteint"):
        return "statut-ko"
    if verdict.startswith("atteint"):
        return "statut-ok"
    return ""


def _cell(text: str, klass: str = "", sort: float | None = None) -> str:
    attributes = f' class="{klass}"' if klass else ""
    if sort is not None and sort == sort:
        attributes += f' data-v="{sort!r}"'
    return f"<td{attributes}>{html.escape(text)}</td>"


def _number(x: Any) -> float | None:
    return None if isinstance(x, str) or pd.isna(x) else float(x)


def _epci_table(frame: pd.DataFrame) -> str:
    """The EPCI table of the page, every EPCI in the order of ``frame`` (those that miss the
    objective outside QPV first): per objective the share with its interval, the shortfall and
    the verdict (coloured); sortable by a click on a header and filtered by a search box."""
    heads = ["Région", "EPCI", "Logements sociaux"]
    present = [ind for ind in _OBJECTIVES if f"{_SHORT[ind]} : part" in frame]
    for ind in present:
        short = _SHORT[ind]
        heads += [f"{short} : part [intervalle]", f"{short} : manque", f"{short} : verdict"]
    rows = []
    for _, row in frame.iterrows():
        cells = [
            _cell(str(row["Région"])),
            _cell(str(row["EPCI"])),
            _cell(fr.integer(row["Logements sociaux"]), "num", _number(row["Logements sociaux"])),
        ]
        for ind in present:
            short = _SHORT[ind]
            share = row[f"{short} : part"]
            verdict = str(row[f"{short} : verdict"])
            shown = (
                share
                if isinstance(share, str)
                else _interval(share, row[f"{short} : bas"], row[f"{short} : haut"]).replace(
                    " ", "\u00a0"
                )
            )
            gap = row[f"{short} : manque"]
            cells += [
                _cell(shown, "num", _number(share)),
                _cell(gap if isinstance(gap, str) else fr.integer(gap), "num", _number(gap)),
                _cell(verdict, f"verdict {_verdict_class(verdict)}".strip()),
            ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    search = (
        '<p><label for="filtre-epci">Rechercher un EPCI, une région ou un verdict : </label>'
        '<input id="filtre-epci" type="search" size="40"> '
        f'<span id="compte-epci" class="note">{fr.integer(len(frame))} EPCI affiché(s)</span></p>'
    )
    style = (
        "<style>#table-epci { font-size: .8rem; } #table-epci td { white-space: nowrap; } "
        "#table-epci td:nth-child(-n+2) { white-space: normal; min-width: 9em; } "
        "#table-epci td:nth-child(2) { min-width: 15em; } "
        "#table-epci td.verdict { white-space: normal; min-width: 6em; }</style>"
    )
    return (
        style
        + search
        + '<div class="table-wrap"><table id="table-epci"><caption>Les objectifs par EPCI '
        "(cliquer sur un en-tête pour trier)</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        + _TABLE_SCRIPT
    )
