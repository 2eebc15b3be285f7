"""The household: consumption units, resources per UC, Q1 status and income-ceiling category.

This module is the one definition of these notions; every other module (indicators, cotation,
allocation, marges, affordability, the synthetic territory) calls it. All functions are
vectorised (numpy arrays, pandas columns or scalars, broadcast together) and read their numbers
from the dated parameters of ``mixite.params``:

* **consumption units (UC)**: the modified OECD scale, ``uc.*`` parameters (``docs/droit.md``
  §3.3; ``docs/parametres.md``, section ``uc.yaml``): the first person aged ``uc.age_seuil`` or
  more weighs as the first adult, each other such person and each younger person have their own
  weight (``UcScale``, ``consumption_units``);
* **resources per UC** (€/year/UC) and the **Q1 status** of CCH art. L441-1: 12 × the monthly
  resources declared in the application, over the UC, below the first-quartile threshold of the
  year (``docs/droit.md`` §3.2, §3.4 and §3.5; ``docs/indicateurs.md``, « Objectifs légaux
  d'attribution ») — ``annual_resources``, ``resources_per_uc``, ``is_q1``,
  ``declared_resources_per_uc``, ``q1_status``;
* the **household category** 1–6 of the income ceilings and the **additional persons** beyond
  category 6 (arrêté du 29 juillet 1987, art. 2; ``docs/droit.md`` §7; ``docs/parametres.md``,
  section ``plafonds.yaml``), with the « jeune ménage » and disability increases —
  ``household_category``, ``additional_persons``, ``young_couple``, ``ceiling_category``;
* the **occupancy status** of a household in a dwelling (over-occupied below the minimum surface
  for its size, under-occupied with more rooms than persons plus a margin; ``mutations.*``
  parameters, ``docs/trajectoires.md``) — ``occupancy_status``.

Missing and zero counts (one rule, ``docs/decisions.md``, « Ménages »): the first person of a
household always weighs as the first adult, so a ``persons_14plus`` of zero (or below the number
of adults) is raised to ``max(adults, 1)``; a missing ``persons_14plus`` or ``household_size``
gives an unknown UC (NaN), hence unknown resources per UC and a household that is not Q1. A
household without any person, with more persons aged 14+ than persons, or with a negative or
fractional count is impossible: ``InputError`` in French. The canonical tables forbid all these
cases (``persons_14plus`` between ``adults`` and ``household_size``, checked on import).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mixite.errors import InputError, Location, ParameterError
from mixite.params import Parameters, resolve

if TYPE_CHECKING:  # pandas is imported where a Series is built: ``mixite parametres`` stays light
    import pandas as pd

__all__ = [
    "COUNTED_AGE",
    "MAX_CATEGORY",
    "MONTHS_PER_YEAR",
    "UcScale",
    "additional_persons",
    "annual_resources",
    "ceiling_category",
    "consumption_units",
    "couple_age_sum",
    "declared_resources_per_uc",
    "household_category",
    "is_q1",
    "occupancy_status",
    "q1_status",
    "resources_per_uc",
    "young_couple",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Age from which the canonical column ``persons_14plus`` counts a person (``schema.py``, SNE
#: « nombre de personnes de 14 ans ou plus »): ``uc.age_seuil`` must agree with the data.
COUNTED_AGE = 14
#: Months in a year: the Q1 test annualises the monthly resources declared in the application.
MONTHS_PER_YEAR = 12
#: Highest household category of the ceiling tables (arrêté du 29 juillet 1987, art. 2).
MAX_CATEGORY = 6

_HOUSEHOLDS = "ménages"
#: Columns the Q1 test reads in an applications or attributions frame.
_Q1_COLUMNS = ("monthly_resources", "adults", "persons_14plus", "household_size")
#: The column holding the age of the household's reference person, by canonical table.
_AGE_COLUMNS = ("applicant_age", "reference_age")


def _missing(value: Any) -> bool:
    """``None``, a float NaN or ``pd.NA`` (tested by type name: pandas is not imported here)."""
    if value is None or type(value).__name__ == "NAType":
        return True
    return isinstance(value, float) and value != value


def _numbers(values: Any) -> FloatArray:
    """``values`` as float64, NaN where missing (``None``, ``NaN``, ``pd.NA``)."""
    if not isinstance(values, np.ndarray) and hasattr(values, "to_numpy"):
        # a pandas Series, Index or extension array (nullable integers hold pd.NA)
        out: FloatArray = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return out
    array = np.asarray(values)
    if array.dtype == object:
        array = np.array(
            [np.nan if _missing(v) else v for v in array.ravel()], dtype=np.float64
        ).reshape(array.shape)
    return np.asarray(array, dtype=np.float64)


def _counts(values: Any, column: str, *, allow_missing: bool) -> FloatArray:
    """A count of persons per household as float64 (NaN where missing, when allowed).

    Raises ``InputError`` for a negative or fractional count, and for a missing one unless
    ``allow_missing``.
    """
    array = _numbers(values)
    missing = np.isnan(array)
    if missing.any() and not allow_missing:
        raise InputError(
            "Valeur manquante pour le calcul des plafonds ou des unités de consommation",
            Location(_HOUSEHOLDS, column=column, value="vide"),
            "Renseignez cette colonne pour chaque ménage.",
        )
    known = array[~missing]
    if known.size and (known != np.round(known)).any():
        raise InputError(
            "Nombre de personnes non entier",
            Location(_HOUSEHOLDS, column=column, value=str(known[known != np.round(known)][0])),
            "Indiquez un nombre entier de personnes.",
        )
    if known.size and (known < 0).any():
        raise InputError(
            "Nombre de personnes négatif",
            Location(_HOUSEHOLDS, column=column, value=str(int(known[known < 0][0]))),
            "Indiquez un nombre de personnes positif ou nul.",
        )
    return array


def _check_size(size: FloatArray) -> None:
    if (size < 1).any():
        raise InputError(
            "Ménage sans aucune personne",
            Location(_HOUSEHOLDS, column="household_size", value=str(int(size[size < 1][0]))),
            "Un ménage compte au moins une personne.",
        )


def _persons_14plus(
    persons_14plus: Any, household_size: Any, adults: Any
) -> tuple[FloatArray, FloatArray]:
    """``(persons aged 14+, persons)`` per household, the rule of the module docstring applied."""
    size = _counts(household_size, "household_size", allow_missing=True)
    older = _counts(persons_14plus, "persons_14plus", allow_missing=True)
    first: FloatArray | float = 1.0
    if adults is not None:
        # a missing number of adults only leaves the floor of one person
        first = np.fmax(_counts(adults, "adults", allow_missing=True), 1.0)
    older, size = np.broadcast_arrays(np.maximum(older, first), size)
    _check_size(size)
    over = older > size
    if over.any():
        where = np.flatnonzero(over)[0]
        raise InputError(
            "Plus de personnes de 14 ans ou plus que de personnes dans le ménage",
            Location(_HOUSEHOLDS, column="persons_14plus", value=str(int(older.flat[where]))),
            f"Corrigez la taille du ménage ({int(size.flat[where])}) ou le nombre de personnes "
            "de 14 ans ou plus.",
        )
    return older, size


@dataclass(frozen=True)
class UcScale:
    """The weights of the consumption-unit scale (UC per person).

    ``first_adult``: the first person aged 14 or more; ``other_14_plus``: each other such person;
    ``child_under_14``: each younger person. ``from_parameters`` reads them from ``uc.*``; build
    one directly only for a test or a what-if scale.
    """

    first_adult: float
    other_14_plus: float
    child_under_14: float

    @classmethod
    def from_parameters(cls, when: dt.date | str, params: Parameters | None = None) -> UcScale:
        """The scale of the ``uc.*`` parameters in force at ``when`` (modified OECD scale).

        Raises ``ParameterError`` when ``uc.age_seuil`` differs from the age the canonical
        ``persons_14plus`` column counts (``COUNTED_AGE``): the data could not follow it.
        """
        p = resolve(params)
        age = int(p.value("uc.age_seuil", when))
        if age != COUNTED_AGE:
            raise ParameterError(
                f"L'échelle des unités de consommation compte les adultes à partir de {age} ans "
                f"(uc.age_seuil), mais les données comptent les personnes de {COUNTED_AGE} ans "
                "ou plus (colonne nb_14_ans_et_plus) : les deux doivent être égaux."
            )
        return cls(
            first_adult=float(p.value("uc.premier_adulte", when)),
            other_14_plus=float(p.value("uc.autre_14_ans_et_plus", when)),
            child_under_14=float(p.value("uc.enfant_moins_14_ans", when)),
        )

    def units(self, persons_14plus: Any, household_size: Any, adults: Any = None) -> FloatArray:
        """Consumption units of each household (UC, float64; NaN when a count is missing).

        ``first_adult + other_14_plus × (14+ − 1) + child_under_14 × (persons − 14+)``, the
        14+ count raised to ``max(adults, 1)`` (``adults`` optional); see the module docstring
        for missing and impossible households.
        """
        older, size = _persons_14plus(persons_14plus, household_size, adults)
        out: FloatArray = (
            self.first_adult
            + self.other_14_plus * (older - 1.0)
            + self.child_under_14 * (size - older)
        )
        return out


def consumption_units(
    adults: Any,
    persons_14plus: Any,
    household_size: Any,
    when: dt.date | str,
    params: Parameters | None = None,
) -> FloatArray:
    """Consumption units of each household (UC, float64), scale ``uc.*`` in force at ``when``.

    Modified OECD scale (``docs/droit.md`` §3.3): 1 for the first person aged 14 or
    more, 0.5 for each other one, 0.3 for each younger person with the packaged parameters.
    ``persons_14plus`` counts every person aged 14 or more, adults included; it is raised to
    ``max(adults, 1)``. A missing count gives NaN; a household without any person or with more
    persons aged 14+ than persons raises ``InputError``.
    """
    return UcScale.from_parameters(when, params).units(persons_14plus, household_size, adults)


def annual_resources(monthly_resources: Any) -> FloatArray:
    """12 × the monthly resources (€/month → €/year, float64; NaN stays NaN).

    The Q1 test annualises the monthly resources declared in the application (``docs/droit.md``
    §3.2 and §3.5).
    """
    out: FloatArray = MONTHS_PER_YEAR * _numbers(monthly_resources)
    return out


def resources_per_uc(annual_resources: Any, units: Any) -> FloatArray:
    """Annual resources per consumption unit (€/year/UC, float64).

    ``annual_resources`` in €/year (``annual_resources()`` of the monthly resources of an
    application, or the annual resources of an occupant household), ``units`` from
    ``consumption_units``; NaN when either is missing.
    """
    out: FloatArray = _numbers(annual_resources) / _numbers(units)
    return out


def is_q1(resources_per_uc: Any, threshold: float, strict: bool = True) -> BoolArray:
    """Q1 status of CCH art. L441-1: resources per UC (€/year/UC) below ``threshold``.

    ``threshold`` is the first-quartile threshold of the year (€/year/UC,
    ``indicators.quotas.q1_threshold``). ``strict`` compares with ``<`` (default), otherwise
    with ``≤``: the arrêté's wording is not confirmed (``docs/droit.md`` §3.4). Unknown resources
    per UC (NaN) are never Q1.
    """
    values = _numbers(resources_per_uc)
    out: BoolArray = values < threshold if strict else values <= threshold
    return out


def _require(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"Colonne « {missing[0]} » absente de la table « {table} »",
            Location(table, column=missing[0]),
            "Importez la table avec les colonnes canoniques de mixite (voir docs/formats.md).",
        )


def declared_resources_per_uc(
    frame: pd.DataFrame, when: dt.date | str, params: Parameters | None = None
) -> FloatArray:
    """12 × declared monthly resources / UC of each row (€/year/UC, float64).

    ``frame`` is a canonical applications or attributions frame (``monthly_resources``,
    ``adults``, ``persons_14plus``, ``household_size``); the UC scale is the one in force at
    ``when``. This is the quantity the Q1 test and the recomputed Q1 threshold compare.
    """
    _require(frame, _Q1_COLUMNS, "demandes ou attributions")
    units = consumption_units(
        frame["adults"], frame["persons_14plus"], frame["household_size"], when, params
    )
    return resources_per_uc(annual_resources(frame["monthly_resources"]), units)


def q1_status(
    frame: pd.DataFrame,
    threshold: float,
    when: dt.date | str,
    params: Parameters | None = None,
    strict: bool = True,
) -> pd.Series:
    """Whether each row of an applications or attributions frame is Q1 (bool Series, ``q1``).

    ``is_q1`` of ``declared_resources_per_uc`` (UC scale in force at ``when``) against
    ``threshold`` (€/year/UC); ``strict`` as in ``is_q1``. Same index as ``frame``.
    """
    import pandas as pd

    per_uc = declared_resources_per_uc(frame, when, params)
    return pd.Series(is_q1(per_uc, threshold, strict), index=frame.index, name="q1")


def _flags(values: Any, shape: tuple[int, ...]) -> BoolArray:
    if values is None:
        return np.zeros(shape, dtype=bool)
    array = np.asarray(values)
    if array.dtype == object:
        array = np.array([not _missing(v) and bool(v) for v in array.ravel()]).reshape(array.shape)
    out: BoolArray = np.broadcast_to(np.asarray(array, dtype=bool), shape)
    return out


def _whole(values: Any, column: str, shape: tuple[int, ...] | None = None) -> IntArray:
    out: IntArray = _counts(values, column, allow_missing=False).astype(np.int64)
    return out if shape is None else np.broadcast_to(out, shape)


def _effective_persons(
    household_size: Any, adults: Any, dependants: Any, young: Any, disabled: Any
) -> IntArray:
    size = _whole(household_size, "household_size")
    _check_size(size.astype(np.float64))
    n_adults = _whole(adults, "adults", size.shape)
    n_dependants = _whole(dependants, "dependants", size.shape)
    single_parent = (n_adults == 1) & (n_dependants >= 1) & (size >= 2)
    young_flag = _flags(young, size.shape) & (size == 2) & (n_dependants == 0)
    handicap = _flags(disabled, size.shape)
    bonus = (single_parent | young_flag | handicap).astype(np.int64)
    out: IntArray = size + bonus
    return out


def household_category(
    household_size: Any,
    adults: Any,
    dependants: Any,
    young_couple: Any = None,
    disabled: Any = None,
) -> IntArray:
    """Household category 1..6 of the income ceilings (arrêté du 29 juillet 1987, art. 2).

    Category = number of persons, plus one for a single adult with at least one dependant
    (« personne seule avec personne(s) à charge »), a household counting a disabled person, or a
    « jeune ménage » of two persons without dependant (``young_couple``, see ``young_couple()``);
    the increases do not add up. Capped at ``MAX_CATEGORY`` (6): ``additional_persons`` gives
    the rest (``docs/droit.md`` §7, « Catégories de ménage »). Int64 array.
    """
    out: IntArray = np.minimum(
        _effective_persons(household_size, adults, dependants, young_couple, disabled),
        MAX_CATEGORY,
    )
    return out


def additional_persons(
    household_size: Any,
    adults: Any,
    dependants: Any,
    young_couple: Any = None,
    disabled: Any = None,
) -> IntArray:
    """Persons counted beyond category 6 (each adds the « personne supplémentaire » amount)."""
    effective = _effective_persons(household_size, adults, dependants, young_couple, disabled)
    out: IntArray = np.maximum(effective - MAX_CATEGORY, 0)
    return out


def couple_age_sum(reference_age: Any) -> FloatArray:
    """The sum of the two ages of a couple known by one age only (years, float64; NaN if missing).

    Applications carry the applicant's age only, OPS households the reference person's: both
    members are taken at that age, i.e. twice it (``docs/decisions.md``, « Ménages »).
    """
    out: FloatArray = 2.0 * _numbers(reference_age)
    return out


def young_couple(
    adults: Any,
    dependants: Any,
    household_size: Any,
    age_sum: Any,
    when: dt.date | str,
    params: Parameters | None = None,
) -> BoolArray:
    """Whether each household is a « jeune ménage » (arrêté du 29 juillet 1987, art. 2).

    A couple (two adults) of two persons without dependant whose ages sum to at most
    ``plafonds.jeune_menage.somme_ages_max`` (55 years) at ``when`` (``docs/droit.md`` §7).
    ``age_sum`` in years (``couple_age_sum`` when only one age is known); a missing sum is not
    young.
    """
    p = resolve(params)
    limit = float(p.value("plafonds.jeune_menage.somme_ages_max", when))
    ages = _numbers(age_sum)
    n_adults = _numbers(adults)
    n_dependants = _numbers(dependants)
    size = _numbers(household_size)
    out: BoolArray = (n_adults == 2) & (size == 2) & (n_dependants == 0) & (ages <= limit)
    return out


def ceiling_category(
    frame: pd.DataFrame, when: dt.date | str, params: Parameters | None = None
) -> tuple[IntArray, IntArray]:
    """``(category, additional persons)`` of each row of an applications or households frame.

    Reads ``household_size``, ``adults``, ``dependants``; the age of the reference person
    (``applicant_age`` of an application, ``reference_age`` of an OPS household, both members of
    a couple taken at that age: ``couple_age_sum``) for the « jeune ménage » increase, and
    ``disability`` when present (OPS households do not record it: no increase). Without an age
    column the « jeune ménage » increase is not applied. Parameters in force at ``when``.
    """
    _require(frame, ("household_size", "adults", "dependants"), _HOUSEHOLDS)
    size = frame["household_size"]
    adults = frame["adults"]
    dependants = frame["dependants"]
    age_column = next((c for c in _AGE_COLUMNS if c in frame.columns), None)
    young: BoolArray | None = None
    if age_column is not None:
        ages = couple_age_sum(frame[age_column])
        young = young_couple(adults, dependants, size, ages, when, params)
    disabled = (
        frame["disability"].to_numpy(dtype=bool, na_value=False)
        if "disability" in frame.columns
        else None
    )
    return (
        household_category(size, adults, dependants, young, disabled),
        additional_persons(size, adults, dependants, young, disabled),
    )


#: Occupancy status codes of ``occupancy_status``.
OVER_OCCUPIED, ADEQUATE, UNDER_OCCUPIED = -1, 0, 1


def occupancy_status(
    household_size: Any,
    rooms: Any,
    surface: Any,
    when: dt.date | str,
    params: Parameters | None = None,
) -> IntArray:
    """-1 over-occupied, 0 adequate, 1 under-occupied, for each household in its dwelling.

    Over-occupied: the surface (m²) is below the minimum for the household size
    (``mutations.surface_minimale``: one value per size 1, 2, …, the last for every larger
    size; a missing surface is never over-occupied). Under-occupied (CCH art. L621-2): more rooms
    than persons plus ``mutations.sous_occupation_pieces_en_plus``. Broadcast arrays.
    """
    p = resolve(params)
    minimum = np.asarray(p.value("mutations.surface_minimale", when), dtype=np.float64)
    margin = int(p.value("mutations.sous_occupation_pieces_en_plus", when))
    size = _numbers(household_size)
    area = _numbers(surface)
    n_rooms = _numbers(rooms)
    index = np.clip(np.nan_to_num(size, nan=1.0).astype(np.int64), 1, minimum.size) - 1
    over = np.nan_to_num(area, nan=np.inf) < minimum[index]
    under = n_rooms > size + margin
    out: IntArray = np.where(over, OVER_OCCUPIED, np.where(under, UNDER_OCCUPIED, ADEQUATE))
    return out.astype(np.int64)
