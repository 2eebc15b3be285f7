"""The policy documents as files: document-cadre, CIA draft and annual review (DOCX + HTML).

Presentation only: every figure comes from the documents job's result
(``mixite.jobs.documents``); this module names the partners, words the tables, findings,
orientations and commitments in French, draws the charts and the map (matplotlib, French number
formats) and renders the blocks of ``reports.policy``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mixite.choices import SPLIT_METHODS
from mixite.reports import fr
from mixite.reports.document import (
    Block,
    Figure,
    Signatory,
    heading_pages,
    render_docx,
    render_html,
)
from mixite.reports.fr import Format
from mixite.reports.policy import (
    Commitments,
    Obligation,
    Orientation,
    PolicyInputs,
    bilan_annuel,
    cia,
    document_cadre,
)
from mixite.vocabulary import STATE_RESERVATAIRES, Indicator, Level, reservataire_kind

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mixite.jobs.results import DocumentsResult, Names

__all__ = ["FORMATS", "DocumentOutputs", "policy_inputs", "write_documents"]

#: The legal objectives of the documents' framework table (``jobs.documents.LEGAL_ROWS``).
_LEGAL_LABELS = {
    "q1_hors_qpv": "Attributions hors QPV aux demandeurs du 1er quartile ou relogés (minimum)",
    "non_q1_en_qpv": "Attributions en QPV aux demandeurs des autres quartiles (minimum)",
    "prioritaires": (
        "Attributions de chaque réservataire aux ménages DALO ou prioritaires (minimum)"
    ),
    "contingent_prefectoral": "Contingent préfectoral (maximum du flux annuel)",
    "contingent_agents_etat": "dont agents de l'État (maximum du flux annuel)",
}

#: Title and article of each obligation in the review.
_OBLIGATION_TITLES = {
    Indicator.Q1_OUTSIDE_QPV: (
        "Attributions hors QPV aux demandeurs du premier quartile ou relogés",
        "CCH art. L441-1 (objectif de l'EPCI, réparti entre bailleurs par la convention)",
    ),
    Indicator.NON_Q1_IN_QPV: (
        "Attributions en QPV aux demandeurs des autres quartiles",
        "CCH art. L441-1 (objectif de l'EPCI, décliné par bailleur)",
    ),
    Indicator.PRIORITY: (
        "Attributions aux ménages DALO ou prioritaires",
        "CCH art. L441-1 (chaque réservataire hors État, chaque bailleur pour ses logements "
        "non réservés)",
    ),
}

#: What the target public of each obligation is, in a sentence's words.
_PUBLIC = {
    Indicator.Q1_OUTSIDE_QPV: "hors QPV à des demandeurs du premier quartile ou à des relogés",
    Indicator.NON_Q1_IN_QPV: "en QPV à des demandeurs des autres quartiles",
    Indicator.PRIORITY: "à des ménages DALO ou prioritaires",
}

#: The lever that answers each binding reason of the room for manoeuvre
#: (``indicators.marges.REASON_CODES``).
_LEVERS = {
    "loyer": (
        "baisser le loyer de logements libérés hors QPV à leur remise en location ou les "
        "proposer aux ménages dont l'aide au logement couvre le loyer"
    ),
    "taille": "adapter les typologies proposées aux ménages du premier quartile",
    "vacances": "augmenter les libérations hors QPV par les mutations",
    "demande": "faire connaître l'offre hors QPV aux demandeurs du premier quartile",
    "plafonds": "vérifier les plafonds de ressources des logements libérés",
    "atteignable": (
        "orienter vers les demandeurs du premier quartile les logements hors QPV qui leur sont "
        "accessibles"
    ),
    "sans_parc": "reporter l'effort sur les autres bailleurs (aucune libération hors QPV)",
}

_MET, _NOT_MET = "atteint", "non atteint"
#: Cell colours of met / not met (light green, light red) and of the charts.
_FILL_MET, _FILL_NOT_MET = "C6EFCE", "FFC7CE"
_COLOUR_MET, _COLOUR_NOT_MET, _COLOUR_TARGET = "#1e8449", "#c0392b", "#1d2430"
_QPV_COLOUR = "#6a1b9a"  # the QPV outlines of the other maps

FORMATS: dict[str, Format] = {
    "Attributions": "int",
    "Public cible": "int",
    "Au public visé": "int",
    "Réalisé": "pct",
    "Objectif": "pct",
    "Objectif légal": "pct",
    "Attributions manquantes": "int",
    "Manque": "int",
    "Attributions attendues": "int",
    "Plafond (marge)": "int",
    "Objectif (attributions)": "int",
    "Objectif (part)": "pct",
    "Réalisé l'an passé": "int",
    "Relogements NPNRU/ORCOD": "int",
    "Ménages connus": "int",
    "Relogements": "int",
    "Part des relogements": "pct",
    "Part minimale de la charte": "pct",
    "Logements": "int",
    "Ménages": "int",
    "Mutations": "int",
    "Part des mutations": "pct",
    "Loyer moyen (€/m²)": "float",
    "Sous 40 % du plafond PLUS": "pct",
    "Familles monoparentales": "pct",
    "Indice de fragilité": "float",
    "Part hors QPV au 1er quartile": "pct",
    "Part en QPV hors 1er quartile": "pct",
    "Part prioritaires": "pct",
    "Vacances attendues hors QPV": "int",
    "Part réalisée": "pct",
    "Part atteignable": "pct",
    "Borne basse": "pct",
    "Borne haute": "pct",
}


@dataclass(frozen=True)
class DocumentOutputs:
    docx: tuple[Path, ...]
    html: tuple[Path, ...]


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def _partner(level: str, group: object, names: Names) -> str:
    if level == Level.EPCI or (str(group) == "epci" and level != Level.RESERVATAIRE):
        return f"EPCI — {names.territory}"
    if level == Level.LANDLORD_NON_RESERVED:
        return f"{names.landlord(group)} (logements non réservés)"
    return fr.group_label(level, group, names)


def _and(items: Sequence[str]) -> str:
    """« A », « A et B », « A, B et C »."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def _n(count: Any, singular: str, plural: str | None = None) -> str:
    """« 1 attribution », « 12 attributions » (French: singular below 2)."""
    word = singular if abs(float(count)) < 2 else (plural or singular + "s")
    return f"{fr.integer(count)} {word}"


# ---------------------------------------------------------------------------------------------
# Tables of the quotas and objectives
# ---------------------------------------------------------------------------------------------


def _quota_table(
    table: pd.DataFrame, level: str, indicators: tuple[str, ...], names: Names
) -> pd.DataFrame:
    part = table[(table["level"] == level) & table["indicator"].isin(indicators)]
    if level == Level.RESERVATAIRE:
        part = part[part["target_applies"]]
    return pd.DataFrame(
        {
            "Partenaire": [_partner(level, g, names) for g in part["group"]],
            "Indicateur": part["indicator"].map(fr.INDICATOR_SHORT_LABELS).to_numpy(),
            "Attributions": part["denominator"].to_numpy(),
            "Public cible": part["numerator"].to_numpy(),
            "Réalisé": part["share"].to_numpy(),
            "Objectif légal": part["target"].to_numpy(),
            "Manque": part["shortfall"].to_numpy(),
        }
    )


