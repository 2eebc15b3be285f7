"""The territorial diagnostic as files: HTML page, XLSX workbook, GeoPackage, quotas CSV, map.

Presentation only: every figure comes from ``mixite.indicators.territorial_diagnostic`` after
statistical secrecy (``publishable``). Column headers are the French labels of the indicator
definitions; each table carries its definitions and sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from mixite.errors import MixiteError
from mixite.indicators import (
    TABLES,
    column_definition,
    publishable,
    small_cell_threshold,
    territorial_diagnostic,
)
from mixite.indicators.diagnostic import frames_from_store
from mixite.indicators.fragility import CLASS_LABELS
from mixite.indicators.quotas import INDICATORS
from mixite.params import Parameters, default_parameters
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
from mixite.reports.maps import (
    FRAGILITY_COLOURS,
    qpv_geodataframe,
    residences_geodataframe,
    residences_map,
    write_gpkg,
)
from mixite.reports.marges import marges_from_store, marges_section, marges_sheets
from mixite.store import Store

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


def french_table(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Format], str]:
    """A diagnostic table with French headers, the display formats and its definitions note."""
    family = TABLES[name].family if name in TABLES else "stock"
    renamed: dict[str, str] = {}
    formats: dict[str, Format] = {}
    notes: list[str] = []
    for col in frame.columns:
        try:
            definition = column_definition(family, str(col))
        except KeyError:
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
    out = frame.rename(columns=renamed)
    return out, formats, " ".join(dict.fromkeys(notes))


def quotas_table(quotas: pd.DataFrame) -> pd.DataFrame:
    """The legal quota indicators per partner as published in ``quotas.csv`` (French headers)."""
    frame = quotas.copy()
    frame["indicator"] = frame["indicator"].map(lambda c: INDICATORS.get(c, (c, ""))[0])
    for col in frame.columns:
        if frame[col].dtype == bool:
            frame[col] = frame[col].map({True: "oui", False: "non"})
        elif pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col].round(4)
    for col in ("shortfall",):
        if col in frame:
            frame[col] = frame[col].astype("Int64")
    table, _, _ = french_table("quotas", frame)
    return table


def _kpis(tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    qpv = tables.get("stock_qpv")
    if qpv is not None and len(qpv):
        total = int(qpv["dwellings"].sum())
        in_qpv = qpv.loc[qpv["qpv_status"] == "QPV", "dwellings"].sum()
        out.append(("logements sociaux", f"{total:,}".replace(",", "\u202f")))
        out.append(
            ("des logements en QPV", f"{100 * in_qpv / max(total, 1):.1f}\u00a0%".replace(".", ","))
        )
    vac = tables.get("vacance_territoire")
    if vac is not None and len(vac):
        out.append(
            (
                "taux de vacance",
                f"{100 * float(vac['vacancy_rate'].iloc[0]):.1f}\u00a0%".replace(".", ","),
            )
        )
        out.append(
            (
                "taux de mobilité",
                f"{100 * float(vac['turnover_rate'].iloc[0]):.1f}\u00a0%".replace(".", ","),
            )
        )
    gap = tables.get("loyers_ecart_qpv")
    if gap is not None and len(gap):
        row = gap[gap["typology"] == "ensemble"]
        if len(row):
            out.append(
                (
                    "écart de loyer QPV / hors QPV (€/m²)",
                    f"{-float(row['gap_eur_m2'].iloc[0]):+.2f}".replace(".", ","),
                )
            )
    dem = tables.get("demande_territoire")
    if dem is not None and len(dem):
        out.append(
            ("demandes par attribution", f"{float(dem['pressure'].iloc[0]):.1f}".replace(".", ","))
        )
    quotas = tables.get("quotas")
    if quotas is not None and len(quotas):
        row = quotas[(quotas["level"] == "territoire") & (quotas["indicator"] == "q1_hors_qpv")]
        if len(row):
            out.append(
                (
                    "des attributions hors QPV au 1er quartile ou relogés (objectif "
                    f"{100 * float(row['target'].iloc[0]):.0f}\u00a0%)",
                    f"{100 * float(row['share'].iloc[0]):.1f}\u00a0%".replace(".", ","),
                )
            )
    return out


def _charts(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
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
        known = classes[classes["fragility_class"].isin(CLASS_LABELS)]
        fig = go.Figure(
            go.Bar(
                x=known["fragility_class"],
                y=known["residences"],
                marker_color=[FRAGILITY_COLOURS.get(c, "#777") for c in known["fragility_class"]],
                text=[f"{100 * s:.0f} % en QPV" if s == s else "" for s in known["share_in_qpv"]],
            )
        )
        fig.update_layout(
            title="Résidences par classe de fragilité (part en QPV)", yaxis_title="résidences"
        )
        charts["fragilite"] = plotly_div(fig)
    quotas = tables.get("quotas")
    if quotas is not None and len(quotas):
        part = quotas[(quotas["level"] == "bailleur") & (quotas["indicator"] == "q1_hors_qpv")]
        if len(part):
            fig = go.Figure(
                go.Bar(
                    x=part["group"].astype(str),
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
        fig = go.Figure(go.Bar(x=dem["commune"].astype(str), y=dem["pressure"]))
        fig.update_layout(
            title="Demandes en cours pour une attribution, par commune",
            yaxis_title="demandes par attribution",
        )
        charts["demande"] = plotly_div(fig)
    return charts


def _static_map(residences: pd.DataFrame, qpv: gpd.GeoDataFrame | None) -> str:
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
                    name=str(code),
                    showlegend=False,
                    hoverinfo="name",
                )
    located = residences.dropna(subset=["x", "y"])
    for label in [*CLASS_LABELS, "non classée"]:
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


def _residence_layer(tables: Mapping[str, pd.DataFrame], dwellings: pd.DataFrame) -> pd.DataFrame:
    place = dwellings.groupby("residence_id").agg(
        x=("x", "mean"),
        y=("y", "mean"),
        commune=("commune", "first"),
        landlord_id=("landlord_id", "first"),
        in_qpv=("in_qpv", "max"),
        qpv_code=("qpv_code", "first"),
        dwellings=("dwelling_id", "size"),
    )
    occ = tables.get("occupation_residences")
    if occ is not None:
        keep = [c for c in occ.columns if not c.startswith("n_") and c not in place.columns]
        place = place.join(occ[keep].set_index("residence_id"), how="left")
    if "fragility_class" not in place:
        place["fragility_class"] = "non classée"
    place["fragility_class"] = place["fragility_class"].fillna("non classée")
    return place.reset_index()


def write_diagnostic(
    base: Path,
    out_dir: Path,
    millesime: int | None = None,
    params: Parameters | None = None,
) -> DiagnosticOutputs:
    """Compute the diagnostic of a store millésime and write every output under ``out_dir``."""
    params = params or default_parameters()
    marges_missing = ""
    with Store(base) as store:
        year, frames = frames_from_store(store, millesime)
        qpv = store.read("qpv", year) if year in store.millesimes("qpv") else None
        try:
            marges = marges_from_store(store, year - 1, params)
        except MixiteError as exc:
            marges = None
            marges_missing = str(exc)
    raw = territorial_diagnostic(frames, year, params)
    threshold = small_cell_threshold(params, dt.date(year, 1, 1))
    tables = publishable(raw, threshold)
    territory = frames.get("territory")
    name = (
        str(territory.iloc[0]["name"]) if territory is not None and len(territory) else "Territoire"
    )
    out_dir.mkdir(parents=True, exist_ok=True)

    # Workbook: one formatted sheet per table, grouped by family in the report's order.
    sheets: list[Sheet] = []
    by_family: dict[str, list[tuple[str, pd.DataFrame, dict[str, Format], str]]] = {
        f: [] for f in FAMILIES
    }
    for key, frame in tables.items():
        table, formats, note = french_table(key, frame)
        family = TABLES[key].family if key in TABLES else "stock"
        by_family.setdefault(family, []).append((key, table, formats, note))
        title = TABLES[key].title if key in TABLES else key
        sheets.append(Sheet(key[:31], table, f"{title} — millésime {year}", note, formats))
    if marges is not None:
        sheets += marges_sheets(marges[0], marges[1])
    xlsx = write_xlsx(out_dir / "diagnostic.xlsx", sheets)

    # Residences layer (GeoPackage and map).
    dwellings = frames["dwellings"]
    residences = _residence_layer(tables, dwellings)
    res_gdf = residences_geodataframe(residences)
    layers = {"residences": res_gdf}
    qpv_gdf = qpv_geodataframe(qpv) if qpv is not None and len(qpv) else None
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
        write_csv_excel(quotas_table(tables["quotas"]), quotas_csv)
    else:
        write_csv_excel(
            pd.DataFrame({"message": ["aucune attribution ou seuil du premier quartile"]}),
            quotas_csv,
        )

    # HTML page.
    charts = _charts(tables)
    kpis = "".join(
        f'<div class="kpi"><div class="v">{value}</div><div class="l">{label}</div></div>'
        for label, value in _kpis(tables)
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
                _static_map(residences, qpv_gdf),
            ),
            "carte",
        ),
    ]
    for family, title in FAMILIES.items():
        blocks: list[str] = []
        if family in charts:
            blocks.append(charts[family])
        for key, table, formats, note in by_family.get(family, []):
            spec_title = TABLES[key].title if key in TABLES else key
            if key in _WORKBOOK_ONLY:
                blocks.append(
                    f'<h3>{spec_title}</h3><p class="note">{len(table)} lignes : voir la feuille « {key[:31]} » du classeur diagnostic.xlsx.</p>'
                )
                continue
            blocks.append(f"<h3>{spec_title}</h3>" + table_html(table, formats, "", note))
        if blocks:
            sections.append(Section(title, tuple(blocks), family))
        if family == "quotas":
            if marges is not None:
                sections.append(marges_section(marges[0], marges[1]))
            else:
                note = f'<p class="note">Marges de manœuvre non calculées : {marges_missing}</p>'
                sections.append(Section("Marges de manœuvre hors QPV", (note,), "marges"))
    html_path = out_dir / "diagnostic.html"
    html_path.write_text(
        render_page(
            f"Diagnostic territorial — {name}", f"Millésime {year} · produit par mixite", sections
        ),
        encoding="utf-8",
    )
    return DiagnosticOutputs(html_path, xlsx, gpkg, quotas_csv, map_html)
