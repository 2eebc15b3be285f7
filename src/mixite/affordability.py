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
    RLS = min(RLS amount, rent) when HLM and R / 12 < RLS ceiling, else 0
    A   = max(0, A − 98 % × RLS)                                        RLS offset
    APL = floor(A − CRDS), CRDS = 0.5 % rounded down to the cent        (whole euros)

All functions take numpy arrays (or scalars) that broadcast together: N households, or N
households × M dwellings as ``(N, 1)`` and ``(1, M)`` arrays, or two long arrays of pairs. No
Python loop runs per household.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit, prange

from mixite.errors import InputError, Location
from mixite.params import Parameters, as_date, default_parameters, resolve
from mixite.schema import APPLICATIONS

__all__ = [
    "AplScale",
    "BenefitDetail",
    "Thresholds",
    "affordable_pairs",
    "apl_scale",
    "effort_rate",
    "housing_benefit",
    "housing_benefit_detail",
    "net_housing_cost",
    "one_thread",
    "reste_a_vivre",
    "territory_thresholds",
]

FloatArray = npt.NDArray[np.float64]

_ZONES = (1, 2, 3)
#: Number of composition classes with their own R0/TF/RLS-ceiling value: single, couple,
#: 1 to 6 dependants; beyond 6, a per-extra-dependant increment applies.
_MAX_LISTED_DEPENDANTS = 6
_WIDTH = 2 + _MAX_LISTED_DEPENDANTS
#: Scalar parameters handed to the kernel, in this order (``AplScale`` attribute names).
_SCALARS = (
    "reference_zone",
    "charges_base",
    "charges_per_dependant",
    "p0_forfait",
    "p0_rate",
    "tl_threshold_1",
    "tl_threshold_2",
    "tl_rate_1",
    "tl_rate_2",
    "tl_rate_3",
    "minoration",
    "minimum_payment",
    "crds_rate",
    "resources_rounding",
    "rls_offset_rate",
    "r0_extra",
    "family_rate_extra",
)


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
    # The same parameters packed for the compiled kernel (see ``_pack``): zone × class tables
    # (3, 32), per-zone entries (5, 4), per-class entries (2, 8) and scalars (17,).
    packed_zone_class: FloatArray
    packed_zone: FloatArray
    packed_class: FloatArray
    packed_scalars: FloatArray


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
        packed_zone_class=np.zeros((3, 4 * _WIDTH)),
        packed_zone=np.zeros((5, 4)),
        packed_class=np.zeros((2, _WIDTH)),
        packed_scalars=np.zeros(len(_SCALARS)),
    )
    scale = _pack(scale)
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


def _pack(s: AplScale) -> AplScale:
    """The scale with its parameters packed in the four arrays the kernel reads."""
    return replace(
        s,
        packed_zone_class=np.stack(
            [s.ceiling_table.ravel(), s.rls_ceiling.ravel(), s.rls_amount_table.ravel()]
        ),
        packed_zone=np.stack(
            [
                s.ceiling_extra_dependant,
                s.rls_ceiling_extra,
                s.rls_extra_dependant,
                s.degressivity_start,
                s.degressivity_end,
            ]
        ),
        packed_class=np.stack([s.r0, s.family_rate]),
        packed_scalars=np.array([float(getattr(s, name)) for name in _SCALARS]),
    )


#: Number of ``BenefitDetail`` fields (the kernel's full output, in field order).
_N_FIELDS = 16


#: Number of cells the kernel handles per block (its working buffers stay in the L1 cache).
_BLOCK = 256
#: Household-only terms per (zone, composition) read from the scale, in this order: rent
#: ceiling (rounded to the cent), reference rent, degressivity start and end, RLS resource
#: ceiling, RLS amount, R0, family rate, charges allowance.
_N_TERMS = 9