def _objectives(frame: pd.DataFrame | None, level: str, names: Names) -> pd.DataFrame | None:
    if frame is None:
        return None
    out = pd.DataFrame(
        {
            "Partenaire": [
                "Total" if p == "total" else _partner(level, p, names) for p in frame["partner"]
            ],
            "Attributions attendues": frame["expected"].to_numpy(),
            "Réalisé l'an passé": frame["achieved"].to_numpy(),
        }
    )
    if "cap" in frame.columns:
        out["Plafond (marge)"] = frame["cap"].to_numpy()
    out["Objectif (attributions)"] = frame["objective"].to_numpy()
    out["Objectif (part)"] = frame["objective_rate"].to_numpy()
    return out


def _commune_objectives(frame: pd.DataFrame | None, names: Names) -> pd.DataFrame | None:
    out = _objectives(frame, Level.COMMUNE, names)
    if out is None:
        return None
    out = out.rename(columns={"Partenaire": "Commune"})
    return out.drop(columns=[c for c in ("Plafond (marge)",) if c in out.columns])


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------


def _percent_axis(ax: Axes, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda v, _pos: fr.percent(v / 100.0, 0))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def _chart_obligation(rows: pd.DataFrame, labels: list[str], title: str, out: Path) -> Path:
    """Bars of the achieved share per partner, green when met and red when not, each with its
    target marked."""
    import textwrap

    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    labels = [textwrap.fill(label, 34) for label in labels]
    height = max(2.2, 0.38 * len(rows) + 0.12 * sum(label.count("\n") for label in labels) + 1.0)
    fig, ax = plt.subplots(figsize=(8, height), dpi=150)
    positions = list(range(len(rows)))
    colours = [_COLOUR_MET if met else _COLOUR_NOT_MET for met in rows["met"]]
    ax.barh(positions, rows["share"] * 100, color=colours, height=0.6)
    ax.scatter(rows["target"] * 100, positions, marker="|", s=380, color=_COLOUR_TARGET, zorder=3)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(100.0, float((rows["share"].max() or 0) * 100 + 5)))
    _percent_axis(ax)
    ax.set_xlabel(title)
    ax.legend(
        handles=[
            Patch(color=_COLOUR_MET, label="objectif atteint"),
            Patch(color=_COLOUR_NOT_MET, label="objectif non atteint"),
            Line2D(
                [],
                [],
                color=_COLOUR_TARGET,
                marker="|",
                linestyle="",
                markersize=14,
                label="objectif",
            ),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28 * 3.0 / height),
        ncol=3,
        fontsize=7,
        frameon=False,
    )
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def _chart_evolution(history: pd.DataFrame, targets: dict[str, float], out: Path) -> Path:
    """The EPCI's shares per year, with the national targets dashed."""
    fig, ax = plt.subplots(figsize=(8, 3.4), dpi=150)
    years = history["year"].astype(int).tolist()
    colours = {
        Indicator.Q1_OUTSIDE_QPV: "#1f4e79",
        Indicator.NON_Q1_IN_QPV: "#b9770e",
        Indicator.PRIORITY: "#6a1b9a",
    }
    for ind, colour in colours.items():
        ax.plot(
            years,
            history[str(ind)] * 100,
            marker="o",
            color=colour,
            label=fr.INDICATOR_SHORT_LABELS[ind],
        )
        if str(ind) in targets:
            ax.axhline(targets[str(ind)] * 100, color=colour, linestyle="--", linewidth=0.8)
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylim(0, 100)
    _percent_axis(ax, "y")
    ax.set_ylabel("part des attributions")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (m) near a fifth of the map's width."""
    for km in (0.5, 1, 2, 5, 10, 20, 50, 100):
        if km * 1000 >= span_m / 6:
            return km * 1000.0
    return 200_000.0


def _map_layers(result: DocumentsResult) -> tuple[Any, Any, Any]:
    """Residences, QPV and communes in Lambert-93 (None when absent), read by the map module's
    layer builders."""
    from mixite.reports.maps import communes_geodataframe, qpv_geodataframe

    layer = result.map_residences
    located = None if layer is None else layer.dropna(subset=["x", "y"])
    qpv = None
    if result.qpv_shapes is not None and "geometry_wkt" in result.qpv_shapes.columns:
        shapes = qpv_geodataframe(result.qpv_shapes)
        qpv = None if shapes.empty else shapes.to_crs("EPSG:2154").reset_index(drop=True)
    communes = None
    if result.commune_shapes is not None and len(result.commune_shapes):
        contours = communes_geodataframe(result.commune_shapes)
        communes = None if contours.empty else contours.to_crs("EPSG:2154")
    return located, qpv, communes


def _map(
    result: DocumentsResult, out: Path, bounds: tuple[float, float, float, float] | None = None
) -> Path | None:
    """Residences by fragility class (sized by dwellings), QPV perimeters numbered with their
    names in the legend, and commune boundaries when the store has them; no basemap,
    Lambert-93 metres. ``bounds`` (x0, y0, x1, y1) zooms on a part of the territory."""
    from matplotlib import patheffects
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from mixite.reports.maps import SIZE_SCALE

    located, qpv, communes = _map_layers(result)
    if located is None or located.empty:
        return None
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        located = located[located["x"].between(x0, x1) & located["y"].between(y0, y1)]
    fig, ax = plt.subplots(figsize=(7, 7), dpi=180)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    handles: list[Any] = []
    if communes is not None:
        communes.boundary.plot(ax=ax, color="#8c8c8c", linewidth=0.6, zorder=1)
        for geom, code in zip(communes.geometry, communes["commune"], strict=True):
            point = geom.representative_point()
            ax.annotate(
                result.names.commune(code),
                (point.x, point.y),
                fontsize=6,
                color="#4d4d4d",
                ha="center",
                style="italic",
                path_effects=halo,
                zorder=4,
                annotation_clip=True,
            )
        handles.append(Line2D([], [], color="#8c8c8c", linewidth=0.8, label="limite communale"))
    if qpv is not None:
        qpv.plot(ax=ax, facecolor=_QPV_COLOUR, alpha=0.12, edgecolor="none", zorder=2)
        qpv.boundary.plot(ax=ax, color=_QPV_COLOUR, linewidth=1.3, zorder=2)
        handles.append(
            Patch(
                facecolor=_QPV_COLOUR + "33",
                edgecolor=_QPV_COLOUR,
                label="quartier prioritaire (QPV), numéroté :",
            )
        )
        for k, (geom, code) in enumerate(zip(qpv.geometry, qpv["qpv_code"], strict=True), 1):
            point = geom.representative_point()
            ax.annotate(
                str(k),
                (point.x, point.y),
                fontsize=7,
                fontweight="bold",
                color=_QPV_COLOUR,
                ha="center",
                va="center",
                path_effects=halo,
                zorder=5,
                annotation_clip=True,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker=f"${k}$",
                    color=_QPV_COLOUR,
                    markersize=6,
                    label=result.names.qpv.get(str(code), str(code)),
                )
            )
    entries = _class_legend(located)
    for label, colour, _count in reversed(entries):  # the most fragile drawn last, on top
        part = located[located["fragility_class"].astype(str) == label]
        ax.scatter(
            part["x"],
            part["y"],
            s=_marker_area(part["dwellings"]),
            color=colour,
            alpha=0.85,
            edgecolors="white",
            linewidths=0.25,
            zorder=3,
        )
    class_handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=6,
            color=colour,
            label=f"{label} : {_n(count, 'résidence')}",
        )
        for label, colour, count in entries
    ]
    size_handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color="#7f7f7f",
            markersize=float(_marker_area(pd.Series([d])).iloc[0]) ** 0.5,
            label=_n(d, "logement"),
        )
        for d in SIZE_SCALE
    ]
    ax.set_aspect("equal")
    ax.set_axis_off()
    if bounds is not None:
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=2, zorder=6, path_effects=halo)
    ax.annotate(
        f"{fr.number(length / 1000)} km",
        (bx + length / 2, by),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        fontsize=7,
        path_effects=halo,
        zorder=6,
    )
    ax.annotate("N ↑", (x1, y1), ha="right", va="top", fontsize=9, fontweight="bold")
    fig.legend(
        handles=[
            Patch(color="none", label="Résidences par classe de fragilité :"),
            *class_handles,
            Patch(color="none", label="Taille selon le nombre de logements :"),
            *size_handles,
            *handles,
        ],
        fontsize=7.5,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.1),
        ncol=3,
        frameon=False,
    )
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def _class_legend(located: pd.DataFrame) -> list[tuple[str, str, int]]:
    """Every fragility class present on the map, from the most fragile, the unclassified ones
    last: (label, colour, residences), in the colours of the other maps."""
    from mixite.reports.maps import FRAGILITY_COLOURS, class_colour

    labels = located["fragility_class"].astype(str)
    counts = labels.value_counts()
    present = set(labels)
    classes = [c for c in FRAGILITY_COLOURS if c in present]
    classes += sorted(present - set(classes))
    return [(c, class_colour(c), int(counts[c])) for c in classes]


