"""The three policy documents of the intercommunal attribution policy, as document blocks.

- *Document-cadre d'orientations* (CCH art. L441-1-5): the diagnostic, orientations pre-drafted
  from it (marked as proposals the CIL debates), the quantified objectives, the adoption steps;
- *Convention intercommunale d'attribution* (CCH art. L441-1-6): a draft in articles (preamble,
  visas, object, duration, objectives per landlord, per commune and per reservataire, each
  signatory's commitments, coordination commission, follow-up, approval) and a signatories' page;
- *Bilan annuel*: the legal obligations met or not at first glance, a short narrative, charts,
  the evolution over three years, and a statistical annex.

Every figure comes from ``PolicyInputs`` (worded by ``reports.documents.policy_inputs`` from the
documents job's result). Text only the partners can write is a ``ToFill`` block, never invented;
text drafted from the data is a ``Proposal`` they can change. Each section cites the article it
answers. When an input is missing, the section says which data would produce it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mixite.reports.document import (
    Block,
    Figure,
    Heading,
    PageBreak,
    Paragraph,
    Proposal,
    Signatory,
    Signatures,
    TableBlock,
    ToFill,
)
from mixite.reports.fr import Format
from mixite.reports.fr import value as format_value

__all__ = [
    "Commitments",
    "Obligation",
    "Orientation",
    "PolicyInputs",
    "bilan_annuel",
    "cia",
    "document_cadre",
]

#: First cells of the rows shown in bold (totals).
_TOTAL_ROWS = frozenset({"Total"})

_L441_1 = "CCH art. L441-1"
_L441_1_5 = "CCH art. L441-1-5"
_L441_1_6 = "CCH art. L441-1-6"


@dataclass(frozen=True)
class Obligation:
    """One legal obligation at every scale where the law applies it, worded: the table (met /
    not met coloured), one finding per row, and its chart."""

    title: str
    article: str
    table: pd.DataFrame
    fills: dict[tuple[int, str], str]
    findings: tuple[str, ...]
    chart: Figure | None = None
    formats: dict[str, Format] = field(default_factory=dict)


@dataclass(frozen=True)
class Orientation:
    """An orientation pre-drafted from the diagnostic: what the data show, what is proposed."""

    title: str
    article: str
    findings: tuple[str, ...]
    proposals: tuple[str, ...]


@dataclass(frozen=True)
class Commitments:
    """A signatory's commitments in the CIA, with the article each comes from."""

    partner: str
    article: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class PolicyInputs:
    """Everything the documents show, already computed and worded (French column headers)."""

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
    #: The relocations of the imported follow-up: sentences (saying plainly when none is
    #: imported), the charter's targets against them, each partner's share.
    relocation_review: list[str] = field(default_factory=list)
    relocation_targets: pd.DataFrame | None = None
    relocation_partners: pd.DataFrame | None = None
    sectors: pd.DataFrame | None = None
    fragile_residences: pd.DataFrame | None = None
    marges: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    figures: list[Figure] = field(default_factory=list)
    definitions: list[tuple[str, str]] = field(default_factory=list)
    formats: dict[str, Format] = field(default_factory=dict)
    #: The review's first section: one entry per legal objective.
    obligations: list[Obligation] = field(default_factory=list)
    #: A short narrative of the year (sentences).
    narrative: list[str] = field(default_factory=list)
    #: What the evolution shows or which years are missing (sentences), and its chart.
    evolution_text: list[str] = field(default_factory=list)
    evolution_chart: Figure | None = None
    #: The document-cadre's maps (the territory, and a zoom on the QPV when useful).
    maps: list[Figure] = field(default_factory=list)
    orientations: list[Orientation] = field(default_factory=list)
    objectives_priority_landlords: pd.DataFrame | None = None
    objectives_communes: pd.DataFrame | None = None
    objectives_communes_qpv: pd.DataFrame | None = None
    mutations: pd.DataFrame | None = None
    commitments: list[Commitments] = field(default_factory=list)
    signatories: list[Signatory] = field(default_factory=list)
    #: « Vu … » lines of the CIA's visas that depend on the data (the Q1 arrêté).
    visas: list[str] = field(default_factory=list)
    #: Worded durations: the CIA's duration, the PDALHPD committee's delay, the revision period.
    cia_duration: str = ""
    pdalhpd_delay: str = ""
    revision_period: str = ""
    #: The statistical annex of the review (uncertainty of each share) and its note.
    statistics: pd.DataFrame | None = None
    statistics_note: str = ""


