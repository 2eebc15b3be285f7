"""The territorial diagnostic as files: HTML page, XLSX workbook, GeoPackage, quotas CSV, map.

Presentation only: every figure comes from the diagnostic job's result
(``mixite.jobs.diagnostic``), statistical secrecy applied. The page opens on the legal objectives
(who meets them, who misses them), then the key figures, the map and one section per family of
indicators; every table goes through the label layer (``reports.tables``: names beside codes,
French words and headers) and its definitions are given once per section. Statistics (intervals
and tests of the legal indicators) are in an annex.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
from mixite.reports.legal import legal_html, obligations
from mixite.reports.maps import (
    FRAGILITY_COLOURS,
    MapData,
    leaflet_page,
    map_data,
    map_figure,
    write_map_gpkg,
)
from mixite.reports.marges import marges_definitions, marges_section, marges_sheets
from mixite.reports.tables import FrenchTable, french_table
from mixite.vocabulary import Indicator, Level

__all__ = ["SHEETS", "DiagnosticOutputs", "data_notes", "quotas_table", "write_diagnostic"]

#: Families in the order of the report, with their section titles.
FAMILIES: dict[str, str] = {
    "stock": "Parc de logements sociaux",
    "loyers": "Loyers et segments de parc",
    "occupation": "Occupation du parc",
    "fragilite": "Fragilité des résidences",
    "demande": "Demande de logement social",
    "quotas": "Attributions et gestion en flux",
    "segregation": "Ségrégation résidentielle",
    "roles": "Rôles des quartiers",
}

#: Name of each table's sheet in the workbook (31 characters at most).
SHEETS: dict[str, str] = {
    "stock_communes": "Parc par commune",
    "stock_qpv": "Parc QPV et hors QPV",
    "stock_quartiers": "Parc par QPV",
    "stock_iris": "Parc par IRIS",
    "stock_bailleurs": "Parc par bailleur",
    "stock_residences": "Parc par résidence",
    "stock_typologie": "Typologie",
    "stock_financement": "Financement",
    "stock_epoque": "Époque de construction",
    "stock_dpe": "Étiquette énergie",
    "sru_communes": "Communes et SRU",
    "vacance_territoire": "Vacance et mobilité",
    "vacance_communes": "Vacance par commune",
    "vacance_qpv": "Vacance QPV et hors QPV",
    "loyers": "Loyers",
    "loyers_segments": "Segments de loyer",
    "loyers_ecart_qpv": "Écart de loyer QPV",
    "occupation_residences": "Occupation par résidence",
    "occupation_quartiers": "Occupation par QPV",
    "occupation_qpv": "Occupation QPV et hors QPV",
    "fragilite_classes": "Classes de fragilité",
    "demande_communes": "Demande par commune",
    "demande_typologies": "Demande par typologie",
    "demande_territoire": "Demande du territoire",
    "demande_anciennete": "Ancienneté des demandes",
    "demande_profil": "Profil des demandes",
    "demande_profil_communes": "Profil par commune souhaitée",
    "seuil_q1": "Seuil du premier quartile",
    "quotas": "Indicateurs légaux (détail)",
    "flux": "Gestion en flux",
    "segregation": "Indices de ségrégation",
    "segregation_quotients": "Quotients de localisation",
    "roles_quartiers": "Rôles des quartiers",
}

#: Tables too long for the page: shown in the workbook only (the page says so).
_WORKBOOK_ONLY = {
    "stock_iris",
    "stock_residences",
    "occupation_residences",
    "segregation_quotients",
}
#: Tables of the statistical annex (not in their family's section).
_ANNEX = {"quotas"}


@dataclass(frozen=True)
class DiagnosticOutputs:
    """Paths of what ``write_diagnostic`` wrote."""

    html: Path
    xlsx: Path
    gpkg: Path
    quotas_csv: Path
    map_html: Path


def quotas_table(
    quotas: pd.DataFrame, names: Names, definition: Callable[[str], Definition | None]
) -> pd.DataFrame:
    """The legal quota indicators per partner as published in ``quotas.csv``: levels and
    objectives in words, each partner named with its code beside, French headers."""
    return french_table(quotas, names, definition).frame


def _table(result: DiagnosticResult, key: str) -> FrenchTable:
    return french_table(result.tables[key], result.names, lambda c: result.definition(key, c))


_KEY_FIGURES: tuple[tuple[str, str, Format], ...] = (
    ("dwellings", "logements sociaux", "int"),
    ("share_in_qpv", "des logements en QPV", "pct"),
    ("vacancy_rate", "taux de vacance", "pct"),
    ("turnover_rate", "taux de mobilité", "pct"),
    ("rent_gap_eur_m2", "écart de loyer au m², QPV par rapport au hors QPV", "float"),
    ("pressure", "demandes en attente pour une attribution", "float"),
)


def _kpis(result: DiagnosticResult) -> str:
    figures = result.key_figures
    cards: list[str] = []
    if "q1_outside_qpv_share" in figures:
        share, target = figures["q1_outside_qpv_share"], figures["q1_outside_qpv_target"]
        klass = "ok" if share >= target else "alerte"
        cards.append(
            f'<div class="kpi {klass}"><div class="v">{fr.percent(share)}</div><div class="l">'
            "des attributions hors QPV au premier quartile ou aux relogés — objectif légal "
            f"{fr.percent(target, 0)}</div></div>"
        )
    for code, label, fmt in _KEY_FIGURES:
        if code not in figures:
            continue
        number = figures[code]
        if code == "rent_gap_eur_m2":
            text = ("+" if number >= 0 else "−") + fr.decimal(abs(number)) + "\u00a0€"
        elif code == "pressure":
            text = fr.decimal(number, 1)
        else:
            text = fr.value(number, fmt)
        cards.append(
            f'<div class="kpi"><div class="v">{html.escape(text)}</div>'
            f'<div class="l">{html.escape(label)}</div></div>'
        )
    return f'<div class="kpis">{"".join(cards)}</div>'


def _charts(result: DiagnosticResult) -> dict[str, str]:
    tables = result.tables
    names = result.names
    charts: dict[str, str] = {}
    fin = tables.get("stock_financement")
    if fin is not None and len(fin):
        fig = go.Figure()
        for status, part in fin.groupby("qpv_status"):
            fig.add_bar(
                name=str(status),
                x=[fr.FINANCING_LABELS.get(str(c), str(c)) for c in part["finan_family"]],
                y=part["dwellings"],
            )
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
    dem = tables.get("demande_communes")
    if dem is not None and len(dem):
        fig = go.Figure(go.Bar(x=[names.commune(c) for c in dem["commune"]], y=dem["pressure"]))
        fig.update_layout(
            title="Demandes en cours pour une attribution, par commune",
            yaxis_title="demandes par attribution",
        )
        charts["demande"] = plotly_div(fig)
    return charts


def _static_map(data: MapData) -> str:
    """A tile-free Plotly map (Lambert-93 metres) that prints and works offline: communes'
    boundaries and names, QPV outlined and named, residences sized by dwellings."""
    return plotly_div(map_figure(data))


def data_notes(result: DiagnosticResult, family: str) -> tuple[list[str], list[Sheet]]:
    """What the data of a family lack or say, for the page and the workbook.

    A box per section of ``family`` that the data do not allow (``result.missing``: the file
    that would fill it, what it would show, how to import it); for ``stock``, how the dwellings'
    QPV is known; for ``quotas``, the attributions whose declared QPV differs from their
    dwelling's. ``family`` ``*`` returns the workbook sheets of every family instead.
    """
    blocks: list[str] = []
    sheets: list[Sheet] = []
    year = result.millesime
    for box in result.missing:
        if box.family != family:
            continue
        blocks.append(
            '<div class="alerte manquant">'
            f"<p><strong>{html.escape(box.title)} — section absente.</strong> "
            f"Donnée manquante : {html.escape(box.missing)}.</p>"
            f"<p>Elle montrerait {html.escape(box.shows)}.</p>"
            f'<p class="note">{html.escape(box.how)}</p></div>'
        )
    counts = result.qpv_location
    if family == "stock" and counts:
        parts = [
            f"{fr.QPV_SOURCE_LABELS.get(code, code)} : {fr.integer(counts[code])} logements, "
            f"dont {fr.integer(counts[f'in_qpv_{code}'])} en QPV"
            for code in fr.QPV_SOURCE_LABELS
            if counts.get(code)
        ]
        blocks.append(
            '<p class="note">QPV des logements (géographie en vigueur au 1er janvier '
            f"{year}) : " + html.escape(" ; ".join(parts)) + ".</p>"
        )
    disagreements = result.qpv_disagreements
    if family == "quotas" and disagreements is not None and len(disagreements):
        table = _disagreements_table(disagreements, result.names)
        blocks.append(
            "<h3>Attributions dont le QPV déclaré diffère de celui du logement</h3>"
            + table_html(
                table,
                {"Attributions": "int"},
                "",
                "Nombre d'attributions par commune et par écart. Chaque attribution est jugée selon la géographie prioritaire en vigueur à la date "
                "du bail (liste 2015 jusqu'au 31 décembre 2023 en métropole et 2024 outre-mer, "
                "liste 2024 ensuite) ; les objectifs légaux retiennent le QPV du logement.",
            )
        )
    if family == "*":
        if result.missing:
            frame = pd.DataFrame(
                {
                    "Section absente": [b.title for b in result.missing],
                    "Donnée manquante": [b.missing for b in result.missing],
                    "Ce qu'elle montrerait": [b.shows for b in result.missing],
                    "Comment l'importer": [b.how for b in result.missing],
                }
            )
            sheets.append(
                Sheet(
                    "Sections absentes",
                    frame,
                    f"Sections absentes faute de données — millésime {year}",
                    "Chaque section que les fichiers importés ne permettent pas d'écrire, avec le "
                    "fichier qui la remplirait.",
                )
            )
        if disagreements is not None and len(disagreements):
            sheets.append(
                Sheet(
                    "QPV des attributions",
                    _disagreements_table(disagreements, result.names),
                    f"Attributions dont le QPV déclaré diffère de celui du logement — {year}",
                    "Géographie prioritaire en vigueur à la date du bail.",
                )
            )
    return blocks, sheets


def _disagreements_table(frame: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Attributions whose declared QPV differs from their dwelling's, counted by commune,
    geography in force and kind: a published report lists no household (the attributions
    themselves stay in the store)."""
    counts = (
        frame.groupby(["commune", "generation", "kind"], sort=True).size().reset_index(name="count")
    )
    return pd.DataFrame(
        {
            "Commune": [names.commune(c) for c in counts["commune"]],
            "Code commune": counts["commune"].astype(str),
            "Géographie en vigueur": counts["generation"].map(lambda g: f"QPV {g}"),
            "Écart": counts["kind"].map(lambda k: fr.QPV_DISAGREEMENT_LABELS.get(k, k)),
            "Attributions": counts["count"].astype("int64"),
        }
    )


