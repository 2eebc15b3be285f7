"""Jobs of the diagnostic: the territorial diagnostic of a millésime, the legal quota
indicators of an attribution year, and the room for manoeuvre outside QPV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mixite._gc import gc_paused
from mixite.errors import MixiteError, StoreError
from mixite.jobs._load import (
    Snapshot,
    StoreLike,
    attributions_of_year,
    communes_of,
    load_commitments,
    load_names,
    load_snapshot,
    residence_names,
    territory_row,
)
from mixite.jobs.results import (
    DiagnosticResult,
    MargesResult,
    MissingSection,
    Names,
    QuotasResult,
)
from mixite.params import Parameters
from mixite.vocabulary import Indicator, Level

__all__ = ["SECTIONS", "diagnostic", "marges", "missing_sections", "quotas", "residence_layer"]

#: Columns of the published room-for-manoeuvre table, in the order of the reports.
MARGES_GROUP_COLUMNS = (
    "level", "group", "dwellings", "dwellings_ok", "expected_vacancies", "vacancies_ok",
    "q1_applicants_ok", "attainable_q1", "attainable_share", "achieved_attributions",
    "achieved_share", "target", "reason", "loss_ceiling", "loss_size", "loss_rent",
    "loss_turnover", "loss_demand",
)  # fmt: skip


def _secrecy(params: Parameters | None, millesime: int) -> int:
    from mixite.indicators._common import small_cell_threshold

    return small_cell_threshold(params, dt.date(millesime, 1, 1))


def residence_layer(tables: dict[str, pd.DataFrame], dwellings: pd.DataFrame) -> pd.DataFrame:
    """One row per residence: mean coordinates (Lambert-93), commune, landlord, QPV, number of
    dwellings, and the occupancy and fragility columns of ``occupation_residences`` when the
    diagnostic has them (« non classée » otherwise)."""
    from mixite.indicators.fragility import UNCLASSED

    place = dwellings.groupby("residence_id").agg(
        x=("x", "mean"),
        y=("y", "mean"),
        commune=("commune", "first"),
        landlord_id=("landlord_id", "first"),
        in_qpv=("in_qpv", "max"),
        qpv_code=("qpv_code", "first"),
        dwellings=("dwelling_id", "size"),
    )
    stock = tables.get("stock_residences")
    if stock is not None:  # the published count (masked when dwellings are secret)
        place["dwellings"] = (
            stock.set_index("residence_id")["dwellings"].reindex(place.index).astype("Int64")
        )
    occ = tables.get("occupation_residences")
    if occ is not None:
        keep = [c for c in occ.columns if not c.startswith("n_") and c not in place.columns]
        place = place.join(occ[keep].set_index("residence_id"), how="left")
    if "fragility_class" not in place:
        place["fragility_class"] = UNCLASSED
    place["fragility_class"] = place["fragility_class"].fillna(UNCLASSED)
    return place.reset_index()


def _key_figures(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Headline figures of the diagnostic, by code, from its tables."""
    out: dict[str, float] = {}
    qpv = tables.get("stock_qpv")
    if qpv is not None and len(qpv):
        total = float(qpv["dwellings"].sum())
        out["dwellings"] = total
        in_qpv = float(qpv.loc[qpv["qpv_status"] == "QPV", "dwellings"].sum())
        out["share_in_qpv"] = in_qpv / max(total, 1.0)
    vac = tables.get("vacance_territoire")
    if vac is not None and len(vac):
        out["vacancy_rate"] = float(vac["vacancy_rate"].iloc[0])
        out["turnover_rate"] = float(vac["turnover_rate"].iloc[0])
    gap = tables.get("loyers_ecart_qpv")
    if gap is not None and len(gap):
        row = gap[gap["typology"] == "ensemble"]
        if len(row):
            out["rent_gap_eur_m2"] = -float(row["gap_eur_m2"].iloc[0])
    dem = tables.get("demande_territoire")
    if dem is not None and len(dem):
        out["pressure"] = float(dem["pressure"].iloc[0])
    quotas_table = tables.get("quotas")
    if quotas_table is not None and len(quotas_table):
        row = quotas_table[
            (quotas_table["level"] == Level.EPCI)
            & (quotas_table["indicator"] == Indicator.Q1_OUTSIDE_QPV)
        ]
        if len(row):
            out["q1_outside_qpv_share"] = float(row["share"].iloc[0])
            out["q1_outside_qpv_target"] = float(row["target"].iloc[0])
    return out