def _relocation_blocks(inputs: PolicyInputs, f: dict[str, Format]) -> list[Block]:
    """The relocations of the follow-up against the charter (CIA and review)."""
    blocks: list[Block] = [Paragraph(text) for text in inputs.relocation_review]
    if inputs.relocation_targets is not None:
        blocks += _table_or_missing(
            inputs.relocation_targets,
            "Relogements réalisés au regard des objectifs de la charte de relogement",
            "objectifs de la charte.",
            f,
            "Ménages connus : ménages relogés dont le logement (neuf ou récent, QPV) ou le "
            "reste à charge avant et après est connu.",
        )
    if inputs.relocation_partners is not None:
        blocks += _table_or_missing(
            inputs.relocation_partners,
            "Contributions des partenaires aux relogements réalisés",
            "contributions des partenaires.",
            f,
            "Partenaire : réservataire du logement attribué (contingent de l'attribution "
            "rapprochée du relogement).",
        )
    return blocks


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
        TableBlock(
            frame,
            caption,
            {k: v for k, v in formats.items() if k in frame.columns},
            note,
            bold_rows=_totals(frame),
        )
    ]


def _totals(frame: pd.DataFrame) -> frozenset[int]:
    """Positions of the total rows (shown in bold): totals and the whole EPCI."""
    first = frame.iloc[:, 0].astype(str)
    return frozenset(
        i
        for i in range(len(frame))
        if first.iloc[i] in _TOTAL_ROWS or first.iloc[i].startswith("EPCI — ")
    )


def _reference(article: str) -> Paragraph:
    return Paragraph(f"Texte de référence : {article}.", italic=True, keep_with_next=True)


def _key_figures(inputs: PolicyInputs) -> list[Block]:
    frame = pd.DataFrame(
        {
            "Indicateur": [k[0] for k in inputs.key_figures],
            "Valeur": [format_value(k[1], k[2]) for k in inputs.key_figures],
        }
    )
    return [TableBlock(frame, f"Chiffres clés du territoire ({inputs.territory})")]


def _obligation_blocks(inputs: PolicyInputs, level: int) -> list[Block]:
    """Each obligation: its table, its findings, its chart."""
    blocks: list[Block] = []
    if not inputs.obligations:
        return [Paragraph("Donnée non disponible : attributions de l'année dans la base.")]
    for ob in inputs.obligations:
        blocks += [
            Heading(ob.title, level),
            _reference(ob.article),
            TableBlock(
                ob.table,
                f"{ob.title}, {inputs.year}",
                ob.formats or {k: v for k, v in inputs.formats.items() if k in ob.table.columns},
                "Attributions manquantes : nombre d'attributions au public visé qu'il aurait "
                "fallu en plus pour atteindre l'objectif (arrondi à l'unité supérieure).",
                ob.fills,
                _totals(ob.table),
            ),
        ]
        blocks += [Paragraph(text, bullet=True) for text in ob.findings]
        if ob.chart is not None:
            blocks.append(ob.chart)
    return blocks


# ---------------------------------------------------------------------------------------------
# Document-cadre d'orientations
# ---------------------------------------------------------------------------------------------