def _reasons(result: DiagnosticResult) -> dict[str, str]:
    """Landlord → main reason of its room for manoeuvre, when below the target."""
    if result.marges is None:
        return {}
    groups = result.marges.marges.groups
    rows = groups[
        (groups["level"] == Level.LANDLORD) & ~groups["reason"].isin(["atteignable", "sans_parc"])
    ]
    return dict(zip(rows["group"].astype(str), rows["reason"].astype(str), strict=True))


def _definitions_html(definitions: dict[str, str]) -> str:
    if not definitions:
        return ""
    items = "".join(
        f"<li><strong>{html.escape(label)}</strong> : {html.escape(text)}</li>"
        for label, text in definitions.items()
    )
    return (
        '<details class="definitions"><summary>Définitions et sources des colonnes de cette '
        f"partie</summary><ul>{items}</ul></details>"
    )


def write_diagnostic(result: DiagnosticResult, out_dir: Path) -> DiagnosticOutputs:
    """Write every output of a diagnostic under ``out_dir``: ``diagnostic.html``,
    ``diagnostic.xlsx``, ``residences.gpkg``, ``carte.html`` and ``quotas.csv``."""
    year = result.millesime
    tables = result.tables
    threshold = result.secrecy_threshold
    out_dir.mkdir(parents=True, exist_ok=True)
    labelled = {key: _table(result, key) for key in tables}
    legal = (
        obligations(
            tables["quotas"], result.names, year - 1, result.quota_history, _reasons(result)
        )
        if "quotas" in tables
        else []
    )

    # Workbook: the legal objectives, then one sheet per table in the report's order.
    sheets: list[Sheet] = []
    for item in legal:
        sheets.append(
            Sheet(
                {
                    Indicator.Q1_OUTSIDE_QPV: "Objectif hors QPV",
                    Indicator.NON_Q1_IN_QPV: "Objectif en QPV",
                    Indicator.PRIORITY: "Objectif prioritaires",
                }[Indicator(item.indicator)],
                item.table,
                f"{item.title} — attributions {year - 1}",
                item.finding,
                item.formats,
            )
        )
    order = sorted(
        tables,
        key=lambda k: (
            list(FAMILIES).index(result.family(k)) if result.family(k) in FAMILIES else 99,
            k in _ANNEX,
        ),
    )
    definitions: dict[str, str] = {}
    for key in order:
        table = labelled[key]
        definitions.update(table.definitions)
        sheets.append(
            Sheet(
                SHEETS.get(key, key)[:31],
                table.frame,
                f"{result.title(key)} — millésime {year}",
                "",
                table.formats,
            )
        )
    if result.marges is not None:
        sheets += marges_sheets(result.marges)
        definitions.update(marges_definitions(result.marges))
    sheets += data_notes(result, "*")[1]
    xlsx = write_xlsx(
        out_dir / "diagnostic.xlsx",
        sheets,
        title=f"Diagnostic territorial — {result.names.territory}, millésime {year}",
        definitions=definitions,
    )

    # Map layers: GeoPackage for QGIS and the offline web map.
    data = map_data(result)
    gpkg = write_map_gpkg(data, out_dir / "residences.gpkg")
    map_html = out_dir / "carte.html"
    map_html.write_text(leaflet_page(data), encoding="utf-8")

    quotas_csv = out_dir / "quotas.csv"
    if "quotas" in tables:
        write_csv_excel(labelled["quotas"].frame, quotas_csv)
    else:
        write_csv_excel(
            pd.DataFrame({"Message": ["aucune attribution ou seuil du premier quartile"]}),
            quotas_csv,
        )

    # HTML page.
    charts = _charts(result)
    sections: list[Section] = []
    if legal:
        sections.append(
            Section(
                f"Objectifs légaux d'attribution — {year - 1}",
                (
                    "<p>Les trois obligations de l'article L441-1 du code de la construction et "
                    "de l'habitation, pour chaque partenaire sur lequel la loi les fait porter. "
                    "« Attributions manquantes » : attributions au public visé qui auraient "
                    "permis d'atteindre l'objectif.</p>",
                    *legal_html(legal),
                ),
                "objectifs",
            )
        )
    sections.append(
        Section(
            "Chiffres clés",
            (
                _kpis(result),
                f'<p class="note">Millésime {year} : parc et occupation au 1er janvier {year}, '
                f"demandes au 31 décembre {year - 1}, attributions de l'année {year - 1}. "
                f"Effectifs de 1 à {threshold - 1} masqués (secret statistique).</p>",
            ),
            "chiffres",
        )
    )
    sections.append(
        Section(
            "Carte des résidences",
            (
                "<p>Résidences colorées selon leur classe de fragilité, de taille proportionnelle "
                "à leur nombre de logements, périmètres des quartiers prioritaires et limites "
                'des communes. La <a href="carte.html">carte interactive</a> (fichier '
                "<code>carte.html</code>, qui s'ouvre sans connexion) montre aussi, par commune, "
                "la part des attributions hors QPV au premier quartile ou aux ménages relogés ; "
                "les mêmes couches sont dans <code>residences.gpkg</code> (Lambert-93, avec leur "
                "style pour QGIS).</p>",
                _static_map(data),
            ),
            "carte",
        )
    )
    for family, title in FAMILIES.items():
        blocks: list[str] = []
        family_definitions: dict[str, str] = {}
        if family in charts:
            blocks.append(charts[family])
        for key in order:
            if result.family(key) != family or key in _ANNEX:
                continue
            table = labelled[key]
            family_definitions.update(table.definitions)
            if key in _WORKBOOK_ONLY:
                blocks.append(
                    f'<h3>{html.escape(result.title(key))}</h3><p class="note">'
                    f"{fr.integer(len(table.frame))} lignes : voir la feuille « {SHEETS.get(key, key)} » du "
                    "classeur diagnostic.xlsx.</p>"
                )
                continue
            blocks.append(
                f"<h3>{html.escape(result.title(key))}</h3>"
                + table_html(table.frame, table.formats)
            )
        blocks += data_notes(result, family)[0]
        if blocks:
            blocks.append(_definitions_html(family_definitions))
            sections.append(Section(title, tuple(blocks), family))
        if family == "quotas":
            if result.marges is not None:
                sections.append(marges_section(result.marges))
            else:
                boxes = data_notes(result, "marges")[0] or [
                    '<p class="note">Marges de manœuvre non calculées : '
                    f"{html.escape(result.marges_missing)}</p>"
                ]
                sections.append(Section("Marges de manœuvre hors QPV", tuple(boxes), "marges"))
    if "quotas" in labelled:
        table = labelled["quotas"]
        sections.append(
            Section(
                "Annexe statistique : indicateurs légaux à toutes les échelles",
                (
                    "<p>Tous les indicateurs légaux, y compris aux échelles où la loi ne fixe pas "
                    "d'objectif (communes, réservataires non soumis), avec l'intervalle de "
                    "confiance exact de chaque part et la probabilité qu'une part réelle égale à "
                    "l'objectif donne un résultat aussi bas. Ce sont des statistiques : "
                    "l'obligation légale, elle, se lit au nombre d'attributions manquantes.</p>",
                    table_html(table.frame, table.formats),
                    _definitions_html(table.definitions),
                ),
                "annexe",
            )
        )
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
