"""French wording of every output: number formats and the labels of codes.

The one place where a figure becomes French text (« 12 000 », « 17,9 % », « 1 234 € »,
« 4 mars 2025 ») and where a code becomes words (levels, objectives, reservataires, reasons,
booleans). Numbers are formatted by Babel's ``fr_FR`` locale (CLDR), not by hand. Reports, the
command line and the documents call these functions; computations return codes and numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from mixite.schema import RESERVATAIRES, SRU_STATUSES
from mixite.vocabulary import Indicator, Level, NeighbourhoodRole

if TYPE_CHECKING:
    from babel.core import Locale

    from mixite.jobs.results import Names

__all__ = [
    "CHARTER_RULE_LABELS",
    "COLUMN_LABELS",
    "FINANCING_LABELS",
    "HOUSEHOLD_GROUP_LABELS",
    "INDICATOR_LABELS",
    "INDICATOR_SHORT_LABELS",
    "LEVEL_LABELS",
    "MISSING",
    "MOVE_KIND_LABELS",
    "NATIONAL_INDICATOR_LABELS",
    "OCCUPANCY_LABELS",
    "REASON_LABELS",
    "RELOCATION_TARGET_LABELS",
    "RESERVATAIRE_SHORT_LABELS",
    "RISE_BAND_LABELS",
    "ROLE_LABELS",
    "ROOM_CATEGORY_LABELS",
    "SECRET",
    "SOURCE_LABELS",
    "TASK_LABELS",
    "UNIT_LABELS",
    "VALUE_LABELS",
    "Format",
    "commune_of",
    "count",
    "date",
    "decimal",
    "euros",
    "group_label",
    "integer",
    "n_points",
    "neighbourhood_label",
    "number",
    "percent",
    "points",
    "reservataire_label",
    "reservataire_name",
    "secrecy_note",
    "size_class_label",
    "source",
    "value",
    "yes_no",
]

#: Display kinds of a table column.
#: (``points``: cotation points, as many decimals as the value has: « 40 », « 0,5 », « −15 »).
Format = Literal["int", "float", "pct", "eur", "text", "date", "points"]

#: What a figure masked by statistical secrecy reads where a text shows it (a map's hover).
SECRET = "secret statistique"


def secrecy_note(threshold: int) -> str:
    """The note under tables published under statistical secrecy (``secret_statistique.seuil``
    is ``threshold``)."""
    return (
        f"Effectifs de 1 à {threshold - 1} masqués (secret statistique), ainsi que les cases qui "
        "permettraient de les retrouver par différence avec un total, et les parts, intervalles "
        "et indices qui en découlent (cases vides ou « — »)."
    )


#: What an empty cell reads.
MISSING = "—"


@lru_cache(maxsize=1)
def _locale() -> Locale:
    from babel.core import Locale

    return Locale.parse("fr_FR")


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        import pandas as pd

        if x is pd.NA or x is pd.NaT:
            return True
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return isinstance(x, float) and math.isnan(x)


def integer(x: Any) -> str:
    """« 12 345 » (thin non-breaking space between thousands)."""
    if _missing(x):
        return MISSING
    from babel.numbers import format_decimal

    return str(format_decimal(round(float(x)), format="#,##0", locale=_locale()))


def count(x: Any, singular: str, plural: str | None = None) -> str:
    """« 1 ligne », « 0 ligne », « 12 345 lignes »: the integer and its noun, singular below 2
    (French usage)."""
    if _missing(x):
        return MISSING
    word = singular if abs(round(float(x))) < 2 else (plural or singular + "s")
    return f"{integer(x)} {word}"


#: The titles of the project's documentation files, as a source reads them.
_DOC_TITLES = {
    "droit": "Droit des attributions",
    "donnees-officielles": "Données officielles",
    "indicateurs": "Indicateurs",
    "marges": "Marges de manœuvre",
    "formats": "Formats des fichiers",
    "allocation": "Attributions simulées et optimisées",
    "national": "Observatoire national",
    "parametres": "Paramètres",
    "trajectoires": "Trajectoires résidentielles",
    "projection": "Stratégie sur les six ans de la CIA",
    "quartiers": "Rôles des quartiers",
}


def source(text: str) -> str:
    """A definition's source as a reader sees it: the project's documentation files
    (``docs/droit.md``) named by their title (« documentation de mixite, Droit des
    attributions »)."""
    import re

    def title(match: re.Match[str]) -> str:
        stem = match.group(1)
        return f"documentation de mixite, « {_DOC_TITLES.get(stem, stem.replace('-', ' '))} »"

    return re.sub(r"docs/([\w-]+)\.md", title, text)


def decimal(x: Any, digits: int = 2) -> str:
    """« 12 345,68 » with ``digits`` decimals."""
    if _missing(x):
        return MISSING
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(float(x), format=pattern, locale=_locale()))


def number(x: Any, max_digits: int = 2) -> str:
    """« 12 345 », « 0,5 », « 1,25 »: at most ``max_digits`` decimals, no trailing zero."""
    if _missing(x):
        return MISSING
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * max_digits if max_digits > 0 else "")
    return str(format_decimal(float(x), format=pattern, locale=_locale()))


def percent(x: Any, digits: int = 1) -> str:
    """A share in [0, 1] as « 17,9 % »."""
    if _missing(x):
        return MISSING
    from babel.numbers import format_percent

    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "\u00a0%"
    return str(format_percent(float(x), format=pattern, locale=_locale()))


def euros(x: Any, digits: int = 0) -> str:
    """« 1 234 € » (``digits`` decimals)."""
    if _missing(x):
        return MISSING
    return decimal(x, digits) + "\u00a0€"


def date(x: Any) -> str:
    """« 04/03/2025 » (day, month, year)."""
    if _missing(x):
        return MISSING
    if hasattr(x, "to_pydatetime"):
        x = x.to_pydatetime()
    if isinstance(x, dt.datetime):
        x = x.date()
    return f"{x:%d/%m/%Y}"


def points(x: Any) -> str:
    """Cotation points: « 12 », « 1,5 », « −3 » (as many decimals as the value has)."""
    if _missing(x):
        return MISSING
    from decimal import Decimal

    d = Decimal(str(x))
    text = f"{d.normalize():f}" if d != d.to_integral() else str(int(d))
    return text.replace(".", ",").replace("-", "−")


def n_points(x: Any) -> str:
    """« 1 point », « 1,5 point », « 2 points » (French: singular below 2)."""
    if _missing(x):
        return MISSING
    return f"{points(x)} {'point' if abs(float(x)) < 2 else 'points'}"


def yes_no(x: Any) -> str:
    """« oui » / « non » (« — » when unknown)."""
    if _missing(x):
        return MISSING
    return "oui" if bool(x) else "non"


def value(x: Any, fmt: Format | None = None) -> str:
    """One cell as French text, by its display kind (numbers without a kind keep two decimals
    unless they are whole)."""
    if _missing(x):
        return MISSING
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        with contextlib.suppress(AttributeError, ValueError):
            x = x.item()
    if isinstance(x, bool):
        return yes_no(x)
    if fmt == "date" or isinstance(x, (dt.date, dt.datetime)) or hasattr(x, "to_pydatetime"):
        return date(x)
    if isinstance(x, (int, float)):
        if fmt == "pct":
            return percent(x)
        if fmt == "eur":
            return euros(x)
        if fmt == "points":
            return points(x)
        if fmt == "int" or isinstance(x, int):
            return integer(x)
        return decimal(x)
    return str(x)


# ---------------------------------------------------------------------------------------------
# Labels of codes
# ---------------------------------------------------------------------------------------------

#: Full wording of each legal objective.
INDICATOR_LABELS: dict[str, str] = {
    Indicator.Q1_OUTSIDE_QPV: (
        "Attributions hors QPV au premier quartile ou aux relogements NPNRU/ORCOD"
    ),
    Indicator.NON_Q1_IN_QPV: "Attributions en QPV aux demandeurs hors premier quartile",
    Indicator.PRIORITY: "Attributions aux ménages DALO ou prioritaires",
}

#: Short wording of each legal objective, for table cells.
INDICATOR_SHORT_LABELS: dict[str, str] = {
    Indicator.Q1_OUTSIDE_QPV: "1er quartile ou relogés, hors QPV",
    Indicator.NON_Q1_IN_QPV: "autres quartiles, en QPV",
    Indicator.PRIORITY: "DALO ou prioritaires",
}

#: Wording of each level of computation.
LEVEL_LABELS: dict[str, str] = {
    Level.EPCI: "EPCI",
    Level.LANDLORD: "Bailleur",
    Level.LANDLORD_NON_RESERVED: "Bailleur – logements non réservés",
    Level.RESERVATAIRE: "Réservataire",
    Level.COMMUNE: "Commune",
    Level.RESIDENCE: "Résidence",
}

#: Short names of the reservataire types, for table cells.
RESERVATAIRE_SHORT_LABELS: dict[str, str] = {
    "etat_prioritaire": "État – prioritaires",
    "etat_agents": "État – agents",
    "action_logement": "Action Logement",
    "commune": "Communes",
    "epci": "EPCI",
    "departement": "Département",
    "bailleur": "Bailleur (non réservés)",
    "autre": "Autres",
}

#: Binding reasons of the room for manoeuvre (``indicators.marges.REASON_CODES``).
REASON_LABELS: dict[str, str] = {
    "loyer": "loyers trop élevés pour les ménages du premier quartile",
    "taille": "typologies inadaptées aux ménages du premier quartile",
    "vacances": "peu de logements libérés parmi ceux accessibles",
    "demande": "pas assez de demandeurs du premier quartile",
    "plafonds": "plafonds de ressources",
    "atteignable": "objectif atteignable",
    "sans_parc": "aucune libération attendue hors QPV",
}


#: How a dwelling's QPV is known (``schema.QPV_SOURCES``), as a line heading.
QPV_SOURCE_LABELS: dict[str, str] = {
    "geocode": "QPV connu par le géocodage du RPLS",
    "declare": "QPV déclaré par le bailleur",
    "coordonnees": "situés par leurs coordonnées dans les périmètres des QPV",
    "inconnu": "QPV inconnu (comptés hors QPV)",
}


#: Kinds of disagreement between an attribution's declared QPV and its dwelling's
#: (``qpv.judge_attributions``).
QPV_DISAGREEMENT_LABELS: dict[str, str] = {
    "en_qpv": "déclarée en QPV, logement hors QPV",
    "hors_qpv": "déclarée hors QPV, logement en QPV",
    "code": "autre QPV que celui du logement",
    "generation": "code d'une géographie qui n'était pas en vigueur à la date du bail",
}


#: Financing families of the RPLS (``schema.FINAN_FAMILIES``).
FINANCING_LABELS: dict[str, str] = {
    "plai": "PLAI",
    "plus": "PLUS",
    "pls": "PLS",
    "pre1977": "HLM/O et assimilés (avant 1977)",
    "autre": "autre financement",
}

#: Scales of the segregation indices (``unit`` of the segregation table).
UNIT_LABELS: dict[str, str] = {
    "residence_id": "résidences",
    "iris": "IRIS",
    "qpv_code": "chaque QPV, hors QPV ensemble",
    "qpv": "en QPV / hors QPV",
}

#: Groups of households of the segregation indices (``group`` of the segregation table).
HOUSEHOLD_GROUP_LABELS: dict[str, str] = {
    "under_40": "ménages sous 40 % du plafond PLUS",
    "unemployed": "personne de référence au chômage",
    "single_parent": "familles monoparentales",
    "income_quartile": "quartiles de ressources par UC",
}

#: Names of the neighbourhood roles (``vocabulary.NeighbourhoodRole``, ``docs/quartiers.md``).
ROLE_LABELS: dict[str, str] = {
    NeighbourhoodRole.RECEPTION: "quartier d'accueil",
    NeighbourhoodRole.TRANSIT: "quartier de passage",
    NeighbourhoodRole.STABILITY: "quartier de stabilité",
    NeighbourhoodRole.RELEGATION: "quartier de relégation",
    NeighbourhoodRole.MIXED: "sans rôle marqué",
    NeighbourhoodRole.UNCLASSED: "non classé (effectif insuffisant)",
}


#: Code → words, per column name of the results (reports translate a column's values with it).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "finan_family": FINANCING_LABELS,
    "reservataire": dict(RESERVATAIRES),
    "reservataire_type": dict(RESERVATAIRES),
    "level": {str(k): v for k, v in LEVEL_LABELS.items()},
    "indicator": {str(k): v for k, v in INDICATOR_LABELS.items()},
    "unit": UNIT_LABELS,
    "group": HOUSEHOLD_GROUP_LABELS,
    "in_qpv": {"True": "en QPV", "False": "hors QPV"},
    "reason": REASON_LABELS,
    "role": {str(k): v for k, v in ROLE_LABELS.items()},
    "sru_status": dict(SRU_STATUSES),
}

#: Headers of columns that carry no definition.
COLUMN_LABELS: dict[str, str] = {
    "name": "Nom",
    "level": "Échelle",
    "indicator": "Objectif",
    "group": "Groupe",
    "reservataire": "Réservataire",
    "in_qpv": "Situation",
}


def reservataire_label(code: str, short: bool = False) -> str:
    """The name of a reservataire type (``schema.RESERVATAIRES``)."""
    table = RESERVATAIRE_SHORT_LABELS if short else RESERVATAIRES
    return table.get(str(code), str(code))


_VOWELS = frozenset("aàâäeéèêëiîïoôöuùûüyœæ")


def commune_of(name: str) -> str:
    """« de Mirebourg », « d'Avignon », « du Havre », « des Ulis »: the preposition before a
    commune's name, with French elision and contraction."""
    text = str(name).strip()
    if text.startswith("Le "):
        return "du " + text[3:]
    if text.startswith("Les "):
        return "des " + text[4:]
    if text[:1].lower() in _VOWELS:
        return "d'" + text
    return "de " + text


