"""The policy documents as files: document-cadre, CIA draft and annual review (DOCX + HTML).

Presentation only: every figure comes from the documents job's result
(``mixite.jobs.documents``); this module names the partners, words the tables in French, draws
the chart and renders the blocks of ``reports.policy``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from mixite.choices import SPLIT_METHODS
from mixite.jobs.results import DocumentsResult, Names
from mixite.reports import fr
from mixite.reports.document import Figure, render_docx, render_html
from mixite.reports.fr import Format
from mixite.reports.policy import PolicyInputs, bilan_annuel, cia, document_cadre
from mixite.vocabulary import Indicator, Level

__all__ = ["DocumentOutputs", "policy_inputs", "write_documents"]

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

FORMATS: dict[str, Format] = {
    "Attributions": "int",
    "Public cible": "int",
    "Réalisé": "pct",
    "Objectif légal": "pct",
    "Manque": "int",
    "Attributions attendues": "int",
    "Plafond (marge)": "int",
    "Objectif (attributions)": "int",
    "Objectif (part)": "pct",
    "Réalisé l'an passé": "int",
    "Relogements NPNRU/ORCOD": "int",
    "Logements": "int",
    "Ménages": "int",
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
}


@dataclass(frozen=True)
class DocumentOutputs:
    docx: tuple[Path, ...]
    html: tuple[Path, ...]


def _partner(level: str, group: object, names: Names) -> str:
    if level == Level.EPCI:
        return "Ensemble de l'EPCI"
    return fr.group_label(level, group, names)


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
            "Écart significatif": part["significant_shortfall"].map(fr.yes_no).to_numpy(),
        }
    )


def _objectives(frame: pd.DataFrame, level: str, names: Names) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Partenaire": [
                "Total EPCI" if p == "total" else _partner(level, p, names)
                for p in frame["partner"]
            ],
            "Attributions attendues": frame["expected"].to_numpy(),
            "Réalisé l'an passé": frame["achieved"].to_numpy(),
            "Plafond (marge)": frame["cap"].to_numpy(),
            "Objectif (attributions)": frame["objective"].to_numpy(),
            "Objectif (part)": frame["objective_rate"].to_numpy(),
        }
    )


def _chart_quotas(table: pd.DataFrame, names: Names, out: Path) -> Path:
    part = table[
        (table["level"] == Level.LANDLORD) & (table["indicator"] == Indicator.Q1_OUTSIDE_QPV)
    ]
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=150)
    labels = [names.landlord(g) for g in part["group"]]
    ax.barh(labels, part["share"] * 100, color="#1f4e79")
    if len(part):
        target = float(part["target"].iloc[0]) * 100
        ax.axvline(target, color="#c0392b", linestyle="--", label="objectif légal")
        ax.legend(loc="lower right")
    ax.set_xlabel("% des attributions hors QPV au 1er quartile ou relogés")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def policy_inputs(result: DocumentsResult, work_dir: Path | None = None) -> PolicyInputs:
    """The documents' content in French, from the job's result (the chart drawn in
    ``work_dir`` when given)."""
    names = result.names
    year = result.year
    table = result.quotas
    method_label = SPLIT_METHODS[result.method_used]
    if result.method_used != result.method:
        method_label += (
            f" (la méthode « {result.method} » demande les marges de manœuvre, non disponibles : "
            "lancez « mixite marges »)"
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
                "Secteur": s["in_qpv"].map({True: "QPV", False: "hors QPV"}).to_numpy(),
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
                "Indice de fragilité": top["fragility_index"].to_numpy(),
                "Classe": top["fragility_class"].to_numpy(),
                "Explication": top["explanation"].to_numpy(),
            }
        )
    marges = None
    if result.marges is not None:
        m = result.marges
        marges = pd.DataFrame(
            {
                "Bailleur": [names.landlord(g) for g in m["group"]],
                "Vacances attendues hors QPV": m["expected_vacancies"].round(0).to_numpy(),
                "Part réalisée": m["achieved_share"].to_numpy(),
                "Part atteignable": m["attainable_share"].to_numpy(),
            }
        )
    history = None
    if result.history is not None:
        h = result.history
        history = pd.DataFrame(
            {
                "Année": h["year"].astype(str).to_numpy(),
                "Attributions": h["attributions"].to_numpy(),
                "Part hors QPV au 1er quartile": h[Indicator.Q1_OUTSIDE_QPV].to_numpy(),
                "Part en QPV hors 1er quartile": h[Indicator.NON_Q1_IN_QPV].to_numpy(),
                "Part prioritaires": h[Indicator.PRIORITY].to_numpy(),
            }
        )
    figures: list[Figure] = []
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        png = _chart_quotas(table, names, work_dir / "quotas_bailleurs.png")
        figures.append(
            Figure(
                png,
                f"Part des attributions hors QPV au premier quartile ou relogés par bailleur, {year}",
            )
        )
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
            "Manque",
            "Nombre d'attributions au public cible qui auraient été nécessaires pour atteindre "
            "l'objectif : ⌈objectif × attributions⌉ − réalisé.",
        ),
        (
            "Écart significatif",
            "La part réalisée est inférieure à l'objectif au-delà de ce que le hasard "
            "expliquerait (test binomial exact unilatéral).",
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
        sectors=sectors,
        fragile_residences=fragile,
        marges=marges,
        history=history,
        figures=figures,
        definitions=definitions,
        formats=FORMATS,
    )


def write_documents(result: DocumentsResult, out_dir: Path) -> DocumentOutputs:
    """Write document-cadre, CIA draft and annual review as DOCX and HTML under ``out_dir``."""
    inputs = policy_inputs(result, out_dir / "images")
    docs = (
        (
            "document-cadre",
            "Document-cadre d'orientations en matière d'attributions",
            document_cadre,
        ),
        ("cia", "Convention intercommunale d'attribution (projet)", cia),
        ("bilan", f"Bilan annuel des attributions {result.year}", bilan_annuel),
    )
    docx_paths, html_paths = [], []
    for stem, title, build in docs:
        blocks = build(inputs)
        subtitle = (
            f"{inputs.territory} — projet établi par mixite à partir de la base du territoire "
            f"({dt.date.today():%d/%m/%Y})"
        )
        docx_paths.append(render_docx(title, subtitle, blocks, out_dir / f"{stem}.docx"))
        html_paths.append(render_html(title, subtitle, blocks, out_dir / f"{stem}.html"))
    return DocumentOutputs(tuple(docx_paths), tuple(html_paths))