_RPLS_LOI = (
    "fichier RPLS version loi (diffusion restreinte aux collectivités et aux services de l'État) "
    "ou extrait du bailleur aux colonnes du RPLS"
)
_RPLS_AGAIN = (
    "il remplace le RPLS ouvert du millésime ; les colonnes restreintes sont décrites dans la "
    "documentation de mixite (« Formats des fichiers », RPLS)"
)


@dataclass(frozen=True)
class _Section:
    """A section of the diagnostic, the data it needs and the texts of its box when they lack.

    ``needs``: codes of ``indicators.diagnostic.available_data`` that must all be present;
    ``after``: codes that must be present for the box to show (otherwise the box of the section
    they feed says what to import first).
    """

    section: str
    family: str
    title: str
    needs: tuple[str, ...]
    missing: str
    shows: str
    note: str = ""
    after: tuple[str, ...] = ()


#: Every section of the diagnostic that needs more than the open RPLS, in report order.
SECTIONS: tuple[_Section, ...] = (
    _Section(
        "qpv",
        "stock",
        "Parc en QPV et par QPV",
        ("qpv",),
        "QPV des logements : fichier des périmètres des QPV de l'ANCT (ou RPLS géocodé, colonne "
        "PLG_QP24)",
        "les logements de chaque QPV et la part du parc en QPV ; sans QPV connu, tous les "
        "logements sont comptés hors QPV",
        "les logements sont alors situés par leurs coordonnées dans les périmètres",
    ),
    _Section(
        "bailleurs",
        "stock",
        "Parc par bailleur",
        ("landlord_id",),
        f"identité des bailleurs : {_RPLS_LOI} (colonnes IDENT_REP et RAISON_SOCIALE)",
        "le parc de chaque bailleur et sa part en QPV",
        _RPLS_AGAIN,
    ),
    _Section(
        "iris",
        "stock",
        "Parc par IRIS",
        ("iris",),
        "codes IRIS des logements : RPLS géocodé par le SDES (colonne PLG_IRIS2024_CODE)",
        "le parc de chaque IRIS",
    ),
    _Section(
        "sru",
        "stock",
        "Communes et obligations SRU",
        ("sru",),
        "inventaire SRU : fichier « Communes et inventaire SRU » (data.gouv.fr) ou taux de "
        "logements sociaux des communes",
        "le taux SRU de chaque commune à côté de son parc et de ses attributions, et les "
        "communes déficitaires ou carencées",
    ),
    _Section(
        "vacance",
        "stock",
        "Vacance et mobilité",
        ("occupancy_mode",),
        f"vacance et mobilité : {_RPLS_LOI} (colonnes MODE, BAIL et REMLOCDATE)",
        "les taux de vacance, de vacance de plus de 3 mois et de mobilité, par commune et en "
        "QPV et hors QPV",
        _RPLS_AGAIN,
    ),
    _Section(
        "loyers",
        "loyers",
        "Loyers et segments de parc",
        ("rent",),
        f"loyers : {_RPLS_LOI} (colonne LOYERPRINC)",
        "les loyers au m² par typologie, financement et QPV, les segments de loyer et l'écart "
        "de loyer entre QPV et hors QPV à typologie égale",
        _RPLS_AGAIN,
    ),
    _Section(
        "occupation",
        "occupation",
        "Occupation du parc",
        ("households",),
        "occupation : fichier de l'enquête sur l'occupation du parc social (OPS) des bailleurs",
        "le profil des ménages occupants (ressources rapportées aux plafonds, composition, "
        "emploi) par QPV et hors QPV",
    ),
    _Section(
        "fragilite",
        "fragilite",
        "Fragilité des résidences",
        ("households",),
        "occupation : fichier de l'enquête sur l'occupation du parc social (OPS) des bailleurs",
        "l'indice de fragilité de chaque résidence et la carte des résidences par classe",
    ),
    _Section(
        "segregation",
        "segregation",
        "Ségrégation résidentielle",
        ("households",),
        "occupation : fichier de l'enquête sur l'occupation du parc social (OPS) des bailleurs",
        "les indices de dissimilarité, d'isolement et d'exposition des ménages modestes entre "
        "résidences, IRIS et QPV",
    ),
    _Section(
        "demande",
        "demande",
        "Demande de logement social",
        ("applications",),
        "demandes : fichier des demandes en cours au 31 décembre (extrait du SNE ou du fichier "
        "partagé)",
        "l'ancienneté et le profil des demandes, la part des demandeurs du premier quartile et "
        "le seuil du premier quartile recalculé",
    ),
    _Section(
        "pression",
        "demande",
        "Pression de la demande",
        ("applications", "attributions"),
        "attributions : fichier des attributions de l'année (baux signés, extrait du SNE)",
        "le nombre de demandes en cours pour une attribution, par commune et par typologie",
        after=("applications",),
    ),
    _Section(
        "quotas",
        "quotas",
        "Attributions et objectifs légaux",
        ("attributions",),
        "attributions : fichier des attributions de l'année (baux signés, extrait du SNE)",
        "les objectifs légaux d'attribution par partenaire : part hors QPV au premier quartile "
        "ou aux relogés, part en QPV aux autres demandeurs, part des ménages prioritaires",
    ),
    _Section(
        "territoire",
        "quotas",
        "Seuil du premier quartile",
        ("territory",),
        "territoire : fichier de description du territoire (territoire.yaml : EPCI et EPCI des "
        "seuils du premier quartile)",
        "les objectifs légaux et le profil des demandes, qui comparent les ressources au seuil "
        "du premier quartile de l'EPCI",
        after=("attributions",),
    ),
    _Section(
        "flux",
        "quotas",
        "Bilan de la gestion en flux",
        ("reservations",),
        "réservations : fichier des conventions de réservation en flux",
        "la part du flux annuel de chaque réservataire et les attributions qu'il a reçues",
        after=("attributions",),
    ),
)


