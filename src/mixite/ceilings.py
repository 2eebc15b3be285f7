"""Income ceilings (PLAI / PLUS / PLS) by zone and household category, vectorised.

Every number comes from the dated parameters ``plafonds.*`` (``docs/droit.md`` §7;
``docs/parametres.md``, section ``plafonds.yaml``). The household category 1–6 and the persons beyond category 6 are defined in
``mixite.household`` (arrêté du 29 juillet 1987, art. 2, with the « jeune ménage » and
disability increases); this module holds the tables:

* ceilings ``plafonds.{plus,plai}.{P,I,A}.{1..6,personne_supplementaire}`` by zone
  (P = Paris and bordering communes, I = rest of Île-de-France, A = other regions); PLS =
  PLUS × ``plafonds.majoration_pls`` rounded half up, cell by cell (arrêté du 29 juillet 1987,
  art. 1), computed here rather than stored.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mixite.errors import InputError, Location, ParameterError
from mixite.household import MAX_CATEGORY, additional_persons, ceiling_category, household_category
from mixite.params import Parameters, default_parameters

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CATEGORY_KEYS",
    "KINDS",
    "ZONES",
    "category_ceiling",
    "ceiling_table",
    "household_ceiling",
    "income_ceiling",
    "round_half_up",
]

KINDS = ("plai", "plus", "pls")
ZONES = ("P", "I", "A")
#: Keys of a ceiling table: categories 1..6 then the amount per additional person.
CATEGORY_KEYS = ("1", "2", "3", "4", "5", "6", "personne_supplementaire")

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
    if ((cats < 1) | (cats > MAX_CATEGORY)).any():
        bad = cats[(cats < 1) | (cats > MAX_CATEGORY)][0]
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
        per_category = np.array([table[k] for k in CATEGORY_KEYS[:MAX_CATEGORY]], dtype=np.float64)
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
    zone). The category and the additional persons follow ``mixite.household.household_category``
    with the given ``young_couple`` and ``disabled`` flags; ``household_ceiling`` derives them
    from a canonical frame.
    """
    _check_kind(kind)
    category = household_category(household_size, adults, dependants, young_couple, disabled)
    extra = additional_persons(household_size, adults, dependants, young_couple, disabled)
    return category_ceiling(kind, zone, category, extra, when, params)


def household_ceiling(
    kind: str,
    zone: Any,
    households: pd.DataFrame,
    when: dt.date | str,
    params: Parameters | None = None,
) -> FloatArray:
    """Annual income ceiling (€, RFR N-2) of each row of a canonical applications or households
    frame, its category (« jeune ménage » and disability increases included) given by
    ``mixite.household.ceiling_category``.

    ``kind`` is ``plai``, ``plus`` or ``pls``; ``zone`` P/I/A per row (or one zone for all; NaN
    for a missing zone).
    """
    _check_kind(kind)
    category, extra = ceiling_category(households, when, params)
    return category_ceiling(kind, zone, category, extra, when, params)
