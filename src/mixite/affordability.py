"""Housing benefit (APL), effort rate and reste à vivre of social tenants, vectorised.

The monthly *aide personnalisée au logement* of a tenant of a conventionné dwelling (metropolitan
France, general case: no flat-sharing, no room, no *logement-foyer*) follows CCH art. L821-1 and
following, D823-16 and D823-17 and the arrêté du 27 septembre 2019; the *réduction de loyer de
solidarité* (RLS) of HLM tenants follows CCH art. L442-2-1 and the arrêté du 27 février 2018.
Every amount comes from the dated parameters ``apl.*`` (``src/mixite/params/apl.yaml``). The
computation reproduces OpenFisca-France's variable ``aide_logement`` for a ``locataire_hlm``
household, step by step and with the same roundings (see ``docs/solvabilite.md``)::

    L   = min(rent, rent ceiling(zone, couple, dependants))           retained rent (€/month)
    C   = charges allowance(dependants)                                (€/month)
    R   = annual resources rounded up to the next 100 €                (€/year)
    P0  = max(8.5 % × (L + C), P0 forfait)
    RL  = L / reference rent (zone II ceiling), in percent, 2 decimals
    TL  = banded rate of RL, 5 decimals;  TF = family rate;  Tp = TF + TL
    Pp  = P0 + Tp × max(0, R − R0)                                    personal participation
    A   = max(0, L + C − Pp), 0 below the minimum payment
    A   = round(A × degressivity coefficient, 2) − 5 € minoration, ≥ 0
    A   = max(0, A − 98 % × RLS)                                        RLS offset
    APL = floor(A − CRDS), CRDS = 0.5 % rounded down to the cent        (whole euros)

All functions take numpy arrays (or scalars) that broadcast together: N households, or N
households × M dwellings as ``(N, 1)`` and ``(1, M)`` arrays, or two long arrays of pairs. No
Python loop runs per household.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixite.ceilings import consumption_units
from mixite.errors import InputError, Location
from mixite.params import Parameters, as_date, default_parameters

__all__ = [
    "DAYS_PER_MONTH",
    "DEFAULT_MAX_EFFORT_RATE",
    "DEFAULT_MIN_RESTE_A_VIVRE",
    "AplScale",
    "BenefitDetail",
    "affordable_pairs",
    "apl_scale",
    "consumption_units",
    "effort_rate",
    "housing_benefit",
    "housing_benefit_detail",
    "net_housing_cost",
    "reste_a_vivre",
    "territory_thresholds",
]

FloatArray = npt.NDArray[np.float64]

#: Default maximum effort rate of the CAL charter (local convention, not a legal number;
#: the territory file's ``taux_effort_max`` overrides it, domaine.md §8.2).
DEFAULT_MAX_EFFORT_RATE = 0.35
#: Default minimum reste à vivre of the CAL charter, in € per consumption unit per day (local
#: convention; the territory file's ``reste_a_vivre_min`` overrides it, domaine.md §8.2).
DEFAULT_MIN_RESTE_A_VIVRE = 12.0
#: Days per month used to express the reste à vivre per day (CAL-charter convention).
DAYS_PER_MONTH = 30.0

_ZONES = (1, 2, 3)
#: Number of composition classes with their own R0/TF/RLS-ceiling value: single, couple,
#: 1 to 6 dependants; beyond 6, a per-extra-dependant increment applies.
_MAX_LISTED_DEPENDANTS = 6


@dataclass(frozen=True)
class AplScale:
    """The APL and RLS parameters in force at one date, as small lookup arrays.

    Arrays indexed by zone have length 4 (index 0 unused, 1..3 = zones I..III). Arrays indexed
    by composition class have length 8: 0 = single without dependant, 1 = couple without
    dependant, 1 + k = household with k dependants (k = 1..6).
    """

    date: dt.date
    ceiling_single: FloatArray
    ceiling_couple: FloatArray
    ceiling_one_dependant: FloatArray
    ceiling_extra_dependant: FloatArray
    reference_zone: int
    charges_base: float
    charges_per_dependant: float
    p0_forfait: float
    p0_rate: float
    r0: FloatArray
    r0_extra: float
    family_rate: FloatArray
    family_rate_extra: float
    tl_threshold_1: float
    tl_threshold_2: float
    tl_rate_1: float
    tl_rate_2: float
    tl_rate_3: float
    degressivity_start: FloatArray
    degressivity_end: FloatArray
    minoration: float
    minimum_payment: float
    crds_rate: float
    resources_rounding: float
    rls_offset_rate: float
    rls_single: FloatArray
    rls_couple: FloatArray
    rls_one_dependant: FloatArray
    rls_extra_dependant: FloatArray
    rls_ceiling: FloatArray  # shape (4, 8): zone × composition class, € per month
    rls_ceiling_extra: FloatArray
    ceiling_table: FloatArray  # (4, 8) zone × composition class, before extra dependants
    rls_amount_table: FloatArray  # (4, 8) zone × composition class, before extra dependants


def _zone_class_table(
    single: FloatArray, couple: FloatArray, one: FloatArray, extra: FloatArray
) -> FloatArray:
    """(4, 8) table zone × composition class of an amount given per zone for a single person, a
    couple, one dependant and each extra dependant (up to six dependants)."""
    table = np.zeros((4, 2 + _MAX_LISTED_DEPENDANTS), dtype="float64")
    table[:, 0] = single
    table[:, 1] = couple
    for k in range(1, _MAX_LISTED_DEPENDANTS + 1):
        table[:, 1 + k] = one + (k - 1) * extra
    return table


def _by_zone(params: Parameters, name: str, when: dt.date) -> FloatArray:
    out = np.zeros(4, dtype="float64")
    for zone in _ZONES:
        out[zone] = float(params.value(name.format(zone=zone), when))
    return out


def _by_class(params: Parameters, prefix: str, when: dt.date) -> FloatArray:
    names = ["personne_seule", "couple"] + [
        f"pac_{k}" for k in range(1, _MAX_LISTED_DEPENDANTS + 1)
    ]
    return np.array([float(params.value(f"{prefix}.{n}", when)) for n in names], dtype="float64")


def apl_scale(when: dt.date | str, params: Parameters | None = None) -> AplScale:
    """Read every ``apl.*`` parameter in force at ``when`` (first day of the benefit month).

    With the packaged parameters (``params=None``) the scale of each date is read once and kept
    (its arrays are read-only).
    """
    day = as_date(when)
    if params is None:
        return _packaged_scale(day)
    return _read_scale(day, params)


@lru_cache(maxsize=64)
def _packaged_scale(day: dt.date) -> AplScale:
    return _read_scale(day, default_parameters())


def _read_scale(day: dt.date, p: Parameters) -> AplScale:

    def v(name: str) -> float:
        return float(p.value(f"apl.{name}", day))

    rls_ceiling = np.zeros((4, 2 + _MAX_LISTED_DEPENDANTS), dtype="float64")
    rls_ceiling_extra = np.zeros(4, dtype="float64")
    for zone in _ZONES:
        prefix = f"apl.rls.plafond_ressources.zone_{zone}"
        rls_ceiling[zone] = _by_class(p, prefix, day)
        rls_ceiling_extra[zone] = float(p.value(f"{prefix}.par_pac_supplementaire", day))
    ceilings = [
        _by_zone(p, f"apl.loyer_plafond.zone_{{zone}}.{name}", day)
        for name in (
            "personne_seule",
            "couple",
            "une_personne_a_charge",
            "par_personne_a_charge_supplementaire",
        )
    ]
    rls_amounts = [
        _by_zone(p, f"apl.rls.montant.zone_{{zone}}.{name}", day)
        for name in (
            "personne_seule",
            "couple",
            "une_personne_a_charge",
            "par_personne_a_charge_supplementaire",
        )
    ]
    scale = AplScale(
        date=day,
        ceiling_single=_by_zone(p, "apl.loyer_plafond.zone_{zone}.personne_seule", day),
        ceiling_couple=_by_zone(p, "apl.loyer_plafond.zone_{zone}.couple", day),
        ceiling_one_dependant=_by_zone(
            p, "apl.loyer_plafond.zone_{zone}.une_personne_a_charge", day
        ),
        ceiling_extra_dependant=_by_zone(
            p, "apl.loyer_plafond.zone_{zone}.par_personne_a_charge_supplementaire", day
        ),
        reference_zone=int(v("taux_loyer.zone_reference")),
        charges_base=v("forfait_charges.base"),
        charges_per_dependant=v("forfait_charges.par_personne_a_charge"),
        p0_forfait=v("participation_minimale.forfait"),
        p0_rate=v("participation_minimale.taux"),
        r0=_by_class(p, "apl.r0", day),
        r0_extra=v("r0.par_pac_supplementaire"),
        family_rate=_by_class(p, "apl.taux_famille", day),
        family_rate_extra=v("taux_famille.par_pac_supplementaire"),
        tl_threshold_1=v("taux_loyer.seuil_1"),
        tl_threshold_2=v("taux_loyer.seuil_2"),
        tl_rate_1=v("taux_loyer.taux_1"),
        tl_rate_2=v("taux_loyer.taux_2"),
        tl_rate_3=v("taux_loyer.taux_3"),
        degressivity_start=_by_zone(p, "apl.degressivite.zone_{zone}.debut", day),
        degressivity_end=_by_zone(p, "apl.degressivite.zone_{zone}.suppression", day),
        minoration=v("minoration_forfaitaire"),
        minimum_payment=v("seuil_minimum_versement"),
        crds_rate=v("crds"),
        resources_rounding=v("arrondi_ressources"),
        rls_offset_rate=v("rls.fraction_baisse_aide_logement"),
        rls_single=_by_zone(p, "apl.rls.montant.zone_{zone}.personne_seule", day),
        rls_couple=_by_zone(p, "apl.rls.montant.zone_{zone}.couple", day),
        rls_one_dependant=_by_zone(p, "apl.rls.montant.zone_{zone}.une_personne_a_charge", day),
        rls_extra_dependant=_by_zone(
            p, "apl.rls.montant.zone_{zone}.par_personne_a_charge_supplementaire", day
        ),
        rls_ceiling=rls_ceiling,
        rls_ceiling_extra=rls_ceiling_extra,
        ceiling_table=_zone_class_table(*ceilings),
        rls_amount_table=_zone_class_table(*rls_amounts),
    )
    for f in fields(scale):
        value = getattr(scale, f.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return scale


@dataclass(frozen=True)
class BenefitDetail:
    """Every intermediate of the APL computation, as broadcast arrays (€ per month unless noted).

    ``rent_ceiling`` (L plafond), ``retained_rent`` (L), ``charges_allowance`` (C),
    ``resource_base`` (R, € per year, rounded up to 100 €), ``r0`` (€ per year),
    ``family_rate`` (TF), ``rent_rate`` (TL), ``minimum_participation`` (P0),
    ``personal_participation`` (Pp), ``before_degressivity`` (L + C − Pp after the minimum
    payment), ``degressivity`` (coefficient in [0, 1]), ``after_minoration`` (after the 5 €
    minoration), ``rls`` (RLS granted on the rent), ``after_rls`` (after the 98 % RLS offset),
    ``crds`` and ``benefit`` (the amount paid, whole euros: OpenFisca's ``aide_logement``).
    """

    rent_ceiling: FloatArray
    retained_rent: FloatArray
    charges_allowance: FloatArray
    resource_base: FloatArray
    r0: FloatArray
    family_rate: FloatArray
    rent_rate: FloatArray
    minimum_participation: FloatArray
    personal_participation: FloatArray
    before_degressivity: FloatArray
    degressivity: FloatArray
    after_minoration: FloatArray
    rls: FloatArray
    after_rls: FloatArray
    crds: FloatArray
    benefit: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """One column per intermediate (arrays are flattened; for N households only)."""
        return pd.DataFrame({f.name: np.ravel(getattr(self, f.name)) for f in fields(self)})


def _round(x: FloatArray, decimals: int) -> FloatArray:
    out: FloatArray = np.round(x, decimals)
    return out


def _check_inputs(zone: npt.NDArray[Any], dependants: npt.NDArray[Any]) -> None:
    if zone.size == 0 or (zone.min() >= min(_ZONES) and zone.max() <= max(_ZONES)):
        bad_zone = np.zeros(0, dtype=bool)
    else:
        bad_zone = (zone < min(_ZONES)) | (zone > max(_ZONES))
    if bad_zone.any():
        value = zone[bad_zone].flat[0]
        raise InputError(
            "Zone APL inconnue",
            Location("aide au logement", column="zone_apl", value=str(value)),
            "Indiquez la zone APL de la commune : 1, 2 ou 3.",
        )
    if dependants.size and dependants.min() < 0:
        value = dependants[dependants < 0].flat[0]
        raise InputError(
            "Nombre de personnes à charge négatif",
            Location("aide au logement", column="personnes_a_charge", value=str(value)),
            "Indiquez un nombre entier de personnes à charge, zéro ou plus.",
        )


def housing_benefit_detail(
    *,
    zone: Any,
    couple: Any,
    dependants: Any,
    rent: Any,
    annual_resources: Any,
    when: dt.date | str | None = None,
    scale: AplScale | None = None,
    params: Parameters | None = None,
    hlm: Any = True,
) -> BenefitDetail:
    """Monthly APL of social tenants in a conventionné dwelling, with every intermediate.

    Arguments broadcast together (numpy rules):

    - ``zone``: APL zone of the dwelling's commune, 1, 2 or 3 (arrêté du 27 septembre 2019);
    - ``couple``: True for a couple (married, PACS or cohabiting; a pregnant single woman uses the
      couple scale in OpenFisca, the caller decides);
    - ``dependants``: number of dependants (*personnes à charge*, CCH art. L823-2), ≥ 0;
    - ``rent``: monthly main rent, charges excluded, before the RLS (€ per month);
    - ``annual_resources``: the benefit's annual resource base, before the rounding up to the
      next 100 € (€ per year; CCH art. R822-3 and following);
    - ``hlm``: True when the landlord is an HLM organisation or SEM that applies the RLS.

    Give ``when`` (the benefit month; the parameters in force on its first day are used) or an
    already read ``scale``. Raises ``InputError`` for a zone outside 1–3 or a negative count.
    """
    if scale is None:
        if when is None:
            raise ValueError("housing_benefit_detail needs `when` or `scale`")
        scale = apl_scale(when, params)
    s = scale
    # Inputs keep their own shapes: household-only quantities stay (N, 1) and dwelling-only ones
    # (1, M) until they meet, so pairs cost only the per-pair steps.
    z = np.asarray(zone).astype("int64", copy=False)
    n = np.asarray(dependants).astype("int64", copy=False)
    cpl = np.asarray(couple).astype(bool, copy=False)
    rent_a = np.asarray(rent, dtype="float64")
    res_a = np.asarray(annual_resources, dtype="float64")
    hlm_a = np.asarray(hlm).astype(bool, copy=False)
    shape = np.broadcast_shapes(z.shape, n.shape, cpl.shape, rent_a.shape, res_a.shape, hlm_a.shape)
    _check_inputs(z, n)
    width = 2 + _MAX_LISTED_DEPENDANTS
    has_dep = n > 0
    many = bool(n.size and n.max() > _MAX_LISTED_DEPENDANTS)
    over_six: Any = np.maximum(n - _MAX_LISTED_DEPENDANTS, 0).astype("float64") if many else 0.0
    # Composition class: 0 single, 1 couple, 1 + k for k dependants (k capped at 6); tables
    # zone × class are read with one flat index.
    klass = np.where(has_dep, 1 + np.minimum(n, _MAX_LISTED_DEPENDANTS), cpl)
    zk = z * width + klass

    def lookup(table: FloatArray, extra: FloatArray, zone_index: Any) -> FloatArray:
        out: FloatArray = table.ravel().take(zk if zone_index is z else zone_index * width + klass)
        if many:
            out = out + over_six * extra.take(zone_index)
        return out

    # Rent ceiling and retained rent (arrêté du 27/09/2019, art. 6; CCH D823-16).
    ceiling = _round(lookup(s.ceiling_table, s.ceiling_extra_dependant, z), 2)
    retained = np.minimum(rent_a, ceiling)

    # Charges allowance (art. 8).
    charges = s.charges_base + n.astype("float64") * s.charges_per_dependant

    # Resources: cent rounding, then up to the next 100 € (arrêté du 27/09/2019).
    step = s.resources_rounding
    resources = np.ceil(np.round(np.maximum(res_a, 0.0) * 100.0) / (100.0 * step)) * step

    # R0 and family rate (CCH D823-17; arrêté art. 14 and 15).
    r0 = s.r0.take(klass)
    tf = s.family_rate.take(klass)
    if many:
        r0 = r0 + s.r0_extra * over_six
        tf = tf + s.family_rate_extra * over_six

    # Rent rate TL on RL = L / reference rent (zone II ceiling for the composition).
    reference = lookup(s.ceiling_table, s.ceiling_extra_dependant, np.int64(s.reference_zone))
    rl = _round(retained / reference * 100.0, 2) / 100.0
    t1, t2 = s.tl_threshold_1, s.tl_threshold_2
    tl = s.tl_rate_2 * np.minimum(np.maximum(rl - t1, 0.0), t2 - t1) + s.tl_rate_3 * np.maximum(
        rl - t2, 0.0
    )
    if s.tl_rate_1:  # first band, at 0 % since 2001
        tl = tl + s.tl_rate_1 * np.minimum(rl, t1)
    tl = _round(tl, 5)

    # Personal participation Pp = P0 + Tp × (R − R0).
    p0 = np.maximum(s.p0_rate * (retained + charges), s.p0_forfait)
    participation = p0 + (tf + tl) * np.maximum(resources - r0, 0.0)
    amount = np.maximum(retained + charges - participation, 0.0)
    if s.minimum_payment > 0:  # no minimum payment for the APL since March 2018
        amount = np.where(amount >= s.minimum_payment, amount, 0.0)

    # Degressivity for rents far above the ceiling (arrêté art. 10).
    start = _round(ceiling * s.degressivity_start.take(z), 2)
    end = _round(ceiling * s.degressivity_end.take(z), 2)
    span = np.where(end > start, end - start, 1.0)
    coefficient = np.where(
        rent_a <= start, 1.0, np.where(rent_a <= end, 1.0 - (rent_a - start) / span, 0.0)
    )
    after_degressivity = _round(amount * coefficient, 2)
    after_minoration = np.maximum(after_degressivity - s.minoration, 0.0)

    # RLS (CCH L442-2-1): granted when R / 12 is below the zone ceiling; APL lowered by 98 % of it.
    rls_ceiling = lookup(s.rls_ceiling, s.rls_ceiling_extra, z)
    rls_amount = lookup(s.rls_amount_table, s.rls_extra_dependant, z)
    eligible = hlm_a & (resources / 12.0 < rls_ceiling)
    rls = np.where(eligible, rls_amount, 0.0)
    after_rls = np.maximum(after_minoration - rls * s.rls_offset_rate, 0.0)

    # CRDS rounded down to the cent, then the amount rounded down to the euro.
    crds = np.floor(np.round(after_rls * 100.0, 6) * s.crds_rate) / 100.0
    benefit = np.floor(np.round(after_rls - crds, 6))

    def full(x: Any) -> FloatArray:
        out: FloatArray = np.asarray(x, dtype="float64")
        return out if out.shape == shape else np.broadcast_to(out, shape)

    return BenefitDetail(
        rent_ceiling=full(ceiling),
        retained_rent=full(retained),
        charges_allowance=full(charges),
        resource_base=full(resources),
        r0=full(r0),
        family_rate=full(tf),
        rent_rate=full(tl),
        minimum_participation=full(p0),
        personal_participation=full(participation),
        before_degressivity=full(amount),
        degressivity=full(coefficient),
        after_minoration=full(after_minoration),
        rls=full(rls),
        after_rls=full(after_rls),
        crds=full(crds),
        benefit=full(benefit),
    )


def housing_benefit(
    *,
    zone: Any,
    couple: Any,
    dependants: Any,
    rent: Any,
    annual_resources: Any,
    when: dt.date | str | None = None,
    scale: AplScale | None = None,
    params: Parameters | None = None,
    hlm: Any = True,
) -> tuple[FloatArray, FloatArray]:
    """Monthly APL paid (whole euros) and RLS granted (€ per month), broadcast arrays.

    Same arguments as ``housing_benefit_detail``; returns ``(benefit, rls)``.
    """
    detail = housing_benefit_detail(
        zone=zone,
        couple=couple,
        dependants=dependants,
        rent=rent,
        annual_resources=annual_resources,
        when=when,
        scale=scale,
        params=params,
        hlm=hlm,
    )
    return detail.benefit, detail.rls


def net_housing_cost(rent: Any, charges: Any, benefit: Any, rls: Any = 0.0) -> FloatArray:
    """What the household pays each month: rent − RLS + charges − housing benefit (€ per month).

    The RLS lowers the rent the landlord bills (CCH L442-2-1); the benefit is paid to the landlord
    in third-party payment and lowers the amount due as well.
    """
    out: FloatArray = (
        np.asarray(rent, dtype="float64")
        - np.asarray(rls, dtype="float64")
        + np.asarray(charges, dtype="float64")
        - np.asarray(benefit, dtype="float64")
    )
    return out


def effort_rate(
    rent: Any, charges: Any, benefit: Any, monthly_resources: Any, rls: Any = 0.0
) -> FloatArray:
    """Effort rate (rent − RLS + charges − benefit) / monthly resources (CCH R441-3-1, ratio).

    Arrêté du 10 mars 2011 definition, all household members' monthly resources. A household
    without resources has an infinite effort rate when it pays something, 0 when it pays nothing.
    """
    cost = net_housing_cost(rent, charges, benefit, rls)
    res = np.asarray(monthly_resources, dtype="float64")
    cost, res = np.broadcast_arrays(cost, res)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(
            res > 0, cost / np.where(res > 0, res, 1.0), np.where(cost > 0, np.inf, 0.0)
        )
    return out


def reste_a_vivre(
    rent: Any,
    charges: Any,
    benefit: Any,
    monthly_resources: Any,
    units: Any,
    rls: Any = 0.0,
    days_per_month: float = DAYS_PER_MONTH,
) -> FloatArray:
    """Reste à vivre in € per consumption unit per day.

    ``(monthly resources − (rent − RLS + charges − benefit)) / units / days_per_month``; ``units``
    are the household's consumption units (``mixite.ceilings.consumption_units``, re-exported
    here). Monthly resources include every member's income (the benefit is not counted twice: it is deducted from the cost).
    """
    cost = net_housing_cost(rent, charges, benefit, rls)
    left = np.asarray(monthly_resources, dtype="float64") - cost
    out: FloatArray = left / np.asarray(units, dtype="float64") / days_per_month
    return out


def territory_thresholds(territory: pd.DataFrame | None) -> tuple[float, float]:
    """``(max effort rate, min reste à vivre in €/UC/day)`` of a ``territory`` table row.

    The values are the territory's CAL-charter conventions (``taux_effort_max`` and
    ``reste_a_vivre_min`` of ``territoire.yaml``); missing ones fall back to 35 % and 12 €.
    """
    max_rate, min_rav = DEFAULT_MAX_EFFORT_RATE, DEFAULT_MIN_RESTE_A_VIVRE
    if territory is None or territory.empty:
        return max_rate, min_rav
    row = territory.iloc[-1]
    if "max_effort_rate" in territory.columns and pd.notna(row["max_effort_rate"]):
        max_rate = float(row["max_effort_rate"])
    if "min_reste_a_vivre" in territory.columns and pd.notna(row["min_reste_a_vivre"]):
        min_rav = float(row["min_reste_a_vivre"])
    return max_rate, min_rav


def _chunks(total: int, size: int) -> Iterator[slice]:
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))


def affordable_pairs(
    households: pd.DataFrame,
    dwellings: pd.DataFrame,
    when: dt.date | str,
    *,
    max_effort_rate: float = DEFAULT_MAX_EFFORT_RATE,
    min_reste_a_vivre: float = DEFAULT_MIN_RESTE_A_VIVRE,
    params: Parameters | None = None,
    chunk_pairs: int = 1_000_000,
) -> npt.NDArray[np.bool_]:
    """Boolean matrix (households × dwellings): the dwelling is affordable to the household.

    ``households`` columns: ``couple`` (bool), ``dependants`` (int), ``annual_resources`` (APL
    resource base, €/year), ``monthly_resources`` (€/month, all members), ``units`` (consumption
    units). ``dwellings`` columns: ``zone`` (1–3), ``rent`` and ``charges`` (€/month), ``hlm``
    (bool, RLS applies). A pair is affordable when the effort rate is at most ``max_effort_rate``
    and the reste à vivre at least ``min_reste_a_vivre`` €/UC/day, after APL and RLS.

    Households are processed in row blocks of about ``chunk_pairs`` pairs, so that temporary
    memory stays near ``chunk_pairs`` × 8 bytes × a few dozen arrays whatever the sizes; the
    result itself takes one byte per pair.
    """
    for name, frame, required in (
        (
            "ménages",
            households,
            ("couple", "dependants", "annual_resources", "monthly_resources", "units"),
        ),
        ("logements", dwellings, ("zone", "rent", "charges", "hlm")),
    ):
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise InputError(
                f"Colonne « {missing[0]} » absente",
                Location(name, column=missing[0]),
                f"Fournissez les colonnes {', '.join(required)}.",
            )
    scale = apl_scale(when, params)
    n_h, n_d = len(households), len(dwellings)
    out = np.zeros((n_h, n_d), dtype=bool)
    if n_h == 0 or n_d == 0:
        return out
    d_zone = dwellings["zone"].to_numpy(dtype="int64")[None, :]
    d_rent = dwellings["rent"].to_numpy(dtype="float64")[None, :]
    d_charges = dwellings["charges"].to_numpy(dtype="float64")[None, :]
    d_hlm = dwellings["hlm"].to_numpy(dtype=bool)[None, :]
    h = {
        c: households[c].to_numpy()
        for c in ("couple", "dependants", "annual_resources", "monthly_resources", "units")
    }
    rows = max(1, chunk_pairs // n_d)
    # Dwellings are grouped by APL zone so that the zone-dependent scale entries are scalars and
    # the household-side steps run once per household, not once per pair.
    zone_groups = [(zone, np.flatnonzero(d_zone[0] == zone)) for zone in np.unique(d_zone)]
    for block in _chunks(n_h, rows):
        monthly = h["monthly_resources"][block].astype("float64")[:, None]
        units = h["units"][block].astype("float64")[:, None]
        for zone, idx in zone_groups:
            rent = d_rent[:, idx]
            charges = d_charges[:, idx]
            detail = housing_benefit_detail(
                zone=int(zone),
                couple=h["couple"][block].astype(bool)[:, None],
                dependants=h["dependants"][block].astype("int64")[:, None],
                rent=rent,
                annual_resources=h["annual_resources"][block].astype("float64")[:, None],
                scale=scale,
                hlm=d_hlm[:, idx],
            )
            cost = net_housing_cost(rent, charges, detail.benefit, detail.rls)
            rav = (monthly - cost) / units / DAYS_PER_MONTH
            ok = (cost <= max_effort_rate * monthly) & (rav >= min_reste_a_vivre)
            out[block, idx] = ok
    return out