#: How to import a missing file, in the words of a report (no command option: the command's help
#: gives them); the folder import recognises each file by its header.
_HOW = (
    "Importez-le dans la base, millésime {year}, avec la commande « mixite importer » (dans un "
    "dossier importé, le fichier est reconnu à son en-tête), puis relancez le diagnostic"
)


def _box(spec: _Section, year: int) -> MissingSection:
    how = _HOW.format(year=year)
    how += f" ; {spec.note}." if spec.note else "."
    return MissingSection(spec.section, spec.family, spec.title, spec.missing, spec.shows, how)


def missing_sections(present: set[str], year: int) -> tuple[MissingSection, ...]:
    """The sections of the diagnostic of ``year`` that the data ``present``
    (``indicators.diagnostic.available_data``) do not allow, each with its box."""
    return tuple(
        _box(spec, year)
        for spec in SECTIONS
        if not set(spec.needs) <= present and set(spec.after) <= present
    )


def _marges_box(present: set[str], year: int, error: str) -> MissingSection:
    """The box of the room for manoeuvre: the files it still needs, else the error's text."""
    needed = {
        "applications": "le fichier des demandes",
        "territory": "le fichier de description du territoire (territoire.yaml)",
        "rent": "les loyers du RPLS version loi",
    }
    lacking = [text for code, text in needed.items() if code not in present]
    missing = (
        "marges de manœuvre : " + ", ".join(lacking)
        if lacking
        else f"marges de manœuvre non calculées : {error}"
    )
    return MissingSection(
        "marges",
        "marges",
        "Marges de manœuvre hors QPV",
        missing,
        "la part des attributions hors QPV au premier quartile atteignable par chaque bailleur, "
        "commune et résidence, et ce qui la limite (loyers, tailles, libérations, demande)",
        _HOW.replace("Importez-le", "Importez ces fichiers")
        .replace("le fichier est reconnu", "chaque fichier est reconnu")
        .format(year=year)
        + ".",
    )