def document_cadre(inputs: PolicyInputs) -> list[Block]:
    """Blocks of the document-cadre d'orientations (CCH art. L441-1-5)."""
    f = inputs.formats
    blocks: list[Block] = [
        Heading("Cadre légal"),
        _reference(f"{_L441_1_5} ; {_L441_1}"),
        Paragraph(
            "La conférence intercommunale du logement (CIL), coprésidée par le président de "
            "l'établissement public de coopération intercommunale (EPCI) et le préfet, adopte des "
            "orientations en matière d'attributions et de mutations, de relogement des ménages "
            "reconnus prioritaires au titre du droit au logement opposable (DALO) et des publics "
            "prioritaires, et de relogement des ménages concernés par le renouvellement urbain. "
            "Ces orientations fixent les objectifs de mixité sociale et d'équilibre entre les "
            "secteurs, à l'échelle de l'EPCI et des quartiers prioritaires de la politique de la "
            "ville (QPV). Elles sont approuvées par le président de l'EPCI et par le préfet, puis "
            "déclinées en engagements chiffrés par la convention intercommunale d'attribution."
        ),
        TableBlock(
            inputs.legal,
            f"Objectifs légaux en vigueur en {inputs.year}",
            {"Taux": "pct"},
            "Taux nationaux ; les orientations peuvent adapter le taux hors QPV et le taux en "
            f"QPV à la situation locale, avec l'accord du préfet, pour {inputs.revision_period}.",
        ),
        Heading("Diagnostic"),
        Heading("Chiffres clés", 2),
        *_key_figures(inputs),
        Heading(f"Objectifs légaux en {inputs.year}", 2),
    ]
    blocks += _obligation_blocks(inputs, 3)
    blocks += [
        Heading("Carte des résidences et des quartiers prioritaires", 2),
    ]
    if inputs.maps:
        blocks += inputs.maps
    else:
        blocks.append(
            Paragraph("Donnée non disponible : coordonnées des logements (RPLS) pour la carte.")
        )
    blocks += [
        Heading("Parc et occupation en QPV et hors QPV", 2),
        *_table_or_missing(
            inputs.sectors,
            "Parc, loyers et occupation en QPV et hors QPV",
            "parc RPLS et occupation (OPS).",
            f,
        ),
        Heading("Résidences fragiles", 2),
        *_table_or_missing(
            inputs.fragile_residences,
            "Résidences classées « très fragiles » ou « fragiles »",
            "occupation du parc (OPS) pour l'indice de fragilité.",
            f,
            "La dernière colonne donne les caractéristiques qui placent la résidence dans sa "
            "classe.",
        ),
        Heading("Marges de manœuvre hors QPV", 2),
        *_table_or_missing(
            inputs.marges,
            "Part maximale atteignable d'attributions hors QPV au premier quartile",
            "loyers du parc (RPLS) et demande (SNE) pour calculer les marges.",
            f,
            "Part atteignable : part des logements libérés hors QPV qu'un ménage du premier "
            "quartile peut louer (loyer, taille, plafonds) ; frein principal : ce qui limite le "
            "plus cette part.",
        ),
        Heading("Orientations"),
        _reference(_L441_1_5),
        Paragraph(
            "Les orientations ci-dessous sont proposées à partir du diagnostic. Elles sont "
            "présentées comme des propositions : la CIL les débat, les modifie ou les supprime "
            "avant adoption."
        ),
    ]
    for orientation in inputs.orientations:
        blocks += [
            Heading(orientation.title, 2),
            _reference(orientation.article),
            Paragraph("Constat", bold=True, keep_with_next=True),
            *[Paragraph(text, bullet=True) for text in orientation.findings],
            Proposal(
                orientation.title,
                orientation.proposals,
                "Proposition rédigée à partir du diagnostic, à modifier par la CIL.",
            ),
        ]
    blocks += [
        Heading("Objectif facultatif : travailleurs essentiels", 2),
        _reference(f"{_L441_1_6} (loi n° 2022-217 du 21 février 2022, dite « 3DS »)"),
        ToFill(
            "Travailleurs essentiels (facultatif)",
            "Si la CIL le retient : objectif d'attributions aux salariés d'un secteur essentiel à "
            "la continuité de la vie de la Nation qui ne peuvent pas télétravailler, secteurs et "
            "communes concernés. Supprimer cette section sinon.",
        ),
        Heading("Objectifs quantifiés", 2),
        Paragraph(
            f"Répartition proposée des objectifs entre bailleurs (méthode : {inputs.method_label}). "
            "Les nombres sont des attributions par an, calculés sur les attributions de "
            f"{inputs.year}."
        ),
        *_table_or_missing(
            inputs.objectives_landlords,
            "Objectif d'attributions hors QPV au premier quartile ou aux relogés, par bailleur",
            "attributions hors QPV par bailleur.",
            f,
        ),
        *_table_or_missing(
            inputs.objectives_reservataires,
            "Objectif d'attributions aux ménages DALO ou prioritaires, par réservataire",
            "attributions par réservataire.",
            f,
        ),
        Heading("Adoption et approbation"),
        _reference(f"{_L441_1_5} ; {_L441_1}"),
        *_approval_steps(inputs, cia=False),
    ]
    if inputs.definitions:
        blocks += [Heading("Annexe : définitions", numbered=False)]
        blocks += [Paragraph(f"{term} : {text}", bullet=True) for term, text in inputs.definitions]
    return blocks