@njit(cache=True, nogil=True, error_model="numpy")
def _household_terms(
    z: int,
    n: int,
    couple: bool,
    zone_class: Any,
    per_zone: Any,
    per_class: Any,
    k: Any,
    table: Any,
    row: int,
) -> None:  # pragma: no cover - compiled by numba
    """Write into ``table[row]`` the terms that depend only on the household and the zone."""
    reference_zone = int(k[0])
    klass = 1 + min(n, _MAX_LISTED_DEPENDANTS) if n > 0 else (1 if couple else 0)
    zk = z * _WIDTH + klass
    # Rent ceiling (arrêté du 27/09/2019, art. 6; CCH D823-16) and the reference rent (zone II).
    ceiling = zone_class[0, zk]
    reference = zone_class[0, reference_zone * _WIDTH + klass]
    rls_ceiling = zone_class[1, zk]
    rls_amount = zone_class[2, zk]
    # R0 and family rate (CCH D823-17; arrêté art. 14 and 15).
    r0 = per_class[0, klass]
    tf = per_class[1, klass]
    if n > _MAX_LISTED_DEPENDANTS:
        over = float(n - _MAX_LISTED_DEPENDANTS)
        ceiling = ceiling + over * per_zone[0, z]
        reference = reference + over * per_zone[0, reference_zone]
        rls_ceiling = rls_ceiling + over * per_zone[1, z]
        rls_amount = rls_amount + over * per_zone[2, z]
        r0 = r0 + k[15] * over
        tf = tf + k[16] * over
    ceiling = np.rint(ceiling * 100.0) / 100.0
    table[row, 0] = ceiling
    table[row, 1] = reference
    # Degressivity bounds for rents far above the ceiling (arrêté art. 10).
    table[row, 2] = np.rint(ceiling * per_zone[3, z] * 100.0) / 100.0
    table[row, 3] = np.rint(ceiling * per_zone[4, z] * 100.0) / 100.0
    table[row, 4] = rls_ceiling
    table[row, 5] = rls_amount
    table[row, 6] = r0
    table[row, 7] = tf
    # Charges allowance (art. 8).
    table[row, 8] = k[1] + float(n) * k[2]