#: Names of the reservataires that are one legal person whatever the territory.
_RESERVATAIRE_PERSONS: dict[str, str] = {
    "action_logement": "Action Logement Services",
    "etat_prioritaire": "Préfet – contingent prioritaire",
    "etat_agents": "Préfet – contingent des agents de l'État",
}


def reservataire_name(key: str, names: Names | None = None) -> str:
    """The name of one reservataire from its key (``vocabulary.reservataire_key``): the name its
    convention gives, else « Commune de X », the EPCI's name, « Action Logement Services »,
    « Préfet – contingent prioritaire », the landlord's name for its own stock…"""
    from mixite.vocabulary import split_reservataire_key

    if names is not None and key in names.reservataires:
        return str(names.reservataires[key])
    kind, ident = split_reservataire_key(key)
    if kind in _RESERVATAIRE_PERSONS:
        return _RESERVATAIRE_PERSONS[kind] + (f" ({ident})" if ident else "")
    if ident is None:
        return reservataire_label(kind)
    if kind == "commune":
        commune = names.commune(ident) if names is not None else ident
        return "Commune " + commune_of(commune)
    if kind == "epci":
        if names is not None and ident == names.epci and names.territory:
            return names.territory
        if names is not None and ident in names.epcis:
            return str(names.epcis[ident])
        return f"EPCI {ident}"
    if kind == "departement":
        return f"Département ({ident})"
    if kind == "bailleur":
        landlord = names.landlord(ident) if names is not None else ident
        return f"{landlord} – logements non réservés"
    return f"{reservataire_label(kind)} {ident}"


