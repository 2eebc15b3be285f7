"""The three policy documents of the intercommunal attribution policy, as document blocks.

- *Document-cadre d'orientations* (CCH art. L441-1-5): adopted by the CIL;
- *Convention intercommunale d'attribution* (CCH art. L441-1-6), draft with objectives per
  landlord and per reservataire;
- *Bilan annuel*: achieved vs. objective per partner for year N.

Every figure comes from ``PolicyInputs`` (worded by ``reports.documents.policy_inputs`` from the documents job's result);
text that only the partners can write is a ``ToFill`` block, never invented. When an input is
missing, the section says which data would produce it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mixite.reports.document import Block, Figure, Heading, Paragraph, TableBlock, ToFill
from mixite.reports.fr import Format
from mixite.reports.fr import value as format_value

__all__ = ["PolicyInputs", "bilan_annuel", "cia", "document_cadre"]


@dataclass(frozen=True)
class PolicyInputs:
    """Everything the documents show, already computed (tables with French column headers)."""

    territory: str
    epci: str
    year: int
    method_label: str
    key_figures: list[tuple[str, object, Format | None]]
    legal: pd.DataFrame
    quotas_epci: pd.DataFrame | None = None
    quotas_landlords: pd.DataFrame | None = None
    quotas_reservataires: pd.DataFrame | None = None
    objectives_landlords: pd.DataFrame | None = None
    objectives_non_q1_qpv: pd.DataFrame | None = None
    objectives_reservataires: pd.DataFrame | None = None
    relocation: pd.DataFrame | None = None
    sectors: pd.DataFrame | None = None
    fragile_residences: pd.DataFrame | None = None
    marges: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    figures: list[Figure] = field(default_factory=list)
    definitions: list[tuple[str, str]] = field(default_factory=list)
    formats: dict[str, Format] = field(default_factory=dict)


def _table_or_missing(
    frame: pd.DataFrame | None,
    caption: str,
    missing: str,
    formats: dict[str, Format],
    note: str = "",
) -> list[Block]:
    if frame is None or frame.empty:
        return [Paragraph(f"Donnée non disponible : {missing}")]
    return [
        TableBlock(frame, caption, {k: v for k, v in formats.items() if k in frame.columns}, note)
    ]


def _key_figures(inputs: PolicyInputs) -> list[Block]:
    frame = pd.DataFrame(
        {
            "Indicateur": [k[0] for k in inputs.key_figures],
            "Valeur": [format_value(k[1], k[2]) for k in inputs.key_figures],
        }
    )
    return [TableBlock(frame, f"Chiffres clés du territoire ({inputs.territory})")]


def document_cadre(inputs: PolicyInputs) -> list[Block]:
    """Blocks of the document-cadre d'orientations (CCH art. L441-1-5)."""
    f = inputs.formats
    blocks: list[Block] = [
        Heading("Cadre légal"),
        Paragraph(
            "La conférence intercommunale du logement (CIL), coprésidée par le président de l'EPCI "
            "et le préfet, adopte des orientations en matière d'attributions et de mutations "
            "(CCH art. L441-1-5). Ces orientations fixent les objectifs de mixité sociale et "
            "d'équilibre entre les territoires, à l'échelle de l'EPCI et des quartiers prioritaires."
        ),
        TableBlock(
            inputs.legal,
            f"Objectifs légaux en vigueur en {inputs.year}",
            {"Taux": "pct"},
            "Source : paramètres datés de mixite (mixite parametres quotas).",
        ),
        Heading("Diagnostic"),
        Heading("Chiffres clés", 2),
        *_key_figures(inputs),
        Heading("Attributions et objectifs légaux", 2),
        *_table_or_missing(
            inputs.quotas_epci,
            f"Indicateurs légaux d'attribution, EPCI, {inputs.year}",
            "attributions de l'année (importez un fichier d'attributions).",
            f,
        ),
    ]
    blocks += [Figure(fig.image, fig.caption) for fig in inputs.figures]
    blocks += [
        Heading("Enjeux par secteur"),
        Heading("Quartiers prioritaires et secteurs", 2),
        *_table_or_missing(
            inputs.sectors,
            "Parc, loyers et occupation par secteur",
            "parc RPLS et occupation (OPS).",
            f,
        ),
        Heading("Résidences fragiles", 2),
        *_table_or_missing(
            inputs.fragile_residences,
            "Résidences classées « très fragiles » ou « fragiles »",
            "occupation du parc (OPS) pour l'indice de fragilité.",
            f,
            "Classement expliqué dans le diagnostic (variables qui placent la résidence dans sa classe).",
        ),
        Heading("Marges de manœuvre hors QPV", 2),
        *_table_or_missing(
            inputs.marges,
            "Part maximale atteignable d'attributions hors QPV au premier quartile",
            "loyers du parc (RPLS restreint) et demande (SNE) pour calculer les marges.",
            f,
        ),
        Heading("Orientations"),
        ToFill(
            "Orientations de la CIL",
            "Orientations locales en matière d'attributions et de mutations, de relogement des "
            "ménages prioritaires et des ménages concernés par le renouvellement urbain, et "
            "d'équilibre territorial. Ce texte est écrit et négocié par les partenaires.",
        ),
        Heading("Objectifs quantifiés", 2),
        Paragraph(
            f"Répartition proposée des objectifs entre bailleurs (méthode : {inputs.method_label}). "
            "Les nombres sont des attributions par an, calculés sur les attributions attendues."
        ),
        *_table_or_missing(
            inputs.objectives_landlords,
            "Objectif d'attributions hors QPV au premier quartile ou aux relogés, par bailleur",
            "attributions hors QPV par bailleur.",
            f,
        ),
    ]
    if inputs.definitions:
        blocks += [Heading("Définitions")]
        blocks += [Paragraph(f"{term} : {text}", bullet=True) for term, text in inputs.definitions]
    return blocks