@njit(cache=True, nogil=True, error_model="numpy")
def _apl_block(
    b: int,
    per_row: int,
    cols: int,
    zone: Any,
    couple: Any,
    dependants: Any,
    rent: Any,
    resources_in: Any,
    hlm: Any,
    steps: Any,
    terms: Any,
    zone_class: Any,
    per_zone: Any,
    per_class: Any,
    k: Any,
    out: Any,
) -> int:  # pragma: no cover - compiled by numba, exercised through housing_benefit_detail
    """The APL of block ``b`` (up to ``_BLOCK`` cells of one row) of the grid of ``_apl_kernel``:
    the formula, in one place. ``terms`` holds the household terms of every listed composition
    (``_household_terms``); ``out`` is the kernel's output (its dimension, known at compile
    time, selects the full or the short version). Returns −1, or the index of the block's first
    cell with a zone outside 1–3 or a negative number of dependants."""
    full = out.ndim == 3
    total = out.shape[-1]
    flat = out.reshape(out.size)
    p0_forfait, p0_rate = k[3], k[4]
    t1, t2, tl_rate_1, tl_rate_2, tl_rate_3 = k[5], k[6], k[7], k[8], k[9]
    minoration, minimum_payment, crds_rate, step, rls_offset = k[10], k[11], k[12], k[13], k[14]
    step100 = 100.0 * step
    band = t2 - t1
    first_band = tl_rate_1 != 0.0  # the first TL band is at 0 % since 2001
    minimum = minimum_payment > 0.0  # no minimum payment for the APL since March 2018
    z_step, c_step, n_step = steps[1], steps[3], steps[5]
    r_step, s_step, h_step = steps[7], steps[9], steps[11]
    i = b // per_row
    first = (b - i * per_row) * _BLOCK
    z_row, c_row, n_row = i * steps[0], i * steps[2], i * steps[4]
    r_row, s_row, h_row = i * steps[6], i * steps[8], i * steps[10]
    # Per-block buffers, one row of _BLOCK cells per quantity (flat: constant offsets).
    cell = np.empty((_N_TERMS + 3) * _BLOCK)
    result = np.empty(_N_FIELDS * _BLOCK)
    many = np.empty((1, _N_TERMS))  # terms of a household with many dependants
    invalid = -1
    size = min(_BLOCK, cols - first)
    # Gather: check each cell and copy its household terms and its inputs.
    for t in range(size):
        j = first + t
        z = zone[z_row + j * z_step]
        n = dependants[n_row + j * n_step]
        if z < 1 or z > 3 or n < 0:  # invalid: noted, computed as zone 1, no dependant
            invalid = i * cols + j if invalid < 0 else invalid
            z = 1
            n = 0
        if n > _MAX_LISTED_DEPENDANTS:
            _household_terms(z, n, False, zone_class, per_zone, per_class, k, many, 0)
            for f in range(_N_TERMS):
                cell[f * _BLOCK + t] = many[0, f]
        else:
            in_couple = 1 if couple[c_row + j * c_step] else 0
            # class 1 + n with dependants, else 0 (single) or 1 (couple); no branch
            q = z * _WIDTH + n + 1 - (1 - in_couple) * (n == 0)
            for f in range(_N_TERMS):
                cell[f * _BLOCK + t] = terms[q * _N_TERMS + f]
    for t in range(size):
        cell[_N_TERMS * _BLOCK + t] = rent[r_row + (first + t) * r_step]
    for t in range(size):
        cell[(_N_TERMS + 1) * _BLOCK + t] = resources_in[s_row + (first + t) * s_step]
    for t in range(size):
        cell[(_N_TERMS + 2) * _BLOCK + t] = 1.0 if hlm[h_row + (first + t) * h_step] else 0.0
    # The formula, cell by cell (no branch: vectorised by LLVM in the short version).
    for t in range(size):
        r = cell[(_N_TERMS) * _BLOCK + t]
        ceiling = cell[0 * _BLOCK + t]
        retained = np.minimum(r, ceiling)
        charges = cell[8 * _BLOCK + t]
        # Resources: cent rounding, then up to the next 100 € (arrêté du 27/09/2019).
        resources = (
            np.ceil(np.rint(np.maximum(cell[(_N_TERMS + 1) * _BLOCK + t], 0.0) * 100.0) / step100)
            * step
        )
        # Rent rate TL on RL = L / reference rent, in percent with 2 decimals.
        rl = np.rint(retained / cell[1 * _BLOCK + t] * 100.0 * 100.0) / 100.0 / 100.0
        tl = tl_rate_2 * np.minimum(np.maximum(rl - t1, 0.0), band) + tl_rate_3 * np.maximum(
            rl - t2, 0.0
        )
        tl = tl + tl_rate_1 * np.minimum(rl, t1) if first_band else tl
        tl = np.rint(tl * 100000.0) / 100000.0
        # Personal participation Pp = P0 + Tp × (R − R0).
        r0 = cell[6 * _BLOCK + t]
        tf = cell[7 * _BLOCK + t]
        p0 = np.maximum(p0_rate * (retained + charges), p0_forfait)
        participation = p0 + (tf + tl) * np.maximum(resources - r0, 0.0)
        amount = np.maximum(retained + charges - participation, 0.0)
        amount = 0.0 if minimum and not amount >= minimum_payment else amount
        # Degressivity for rents far above the ceiling.
        start = cell[2 * _BLOCK + t]
        end = cell[3 * _BLOCK + t]
        falling = 1.0 - (r - start) / (end - start if end > start else 1.0)
        coefficient = 1.0 if r <= start else (falling if r <= end else 0.0)
        after_degressivity = np.rint(amount * coefficient * 100.0) / 100.0
        after_minoration = np.maximum(after_degressivity - minoration, 0.0)
        # RLS (CCH L442-2-1): granted when R / 12 is below the ceiling; APL lowered by 98 %.
        eligible = (cell[(_N_TERMS + 2) * _BLOCK + t] > 0.5) & (
            resources / 12.0 < cell[4 * _BLOCK + t]
        )
        # The RLS lowers the rent: it never exceeds it (a rent below the RLS amount is reduced
        # to zero, not below).
        rls = np.minimum(cell[5 * _BLOCK + t], r) if eligible else 0.0
        after_rls = np.maximum(after_minoration - rls * rls_offset, 0.0)
        # CRDS rounded down to the cent, then the amount rounded down to the euro.
        crds = np.floor(np.rint(after_rls * 100.0 * 1e6) / 1e6 * crds_rate) / 100.0
        benefit = np.floor(np.rint((after_rls - crds) * 1e6) / 1e6)
        if full:
            result[0 * _BLOCK + t] = ceiling
            result[1 * _BLOCK + t] = retained
            result[2 * _BLOCK + t] = charges
            result[3 * _BLOCK + t] = resources
            result[4 * _BLOCK + t] = r0
            result[5 * _BLOCK + t] = tf
            result[6 * _BLOCK + t] = tl
            result[7 * _BLOCK + t] = p0
            result[8 * _BLOCK + t] = participation
            result[9 * _BLOCK + t] = amount
            result[10 * _BLOCK + t] = coefficient
            result[11 * _BLOCK + t] = after_minoration
            result[12 * _BLOCK + t] = rls
            result[13 * _BLOCK + t] = after_rls
            result[14 * _BLOCK + t] = crds
            result[15 * _BLOCK + t] = benefit
        else:
            result[0 * _BLOCK + t] = benefit
            result[1 * _BLOCK + t] = rls
    start_cell = i * cols + first
    for f in range(_N_FIELDS if full else 2):
        for t in range(size):
            flat[f * total + start_cell + t] = result[f * _BLOCK + t]
    return invalid


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _apl_kernel(
    zone: Any,
    couple: Any,
    dependants: Any,
    rent: Any,
    resources_in: Any,
    hlm: Any,
    steps: Any,
    rows: int,
    cols: int,
    zone_class: Any,
    per_zone: Any,
    per_class: Any,
    k: Any,
    out: Any,
) -> int:  # pragma: no cover - compiled by numba, exercised through housing_benefit_detail
    """The APL of every cell of a broadcast ``(rows, cols)`` grid, by blocks of ``_BLOCK`` cells
    of one row shared between the threads (``prange``; the formula is in ``_apl_block``).

    Input number ``a`` (0–5, in argument order) is a flat array read at
    ``i × steps[2a] + j × steps[2a + 1]`` for cell ``(i, j)`` (steps 0 along broadcast axes).
    ``out`` is ``(16, 1, rows × cols)`` for every
    ``BenefitDetail`` field (in field order) or ``(2, rows × cols)`` for benefit and RLS only;
    numba compiles one version of each, the shorter one vectorised. Every step repeats numpy's
    operations in the same order (``round(x, d)`` is numpy's ``rint(x × 10^d) / 10^d``), so the
    results are those of the array formula, bit for bit. Returns −1, or the index of the first
    cell with a zone outside 1–3 or a negative number of dependants (then the outputs are
    meaningless and the caller raises).
    """
    # Terms of every listed composition (rows zone × class); a household with more dependants
    # has its own terms computed in its block.
    table = np.empty((4 * _WIDTH, _N_TERMS))
    for z in range(1, 4):
        for klass in range(_WIDTH):
            n = klass - 1 if klass >= 2 else 0
            _household_terms(
                z, n, klass == 1, zone_class, per_zone, per_class, k, table, z * _WIDTH + klass
            )
    terms = table.reshape(table.size)
    per_row = (cols + _BLOCK - 1) // _BLOCK
    n_blocks = rows * per_row
    first_invalid = np.full(n_blocks, -1, np.int64)
    for b in prange(n_blocks):
        first_invalid[b] = _apl_block(
            b,
            per_row,
            cols,
            zone,
            couple,
            dependants,
            rent,
            resources_in,
            hlm,
            steps,
            terms,
            zone_class,
            per_zone,
            per_class,
            k,
            out,
        )
    for b in range(n_blocks):  # blocks are in cell order: the first one noted is the first cell
        if first_invalid[b] >= 0:
            return int(first_invalid[b])
    return -1


