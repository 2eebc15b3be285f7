"""Canonical tables of mixite: the single source of truth for column names, types and codes.

Every reader maps an official file to one of these tables; every computation reads them from the
store. Each ``Column`` has a canonical English ``name`` (used in code and in the store) and a French
``header`` (used in mixite's own CSV formats, documented in ``docs/formats.md``). RPLS columns keep
their official names in ``io/rpls.py``, which maps them to the ``dwellings`` table.

Conventions: codes are strings; money in euros; rents and charges monthly; resources annual unless
the name says ``_monthly``; dates are ISO ``YYYY-MM-DD`` in files (``JJ/MM/AAAA`` is also read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DType = Literal["str", "int", "float", "bool", "date", "list"]

# ---------------------------------------------------------------------------------------------
# Code lists
# ---------------------------------------------------------------------------------------------

#: RPLS FINAN_CODE → financing family (``docs/donnees-officielles.md`` §1.4 (Codes de financement)). ``pre1977`` is the old HLM stock.
FINAN_FAMILY: dict[str, str] = {
    "10": "plai",
    "11": "plai",
    "12": "plus",
    "13": "plus",
    "14": "pls",
    "15": "autre",
    "16": "pls",
    "17": "pls",
    "49": "autre",
    "50": "pre1977",
    "51": "pre1977",
    "52": "pre1977",
    "53": "pre1977",
    "54": "pre1977",
    "55": "pre1977",
    "99": "pre1977",
}
FINAN_FAMILIES = ("plai", "plus", "pls", "pre1977", "autre")

#: RPLS restricted MODE (occupancy status) codes.
OCCUPANCY_MODES: dict[str, str] = {
    "1": "loué",
    "2": "vacant (proposé à la location)",
    "3": "vide (travaux, démolition, vente)",
    "4": "loué à une association",
    "5": "occupé autrement",
    "9": "sans objet",
}

#: Reservataires (``docs/droit.md`` §2.3 (Objectif des réservataires), §2.4 (Contingent préfectoral), §6 (Gestion en flux)).
RESERVATAIRES: dict[str, str] = {
    "etat_prioritaire": "État – publics prioritaires et DALO",
    "etat_agents": "État – agents civils et militaires",
    "action_logement": "Action Logement Services",
    "commune": "Commune",
    "epci": "EPCI",
    "departement": "Département",
    "bailleur": "Bailleur (logements non réservés)",
    "autre": "Autre réservataire",
}

#: Priority publics of CCH L441-1 (``docs/droit.md`` §4 (Publics prioritaires)); letters of the recent ones are UNCONFIRMED.
PRIORITY_CODES: dict[str, str] = {
    "a": "handicap",
    "a_bis": "sortie d'appartement de coordination thérapeutique",
    "b": "mal logé ou défavorisé",
    "c": "hébergé ou logé temporairement",
    "d": "reprise d'activité après chômage de longue durée",
    "d_bis": "habitat indigne",
    "e": "violences conjugales",
    "e_bis": "sortie de la prostitution",
    "e_ter": "traite des êtres humains",
    "f": "suroccupation ou logement non décent avec enfant mineur",
    "g": "dépourvu de logement, y compris hébergé chez des tiers",
    "h": "menacé d'expulsion sans relogement",
    "ase": "jeune sortant de l'aide sociale à l'enfance",
    "viol": "victime de viol ou d'agression sexuelle au domicile",
}

#: Current housing situation of an applicant (CERFA 14069 rubric f).
HOUSING_SITUATIONS: dict[str, str] = {
    "locataire_hlm": "locataire du parc social",
    "locataire_prive": "locataire du parc privé",
    "heberge_famille": "hébergé par la famille",
    "heberge_tiers": "hébergé par des tiers",
    "structure": "structure d'hébergement ou logement temporaire",
    "hotel": "hôtel",
    "sans_abri": "sans abri ou abri de fortune",
    "proprietaire": "propriétaire occupant",
    "residence_etudiante": "résidence étudiante ou foyer",
    "autre": "autre",
}

#: Main reason of the application (CERFA 14069 rubric g).
REASONS: dict[str, str] = {
    "sans_logement": "sans logement propre",
    "heberge": "hébergé",
    "trop_cher": "logement trop cher",
    "trop_petit": "logement trop petit",
    "trop_grand": "logement trop grand",
    "indecent": "logement indécent ou insalubre",
    "separation": "divorce ou séparation",
    "violences": "violences familiales",
    "sante_handicap": "santé ou handicap",
    "rapprochement_travail": "rapprochement du lieu de travail",
    "rapprochement_famille": "rapprochement familial",
    "expulsion": "procédure d'expulsion",
    "demolition": "démolition",
    "vente": "logement repris ou mis en vente",
    "mobilite_pro": "mobilité professionnelle",
    "futur_couple": "futur couple",
    "autre": "autre motif",
}

#: Professional situation of the applicant or occupant reference person.
EMPLOYMENT: dict[str, str] = {
    "cdi": "CDI ou fonctionnaire",
    "cdd_interim": "CDD, intérim",
    "apprenti": "apprenti",
    "etudiant": "étudiant",
    "chomage": "demandeur d'emploi",
    "retraite": "retraité",
    "inactif": "autre inactif",
}

#: Construction type (RPLS TYPECONST, by label).
CONSTRUCTION_TYPES = ("collectif", "individuel", "etudiant")

#: Situation of a commune under article 55 of the SRU law (CCH L302-5 et suivants).
SRU_STATUSES: dict[str, str] = {
    "non_soumise": "non soumise",
    "conforme": "soumise, taux atteint",
    "deficitaire": "déficitaire",
    "carencee": "carencée",
    "exemptee": "exemptée",
}

#: Zones: housing-benefit zones (1, 2, 3) and income-ceiling zones (P = Paris and bordering
#: communes, I = rest of Île-de-France, A = other regions).
APL_ZONES = ("1", "2", "3")
CEILING_ZONES = ("P", "I", "A")
LANDLORD_KINDS = ("OPH", "ESH", "SEM", "COOP", "AUTRE")

#: How the QPV of a dwelling is known, for one generation of the geography
#: (``docs/formats.md`` §2.1): the SDES geocoder (``PLG_QP24``, ``PLG_QP15``, ``PLG_QP``), the
#: landlord's declaration (``QPV_CODE``), a point-in-polygon test of its coordinates in the
#: imported perimeters, or not known (then counted outside QPV).
QPV_SOURCES: dict[str, str] = {
    "geocode": "géocodage du RPLS",
    "declare": "déclaré par le bailleur",
    "coordonnees": "coordonnées dans les périmètres importés",
    "inconnu": "inconnu",
}

QPV_CODE_PATTERN = r"^Q[NP](\d{3}|02A|02B|2A0|2B0)[0-9A-Z]{2,3}$"
COMMUNE_CODE_PATTERN = r"^(\d{5}|2[AB]\d{3})$"
SIREN_PATTERN = r"^\d{9}$"


# ---------------------------------------------------------------------------------------------
# Table specifications
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``header`` is the column name in mixite's CSV format; ``codes`` restricts string values;
    ``min``/``max`` bound numbers (inclusive); ``pattern`` is a regex for string codes.
    """

    name: str
    header: str
    dtype: DType
    description: str
    required: bool = True
    nullable: bool = False
    codes: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Table:
    """A canonical table: its store name, columns, primary key, pseudonymised identifiers, and
    the file a user imports it from (``file``, ``option``: the messages name them)."""

    name: str
    label: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    pseudonymised: tuple[str, ...] = ()
    #: The file a user holds for this table, as people name it (« fichier des demandes… »).
    file: str = ""
    #: The option of ``mixite importer`` that reads it.
    option: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def headers(self) -> dict[str, str]:
        """French header → canonical name."""
        return {c.header: c.name for c in self.columns}