def group_label(level: str, group: Any, names: Names | None = None, with_code: bool = False) -> str:
    """The name of a group of a result row: the territory, a landlord, a commune, a
    reservataire… (its code after the name with ``with_code``)."""
    code = str(group)
    if level == Level.EPCI:
        return names.territory if names is not None else "EPCI"
    if level == Level.RESERVATAIRE:
        named = reservataire_name(code, names)
        return f"{named} ({code})" if with_code and ":" in code else named
    name: str | None = None
    if names is not None:
        if level in (Level.LANDLORD, Level.LANDLORD_NON_RESERVED):
            name = names.landlords.get(code)
        elif level == Level.COMMUNE:
            name = names.communes.get(code)
        elif level == Level.RESIDENCE:
            name = names.residences.get(code)
    if name is None:
        return code
    return f"{name} ({code})" if with_code else name


def neighbourhood_label(key: str, names: Names | None = None) -> str:
    """The name of a neighbourhood (``indicators.roles.neighbourhood_keys``): a QPV's name, or
    « commune (hors QPV) », « IRIS code (hors QPV) » outside QPV."""
    prefix = "HQPV-"
    code = str(key)
    if not code.startswith(prefix):
        name = names.qpv.get(code) if names is not None else None
        return f"{name} (QPV)" if name else f"QPV {code}"
    place = code[len(prefix) :]
    if len(place) > 5:  # an IRIS code (9 characters)
        return f"IRIS {place} (hors QPV)"
    commune = names.communes.get(place, place) if names is not None else place
    return f"{commune} (hors QPV)"


