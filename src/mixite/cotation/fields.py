"""Fields a cotation grid may test: the canonical application columns plus derived fields.

A grid names a field by its canonical name (``household_size``), by its French header in
mixite's CSV format (``nb_personnes``) or, for derived fields, by the French alias listed below.
Derived fields are computed at the reference date of the scoring (1 January of the millésime):

=============================  ===========================  =====================================
canonical name                 French alias                 definition
=============================  ===========================  =====================================
``seniority_months``           ``anciennete_mois``          full months between ``filing_date``
                                                            and the reference date
``children_under_14``          ``enfants_moins_14_ans``     ``household_size - persons_14plus``
``income_per_uc``              ``ressources_par_uc``        ``12 × monthly_resources / UC`` (€/an),
                                                            ``household.resources_per_uc`` with
                                                            the context's ``household.UcScale``
``q1``                         ``q1``                       ``household.is_q1``: ``income_per_uc``
                                                            strictly below the Q1 threshold of the
                                                            context (``≤`` if not ``q1_strict``)
``persons_per_room``           ``personnes_par_piece``      ``household_size / current_rooms``
                                                            (missing when no current rooms)
``effort_rate_current``        ``taux_effort_actuel``       ``current_rent / monthly_resources``
                                                            (missing when no rent or resources)
``first_wished_commune``       ``commune_souhaitee_1``      first commune of ``wished_communes``
``any_priority``               ``prioritaire``              at least one L441-1 priority code
``in_priority:x``              ``priorite:x``               code ``x`` is in ``priority_codes``
=============================  ===========================  =====================================

A missing value (``None``/``NaN``/``NaT``) never satisfies a comparison, ``!=`` included; the
negation ``non`` of such a comparison is satisfied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mixite.errors import ConfigError
from mixite.household import UcScale, annual_resources, is_q1, resources_per_uc
from mixite.schema import APPLICATIONS, PRIORITY_CODES, Column

Kind = Literal["int", "float", "bool", "str", "list", "date"]

__all__ = [
    "FieldSpec",
    "FieldValues",
    "ScoringContext",
    "evaluate_field",
    "field_spec",
    "known_fields",
]


@dataclass(frozen=True)
class ScoringContext:
    """What derived fields need besides the applications.

    ``reference_date``: the date seniority is measured at (1 January of the millésime).
    ``q1_threshold``: annual resources per UC (€) below which an applicant is Q1 (ministerial
    arrêté of the year, ``docs/cotation.md``); needed only by grids that test ``q1``.
    ``uc_scale``: the ``mixite.household.UcScale`` of the date, needed only by grids that test
    ``income_per_uc`` or ``q1``. ``q1_strict``: ``<`` (default) or ``≤`` against the threshold,
    as in ``household.is_q1``.
    """

    reference_date: dt.date
    q1_threshold: float | None = None
    uc_scale: UcScale | None = None
    q1_strict: bool = True


@dataclass(frozen=True)
class FieldSpec:
    """A field usable in a condition: its canonical name, type, French label and codes."""

    name: str
    kind: Kind
    label: str
    codes: tuple[str, ...] | None = None
    derived: bool = False


_KIND_OF_DTYPE: dict[str, Kind] = {
    "int": "int",
    "float": "float",
    "bool": "bool",
    "str": "str",
    "list": "list",
    "date": "date",
}


def _canonical_specs() -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for col in APPLICATIONS.columns:
        if col.name == "application_id":
            continue
        out[col.name] = FieldSpec(col.name, _KIND_OF_DTYPE[col.dtype], col.description, col.codes)
    return out


_DERIVED: dict[str, FieldSpec] = {
    "seniority_months": FieldSpec(
        "seniority_months", "int", "ancienneté de la demande (mois)", derived=True
    ),
    "children_under_14": FieldSpec(
        "children_under_14", "int", "enfants de moins de 14 ans", derived=True
    ),
    "income_per_uc": FieldSpec(
        "income_per_uc", "float", "ressources annuelles par unité de consommation (€)", derived=True
    ),
    "q1": FieldSpec("q1", "bool", "ménage du premier quartile (Q1)", derived=True),
    "persons_per_room": FieldSpec(
        "persons_per_room", "float", "personnes par pièce du logement actuel", derived=True
    ),
    "effort_rate_current": FieldSpec(
        "effort_rate_current", "float", "taux d'effort actuel (loyer / ressources)", derived=True
    ),
    "first_wished_commune": FieldSpec(
        "first_wished_commune", "str", "première commune souhaitée", derived=True
    ),
    "any_priority": FieldSpec(
        "any_priority", "bool", "au moins un motif de priorité L441-1", derived=True
    ),
}

_DERIVED_ALIASES = {
    "anciennete_mois": "seniority_months",
    "enfants_moins_14_ans": "children_under_14",
    "ressources_par_uc": "income_per_uc",
    "personnes_par_piece": "persons_per_room",
    "taux_effort_actuel": "effort_rate_current",
    "commune_souhaitee_1": "first_wished_commune",
    "prioritaire": "any_priority",
}

PRIORITY_PREFIXES = ("in_priority:", "priorite:")

_CANONICAL = _canonical_specs()
_HEADER_ALIASES = {
    col.header: col.name
    for col in APPLICATIONS.columns
    if col.name != "application_id" and col.header != col.name
}


def known_fields() -> list[str]:
    """Every field name a grid may use (canonical names first, then French aliases)."""
    names = list(_CANONICAL) + list(_DERIVED)
    names += ["in_priority:<code>"]
    aliases = [*sorted(set(_HEADER_ALIASES) | set(_DERIVED_ALIASES)), "priorite:<code>"]
    return names + aliases


def field_spec(name: str) -> FieldSpec | None:
    """The spec of a field name as written in a grid (alias resolved), or None when unknown.

    ``in_priority:x`` with an unknown code ``x`` is unknown too.
    """
    for prefix in PRIORITY_PREFIXES:
        if name.startswith(prefix):
            code = name[len(prefix) :]
            if code not in PRIORITY_CODES:
                return None
            return FieldSpec(
                f"in_priority:{code}",
                "bool",
                f"motif de priorité « {code} » ({PRIORITY_CODES[code]})",
                derived=True,
            )
    canonical = _HEADER_ALIASES.get(name, _DERIVED_ALIASES.get(name, name))
    return _CANONICAL.get(canonical) or _DERIVED.get(canonical)


@dataclass(frozen=True)
class FieldValues:
    """Values of one field over all applications.

    ``values``: float64 for numbers (NaN when missing), bool, datetime64[ns] for dates; empty
    for strings and lists, which are held as Arrow arrays in ``text`` (one string per row for a
    string field; the flattened elements for a list field, whose row is given by ``parents``).
    ``valid``: True where the value is present (all True for lists).
    """

    kind: Kind
    values: np.ndarray
    valid: np.ndarray
    text: pa.Array | None = None
    parents: np.ndarray | None = None

    def labels(self) -> np.ndarray:
        """String values as an object array (``None`` when missing; elements for lists)."""
        assert self.text is not None
        return np.asarray(self.text.to_numpy(zero_copy_only=False), dtype=object)


_EMPTY = np.empty(0)


def _arrow_strings(series: pd.Series) -> pa.Array:
    """A string column as one Arrow string array, without copying Arrow-backed columns."""
    backing = getattr(series.array, "_pa_array", None)
    if backing is not None and (
        pa.types.is_string(backing.type) or pa.types.is_large_string(backing.type)
    ):
        return pa.chunked_array(backing).combine_chunks()
    values = series.astype(object).to_numpy(dtype=object)
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise ConfigError(
            f"La colonne « {series.name} » des demandes contient des valeurs qui ne sont pas du "
            "texte ; importez les demandes au format canonique (codes en texte)."
        ) from None


def _bools(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _months_between(start: np.ndarray, end: dt.date) -> np.ndarray:
    """Full months (float64, NaN for NaT) from each ``start`` (datetime64) to ``end``.

    Negative when ``start`` is later. The calendar arithmetic is done once per distinct day of
    the range spanned by ``start`` and gathered, so the cost is linear in the rows.
    """
    days = start.astype("datetime64[D]")
    valid = ~np.isnat(days)
    out = np.full(len(days), np.nan)
    if not valid.any():
        return out
    numbers = days.view(np.int64)
    low = int(numbers[valid].min())
    high = int(numbers[valid].max())
    span = np.arange(low, high + 1, dtype=np.int64).astype("datetime64[D]")
    months = span.astype("datetime64[M]")
    years = months.astype(np.int64) // 12 + 1970
    month_of_year = months.astype(np.int64) % 12 + 1
    day = (span - months.astype("datetime64[D]")).astype(np.int64) + 1
    table = (end.year - years) * 12 + (end.month - month_of_year) - (day > end.day)
    out[valid] = table[numbers[valid] - low]
    return out


def _number(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return values, ~np.isnan(values)


def _list_column(series: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Flatten a list column into (row of each element, elements), without a row loop."""
    if isinstance(series.dtype, pd.ArrowDtype):
        array = pa.chunked_array(series.array._pa_array).combine_chunks()
    else:
        array = pa.array(series.to_numpy(dtype=object), type=pa.list_(pa.string()))
    parents = pc.list_parent_indices(array).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(array)
    if not (pa.types.is_string(flat.type) or pa.types.is_large_string(flat.type)):
        flat = flat.cast(pa.string())
    return parents.astype(np.int64), flat


