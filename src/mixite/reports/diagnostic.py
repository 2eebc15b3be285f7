"""The territorial diagnostic as files: HTML page, XLSX workbook, GeoPackage, quotas CSV, map.

Presentation only: every figure comes from the diagnostic job's result
(``mixite.jobs.diagnostic``), statistical secrecy applied. Column headers are the French labels
of the indicator definitions; each table carries its definitions and sources.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from mixite.jobs.results import Definition, DiagnosticResult, Names
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
from mixite.reports.maps import (
    FRAGILITY_COLOURS,
    qpv_geodataframe,
    residences_geodataframe,
    residences_map,
    write_gpkg,
)
from mixite.reports.marges import marges_section, marges_sheets
from mixite.vocabulary import Indicator, Level

__all__ = ["DiagnosticOutputs", "french_table", "quotas_table", "write_diagnostic"]

_UNIT_FORMATS: dict[str, Format] = {
    "/1": "pct",
    "€/mois": "eur",
    "€/an/UC": "eur",
    "€/m²/mois": "float",
    "ratio": "float",
    "m²": "float",
    "écart-type": "float",
    "demandes par attribution": "float",
    "mois": "float",
    "logements": "int",
    "ménages": "int",
    "demandes": "int",
    "attributions": "int",
    "résidences": "int",
    "baux": "int",
    "unités": "int",
}

#: Families in the order of the report, with their section titles.
FAMILIES: dict[str, str] = {
    "stock": "Parc de logements sociaux",
    "loyers": "Loyers et segments de parc",
    "occupation": "Occupation du parc",
    "fragilite": "Fragilité des résidences",
    "demande": "Demande de logement social",
    "quotas": "Attributions et objectifs légaux",
    "segregation": "Ségrégation résidentielle",
    "roles": "Rôles des quartiers",
}

#: Tables too long for the page: shown in the workbook only (the page says so).
_WORKBOOK_ONLY = {
    "stock_iris",
    "stock_residences",
    "occupation_residences",
    "segregation_quotients",
}


@dataclass(frozen=True)
class DiagnosticOutputs:
    """Paths of what ``write_diagnostic`` wrote."""

    html: Path
    xlsx: Path
    gpkg: Path
    quotas_csv: Path
    map_html: Path


def french_table(
    result: DiagnosticResult, name: str, frame: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Format], str]:
    """A diagnostic table with French headers, the display formats and its definitions note."""
    renamed: dict[str, str] = {}
    formats: dict[str, Format] = {}
    notes: list[str] = []
    for col in frame.columns:
        definition = result.definition(name, str(col))
        if definition is None:
            renamed[str(col)] = str(col)
            continue
        label = definition.label
        if label in renamed.values():
            label = f"{label} ({col})"
        renamed[str(col)] = label
        fmt = _UNIT_FORMATS.get(definition.unit)
        if fmt:
            formats[label] = fmt
        if definition.unit not in ("code", "texte", "identifiant", "code INSEE", "SIREN"):
            notes.append(
                f"{label} ({definition.unit}) : {definition.definition} Source : {definition.source}."
            )
    if name == "roles_quartiers":  # codes of the neighbourhoods' roles, in words
        frame = frame.assign(
            neighbourhood=[fr.neighbourhood_label(k, result.names) for k in frame["neighbourhood"]],
            role=[fr.ROLE_LABELS.get(r, r) for r in frame["role"]],
        )
    out = frame.rename(columns=renamed)
    return out, formats, " ".join(dict.fromkeys(notes))


def quotas_table(
    quotas: pd.DataFrame, names: Names, definition: Callable[[str], Definition | None]
) -> pd.DataFrame:
    """The legal quota indicators per partner as published in ``quotas.csv``: French headers
    (``definition`` gives each column's), levels and objectives in words, the partner's name
    beside its code."""
    frame = quotas.copy()
    frame.insert(
        2,
        "name",
        [
            fr.group_label(lv, g, names)
            for lv, g in zip(frame["level"], frame["group"], strict=True)
        ],
    )
    frame["level"] = frame["level"].map(lambda c: fr.LEVEL_LABELS.get(c, c))
    frame["indicator"] = frame["indicator"].map(lambda c: fr.INDICATOR_LABELS.get(c, c))
    for col in frame.columns:
        if frame[col].dtype == bool:
            frame[col] = frame[col].map(fr.yes_no)
        elif pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col].round(4)
    if "shortfall" in frame:
        frame["shortfall"] = frame["shortfall"].astype("Int64")
    renamed = {"name": "Nom"}
    for col in frame.columns:
        found = definition(str(col))
        if found is not None:
            renamed[str(col)] = found.label
    return frame.rename(columns=renamed)


_KEY_FIGURES: tuple[tuple[str, str, Format], ...] = (
    ("dwellings", "logements sociaux", "int"),
    ("share_in_qpv", "des logements en QPV", "pct"),
    ("vacancy_rate", "taux de vacance", "pct"),
    ("turnover_rate", "taux de mobilité", "pct"),
    ("rent_gap_eur_m2", "écart de loyer QPV / hors QPV (€/m²)", "float"),
    ("pressure", "demandes par attribution", "float"),
)


def _kpis(result: DiagnosticResult) -> list[tuple[str, str]]:
    figures = result.key_figures
    out: list[tuple[str, str]] = []
    for code, label, fmt in _KEY_FIGURES:
        if code not in figures:
            continue
        number = figures[code]
        if code == "rent_gap_eur_m2":
            text = ("+" if number >= 0 else "−") + fr.decimal(abs(number))
        elif code == "pressure":
            text = fr.decimal(number, 1)
        else:
            text = fr.value(number, fmt)
        out.append((label, text))
    if "q1_outside_qpv_share" in figures:
        out.append(
            (
                "des attributions hors QPV au 1er quartile ou relogés (objectif "
                f"{fr.percent(figures['q1_outside_qpv_target'], 0)})",
                fr.percent(figures["q1_outside_qpv_share"]),
            )
        )
    return out


def _charts(result: DiagnosticResult) -> dict[str, str]:
    tables = result.tables
    names = result.names
    charts: dict[str, str] = {}
    fin = tables.get("stock_financement")
    if fin is not None and len(fin):
        fig = go.Figure()
        for status, part in fin.groupby("qpv_status"):
            fig.add_bar(name=str(status), x=part["finan_family"], y=part["dwellings"])
        fig.update_layout(
            barmode="group",
            title="Logements par financement, en QPV et hors QPV",
            yaxis_title="logements",
        )
        charts["stock"] = plotly_div(fig)
    gap = tables.get("loyers_ecart_qpv")
    if gap is not None and len(gap):
        fig = go.Figure()
        fig.add_bar(name="QPV", x=gap["typology"], y=gap["rent_m2_qpv"])
        fig.add_bar(name="hors QPV", x=gap["typology"], y=gap["rent_m2_outside"])
        fig.update_layout(
            barmode="group", title="Loyer moyen au m² par typologie", yaxis_title="€/m²/mois"
        )
        charts["loyers"] = plotly_div(fig)
    classes = tables.get("fragilite_classes")
    if classes is not None and len(classes):
        known = classes[classes["fragility_class"].isin(result.fragility_classes[:-1])]
        fig = go.Figure(
            go.Bar(
                x=known["fragility_class"],
                y=known["residences"],
                marker_color=[FRAGILITY_COLOURS.get(c, "#777") for c in known["fragility_class"]],
                text=[
                    f"{fr.percent(s, 0)} en QPV" if s == s else "" for s in known["share_in_qpv"]
                ],
            )
        )
        fig.update_layout(
            title="Résidences par classe de fragilité (part en QPV)", yaxis_title="résidences"
        )
        charts["fragilite"] = plotly_div(fig)
    quotas = tables.get("quotas")
    if quotas is not None and len(quotas):
        part = quotas[
            (quotas["level"] == Level.LANDLORD) & (quotas["indicator"] == Indicator.Q1_OUTSIDE_QPV)
        ]
        if len(part):
            fig = go.Figure(
                go.Bar(
                    x=[names.landlord(g) for g in part["group"]],
                    y=part["share"],
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": (part["ci_high"] - part["share"]).to_numpy(),
                        "arrayminus": (part["share"] - part["ci_low"]).to_numpy(),
                    },
                    name="réalisé",
                )
            )
            fig.add_hline(
                y=float(part["target"].iloc[0]), line_dash="dash", annotation_text="objectif légal"
            )
            fig.update_layout(
                title="Part des attributions hors QPV au 1er quartile ou relogés, par bailleur (intervalle à 95 %)",
                yaxis_tickformat=".0%",
            )
            charts["quotas"] = plotly_div(fig)
    dem = tables.get("demande_communes")
    if dem is not None and len(dem):
        fig = go.Figure(go.Bar(x=[names.commune(c) for c in dem["commune"]], y=dem["pressure"]))
        fig.update_layout(
            title="Demandes en cours pour une attribution, par commune",
            yaxis_title="demandes par attribution",
        )
        charts["demande"] = plotly_div(fig)
    return charts


def _static_map(result: DiagnosticResult, qpv: gpd.GeoDataFrame | None) -> str:
    """A tile-free Plotly map (Lambert-93 metres) that prints and works offline."""
    fig = go.Figure()
    if qpv is not None and not qpv.empty:
        for shape, code in zip(qpv.to_crs("EPSG:2154").geometry, qpv["qpv_code"], strict=True):
            polygons = getattr(shape, "geoms", [shape])
            for poly in polygons:
                xs, ys = poly.exterior.xy
                fig.add_scatter(
                    x=list(xs),
                    y=list(ys),
                    mode="lines",
                    line={"color": "#6a1b9a", "width": 1.5},
                    fill="toself",
                    fillcolor="rgba(106,27,154,0.08)",
                    name=result.names.qpv.get(str(code), str(code)),
                    showlegend=False,
                    hoverinfo="name",
                )
    located = result.residences.dropna(subset=["x", "y"])
    for label in [*result.fragility_classes[:-1], "non classée"]:
        part = located[located["fragility_class"].astype(str).str.startswith(label)]
        if part.empty:
            continue
        fig.add_scattergl(
            x=part["x"],
            y=part["y"],
            mode="markers",
            name=label,
            marker={"size": 5, "color": FRAGILITY_COLOURS.get(label, "#999999")},
            text=part["residence_id"].astype(str),
            hoverinfo="text+name",
        )
    fig.update_layout(
        title="Résidences par classe de fragilité et périmètres des QPV (Lambert-93)",
        height=620,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="white",
    )
    return plotly_div(fig)


def write_diagnostic(result: DiagnosticResult, out_dir: Path) -> DiagnosticOutputs:
    """Write every output of a diagnostic under ``out_dir``: ``diagnostic.html``,
    ``diagnostic.xlsx``, ``residences.gpkg``, ``carte.html`` and ``quotas.csv``."""
    year = result.millesime
    tables = result.tables
    threshold = result.secrecy_threshold
    out_dir.mkdir(parents=True, exist_ok=True)

    # Workbook: one formatted sheet per table, grouped by family in the report's order.
    sheets: list[Sheet] = []
    by_family: dict[str, list[tuple[str, pd.DataFrame, dict[str, Format], str]]] = {
        f: [] for f in FAMILIES
    }
    for key, frame in tables.items():
        table, formats, note = french_table(result, key, frame)
        by_family.setdefault(result.family(key), []).append((key, table, formats, note))
        sheets.append(
            Sheet(key[:31], table, f"{result.title(key)} — millésime {year}", note, formats)
        )
    if result.marges is not None:
        sheets += marges_sheets(result.marges)
    xlsx = write_xlsx(out_dir / "diagnostic.xlsx", sheets)

    # Residences layer (GeoPackage and map).
    res_gdf = residences_geodataframe(result.residences)
    layers = {"residences": res_gdf}
    qpv_gdf = qpv_geodataframe(result.qpv) if result.qpv is not None and len(result.qpv) else None
    if qpv_gdf is not None:
        layers["qpv"] = qpv_gdf
    gpkg = write_gpkg(layers, out_dir / "residences.gpkg")
    map_html = out_dir / "carte.html"
    map_html.write_text(
        residences_map(
            res_gdf,
            qpv_gdf,
            "fragility_class",
            ["residence_id", "commune", "households"],
            "Fragilité des résidences",
        ),
        encoding="utf-8",
    )

    quotas_csv = out_dir / "quotas.csv"
    if "quotas" in tables:
        write_csv_excel(
            quotas_table(
                tables["quotas"], result.names, lambda col: result.definition("quotas", col)
            ),
            quotas_csv,
        )
    else:
        write_csv_excel(
            pd.DataFrame({"message": ["aucune attribution ou seuil du premier quartile"]}),
            quotas_csv,
        )

    # HTML page.
    charts = _charts(result)
    kpis = "".join(
        f'<div class="kpi"><div class="v">{value}</div><div class="l">{label}</div></div>'
        for label, value in _kpis(result)
    )
    sections = [
        Section(
            "Chiffres clés",
            (
                f'<div class="kpis">{kpis}</div>',
                f'<p class="note">Millésime {year} : parc et occupation au 1er janvier {year}, demandes au '
                f"31 décembre {year - 1}, attributions de l'année {year - 1}. Effectifs de 1 à {threshold - 1} "
                "masqués (secret statistique).</p>",
            ),
            "chiffres",
        ),
        Section(
            "Carte des résidences",
            (
                "<p>Résidences colorées selon leur classe de fragilité et périmètres des QPV. "
                "La carte interactive sur fond de plan est dans <code>carte.html</code> et les couches dans "
                "<code>residences.gpkg</code> (Lambert-93, pour QGIS).</p>",
                _static_map(result, qpv_gdf),
            ),
            "carte",
        ),
    ]
    for family, title in FAMILIES.items():
        blocks: list[str] = []
        if family in charts:
            blocks.append(charts[family])
        for key, table, formats, note in by_family.get(family, []):
            spec_title = result.title(key)
            if key in _WORKBOOK_ONLY:
                blocks.append(
                    f'<h3>{spec_title}</h3><p class="note">{len(table)} lignes : voir la feuille « {key[:31]} » du classeur diagnostic.xlsx.</p>'
                )
                continue
            blocks.append(f"<h3>{spec_title}</h3>" + table_html(table, formats, "", note))
        if blocks:
            sections.append(Section(title, tuple(blocks), family))
        if family == "quotas":
            if result.marges is not None:
                sections.append(marges_section(result.marges))
            else:
                note = (
                    '<p class="note">Marges de manœuvre non calculées : '
                    f"{html.escape(result.marges_missing)}</p>"
                )
                sections.append(Section("Marges de manœuvre hors QPV", (note,), "marges"))
    html_path = out_dir / "diagnostic.html"
    html_path.write_text(
        render_page(
            f"Diagnostic territorial — {result.names.territory}",
            f"Millésime {year} · produit par mixite",
            sections,
        ),
        encoding="utf-8",
    )
    return DiagnosticOutputs(html_path, xlsx, gpkg, quotas_csv, map_html)
