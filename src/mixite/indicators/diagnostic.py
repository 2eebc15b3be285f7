"""The whole territorial diagnostic of one millésime: every indicator table, named and documented.

``territorial_diagnostic`` takes the canonical frames of one store millésime N (as returned by
``Store.read``) and returns an ordered dict ``name → DataFrame``; ``TABLES`` gives each table's
French title, family and the count columns to check for statistical secrecy, and ``publishable``
applies ``suppress_small_cells`` to all of them. Quotas are computed for the attributions of year
N-1 (leases signed in N-1 are those of store millésime N), with the Q1 threshold in force in N-1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixite.indicators import (
    demand,
    fragility,
    occupancy,
    quotas,
    rents,
    roles,
    segregation,
    sru,
    stock,
)
from mixite.indicators._common import small_cell_threshold
from mixite.params import Parameters

__all__ = [
    "NEEDS",
    "TABLES",
    "TableSpec",
    "available_data",
    "publishable",
    "territorial_diagnostic",
]


@dataclass(frozen=True)
class TableSpec:
    """How a diagnostic table is published: title, family, counts to check and what derives."""

    title: str
    family: str
    counts: tuple[str, ...] = ()
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_STOCK_RATES = {"dwellings": ("share", "share_in_qpv", "mean_surface")}
_VACANCY = {
    "offered": ("vacancy_rate", "long_vacancy_rate"),
    "vacant": ("vacancy_rate",),
    "vacant_long": ("long_vacancy_rate",),
    "turnover_base": ("turnover_rate",),
    "moves_in": ("turnover_rate",),
}
_RENTS = {"dwellings_with_rent": ("rent_m2", "median_rent_m2", "mean_rent", "median_rent")}
_OCC = {k: tuple(v) for k, v in occupancy.secrecy_spec().items()}
_OCC_RES = {**_OCC, "households": (*_OCC["households"], "fragility_index")}
_PRESSURE = {
    "pending": ("pressure",),
    "attributions": ("pressure",),
    "pending_excl_mutations": ("pressure_excl_mutations",),
    "attributions_excl_mutations": ("pressure_excl_mutations",),
}
_QUOTAS = {
    "denominator": ("share", "ci_low", "ci_high", "p_value", "shortfall"),
    "numerator": ("share", "ci_low", "ci_high", "p_value", "shortfall"),
}

#: Every table of the diagnostic, in report order.
TABLES: dict[str, TableSpec] = {
    "stock_communes": TableSpec("Parc par commune", "stock", ("dwellings",), _STOCK_RATES),
    "stock_qpv": TableSpec("Parc en QPV et hors QPV", "stock", ("dwellings",), _STOCK_RATES),
    "stock_quartiers": TableSpec("Parc par QPV", "stock", ("dwellings",), _STOCK_RATES),
    "stock_iris": TableSpec("Parc par IRIS", "stock", ("dwellings",), _STOCK_RATES),
    "stock_bailleurs": TableSpec("Parc par bailleur", "stock", ("dwellings",), _STOCK_RATES),
    "stock_residences": TableSpec("Parc par résidence", "stock", ("dwellings",), _STOCK_RATES),
    "stock_typologie": TableSpec(
        "Typologie, en QPV et hors QPV", "stock", ("dwellings",), {"dwellings": ("share_in_group",)}
    ),
    "stock_financement": TableSpec(
        "Financement, en QPV et hors QPV",
        "stock",
        ("dwellings",),
        {"dwellings": ("share_in_group",)},
    ),
    "stock_epoque": TableSpec(
        "Époque de construction, en QPV et hors QPV",
        "stock",
        ("dwellings",),
        {"dwellings": ("share_in_group",)},
    ),
    "stock_dpe": TableSpec(
        "Étiquette énergie (DPE), en QPV et hors QPV",
        "stock",
        ("dwellings",),
        {"dwellings": ("share_in_group",)},
    ),
    "sru_communes": TableSpec(
        "Communes et obligations SRU",
        "stock",
        ("dwellings", "attributions"),
        {"dwellings": ("share_in_qpv",), "attributions": ("attributions_outside_qpv",)},
    ),
    "vacance_territoire": TableSpec(
        "Vacance et mobilité du territoire", "stock", tuple(_VACANCY), _VACANCY
    ),
    "vacance_communes": TableSpec(
        "Vacance et mobilité par commune", "stock", tuple(_VACANCY), _VACANCY
    ),
    "vacance_qpv": TableSpec(
        "Vacance et mobilité en QPV et hors QPV", "stock", tuple(_VACANCY), _VACANCY
    ),
    "loyers": TableSpec(
        "Loyers par typologie, financement et QPV", "loyers", tuple(_RENTS), _RENTS
    ),
    "loyers_segments": TableSpec(
        "Segments de loyer",
        "loyers",
        tuple(_RENTS),
        {"dwellings_with_rent": (*_RENTS["dwellings_with_rent"], "share_in_qpv")},
    ),
    "loyers_ecart_qpv": TableSpec(
        "Écart de loyer entre QPV et hors QPV à typologie égale",
        "loyers",
        ("dwellings_qpv", "dwellings_outside"),
        {
            "dwellings_qpv": ("rent_m2_qpv", "gap_eur_m2", "gap_ratio"),
            "dwellings_outside": ("rent_m2_outside", "gap_eur_m2", "gap_ratio"),
        },
    ),
    "occupation_residences": TableSpec(
        "Occupation et fragilité par résidence", "fragilite", tuple(_OCC_RES), _OCC_RES
    ),
    "occupation_quartiers": TableSpec("Occupation par QPV", "occupation", tuple(_OCC), _OCC),
    "occupation_qpv": TableSpec("Occupation en QPV et hors QPV", "occupation", tuple(_OCC), _OCC),
    "fragilite_classes": TableSpec(
        "Résidences par classe de fragilité",
        "fragilite",
        ("residences", "households"),
        {"residences": ("share_in_qpv",)},
    ),
    "demande_communes": TableSpec(
        "Pression de la demande par commune", "demande", tuple(_PRESSURE), _PRESSURE
    ),
    "demande_typologies": TableSpec(
        "Pression de la demande par typologie", "demande", tuple(_PRESSURE), _PRESSURE
    ),
    "demande_territoire": TableSpec(
        "Pression de la demande du territoire", "demande", tuple(_PRESSURE), _PRESSURE
    ),
    "demande_anciennete": TableSpec(
        "Ancienneté des demandes",
        "demande",
        ("pending",),
        {"pending": ("share_in_group",)},
    ),
    "demande_profil": TableSpec(
        "Profil des demandes",
        "demande",
        ("pending",),
        {
            "pending": (
                "share_mutation",
                "share_q1",
                "share_priority",
                "share_dalo",
                "median_seniority_months",
            )
        },
    ),
    "demande_profil_communes": TableSpec(
        "Profil des demandes par commune souhaitée",
        "demande",
        ("pending",),
        {
            "pending": (
                "share_mutation",
                "share_q1",
                "share_priority",
                "share_dalo",
                "median_seniority_months",
            )
        },
    ),
    "seuil_q1": TableSpec(
        "Seuil du premier quartile recalculé et seuil de l'arrêté",
        "demande",
        ("demands",),
        {"demands": ("threshold", "gap_ratio")},
    ),
    "quotas": TableSpec("Objectifs légaux d'attribution", "quotas", tuple(_QUOTAS), _QUOTAS),
    "flux": TableSpec(
        "Bilan de la gestion en flux",
        "quotas",
        ("flow", "delivered"),
        {"flow": ("entitled", "balance"), "delivered": ("balance",)},
    ),
    "segregation": TableSpec(
        "Indices de ségrégation des occupants",
        "segregation",
        ("households",),
        {"households": ("dissimilarity", "isolation", "exposure", "theil", "group_share")},
    ),
    "roles_quartiers": TableSpec(
        "Rôles des quartiers (flux de l'année)",
        "roles",
        ("households", "entrants", "entrants_external", "mutations_in"),
        {
            "households": (
                "entry_rate",
                "external_rate",
                "mean_stay_years",
                "q1_share",
                "stay_ratio",
                "entry_ratio",
                "external_ratio",
            ),
            "entrants": ("first_time_share", "q1_entrants_share", "entry_rate", "entry_ratio"),
            "entrants_external": ("external_rate", "first_time_share", "external_ratio"),
        },
    ),
    "segregation_quotients": TableSpec(
        "Quotients de localisation des quartiles de ressources par IRIS",
        "segregation",
        ("count", "unit_households"),
        {"count": ("location_quotient",), "unit_households": ("location_quotient",)},
    ),
}


def _fragility_classes(residences: pd.DataFrame) -> pd.DataFrame:
    data = pd.DataFrame(
        {
            "fragility_class": residences["fragility_class"],
            "residences": 1,
            "households": residences["households"],
            "in_qpv": residences["in_qpv"].astype(bool).astype("int64")
            if "in_qpv" in residences
            else 0,
        }
    )
    order = [*fragility.CLASS_LABELS, fragility.UNCLASSED]
    out = data.groupby("fragility_class").sum().reindex(order, fill_value=0)
    out["share_in_qpv"] = np.where(
        out["residences"] > 0, out["in_qpv"] / out["residences"].clip(lower=1), np.nan
    )
    return out.drop(columns="in_qpv").reset_index()


def territorial_diagnostic(
    frames: Mapping[str, pd.DataFrame],
    millesime: int,
    params: Parameters | None = None,
    ceiling: Any = None,
    strict_q1: bool = True,
    only: Collection[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of the diagnostic of store millésime ``millesime``, keyed as in ``TABLES``
    (only the tables named in ``only`` when given: the others are not computed).

    ``frames`` holds the canonical tables of that millésime: ``dwellings`` (required),
    ``households``, ``applications``, ``attributions``, ``reservations``, ``communes``, ``sru``
    and ``territory`` (each optional; the tables that need a missing one are left out, and so are
    those that need a column the open RPLS file leaves empty: rents, occupancy, landlords, IRIS;
    ``available_data``). ``ceiling``:
    the PLUS ceiling of each household (see ``occupancy.household_flags``); when None it comes from
    ``mixite.ceilings`` through the communes' ceiling zones.
    """
    out: dict[str, pd.DataFrame] = {}
    dw = frames["dwellings"]
    present = available_data(frames)

    def wanted(*names: str) -> bool:
        return only is None or any(name in only for name in names)

    for name, by in (
        ("stock_communes", "commune"),
        ("stock_qpv", "qpv"),
        ("stock_quartiers", "qpv_code"),
        ("stock_iris", "iris"),
        ("stock_bailleurs", "bailleur"),
        ("stock_residences", "residence"),
    ):
        if wanted(name) and NEEDS.get(name, "dwellings") in present:
            out[name] = stock.stock_by(dw, by, millesime, params)
    for name, cat in (
        ("stock_typologie", "typologie"),
        ("stock_financement", "financement"),
        ("stock_epoque", "epoque"),
        ("stock_dpe", "dpe"),
    ):
        if wanted(name):
            out[name] = stock.stock_composition(dw, "qpv", cat, millesime, params)
    if "occupancy_mode" in present:
        scopes: tuple[tuple[str, str | None], ...] = (
            ("vacance_territoire", None),
            ("vacance_communes", "commune"),
            ("vacance_qpv", "qpv"),
        )
        for name, scope in scopes:
            if wanted(name):
                out[name] = stock.vacancy_turnover(dw, millesime, scope, params)
    if "rent" in present:
        if wanted("loyers"):
            out["loyers"] = rents.rent_table(dw, millesime, params=params)
        if wanted("loyers_segments"):
            out["loyers_segments"] = rents.rent_segments(dw, millesime, params)
        if wanted("loyers_ecart_qpv"):
            out["loyers_ecart_qpv"] = rents.qpv_rent_gap(dw, millesime, params)

    communes = frames.get("communes")
    households = frames.get("households")
    occupancy_tables = (
        "occupation_residences",
        "occupation_quartiers",
        "occupation_qpv",
        "fragilite_classes",
        "segregation",
        "segregation_quotients",
    )
    if households is not None and len(households) and wanted(*occupancy_tables):
        if ceiling is None:
            ceiling = occupancy.plus_ceiling(
                households,
                dw,
                communes
                if communes is not None
                else pd.DataFrame(columns=["commune", "ceiling_zone"]),
                dt.date(millesime, 1, 1),
            )
        when = dt.date(millesime, 1, 1)
        threshold = small_cell_threshold(params, when)
        flags = occupancy.household_flags(households, ceiling, millesime, params)

        def profile_by(by: str) -> pd.DataFrame:
            return occupancy.occupancy_profile(
                households, dw, millesime, by, ceiling, communes, params, flags=flags
            )

        res = None
        if wanted("occupation_residences", "fragilite_classes"):
            res = fragility.fragility_index(
                profile_by("residence_id"), millesime, min_households=threshold, params=params
            )
            out["occupation_residences"] = res
        if wanted("occupation_quartiers"):
            quarters = profile_by("qpv_code")
            quarters["qpv_code"] = (
                quarters["qpv_code"].astype(object).where(quarters["qpv_code"].notna(), "hors QPV")
            )
            out["occupation_quartiers"] = quarters
        if wanted("occupation_qpv"):
            out["occupation_qpv"] = profile_by("in_qpv")
        if res is not None:
            out["fragilite_classes"] = _fragility_classes(res)
        if wanted("segregation", "segregation_quotients"):
            place = dw[["dwelling_id", "residence_id", "iris", "qpv_code", "in_qpv"]]
            joined = households[["dwelling_id"]].merge(place, on="dwelling_id", how="left")
            seg = pd.DataFrame(
                {
                    "residence_id": joined["residence_id"].to_numpy(),
                    "iris": joined["iris"].to_numpy(),
                    "qpv": joined["in_qpv"].map({True: "QPV", False: "hors QPV"}).to_numpy(),
                    "qpv_code": joined["qpv_code"]
                    .astype(object)
                    .where(joined["qpv_code"].notna(), "hors QPV")
                    .to_numpy(),
                    "under_40": flags["under_40"].to_numpy(),
                    "unemployed": flags["unemployed"].to_numpy(),
                    "single_parent": flags["single_parent"].to_numpy(),
                    "income_quartile": segregation.income_quartile(
                        flags["resources_per_uc"].to_numpy()
                    ).to_numpy(),
                }
            )
            out["segregation"] = segregation.segregation_table(
                seg,
                ("residence_id", "iris", "qpv_code", "qpv"),
                ("under_40", "unemployed", "single_parent"),
                ("income_quartile",),
            )
            known = seg["iris"].notna().to_numpy()
            out["segregation_quotients"] = segregation.location_quotients(
                seg.loc[known, "iris"], seg.loc[known, "income_quartile"]
            ).rename(columns={"unit": "iris", "group": "income_quartile"})

    territory = frames.get("territory")
    year = millesime - 1
    threshold_q1: float | None = None
    if territory is not None and len(territory):
        threshold_q1 = quotas.q1_threshold(territory, year, params)
    if (
        households is not None
        and len(households)
        and threshold_q1 is not None
        and wanted("roles_quartiers")
    ):
        flows = roles.observed_flows(
            households, dw, frames.get("attributions"), millesime, threshold_q1, params
        )
        out["roles_quartiers"] = roles.neighbourhood_roles(flows, millesime, params).drop(
            columns=[
                "kind",
                "stay_years_total",
                "q1_households",
                "q1_entrants",
                "mutations_out",
                "mutation_out_rate",
                "mutation_out_ratio",
            ]
        )
    applications = frames.get("applications")
    if applications is not None and wanted(
        "demande_communes",
        "demande_typologies",
        "demande_territoire",
        "demande_anciennete",
        "demande_profil",
        "demande_profil_communes",
        "seuil_q1",
    ):
        applications = demand.application_attributes(applications, millesime, params)
    attributions = frames.get("attributions")
    if applications is not None and attributions is not None:
        for name, by in (
            ("demande_communes", "commune"),
            ("demande_typologies", "typologie"),
            ("demande_territoire", "territoire"),
        ):
            if wanted(name):
                out[name] = demand.demand_pressure(
                    applications, attributions, millesime, by, year, params
                )
    if applications is not None:
        if wanted("demande_anciennete"):
            out["demande_anciennete"] = demand.demand_seniority(
                applications, millesime, None, params
            )
        if threshold_q1 is not None:
            if wanted("demande_profil"):
                out["demande_profil"] = demand.demand_profile(
                    applications, millesime, threshold_q1, None, params, strict_q1
                )
            epci_communes = None
            if communes is not None and territory is not None:
                epci = str(territory.iloc[0]["epci"])
                epci_communes = set(communes.loc[communes["epci"] == epci, "commune"])
            if wanted("demande_profil_communes"):
                out["demande_profil_communes"] = demand.demand_profile(
                    applications, millesime, threshold_q1, "commune_demanded", params, strict_q1
                )
            if wanted("seuil_q1"):
                out["seuil_q1"] = demand.q1_threshold_comparison(
                    applications, millesime, threshold_q1, epci_communes or None, params
                )
    if attributions is not None and threshold_q1 is not None and wanted("quotas"):
        epci = str(territory.iloc[0]["epci"]) if territory is not None else "epci"
        out["quotas"] = quotas.quota_indicators(
            attributions,
            year,
            threshold_q1,
            levels=tuple(quotas.LEVELS),
            territory_label=epci,
            params=params,
            strict=strict_q1,
            commitments=frames.get("commitments"),
        )
    reservations = frames.get("reservations")
    if attributions is not None and reservations is not None and wanted("flux"):
        epci_code = str(territory.iloc[0]["epci"]) if territory is not None else None
        out["flux"] = quotas.flux_ledger(attributions, reservations, year, params, epci_code)
    sru_frame = frames.get("sru")
    if sru_frame is not None and wanted("sru_communes"):
        out["sru_communes"] = sru.sru_communes(
            dw,
            sru_frame,
            attributions,
            year,
            communes["commune"] if communes is not None else None,
        )
    return out if only is None else {name: out[name] for name in out if name in only}