def _marker_area(dwellings: pd.Series) -> pd.Series:
    """Marker area (points²) of a residence: the circle of the other maps
    (``maps.marker_radius``, its area growing with the dwellings), at 0.8 of its radius."""
    from mixite.reports.maps import marker_radius

    return pd.Series([(0.8 * marker_radius(n)) ** 2 for n in dwellings], index=dwellings.index)


def _zoom_bounds(result: DocumentsResult) -> tuple[float, float, float, float] | None:
    """A square on the dense core of the stock, where the overview map crowds: centred on the
    dwelling-weighted median position, wide enough for 70 % of the dwellings, when it is at most
    60 % of the territory's extent."""
    located, _, _ = _map_layers(result)
    if located is None or len(located) < 2:
        return None
    weights = located["dwellings"].to_numpy(dtype=float)

    def weighted_median(values: Any) -> float:
        order = np.argsort(values)
        cumulative = np.cumsum(weights[order])
        return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])

    xs, ys = located["x"].to_numpy(dtype=float), located["y"].to_numpy(dtype=float)
    cx, cy = weighted_median(xs), weighted_median(ys)
    reach = np.maximum(np.abs(xs - cx), np.abs(ys - cy))
    order = np.argsort(reach)
    cumulative = np.cumsum(weights[order])
    core = float(reach[order][np.searchsorted(cumulative, 0.7 * cumulative[-1])])
    side = max(2.2 * core, 3000.0)
    territory = max(float(np.ptp(xs)), float(np.ptp(ys)))
    if side > 0.6 * territory:
        return None
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


# ---------------------------------------------------------------------------------------------
# The legal objectives, met or not
# ---------------------------------------------------------------------------------------------

#: The order of the scales in each obligation's table.
_LEVEL_ORDER = {
    Level.EPCI: 0,
    Level.LANDLORD: 1,
    Level.RESERVATAIRE: 2,
    Level.LANDLORD_NON_RESERVED: 3,
}


def _reason_of(result: DocumentsResult, level: str, group: str) -> str | None:
    groups = result.marges_groups
    if groups is None:
        return None
    key = "epci" if level == Level.EPCI else group
    row = groups[(groups["level"] == level) & (groups["group"].astype(str) == key)]
    if row.empty or pd.isna(row["reason"].iloc[0]):
        return None
    return str(row["reason"].iloc[0])


def _pct(x: Any) -> str:
    """A target as written in a sentence: « 25 % », « 27,5 % »."""
    return fr.percent(x, 0 if abs(float(x) * 100 - round(float(x) * 100)) < 1e-9 else 1)


def _finding(row: pd.Series, partner: str, indicator: str, reason: str | None, year: int) -> str:
    """One sentence: met or not, the shortfall, and outside QPV the main reason from the room
    for manoeuvre (its lever is given once, after the list)."""
    share, target = fr.percent(row["share"]), _pct(row["target"])
    if int(row["denominator"]) == 0:
        return f"{partner} : aucune attribution concernée en {year}."
    if bool(row["met"]):
        return f"{partner} : objectif atteint ({share} pour {target})."
    text = (
        f"{partner} : {share} pour {target}, il manque {_n(row['shortfall'], 'attribution')} "
        f"{_PUBLIC[Indicator(indicator)]}"
    )
    if indicator == Indicator.Q1_OUTSIDE_QPV and reason is not None:
        if reason == "atteignable":
            text += " ; les logements libérés hors QPV permettraient d'atteindre l'objectif"
        else:
            text += f" ; frein principal : {fr.REASON_LABELS.get(reason, reason)}"
    return text + "."


def _levers(reasons: Sequence[str]) -> list[str]:
    """One sentence per distinct reason: the lever that answers it."""
    out = []
    for reason in dict.fromkeys(reasons):
        if reason == "atteignable":
            out.append(f"Levier là où l'objectif est atteignable : {_LEVERS['atteignable']}.")
        elif reason in _LEVERS:
            cause = fr.REASON_LABELS.get(reason, reason)
            out.append(f"Levier quand le frein est « {cause} » : {_LEVERS[reason]}.")
    return out


def _obligations(result: DocumentsResult, work_dir: Path | None) -> list[Obligation]:
    """The legal obligations as the diagnostic shows them (``reports.legal``: the same table and
    trend over the previous years), with the met / not met colours, one sentence per partner
    (its share, target, shortfall and main reason), the levers and the chart."""
    from mixite.reports.legal import obligations as legal_obligations

    status = result.legal_status
    if status is None or status.empty:
        return []
    status = status.assign(order=status["level"].map(_LEVEL_ORDER).fillna(9))
    status = status.sort_values(["order"], kind="stable").reset_index(drop=True)
    history = result.legal_history
    before = None if history is None else history[history["year"] < result.year]
    groups = result.marges_groups
    reasons: dict[str, str] = {}
    if groups is not None:
        landlords = groups[(groups["level"] == Level.LANDLORD) & groups["reason"].notna()]
        reasons = dict(
            zip(landlords["group"].astype(str), landlords["reason"].astype(str), strict=True)
        )
    out = []
    for item in legal_obligations(status, result.names, result.year, before, reasons):
        ind = Indicator(item.indicator)
        rows = status[status["indicator"] == item.indicator].reset_index(drop=True)
        fills = {
            (i, "Situation"): _FILL_MET if m else _FILL_NOT_MET for i, m in enumerate(item.met)
        }
        row_reasons = [
            _reason_of(result, str(r["level"]), str(r["group"])) for _, r in rows.iterrows()
        ]
        findings = tuple(
            _finding(r, p, item.indicator, reason, result.year)
            for (_, r), p, reason in zip(rows.iterrows(), item.labels, row_reasons, strict=True)
        )
        if ind == Indicator.Q1_OUTSIDE_QPV:
            unmet = [
                reason
                for reason, met in zip(row_reasons, item.met, strict=True)
                if reason is not None and not met
            ]
            findings += tuple(_levers(unmet))
        title, article = _OBLIGATION_TITLES[ind]
        chart = None
        if work_dir is not None:
            png = _chart_obligation(
                rows, item.labels, f"part {_PUBLIC[ind]}", work_dir / f"objectif_{ind}.png"
            )
            chart = Figure(
                png, f"{title} : part réalisée et objectif par partenaire, {result.year}"
            )
        out.append(Obligation(title, article, item.table, fills, findings, chart, item.formats))
    return out


