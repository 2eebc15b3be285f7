"""Room for manoeuvre outside QPV: how many Q1 attributions the stock could take each year.

For the attributions of calendar year Y (``year``), with the store millésime N = Y + 1 (RPLS at
1/1/N with the leases of Y, applications pending at 31/12/Y), the module answers, per landlord,
commune, residence and for the EPCI (definitions in ``docs/marges.md``):

* which pending **Q1 applicants** (12 × monthly resources / UC below the Q1 threshold in force in
  Y, ``household.q1_status``) could take which dwellings outside QPV: the dwelling is
  **eligible** (the household's income is at most the income ceiling of the dwelling's financing
  family, PLAI / PLUS / PLS, the old stock and other financings taking the PLUS ceilings, for the
  household's category of ``household.ceiling_category``, « jeune ménage » and disability
  included; the income is the RFR ``tax_income``, 12 × ``monthly_resources`` when it is
  missing), **adequately sized**
  (rooms within [size + ``ecart_min``, size + ``ecart_max``], bounds clipped to
  [1, ``pieces_max``], the dwelling's rooms capped at ``pieces_max``) and **affordable** (effort
  rate after housing benefit and RLS at most the territory's maximum, reste à vivre at least its
  minimum, ``affordability.territory_thresholds``: ``territoire.yaml``, else the default charter
  ``solvabilite.*``);
* the **expected yearly vacancies** of each dwelling: the turnover rate of its residence
  (``stock.vacancy_turnover`` definitions: leases of Y in dwellings already in service over the
  stock in service) when the residence's stock in service reaches ``parc_min_residence``, else
  the turnover rate of its landlord outside QPV;
* the **maximum attainable share of Q1 attributions outside QPV** of a group g::

      attainable(g) = min(V_ok(g), A(g)) / V(g)

  with V(g) the expected vacancies of g's dwellings outside QPV offered for rent, V_ok(g) those of
  the dwellings that at least one pending Q1 applicant could take (eligible, sized, affordable)
  and A(g) the number of pending Q1 applicants who could take at least one dwelling of g;
* the **binding reason** of a group below the target: the largest of the expected vacancies lost
  to the income ceilings, to the sizes, to the rents, to the turnover (dwellings Q1 applicants
  could take turn over less than the group's others) and to the Q1 demand (the cap A);
* per residence and household size, the **rent reduction** (€/month) that would make the
  residence's typical dwelling for that size (median rent and surface of its adequately sized
  dwellings) affordable to the median Q1 applicant of that size (lower median by monthly
  resources).

Computation: dwellings are grouped into *types* (residence × capped rooms × ceiling kind ×
RLS flag; the type's rent and surface are the medians of its dwellings). The net rent
``rent − RLS − housing benefit`` of each Q1 applicant is computed once on a rent grid (step
``grille_loyer.pas``) for each APL context (zone × RLS flag) and interpolated linearly at the types'
rents, so that a pair applicant × type costs a few array operations; pairs are processed in
applicant blocks (bounded memory). Charges are ``solvabilite.charges_par_m2`` × surface (RPLS
holds no charges). The benefit formula is the one of ``affordability`` for every dwelling: since 2021 the
locatif formula is common to APL, ALF and ALS, so a non-conventionné dwelling only loses the RLS.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from mixite.affordability import Thresholds, apl_scale, housing_benefit, territory_thresholds
from mixite.ceilings import category_ceiling
from mixite.errors import InputError, Location
from mixite.household import annual_resources, ceiling_category, consumption_units, q1_status
from mixite.indicators._common import Definition, require_columns, safe_ratio
from mixite.indicators.quotas import q1_threshold, quota_indicators
from mixite.params import Parameters, resolve
from mixite.vocabulary import TARGET_PARAMETERS, Indicator, Level

__all__ = [
    "DEFINITIONS",
    "Marges",
    "applicant_frame",
    "dwelling_types",
    "expected_vacancy_rates",
    "median_q1_households",
    "net_rent",
    "rent_reductions",
    "room_for_manoeuvre",
    "room_window",
    "size_class",
    "wished_commune_matrix",
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


def size_class(household_size: Any, max_class: int) -> IntArray:
    """Household size class 1..``max_class`` (the last one reads « ``max_class`` and more »)."""
    out: IntArray = np.clip(np.asarray(household_size, dtype=np.int64), 1, max_class)
    return out


def room_window(
    household_size: Any, when: dt.date, params: Parameters | None = None
) -> tuple[IntArray, IntArray]:
    """Adequate rooms ``(min, max)`` for households: size + ``ecart_min`` … size + ``ecart_max``.

    Both bounds are clipped to [1, ``marges.adequation.pieces_max``]; a dwelling's rooms are
    capped at the same maximum before the comparison (a T7 counts as a T6).
    """
    p = resolve(params)
    low = int(p.value("marges.adequation.ecart_min", when))
    high = int(p.value("marges.adequation.ecart_max", when))
    cap = int(p.value("marges.adequation.pieces_max", when))
    size = np.asarray(household_size, dtype=np.int64)
    lo: IntArray = np.clip(size + low, 1, cap)
    hi: IntArray = np.clip(size + high, 1, cap)
    return lo, hi


def expected_vacancy_rates(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.Series:
    """Expected yearly vacancies of each dwelling: the turnover rate of its residence or landlord.

    RPLS turnover definitions of ``stock.vacancy_turnover`` (leases of N-1 in dwellings already in
    service, over the stock in service offered for rent), computed separately inside and outside
    QPV. A residence whose stock in service is below ``marges.mobilite.parc_min_residence`` takes
    its landlord's rate (same QPV status); a dwelling not offered for rent gets 0. Indexed like
    ``dwellings``.
    """
    from mixite.indicators.stock import vacancy_turnover

    p = resolve(params)
    when = dt.date(millesime, 1, 1)
    minimum = int(p.value("marges.mobilite.parc_min_residence", when))
    offered_modes = [str(m) for m in p.value("indicateurs.vacance.modes_proposes", when)]
    frame = dwellings.reset_index(drop=True)
    qpv = frame["in_qpv"].astype(bool).map({True: "Q", False: "H"}).astype(str)
    res_key = frame["residence_id"].astype(str) + "|" + qpv
    lan_key = frame["landlord_id"].astype(object).fillna("?").astype(str) + "|" + qpv
    rates = []
    for key in (res_key, lan_key):
        tmp = frame.assign(residence_id=key.to_numpy())
        table = vacancy_turnover(tmp, millesime, "residence", p).set_index("residence_id")
        rates.append(table)
    res_table, lan_table = rates
    res_rate = res_key.map(res_table["turnover_rate"]).to_numpy(dtype="float64")
    res_base = res_key.map(res_table["turnover_base"]).to_numpy(dtype="float64")
    lan_rate = lan_key.map(lan_table["turnover_rate"]).to_numpy(dtype="float64")
    rate = np.where((res_base >= minimum) & np.isfinite(res_rate), res_rate, lan_rate)
    rate = np.nan_to_num(rate, nan=0.0)
    offered = frame["occupancy_mode"].astype(object).isin(offered_modes).to_numpy()
    return pd.Series(np.where(offered, rate, 0.0), index=dwellings.index, name="rate")


def applicant_frame(
    applications: pd.DataFrame,
    threshold: float,
    when: dt.date,
    thresholds: Thresholds,
    params: Parameters | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """The pending Q1 applicants with what the matching needs, one row each.

    Columns added to the applications: ``size_class``, ``rooms_lo``/``rooms_hi`` (adequate
    rooms), ``income`` (RFR, 12 × monthly resources when missing: ceilings and benefit base),
    ``couple`` (two adults), ``units`` (UC of ``mixite.household``) and ``budget`` (€/month: the
    largest net housing cost meeting both the effort rate and the reste à vivre,
    ``min(max_effort_rate × M, M − min_reste_a_vivre × UC × days_per_month)``, ``thresholds``).
    """
    require_columns(
        applications,
        [
            "household_size",
            "adults",
            "persons_14plus",
            "dependants",
            "monthly_resources",
            "tax_income",
        ],
        "applications",
    )
    p = resolve(params)
    q1 = q1_status(applications, threshold, when, p, strict).to_numpy(dtype=bool)
    frame = applications.loc[q1].reset_index(drop=True).copy()
    monthly = frame["monthly_resources"].to_numpy(dtype="float64")
    tax = pd.to_numeric(frame["tax_income"], errors="coerce").to_numpy(dtype="float64")
    frame["income"] = np.where(np.isfinite(tax), tax, annual_resources(monthly))
    size = frame["household_size"].to_numpy(dtype=np.int64)
    frame["size_class"] = size_class(size, int(p.value("marges.tailles.classe_max", when)))
    lo, hi = room_window(size, when, p)
    frame["rooms_lo"], frame["rooms_hi"] = lo, hi
    frame["couple"] = frame["adults"].to_numpy(dtype=np.int64) >= 2
    frame["units"] = consumption_units(
        frame["adults"], frame["persons_14plus"], frame["household_size"], when, p
    )
    floor = (
        thresholds.min_reste_a_vivre
        * frame["units"].to_numpy(dtype="float64")
        * thresholds.days_per_month
    )
    frame["budget"] = np.minimum(thresholds.max_effort_rate * monthly, monthly - floor)
    return frame


def dwelling_types(
    dwellings: pd.DataFrame,
    communes: pd.DataFrame,
    landlords: pd.DataFrame | None,
    millesime: int,
    when: dt.date,
    params: Parameters | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dwellings outside QPV offered for rent, and their types.

    Returns ``(dwellings, types)``. The dwellings frame adds ``rate`` (expected vacancies),
    ``rooms_cap``, ``kind`` (ceiling kind), ``ceiling_zone``, ``apl_zone``, ``rls`` (RLS applies:
    conventionné dwelling of a landlord of ``marges.rls.categories_bailleurs``; every landlord when
    the landlords table is missing), ``charges`` and ``type_id``. A missing rent is replaced by the
    median rent of the same residence and rooms; dwellings still without rent or zone get no type
    (``type_id`` −1: never accessible). Types are residence × capped rooms × kind × RLS flag with
    the median rent and surface of their dwellings.
    """
    require_columns(
        dwellings,
        ["residence_id", "landlord_id", "commune", "in_qpv", "rooms", "surface", "finan_family"],
        "dwellings",
    )
    require_columns(communes, ["commune", "apl_zone", "ceiling_zone"], "communes")
    p = resolve(params)
    rates = expected_vacancy_rates(dwellings, millesime, p)
    offered_modes = [str(m) for m in p.value("indicateurs.vacance.modes_proposes", when)]
    keep = (~dwellings["in_qpv"].astype(bool)).to_numpy() & dwellings["occupancy_mode"].astype(
        object
    ).isin(offered_modes).to_numpy()
    out = dwellings.loc[keep].copy()
    out["rate"] = rates.loc[keep].to_numpy()
    out = out.reset_index(drop=True)
    cap = int(p.value("marges.adequation.pieces_max", when))
    out["rooms_cap"] = np.clip(out["rooms"].to_numpy(dtype=np.int64), 1, cap)
    kinds: Mapping[str, str] = p.value("marges.plafonds.famille_financement", when)
    out["kind"] = out["finan_family"].map(lambda f: kinds.get(str(f), "plus"))
    zones = communes.drop_duplicates("commune").set_index("commune")
    out["ceiling_zone"] = out["commune"].map(zones["ceiling_zone"])
    out["apl_zone"] = pd.to_numeric(out["commune"].map(zones["apl_zone"]), errors="coerce")
    rls_kinds = {str(k) for k in p.value("marges.rls.categories_bailleurs", when)}
    if landlords is not None and len(landlords):
        kind_of = landlords.drop_duplicates("landlord_id").set_index("landlord_id")["landlord_kind"]
        hlm = out["landlord_id"].map(kind_of).isin(rls_kinds).to_numpy()
    else:
        hlm = np.ones(len(out), dtype=bool)
    conv = (
        out["conventionne"].astype(bool).to_numpy()
        if "conventionne" in out
        else np.ones(len(out), dtype=bool)
    )
    out["rls"] = hlm & conv
    rent = pd.to_numeric(out["rent"], errors="coerce").astype("float64")
    fill = rent.groupby([out["residence_id"], out["rooms_cap"]]).transform("median")
    out["rent"] = rent.fillna(fill)
    per_m2 = float(p.value("solvabilite.charges_par_m2", when))
    out["charges"] = per_m2 * pd.to_numeric(out["surface"], errors="coerce").fillna(0.0)
    valid = (
        out["rent"].notna() & out["apl_zone"].isin([1, 2, 3]) & out["ceiling_zone"].notna()
    ).to_numpy()
    keys = ["residence_id", "rooms_cap", "kind", "rls"]
    grouped = out.loc[valid].groupby(keys, sort=True)
    types = grouped.agg(
        landlord_id=("landlord_id", "first"),
        commune=("commune", "first"),
        ceiling_zone=("ceiling_zone", "first"),
        apl_zone=("apl_zone", "first"),
        rent=("rent", "median"),
        surface=("surface", "median"),
        dwellings=("rent", "size"),
        vacancies=("rate", "sum"),
    ).reset_index()
    types["charges"] = per_m2 * types["surface"].astype("float64")
    type_id = np.full(len(out), -1, dtype=np.int64)
    type_id[valid] = grouped.ngroup().to_numpy(dtype=np.int64)
    out["type_id"] = type_id
    return out, types