def cia(inputs: PolicyInputs) -> list[Block]:
    """Blocks of the draft Convention intercommunale d'attribution (CCH art. L441-1-6)."""
    f = inputs.formats
    blocks: list[Block] = [
        Heading("Parties"),
        Paragraph(
            f"La présente convention est conclue entre l'EPCI {inputs.territory} (SIREN {inputs.epci}), "
            "le représentant de l'État dans le département, les organismes bailleurs disposant de "
            "logements sur le territoire, et les titulaires de droits de réservation "
            "(CCH art. L441-1-6)."
        ),
        ToFill("Liste des signataires", "Nom, représentant et qualité de chaque signataire."),
        Heading("Engagements"),
        TableBlock(inputs.legal, "Objectifs légaux déclinés par la convention", {"Taux": "pct"}),
        Heading("Objectifs par bailleur", 2),
        *_table_or_missing(
            inputs.objectives_landlords,
            "Attributions annuelles hors QPV aux demandeurs du premier quartile ou relogés, par bailleur",
            "attributions hors QPV par bailleur.",
            f,
        ),
        *_table_or_missing(
            inputs.objectives_non_q1_qpv,
            "Attributions annuelles en QPV aux demandeurs des autres quartiles, par bailleur",
            "attributions en QPV par bailleur.",
            f,
        ),
        Heading("Objectifs par réservataire", 2),
        *_table_or_missing(
            inputs.objectives_reservataires,
            "Attributions annuelles aux ménages DALO ou prioritaires, par réservataire",
            "attributions par réservataire.",
            f,
        ),
        Heading("Relogement des ménages concernés par le renouvellement urbain"),
        *_table_or_missing(
            inputs.relocation,
            f"Relogements NPNRU/ORCOD réalisés en {inputs.year}, par bailleur",
            "relogements NPNRU dans les attributions.",
            f,
        ),
        ToFill(
            "Contribution des bailleurs et réservataires au relogement",
            "Modalités de relogement (charte intercommunale de relogement), contribution de chaque "
            "bailleur et réservataire, objectifs qualitatifs (neuf ou récent, hors QPV, reste à charge).",
        ),
        Heading("Coopération et suivi"),
        ToFill(
            "Modalités de coopération",
            "Commissions de coordination, mise en commun des candidatures, gestion en flux.",
        ),
        Paragraph(
            "Le suivi est annuel : chaque bailleur transmet ses attributions de l'année ; mixite "
            "produit le bilan (commande « mixite documents ») avec l'écart à l'objectif de chaque "
            "partenaire."
        ),
        Heading("Annexes"),
        Heading("Définitions des indicateurs", 2),
    ]
    blocks += [Paragraph(f"{term} : {text}", bullet=True) for term, text in inputs.definitions]
    return blocks


def bilan_annuel(inputs: PolicyInputs) -> list[Block]:
    """Blocks of the annual review: achieved vs. objective per partner for year N."""
    f = inputs.formats
    blocks: list[Block] = [
        Heading(f"Bilan des attributions {inputs.year}"),
        *_key_figures(inputs),
        *_table_or_missing(
            inputs.quotas_epci,
            f"Indicateurs légaux, EPCI, {inputs.year}",
            "attributions de l'année.",
            f,
        ),
        Heading("Par bailleur", 2),
        *_table_or_missing(
            inputs.quotas_landlords,
            f"Réalisé et objectif par bailleur, {inputs.year}",
            "attributions par bailleur.",
            f,
            "Manque : nombre d'attributions supplémentaires nécessaires pour atteindre l'objectif.",
        ),
        Heading("Par réservataire", 2),
        *_table_or_missing(
            inputs.quotas_reservataires,
            f"Attributions aux ménages DALO ou prioritaires par réservataire, {inputs.year}",
            "attributions par réservataire.",
            f,
        ),
        Heading("Évolution", 2),
        *_table_or_missing(
            inputs.history,
            "Évolution des indicateurs légaux",
            "plusieurs années d'attributions dans la base.",
            f,
        ),
        Heading("Analyse"),
        ToFill(
            "Analyse des écarts par les partenaires",
            "Explications des écarts, actions correctives décidées (fléchage, baisses de loyer, "
            "coordination des commissions).",
        ),
    ]
    return blocks