def diagnostic(
    store: StoreLike, millesime: int | None = None, params: Parameters | None = None
) -> DiagnosticResult:
    """The territorial diagnostic of a millésime (the latest one when None), with statistical
    secrecy applied, the residence layer, the QPV perimeters and the room for manoeuvre of the
    attributions of the year before (``docs/indicateurs.md``); each section the data do not
    allow is listed in ``missing`` with the file that would fill it."""
    from mixite.indicators.diagnostic import (
        available_data,
        publishable,
        territorial_diagnostic,
    )
    from mixite.qpv import location_counts

    snapshot = load_snapshot(store, millesime)
    year = snapshot.millesime
    from mixite.indicators.diagnostic_secrecy import secret_dwellings

    dwellings = snapshot.require("dwellings", "le diagnostic")
    names = residence_names(dwellings, load_names(store))
    frames = snapshot.frames()
    raw = territorial_diagnostic(frames, year, params)
    threshold = _secrecy(params, year)
    tables = publishable(raw, threshold, dwellings, secret_dwellings(params, dt.date(year, 1, 1)))
    present = available_data(frames)
    missing = list(missing_sections(present, year))
    marges_result: MargesResult | None = None
    marges_error = ""
    try:
        marges_result = _marges_of(snapshot, year - 1, params, False, names)
    except MixiteError as exc:
        marges_error = str(exc)
        missing.append(_marges_box(present, year, marges_error))
    territory = snapshot.get("territory")
    history = (
        quota_history(store, territory, year - 1, params)
        if territory is not None and len(territory) and "quotas" in tables
        else None
    )
    return DiagnosticResult(
        millesime=year,
        names=names,
        tables=tables,
        secrecy_threshold=threshold,
        residences=residence_layer(tables, dwellings),
        qpv=snapshot.get("qpv"),
        key_figures=_key_figures(tables),
        marges=marges_result,
        marges_missing=marges_error,
        missing=tuple(missing),
        qpv_disagreements=snapshot.qpv_disagreements,
        qpv_location=location_counts(dwellings, year, params),
        quota_history=history,
        communes=snapshot.get("communes"),
    )


def diagnostic_tables(
    store: StoreLike,
    tables: Sequence[str],
    millesime: int | None = None,
    params: Parameters | None = None,
    snapshot: Snapshot | None = None,
) -> tuple[int, dict[str, pd.DataFrame]]:
    """The millésime (the latest one when None) and the named tables of its diagnostic (those the
    data allow), with statistical secrecy applied over these tables alone: a publication of
    only these tables, such as the national observatory's (``docs/national.md``), needs no
    suppression forced by the diagnostic's other tables, and protecting them alone is much
    cheaper than ``diagnostic``'s protection of every table. Only these tables are computed.
    ``snapshot``: the millésime's tables when the caller already loaded them
    (``load_snapshot(store, millesime)``)."""
    from mixite.indicators.diagnostic import publishable, territorial_diagnostic
    from mixite.indicators.diagnostic_secrecy import secret_dwellings

    if snapshot is None:
        snapshot = load_snapshot(store, millesime)
    year = snapshot.millesime
    dwellings = snapshot.require("dwellings", "le diagnostic")
    raw = territorial_diagnostic(snapshot.frames(), year, params, only=tables)
    chosen = {name: raw[name] for name in tables if name in raw}
    threshold = _secrecy(params, year)
    return year, publishable(
        chosen, threshold, dwellings, secret_dwellings(params, dt.date(year, 1, 1))
    )


#: Lease years before the diagnostic's own that the trend of the legal objectives shows.
TREND_YEARS = 2


def quota_history(
    store: StoreLike,
    territory: pd.DataFrame,
    year: int,
    params: Parameters | None = None,
    years: int = TREND_YEARS,
) -> pd.DataFrame | None:
    """The shares of the legal objectives in the ``years`` lease years before ``year``, per
    level and group (columns ``year``, ``level``, ``group``, ``indicator``, ``share``,
    ``denominator``); None when the store holds no attribution of those years (or no Q1
    threshold for them)."""
    from mixite.jobs._load import all_attributions

    try:
        every = all_attributions(store)
    except MixiteError:
        return None
    lease_years = set(every["lease_date"].dt.year.dropna().astype(int))
    rows = []
    for y in range(year - years, year):
        if y not in lease_years:
            continue
        try:
            table = quota_table(every, territory, y, params)
        except MixiteError:  # no Q1 threshold that year
            continue
        part = table[["level", "group", "indicator", "share", "denominator"]].copy()
        part.insert(0, "year", y)
        rows.append(part)
    return pd.concat(rows, ignore_index=True) if rows else None