def net_rent(
    applicants: pd.DataFrame,
    rent: Any,
    apl_zone: Any,
    rls: Any,
    when: dt.date,
    params: Parameters | None = None,
) -> FloatArray:
    """``rent − RLS − housing benefit`` (€/month) for applicants (rows) × rents (broadcast).

    ``applicants`` needs ``couple``, ``dependants``, ``income`` (benefit resource base);
    ``rent``, ``apl_zone``, ``rls`` broadcast against an ``(n, 1)`` applicant axis.
    """
    scale = apl_scale(when, params)
    benefit, granted_rls = housing_benefit(
        zone=np.asarray(apl_zone),
        couple=applicants["couple"].to_numpy(dtype=bool)[:, None],
        dependants=applicants["dependants"].to_numpy(dtype=np.int64)[:, None],
        rent=np.asarray(rent, dtype="float64"),
        annual_resources=applicants["income"].to_numpy(dtype="float64")[:, None],
        scale=scale,
        hlm=np.asarray(rls, dtype=bool),
    )
    out: FloatArray = np.asarray(rent, dtype="float64") - granted_rls - benefit
    return out


def _ceiling_matrix(
    applicants: pd.DataFrame, combos: list[tuple[str, str]], when: dt.date, params: Parameters
) -> FloatArray:
    out = np.empty((len(applicants), len(combos)), dtype="float64")
    category, extra = ceiling_category(applicants, when, params)
    for j, (kind, zone) in enumerate(combos):
        zones = np.full(len(applicants), zone, dtype=object)
        out[:, j] = category_ceiling(kind, zones, category, extra, when, params)
    return out