def _codes(d: dict[str, str]) -> tuple[str, ...]:
    return tuple(d)


DWELLINGS = Table(
    name="dwellings",
    label="logements (RPLS)",
    file="fichier RPLS « données détaillées au logement »",
    option="--rpls",
    key=("dwelling_id",),
    columns=(
        Column("dwelling_id", "IDENT_INT", "str", "identifiant du logement"),
        Column("residence_id", "PROGRAMME", "str", "identifiant de la résidence (programme)"),
        Column("landlord_id", "IDENT_REP", "str", "SIREN du bailleur", nullable=True),
        Column("landlord_name", "RAISON_SOCIALE", "str", "nom du bailleur", nullable=True),
        Column(
            "depcom",
            "DEPCOM",
            "str",
            "code INSEE (arrondissement à Paris, Lyon, Marseille)",
            pattern=COMMUNE_CODE_PATTERN,
        ),
        Column(
            "commune",
            "COMMUNE",
            "str",
            "code INSEE de la commune (arrondissements regroupés)",
            pattern=COMMUNE_CODE_PATTERN,
        ),
        Column("epci", "EPCI_CODE", "str", "SIREN de l'EPCI", nullable=True),
        Column("address", "ADRESSE", "str", "adresse", nullable=True),
        Column(
            "qpv_code",
            "QPV",
            "str",
            "code du QPV où se trouve le logement, géographie en vigueur au 1er janvier du "
            "millésime (vide hors QPV)",
            nullable=True,
            pattern=QPV_CODE_PATTERN,
        ),
        Column(
            "in_qpv",
            "EN_QPV",
            "bool",
            "le logement est situé en QPV (géographie en vigueur au 1er janvier du millésime)",
        ),
        Column(
            "qpv_2024",
            "QPV_2024",
            "str",
            "code du QPV de la géographie 2024 (décret n° 2023-1314) où se trouve le logement",
            nullable=True,
            pattern=QPV_CODE_PATTERN,
        ),
        Column(
            "qpv_2024_source",
            "QPV_2024_SOURCE",
            "str",
            "comment l'appartenance à un QPV 2024 est connue",
            nullable=True,
            codes=tuple(QPV_SOURCES),
        ),
        Column(
            "qpv_2015",
            "QPV_2015",
            "str",
            "code du QPV de la géographie 2015 (décret n° 2014-1750) où se trouve le logement",
            nullable=True,
            pattern=QPV_CODE_PATTERN,
        ),
        Column(
            "qpv_2015_source",
            "QPV_2015_SOURCE",
            "str",
            "comment l'appartenance à un QPV 2015 est connue",
            nullable=True,
            codes=tuple(QPV_SOURCES),
        ),
        Column("iris", "IRIS", "str", "code IRIS", nullable=True),
        Column("x", "X", "float", "abscisse dans le système de la colonne EPSG", nullable=True),
        Column("y", "Y", "float", "ordonnée dans le système de la colonne EPSG", nullable=True),
        Column(
            "epsg",
            "EPSG",
            "int",
            "système de coordonnées de X et Y (2154 : Lambert-93 ; 4326 : WGS84)",
            nullable=True,
        ),
        Column(
            "construction_type",
            "TYPECONST",
            "str",
            "type de construction",
            codes=CONSTRUCTION_TYPES,
        ),
        Column("rooms", "NBPIECE", "int", "nombre de pièces principales", min=1, max=20),
        Column("surface", "SURFHAB", "float", "surface habitable (m²)", min=5, max=400),
        Column("construction_year", "CONSTRUCT", "int", "année d'achèvement", min=1800),
        Column(
            "first_letting_year",
            "LOCAT",
            "int",
            "année de première mise en location",
            min=1800,
            nullable=True,
        ),
        Column(
            "finan_code",
            "FINAN_CODE",
            "str",
            "financement initial (code RPLS)",
            codes=tuple(FINAN_FAMILY),
        ),
        Column(
            "finan_family", "FAMILLE_FINAN", "str", "famille de financement", codes=FINAN_FAMILIES
        ),
        Column("conventionne", "CONV", "bool", "logement conventionné à l'APL"),
        Column("new_dwelling", "NEWLOGT", "bool", "mis en service l'année précédente"),
        Column(
            "dpe_energy",
            "DPEENERGIE",
            "str",
            "classe DPE énergie",
            nullable=True,
            codes=tuple("ABCDEFG"),
        ),
        Column(
            "rent",
            "LOYERPRINC",
            "float",
            "loyer principal mensuel (€)",
            nullable=True,
            min=0,
            max=5000,
        ),
        Column(
            "occupancy_mode",
            "MODE",
            "str",
            "mode d'occupation (RPLS)",
            nullable=True,
            codes=_codes(OCCUPANCY_MODES),
        ),
        Column(
            "lease_start", "BAIL", "date", "date de prise d'effet du bail en cours", nullable=True
        ),
        Column(
            "vacancy_start",
            "REMLOCDATE",
            "date",
            "date de remise en location (logement vacant)",
            nullable=True,
        ),
    ),
)