#: Largest number of dependants accepted: the bound of the canonical tables
#: (``schema.APPLICATIONS``, column ``dependants``); beyond it a count is taken for an error.
MAX_DEPENDANTS = int(APPLICATIONS.column("dependants").max or 0)


def _input_error(problem: str, column: str, value: object, fix: str) -> InputError:
    return InputError(problem, Location("aide au logement", column=column, value=str(value)), fix)


def _check_amounts(
    dependants: npt.NDArray[Any], rent: npt.NDArray[Any], resources: npt.NDArray[Any]
) -> None:
    """Refuse, in French, what the APL formula cannot take: NaN or infinite amounts, a negative
    rent or negative resources, more dependants than ``MAX_DEPENDANTS``."""
    for values, column, what in (
        (rent, "loyer", "Loyer"),
        (resources, "ressources_annuelles", "Ressources annuelles"),
    ):
        if values.size == 0:
            continue
        finite = np.isfinite(values)
        if not finite.all():
            raise _input_error(
                f"{what} non renseigné ou infini",
                column,
                values[~finite].flat[0],
                "Indiquez un montant en euros (0 ou plus).",
            )
        if values.min() < 0:
            raise _input_error(
                f"{what} négatif",
                column,
                values[values < 0].flat[0],
                "Indiquez un montant en euros positif ou nul.",
            )
    if dependants.size and dependants.max() > MAX_DEPENDANTS:
        raise _input_error(
            "Nombre de personnes à charge invraisemblable",
            "personnes_a_charge",
            dependants[dependants > MAX_DEPENDANTS].flat[0],
            f"Indiquez au plus {MAX_DEPENDANTS} personnes à charge (borne des tables de mixite).",
        )