@dataclass(frozen=True)
class _Match:
    """What the applicant × type matching yields."""

    type_eligible: BoolArray  # (T,) at least one Q1 applicant under the ceiling
    type_sized: BoolArray  # (T,) … under the ceiling and adequately sized
    type_ok: BoolArray  # (T,) … and affordable
    type_ok_class: BoolArray  # (T, C) accessible to an applicant of size class c
    applicant_ok: dict[str, FloatArray]  # level → (C, G) applicants with an accessible type
    applicant_sized: dict[str, FloatArray]  # level → (C, G) applicants with a sized type
    applicant_any_ok: BoolArray  # (A,) applicant has an accessible type anywhere


def _match(
    applicants: pd.DataFrame,
    types: pd.DataFrame,
    groups: Mapping[str, IntArray],
    n_groups: Mapping[str, int],
    n_classes: int,
    when_ceiling: dt.date,
    when_benefit: dt.date,
    params: Parameters,
    chunk_pairs: int,
    wishes: BoolArray | None = None,
) -> _Match:
    """Match Q1 applicants with dwelling types. ``wishes`` (applicants × communes of
    ``types["commune"]`` in sorted order), when given, restricts each applicant to the communes
    it wished."""
    n_a, n_t = len(applicants), len(types)
    communes = sorted(types["commune"].astype(str).unique().tolist())
    t_commune = (
        types["commune"].astype(str).map({c: i for i, c in enumerate(communes)}).to_numpy()
    ).astype(np.int64)
    combos = sorted(set(zip(types["kind"], types["ceiling_zone"], strict=True)))
    combo_index = {c: i for i, c in enumerate(combos)}
    t_combo = np.array(
        [combo_index[c] for c in zip(types["kind"], types["ceiling_zone"], strict=True)],
        dtype=np.int64,
    )
    ceilings = (
        _ceiling_matrix(applicants, combos, when_ceiling, params)
        if n_a
        else np.zeros((0, len(combos)))
    )
    income = applicants["income"].to_numpy(dtype="float64")
    eligible_combo: BoolArray = np.asarray(
        (income[:, None] <= ceilings).any(axis=0) if n_a else np.zeros(len(combos), dtype=bool),
        dtype=bool,
    )
    type_eligible = eligible_combo[t_combo] if n_t else np.zeros(0, dtype=bool)
    if wishes is not None and n_a and n_t:
        under = (income[:, None] <= ceilings).astype(np.float32)
        reach = (under.T @ wishes.astype(np.float32)) > 0  # combo × commune
        type_eligible = reach[t_combo, t_commune]

    # Net rent of every applicant on a rent grid, per APL context (zone × RLS flag).
    step = float(params.value("marges.grille_loyer.pas", when_benefit))
    t_rent = types["rent"].to_numpy(dtype="float64")
    n_grid = math.floor((float(t_rent.max()) if n_t else 0.0) / step) + 2
    grid = step * np.arange(n_grid, dtype="float64")
    contexts = sorted(
        set(zip(types["apl_zone"].astype(int), types["rls"].astype(bool), strict=True))
    )
    ctx_index = {c: i for i, c in enumerate(contexts)}
    t_ctx = np.array(
        [
            ctx_index[c]
            for c in zip(types["apl_zone"].astype(int), types["rls"].astype(bool), strict=True)
        ],
        dtype=np.int64,
    )
    table = np.empty((n_a, len(contexts) * n_grid), dtype="float64")
    for i, (zone, rls) in enumerate(contexts):
        rows = max(1, chunk_pairs // n_grid)
        for start in range(0, n_a, rows):
            part = applicants.iloc[start : start + rows]
            table[start : start + rows, i * n_grid : (i + 1) * n_grid] = net_rent(
                part, grid[None, :], zone, rls, when_benefit, params
            )
    position = t_rent / step
    i0 = np.minimum(np.floor(position).astype(np.int64), n_grid - 2)
    weight = position - i0
    col0 = t_ctx * n_grid + i0
    t_charges = types["charges"].to_numpy(dtype="float64")
    t_rooms = types["rooms_cap"].to_numpy(dtype=np.int64)

    type_sized = np.zeros(n_t, dtype=bool)
    type_ok = np.zeros(n_t, dtype=bool)
    type_ok_class = np.zeros((n_t, n_classes), dtype=bool)
    onehot = {
        level: sparse.csr_matrix(
            (np.ones(n_t, dtype=np.float32), (np.arange(n_t), g)), shape=(n_t, n_groups[level])
        )
        for level, g in groups.items()
    }
    applicant_ok = {lv: np.zeros((n_classes, n_groups[lv])) for lv in groups}
    applicant_sized = {lv: np.zeros((n_classes, n_groups[lv])) for lv in groups}
    applicant_any_ok = np.zeros(n_a, dtype=bool)

    a_lo = applicants["rooms_lo"].to_numpy(dtype=np.int64)
    a_hi = applicants["rooms_hi"].to_numpy(dtype=np.int64)
    a_class = applicants["size_class"].to_numpy(dtype=np.int64) - 1
    budget = applicants["budget"].to_numpy(dtype="float64")
    windows = sorted(set(zip(a_lo.tolist(), a_hi.tolist(), strict=True)))
    for lo, hi in windows:
        members = np.flatnonzero((a_lo == lo) & (a_hi == hi))
        cols = np.flatnonzero((t_rooms >= lo) & (t_rooms <= hi))
        if not len(cols):
            continue
        sel = {lv: onehot[lv][cols] for lv in groups}
        rows = max(1, chunk_pairs // len(cols))
        for start in range(0, len(members), rows):
            block = members[start : start + rows]
            elig = income[block, None] <= ceilings[np.ix_(block, t_combo[cols])]
            if wishes is not None:
                elig &= wishes[np.ix_(block, t_commune[cols])]
            sub = table[block]
            net = sub[:, col0[cols]] * (1.0 - weight[cols]) + sub[:, col0[cols] + 1] * weight[cols]
            ok = elig & (net + t_charges[cols] <= budget[block, None])
            type_sized[cols] |= elig.any(axis=0)
            ok_any_rows = ok.any(axis=0)
            type_ok[cols] |= ok_any_rows
            classes = a_class[block]
            for c in np.unique(classes):
                type_ok_class[cols, c] |= ok[classes == c].any(axis=0)
            applicant_any_ok[block] |= ok.any(axis=1)
            for lv in groups:
                has_ok = np.asarray(ok.astype(np.float32) @ sel[lv]) > 0
                has_sized = np.asarray(elig.astype(np.float32) @ sel[lv]) > 0
                np.add.at(applicant_ok[lv], classes, has_ok)
                np.add.at(applicant_sized[lv], classes, has_sized)
    return _Match(
        type_eligible=type_eligible,
        type_sized=type_sized,
        type_ok=type_ok,
        type_ok_class=type_ok_class,
        applicant_ok=applicant_ok,
        applicant_sized=applicant_sized,
        applicant_any_ok=applicant_any_ok,
    )


def _reason(frame: pd.DataFrame, target: float, no_demand: bool = False) -> pd.Series:
    losses = frame[["loss_rent", "loss_size", "loss_turnover", "loss_demand", "loss_ceiling"]]
    codes = np.array(["loyer", "taille", "vacances", "demande", "plafonds"], dtype=object)
    worst = codes[np.argmax(losses.to_numpy(dtype="float64"), axis=1)] if len(frame) else []
    if no_demand:  # without any Q1 applicant, the demand binds whatever the stock
        worst = np.full(len(frame), "demande", dtype=object)
    share = frame["attainable_share"].to_numpy(dtype="float64")
    out = np.where(
        frame["expected_vacancies"].to_numpy(dtype="float64") <= 0,
        "sans_parc",
        np.where(share >= target - 1e-12, "atteignable", worst),
    )
    return pd.Series(out, index=frame.index, dtype=object)


def wished_commune_matrix(applicants: pd.DataFrame, communes: list[str]) -> BoolArray:
    """Boolean matrix applicants × ``communes``: the commune is among the applicant's wishes.

    An applicant whose list of wished communes is empty can take every commune; wishes outside
    ``communes`` are ignored.
    """
    require_columns(applicants, ["wished_communes"], "applications")
    index = {c: j for j, c in enumerate(communes)}
    out = np.zeros((len(applicants), len(communes)), dtype=bool)
    for i, wished in enumerate(applicants["wished_communes"]):
        codes = [str(c) for c in (wished if isinstance(wished, (list, tuple, np.ndarray)) else [])]
        if not codes:
            out[i] = True
            continue
        for code in codes:
            j = index.get(code)
            if j is not None:
                out[i, j] = True
    return out


def median_q1_households(applicants: pd.DataFrame) -> pd.DataFrame:
    """The median Q1 applicant of each size class: lower median by monthly resources.

    One row per size class present (the applicant row itself, so its composition is real).
    """
    if applicants.empty:
        return applicants.copy()
    ordered = applicants.sort_values(["size_class", "monthly_resources"], kind="stable")
    rows = []
    for _, part in ordered.groupby("size_class", sort=True):
        rows.append(part.iloc[(len(part) - 1) // 2])
    return pd.DataFrame(rows).reset_index(drop=True)


def rent_reductions(
    dwellings: pd.DataFrame,
    medians: pd.DataFrame,
    when_benefit: dt.date,
    params: Parameters | None = None,
    iterations: int = 40,
) -> pd.DataFrame:
    """Per residence outside QPV and size class: the rent reduction making it affordable.

    ``dwellings`` is the first frame returned by ``dwelling_types``; ``medians`` comes from
    ``median_q1_households`` (applicant columns of ``applicant_frame``). The typical dwelling of a
    residence for a size class has the median rent and surface of the residence's dwellings whose
    capped rooms fit the median household's window. The affordable rent is the largest rent whose
    net cost (rent − RLS − benefit + charges) stays within the household's ``budget``, found by
    bisection (the net cost is non-decreasing in the rent); NaN when even a zero rent is too
    dear. Columns: ``residence_id``, ``landlord_id``, ``commune``, ``size_class``,
    ``median_resources``, ``typical_rent``, ``affordable_rent``, ``rent_reduction``.
    """
    p = resolve(params)
    columns = [
        "residence_id", "landlord_id", "commune", "size_class", "median_resources",
        "typical_rent", "affordable_rent", "rent_reduction",
    ]  # fmt: skip
    known = dwellings.loc[dwellings["type_id"] >= 0]
    if known.empty or medians.empty:
        return pd.DataFrame(columns=columns)
    per_m2 = float(p.value("solvabilite.charges_par_m2", when_benefit))
    pieces = []
    for _, household in medians.iterrows():
        fits = (known["rooms_cap"] >= household["rooms_lo"]) & (
            known["rooms_cap"] <= household["rooms_hi"]
        )
        part = known.loc[fits]
        if part.empty:
            continue
        typical = part.groupby("residence_id", sort=True).agg(
            landlord_id=("landlord_id", "first"),
            commune=("commune", "first"),
            typical_rent=("rent", "median"),
            surface=("surface", "median"),
            apl_zone=("apl_zone", "first"),
            rls=("rls", lambda s: bool(s.mean() >= 0.5)),
        )
        typical["size_class"] = int(household["size_class"])
        typical["median_resources"] = float(household["monthly_resources"])
        typical["budget"] = float(household["budget"])
        for col in ("couple", "dependants", "income"):
            typical[col] = household[col]
        pieces.append(typical.reset_index())
    if not pieces:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(pieces, ignore_index=True)
    charges = per_m2 * frame["surface"].to_numpy(dtype="float64")
    zone = frame["apl_zone"].to_numpy(dtype=np.int64)
    rls = frame["rls"].to_numpy(dtype=bool)
    budget = frame["budget"].to_numpy(dtype="float64")
    scale = apl_scale(when_benefit, p)

    def cost(rent: FloatArray) -> FloatArray:
        benefit, granted_rls = housing_benefit(
            zone=zone,
            couple=frame["couple"].to_numpy(dtype=bool),
            dependants=frame["dependants"].to_numpy(dtype=np.int64),
            rent=rent,
            annual_resources=frame["income"].to_numpy(dtype="float64"),
            scale=scale,
            hlm=rls,
        )
        out: FloatArray = rent - granted_rls - benefit + charges
        return out

    high = frame["typical_rent"].to_numpy(dtype="float64")
    low = np.zeros_like(high)
    fine_at_top = cost(high) <= budget
    possible = cost(low) <= budget
    for _ in range(iterations):
        mid = (low + high) / 2.0
        ok = cost(mid) <= budget
        low = np.where(ok, mid, low)
        high = np.where(ok, high, mid)
    typical_rent = frame["typical_rent"].to_numpy(dtype="float64")
    affordable = np.where(fine_at_top, typical_rent, np.round(low, 2))
    affordable = np.where(possible, affordable, np.nan)
    frame["affordable_rent"] = affordable
    frame["rent_reduction"] = np.round(np.maximum(typical_rent - affordable, 0.0), 2)
    result: pd.DataFrame = frame[columns].sort_values(
        ["residence_id", "size_class"], ignore_index=True
    )
    return result


@dataclass(frozen=True)
class Marges:
    """The room for manoeuvre of one year (frames documented in ``DEFINITIONS``).

    ``groups``: one row per EPCI (``level`` « territoire »), landlord, commune and residence;
    ``by_size``: per level, group and household size class; ``rent_reductions``: per residence
    and size class. ``threshold`` is the Q1 threshold of ``year`` (€/year/UC).
    """

    year: int
    millesime: int
    wished_communes: bool
    threshold: float
    target: float
    max_effort_rate: float
    min_reste_a_vivre: float
    q1_applicants: int
    groups: pd.DataFrame
    by_size: pd.DataFrame
    rent_reductions: pd.DataFrame


_LEVEL_COLUMNS = {
    Level.EPCI: None,
    Level.LANDLORD: "landlord_id",
    Level.COMMUNE: "commune",
    Level.RESIDENCE: "residence_id",
}


def room_for_manoeuvre(
    frames: Mapping[str, pd.DataFrame],
    year: int,
    millesime: int | None = None,
    params: Parameters | None = None,
    strict_q1: bool = True,
    chunk_pairs: int = 2_000_000,
    wished_communes: bool = False,
) -> Marges:
    """Room for manoeuvre outside QPV for the attributions of ``year`` (see module docstring).

    ``frames`` holds the canonical tables of store millésime ``millesime`` (default
    ``year + 1``): ``dwellings``, ``applications``, ``communes``, ``territory`` (required),
    ``landlords`` and ``attributions`` (optional; the achieved share needs the attributions of
    ``year``). Dates: Q1 threshold of ``year``, ceilings and UC at 31/12/``year``, housing benefit
    of December ``year``. ``wished_communes``: an applicant can only take dwellings in the
    communes it wished (``wished_communes`` column; an applicant without any wish can take
    every commune); by default every applicant can take every commune of the territory.
    """
    for name in ("dwellings", "applications", "communes", "territory"):
        if name not in frames or frames[name] is None:
            raise InputError(
                f"Table « {name} » absente",
                Location(name),
                "Importez cette table dans la base du territoire (mixite importer).",
            )
    p = resolve(params)
    millesime = year + 1 if millesime is None else millesime
    when = dt.date(year, 12, 31)
    when_benefit = dt.date(year, 12, 1)
    territory = frames["territory"]
    threshold = q1_threshold(territory, year, p)
    target = float(p.value(TARGET_PARAMETERS[Indicator.Q1_OUTSIDE_QPV], when))
    thresholds = territory_thresholds(territory, when, p)
    n_classes = int(p.value("marges.tailles.classe_max", when))

    applicants = applicant_frame(frames["applications"], threshold, when, thresholds, p, strict_q1)
    dwellings, types = dwelling_types(
        frames["dwellings"], frames["communes"], frames.get("landlords"), millesime, when, p
    )
    labels: dict[str, list[str]] = {}
    groups: dict[str, IntArray] = {}
    for level, col in _LEVEL_COLUMNS.items():
        keys = (
            pd.Series(str(Level.EPCI), index=dwellings.index)
            if col is None
            else dwellings[col].astype(object).fillna("non renseigné").astype(str)
        )
        codes, uniques = pd.factorize(keys, sort=True)
        labels[level] = [str(u) for u in uniques]
        if col is None:  # the EPCI row exists even without any dwelling outside QPV
            labels[level] = [str(Level.EPCI)]
        dwellings[f"g_{level}"] = codes
        groups[level] = (
            dwellings.loc[dwellings["type_id"] >= 0]
            .drop_duplicates("type_id")
            .sort_values("type_id")[f"g_{level}"]
            .to_numpy(dtype=np.int64)
        )
    n_groups = {lv: len(labels[lv]) for lv in labels}
    wishes = (
        wished_commune_matrix(applicants, sorted(types["commune"].astype(str).unique()))
        if wished_communes
        else None
    )
    match = _match(
        applicants, types, groups, n_groups, n_classes, when, when_benefit, p, chunk_pairs, wishes
    )

    def per_dwelling(flags: BoolArray) -> BoolArray:
        tid = dwellings["type_id"].to_numpy(dtype=np.int64)
        out: BoolArray = np.where(
            tid >= 0, flags[np.maximum(tid, 0)] if len(flags) else False, False
        )
        return out

    rate = dwellings["rate"].to_numpy(dtype="float64")
    d_elig = per_dwelling(match.type_eligible)
    d_sized = per_dwelling(match.type_sized)
    d_ok = per_dwelling(match.type_ok)
    rows = []
    size_rows = []
    class_values = np.arange(1, n_classes + 1)
    q1_by_class = np.bincount(
        applicants["size_class"].to_numpy(dtype=np.int64) - 1, minlength=n_classes
    )[:n_classes]
    for level in _LEVEL_COLUMNS:
        g = dwellings[f"g_{level}"].to_numpy(dtype=np.int64)
        n = n_groups[level]

        def total(weights: FloatArray, g: IntArray = g, n: int = n) -> FloatArray:
            out: FloatArray = np.asarray(
                np.bincount(g, weights=weights, minlength=n)[:n], dtype="float64"
            )
            return out

        a_ok: FloatArray
        if level == Level.EPCI:
            a_ok = np.array([float(match.applicant_any_ok.sum())])
        else:
            a_ok = match.applicant_ok[level].sum(axis=0)
        frame = pd.DataFrame(
            {
                "level": str(level),
                "group": labels[level],
                "dwellings": total(np.ones(len(g))),
                "dwellings_ok": total(d_ok.astype("float64")),
                "expected_vacancies": total(rate),
                "vacancies_eligible": total(rate * d_elig),
                "vacancies_sized": total(rate * d_sized),
                "vacancies_ok": total(rate * d_ok),
                "q1_applicants_ok": a_ok,
            }
        )
        frame["attainable_q1"] = np.minimum(frame["vacancies_ok"], frame["q1_applicants_ok"])
        frame["attainable_share"] = safe_ratio(frame["attainable_q1"], frame["expected_vacancies"])
        frame["loss_ceiling"] = frame["expected_vacancies"] - frame["vacancies_eligible"]
        frame["loss_size"] = frame["vacancies_eligible"] - frame["vacancies_sized"]
        frame["loss_rent"] = frame["vacancies_sized"] - frame["vacancies_ok"]
        share_ok = safe_ratio(frame["dwellings_ok"], frame["dwellings"]).fillna(0.0)
        frame["loss_turnover"] = np.maximum(
            frame["expected_vacancies"] * share_ok - frame["vacancies_ok"], 0.0
        )
        frame["loss_demand"] = frame["vacancies_ok"] - frame["attainable_q1"]
        frame["dwellings"] = frame["dwellings"].astype(np.int64)
        frame["dwellings_ok"] = frame["dwellings_ok"].astype(np.int64)
        frame["q1_applicants_ok"] = frame["q1_applicants_ok"].astype(np.int64)
        rows.append(frame)
        if level == Level.EPCI:
            per_class_ok = np.bincount(
                applicants["size_class"].to_numpy(dtype=np.int64)[match.applicant_any_ok] - 1,
                minlength=n_classes,
            )[:n_classes, None].astype("float64")
            per_class_sized = match.applicant_sized[level]
        else:
            per_class_ok = match.applicant_ok[level]
            per_class_sized = match.applicant_sized[level]
        vac_class = (
            np.stack(
                [total(rate * per_dwelling(match.type_ok_class[:, c])) for c in range(n_classes)]
            )
            if n_classes
            else np.zeros((0, n))
        )
        for c in range(n_classes):
            size_rows.append(
                pd.DataFrame(
                    {
                        "level": str(level),
                        "group": labels[level],
                        "size_class": int(class_values[c]),
                        "q1_applicants": int(q1_by_class[c]),
                        "q1_applicants_sized": per_class_sized[c].astype(np.int64),
                        "q1_applicants_ok": per_class_ok[c].astype(np.int64),
                        "vacancies_ok": vac_class[c],
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    table["target"] = target
    table = _with_achieved(table, frames.get("attributions"), year, threshold, p, strict_q1)
    table["reason"] = _reason(table, target, no_demand=applicants.empty)
    by_size = pd.concat(size_rows, ignore_index=True)
    by_size["share_ok"] = safe_ratio(by_size["q1_applicants_ok"], by_size["q1_applicants"])
    medians = median_q1_households(applicants)
    reductions = rent_reductions(dwellings, medians, when_benefit, p)
    return Marges(
        year=year,
        millesime=millesime,
        wished_communes=wished_communes,
        threshold=threshold,
        target=target,
        max_effort_rate=thresholds.max_effort_rate,
        min_reste_a_vivre=thresholds.min_reste_a_vivre,
        q1_applicants=len(applicants),
        groups=table,
        by_size=by_size,
        rent_reductions=reductions,
    )


def _with_achieved(
    table: pd.DataFrame,
    attributions: pd.DataFrame | None,
    year: int,
    threshold: float,
    params: Parameters,
    strict: bool,
) -> pd.DataFrame:
    table = table.copy()
    table["achieved_attributions"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["achieved_share"] = np.nan
    if attributions is None or attributions.empty:
        return table
    quotas = quota_indicators(
        attributions,
        year,
        threshold,
        levels=(Level.EPCI, Level.LANDLORD, Level.COMMUNE),
        params=params,
        strict=strict,
    )
    quotas = quotas.loc[quotas["indicator"] == Indicator.Q1_OUTSIDE_QPV].set_index(
        ["level", "group"]
    )
    keys = pd.MultiIndex.from_arrays([table["level"], table["group"]])
    den = quotas["denominator"].reindex(keys)
    share = quotas["share"].reindex(keys)
    table["achieved_attributions"] = pd.array(den.to_numpy(), dtype="Int64")
    table["achieved_share"] = share.to_numpy(dtype="float64")
    return table