def _approval_steps(inputs: PolicyInputs, cia: bool) -> list[Block]:
    if cia:
        rows = [
            ("Avis sur le projet de convention", "Comité responsable du PDALHPD", _L441_1_6),
            ("Approbation de la convention", "Conférence intercommunale du logement", _L441_1_6),
            ("Délibération autorisant la signature", "Conseil communautaire de l'EPCI", _L441_1_6),
            ("Signature", "EPCI, préfet, bailleurs, réservataires", _L441_1_6),
        ]
        text = (
            "Le projet de convention est soumis pour avis au comité responsable du plan "
            "départemental d'action pour le logement et l'hébergement des personnes défavorisées "
            f"(PDALHPD) ; faute d'avis dans un délai de {inputs.pdalhpd_delay}, l'avis est réputé "
            "favorable."
        )
    else:
        rows = [
            ("Adoption des orientations", "Conférence intercommunale du logement", _L441_1_5),
            ("Approbation", "Président de l'EPCI (délibération du conseil)", _L441_1_5),
            ("Approbation", "Préfet du département", _L441_1_5),
            (
                "Révision des taux adaptés",
                f"Conférence intercommunale du logement, {inputs.revision_period}",
                _L441_1,
            ),
        ]
        text = (
            "Les orientations adoptées par la CIL sont soumises à l'approbation du président de "
            "l'EPCI et du préfet. Les taux adaptés à la situation locale sont révisés "
            f"{inputs.revision_period}."
        )
    frame = pd.DataFrame(
        {
            "Étape": [r[0] for r in rows],
            "Instance": [r[1] for r in rows],
            "Texte": [r[2] for r in rows],
            "Date": ["………………" for _ in rows],
        }
    )
    return [Paragraph(text), TableBlock(frame, "Étapes d'adoption et d'approbation")]


# ---------------------------------------------------------------------------------------------
# Convention intercommunale d'attribution
# ---------------------------------------------------------------------------------------------

#: The visas that do not depend on the data.
_VISAS = (
    "Vu le code de la construction et de l'habitation, notamment ses articles L441-1, L441-1-5, "
    "L441-1-6, L441-2-3, L441-2-8 et R441-5 ;",
    "Vu la loi n° 2017-86 du 27 janvier 2017 relative à l'égalité et à la citoyenneté, notamment "
    "son article 70 ;",
    "Vu la loi n° 2018-1021 du 23 novembre 2018 portant évolution du logement, de l'aménagement "
    "et du numérique ;",
    "Vu la loi n° 2022-217 du 21 février 2022 relative à la différenciation, la décentralisation, "
    "la déconcentration et portant diverses mesures de simplification de l'action publique "
    "locale ;",
)