def _narrative(result: DocumentsResult) -> list[str]:
    """A few sentences of the year: volumes, each EPCI obligation, how many partners meet theirs."""
    status = result.legal_status
    k = result.key_figures
    sentences = [
        f"En {result.year}, {_n(k['attributions'] or 0, 'attribution')} suivies d'un bail signé "
        f"ont été réalisées sur le territoire de {result.names.territory}."
    ]
    if status is None or status.empty:
        return sentences
    epci = status[status["level"] == Level.EPCI]
    for _, row in epci.iterrows():
        ind = Indicator(str(row["indicator"]))
        verdict = (
            "l'objectif est atteint"
            if row["met"]
            else f"l'objectif n'est pas atteint : il manque {_n(row['shortfall'], 'attribution')}"
        )
        sentences.append(
            f"Sur l'ensemble du territoire, {fr.percent(row['share'])} des attributions "
            f"concernées sont allées {_PUBLIC[ind]}, pour un objectif de "
            f"{_pct(row['target'])} : {verdict}."
        )
    counts = []
    for level, ind, what in (
        (Level.LANDLORD, Indicator.Q1_OUTSIDE_QPV, "bailleurs hors QPV"),
        (Level.LANDLORD, Indicator.NON_Q1_IN_QPV, "bailleurs en QPV"),
        (Level.RESERVATAIRE, Indicator.PRIORITY, "réservataires (hors État), DALO ou prioritaires"),
        (
            Level.LANDLORD_NON_RESERVED,
            Indicator.PRIORITY,
            "logements non réservés des bailleurs, DALO ou prioritaires",
        ),
    ):
        part = status[(status["level"] == level) & (status["indicator"] == str(ind))]
        if len(part):
            counts.append(f"{what} : {fr.integer(int(part['met'].sum()))} sur {len(part)}")
    if counts:
        sentences.append("Partenaires qui atteignent leur objectif : " + " ; ".join(counts) + ".")
    return sentences


def _evolution(
    result: DocumentsResult, work_dir: Path | None
) -> tuple[pd.DataFrame | None, list[str], Figure | None]:
    """The EPCI's shares over the review's window, what they show, and the chart."""
    window = result.history_window or (result.year,)
    text: list[str] = []
    missing = dict(result.missing_years)
    absent = [y for y, why in sorted(missing.items()) if why == "no_attributions"]
    no_threshold = [y for y, why in sorted(missing.items()) if why == "no_threshold"]
    if absent:
        years = _and([str(y) for y in absent])
        text.append(
            f"Les attributions de {years} ne figurent pas dans la base du territoire : "
            f"l'évolution sur {_n(len(window), 'an')} sera complète quand elles y seront ajoutées."
        )
    if no_threshold:
        years = _and([str(y) for y in no_threshold])
        text.append(
            f"Le seuil du premier quartile de {years} n'est pas connu : les parts de "
            f"{'cette année' if len(no_threshold) == 1 else 'ces années'} ne sont pas calculées."
        )
    h = result.history
    if h is None:
        return None, text, None
    h = h[h["year"].isin(window)].sort_values("year").reset_index(drop=True)
    if h.empty:
        return None, text, None
    table = pd.DataFrame(
        {
            "Année": h["year"].astype(str).to_numpy(),
            "Attributions": h["attributions"].to_numpy(),
            "Part hors QPV au 1er quartile": h[Indicator.Q1_OUTSIDE_QPV].to_numpy(),
            "Part en QPV hors 1er quartile": h[Indicator.NON_Q1_IN_QPV].to_numpy(),
            "Part prioritaires": h[Indicator.PRIORITY].to_numpy(),
        }
    )
    chart = None
    if len(h) >= 2:
        first, last = h.iloc[0], h.iloc[-1]
        for ind in (Indicator.Q1_OUTSIDE_QPV, Indicator.NON_Q1_IN_QPV):
            text.append(
                f"De {int(first['year'])} à {int(last['year'])}, la part des attributions "
                f"{_PUBLIC[ind]} est passée de {fr.percent(first[str(ind)])} à "
                f"{fr.percent(last[str(ind)])}."
            )
        if work_dir is not None:
            targets = {}
            if result.legal_status is not None:
                epci = result.legal_status[result.legal_status["level"] == Level.EPCI]
                targets = dict(zip(epci["indicator"].astype(str), epci["target"], strict=True))
            png = _chart_evolution(h, targets, work_dir / "evolution.png")
            chart = Figure(
                png, "Évolution des parts de l'ensemble du territoire (objectifs en tirets)"
            )
    return table, text, chart


def _statistics(result: DocumentsResult) -> tuple[pd.DataFrame | None, str]:
    status = result.legal_status
    if status is None or status.empty or "ci_low" not in status.columns:
        return None, ""
    level = result.terms.get("confidence_level", (0.95, "", False))[0]
    frame = pd.DataFrame(
        {
            "Partenaire": [
                _partner(lv, g, result.names)
                for lv, g in zip(status["level"], status["group"], strict=True)
            ],
            "Indicateur": status["indicator"].map(fr.INDICATOR_SHORT_LABELS).to_numpy(),
            "Attributions": status["denominator"].to_numpy(),
            "Réalisé": status["share"].to_numpy(),
            "Borne basse": status["ci_low"].to_numpy(),
            "Borne haute": status["ci_high"].to_numpy(),
        }
    )
    note = (
        "Annexe statistique, sans valeur juridique : les obligations se jugent sur le nombre "
        "d'attributions réalisées. Une part calculée sur peu d'attributions varie beaucoup d'une "
        f"année à l'autre ; les bornes donnent l'intervalle de confiance à {fr.percent(level, 0)} "
        "de la part (méthode exacte de Clopper et Pearson)."
    )
    return frame, note


# ---------------------------------------------------------------------------------------------
# Orientations, commitments, signatories
# ---------------------------------------------------------------------------------------------


def _row(status: pd.DataFrame | None, level: str, indicator: str) -> pd.DataFrame:
    if status is None:
        return pd.DataFrame()
    return status[(status["level"] == level) & (status["indicator"] == str(indicator))]


