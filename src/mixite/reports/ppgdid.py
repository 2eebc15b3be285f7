"""The PPGDID draft (plan partenarial de gestion de la demande de logement social et
d'information des demandeurs, CCH art. L441-2-8) as DOCX and HTML: shared management of the
demand, the information service and its places, the cotation grid with its criteria, weights
and articles, the shared file; filled from the partners' configuration and the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mixite.reports import fr
from mixite.reports.document import (
    Block,
    Heading,
    Paragraph,
    Proposal,
    TableBlock,
    ToFill,
    render_docx,
    render_html,
)

if TYPE_CHECKING:
    from mixite.jobs.results import PpgdidResult

__all__ = ["ppgdid_blocks", "write_ppgdid"]

TITLE = "Plan partenarial de gestion de la demande et d'information des demandeurs (projet)"


def _grid_table(result: PpgdidResult) -> pd.DataFrame:
    rows = result.grid_rows
    return pd.DataFrame(
        {
            "Section": rows["section"],
            "Rubrique": rows["rubric"],
            "Critère": rows["criterion"],
            "Points": [fr.points(p) for p in rows["points"]],
            "Justificatif": ["exigé" if j else "—" for j in rows["justified"]],
            "Condition": rows["condition"],
            "Fondement": [a or "—" for a in rows["article"]],
        }
    )


def _waiting_table(result: PpgdidResult) -> pd.DataFrame | None:
    table = result.waiting
    if table.empty or "first_wished_commune" not in table.columns:
        return None
    names = result.names
    ordered = table.sort_values(["first_wished_commune", "rooms_min"])
    return pd.DataFrame(
        {
            "Commune": [names.commune(c) for c in ordered["first_wished_commune"]],
            "Logement": [f"T{int(float(r))}" for r in ordered["rooms_min"]],
            "Délai (mois)": [fr.number(m, 0) for m in ordered["waiting_months"]],
            "Méthode": ["observé" if m == "observe" else "estimation" for m in ordered["method"]],
        }
    )


def ppgdid_blocks(result: PpgdidResult) -> list[Block]:
    """The blocks of the draft, in the order of CCH L441-2-8 and R441-2-10 to R441-2-17."""
    config = result.config
    names = result.names
    blocks: list[Block] = [
        Heading("Préambule", numbered=False),
        Paragraph(
            f"Le présent plan est établi par {names.territory} avec ses partenaires pour une "
            f"durée de {config.duration_years} ans (article L441-2-8 du code de la construction "
            "et de l'habitation). Il définit les orientations de la gestion partagée des "
            "demandes de logement social et du droit à l'information des demandeurs, et décrit "
            "le système de cotation de la demande."
        ),
        Paragraph("Partenaires associés à l'élaboration et à la mise en œuvre du plan :"),
        *[Paragraph(p, bullet=True) for p in config.partners],
        Heading("La demande de logement social sur le territoire"),
        Paragraph(
            f"{fr.integer(result.applications)} demandes en attente au 1er janvier "
            f"{result.year + 1} ; {fr.integer(result.attributions)} attributions suivies d'un "
            f"bail signé en {result.year} (source : fichier partagé, base mixite)."
        ),
        Heading("Le dispositif de gestion partagée de la demande"),
        Paragraph(config.shared_file),
        *[Paragraph(item, bullet=True) for item in config.shared_management],
        Heading("Le service d'information et d'accueil des demandeurs"),
        Paragraph(config.first_meeting),
    ]
    places = pd.DataFrame(
        {
            "Lieu": [p.name for p in config.places],
            "Adresse": [p.address for p in config.places],
            "Nature": [p.kind for p in config.places],
            "Horaires": [p.hours or "—" for p in config.places],
            "Enregistre les demandes": [fr.yes_no(p.registers) for p in config.places],
        }
    )
    blocks.append(TableBlock(places, "Les lieux d'accueil et d'information"))
    blocks.append(Paragraph("Informations délivrées à tout demandeur :"))
    blocks.extend(Paragraph(item, bullet=True) for item in config.information)
    waiting = _waiting_table(result)
    if waiting is not None:
        blocks.append(
            TableBlock(
                waiting,
                "Délai d'attente des demandes satisfaites, par commune et taille de logement",
                note=(
                    "Délai observé : durée moyenne entre le dépôt et la signature du bail des "
                    "demandes semblables satisfaites. Estimation : quand trop peu d'attributions "
                    "ont une date de dépôt connue (ou moins que le seuil du secret statistique), "
                    "file d'attente divisée par le flux annuel d'attributions."
                ),
            )
        )
    blocks += [
        Heading("Le système de cotation de la demande"),
        Paragraph(
            f"Grille : « {result.grid_name} ». La cotation attribue à chaque demande des points "
            "selon les critères ci-dessous ; elle aide à la désignation des candidats sans s'y "
            "substituer (article L441-2-8 du code de la construction et de l'habitation). Les "
            "critères mettent en œuvre les priorités de l'article L441-1 et des ménages "
            "reconnus prioritaires au titre du droit au logement opposable."
        ),
        TableBlock(_grid_table(result), "Critères de la cotation et leur pondération"),
        Heading("Refus d'un logement adapté", level=2),
        *[
            Paragraph(f"{section} : {rule[:1].upper() + rule[1:]}")
            for section, rule in result.refusal_rules.items()
        ],
        Proposal(
            "Information du demandeur sur sa cotation",
            (
                "Tout demandeur peut connaître sa cotation et sa position par rapport aux "
                "demandes semblables, auprès des lieux d'accueil ou par le simulateur en ligne, "
                "qui explique les points critère par critère.",
            ),
            basis="simulateur de cotation de l'application web de mixite",
        ),
        Heading("Suivi et évaluation du plan"),
        ToFill(
            "Modalités de suivi",
            "Fréquence du bilan présenté à la conférence intercommunale du logement, indicateurs "
            "suivis, instance de pilotage.",
        ),
    ]
    return blocks


def write_ppgdid(result: PpgdidResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``ppgdid.docx`` and ``ppgdid.html`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = ppgdid_blocks(result)
    subtitle = f"{result.names.territory} — projet du {dt.date.today():%d/%m/%Y}"
    docx = render_docx(
        TITLE, subtitle, blocks, out_dir / "ppgdid.docx", header_text=result.names.territory
    )
    page = render_html(TITLE, subtitle, blocks, out_dir / "ppgdid.html")
    return docx, page
