"""Definitions of the columns of the room for manoeuvre outside QPV (label, unit, definition,
source), for the reports; the method is documented in ``docs/marges.md``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mixite.indicators._common import Definition

__all__ = [
    "DEFINITIONS",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


_SRC = "mixite marges (docs/marges.md)"
_L441 = "CCH art. L441-1 (objectif hors QPV, paramètre quotas.q1_hors_qpv)"

DEFINITIONS: dict[str, Definition] = {
    "level": Definition("Échelle", "texte", "EPCI, bailleur, commune ou résidence.", _SRC),
    "group": Definition("Groupe", "code", "SIREN du bailleur, code commune ou résidence.", _SRC),
    "dwellings": Definition(
        "Logements hors QPV",
        "logements",
        "Logements hors QPV proposés à la location (modes RPLS 1, 2, 4, 5) au 1er janvier.",
        "RPLS",
    ),
    "dwellings_ok": Definition(
        "Logements accessibles",
        "logements",
        "Logements hors QPV qu'au moins un demandeur du premier quartile pourrait prendre "
        "(plafond, taille et solvabilité).",
        _SRC,
    ),
    "expected_vacancies": Definition(
        "Libérations attendues",
        "logements",
        "Somme des taux de mobilité des logements hors QPV (résidence, sinon bailleur) : "
        "logements libérés attendus dans l'année.",
        "RPLS, taux de mobilité (docs/donnees-officielles.md §1.6 « Vacance et mobilité »)",
    ),
    "vacancies_eligible": Definition(
        "Libérations sous plafond",
        "logements",
        "Libérations attendues des logements dont au moins un demandeur du premier quartile "
        "respecte le plafond de ressources.",
        "Arrêté du 29 juillet 1987",
    ),
    "vacancies_sized": Definition(
        "Libérations sous plafond et de taille adaptée",
        "logements",
        "Libérations attendues des logements sous plafond et de taille adaptée pour au moins "
        "un demandeur du premier quartile.",
        _SRC,
    ),
    "vacancies_ok": Definition(
        "Libérations accessibles",
        "logements",
        "Libérations attendues des logements accessibles (plafond, taille, taux d'effort et "
        "reste à vivre) à au moins un demandeur du premier quartile.",
        _SRC,
    ),
    "q1_applicants_ok": Definition(
        "Demandeurs Q1 pouvant y accéder",
        "demandes",
        "Demandeurs du premier quartile pour qui au moins un logement du groupe est accessible.",
        _SRC,
    ),
    "attainable_q1": Definition(
        "Attributions Q1 atteignables",
        "attributions",
        "min(libérations accessibles, demandeurs Q1 pouvant y accéder).",
        _SRC,
    ),
    "attainable_share": Definition(
        "Part atteignable",
        "/1",
        "Part maximale des attributions hors QPV au premier quartile : attributions Q1 "
        "atteignables / libérations attendues hors QPV.",
        _SRC,
    ),
    "achieved_share": Definition(
        "Part réalisée",
        "/1",
        "Attributions hors QPV de l'année au premier quartile ou aux relogés NPNRU / "
        "attributions hors QPV (indicateur légal).",
        _L441,
    ),
    "achieved_attributions": Definition(
        "Attributions hors QPV réalisées",
        "attributions",
        "Attributions hors QPV suivies d'un bail signé dans l'année.",
        _L441,
    ),
    "target": Definition("Objectif", "/1", "Part minimale fixée par la loi.", _L441),
    "loss_ceiling": Definition(
        "Perte : plafonds",
        "logements",
        "Libérations attendues de logements dont aucun demandeur Q1 ne respecte le plafond.",
        _SRC,
    ),
    "loss_size": Definition(
        "Perte : taille",
        "logements",
        "Libérations sous plafond mais sans demandeur Q1 de taille adaptée.",
        _SRC,
    ),
    "loss_rent": Definition(
        "Perte : loyer",
        "logements",
        "Libérations sous plafond et de taille adaptée, mais trop chères pour tout demandeur Q1 "
        "concerné (taux d'effort ou reste à vivre).",
        _SRC,
    ),
    "loss_turnover": Definition(
        "Perte : mobilité",
        "logements",
        "Libérations perdues parce que les logements accessibles tournent moins que les autres : "
        "max(0, libérations × part des logements accessibles − libérations accessibles).",
        _SRC,
    ),
    "loss_demand": Definition(
        "Perte : demande",
        "logements",
        "Libérations accessibles au-delà du nombre de demandeurs Q1 pouvant y accéder.",
        _SRC,
    ),
    "reason": Definition(
        "Raison principale",
        "texte",
        "La plus grande des pertes quand la part atteignable est sous l'objectif.",
        _SRC,
    ),
    "size_class": Definition(
        "Taille du ménage", "personnes", "1, 2, 3, 4, 5 personnes et plus.", _SRC
    ),
    "q1_applicants": Definition(
        "Demandeurs Q1",
        "demandes",
        "Demandes en cours au 31 décembre du premier quartile, de cette taille (territoire).",
        "SNE",
    ),
    "q1_applicants_sized": Definition(
        "Demandeurs Q1 avec logement sous plafond et adapté",
        "demandes",
        "Demandeurs Q1 pour qui au moins un logement du groupe est sous plafond et de taille "
        "adaptée.",
        _SRC,
    ),
    "share_ok": Definition(
        "Part des demandeurs Q1 pouvant y accéder",
        "/1",
        "Demandeurs Q1 pour qui un logement du groupe est accessible / demandeurs Q1 de cette "
        "taille.",
        _SRC,
    ),
    "typical_rent": Definition(
        "Loyer du logement type",
        "€/mois",
        "Loyer principal médian des logements de taille adaptée de la résidence.",
        "RPLS",
    ),
    "affordable_rent": Definition(
        "Loyer supportable",
        "€/mois",
        "Loyer principal le plus élevé respectant le taux d'effort et le reste à vivre du ménage "
        "Q1 médian, après aide au logement et RLS (vide : inaccessible même à loyer nul).",
        _SRC,
    ),
    "rent_reduction": Definition(
        "Baisse de loyer nécessaire",
        "€/mois",
        "Loyer du logement type − loyer supportable (0 : déjà accessible).",
        _SRC,
    ),
    "median_resources": Definition(
        "Ressources du ménage Q1 médian",
        "€/mois",
        "Ressources mensuelles du demandeur Q1 médian de cette taille.",
        "SNE",
    ),
}