def _below(result: DocumentsResult, level: str, indicator: str) -> list[str]:
    rows = _row(result.legal_status, level, indicator)
    rows = rows[~rows["met"].astype(bool)] if len(rows) else rows
    return [
        f"{_partner(level, g, result.names)} ({fr.percent(s)})"
        for g, s in zip(rows.get("group", []), rows.get("share", []), strict=True)
    ]


def _orientations(result: DocumentsResult, method_label: str) -> list[Orientation]:
    names = result.names
    out: list[Orientation] = []
    q1 = _row(result.legal_status, Level.EPCI, Indicator.Q1_OUTSIDE_QPV)
    findings: list[str] = []
    proposals: list[str] = []
    if len(q1):
        r = q1.iloc[0]
        findings.append(
            f"En {result.year}, {fr.percent(r['share'])} des attributions hors QPV sont allées à "
            f"des demandeurs du premier quartile ou à des relogés, pour un objectif de "
            f"{fr.percent(r['target'])}"
            + ("." if r["met"] else f" : il a manqué {_n(r['shortfall'], 'attribution')}.")
        )
        below = _below(result, Level.LANDLORD, Indicator.Q1_OUTSIDE_QPV)
        if below:
            findings.append(f"Bailleurs sous l'objectif : {_and(below)}.")
        proposals.append(
            f"Atteindre chaque année au moins {fr.percent(r['target'])} d'attributions hors QPV "
            "aux demandeurs du premier quartile ou aux ménages relogés, réparties entre "
            f"bailleurs selon la méthode {method_label.split(' (')[0]} (tableau des objectifs "
            "quantifiés)."
        )
    groups = result.marges_groups
    if groups is not None and len(groups):
        epci = groups[groups["level"] == Level.EPCI]
        if len(epci):
            findings.append(
                "Les logements qui se libèrent hors QPV permettraient d'atteindre au plus "
                f"{fr.percent(epci['attainable_share'].iloc[0])} d'attributions au premier "
                "quartile (loyer, taille et plafonds compatibles avec leurs ressources)."
            )
        constrained = groups[
            (groups["level"] == Level.LANDLORD) & (groups["reason"] != "atteignable")
        ]
        for _, g in constrained.iterrows():
            reason = str(g["reason"])
            findings.append(
                f"{names.landlord(g['group'])} : au plus {fr.percent(g['attainable_share'])} "
                f"atteignable, frein principal : {fr.REASON_LABELS.get(reason, reason)}."
            )
            proposals.append(
                f"Pour {names.landlord(g['group'])} : {_LEVERS.get(reason, 'lever le frein')} ; "
                "son objectif est plafonné par ce qu'il peut atteindre, les autres bailleurs "
                "compensent."
            )
    proposals.append(
        "Orienter vers les demandeurs du premier quartile les logements hors QPV qui leur sont "
        "accessibles, en examinant ces logements en commission de coordination."
    )
    out.append(
        Orientation(
            "Attributions hors QPV aux ménages les plus modestes",
            "CCH art. L441-1 et L441-1-5",
            tuple(findings),
            tuple(proposals),
        )
    )

    qpv = _row(result.legal_status, Level.EPCI, Indicator.NON_Q1_IN_QPV)
    findings, proposals = [], []
    if len(qpv):
        r = qpv.iloc[0]
        findings.append(
            f"En QPV, {fr.percent(r['share'])} des attributions sont allées à des demandeurs des "
            f"autres quartiles (objectif : {fr.percent(r['target'])})."
        )
        proposals.append(
            f"Maintenir au moins {fr.percent(r['target'])} d'attributions en QPV à des demandeurs "
            "des autres quartiles, bailleur par bailleur."
        )
    counts = result.fragility_counts
    if counts is not None and len(counts):
        fragile = counts[counts["fragility_class"].isin(["très fragile", "fragile"])]
        if len(fragile):
            very = fragile[fragile["fragility_class"] == "très fragile"]
            in_qpv = fragile[fragile["in_qpv"].astype(bool)]
            findings.append(
                f"{_n(int(fragile['residences'].sum()), 'résidence')} sont classées fragiles ou "
                f"très fragiles ({_n(int(fragile['dwellings'].sum()), 'logement')}), dont "
                f"{_n(int(very['residences'].sum()), 'très fragile')} ; "
                f"{fr.integer(int(in_qpv['residences'].sum()))} sont en QPV, "
                f"{fr.integer(int(fragile['residences'].sum() - in_qpv['residences'].sum()))} "
                "hors QPV (carte et liste du diagnostic)."
            )
            proposals.append(
                "Dans les résidences très fragiles, en QPV ou non, ne pas concentrer les "
                "attributions sur les ménages aux ressources les plus faibles et proposer aux "
                "ménages en place qui le souhaitent une mutation vers un autre secteur."
            )
    out.append(
        Orientation(
            "Mixité dans les quartiers prioritaires et les résidences fragiles",
            "CCH art. L441-1 et L441-1-5",
            tuple(findings),
            tuple(proposals),
        )
    )

    findings, proposals = [], []
    below = _below(result, Level.RESERVATAIRE, Indicator.PRIORITY)
    below_landlords = _below(result, Level.LANDLORD_NON_RESERVED, Indicator.PRIORITY)
    res = _row(result.legal_status, Level.RESERVATAIRE, Indicator.PRIORITY)
    if len(res):
        findings.append(
            f"{fr.integer(int(res['met'].sum()))} réservataires sur {len(res)} (hors État) ont "
            f"consacré au moins {fr.percent(res['target'].iloc[0])} de leurs attributions aux "
            "ménages DALO ou prioritaires."
        )
    if below:
        findings.append(f"Réservataires sous l'objectif : {_and(below)}.")
    if below_landlords:
        findings.append(f"Logements non réservés sous l'objectif : {_and(below_landlords)}.")
    proposals += [
        "Chaque réservataire autre que l'État et chaque bailleur pour ses logements non "
        "réservés consacre au moins le taux légal de ses propres attributions aux ménages DALO "
        "ou, à défaut, prioritaires ; la convention intercommunale d'attribution chiffre "
        "l'objectif de chacun.",
        "Partager entre réservataires et bailleurs la liste des ménages DALO et prioritaires et "
        "examiner en commission de coordination ceux qui attendent le plus longtemps.",
        "Reloger les ménages prioritaires aussi hors QPV, dans des logements dont le loyer "
        "reste compatible avec leurs ressources.",
    ]
    out.append(
        Orientation(
            "Relogement des ménages DALO et prioritaires",
            "CCH art. L441-1, L441-1-5 et L441-2-3",
            tuple(findings),
            tuple(proposals),
        )
    )

    findings, proposals = [], []
    mutations = result.mutations
    if mutations is not None and len(mutations):
        whole = mutations[mutations["level"] == "epci"].iloc[0]
        landlords = mutations[mutations["level"] == Level.LANDLORD]
        findings.append(
            f"En {result.year}, {_n(int(whole['mutations']), 'mutation')} sur "
            f"{_n(int(whole['attributions']), 'attribution')} ({fr.percent(whole['share'])})."
        )
        if len(landlords):
            findings.append(
                f"La part des mutations va de {fr.percent(landlords['share'].min())} à "
                f"{fr.percent(landlords['share'].max())} selon les bailleurs."
            )
    proposals += [
        "Faciliter les mutations des ménages dont le logement n'est plus adapté "
        "(sous-occupation, sur-occupation, handicap, loyer devenu trop lourd), en particulier "
        "vers des logements hors QPV.",
        "Les mutations comptent dans les objectifs d'attribution : une mutation d'un ménage du "
        "premier quartile vers un logement hors QPV compte dans l'objectif hors QPV.",
    ]
    out.append(Orientation("Mutations", "CCH art. L441-1-5", tuple(findings), tuple(proposals)))

    findings, proposals = [], []
    relocations = result.relocations
    total = int(relocations["relocations"].sum()) if len(relocations) else 0
    findings.append(
        f"En {result.year}, {_n(total, 'ménage relogé', 'ménages relogés')} dans le cadre du "
        "renouvellement urbain (NPNRU) ou d'une ORCOD"
        + (f", par {_n(len(relocations), 'bailleur')}." if len(relocations) else ".")
    )
    proposals += [
        "Reloger les ménages concernés par le renouvellement urbain en priorité hors QPV et "
        "dans le parc neuf ou récent, avec un reste à charge maîtrisé ; ces relogements "
        "comptent dans l'objectif hors QPV.",
        "Répartir l'effort de relogement entre tous les bailleurs et réservataires, selon une "
        "charte intercommunale de relogement.",
    ]
    out.append(
        Orientation(
            "Relogement lié au renouvellement urbain",
            "CCH art. L441-1 et L441-1-5",
            tuple(findings),
            tuple(proposals),
        )
    )
    return out