APPLICATIONS = Table(
    name="applications",
    label="demandes de logement social (SNE)",
    file="fichier des demandes (extrait du SNE ou du fichier partagé)",
    option="--demandes",
    key=("application_id",),
    pseudonymised=("application_id",),
    columns=(
        Column("application_id", "numero_unique", "str", "numéro unique de la demande"),
        Column("filing_date", "date_depot", "date", "date de dépôt initial"),
        Column(
            "renewal_date",
            "date_renouvellement",
            "date",
            "date du dernier renouvellement",
            nullable=True,
        ),
        Column(
            "commune_residence",
            "commune_residence",
            "str",
            "commune de résidence actuelle",
            nullable=True,
            pattern=COMMUNE_CODE_PATTERN,
        ),
        Column(
            "housing_situation",
            "logement_actuel",
            "str",
            "situation de logement actuelle",
            codes=_codes(HOUSING_SITUATIONS),
        ),
        Column("is_mutation", "mutation", "bool", "demandeur déjà locataire du parc social"),
        Column(
            "reason",
            "motif_principal",
            "str",
            "motif principal de la demande",
            codes=_codes(REASONS),
        ),
        Column(
            "applicant_age", "age_demandeur", "int", "âge du demandeur (années)", min=16, max=110
        ),
        Column(
            "employment",
            "situation_pro",
            "str",
            "situation professionnelle du demandeur",
            codes=_codes(EMPLOYMENT),
        ),
        Column(
            "household_size", "nb_personnes", "int", "nombre de personnes à loger", min=1, max=20
        ),
        Column(
            "adults",
            "nb_adultes",
            "int",
            "nombre d'adultes (demandeur et co-demandeur)",
            min=1,
            max=2,
        ),
        Column(
            "persons_14plus",
            "nb_14_ans_et_plus",
            "int",
            "personnes de 14 ans ou plus",
            min=1,
            max=20,
        ),
        Column("dependants", "nb_personnes_a_charge", "int", "personnes à charge", min=0, max=18),
        Column("single_parent", "famille_monoparentale", "bool", "famille monoparentale"),
        Column("disability", "handicap", "bool", "handicap ou perte d'autonomie dans le ménage"),
        Column(
            "monthly_resources",
            "ressources_mensuelles",
            "float",
            "ressources mensuelles déclarées du ménage (€)",
            min=0,
            max=100000,
        ),
        Column(
            "tax_income",
            "revenu_fiscal_reference",
            "float",
            "revenu fiscal de référence N-2 du ménage (€/an)",
            nullable=True,
            min=0,
        ),
        Column(
            "current_rent",
            "loyer_actuel",
            "float",
            "loyer actuel charges comprises (€/mois)",
            nullable=True,
            min=0,
        ),
        Column(
            "current_rooms",
            "pieces_actuelles",
            "int",
            "pièces du logement actuel",
            nullable=True,
            min=0,
            max=20,
        ),
        Column(
            "wished_communes",
            "communes_souhaitees",
            "list",
            "communes souhaitées, par ordre de préférence, séparées par « | »",
        ),
        Column(
            "rooms_min", "typologie_min", "int", "nombre de pièces minimum souhaité", min=1, max=10
        ),
        Column(
            "rooms_max", "typologie_max", "int", "nombre de pièces maximum souhaité", min=1, max=10
        ),
        Column(
            "priority_codes",
            "priorites",
            "list",
            "publics prioritaires L441-1 (codes séparés par « | »)",
            codes=_codes(PRIORITY_CODES),
        ),
        Column(
            "priority_justified",
            "priorite_justifiee",
            "bool",
            "priorité justifiée (sinon déclarative)",
        ),
        Column("dalo", "dalo", "bool", "ménage reconnu prioritaire DALO"),
        Column("npnru_relocation", "relogement_npnru", "bool", "ménage à reloger (NPNRU/ORCOD)"),
        Column("refusals", "nb_refus", "int", "refus de propositions adaptées", min=0, max=50),
    ),
)