def _check_inputs(zone: npt.NDArray[Any], dependants: npt.NDArray[Any]) -> None:
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


def _run_kernel(
    zone: Any,
    couple: Any,
    dependants: Any,
    rent: Any,
    annual_resources: Any,
    hlm: Any,
    scale: AplScale,
    full: bool,
) -> tuple[FloatArray, tuple[int, ...]]:
    """Broadcast the inputs (numpy rules) without copying them and run the kernel.

    Returns the kernel's output, ``(16, 1, size)`` when ``full`` else ``(2, size)``, and the
    broadcast shape. Each input goes to the kernel as its own flat array with one step per axis
    of the ``(rows, cols)`` grid (0 along a broadcast axis), so a ``(N, 1)`` × ``(1, M)`` call
    copies nothing per pair. All inputs are passed as read-only contiguous vectors, so numba
    compiles exactly two versions (full and short) whatever the callers' arrays.
    """
    arrays = (
        np.asarray(zone).astype("int64", copy=False),
        np.asarray(couple).astype(bool, copy=False),
        np.asarray(dependants).astype("int64", copy=False),
        np.asarray(rent, dtype="float64"),
        np.asarray(annual_resources, dtype="float64"),
        np.asarray(hlm).astype(bool, copy=False),
    )
    _check_amounts(arrays[2], arrays[3], arrays[4])
    shape = np.broadcast(*arrays).shape
    cols = shape[-1] if shape else 1
    rows = math.prod(shape[:-1])
    size = rows * cols
    steps: list[tuple[int, int]] = []
    flats = []
    for array in arrays:
        if len(shape) <= 2:
            # Element steps of the array broadcast to (rows, cols), read in its own memory.
            dims = (1, 1, *array.shape)[-2:]
            steps.append((dims[1] if dims[0] > 1 else 0, 1 if dims[1] > 1 else 0))
            flat = np.ascontiguousarray(array).reshape(-1)
        else:
            grid = np.broadcast_to(array, shape).reshape(rows, cols)
            steps.append((cols, 1))
            flat = np.ascontiguousarray(grid).reshape(-1)
        flat.setflags(write=False)  # a new view: the caller's array keeps its flags
        flats.append(flat)
    if cols == 1:  # a column: the same cells in the same order as one row
        rows, cols, steps = 1, rows, [(0, row_step) for row_step, _ in steps]
    elif all(row_step == cols * col_step for row_step, col_step in steps):
        rows, cols, steps = 1, size, [(0, col_step) for _, col_step in steps]
    out: FloatArray = np.empty((_N_FIELDS, 1, size) if full else (2, size), dtype="float64")
    kernel: Any = _apl_kernel  # a numba dispatcher
    status = kernel(
        *flats,
        tuple(step for pair in steps for step in pair),
        rows,
        cols,
        scale.packed_zone_class,
        scale.packed_zone,
        scale.packed_class,
        scale.packed_scalars,
        out,
    )
    if status >= 0 or size == 0:
        _check_inputs(arrays[0], arrays[2])  # raises on the first invalid input
    return out, shape


#: Read-only one-cell inputs of ``benefit_in_one_dwelling`` (an HLM landlord).
_ONE_HLM = np.ones(1, dtype=bool)
_ONE_HLM.setflags(write=False)
#: The kernel's steps for a one-dwelling call: zone, rent and hlm one cell, the household
#: inputs one per cell (``_run_kernel``'s steps for arrays of shapes (1,) and (n,)).
_ONE_DWELLING_STEPS = (0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0)