# ---------------------------------------------------------------------------------------------
# National observatory (``mixite national``)
# ---------------------------------------------------------------------------------------------

#: Wording of the tasks of a national run and of the steps where a territory can fail.
TASK_LABELS: dict[str, str] = {
    "import": "import des fichiers",
    "diagnostic": "diagnostic",
    "quotas": "objectifs légaux",
    "simulation": "simulation",
    "dask": "exécution sur le cluster",
}

#: Wording of the indicators of the national diagnostic (``vocabulary.NationalIndicator``).
NATIONAL_INDICATOR_LABELS: dict[str, str] = {
    "parc_en_qpv": "Part du parc en QPV",
    "vacance": "Taux de vacance",
    "rotation": "Taux de rotation",
    "demandes_par_attribution": "Demandes en cours par attribution",
    "q1_hors_qpv_atteignable": "Part atteignable d'attributions Q1 hors QPV",
}

#: Where a national share comes from (``indicators.national.SOURCES``).
SOURCE_LABELS: dict[str, str] = {
    "observe": "attributions observées",
    "simule": "année simulée",
}

#: Room for manoeuvre of an EPCI (``indicators.national.CATEGORIES``).
ROOM_CATEGORY_LABELS: dict[str, str] = {
    "atteint": "objectif atteint",
    "atteignable": "atteignable, non atteint",
    "hors_atteinte": "hors d'atteinte",
}


