"""Demand indicators (SNE): pending applications, pressure, seniority, profile, Q1 threshold.

Store millésime N holds the applications pending at 31 December N-1 and the attributions whose
lease was signed during N-1; pressure compares the two (docs/donnees-officielles.md §3.4 (Pression de la demande): « nb demandes actives au
31/12 / nb attributions de l'année », with and without mutations). An application is located in
its first wished commune (or, without wish, its commune of residence) and typed by the smallest
typology it accepts (``rooms_min``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd

from mixite.household import declared_resources_per_uc, q1_status
from mixite.indicators._common import (
    Definition,
    require_columns,
    safe_ratio,
    typology_label,
)
from mixite.indicators.quotas import attributions_of_year
from mixite.params import Parameters, resolve

__all__ = [
    "DEFINITIONS",
    "application_attributes",
    "demand_pressure",
    "demand_profile",
    "demand_seniority",
    "q1_threshold_comparison",
    "q1_threshold_from_demand",
]

_SNE = "SNE, demandes actives au 31 décembre"
NOT_GIVEN = "non renseignée"
#: ``DataFrame.attrs`` key marking a frame already passed through ``application_attributes``.
_ATTRIBUTED = "mixite_application_attributes"

DEFINITIONS: dict[str, Definition] = {
    "pending": Definition("Demandes en attente", "demandes", "Demandes actives au 31/12.", _SNE),
    "pending_excl_mutations": Definition(
        "Demandes hors mutations",
        "demandes",
        "Demandes actives de ménages qui ne sont pas déjà locataires du parc social.",
        _SNE,
    ),
    "attributions": Definition(
        "Attributions de l'année",
        "attributions",
        "Attributions suivies d'un bail signé dans l'année.",
        "SNE (radiations pour attribution)",
    ),
    "attributions_excl_mutations": Definition(
        "Attributions hors mutations", "attributions", "Attributions hors mutations.", "SNE"
    ),
    "pressure": Definition(
        "Pression de la demande",
        "demandes par attribution",
        "Demandes en attente au 31/12 / attributions de l'année.",
        "Pratique DHUP/USH (docs/donnees-officielles.md §3.4 « Pression de la demande »)",
    ),
    "pressure_excl_mutations": Definition(
        "Pression hors mutations",
        "demandes par attribution",
        "Demandes hors mutations / attributions hors mutations.",
        "Pratique DHUP/USH (docs/donnees-officielles.md §3.4 « Pression de la demande »)",
    ),
    "seniority_class": Definition(
        "Ancienneté de la demande",
        "classe",
        "Temps écoulé entre le dépôt initial et le 31/12.",
        _SNE,
    ),
    "median_seniority_months": Definition(
        "Ancienneté médiane", "mois", "Médiane de l'ancienneté des demandes.", _SNE
    ),
    "share_mutation": Definition(
        "Part de demandes de mutation", "/1", "Demandeurs déjà locataires du parc social.", _SNE
    ),
    "share_q1": Definition(
        "Part du premier quartile",
        "/1",
        "Demandes dont les ressources par UC sont sous le seuil du premier quartile.",
        "CCH art. L441-1 ; arrêté annuel du seuil (docs/droit.md §3 « Premier quartile »)",
    ),
    "share_priority": Definition(
        "Part de publics prioritaires",
        "/1",
        "Demandes relevant d'au moins un critère de priorité de L441-1.",
        "CCH art. L441-1",
    ),
    "share_dalo": Definition(
        "Part de ménages DALO", "/1", "Demandes reconnues prioritaires DALO.", "CCH art. L441-2-3"
    ),
    "share_in_group": Definition(
        "Part des demandes", "/1", "Demandes de la classe / demandes du groupe.", _SNE
    ),
    "variant": Definition(
        "Variante de calcul",
        "texte",
        "Demandes retenues pour recalculer le seuil (avec ou sans mutations, EPCI ou non).",
        "docs/droit.md §3.4 « Demandes retenues et comparaison au seuil » (population non précisée par l'arrêté)",
    ),
    "include_mutations": Definition(
        "Mutations incluses", "booléen", "Les demandes de mutation sont retenues.", _SNE
    ),
    "epci_only": Definition(
        "Demandes pour l'EPCI seulement",
        "booléen",
        "Seules les demandes dont la première commune souhaitée est dans l'EPCI sont retenues.",
        _SNE,
    ),
    "demands": Definition("Demandes retenues", "demandes", "Demandes du calcul du seuil.", _SNE),
    "threshold": Definition(
        "Seuil recalculé",
        "€/an/UC",
        "Plus haut niveau de ressources par UC du quart des demandeurs aux ressources les plus "
        "faibles (12 × ressources mensuelles / UC).",
        "Arrêté annuel du seuil du premier quartile, méthode (docs/droit.md §3.2 « Méthode de calcul du seuil »)",
    ),
    "arrete": Definition(
        "Seuil de l'arrêté", "€/an/UC", "Seuil publié par arrêté pour l'EPCI.", "Arrêté annuel"
    ),
    "gap_ratio": Definition(
        "Écart relatif au seuil de l'arrêté", "/1", "Seuil recalculé / seuil de l'arrêté − 1.", ""
    ),
}


def application_attributes(
    applications: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.DataFrame:
    """``applications`` with ``commune_demanded``, ``typology``, ``seniority_months`` and
    ``is_priority`` (at least one L441-1 priority code) added; seniority is counted in whole
    months at 31 December N-1. A frame already returned by this function for the same
    millésime (marked in ``DataFrame.attrs``) is returned as is, so callers may pass it again."""
    require_columns(
        applications,
        ["wished_communes", "commune_residence", "rooms_min", "filing_date", "priority_codes"],
        "applications",
    )
    if applications.attrs.get(_ATTRIBUTED) == millesime:
        return applications
    when = dt.date(millesime, 1, 1)
    out = applications.copy()
    first = [c[0] if isinstance(c, list) and c else None for c in out["wished_communes"]]
    residence = out["commune_residence"].astype(object).to_numpy()
    out["commune_demanded"] = [
        f if f is not None else (r if isinstance(r, str) else NOT_GIVEN)
        for f, r in zip(first, residence, strict=True)
    ]
    out["typology"] = typology_label(
        out["rooms_min"], int(resolve(params).value("indicateurs.typologie.max_pieces", when))
    )
    ref = pd.Timestamp(when - dt.timedelta(days=1))
    filed = pd.to_datetime(out["filing_date"])
    months = (ref.year - filed.dt.year) * 12 + (ref.month - filed.dt.month)
    months = months - (filed.dt.day > ref.day).astype("int64")
    out["seniority_months"] = months.astype("int64")
    out["is_priority"] = [isinstance(c, list) and len(c) > 0 for c in out["priority_codes"]]
    out.attrs[_ATTRIBUTED] = millesime
    return out


def demand_pressure(
    applications: pd.DataFrame,
    attributions: pd.DataFrame,
    millesime: int,
    by: str = "commune",
    year: int | None = None,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Pending applications over attributions, per commune or typology, with/without mutations.

    ``by`` is ``commune`` (wished commune of the application, commune of the dwelling for the
    attribution), ``typologie`` (``rooms_min`` vs rooms of the attributed dwelling) or
    ``territoire``. ``year`` of the attributions defaults to N-1. Columns: ``by``, ``pending``,
    ``pending_excl_mutations``, ``attributions``, ``attributions_excl_mutations``, ``pressure``,
    ``pressure_excl_mutations`` (NaN when no attribution).
    """
    if by not in ("commune", "typologie", "territoire"):
        raise ValueError("by must be 'commune', 'typologie' or 'territoire'")
    when = dt.date(millesime, 1, 1)
    apps = application_attributes(applications, millesime, params).copy(deep=False)
    attrs = attributions_of_year(attributions, millesime - 1 if year is None else year)
    max_rooms = int(resolve(params).value("indicateurs.typologie.max_pieces", when))
    if by == "commune":
        app_key, att_key = apps["commune_demanded"], attrs["commune"].astype(object)
    elif by == "typologie":
        app_key, att_key = apps["typology"], typology_label(attrs["rooms"], max_rooms)
    else:
        app_key = pd.Series("territoire", index=apps.index)
        att_key = pd.Series("territoire", index=attrs.index)
    a = (
        pd.DataFrame(
            {
                by: app_key.to_numpy(),
                "pending": 1,
                "pending_excl_mutations": (~apps["is_mutation"].astype(bool))
                .astype("int64")
                .to_numpy(),
            }
        )
        .groupby(by)
        .sum()
    )
    b = (
        pd.DataFrame(
            {
                by: att_key.to_numpy(),
                "attributions": 1,
                "attributions_excl_mutations": (~attrs["is_mutation"].astype(bool))
                .astype("int64")
                .to_numpy(),
            }
        )
        .groupby(by)
        .sum()
    )
    out = a.join(b, how="outer").fillna(0).astype("int64").sort_index().reset_index()
    out["pressure"] = safe_ratio(out["pending"], out["attributions"])
    out["pressure_excl_mutations"] = safe_ratio(
        out["pending_excl_mutations"], out["attributions_excl_mutations"]
    )
    return out


