"""The room for manoeuvre outside QPV as report pieces: an HTML section, XLSX sheets, files.

Presentation only: every figure comes from the marges job's result (``mixite.jobs.diagnostic``),
statistical secrecy applied there. ``marges_section`` and ``marges_sheets`` are also part of the
diagnostic report; ``write_marges`` writes the standalone ``marges.html`` and ``marges.xlsx``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from mixite.jobs.results import MargesResult
from mixite.reports import fr
from mixite.reports.common import (
    Section,
    Sheet,
    plotly_div,
    render_page,
    table_html,
    write_xlsx,
)
from mixite.reports.fr import Format
from mixite.reports.tables import definitions_block, french_table
from mixite.vocabulary import Level

if TYPE_CHECKING:
    from mixite.indicators.marges import Marges

__all__ = [
    "MargesOutputs",
    "marges_definitions",
    "marges_findings",
    "marges_section",
    "marges_sheets",
    "marges_table",
    "write_marges",
]


@dataclass(frozen=True)
class MargesOutputs:
    """Paths written by ``write_marges``."""

    html: Path
    xlsx: Path


def marges_table(
    result: MargesResult, frame: pd.DataFrame, keep_level: bool = True
) -> tuple[pd.DataFrame, dict[str, Format], dict[str, str]]:
    """A marges frame through the label layer (names beside codes, French words and headers),
    its display formats and its column definitions (the level column is dropped unless
    ``keep_level``)."""
    table = french_table(frame, result.names, result.definitions.get)
    out = table.frame
    if not keep_level and "Échelle" in out.columns:
        out = out.drop(columns="Échelle")
    return out, table.formats, table.definitions


def marges_definitions(result: MargesResult) -> dict[str, str]:
    """The definitions of every column of the marges tables (for a « Définitions » sheet)."""
    out: dict[str, str] = {}
    for frame in (result.groups, result.by_size, result.marges.rent_reductions):
        out.update(marges_table(result, frame)[2])
    return out


def _groups(result: MargesResult, *levels: str) -> pd.DataFrame:
    part = result.groups.loc[result.groups["level"].isin(levels)]
    return part.reset_index(drop=True)


def _explanations(marges: Marges) -> str:
    return (
        f"<p>Attributions dont le bail est signé en {marges.year} ; demandes en cours au "
        f"31 décembre {marges.year} et parc au 1er janvier {marges.millesime} (millésime "
        f"{marges.millesime}). Seuil du premier quartile : "
        f"{fr.value(marges.threshold, 'eur')} par an et par unité de consommation ; "
        f"{fr.value(marges.q1_applicants, 'int')} demandeurs du premier quartile. "
        f"Un logement hors QPV est accessible quand au moins un de ces demandeurs respecte le "
        f"plafond de ressources de son financement, y trouve une typologie adaptée et peut le "
        f"payer : taux d'effort après aide au logement au plus "
        f"{fr.value(marges.max_effort_rate, 'pct')} et reste à vivre d'au moins "
        f"{fr.value(marges.min_reste_a_vivre, 'float')} € par unité de consommation et par "
        f"jour. La part atteignable est un maximum : min(libérations attendues des logements "
        f"accessibles, demandeurs Q1 pouvant y accéder) / libérations attendues hors QPV, à "
        f"comparer avec l'objectif de {fr.value(marges.target, 'pct')} et la part réalisée. "
        f"La raison principale est la plus grande des pertes (plafonds, taille, loyer, "
        f"mobilité, demande) lorsque la part atteignable est sous l'objectif. La méthode est "
        f"décrite dans la documentation de mixite (« Marges de manœuvre »).</p>"
        + (
            "<p>Variante retenue : chaque demandeur ne peut prendre qu'un logement situé dans "
            "une des communes qu'il a demandées.</p>"
            if marges.wished_communes
            else "<p>Chaque demandeur peut prendre un logement de n'importe quelle commune du "
            "territoire (borne haute ; une variante restreint chaque demandeur aux communes "
            "qu'il a demandées).</p>"
        )
    )


#: Plain-French explanation of each binding reason (what the loss counts), for the findings.
_REASON_DETAILS: dict[str, str] = {
    "loyer": (
        "logements sous plafond et de taille adaptée, mais dont le loyer et les charges, aide "
        "au logement déduite, dépassent le taux d'effort maximal ou entament le reste à vivre "
        "minimal de tout demandeur du premier quartile de taille adaptée"
    ),
    "taille": "logements sans demandeur du premier quartile de taille adaptée",
    "vacances": "les logements accessibles se libèrent moins souvent que les autres",
    "demande": (
        "plus de logements accessibles que de demandeurs du premier quartile pouvant y accéder"
    ),
    "plafonds": (
        "logements dont aucun demandeur du premier quartile ne respecte le plafond de ressources"
    ),
}
_LOSS_COLUMNS = {
    "loyer": "loss_rent",
    "taille": "loss_size",
    "vacances": "loss_turnover",
    "demande": "loss_demand",
    "plafonds": "loss_ceiling",
}


def marges_findings(result: MargesResult) -> list[str]:
    """The findings in plain French: the EPCI's attainable and achieved shares, then each
    landlord below the target with its binding reason, the size of that loss and, for rents,
    the median rent reduction its residences would need for the median Q1 household."""
    marges = result.marges
    groups = marges.groups
    target = fr.percent(marges.target)
    out: list[str] = []
    epci = groups.loc[groups["level"] == Level.EPCI]
    if len(epci):
        row = epci.iloc[0]
        achieved = row["achieved_share"]
        achieved_text = (
            f", pour une part réalisée de {fr.percent(float(achieved))}"
            if pd.notna(achieved)
            else ""
        )
        out.append(
            f"EPCI : au plus {fr.percent(float(row['attainable_share']))} des attributions hors QPV "
            f"pourraient aller à des demandeurs du premier quartile{achieved_text} (objectif "
            f"{target})."
        )
    landlords = groups.loc[groups["level"] == Level.LANDLORD]
    below = landlords.loc[~landlords["reason"].isin(["atteignable", "sans_parc"])].sort_values(
        "attainable_share"
    )
    for _, row in below.iterrows():
        code = str(row["reason"])
        name = result.names.landlord(row["group"])
        achieved = row["achieved_share"]
        achieved_text = f" (réalisée : {fr.percent(float(achieved))})" if pd.notna(achieved) else ""
        loss = float(row[_LOSS_COLUMNS[code]]) if code in _LOSS_COLUMNS else float("nan")
        detail = _REASON_DETAILS.get(code, "")
        text = (
            f"{name} : part atteignable {fr.percent(float(row['attainable_share']))}{achieved_text}, "
            f"sous l'objectif de {target}. Raison principale : {fr.REASON_LABELS.get(code, code)} — "
            f"sur environ {fr.value(round(float(row['expected_vacancies'])), 'int')} "
            f"libérations attendues par an hors QPV, {fr.value(round(loss), 'int')} y sont "
            "perdues "
            f"({detail})."
        )
        if code == "loyer":
            red = marges.rent_reductions
            red = red.loc[(red["landlord_id"].astype(str) == str(row["group"]))]
            needed = red["rent_reduction"].dropna()
            needed = needed.loc[needed > 0]
            if len(needed):
                text += (
                    f" Pour le ménage Q1 médian de chaque taille, {len(needed)} couples "
                    f"résidence × taille sur {len(red)} demandent une baisse de loyer "
                    f"(médiane : {fr.value(float(needed.median()), 'eur')} par mois)."
                )
        out.append(text)
    if len(landlords) and not len(below):
        out.append(f"Chaque bailleur peut atteindre l'objectif de {target} hors QPV.")
    return out


def _chart(result: MargesResult) -> str:
    rows = _groups(result, Level.EPCI, Level.LANDLORD)
    labels = [
        "EPCI" if lv == Level.EPCI else result.names.landlord(g)
        for lv, g in zip(rows["level"], rows["group"], strict=True)
    ]
    fig = go.Figure()
    fig.add_bar(name="réalisé", x=labels, y=rows["achieved_share"])
    fig.add_bar(name="atteignable", x=labels, y=rows["attainable_share"])
    fig.add_hline(y=result.marges.target, line_dash="dash", annotation_text="objectif légal")
    fig.update_layout(
        barmode="group",
        title="Part des attributions hors QPV au premier quartile : réalisée et atteignable",
        yaxis_tickformat=".0%",
    )
    return plotly_div(fig)


def marges_sheets(result: MargesResult) -> list[Sheet]:
    """The XLSX sheets of the room for manoeuvre (EPCI and landlords, communes, residences,
    household sizes, rent reductions)."""
    marges = result.marges
    period = f"attributions {marges.year}, millésime {marges.millesime}"
    sheets: list[Sheet] = []
    for key, title, frame in (
        (
            "Marges par bailleur",
            "Marges de manœuvre hors QPV par bailleur",
            _groups(result, Level.EPCI, Level.LANDLORD),
        ),
        (
            "Marges par commune",
            "Marges de manœuvre hors QPV par commune",
            _groups(result, Level.COMMUNE),
        ),
        (
            "Marges par résidence",
            "Marges de manœuvre hors QPV par résidence",
            _groups(result, Level.RESIDENCE),
        ),
        (
            "Marges par taille de ménage",
            "Demandeurs du premier quartile pouvant accéder au parc hors QPV, par taille",
            result.by_size,
        ),
        (
            "Baisses de loyer",
            "Baisse de loyer rendant le logement type accessible au ménage Q1 médian",
            marges.rent_reductions,
        ),
    ):
        keep = key in ("Marges par bailleur", "Marges par taille de ménage")
        table, formats, _ = marges_table(result, frame, keep_level=keep)
        note = " ".join(marges_findings(result)) if key == "Marges par bailleur" else ""
        sheets.append(Sheet(key, table, f"{title} — {period}", note, formats))
    return sheets


def marges_section(result: MargesResult) -> Section:
    """The HTML section « Marges de manœuvre hors QPV » (for ``render_page``)."""
    marges = result.marges
    findings = "".join(f"<li>{html.escape(t)}</li>" for t in marges_findings(result))
    blocks: list[str] = [
        f"<h3>Constats</h3><ul>{findings}</ul>",
        _explanations(marges),
        _chart(result),
    ]
    definitions: dict[str, str] = {}
    table, formats, notes = marges_table(result, _groups(result, Level.EPCI, Level.LANDLORD))
    definitions.update(notes)
    blocks.append("<h3>EPCI et bailleurs</h3>" + table_html(table, formats))
    size = result.by_size.loc[result.by_size["level"].isin([Level.EPCI, Level.LANDLORD])]
    table, formats, notes = marges_table(result, size.reset_index(drop=True))
    definitions.update(notes)
    blocks.append(
        "<h3>Demandeurs du premier quartile pouvant accéder au parc hors QPV, par taille</h3>"
        + table_html(table, formats)
    )
    table, formats, notes = marges_table(result, _groups(result, Level.COMMUNE), keep_level=False)
    definitions.update(notes)
    blocks.append("<h3>Communes</h3>" + table_html(table, formats))
    reductions = marges.rent_reductions
    dear = reductions.loc[reductions["rent_reduction"].fillna(float("inf")) > 0]
    dear = dear.sort_values("rent_reduction", ascending=False, na_position="first")
    table, formats, notes = marges_table(result, dear.reset_index(drop=True))
    definitions.update(notes)
    blocks.append(
        "<h3>Résidences à rendre accessibles : baisse de loyer nécessaire</h3>"
        f"<p>{len(dear)} couples résidence × taille de ménage demandent une baisse de loyer "
        f"(sur {len(reductions)}) ; les plus fortes d'abord, la liste complète est dans la "
        "feuille « Baisses de loyer ».</p>" + table_html(table, formats, max_rows=30)
    )
    blocks.append(
        f'<p class="note">{int((marges.groups["level"] == Level.RESIDENCE).sum())} résidences '
        "hors QPV : voir la feuille « Marges par résidence » du classeur.</p>"
    )
    blocks.append(
        '<details class="definitions"><summary>Définitions et sources des colonnes de cette '
        "partie</summary><p>" + html.escape(definitions_block(definitions)) + "</p></details>"
    )
    return Section("Marges de manœuvre hors QPV", tuple(blocks), "marges")


def write_marges(result: MargesResult, out_dir: Path) -> MargesOutputs:
    """Write ``marges.html`` and ``marges.xlsx`` of a room-for-manoeuvre result."""
    out_dir.mkdir(parents=True, exist_ok=True)
    marges = result.marges
    xlsx = write_xlsx(
        out_dir / "marges.xlsx",
        marges_sheets(result),
        title=f"Marges de manœuvre hors QPV — {result.names.territory}, attributions {marges.year}",
        definitions=marges_definitions(result),
    )
    html_path = out_dir / "marges.html"
    html_path.write_text(
        render_page(
            f"Marges de manœuvre hors QPV — {result.names.territory}",
            f"Attributions {marges.year} · millésime {marges.millesime} · produit par mixite",
            [marges_section(result)],
        ),
        encoding="utf-8",
    )
    return MargesOutputs(html_path, xlsx)