def size_class_label(lower: Any, bounds: tuple[int, ...] | list[int]) -> str:
    """« moins de 2 000 logements », « 2 000 à 5 000 logements », « 50 000 logements et plus »:
    the class of sizes starting at ``lower`` among the lower ``bounds``."""
    ordered = sorted(int(b) for b in bounds)
    low = int(lower)
    if low not in ordered:
        return f"{integer(low)} logements et plus"
    k = ordered.index(low)
    if k + 1 == len(ordered):
        return f"{integer(low)} logements et plus"
    high = ordered[k + 1]
    if low == 0:
        return f"moins de {integer(high)} logements"
    return f"{integer(low)} à {integer(high)} logements"


# ---------------------------------------------------------------------------------------------
# Residential trajectories (``mixite reloger``, ``mixite mutations``)
# ---------------------------------------------------------------------------------------------

#: The charter's share targets (``trajectoires.relogement``).
RELOCATION_TARGET_LABELS: dict[str, str] = {
    "neuf_recent": "Ménages relogés dans un logement neuf ou récent",
    "hors_qpv": "Ménages relogés hors QPV",
}

#: The rules of a relocation charter (keys of ``objectifs``).
CHARTER_RULE_LABELS: dict[str, str] = {
    "part_neuf_recent": "Part minimale relogée dans le neuf ou le récent",
    "part_hors_qpv": "Part minimale relogée hors QPV",
    "hausse_reste_a_charge_max": "Hausse maximale du reste à charge (€/mois)",
    "anciennete_max_recent": "Ancienneté maximale d'un logement récent (années)",
    "annees_avant_operation": "Relogements possibles jusqu'à N années avant l'opération",
    "minoration_loyer": "Loyer ramené au loyer plafond APL dans le neuf ou le récent",
}

#: Bands of change of the reste à charge (``jobs.trajectoires``).
RISE_BAND_LABELS: dict[str, str] = {
    "baisse_plus_50": "baisse de plus de 50 €",
    "baisse": "baisse de 50 € au plus",
    "stable": "inchangé",
    "hausse_jusqu_25": "hausse de 25 € au plus",
    "hausse_25_50": "hausse de 25 à 50 €",
    "hausse_plus_50": "hausse de plus de 50 €",
}

#: How a tenant moves (``jobs.trajectoires.mutations``).
MOVE_KIND_LABELS: dict[str, str] = {
    "echange": "échange direct",
    "chaine": "mutation en chaîne",
}

#: Occupancy status of a household in its dwelling (``household.occupancy_status``).
OCCUPANCY_LABELS: dict[int, str] = {
    -1: "suroccupation",
    0: "adapté",
    1: "sous-occupation",
}
