"""Consumption units, household categories and income ceilings (PLAI / PLUS / PLS), vectorised.

Every number comes from the dated parameters (``uc.*``, ``plafonds.*``):

* consumption units (UC): ``uc.premier_adulte`` for the first person aged ``uc.age_seuil`` or
  more, ``uc.autre_14_ans_et_plus`` for each other such person, ``uc.enfant_moins_14_ans`` for
  each younger one (domaine.md §3);
* household category 1–6 of the arrêté du 29 juillet 1987, art. 2 (domaine.md §7): the number of
  persons, raised by one for a single person with dependants, a household with a disabled
  person, or a "jeune ménage" (couple without dependant); persons beyond category 6 are
  "personnes supplémentaires";
* ceilings ``plafonds.{plus,plai}.{P,I,A}.{1..6,personne_supplementaire}`` by zone
  (P = Paris and bordering communes, I = rest of Île-de-France, A = other regions); PLS =
  PLUS × ``plafonds.majoration_pls`` rounded half up, cell by cell (arrêté du 29 juillet 1987,
  art. 1), computed here rather than stored.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from mixite.errors import InputError, Location, ParameterError
from mixite.params import Parameters, default_parameters

__all__ = [
    "CATEGORY_KEYS",
    "KINDS",
    "ZONES",
    "additional_persons",
    "category_ceiling",
    "ceiling_table",
    "consumption_units",
    "household_category",
    "income_ceiling",
    "round_half_up",
]

KINDS = ("plai", "plus", "pls")
ZONES = ("P", "I", "A")
#: Keys of a ceiling table: categories 1..6 then the amount per additional person.
CATEGORY_KEYS = ("1", "2", "3", "4", "5", "6", "personne_supplementaire")
_MAX_CATEGORY = 6

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _ints(values: Any, name: str) -> IntArray:
    array = np.asarray(values)
    if array.dtype.kind == "f":
        if np.isnan(array).any():
            raise InputError(
                "Valeur manquante pour le calcul des plafonds ou des unités de consommation",
                Location("ménages", column=name, value="vide"),
                "Renseignez cette colonne pour chaque ménage.",
            )
        if (array != np.round(array)).any():
            bad = array[array != np.round(array)][0]
            raise InputError(
                "Nombre de personnes non entier",
                Location("ménages", column=name, value=str(bad)),
                "Indiquez un nombre entier de personnes.",
            )
    out: IntArray = np.asarray(array, dtype=np.int64)
    if (out < 0).any():
        raise InputError(
            "Nombre de personnes négatif",
            Location("ménages", column=name, value=str(out[out < 0][0])),
            "Indiquez un nombre de personnes positif ou nul.",
        )
    return out


def _flags(values: Any, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    if values is None:
        return np.zeros(shape, dtype=bool)
    array = np.asarray(values)
    if array.dtype == object:
        array = np.array([bool(v) if v is not None and v == v else False for v in array.ravel()])
    return np.broadcast_to(np.asarray(array, dtype=bool), shape)


def consumption_units(
    adults: Any,
    persons_14plus: Any,
    household_size: Any,
    when: dt.date | str,
    params: Parameters | None = None,
) -> FloatArray:
    """UC of each household (vectorised).

    ``persons_14plus`` counts every person aged ``uc.age_seuil`` or more, adults included; it is
    raised to ``adults`` and to 1 when smaller (the first person is always weighted as an
    adult). Raises ``InputError`` when a household has no person.
    """
    p = params or default_parameters()
    first = float(p.value("uc.premier_adulte", when))
    other = float(p.value("uc.autre_14_ans_et_plus", when))
    child = float(p.value("uc.enfant_moins_14_ans", when))
    n_adults = _ints(adults, "adults")
    size = _ints(household_size, "household_size")
    older = np.maximum(np.maximum(_ints(persons_14plus, "persons_14plus"), n_adults), 1)
    if (size < 1).any():
        raise InputError(
            "Ménage sans aucune personne",
            Location("ménages", column="household_size", value=str(size[size < 1][0])),
            "Un ménage compte au moins une personne.",
        )
    if (older > size).any():
        where = np.flatnonzero(older > size)[0]
        raise InputError(
            "Plus de personnes de 14 ans ou plus que de personnes dans le ménage",
            Location("ménages", column="persons_14plus", value=str(older[where])),
            f"Corrigez la taille du ménage ({size[where]}) ou le nombre de personnes de 14 ans "
            "ou plus.",
        )
    out: FloatArray = first + other * (older - 1) + child * (size - older)
    return out


def household_category(
    household_size: Any,
    adults: Any,
    dependants: Any,
    young_couple: Any = None,
    disabled: Any = None,
) -> IntArray:
    """Household category 1..6 of the arrêté du 29 juillet 1987, art. 2 (vectorised).

    Category = number of persons, plus one for: a single adult with at least one dependant
    ("personne seule avec personne(s) à charge"), a household counting a disabled person, or a
    "jeune ménage" of two persons without dependant (couple whose ages sum to 55 or less); the
    increases do not add up. Capped at 6: see ``additional_persons`` for the rest.
    """
    return np.minimum(
        _effective_persons(household_size, adults, dependants, young_couple, disabled),
        _MAX_CATEGORY,
    )


def additional_persons(
    household_size: Any,
    adults: Any,
    dependants: Any,
    young_couple: Any = None,
    disabled: Any = None,
) -> IntArray:
    """Persons counted beyond category 6 (each adds ``personne_supplementaire``)."""
    effective = _effective_persons(household_size, adults, dependants, young_couple, disabled)
    out: IntArray = np.maximum(effective - _MAX_CATEGORY, 0)
    return out


def _effective_persons(
    household_size: Any, adults: Any, dependants: Any, young_couple: Any, disabled: Any
) -> IntArray:
    size = _ints(household_size, "household_size")
    if (size < 1).any():
        raise InputError(
            "Ménage sans aucune personne",
            Location("ménages", column="household_size", value=str(size[size < 1][0])),
            "Un ménage compte au moins une personne.",
        )
    n_adults = np.broadcast_to(_ints(adults, "adults"), size.shape)
    n_dependants = np.broadcast_to(_ints(dependants, "dependants"), size.shape)
    single_parent = (n_adults == 1) & (n_dependants >= 1) & (size >= 2)
    young = _flags(young_couple, size.shape) & (size == 2) & (n_dependants == 0)
    handicap = _flags(disabled, size.shape)
    bonus = (single_parent | young | handicap).astype(np.int64)
    out: IntArray = size + bonus
    return out


def round_half_up(amount: Any, factor: float) -> IntArray:
    """``amount × factor`` rounded to the nearest euro, halves up, in exact arithmetic."""
    ratio = Fraction(str(factor))
    values = np.asarray(amount, dtype=np.int64)
    out: IntArray = (values * ratio.numerator * 2 + ratio.denominator) // (2 * ratio.denominator)
    return out


def ceiling_table(
    kind: str, zone: str, when: dt.date | str, params: Parameters | None = None
) -> dict[str, int]:
    """The ceilings of one kind and zone at a date: ``{"1": …, …, "6": …, "personne_supplementaire": …}``."""
    p = params or default_parameters()
    kind_key = _check_kind(kind)
    if zone not in ZONES:
        raise ParameterError(
            f"Zone de plafonds inconnue « {zone} ». Zones permises : P (Paris et communes "
            "limitrophes), I (reste de l'Île-de-France), A (autres régions)."
        )
    base = "plus" if kind_key == "pls" else kind_key
    table = {key: int(p.value(f"plafonds.{base}.{zone}.{key}", when)) for key in CATEGORY_KEYS}
    if kind_key == "pls":
        factor = float(p.value("plafonds.majoration_pls", when))
        table = {key: int(round_half_up(v, factor)) for key, v in table.items()}
    return table


def _check_kind(kind: str) -> str:
    key = str(kind).lower()
    if key not in KINDS:
        raise ParameterError(
            f"Type de plafond inconnu « {kind} ». Types permis : {', '.join(KINDS)}."
        )
    return key


def category_ceiling(
    kind: str,
    zone: Any,
    category: Any,
    extra_persons: Any,
    when: dt.date | str,
    params: Parameters | None = None,
) -> FloatArray:
    """Annual ceiling (€) by zone and category, plus ``extra_persons`` × the per-person amount.

    ``zone`` holds P, I or A per household (a missing zone gives NaN); ``category`` 1..6.
    """
    zones = np.asarray(zone, dtype=object)
    cats = _ints(category, "category")
    shape = np.broadcast_shapes(zones.shape, cats.shape)
    zones = np.broadcast_to(zones, shape)
    cats = np.broadcast_to(cats, shape)
    extra = np.broadcast_to(_ints(extra_persons, "extra_persons"), shape)
    if ((cats < 1) | (cats > _MAX_CATEGORY)).any():
        bad = cats[(cats < 1) | (cats > _MAX_CATEGORY)][0]
        raise InputError(
            "Catégorie de ménage hors de 1 à 6",
            Location("ménages", column="category", value=str(bad)),
            "La catégorie de l'arrêté du 29 juillet 1987 va de 1 à 6.",
        )
    missing = np.array([z is None or (isinstance(z, float) and z != z) for z in zones.ravel()])
    missing = missing.reshape(shape)
    labels = np.where(missing, "", zones).astype(str)
    unknown = sorted(set(np.unique(labels[~missing]).tolist()) - set(ZONES))
    if unknown:
        raise InputError(
            "Zone de plafonds de ressources inconnue",
            Location("communes", column="ceiling_zone", value=unknown[0]),
            "Zones permises : P (Paris et communes limitrophes), I (reste de l'Île-de-France), "
            "A (autres régions).",
        )
    out = np.full(shape, np.nan, dtype=np.float64)
    for code in ZONES:
        mask = labels == code
        if not mask.any():
            continue
        table = ceiling_table(kind, code, when, params)
        per_category = np.array([table[k] for k in CATEGORY_KEYS[:_MAX_CATEGORY]], dtype=np.float64)
        out[mask] = per_category[cats[mask] - 1] + extra[mask] * table["personne_supplementaire"]
    return out


def income_ceiling(
    kind: str,
    zone: Any,
    household_size: Any,
    adults: Any,
    dependants: Any,
    when: dt.date | str,
    params: Parameters | None = None,
    *,
    young_couple: Any = None,
    disabled: Any = None,
) -> FloatArray:
    """Annual income ceiling (€, RFR N-2 of the whole household) of each household.

    ``kind`` is ``plai``, ``plus`` or ``pls``; ``zone`` P/I/A per household (NaN for a missing
    zone). The category and the additional persons follow ``household_category``.
    """
    _check_kind(kind)
    category = household_category(household_size, adults, dependants, young_couple, disabled)
    extra = additional_persons(household_size, adults, dependants, young_couple, disabled)
    return category_ceiling(kind, zone, category, extra, when, params)