def cia(inputs: PolicyInputs) -> list[Block]:
    """Blocks of the draft convention intercommunale d'attribution (CCH art. L441-1-6), in
    articles, ending with the signatories' page."""
    f = inputs.formats
    article = iter(range(1, 100))

    def art(title: str) -> Heading:
        return Heading(f"Article {next(article)} – {title}", numbered=False)

    visas = [
        *_VISAS,
        *inputs.visas,
        "Vu le document-cadre d'orientations adopté par la conférence intercommunale du logement "
        "le ……………… et approuvé par le président de l'EPCI et le préfet ;",
        "Vu l'avis du comité responsable du plan départemental d'action pour le logement et "
        "l'hébergement des personnes défavorisées du ……………… ;",
        "Vu la délibération du conseil communautaire du ……………… autorisant la signature de la "
        "présente convention ;",
    ]
    blocks: list[Block] = [
        Heading("Préambule", numbered=False),
        Paragraph(
            f"Le territoire intercommunal ({inputs.territory}, SIREN {inputs.epci}) compte des "
            "quartiers prioritaires de la politique de la ville ; l'EPCI est tenu de se doter "
            "d'une conférence intercommunale du logement. La présente convention traduit en engagements chiffrés "
            "et signés les orientations adoptées par cette conférence : elle fixe, pour chaque "
            "bailleur et chaque réservataire, les objectifs d'attribution qui permettent "
            "d'atteindre les objectifs de mixité sociale et d'équilibre territorial, de loger les "
            "ménages reconnus prioritaires et de reloger les ménages concernés par le "
            "renouvellement urbain."
        ),
        ToFill(
            "Contexte local",
            "Quelques lignes sur le contexte propre au territoire (programme local de l'habitat, "
            "projets de renouvellement urbain, priorités politiques).",
        ),
        Heading("Visas", numbered=False),
        *[Paragraph(v) for v in visas],
        Paragraph("Il est convenu ce qui suit.", bold=True),
        art("Objet"),
        _reference(_L441_1_6),
        Paragraph(
            "La présente convention fixe, en application du document-cadre d'orientations : "
            "les objectifs d'attributions hors QPV aux demandeurs du premier quartile ou aux "
            "ménages relogés et d'attributions en QPV aux autres demandeurs, par bailleur et par "
            "commune ; les objectifs d'attributions aux ménages reconnus prioritaires (DALO) et "
            "aux publics prioritaires, par bailleur et par réservataire ; les modalités de "
            "relogement des ménages concernés par le renouvellement urbain ; les engagements de "
            "chaque signataire ; les modalités de coopération, de suivi et d'évaluation."
        ),
        art("Durée"),
        _reference(f"{_L441_1_6} ; {_L441_1}"),
        Paragraph(
            f"La convention est conclue pour une durée de {inputs.cia_duration} à compter de sa "
            "signature. Les objectifs chiffrés sont actualisés chaque année au vu du bilan annuel "
            "et des attributions de l'année écoulée ; les taux adaptés à la situation locale sont "
            f"révisés {inputs.revision_period}. Toute modification fait l'objet d'un avenant "
            "approuvé dans les mêmes formes."
        ),
        art("Objectifs d'attributions hors QPV"),
        _reference(f"{_L441_1} ; {_L441_1_6}"),
        Paragraph(
            "Chaque bailleur s'engage à réaliser chaque année, hors des quartiers prioritaires, au "
            "moins le nombre d'attributions suivies d'un bail signé aux demandeurs du premier "
            "quartile de ressources ou aux ménages relogés dans le cadre d'une opération de "
            "renouvellement urbain (NPNRU) ou d'une opération de requalification des "
            f"copropriétés dégradées (ORCOD) indiqué ci-dessous (méthode de répartition : "
            f"{inputs.method_label})."
        ),
        *_table_or_missing(
            inputs.objectives_landlords,
            "Attributions annuelles hors QPV aux demandeurs du premier quartile ou relogés, "
            "par bailleur",
            "attributions hors QPV par bailleur.",
            f,
        ),
        Paragraph(
            "La répartition par commune ci-dessous sert à suivre l'équilibre entre les communes ; "
            "elle est proportionnelle aux attributions hors QPV de chaque commune."
        ),
        *_table_or_missing(
            inputs.objectives_communes,
            "Attributions annuelles hors QPV aux demandeurs du premier quartile ou relogés, "
            "par commune",
            "attributions hors QPV par commune.",
            f,
        ),
        art("Objectifs d'attributions en QPV"),
        _reference(f"{_L441_1} ; {_L441_1_6}"),
        Paragraph(
            "Chaque bailleur s'engage à consacrer dans les quartiers prioritaires au moins le "
            "nombre d'attributions indiqué ci-dessous à des demandeurs autres que ceux du premier "
            "quartile."
        ),
        *_table_or_missing(
            inputs.objectives_non_q1_qpv,
            "Attributions annuelles en QPV aux demandeurs des autres quartiles, par bailleur",
            "attributions en QPV par bailleur.",
            f,
        ),
        *_table_or_missing(
            inputs.objectives_communes_qpv,
            "Attributions annuelles en QPV aux demandeurs des autres quartiles, par commune",
            "attributions en QPV par commune.",
            f,
        ),
        art("Ménages reconnus prioritaires (DALO) et publics prioritaires"),
        _reference(f"{_L441_1} ; CCH art. L441-2-3 ; {_L441_1_6}"),
        Paragraph(
            "Chaque réservataire autre que l'État, et chaque bailleur pour les logements non "
            "réservés ou rendus par un réservataire, consacre au moins le taux légal de ses "
            "attributions annuelles aux ménages reconnus prioritaires au titre du droit au "
            "logement opposable ou, à défaut, aux publics prioritaires de l'article L441-1. Les "
            "objectifs de chacun, calculés sur ses propres attributions, sont les suivants."
        ),
        *_table_or_missing(
            inputs.objectives_reservataires,
            "Attributions annuelles aux ménages DALO ou prioritaires, par réservataire",
            "attributions par réservataire.",
            f,
        ),
        *_table_or_missing(
            inputs.objectives_priority_landlords,
            "Attributions annuelles aux ménages DALO ou prioritaires sur les logements non "
            "réservés, par bailleur",
            "attributions des logements non réservés par bailleur.",
            f,
        ),
        Paragraph(
            "Le préfet mobilise son contingent de réservation pour les ménages prioritaires et "
            "les ménages DALO (CCH art. R441-5). En cas de manquement, il peut procéder à "
            "l'attribution des logements manquants en les imputant sur les droits du réservataire "
            "ou sur les logements du bailleur concerné."
        ),
        art("Relogement des ménages concernés par le renouvellement urbain"),
        _reference(f"{_L441_1} ; {_L441_1_6}"),
        Paragraph(
            "Les bailleurs et les réservataires contribuent au relogement des ménages concernés "
            "par les opérations de renouvellement urbain (NPNRU) et de requalification des "
            "copropriétés dégradées (ORCOD). Ces relogements comptent dans l'objectif "
            "d'attributions hors QPV."
        ),
        *_table_or_missing(
            inputs.relocation,
            f"Relogements NPNRU/ORCOD réalisés en {inputs.year}, par bailleur",
            "relogements NPNRU dans les attributions.",
            f,
        ),
        *_relocation_blocks(inputs, f),
        ToFill(
            "Modalités de relogement",
            "Charte intercommunale de relogement : contribution de chaque bailleur et "
            "réservataire, objectifs qualitatifs (logement neuf ou récent, hors QPV, reste à "
            "charge maîtrisé), accompagnement des ménages.",
        ),
        art("Mutations"),
        _reference(f"{_L441_1_5} ; {_L441_1_6}"),
        Paragraph(
            "Les signataires favorisent les mutations au sein du parc social des ménages dont le "
            "logement n'est plus adapté (sous-occupation, sur-occupation, handicap, loyer devenu "
            "trop lourd). Les mutations comptent dans les objectifs d'attribution des articles "
            "précédents."
        ),
        *_table_or_missing(
            inputs.mutations,
            f"Mutations parmi les attributions de {inputs.year}",
            "attributions avec l'indication de mutation.",
            f,
        ),
        art("Objectif facultatif : travailleurs essentiels"),
        _reference(f"{_L441_1_6} (loi n° 2022-217 du 21 février 2022)"),
        ToFill(
            "Travailleurs essentiels (facultatif)",
            "Si le document-cadre le prévoit : objectif d'attributions aux travailleurs "
            "essentiels, bailleurs et réservataires concernés. Supprimer cet article sinon.",
        ),
        art("Engagements des signataires"),
        _reference(f"{_L441_1_6} ; {_L441_1} ; CCH art. R441-5"),
        Paragraph(
            "Chaque signataire prend les engagements suivants, chiffrés sur les attributions de "
            f"{inputs.year}."
        ),
    ]
    for c in inputs.commitments:
        blocks += [
            Heading(f"Engagements – {c.partner}", 2, numbered=False),
            *[Paragraph(item, bullet=True) for item in c.items],
        ]
    blocks += [
        art("Commission de coordination"),
        _reference(_L441_1_6),
        Paragraph(
            "Une commission de coordination, présidée par le président de l'EPCI, réunit le "
            "préfet ou son représentant, les maires des communes membres ou leurs représentants, "
            "les bailleurs, les réservataires et des représentants des associations de "
            "locataires et des associations d'insertion ou de défense des personnes en situation "
            "d'exclusion par le logement. Elle examine les dossiers des demandeurs relevant de la "
            "présente convention, en particulier des ménages prioritaires, et suit l'atteinte des "
            "objectifs."
        ),
        ToFill(
            "Fonctionnement de la commission",
            "Fréquence des réunions, dossiers examinés, règles de fonctionnement.",
        ),
        art("Suivi et évaluation"),
        _reference(f"{_L441_1} ; {_L441_1_6}"),
        Paragraph(
            "Chaque bailleur transmet chaque année à l'EPCI et au préfet ses attributions suivies "
            "d'un bail signé, en précisant pour chacune la localisation en QPV ou hors QPV, les "
            "ressources du ménage, le relogement éventuel au titre du renouvellement urbain, la "
            "reconnaissance DALO ou la priorité, et le réservataire. Un bilan annuel, présenté à "
            "la conférence intercommunale du logement, compare pour chaque signataire les "
            "attributions réalisées à ses objectifs et chiffre les attributions manquantes. Le "
            "bilan est rendu public."
        ),
        art("Avis et approbation"),
        _reference(_L441_1_6),
        *_approval_steps(inputs, cia=True),
        PageBreak(),
        Heading("Signatures", numbered=False),
        Signatures(tuple(inputs.signatories)),
        PageBreak(),
        Heading("Annexe : définitions", numbered=False),
    ]
    blocks += [Paragraph(f"{term} : {text}", bullet=True) for term, text in inputs.definitions]
    return blocks