ATTRIBUTIONS = Table(
    name="attributions",
    label="attributions suivies de baux signés",
    file="fichier des attributions (baux signés, extrait du SNE)",
    option="--attributions",
    key=("attribution_id",),
    pseudonymised=("application_id",),
    columns=(
        Column("attribution_id", "id_attribution", "str", "identifiant de l'attribution"),
        Column("application_id", "numero_unique", "str", "numéro unique de la demande satisfaite"),
        Column(
            "dwelling_id", "IDENT_INT", "str", "identifiant du logement attribué", nullable=True
        ),
        Column("landlord_id", "IDENT_REP", "str", "SIREN du bailleur"),
        Column("commune", "commune", "str", "commune du logement", pattern=COMMUNE_CODE_PATTERN),
        Column("in_qpv", "en_qpv", "bool", "logement situé en QPV (à la date du bail)"),
        Column(
            "qpv_code",
            "qpv",
            "str",
            "code du QPV du logement",
            nullable=True,
            pattern=QPV_CODE_PATTERN,
        ),
        Column("lease_date", "date_bail", "date", "date de signature du bail"),
        Column(
            "filing_date",
            "date_depot",
            "date",
            "date de dépôt de la demande satisfaite (délai d'attente observé)",
            nullable=True,
        ),
        Column(
            "reservataire",
            "reservataire",
            "str",
            "type du contingent sur lequel le logement a été attribué",
            codes=_codes(RESERVATAIRES),
        ),
        Column(
            "reservataire_id",
            "id_reservataire",
            "str",
            "identifiant du réservataire (code INSEE d'une commune, SIREN de l'EPCI…) ; vide : "
            "déduit du logement (sa commune, son bailleur) ou du seul type",
            nullable=True,
        ),
        Column("rooms", "nb_pieces", "int", "pièces du logement attribué", min=1, max=20),
        Column("rent", "loyer", "float", "loyer principal mensuel (€)", nullable=True, min=0),
        Column("household_size", "nb_personnes", "int", "personnes du ménage", min=1, max=20),
        Column("adults", "nb_adultes", "int", "adultes du ménage", min=1, max=2),
        Column(
            "persons_14plus",
            "nb_14_ans_et_plus",
            "int",
            "personnes de 14 ans ou plus",
            min=1,
            max=20,
        ),
        Column(
            "monthly_resources",
            "ressources_mensuelles",
            "float",
            "ressources mensuelles déclarées dans la demande (€)",
            min=0,
        ),
        Column("is_mutation", "mutation", "bool", "mutation au sein du parc social"),
        Column("npnru_relocation", "relogement_npnru", "bool", "relogement NPNRU/ORCOD"),
        Column("dalo", "dalo", "bool", "ménage DALO"),
        Column("priority", "prioritaire", "bool", "ménage prioritaire L441-1 (hors DALO compris)"),
    ),
)