def _require_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        col: Column = APPLICATIONS.column(name)
        raise ConfigError(
            f"La table des demandes n'a pas de colonne « {name} » ({col.header}) ; "
            "importez des demandes au format canonique."
        )
    return frame[name]


def evaluate_field(
    frame: pd.DataFrame, spec: FieldSpec, context: ScoringContext, cache: dict[str, FieldValues]
) -> FieldValues:
    """Values of ``spec`` over ``frame`` (cached by canonical name in ``cache``)."""
    if spec.name in cache:
        return cache[spec.name]
    result = _compute(frame, spec, context, cache)
    cache[spec.name] = result
    return result


def _get(
    frame: pd.DataFrame, name: str, context: ScoringContext, cache: dict[str, FieldValues]
) -> FieldValues:
    spec = field_spec(name)
    assert spec is not None
    return evaluate_field(frame, spec, context, cache)


def _compute(
    frame: pd.DataFrame, spec: FieldSpec, context: ScoringContext, cache: dict[str, FieldValues]
) -> FieldValues:
    n = len(frame)
    everywhere = np.ones(n, dtype=bool)
    name = spec.name
    if not spec.derived:
        series = _require_column(frame, name)
        if spec.kind in ("int", "float"):
            numbers, valid = _number(series)
            return FieldValues(spec.kind, numbers, valid)
        if spec.kind == "bool":
            flags = series.to_numpy(dtype=bool, na_value=False)
            return FieldValues("bool", flags, everywhere)
        if spec.kind == "date":
            dates = pd.to_datetime(series).to_numpy(dtype="datetime64[ns]")
            return FieldValues("date", dates, ~np.isnat(dates))
        if spec.kind == "str":
            text = _arrow_strings(series)
            return FieldValues("str", _EMPTY, _bools(pc.is_valid(text)), text)
        lparents, flat = _list_column(series)
        return FieldValues("list", _EMPTY, everywhere, flat, lparents)

    if name == "seniority_months":
        filing = _get(frame, "filing_date", context, cache)
        months = _months_between(filing.values, context.reference_date)
        return FieldValues("int", months, filing.valid)
    if name == "children_under_14":
        size = _get(frame, "household_size", context, cache)
        older = _get(frame, "persons_14plus", context, cache)
        return FieldValues("int", size.values - older.values, size.valid & older.valid)
    if name == "income_per_uc":
        if context.uc_scale is None:
            raise ConfigError(
                "La grille utilise les ressources par unité de consommation, mais l'échelle "
                "des unités de consommation (paramètres uc.*) n'est pas fournie."
            )
        size = _get(frame, "household_size", context, cache)
        older = _get(frame, "persons_14plus", context, cache)
        adults = _get(frame, "adults", context, cache)
        resources = _get(frame, "monthly_resources", context, cache)
        units = context.uc_scale.units(older.values, size.values, adults.values)
        per_uc = resources_per_uc(annual_resources(resources.values), units)
        return FieldValues("float", per_uc, ~np.isnan(per_uc))
    if name == "q1":
        if context.q1_threshold is None:
            raise ConfigError(
                "La grille utilise le champ « q1 », mais aucun seuil du premier quartile n'est "
                "connu pour ce territoire et cette date. Indiquez-le avec --seuil-q1 ou dans "
                "territoire.yaml (seuil_q1)."
            )
        income = _get(frame, "income_per_uc", context, cache)
        q1 = is_q1(income.values, context.q1_threshold, context.q1_strict)
        return FieldValues("bool", q1, everywhere)
    if name == "persons_per_room":
        size = _get(frame, "household_size", context, cache)
        rooms = _get(frame, "current_rooms", context, cache)
        valid = size.valid & rooms.valid & (rooms.values > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(valid, size.values / rooms.values, np.nan)
        return FieldValues("float", ratio, valid)
    if name == "effort_rate_current":
        rent = _get(frame, "current_rent", context, cache)
        resources = _get(frame, "monthly_resources", context, cache)
        valid = rent.valid & resources.valid & (resources.values > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(valid, rent.values / resources.values, np.nan)
        return FieldValues("float", rate, valid)
    if name == "first_wished_commune":
        wished = _get(frame, "wished_communes", context, cache)
        assert wished.parents is not None and wished.text is not None
        first = np.full(n, -1, dtype=np.int64)
        if len(wished.parents):
            is_first = np.ones(len(wished.parents), dtype=bool)
            is_first[1:] = wished.parents[1:] != wished.parents[:-1]
            first[wished.parents[is_first]] = np.flatnonzero(is_first)
        take = pa.array(first, mask=first < 0)
        text = wished.text.take(take)
        return FieldValues("str", _EMPTY, _bools(pc.is_valid(text)), text)
    if name == "any_priority":
        codes = _get(frame, "priority_codes", context, cache)
        assert codes.parents is not None
        present = np.zeros(n, dtype=bool)
        present[codes.parents] = True
        return FieldValues("bool", present, everywhere)
    if name.startswith("in_priority:"):
        code = name.split(":", 1)[1]
        codes = _get(frame, "priority_codes", context, cache)
        assert codes.parents is not None and codes.text is not None
        present = np.zeros(n, dtype=bool)
        hit = _bools(pc.equal(codes.text, code).fill_null(False))
        present[codes.parents[hit]] = True
        return FieldValues("bool", present, everywhere)
    raise AssertionError(name)  # pragma: no cover - every derived field is handled above


def reference_context(
    millesime: int, territory: pd.DataFrame | None, q1_threshold: float | None = None
) -> ScoringContext:
    """The scoring context of store millésime N: reference date 1 January N, UC scale of that
    date, and the Q1 threshold in force in N (``q1_threshold`` when given, else the territory's,
    via ``indicators.quotas.q1_threshold``).

    A missing UC scale or Q1 threshold is not an error here: the engine reports it in French
    only if the grid actually uses ``q1`` or ``ressources_par_uc``.
    """
    from mixite.errors import MixiteError
    from mixite.indicators.quotas import q1_threshold as territory_threshold

    reference = dt.date(millesime, 1, 1)
    try:
        scale: UcScale | None = UcScale.from_parameters(reference)
    except MixiteError:
        scale = None
    threshold = q1_threshold
    if threshold is None and territory is not None and not territory.empty:
        try:
            threshold = territory_threshold(territory, millesime)
        except MixiteError:
            threshold = None
    return ScoringContext(reference, threshold, scale)