#: The relocation targets of the CIA's relocation section (``RelocationReview.targets``).
_RELOCATION_TARGETS = {
    "neuf_recent": "Ménages relogés dans un logement neuf ou récent",
    "hors_qpv": "Ménages relogés hors QPV",
    "reste_a_charge": "Ménages dont le reste à charge n'augmente pas au-delà de la charte",
}


def _relocation_review(
    result: DocumentsResult,
) -> tuple[list[str], pd.DataFrame | None, pd.DataFrame | None]:
    """The relocation section in words: sentences, the targets table and the partners' table
    (tables None when no follow-up is imported)."""
    review = result.relocation_review
    if review is None or not review.imported:
        return (
            [
                "Aucun suivi des relogements n'a été transmis : les relogements ne comptent dans "
                "l'objectif hors QPV que lorsque l'attribution est déclarée comme relogement "
                "NPNRU, et les relogements réalisés ne peuvent pas être comparés aux objectifs de "
                "la charte de relogement. Les partenaires transmettent le tableau de suivi des "
                "relogements (ménages relogés, logement et date du bail) pour que ces éléments "
                "figurent ici."
            ],
            None,
            None,
        )
    f = review.figures
    names = result.names
    text = [
        f"Selon le suivi des relogements importé, {_n(f['rehoused'], 'ménage relogé', 'ménages relogés')}"
        f" sur {_n(f['surveyed'], 'ménage suivi', 'ménages suivis')} "
        f"({_n(f['waiting'], 'ménage', 'ménages')} encore à reloger), dont "
        f"{_n(f['rehoused_in_year'], 'bail signé', 'baux signés')} en {review.year}. "
        f"{_n(f['matched'], 'relogement est rapproché', 'relogements sont rapprochés')} d'une "
        "attribution importée (même logement et même date de bail) ; "
        f"{_n(f['counted_outside_qpv'], 'relogement', 'relogements')} hors QPV de {review.year} "
        "comptent ainsi dans l'objectif d'attributions hors QPV au premier quartile ou aux "
        "relogés, une seule fois même quand le ménage est aussi du premier quartile.",
        (
            f"Objectifs de la charte : {review.charter_name} ({review.charter_source})."
            if review.charter_name
            else "Aucune charte de relogement n'a été fournie : les objectifs ci-dessous sont des "
            "valeurs indicatives par défaut, pas ceux du territoire."
        ),
    ]
    t = review.targets
    targets = pd.DataFrame(
        {
            "Objectif de relogement": [
                _RELOCATION_TARGETS.get(str(x), str(x)) for x in t["target"]
            ],
            "Cible de la charte": [
                f"hausse de {fr.euros(v, 2)} par mois au plus"
                if code == "reste_a_charge"
                else f"au moins {fr.percent(v)}"
                for code, v in zip(t["target"], t["target_value"], strict=True)
            ],
            "Ménages": t["households"],
            "Ménages connus": t["known"],
            "Part réalisée": t["share"],
            "Statut": [
                fr.MISSING if m is None or pd.isna(m) else ("atteint" if m else "non atteint")
                for m in t["met"]
            ],
            "Source": [
                "valeur indicative par défaut (la charte ne la fixe pas)"
                if str(x).startswith("valeur par défaut")
                else fr.source(str(x))
                for x in t["source"]
            ],
        }
    )
    c = review.contributions
    partners = pd.DataFrame(
        {
            "Partenaire": [
                "logement hors des attributions importées"
                if str(k) == "non_rapproche"
                else fr.reservataire_name(str(k), names)
                for k in c["partner"]
            ],
            "Relogements": c["relocations"],
            "Part des relogements": c["share"],
            "Part minimale de la charte": c["charter_share"],
            "Statut": [
                fr.MISSING if m is None or pd.isna(m) else ("atteint" if m else "non atteint")
                for m in c["met"]
            ],
        }
    )
    return text, targets, partners


def _objective_of(frame: pd.DataFrame | None, partner: str) -> pd.Series | None:
    if frame is None:
        return None
    row = frame[frame["partner"].astype(str) == partner]
    return None if row.empty else row.iloc[0]


def _priority_item(row: pd.Series, year: int) -> str:
    return (
        f"Au moins {_n(row['objective'], 'attribution')} par an aux ménages DALO ou, à défaut, "
        "prioritaires sur ses droits de réservation "
        f"({fr.percent(row['objective_rate'])} de ses attributions de {year})."
    )


