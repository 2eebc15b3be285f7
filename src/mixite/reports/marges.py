"""The room for manoeuvre outside QPV as report pieces: an HTML section, XLSX sheets, files.

Presentation only: every figure comes from ``mixite.indicators.marges.room_for_manoeuvre``.
``marges_section`` and ``marges_sheets`` can be added to the diagnostic report; ``write_marges``
writes the standalone ``marges.html`` and ``marges.xlsx``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from mixite.errors import StoreError
from mixite.indicators._common import small_cell_threshold, suppress_small_cells
from mixite.indicators.diagnostic import frames_from_store
from mixite.indicators.marges import DEFINITIONS, REASONS, Marges, room_for_manoeuvre
from mixite.params import Parameters
from mixite.reports.common import (
    Format,
    Section,
    Sheet,
    format_value,
    plotly_div,
    render_page,
    table_html,
    write_xlsx,
)
from mixite.store import Store

__all__ = [
    "MargesOutputs",
    "marges_findings",
    "marges_from_store",
    "marges_section",
    "marges_sheets",
    "marges_table",
    "write_marges",
]

_FORMATS: dict[str, Format] = {
    "/1": "pct",
    "€/mois": "eur",
    "logements": "float",
    "attributions": "float",
    "demandes": "int",
    "personnes": "int",
}
_INT_COLUMNS = {"dwellings", "dwellings_ok", "achieved_attributions"}

_LEVEL_LABELS = {
    "territoire": "EPCI",
    "bailleur": "Bailleur",
    "commune": "Commune",
    "residence": "Résidence",
}

_GROUP_COLUMNS = [
    "group", "dwellings", "dwellings_ok", "expected_vacancies", "vacancies_ok",
    "q1_applicants_ok", "attainable_q1", "attainable_share", "achieved_attributions",
    "achieved_share", "target", "reason", "loss_ceiling", "loss_size", "loss_rent",
    "loss_turnover", "loss_demand",
]  # fmt: skip


@dataclass(frozen=True)
class MargesOutputs:
    """Paths written by ``write_marges`` and the computed room for manoeuvre."""

    html: Path
    xlsx: Path
    marges: Marges


def marges_table(
    frame: pd.DataFrame, names: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, dict[str, Format], str]:
    """A marges frame with French headers, display formats and its definitions note.

    ``names`` maps group codes (landlord SIREN, commune code) to names, shown in a « Nom » column.
    """
    out = frame.copy()
    if "reason" in out:
        out["reason"] = out["reason"].map(lambda c: REASONS.get(str(c), str(c)))
    if "level" in out:
        out["level"] = out["level"].map(lambda c: _LEVEL_LABELS.get(str(c), str(c)))
    if names and "group" in out:
        position = list(out.columns).index("group") + 1
        out.insert(position, "name", out["group"].map(lambda g: names.get(str(g), "")))
    renamed: dict[str, str] = {}
    formats: dict[str, Format] = {}
    notes: list[str] = []
    for col in out.columns:
        definition = DEFINITIONS.get(str(col))
        if definition is None:
            label = {"name": "Nom", "residence_id": "Résidence", "landlord_id": "Bailleur"}.get(
                str(col), str(col)
            )
            if str(col) == "commune":
                label = "Commune"
            renamed[str(col)] = label
            continue
        renamed[str(col)] = definition.label
        fmt = "int" if str(col) in _INT_COLUMNS else _FORMATS.get(definition.unit)
        if fmt:
            formats[definition.label] = fmt
        if definition.unit not in ("code", "texte"):
            notes.append(
                f"{definition.label} ({definition.unit}) : {definition.definition} "
                f"Source : {definition.source}."
            )
    return out.rename(columns=renamed), formats, " ".join(dict.fromkeys(notes))


def _threshold(marges: Marges) -> int:
    return small_cell_threshold(None, dt.date(marges.millesime, 1, 1))


def _secret_groups(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Counts of Q1 applicants from 1 to threshold − 1 blanked, with what reveals them."""
    derived = {"q1_applicants_ok": ["attainable_q1", "attainable_share", "loss_demand"]}
    return suppress_small_cells(frame, ["q1_applicants_ok"], threshold, derived)