def benefit_in_one_dwelling(
    zone: int,
    couple: npt.NDArray[np.bool_],
    dependants: npt.NDArray[np.int64],
    rent: float,
    annual_resources: FloatArray,
    scale: AplScale,
) -> FloatArray:
    """APL paid + RLS granted (€ per month) of ``n`` households in one dwelling (APL ``zone``,
    monthly ``rent``, HLM landlord): ``benefit + rls`` of ``housing_benefit`` with the same
    inputs, bit for bit, without its checks and broadcasting (the simulation calls it once per
    vacancy on a few hundred candidates). The caller has checked the amounts
    (``_check_amounts``: finite, non-negative, at most ``MAX_DEPENDANTS`` dependants);
    ``couple``, ``dependants`` and ``annual_resources`` are 1-D arrays of the same length, of
    dtypes bool, int64 and float64. An invalid zone or a negative number of dependants raises
    the ``InputError`` of ``housing_benefit``."""
    size = int(couple.shape[0])
    flats = [
        np.full(1, zone, dtype=np.int64),
        np.ascontiguousarray(couple).reshape(-1),
        np.ascontiguousarray(dependants).reshape(-1),
        np.full(1, rent, dtype=np.float64),
        np.ascontiguousarray(annual_resources).reshape(-1),
        _ONE_HLM,
    ]
    for flat in flats:
        flat.setflags(write=False)  # new views: the caller's arrays keep their flags
    out: FloatArray = np.empty((2, size), dtype="float64")
    kernel: Any = _apl_kernel  # a numba dispatcher
    status = kernel(
        *flats,
        _ONE_DWELLING_STEPS,
        1,
        size,
        scale.packed_zone_class,
        scale.packed_zone,
        scale.packed_class,
        scale.packed_scalars,
        out,
    )
    if status >= 0:
        _check_inputs(flats[0], flats[2])  # raises on the first invalid input
    total: FloatArray = out[0] + out[1]
    return total


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
    already read ``scale``. Raises ``InputError`` (French) for a zone outside 1–3, a number of
    dependants below 0 or above ``MAX_DEPENDANTS``, a NaN, infinite or negative rent or resource
    amount. The RLS granted never exceeds the rent. Every field has the broadcast shape.
    """
    if scale is None:
        if when is None:
            raise ValueError("housing_benefit_detail needs `when` or `scale`")
        scale = apl_scale(when, params)
    out, shape = _run_kernel(zone, couple, dependants, rent, annual_resources, hlm, scale, True)
    return BenefitDetail(*(out[k].reshape(shape) for k in range(_N_FIELDS)))


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

    Same arguments and computation as ``housing_benefit_detail``; returns ``(benefit, rls)``
    without keeping the other intermediates.
    """
    if scale is None:
        if when is None:
            raise ValueError("housing_benefit needs `when` or `scale`")
        scale = apl_scale(when, params)
    out, shape = _run_kernel(zone, couple, dependants, rent, annual_resources, hlm, scale, False)
    return out[0].reshape(shape), out[1].reshape(shape)


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


def _monthly(monthly_resources: Any) -> FloatArray:
    """Monthly resources as floats; NaN, infinite or negative amounts refused in French."""
    res: FloatArray = np.asarray(monthly_resources, dtype="float64")
    if res.size and not np.isfinite(res).all():
        raise _input_error(
            "Ressources mensuelles non renseignées ou infinies",
            "ressources_mensuelles",
            res[~np.isfinite(res)].flat[0],
            "Indiquez un montant en euros (0 ou plus).",
        )
    if res.size and res.min() < 0:
        raise _input_error(
            "Ressources mensuelles négatives",
            "ressources_mensuelles",
            res[res < 0].flat[0],
            "Indiquez des ressources positives ou nulles.",
        )
    return res


def effort_rate(
    rent: Any, charges: Any, benefit: Any, monthly_resources: Any, rls: Any = 0.0
) -> FloatArray:
    """Effort rate (rent − RLS + charges − benefit) / monthly resources (CCH R441-3-1, ratio).

    Arrêté du 10 mars 2011 definition, all household members' monthly resources. A household
    without resources has an infinite effort rate when it pays something, 0 when it pays nothing.
    """
    cost = net_housing_cost(rent, charges, benefit, rls)
    res = _monthly(monthly_resources)
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
    *,
    days_per_month: float,
) -> FloatArray:
    """Reste à vivre in € per consumption unit per day.

    ``(monthly resources − (rent − RLS + charges − benefit)) / units / days_per_month``; ``units``
    are the household's consumption units (``mixite.household.consumption_units``),
    ``days_per_month`` the charter's convention (``Thresholds.days_per_month``, parameter
    ``solvabilite.jours_par_mois``). Monthly resources include every member's income (the benefit
    is not counted twice: it is deducted from the cost).
    """
    cost = net_housing_cost(rent, charges, benefit, rls)
    left = _monthly(monthly_resources) - cost
    out: FloatArray = left / np.asarray(units, dtype="float64") / days_per_month
    return out