HOUSEHOLDS = Table(
    name="households",
    label="ménages occupants (OPS)",
    file="fichier de l'enquête sur l'occupation du parc social (OPS)",
    option="--occupation",
    key=("household_id",),
    pseudonymised=("household_id",),
    columns=(
        Column("household_id", "id_menage", "str", "identifiant du ménage"),
        Column("dwelling_id", "IDENT_INT", "str", "logement occupé"),
        Column("entry_date", "date_entree", "date", "date d'entrée dans le logement"),
        Column("household_size", "nb_personnes", "int", "personnes du ménage", min=1, max=20),
        Column("adults", "nb_adultes", "int", "adultes", min=1, max=10),
        Column(
            "persons_14plus",
            "nb_14_ans_et_plus",
            "int",
            "personnes de 14 ans ou plus",
            min=1,
            max=20,
        ),
        Column("dependants", "nb_personnes_a_charge", "int", "personnes à charge", min=0, max=18),
        Column(
            "reference_age",
            "age_reference",
            "int",
            "âge de la personne de référence",
            min=16,
            max=110,
        ),
        Column("single_parent", "famille_monoparentale", "bool", "famille monoparentale"),
        Column(
            "employment",
            "situation_pro",
            "str",
            "situation de la personne de référence",
            codes=_codes(EMPLOYMENT),
        ),
        Column(
            "annual_resources",
            "ressources_annuelles",
            "float",
            "ressources annuelles du ménage (€)",
            min=0,
        ),
        Column(
            "housing_benefit", "aide_logement", "float", "aide au logement mensuelle (€)", min=0
        ),
    ),
)

QPV = Table(
    name="qpv",
    label="quartiers prioritaires (QPV)",
    file="fichier des périmètres des QPV (ANCT) ou de la liste des QPV",
    option="--qpv",
    key=("qpv_code",),
    columns=(
        Column("qpv_code", "code_qp", "str", "code du QPV", pattern=QPV_CODE_PATTERN),
        Column("qpv_name", "lib_qp", "str", "nom du QPV"),
        Column("commune", "insee_com", "str", "commune principale", nullable=True),
        Column(
            "generation",
            "generation",
            "int",
            "génération de la géographie (2015 ou 2024)",
            min=2015,
            max=2030,
        ),
        Column("geometry_wkt", "geometry", "str", "périmètre (WKT, WGS84)", nullable=True),
    ),
)