def _secret_sizes(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    counts = ["q1_applicants", "q1_applicants_sized", "q1_applicants_ok"]
    derived = {"q1_applicants": ["share_ok"], "q1_applicants_ok": ["share_ok"]}
    return suppress_small_cells(frame, counts, threshold, derived)


def _groups(marges: Marges, level: str) -> pd.DataFrame:
    part = marges.groups.loc[marges.groups["level"] == level, _GROUP_COLUMNS]
    return _secret_groups(part.reset_index(drop=True), _threshold(marges))


def _landlord_rows(marges: Marges) -> pd.DataFrame:
    rows = marges.groups.loc[marges.groups["level"].isin(["territoire", "bailleur"])]
    frame = rows[["level", *_GROUP_COLUMNS]].reset_index(drop=True)
    return _secret_groups(frame, _threshold(marges))


def _explanations(marges: Marges) -> str:
    return (
        f"<p>Attributions dont le bail est signé en {marges.year} ; demandes en cours au "
        f"31 décembre {marges.year} et parc au 1er janvier {marges.millesime} (millésime "
        f"{marges.millesime}). Seuil du premier quartile : "
        f"{format_value(marges.threshold, 'eur')} par an et par unité de consommation ; "
        f"{format_value(marges.q1_applicants, 'int')} demandeurs du premier quartile. "
        f"Un logement hors QPV est accessible quand au moins un de ces demandeurs respecte le "
        f"plafond de ressources de son financement, y trouve une typologie adaptée et peut le "
        f"payer : taux d'effort après aide au logement au plus "
        f"{format_value(marges.max_effort_rate, 'pct')} et reste à vivre d'au moins "
        f"{format_value(marges.min_reste_a_vivre, 'float')} € par unité de consommation et par "
        f"jour. La part atteignable est un maximum : min(libérations attendues des logements "
        f"accessibles, demandeurs Q1 pouvant y accéder) / libérations attendues hors QPV, à "
        f"comparer avec l'objectif de {format_value(marges.target, 'pct')} et la part réalisée. "
        f"La raison principale est la plus grande des pertes (plafonds, taille, loyer, "
        f"mobilité, demande) lorsque la part atteignable est sous l'objectif. Méthode : "
        f"docs/marges.md.</p>"
        + (
            "<p>Variante retenue : chaque demandeur ne peut prendre qu'un logement situé dans "
            "une des communes qu'il a demandées.</p>"
            if marges.wished_communes
            else "<p>Chaque demandeur peut prendre un logement de n'importe quelle commune du "
            "territoire (borne haute ; l'option --communes-souhaitees restreint aux communes "
            "demandées).</p>"
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


def _pct(value: float) -> str:
    return format_value(value, "pct")


def marges_findings(marges: Marges, names: Mapping[str, str] | None = None) -> list[str]:
    """The findings in plain French: the EPCI's attainable and achieved shares, then each
    landlord below the target with its binding reason, the size of that loss and, for rents,
    the median rent reduction its residences would need for the median Q1 household."""
    names = names or {}
    groups = marges.groups
    target = _pct(marges.target)
    out: list[str] = []
    epci = groups.loc[groups["level"] == "territoire"]
    if len(epci):
        row = epci.iloc[0]
        achieved = row["achieved_share"]
        achieved_text = (
            f", pour une part réalisée de {_pct(float(achieved))}" if pd.notna(achieved) else ""
        )
        out.append(
            f"EPCI : au plus {_pct(float(row['attainable_share']))} des attributions hors QPV "
            f"pourraient aller à des demandeurs du premier quartile{achieved_text} (objectif "
            f"{target})."
        )
    landlords = groups.loc[groups["level"] == "bailleur"]
    below = landlords.loc[~landlords["reason"].isin(["atteignable", "sans_parc"])].sort_values(
        "attainable_share"
    )
    for _, row in below.iterrows():
        code = str(row["reason"])
        name = names.get(str(row["group"]), str(row["group"]))
        achieved = row["achieved_share"]
        achieved_text = f" (réalisée : {_pct(float(achieved))})" if pd.notna(achieved) else ""
        loss = float(row[_LOSS_COLUMNS[code]]) if code in _LOSS_COLUMNS else float("nan")
        detail = _REASON_DETAILS.get(code, "")
        text = (
            f"{name} : part atteignable {_pct(float(row['attainable_share']))}{achieved_text}, "
            f"sous l'objectif de {target}. Raison principale : {REASONS.get(code, code)} — "
            f"sur environ {format_value(round(float(row['expected_vacancies'])), 'int')} "
            f"libérations attendues par an hors QPV, {format_value(round(loss), 'int')} y sont "
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
                    f"(médiane : {format_value(float(needed.median()), 'eur')} par mois)."
                )
        out.append(text)
    if len(landlords) and not len(below):
        out.append(f"Chaque bailleur peut atteindre l'objectif de {target} hors QPV.")
    return out


def _chart(marges: Marges, names: Mapping[str, str]) -> str:
    rows = _landlord_rows(marges)
    labels = [
        "EPCI" if lv == "territoire" else names.get(str(g), str(g))
        for lv, g in zip(rows["level"], rows["group"], strict=True)
    ]
    fig = go.Figure()
    fig.add_bar(name="réalisé", x=labels, y=rows["achieved_share"])
    fig.add_bar(name="atteignable", x=labels, y=rows["attainable_share"])
    fig.add_hline(y=marges.target, line_dash="dash", annotation_text="objectif légal")
    fig.update_layout(
        barmode="group",
        title="Part des attributions hors QPV au premier quartile : réalisée et atteignable",
        yaxis_tickformat=".0%",
    )
    return plotly_div(fig)


def marges_sheets(marges: Marges, names: Mapping[str, str] | None = None) -> list[Sheet]:
    """The XLSX sheets of the room for manoeuvre (EPCI and landlords, communes, residences,
    household sizes, rent reductions)."""
    names = names or {}
    period = f"attributions {marges.year}, millésime {marges.millesime}"
    sheets: list[Sheet] = []
    for key, title, frame in (
        ("marges_bailleurs", "Marges de manœuvre hors QPV par bailleur", _landlord_rows(marges)),
        ("marges_communes", "Marges de manœuvre hors QPV par commune", _groups(marges, "commune")),
        (
            "marges_residences",
            "Marges de manœuvre hors QPV par résidence",
            _groups(marges, "residence"),
        ),
        (
            "marges_tailles",
            "Demandeurs du premier quartile pouvant accéder au parc hors QPV, par taille",
            _secret_sizes(marges.by_size, _threshold(marges)),
        ),
        (
            "marges_baisses_loyer",
            "Baisse de loyer rendant le logement type accessible au ménage Q1 médian",
            marges.rent_reductions,
        ),
    ):
        table, formats, note = marges_table(frame, names)
        if key == "marges_bailleurs":
            note = " ".join([*marges_findings(marges, names), note])
        sheets.append(Sheet(key, table, f"{title} — {period}", note, formats))
    return sheets


def marges_section(marges: Marges, names: Mapping[str, str] | None = None) -> Section:
    """The HTML section « Marges de manœuvre hors QPV » (for ``render_page``)."""
    names = names or {}
    findings = "".join(f"<li>{html.escape(t)}</li>" for t in marges_findings(marges, names))
    blocks: list[str] = [
        f"<h3>Constats</h3><ul>{findings}</ul>",
        _explanations(marges),
        _chart(marges, names),
    ]
    table, formats, note = marges_table(_landlord_rows(marges), names)
    blocks.append("<h3>EPCI et bailleurs</h3>" + table_html(table, formats, "", note))
    size = marges.by_size.loc[marges.by_size["level"].isin(["territoire", "bailleur"])]
    size = _secret_sizes(size.reset_index(drop=True), _threshold(marges))
    table, formats, note = marges_table(size, names)
    blocks.append(
        "<h3>Demandeurs du premier quartile pouvant accéder au parc hors QPV, par taille</h3>"
        + table_html(table, formats, "", note)
    )
    table, formats, note = marges_table(_groups(marges, "commune"), names)
    blocks.append("<h3>Communes</h3>" + table_html(table, formats, "", note))
    reductions = marges.rent_reductions
    dear = reductions.loc[reductions["rent_reduction"].fillna(float("inf")) > 0]
    dear = dear.sort_values("rent_reduction", ascending=False, na_position="first")
    table, formats, note = marges_table(dear.reset_index(drop=True), names)
    blocks.append(
        "<h3>Résidences à rendre accessibles : baisse de loyer nécessaire</h3>"
        f"<p>{len(dear)} couples résidence × taille de ménage demandent une baisse de loyer "
        f"(sur {len(reductions)}) ; les plus fortes d'abord, la liste complète est dans la "
        "feuille « marges_baisses_loyer ».</p>" + table_html(table, formats, "", note, max_rows=30)
    )
    blocks.append(
        f'<p class="note">{int((marges.groups["level"] == "residence").sum())} résidences '
        "hors QPV : voir la feuille « marges_residences » du classeur.</p>"
    )
    return Section("Marges de manœuvre hors QPV", tuple(blocks), "marges")


def marges_from_store(
    store: Store, year: int, params: Parameters | None = None, wished_communes: bool = False
) -> tuple[Marges, dict[str, str], str]:
    """The room for manoeuvre of ``year`` from a store, the group names and the territory name.

    Uses millésime ``year + 1`` (demand at 31/12/``year``, leases of ``year``); a ``StoreError``
    in French when that millésime is missing.
    """
    available = store.millesimes("dwellings")
    if year + 1 not in available:
        raise StoreError(
            f"Pas de millésime {year + 1} dans la base (millésimes disponibles : "
            f"{', '.join(map(str, sorted(available))) or 'aucun'}). Les marges des attributions "
            f"de {year} utilisent le parc au 1er janvier {year + 1} et les demandes au "
            f"31 décembre {year} : importez ce millésime ou choisissez une autre année (--annee)."
        )
    millesime, frames = frames_from_store(store, year + 1)
    frames = dict(frames)
    if millesime in store.millesimes("landlords"):
        frames["landlords"] = store.read("landlords", millesime)
    marges = room_for_manoeuvre(frames, year, millesime, params, wished_communes=wished_communes)
    names: dict[str, str] = {}
    if "landlords" in frames:
        lan = frames["landlords"]
        names.update(
            zip(lan["landlord_id"].astype(str), lan["landlord_name"].astype(str), strict=True)
        )
    communes = frames.get("communes")
    if communes is not None:
        names.update(
            zip(communes["commune"].astype(str), communes["commune_name"].astype(str), strict=True)
        )
    territory = frames.get("territory")
    label = str(territory.iloc[0]["name"]) if territory is not None and len(territory) else ""
    label = label or "Territoire"
    names["territoire"] = label
    return marges, names, label


def write_marges(
    base: Path,
    out_dir: Path,
    year: int,
    params: Parameters | None = None,
    wished_communes: bool = False,
) -> MargesOutputs:
    """Compute the room for manoeuvre of ``year`` and write ``marges.html`` and ``marges.xlsx``."""
    with Store(base) as store:
        marges, names, label = marges_from_store(store, year, params, wished_communes)
    out_dir.mkdir(parents=True, exist_ok=True)
    xlsx = write_xlsx(out_dir / "marges.xlsx", marges_sheets(marges, names))
    html_path = out_dir / "marges.html"
    html_path.write_text(
        render_page(
            f"Marges de manœuvre hors QPV — {label}",
            f"Attributions {year} · millésime {marges.millesime} · produit par mixite",
            [marges_section(marges, names)],
        ),
        encoding="utf-8",
    )
    return MargesOutputs(html_path, xlsx, marges)