@dataclass(frozen=True)
class Thresholds:
    """Affordability conventions of the CAL charter (local conventions, not law).

    A dwelling is affordable to a household when its effort rate is at most ``max_effort_rate``
    and its reste à vivre at least ``min_reste_a_vivre`` € per consumption unit and per day, a
    month counting ``days_per_month`` days (``docs/solvabilite.md``).
    """

    max_effort_rate: float
    min_reste_a_vivre: float
    days_per_month: float

    @classmethod
    def charter(cls, when: dt.date | str, params: Parameters | None = None) -> Thresholds:
        """The default charter in force at ``when``: parameters ``solvabilite.*``."""
        p = resolve(params)
        return cls(
            max_effort_rate=float(p.value("solvabilite.taux_effort_max", when)),
            min_reste_a_vivre=float(p.value("solvabilite.reste_a_vivre_min", when)),
            days_per_month=float(p.value("solvabilite.jours_par_mois", when)),
        )


def territory_thresholds(
    territory: pd.DataFrame | None, when: dt.date | str, params: Parameters | None = None
) -> Thresholds:
    """The affordability thresholds of a territory at ``when``.

    The territory's CAL-charter values (``taux_effort_max`` and ``reste_a_vivre_min`` of
    ``territoire.yaml``, columns ``max_effort_rate`` and ``min_reste_a_vivre`` of the last row of
    the ``territory`` table) override the default charter (``Thresholds.charter``); a missing
    table, column or value keeps the default.
    """
    out = Thresholds.charter(when, params)
    if territory is None or territory.empty:
        return out
    row = territory.iloc[-1]
    if "max_effort_rate" in territory.columns and pd.notna(row["max_effort_rate"]):
        out = replace(out, max_effort_rate=float(row["max_effort_rate"]))
    if "min_reste_a_vivre" in territory.columns and pd.notna(row["min_reste_a_vivre"]):
        out = replace(out, min_reste_a_vivre=float(row["min_reste_a_vivre"]))
    return out


def _chunks(total: int, size: int) -> Iterator[slice]:
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))


def affordable_pairs(
    households: pd.DataFrame,
    dwellings: pd.DataFrame,
    when: dt.date | str,
    *,
    thresholds: Thresholds | None = None,
    params: Parameters | None = None,
    chunk_pairs: int = 1_000_000,
) -> npt.NDArray[np.bool_]:
    """Boolean matrix (households × dwellings): the dwelling is affordable to the household.

    ``households`` columns: ``couple`` (bool), ``dependants`` (int), ``annual_resources`` (APL
    resource base, €/year), ``monthly_resources`` (€/month, all members), ``units`` (consumption
    units). ``dwellings`` columns: ``zone`` (1–3), ``rent`` and ``charges`` (€/month), ``hlm``
    (bool, RLS applies). A pair is affordable when the effort rate is at most
    ``thresholds.max_effort_rate`` and the reste à vivre at least ``thresholds.min_reste_a_vivre``
    €/UC/day, after APL and RLS (``None``: the default charter at ``when``, ``Thresholds.charter``).

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
    limits = Thresholds.charter(when, params) if thresholds is None else thresholds
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
    for block in _chunks(n_h, rows):
        monthly = h["monthly_resources"][block].astype("float64")[:, None]
        units = h["units"][block].astype("float64")[:, None]
        benefit, rls = housing_benefit(
            zone=d_zone,
            couple=h["couple"][block].astype(bool)[:, None],
            dependants=h["dependants"][block].astype("int64")[:, None],
            rent=d_rent,
            annual_resources=h["annual_resources"][block].astype("float64")[:, None],
            scale=scale,
            hlm=d_hlm,
        )
        cost = net_housing_cost(d_rent, d_charges, benefit, rls)
        rav = (monthly - cost) / units / limits.days_per_month
        out[block] = (cost <= limits.max_effort_rate * monthly) & (rav >= limits.min_reste_a_vivre)
    return out


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """The housing-aid kernels (Numba, ``parallel=True``) on one thread inside the block: for
    the simulation, which calls them on blocks of a few hundred pairs, where starting threads
    costs a hundred times the work (measured: 24 ms against 0.2 ms per block of 512 on a loaded
    2-core machine), and wherever processes already run in parallel (projection replicates,
    the national run's Dask workers: docs/national.md)."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