RESERVATIONS = Table(
    name="reservations",
    label="conventions de réservation en flux",
    file="fichier des conventions de réservation",
    option="--reservations",
    key=("landlord_id", "reservataire", "reservataire_id"),
    columns=(
        Column("landlord_id", "IDENT_REP", "str", "SIREN du bailleur"),
        Column(
            "reservataire",
            "reservataire",
            "str",
            "type de réservataire",
            codes=_codes(RESERVATAIRES),
        ),
        Column(
            "reservataire_id",
            "id_reservataire",
            "str",
            "identifiant du réservataire (commune, SIREN…)",
            nullable=True,
        ),
        Column("share", "part_flux", "float", "part du flux annuel réservée (0 à 1)", min=0, max=1),
        Column(
            "reservataire_name",
            "nom_reservataire",
            "str",
            "nom du réservataire (vide : déduit du type et de l'identifiant)",
            nullable=True,
        ),
    ),
)

COMMUNES = Table(
    name="communes",
    label="communes du territoire",
    file="fichier des communes du territoire (communes.csv)",
    option="--communes",
    key=("commune",),
    columns=(
        Column("commune", "code_commune", "str", "code INSEE", pattern=COMMUNE_CODE_PATTERN),
        Column("commune_name", "nom_commune", "str", "nom"),
        Column("epci", "siren_epci", "str", "SIREN de l'EPCI", pattern=SIREN_PATTERN),
        Column("epci_name", "nom_epci", "str", "nom de l'EPCI"),
        Column(
            "apl_zone",
            "zone_apl",
            "str",
            "zone des aides au logement (vide : zone de la commune dans la table de mixite)",
            nullable=True,
            codes=APL_ZONES,
        ),
        Column(
            "ceiling_zone",
            "zone_plafonds",
            "str",
            "zone des plafonds de ressources (vide : zone de la commune dans la table de mixite)",
            nullable=True,
            codes=CEILING_ZONES,
        ),
        Column(
            "geometry_wkt",
            "contour",
            "str",
            "contour de la commune (WKT, WGS84 ; importé d'un fichier de contours)",
            nullable=True,
        ),
    ),
)

LANDLORDS = Table(
    name="landlords",
    label="bailleurs",
    file="fichier des bailleurs (bailleurs.csv)",
    option="--bailleurs",
    key=("landlord_id",),
    columns=(
        Column("landlord_id", "IDENT_REP", "str", "SIREN du bailleur", pattern=SIREN_PATTERN),
        Column("landlord_name", "RAISON_SOCIALE", "str", "raison sociale"),
        Column("landlord_kind", "categorie", "str", "catégorie d'organisme", codes=LANDLORD_KINDS),
    ),
)

SRU = Table(
    name="sru",
    label="inventaire SRU des communes",
    file="fichier de l'inventaire SRU (« Communes et inventaire SRU » ou taux de logements "
    "sociaux des communes)",
    option="--sru",
    key=("commune",),
    columns=(
        Column("commune", "code_commune", "str", "code INSEE", pattern=COMMUNE_CODE_PATTERN),
        Column("commune_name", "nom_commune", "str", "nom de la commune", nullable=True),
        Column(
            "inventory_year",
            "annee_inventaire",
            "int",
            "année de l'inventaire (logements sociaux au 1er janvier)",
            nullable=True,
            min=2000,
            max=2100,
        ),
        Column(
            "sru_rate",
            "taux_sru",
            "float",
            "taux de logements sociaux au sens de la loi SRU (0 à 1)",
            min=0,
            max=1,
        ),
        Column(
            "social_dwellings",
            "logements_sociaux_sru",
            "int",
            "logements sociaux décomptés à l'inventaire",
            nullable=True,
            min=0,
        ),
        Column(
            "target_rate",
            "taux_cible",
            "float",
            "taux légal de logements sociaux à atteindre (0 à 1)",
            nullable=True,
            min=0,
            max=1,
        ),
        Column(
            "sru_status",
            "statut_sru",
            "str",
            "situation de la commune au regard de l'article 55 de la loi SRU",
            nullable=True,
            codes=tuple(SRU_STATUSES),
        ),
        Column(
            "levy",
            "prelevement",
            "float",
            "prélèvement net de l'année (€)",
            nullable=True,
        ),
    ),
)