def _commitments(result: DocumentsResult) -> list[Commitments]:
    names = result.names
    year = result.year
    reservataires = result.objectives_reservataires
    reservataires = reservataires[reservataires["partner"].astype(str) != "total"]
    own = reservataires[reservataires["partner"].astype(str) == "epci"]
    ceiling = result.legal[result.legal["code"] == "contingent_prefectoral"]["rate"]
    contingent = (
        f" (au plus {_pct(ceiling.iloc[0])} du flux annuel de chaque bailleur)"
        if len(ceiling)
        else ""
    )
    out = [
        Commitments(
            names.territory,
            "CCH art. L441-1-5 et L441-1-6",
            (
                "Copréside avec le préfet la conférence intercommunale du logement et préside la "
                "commission de coordination.",
                "Organise chaque année le bilan des attributions et le présente à la "
                "conférence ; le rend public.",
                *[_priority_item(row, year) for _, row in own.iterrows()],
            ),
        ),
        Commitments(
            "État",
            "CCH art. L441-1, L441-2-3 et R441-5",
            (
                "Copréside la conférence intercommunale du logement.",
                f"Mobilise son contingent de réservation{contingent} pour les ménages DALO et "
                "prioritaires et pour ses agents.",
                "Peut attribuer les logements manquants lorsqu'un bailleur ou un réservataire "
                "n'atteint pas ses objectifs, en les imputant sur ses droits.",
            ),
        ),
    ]
    landlords = sorted(
        set(result.objectives_landlords["partner"].astype(str)) - {"total"},
        key=names.landlord,
    )
    for code in landlords:
        items = []
        q1 = _objective_of(result.objectives_landlords, code)
        if q1 is not None:
            items.append(
                f"Au moins {_n(q1['objective'], 'attribution')} par an hors QPV à des "
                f"demandeurs du premier quartile ou à des relogés "
                f"({fr.percent(q1['objective_rate'])} de ses attributions hors QPV de {year})."
            )
        qpv = _objective_of(result.objectives_non_q1_qpv, code)
        if qpv is not None and int(qpv["expected"]) > 0:
            items.append(
                f"Au moins {_n(qpv['objective'], 'attribution')} par an en QPV à des demandeurs "
                f"des autres quartiles ({fr.percent(qpv['objective_rate'])})."
            )
        prio = _objective_of(result.objectives_landlords_non_reserved, code)
        if prio is not None:
            items.append(
                f"Au moins {_n(prio['objective'], 'attribution')} par an aux ménages DALO ou "
                "prioritaires sur ses logements non réservés "
                f"({fr.percent(prio['objective_rate'])} de leurs attributions de {year})."
            )
        items += [
            "Contribue au relogement des ménages concernés par le renouvellement urbain.",
            "Transmet chaque année ses attributions à l'EPCI et au préfet pour le bilan annuel.",
        ]
        out.append(Commitments(names.landlord(code), "CCH art. L441-1 et L441-1-6", tuple(items)))
    for _, row in reservataires.iterrows():
        code = str(row["partner"])
        if reservataire_kind(code) in ("bailleur", "epci") or code in STATE_RESERVATAIRES:
            continue
        out.append(
            Commitments(
                _partner(Level.RESERVATAIRE, code, names),
                "CCH art. L441-1",
                (
                    _priority_item(row, year),
                    "Propose des candidats pour les logements de son contingent et transmet "
                    "chaque année ses attributions pour le bilan annuel.",
                ),
            )
        )
    return out


def _signatories(result: DocumentsResult) -> list[Signatory]:
    names = result.names
    out = [
        Signatory(names.territory, "Le président ou la présidente"),
        Signatory("l'État", "Le préfet ou la préfète du département"),
    ]
    landlords = sorted(
        set(result.objectives_landlords["partner"].astype(str)) - {"total"}, key=names.landlord
    )
    out += [
        Signatory(names.landlord(c), "Le directeur général ou la directrice générale")
        for c in landlords
    ]
    for code in result.objectives_reservataires["partner"].astype(str):
        if code in ("total", "bailleur", "epci") or code.startswith("etat"):
            continue
        out.append(Signatory(_partner(Level.RESERVATAIRE, code, names), "Son représentant légal"))
    return out


def _visas(result: DocumentsResult) -> list[str]:
    reference = result.threshold_reference
    if not reference or reference == "territoire.yaml":
        return [
            f"Vu le seuil de ressources des demandeurs du premier quartile fixé pour {result.year} ;"
        ]
    text = reference.split(" ; ")[0].split(" (CCH")[0].split(", annexe")[0]
    return [f"Vu l'{text[0].lower()}{text[1:]} ;" if text[:1] in "AEIOU" else f"Vu le {text} ;"]


def _term(result: DocumentsResult, code: str, unit: str, default: float) -> str:
    value = result.terms.get(code, (default, "", False))[0]
    return _n(value, unit, "mois" if unit == "mois" else None)


# ---------------------------------------------------------------------------------------------
# Assembling
# ---------------------------------------------------------------------------------------------