# ---------------------------------------------------------------------------------------------
# Bilan annuel
# ---------------------------------------------------------------------------------------------


def bilan_annuel(inputs: PolicyInputs) -> list[Block]:
    """Blocks of the annual review: the legal objectives first (met / not met), a narrative,
    three years of evolution, the details, and a statistical annex."""
    f = inputs.formats
    blocks: list[Block] = [
        Heading(f"Objectifs légaux en {inputs.year}"),
        _reference(f"{_L441_1} ; {_L441_1_6}"),
        *[Paragraph(text) for text in inputs.narrative],
    ]
    blocks += _obligation_blocks(inputs, 2)
    blocks += [
        Heading("Évolution sur trois ans"),
        *[Paragraph(text) for text in inputs.evolution_text],
        *_table_or_missing(
            inputs.history,
            "Évolution des parts de l'ensemble du territoire",
            "plusieurs années d'attributions dans la base.",
            f,
        ),
    ]
    if inputs.evolution_chart is not None:
        blocks.append(inputs.evolution_chart)
    blocks += [
        Heading(f"Attributions {inputs.year} en détail"),
        Heading("Chiffres clés", 2),
        *_key_figures(inputs),
        Heading("Par bailleur", 2),
        *_table_or_missing(
            inputs.quotas_landlords,
            f"Attributions au public visé par bailleur, {inputs.year}",
            "attributions par bailleur.",
            f,
        ),
        Heading("Par réservataire", 2),
        *_table_or_missing(
            inputs.quotas_reservataires,
            f"Attributions aux ménages DALO ou prioritaires par réservataire, {inputs.year}",
            "attributions par réservataire.",
            f,
        ),
        Heading("Relogements et mutations", 2),
        *_table_or_missing(
            inputs.relocation,
            f"Relogements NPNRU/ORCOD réalisés en {inputs.year}, par bailleur",
            "relogements NPNRU dans les attributions.",
            f,
        ),
        *_relocation_blocks(inputs, f),
        *_table_or_missing(
            inputs.mutations,
            f"Mutations parmi les attributions de {inputs.year}",
            "attributions avec l'indication de mutation.",
            f,
        ),
        Heading("Analyse des partenaires"),
        ToFill(
            "Analyse des écarts par les partenaires",
            "Explications des écarts, actions correctives décidées (fléchage, baisses de loyer, "
            "coordination des commissions).",
        ),
    ]
    if inputs.statistics is not None and not inputs.statistics.empty:
        blocks += [
            Heading("Annexe statistique (information)", numbered=False),
            Paragraph(inputs.statistics_note, italic=True),
            TableBlock(
                inputs.statistics,
                "Marge d'incertitude des parts réalisées",
                {k: v for k, v in f.items() if k in inputs.statistics.columns},
            ),
        ]
    if inputs.definitions:
        blocks += [Heading("Annexe : définitions", numbered=False)]
        blocks += [Paragraph(f"{term} : {text}", bullet=True) for term, text in inputs.definitions]
    return blocks