#: The territory description (``territoire.yaml``), one row per millésime (held by the store
#: beside ``TABLES``; not an input table of its own CSV format).
TERRITORY = Table(
    name="territory",
    label="territoire",
    file="fichier de description du territoire (territoire.yaml)",
    option="--territoire",
    key=("name",),
    columns=(
        Column("name", "nom", "str", "nom du territoire"),
        Column("epci", "siren_epci", "str", "SIREN de l'EPCI du territoire"),
        Column(
            "q1_reference_epci",
            "siren_epci_seuils",
            "str",
            "SIREN de l'EPCI dont l'arrêté fixe les seuils Q1/Q2/Q3",
        ),
        Column(
            "q1_overrides",
            "seuil_q1",
            "str",
            "seuils Q1 imposés par année (texte JSON)",
            nullable=True,
        ),
        Column(
            "max_effort_rate",
            "taux_effort_max",
            "float",
            "taux d'effort maximal (charte ; vide : paramètre solvabilite.taux_effort_max)",
            nullable=True,
        ),
        Column(
            "min_reste_a_vivre",
            "reste_a_vivre_min",
            "float",
            "reste à vivre minimal (€/UC/jour, charte ; vide : paramètre "
            "solvabilite.reste_a_vivre_min)",
            nullable=True,
        ),
    ),
)

#: The territory's adapted rates and each partner's commitments (``engagements.yaml``, read by
#: ``io.commitments``): one row per (level, partner, objective, period), held by the store beside
#: ``TABLES`` (not a CSV format of its own).
COMMITMENTS = Table(
    name="commitments",
    label="orientations et engagements (taux adaptés, engagements de la CIA)",
    key=("level", "group", "indicator", "valid_from"),
    columns=(
        Column(
            "level",
            "echelle",
            "str",
            "échelle : epci, bailleur, bailleur_non_reserve, reservataire",
        ),
        Column("group", "partenaire", "str", "partenaire : SIREN du bailleur, clé du réservataire"),
        Column(
            "indicator",
            "objectif",
            "str",
            "objectif légal (q1_hors_qpv, non_q1_en_qpv, prioritaires)",
        ),
        Column("rate", "taux", "float", "taux adapté ou engagé (0 à 1)", min=0, max=1),
        Column("valid_from", "du", "date", "premier jour de validité"),
        Column(
            "valid_to", "au", "date", "dernier jour de validité (vide : sans fin)", nullable=True
        ),
        Column("act", "acte", "str", "délibération, arrêté ou convention qui fixe le taux"),
    ),
)

#: Nature of an operation of an urban renewal programme (``programme.csv``).
OPERATION_KINDS: dict[str, str] = {
    "demolition": "démolition",
    "rehabilitation": "réhabilitation lourde (logements vidés)",
    "livraison": "livraison de logements neufs (reconstitution de l'offre)",
}
#: Statuses of the relocation follow-up (``suivi-relogement.csv``), in the order of a path.
FOLLOWUP_STATUSES: dict[str, str] = {
    "attente": "enquête sociale à faire",
    "enquete": "enquête sociale réalisée",
    "proposition1": "première proposition faite",
    "proposition2": "deuxième proposition faite",
    "proposition3": "troisième proposition faite",
    "refus": "propositions refusées",
    "reloge": "relogé (bail signé)",
}