def quota_table(
    attributions: pd.DataFrame,
    territory: pd.DataFrame,
    year: int,
    params: Parameters | None = None,
    levels: tuple[str, ...] | None = None,
    strict_q1: bool = True,
    commitments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The legal quota indicators of ``year`` at each level, with the territory's Q1 threshold
    in force that year and each partner judged against its own commitment when ``commitments``
    holds one (``indicators.quotas.quota_indicators``)."""
    from mixite.indicators import quotas as quota_mod

    threshold = quota_mod.q1_threshold(territory, year, params)
    return quota_mod.quota_indicators(
        attributions,
        year,
        threshold,
        levels=tuple(quota_mod.LEVELS) if levels is None else levels,
        territory_label=str(territory.iloc[0]["epci"]),
        params=params,
        strict=strict_q1,
        commitments=commitments,
    )


def quotas(
    store: StoreLike, year: int, params: Parameters | None = None, strict_q1: bool = True
) -> QuotasResult:
    """Legal quota indicators (every level) and flux ledger of the leases signed in ``year``.

    The Q1 threshold is the one in force in ``year`` for the territory; each partner is judged
    against its commitment or the territory's adapted rate when the store holds them
    (``engagements.yaml``); the reservations are those of millésime ``year + 1`` when present,
    else of the latest millésime, and give the flux ledger and the préfet's ceilings.
    """
    from mixite.indicators import quotas as quota_mod

    attrs = attributions_of_year(store, year)
    territory = territory_row(store, year + 1)
    table = quota_table(
        attrs, territory, year, params, strict_q1=strict_q1, commitments=load_commitments(store)
    )
    res_years = store.millesimes("reservations")
    ledger = None
    ceilings = None
    if res_years:
        pick = year + 1 if year + 1 in res_years else max(res_years)
        reservations = store.read("reservations", pick)
        epci = str(territory.iloc[0]["epci"])
        ledger = quota_mod.flux_ledger(attrs, reservations, year, params, epci)
        ceilings = quota_mod.prefect_ceilings(reservations, dt.date(year, 12, 31), params)
    return QuotasResult(
        year, load_names(store), table, ledger, _secrecy(params, year + 1), ceilings
    )


def _marges_of(
    snapshot: Snapshot,
    year: int,
    params: Parameters | None,
    wished_communes: bool,
    names: Names,
) -> MargesResult:
    from mixite.indicators.marges import room_for_manoeuvre

    frames = snapshot.frames(
        ("dwellings", "applications", "territory", "landlords", "attributions")
    )
    communes = communes_of(snapshot)
    if communes is not None:
        frames["communes"] = communes
    dwellings = frames.get("dwellings")
    if dwellings is not None and not dwellings["rent"].notna().any():
        from mixite.schema import import_hint

        raise StoreError(
            "Il manque les loyers des logements (colonne LOYERPRINC du fichier RPLS version loi "
            "ou d'un extrait du bailleur), nécessaires aux marges de manœuvre : le fichier RPLS "
            f"ouvert ne les publie pas. {import_hint('dwellings')}"
        )
    from mixite.indicators.outputs_secrecy import protect_marges

    # the matching builds many small objects (cyclic collector paused, mixite._gc)
    with gc_paused():
        result = room_for_manoeuvre(
            frames, year, snapshot.millesime, params, wished_communes=wished_communes
        )
    threshold = _secrecy(params, snapshot.millesime)
    protected = protect_marges(
        result.groups[list(MARGES_GROUP_COLUMNS)], result.by_size, threshold, dwellings
    )
    groups = protected.tables["groups"]
    by_size = protected.tables["by_size"]
    return MargesResult(result, names, threshold, groups, by_size)


def marges(
    store: StoreLike,
    year: int,
    params: Parameters | None = None,
    wished_communes: bool = False,
    snapshot: Snapshot | None = None,
) -> MargesResult:
    """The room for manoeuvre outside QPV of the attributions of ``year`` (``docs/marges.md``).

    Uses millésime ``year + 1`` (stock at 1 January ``year + 1``, demand at 31 December
    ``year``); a French ``StoreError`` when that millésime is missing. ``snapshot``: that
    millésime's tables when the caller already loaded them (``load_snapshot``).
    """
    available = store.millesimes("dwellings")
    if year + 1 not in available:
        raise StoreError(
            f"Pas de millésime {year + 1} dans la base (millésimes disponibles : "
            f"{', '.join(map(str, sorted(available))) or 'aucun'}). Les marges des attributions "
            f"de {year} utilisent le parc au 1er janvier {year + 1} et les demandes au "
            f"31 décembre {year} : importez ce millésime ou choisissez une autre année (--annee)."
        )
    if snapshot is None or snapshot.millesime != year + 1:
        snapshot = load_snapshot(store, year + 1)
    names = residence_names(snapshot.require("dwellings", "les marges"), load_names(store))
    return _marges_of(snapshot, year, params, wished_communes, names)