def policy_inputs(result: DocumentsResult, work_dir: Path | None = None) -> PolicyInputs:
    """The documents' content in French, from the job's result (the charts and the map drawn
    in ``work_dir`` when given)."""
    names = result.names
    year = result.year
    table = result.quotas
    method_label = SPLIT_METHODS[result.method_used]
    if result.method_used != result.method:
        method_label += (
            f" (la méthode « {result.method} » demande les marges de manœuvre, qui n'ont pas pu "
            "être calculées)"
        )
    if not result.reachable:
        method_label += (
            " — l'objectif de l'EPCI dépasse la somme des marges : il n'est pas atteignable"
        )
    k = result.key_figures
    key_figures: list[tuple[str, object, Format | None]] = [
        ("Logements sociaux (RPLS au 1er janvier)", k["dwellings"], "int"),
        ("dont en QPV", k["share_in_qpv"], "pct"),
        (f"Attributions suivies d'un bail signé en {year}", k["attributions"], "int"),
        ("Seuil du premier quartile (€ par UC et par an)", k["threshold"], "eur"),
        ("Attributions hors QPV au 1er quartile ou relogés", k["q1_outside_qpv_share"], "pct"),
    ]
    if k.get("applications") is not None:
        key_figures.insert(3, ("Demandes en cours au 31 décembre", k["applications"], "int"))

    review_text, review_targets, review_partners = _relocation_review(result)
    relocation = pd.DataFrame(
        {
            "Bailleur": [names.landlord(g) for g in result.relocations["landlord_id"]],
            "Relogements NPNRU/ORCOD": result.relocations["relocations"].to_numpy(),
        }
    )
    sectors = None
    if result.sectors is not None:
        s = result.sectors
        sectors = pd.DataFrame(
            {
                "Secteur": s["in_qpv"].map({True: "en QPV", False: "hors QPV"}).to_numpy(),
                "Logements": s["dwellings"].to_numpy(),
                "Loyer moyen (€/m²)": s["rent_m2"].to_numpy(),
                "Ménages": s["households"].to_numpy(),
                "Sous 40 % du plafond PLUS": s["share_under_40"].to_numpy(),
                "Familles monoparentales": s["share_single_parent"].to_numpy(),
            }
        )
    fragile = None
    if result.fragile_residences is not None:
        top = result.fragile_residences
        fragile = pd.DataFrame(
            {
                "Résidence": top["residence_id"].to_numpy(),
                "Commune": [names.commune(c) for c in top["commune"]],
                "En QPV": top["in_qpv"].map(fr.yes_no).to_numpy(),
                "Ménages": top["households"].to_numpy(),
                "Classe": top["fragility_class"].to_numpy(),
                "Caractéristiques": top["explanation"].to_numpy(),
            }
        )
    marges = None
    if result.marges_groups is not None:
        m = result.marges_groups
        m = m[m["level"] == Level.LANDLORD]
        marges = pd.DataFrame(
            {
                "Bailleur": [names.landlord(g) for g in m["group"]],
                "Vacances attendues hors QPV": m["expected_vacancies"].round(0).to_numpy(),
                "Part réalisée": m["achieved_share"].to_numpy(),
                "Part atteignable": m["attainable_share"].to_numpy(),
                "Frein principal": [
                    fr.REASON_LABELS.get(str(r), str(r)) for r in m["reason"].fillna("")
                ],
            }
        )
    mutations = None
    if result.mutations is not None:
        mu = result.mutations
        mutations = pd.DataFrame(
            {
                "Bailleur": [
                    f"EPCI — {names.territory}" if lv == "epci" else names.landlord(g)
                    for lv, g in zip(mu["level"], mu["group"], strict=True)
                ],
                "Attributions": mu["attributions"].to_numpy(),
                "Mutations": mu["mutations"].to_numpy(),
                "Part des mutations": mu["share"].to_numpy(),
            }
        )

    maps: list[Figure] = []
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        outline = (
            "avec les limites des communes"
            if result.commune_shapes is not None and len(result.commune_shapes)
            else "limites des communes non disponibles dans la base"
        )
        png = _map(result, work_dir / "carte_residences.png")
        if png is not None:
            maps.append(
                Figure(
                    png,
                    "Résidences sociales par classe de fragilité et quartiers prioritaires, "
                    f"ensemble du territoire ({outline})",
                )
            )
        bounds = _zoom_bounds(result)
        if png is not None and bounds is not None:
            zoom = _map(result, work_dir / "carte_residences_qpv.png", bounds)
            if zoom is not None:
                maps.append(
                    Figure(
                        zoom,
                        "Agrandissement sur le cœur urbain, où se concentre l'essentiel des logements",
                    )
                )
    obligations = _obligations(result, work_dir)
    history, evolution_text, evolution_chart = _evolution(result, work_dir)
    statistics, statistics_note = _statistics(result)

    references = dict(zip(result.legal["code"], result.legal["reference"], strict=True))
    share = result.definitions["share"].definition
    definitions = [
        (fr.INDICATOR_LABELS[ind], f"{share} Objectif : {references[str(ind)]}.")
        for ind in Indicator
    ]
    definitions += [
        (
            "Premier quartile",
            "Demandeur dont les ressources mensuelles déclarées × 12 / unités de consommation "
            "sont inférieures au seuil de l'arrêté annuel de l'EPCI.",
        ),
        (
            "Attributions manquantes",
            "Nombre d'attributions au public visé qui auraient été nécessaires pour atteindre "
            "l'objectif : objectif × attributions concernées, arrondi à l'unité supérieure, moins "
            "les attributions réalisées.",
        ),
    ]
    legal = pd.DataFrame(
        {
            "Objectif": [_LEGAL_LABELS[c] for c in result.legal["code"]],
            "Taux": result.legal["rate"].to_numpy(),
            "Texte de référence": [
                ref + (" (à confirmer)" if unconfirmed else "")
                for ref, unconfirmed in zip(
                    result.legal["reference"], result.legal["unconfirmed"], strict=True
                )
            ],
        }
    )
    return PolicyInputs(
        territory=names.territory,
        epci=names.epci,
        year=year,
        method_label=method_label,
        key_figures=key_figures,
        legal=legal,
        quotas_epci=_quota_table(table, Level.EPCI, tuple(Indicator), names),
        quotas_landlords=_quota_table(
            table, Level.LANDLORD, (Indicator.Q1_OUTSIDE_QPV, Indicator.NON_Q1_IN_QPV), names
        ),
        quotas_reservataires=_quota_table(table, Level.RESERVATAIRE, (Indicator.PRIORITY,), names),
        objectives_landlords=_objectives(result.objectives_landlords, Level.LANDLORD, names),
        objectives_non_q1_qpv=_objectives(result.objectives_non_q1_qpv, Level.LANDLORD, names),
        objectives_reservataires=_objectives(
            result.objectives_reservataires, Level.RESERVATAIRE, names
        ),
        relocation=relocation,
        relocation_review=review_text,
        relocation_targets=review_targets,
        relocation_partners=review_partners,
        sectors=sectors,
        fragile_residences=fragile,
        marges=marges,
        history=history,
        figures=[o.chart for o in obligations if o.chart is not None],
        definitions=definitions,
        formats=FORMATS,
        obligations=obligations,
        narrative=_narrative(result),
        evolution_text=evolution_text,
        evolution_chart=evolution_chart,
        maps=maps,
        orientations=_orientations(result, method_label),
        objectives_priority_landlords=_objectives(
            result.objectives_landlords_non_reserved, Level.LANDLORD, names
        ),
        objectives_communes=_commune_objectives(result.objectives_communes, names),
        objectives_communes_qpv=_commune_objectives(result.objectives_communes_qpv, names),
        mutations=mutations,
        commitments=_commitments(result),
        signatories=_signatories(result),
        visas=_visas(result),
        cia_duration=_term(result, "cia_duration_years", "an", 6),
        pdalhpd_delay=_term(result, "pdalhpd_delay_months", "mois", 2),
        revision_period="tous les " + _term(result, "rate_revision_years", "an", 3),
        statistics=statistics,
        statistics_note=statistics_note,
    )


def _libreoffice_pages(docx_paths: Sequence[Path], timeout: float) -> dict[Path, list[str]]:
    """The text of the first pages of each DOCX as LibreOffice lays it out (empty when
    LibreOffice or pdftotext is not installed, or fails)."""
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice is None or pdftotext is None or not docx_paths:
        return {}
    out: dict[Path, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="mixite-pages-") as tmp:
        profile = Path(tmp) / "profil"
        try:
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation={profile.as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    *map(str, docx_paths),
                ],
                check=True,
                capture_output=True,
                timeout=timeout,
            )
            for path in docx_paths:
                pdf = Path(tmp) / f"{path.stem}.pdf"
                text = subprocess.run(
                    [pdftotext, "-layout", "-f", "1", "-l", "4", str(pdf), "-"],
                    check=True,
                    capture_output=True,
                    timeout=60,
                    text=True,
                ).stdout
                out[path] = text.split("\f")
        except (OSError, subprocess.SubprocessError):
            return {}
    return out


def write_documents(
    result: DocumentsResult, out_dir: Path, page_numbers: bool = True
) -> DocumentOutputs:
    """Write document-cadre, CIA draft and annual review as DOCX and HTML under ``out_dir``.

    With ``page_numbers``, when LibreOffice is installed, the documents are laid out once to
    write the page numbers of their tables of contents (Word recomputes them on F9 anyway).
    """
    inputs = policy_inputs(result, out_dir / "images")
    date = f"{dt.date.today():%d/%m/%Y}"
    subtitle = f"{inputs.territory} — projet du {date}"
    builders: tuple[tuple[str, str, Callable[[PolicyInputs], list[Block]]], ...] = (
        (
            "document-cadre",
            "Document-cadre d'orientations en matière d'attributions",
            document_cadre,
        ),
        ("cia", "Convention intercommunale d'attribution (projet)", cia),
        ("bilan", f"Bilan annuel des attributions {result.year}", bilan_annuel),
    )
    docs = [(stem, title, build(inputs)) for stem, title, build in builders]
    docx_paths, html_paths = [], []
    for stem, title, blocks in docs:
        docx_paths.append(
            render_docx(
                title, subtitle, blocks, out_dir / f"{stem}.docx", header_text=inputs.territory
            )
        )
        html_paths.append(render_html(title, subtitle, blocks, out_dir / f"{stem}.html"))
    if page_numbers:
        pages = _libreoffice_pages(docx_paths, timeout=240)
        for (_stem, title, blocks), path in zip(docs, docx_paths, strict=True):
            found = heading_pages(pages.get(path, []), blocks)
            if found:
                render_docx(title, subtitle, blocks, path, found, header_text=inputs.territory)
    return DocumentOutputs(tuple(docx_paths), tuple(html_paths))