#: The data a table needs beyond the stock (``available_data`` codes), when not the stock alone.
NEEDS: dict[str, str] = {
    "stock_quartiers": "qpv",
    "stock_iris": "iris",
    "stock_bailleurs": "landlord_id",
}


def available_data(frames: Mapping[str, pd.DataFrame]) -> set[str]:
    """What the frames of a millésime allow: the tables present (``dwellings``, ``households``…)
    and, for the stock, the columns filled on at least one dwelling among those that only the
    restricted RPLS file or the geocoding give (``landlord_id``, ``rent``, ``occupancy_mode``,
    ``iris``), and ``qpv`` when at least one dwelling is in a QPV."""
    present = {name for name, frame in frames.items() if frame is not None}
    dw = frames.get("dwellings")
    if dw is not None:
        for column in ("landlord_id", "rent", "occupancy_mode", "iris"):
            if column in dw and dw[column].notna().any():
                present.add(column)
        if "in_qpv" in dw and dw["in_qpv"].astype(bool).any():
            present.add("qpv")
    return present


def publishable(
    tables: Mapping[str, pd.DataFrame],
    threshold: int,
    dwellings: pd.DataFrame | None = None,
    with_dwellings: bool = False,
) -> dict[str, pd.DataFrame]:
    """The tables with statistical secrecy applied: primary and secondary suppression over all
    the tables at once (``diagnostic_secrecy.protect_diagnostic``, ``docs/secret-statistique.md``).

    ``threshold`` is ``secret_statistique.seuil`` (``small_cell_threshold``); ``dwellings`` (the
    millésime's RPLS) gives each residence its commune, IRIS, QPV and landlord, so that a cell
    masked in a residence cannot be recomputed from its QPV or IRIS; ``with_dwellings``
    (parameter ``secret_statistique.logements``) protects the counts of dwellings too. Tables
    without a secrecy shape are returned unchanged.
    """
    from mixite.indicators.diagnostic_secrecy import protect_diagnostic

    return protect_diagnostic(tables, threshold, dwellings, with_dwellings).tables