def demand_seniority(
    applications: pd.DataFrame,
    millesime: int,
    by: str | None = None,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Seniority of pending applications at 31/12 N-1 by class (and group ``by``).

    Classes cut at ``indicateurs.demande.anciennete_bornes_mois`` (« moins de 12 mois »,
    « 12 à 23 mois »…, « 60 mois et plus »). Long table: ``by`` (when given), ``seniority_class``,
    ``pending``, ``share_in_group``, ``median_seniority_months`` (of the class's applications,
    in months).
    """
    apps = application_attributes(applications, millesime, params).copy(deep=False)
    bounds = [
        int(b)
        for b in resolve(params).value(
            "indicateurs.demande.anciennete_bornes_mois", dt.date(millesime, 1, 1)
        )
    ]
    labels = [f"moins de {bounds[0]} mois"]
    labels += [f"{bounds[i]} à {bounds[i + 1] - 1} mois" for i in range(len(bounds) - 1)]
    labels.append(f"{bounds[-1]} mois et plus")
    idx = np.searchsorted(np.asarray(bounds), apps["seniority_months"].to_numpy(), side="right")
    apps["seniority_class"] = np.asarray(labels, dtype=object)[idx]
    keys = ["seniority_class"] if by is None else [by, "seniority_class"]
    counts = apps.groupby(keys, sort=False).size().rename("pending").reset_index()
    order = {lab: i for i, lab in enumerate(labels)}
    counts["_o"] = counts["seniority_class"].map(order)
    counts = counts.sort_values([*keys[:-1], "_o"], ignore_index=True).drop(columns="_o")
    if by is None:
        counts["share_in_group"] = counts["pending"] / counts["pending"].sum()
    else:
        counts["share_in_group"] = counts["pending"] / counts.groupby(by)["pending"].transform(
            "sum"
        )
    # the median seniority of each class's own applications (it lies inside its class)
    medians = apps.groupby(keys, sort=False)["seniority_months"].median().rename("median")
    counts["median_seniority_months"] = (
        counts[keys].merge(medians.reset_index(), on=keys, how="left")["median"].to_numpy()
    )
    return counts


def demand_profile(
    applications: pd.DataFrame,
    millesime: int,
    q1_threshold: float,
    by: str | None = None,
    params: Parameters | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """Profile of pending applications: counts and shares of mutation, Q1, priority and DALO.

    ``q1_threshold`` (€/year/UC) is the arrêté value in force (or a recomputed one). ``by`` is
    an ``application_attributes`` column (``commune_demanded``, ``typology``…) or None for the
    whole territory. Columns: ``by`` (or ``territoire``), ``pending``, ``share_mutation``,
    ``share_q1``, ``share_priority``, ``share_dalo``, ``median_seniority_months``.
    """
    apps = application_attributes(applications, millesime, params).copy(deep=False)
    when = dt.date(millesime - 1, 12, 31)
    apps["q1"] = q1_status(apps, q1_threshold, when, params, strict).astype("float64")
    key = by or "territoire"
    if by is None:
        apps[key] = "territoire"
    data = pd.DataFrame(
        {
            key: apps[key].to_numpy(),
            "mutation": apps["is_mutation"].astype("float64").to_numpy(),
            "q1": apps["q1"].to_numpy(),
            "priority": apps["is_priority"].astype("float64").to_numpy(),
            "dalo": apps["dalo"].astype("float64").to_numpy(),
            "seniority": apps["seniority_months"].to_numpy(),
        }
    )
    g = data.groupby(key, sort=True)
    out = pd.DataFrame(
        {
            "pending": g.size(),
            "share_mutation": g["mutation"].mean(),
            "share_q1": g["q1"].mean(),
            "share_priority": g["priority"].mean(),
            "share_dalo": g["dalo"].mean(),
            "median_seniority_months": g["seniority"].median(),
        }
    )
    return out.reset_index()


def q1_threshold_from_demand(
    applications: pd.DataFrame,
    millesime: int,
    include_mutations: bool = True,
    epci_communes: Collection[str] | None = None,
    params: Parameters | None = None,
) -> tuple[float, int]:
    """The first-quartile threshold recomputed from the pending demand, and the demands used.

    Method of the arrêté (docs/droit.md §3.2 (Méthode de calcul du seuil)): r = 12 × monthly resources / UC of each demand pending
    at 31/12 N-1; the threshold is the highest value of the lowest quartile, i.e. the
    ``inverted_cdf`` quantile of order ``indicateurs.demande.quantile_q1`` (r of rank
    ceil(0.25 × n) in increasing order). Switches (UNCONFIRMED in the arrêté): drop mutation demands
    (``include_mutations=False``); keep only demands whose first wished commune is in
    ``epci_communes``. Returns (NaN, 0) when no demand is left.
    """
    apps = application_attributes(applications, millesime, params).copy(deep=False)
    keep = np.ones(len(apps), dtype=bool)
    if not include_mutations:
        keep &= ~apps["is_mutation"].astype(bool).to_numpy()
    if epci_communes is not None:
        keep &= apps["commune_demanded"].isin(list(epci_communes)).to_numpy()
    kept = apps.loc[keep]
    if kept.empty:
        return float("nan"), 0
    when = dt.date(millesime - 1, 12, 31)
    r = declared_resources_per_uc(kept, when, params)
    q = float(resolve(params).value("indicateurs.demande.quantile_q1", when))
    return float(np.quantile(r, q, method="inverted_cdf")), len(kept)


def q1_threshold_comparison(
    applications: pd.DataFrame,
    millesime: int,
    arrete_value: float,
    epci_communes: Collection[str] | None = None,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Recomputed Q1 thresholds under each variant, next to the arrêté value.

    Rows: with and without mutations, and — when ``epci_communes`` is given — the same restricted
    to demands for the EPCI. Columns: ``variant`` (French label), ``include_mutations``,
    ``epci_only``, ``demands``, ``threshold``, ``arrete``, ``gap_ratio`` (threshold / arrêté − 1).
    """
    rows = []
    scopes: list[Collection[str] | None] = (
        [None] if epci_communes is None else [None, epci_communes]
    )
    for scope in scopes:
        for mutations in (True, False):
            thr, n = q1_threshold_from_demand(applications, millesime, mutations, scope, params)
            label = "toutes les demandes" if mutations else "hors demandes de mutation"
            if scope is not None:
                label += ", communes de l'EPCI"
            rows.append(
                {
                    "variant": label,
                    "include_mutations": mutations,
                    "epci_only": scope is not None,
                    "demands": n,
                    "threshold": thr,
                    "arrete": float(arrete_value),
                }
            )
    out = pd.DataFrame(rows)
    out["gap_ratio"] = out["threshold"] / out["arrete"] - 1.0
    return out