#: The renewal programme of ``mixite reloger`` (``--programme``; not held by the store).
RENEWAL_PROGRAMME = Table(
    name="renewal_programme",
    label="programme de renouvellement urbain",
    key=("operation", "residence_id"),
    columns=(
        Column("operation", "operation", "str", "code de l'opération (convention NPNRU)"),
        Column("operation_name", "nom_operation", "str", "nom de l'opération", nullable=True),
        Column("residence_id", "residence", "str", "résidence (PROGRAMME du RPLS)"),
        Column("year", "annee", "int", "année de la démolition, de la réhabilitation ou de la "
               "livraison", min=2000, max=2100),
        Column("kind", "nature", "str", "nature de l'opération", codes=_codes(OPERATION_KINDS)),
        Column("dwellings", "logements", "int", "logements concernés", min=1, max=100000),
    ),
)  # fmt: skip
#: The social survey of the households to rehouse (``--enquete``; identifiers pseudonymised on
#: import with the store's key).
SOCIAL_SURVEY = Table(
    name="social_survey",
    label="enquête sociale des ménages à reloger",
    key=("household_id",),
    pseudonymised=("household_id",),
    columns=(
        Column("household_id", "id_menage", "str", "identifiant du ménage (pseudonymisé)"),
        Column("operation", "operation", "str", "code de l'opération"),
        Column("residence_id", "residence", "str", "résidence actuelle (PROGRAMME du RPLS)"),
        Column("household_size", "nb_personnes", "int", "personnes du ménage", min=1, max=20),
        Column("adults", "nb_adultes", "int", "adultes", min=1, max=2),
        Column("persons_14plus", "nb_14_ans_et_plus", "int", "personnes de 14 ans ou plus",
               min=1, max=20),
        Column("dependants", "nb_personnes_a_charge", "int", "personnes à charge", min=0,
               max=18),
        Column("reference_age", "age_reference", "int", "âge de la personne de référence",
               nullable=True, min=16, max=110),
        Column("disability", "handicap", "bool", "handicap ou perte d'autonomie dans le ménage",
               nullable=True),
        Column("monthly_resources", "ressources_mensuelles", "float",
               "ressources mensuelles du ménage (€)", min=0, max=100000),
        Column("tax_income", "revenu_fiscal_reference", "float",
               "revenu fiscal de référence N-2 (€/an ; vide : 12 × ressources mensuelles)",
               nullable=True, min=0),
        Column("current_rent", "loyer_actuel", "float", "loyer principal actuel (€/mois)",
               min=0, max=5000),
        Column("current_charges", "charges_actuelles", "float", "charges actuelles (€/mois)",
               min=0, max=2000),
        Column("wished_communes", "communes_souhaitees", "list",
               "communes souhaitées, par ordre de préférence (vide : toutes)"),
        Column("rooms_min", "typologie_min", "int", "pièces au minimum (besoin)", min=1, max=10),
        Column("rooms_max", "typologie_max", "int", "pièces au maximum (besoin)", min=1, max=10),
        Column("accepts_qpv", "accepte_qpv", "bool", "le ménage accepte un logement en QPV"),
        Column("needs", "besoins", "str", "besoins particuliers (texte libre : rez-de-chaussée, "
               "ascenseur…)", nullable=True),
    ),
)  # fmt: skip
#: The follow-up of the relocations, written by ``mixite reloger`` and re-imported with
#: ``--suivi`` once the partners have filled it.
RELOCATION_FOLLOWUP = Table(
    name="relocation_followup",
    label="suivi des relogements",
    key=("household_id",),
    columns=(
        Column("household_id", "id_menage", "str", "identifiant du ménage (pseudonyme)"),
        Column("operation", "operation", "str", "code de l'opération"),
        Column("status", "statut", "str", "étape du relogement", codes=_codes(FOLLOWUP_STATUSES)),
        Column("proposed_dwelling", "logement_propose", "str",
               "logement proposé par le plan (IDENT_INT)", nullable=True),
        Column("refusals", "nb_refus", "int", "propositions refusées", min=0, max=50),
        Column("dwelling_id", "logement_attribue", "str",
               "logement du bail signé (IDENT_INT)", nullable=True),
        Column("lease_date", "date_bail", "date", "date du bail signé", nullable=True),
        Column("comment", "commentaire", "str", "commentaire de la MOUS", nullable=True),
        Column("cost_before", "reste_a_charge_avant", "float",
               "reste à charge du logement quitté (€/mois : loyer + charges − aide au logement)",
               nullable=True, min=-5000, max=5000),
        Column("cost_after", "reste_a_charge_apres", "float",
               "reste à charge du logement proposé ou attribué (€/mois)", nullable=True,
               min=-5000, max=5000),
    ),
)  # fmt: skip
#: The input files of ``mixite reloger`` (read by ``mixite.io.relogement``).
RELOCATION_TABLES: dict[str, Table] = {
    t.name: t for t in (RENEWAL_PROGRAMME, SOCIAL_SURVEY, RELOCATION_FOLLOWUP)
}

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        DWELLINGS,
        APPLICATIONS,
        ATTRIBUTIONS,
        HOUSEHOLDS,
        QPV,
        RESERVATIONS,
        COMMUNES,
        LANDLORDS,
        SRU,
    )
}


#: Store table → the file people import it from (``Table.file``).
STORE_FILES: dict[str, str] = {t.name: t.file for t in (*TABLES.values(), TERRITORY)}


def import_hint(name: str) -> str:
    """The French sentence telling how to import the file of store table ``name`` (the message
    that uses it names the file: ``Table.file``)."""
    table = TERRITORY if name == TERRITORY.name else TABLES.get(name)
    option = f" {table.option} FICHIER" if table is not None and table.option else ""
    return f"Importez-le avec « mixite importer --base … --millesime …{option} »."
