"""Legal attribution quotas of CCH art. L441-1 for a calendar year, and the flux ledger (R441-5).

Attributions are those whose ``lease_date`` falls in year Y (``--annee Y``). A household is Q1
when 12 × monthly resources declared in the demand / consumption units is below the first-quartile
threshold in force in year Y (``mixite.household.q1_status``; the arrêté's strict ``<`` versus
``≤`` is UNCONFIRMED, hence the ``strict`` argument). Three indicators (docs/droit.md §2 (Objectifs d'attribution)):

* ``q1_hors_qpv``: attributions outside QPV to Q1 households or NPNRU/ORCOD relocations, over
  attributions outside QPV; target ``quotas.q1_hors_qpv`` (25 %);
* ``non_q1_en_qpv``: attributions in QPV to non-Q1 households over attributions in QPV; target
  ``quotas.non_q1_en_qpv`` (50 %); classification purely by Q1 status (NPNRU not counted apart);
* ``prioritaires``: attributions to DALO or priority households over the attributions of a
  reservataire; target ``quotas.prioritaires_par_reservataire`` (25 %, not applicable to the State).

Shortfall = max(0, ceil(target × N) − achieved) (docs/droit.md §2.1 (Objectif hors QPV)). Each share carries an exact
Clopper-Pearson interval and the one-sided exact binomial p-value of « share below target »
(``inference``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mixite.errors import ParameterError
from mixite.household import q1_status
from mixite.indicators._common import Definition, require_columns, safe_ratio
from mixite.indicators.inference import clopper_pearson, p_value_below
from mixite.params import Parameters, resolve
from mixite.vocabulary import TARGET_PARAMETERS, Indicator, Level

__all__ = [
    "DEFINITIONS",
    "INDICATORS",
    "LEVELS",
    "attributions_of_year",
    "flux_ledger",
    "q1_threshold",
    "quota_indicators",
    "shortfall",
]

_L441 = "CCH art. L441-1 (loi n° 2017-86 du 27 janvier 2017, art. 70)"

#: The legal objectives, in report order (``mixite.vocabulary.Indicator``).
INDICATORS: tuple[Indicator, ...] = tuple(Indicator)

#: level → grouping column (None for the whole EPCI).
LEVELS: dict[str, str | None] = {
    Level.EPCI: None,
    Level.LANDLORD: "landlord_id",
    Level.LANDLORD_NON_RESERVED: "landlord_id",
    Level.RESERVATAIRE: "reservataire",
    Level.COMMUNE: "commune",
}

DEFINITIONS: dict[str, Definition] = {
    "level": Definition("Échelle", "texte", "Échelle de calcul de l'indicateur.", _L441),
    "group": Definition("Groupe", "code", "Bailleur (SIREN), réservataire ou commune.", _L441),
    "indicator": Definition("Indicateur", "code", "Code de l'objectif légal.", _L441),
    "denominator": Definition(
        "Attributions concernées",
        "attributions",
        "Attributions suivies d'un bail signé dans l'année et relevant de l'objectif "
        "(hors QPV, en QPV, ou toutes celles du groupe).",
        _L441,
    ),
    "numerator": Definition(
        "Attributions au public cible", "attributions", "Attributions au public visé.", _L441
    ),
    "share": Definition("Part réalisée", "/1", "Attributions au public cible / concernées.", _L441),
    "target": Definition(
        "Objectif", "/1", "Part minimale fixée par la loi ou les orientations.", _L441
    ),
    "shortfall": Definition(
        "Attributions manquantes",
        "attributions",
        "max(0, arrondi supérieur de objectif × attributions concernées − réalisées).",
        "docs/droit.md §2.1 « Objectif hors QPV » (sanction du préfet à hauteur de l'écart)",
    ),
    "ci_low": Definition(
        "Intervalle de confiance (bas)",
        "/1",
        "Borne basse de l'intervalle exact de Clopper-Pearson de la part.",
        "Clopper et Pearson (1934)",
    ),
    "ci_high": Definition(
        "Intervalle de confiance (haut)",
        "/1",
        "Borne haute de l'intervalle exact de Clopper-Pearson de la part.",
        "Clopper et Pearson (1934)",
    ),
    "p_value": Definition(
        "p-valeur (part sous l'objectif)",
        "/1",
        "Probabilité d'observer au plus autant d'attributions au public cible si la part réelle "
        "était égale à l'objectif (test binomial exact unilatéral).",
        "Test binomial exact",
    ),
    "significant_shortfall": Definition(
        "Écart significatif",
        "booléen",
        "Part sous l'objectif et p-valeur sous le seuil de significativité : l'écart n'est pas "
        "dû au hasard.",
        "Test binomial exact",
    ),
    "target_applies": Definition(
        "Objectif légal à cette échelle",
        "booléen",
        "L'objectif s'impose à ce groupe (EPCI et bailleurs pour les quartiles ; réservataires "
        "hors État et logements non réservés des bailleurs pour les prioritaires) ; sinon "
        "l'indicateur est descriptif.",
        _L441,
    ),
    "share_reserved": Definition(
        "Part du flux réservée", "/1", "Part du flux annuel réservée par convention.", "CCH R441-5"
    ),
    "flow": Definition(
        "Flux annuel du bailleur",
        "attributions",
        "Attributions du bailleur dans l'année (approximation du flux de logements libérés).",
        "CCH R441-5 (gestion en flux)",
    ),
    "entitled": Definition(
        "Droits du réservataire",
        "logements",
        "Part réservée × flux annuel.",
        "CCH R441-5 (gestion en flux)",
    ),
    "delivered": Definition(
        "Attributions réalisées",
        "attributions",
        "Attributions du bailleur sur le contingent du réservataire.",
        "CCH R441-5",
    ),
    "balance": Definition(
        "Solde",
        "logements",
        "Attributions réalisées − droits (négatif : le réservataire n'a pas reçu son dû).",
        "CCH R441-5",
    ),
}


def attributions_of_year(attributions: pd.DataFrame, year: int) -> pd.DataFrame:
    """The attributions whose lease was signed during calendar year ``year``."""
    require_columns(attributions, ["lease_date"], "attributions")
    dates = pd.to_datetime(attributions["lease_date"])
    return attributions.loc[(dates.dt.year == year).to_numpy()]


def q1_threshold(
    territory: pd.DataFrame | Mapping[str, Any],
    year: int,
    params: Parameters | None = None,
) -> float:
    """First-quartile threshold (€/year/UC) in force in ``year`` for the territory.

    The territory's ``q1_overrides`` (JSON ``{année: valeur}``) wins; otherwise the ``q1`` value of
    ``seuils_q1`` for ``q1_reference_epci`` at 31 December of ``year`` (the arrêté of year Y is
    in force then).
    """
    row: Mapping[Any, Any] = (
        territory.iloc[0].to_dict() if isinstance(territory, pd.DataFrame) else territory
    )
    overrides_text = row.get("q1_overrides")
    if isinstance(overrides_text, str) and overrides_text.strip():
        overrides = {str(k): v for k, v in json.loads(overrides_text).items()}
        if str(year) in overrides and overrides[str(year)] is not None:
            return float(overrides[str(year)])
    epci = str(row.get("q1_reference_epci") or row.get("epci") or "")
    try:
        table = resolve(params).value("seuils_q1", dt.date(year, 12, 31))
    except ParameterError as exc:
        raise ParameterError(
            f"Pas de seuil du premier quartile connu pour {year} ({exc}). Indiquez-le dans "
            f"territoire.yaml : « seuil_q1: {{{year}: valeur}} »."
        ) from exc
    entry = table.get(epci) if isinstance(table, Mapping) else None
    if entry is None:
        raise ParameterError(
            f"Pas de seuil du premier quartile pour l'EPCI « {epci} » en {year}. Indiquez un "
            f"« seuil_q1 » pour {year} dans territoire.yaml ou un autre « siren_epci_seuils »."
        )
    return float(entry["q1"] if isinstance(entry, Mapping) else entry)


def shortfall(target: Any, denominator: Any, achieved: Any) -> np.ndarray[Any, np.dtype[np.int64]]:
    """max(0, ceil(target × N) − achieved), with a tolerance so that 0.25 × 4 stays exactly 1."""
    t = np.asarray(target, dtype="float64")
    n = np.asarray(denominator, dtype="float64")
    k = np.asarray(achieved, dtype="float64")
    needed = np.ceil(t * n - 1e-9)
    out: np.ndarray[Any, np.dtype[np.int64]] = np.maximum(needed - k, 0).astype(np.int64)
    return out


def _flags(attrs: pd.DataFrame, q1: pd.Series) -> pd.DataFrame:
    in_qpv = attrs["in_qpv"].astype(bool).to_numpy()
    is_q1 = q1.to_numpy(dtype=bool)
    npnru = attrs["npnru_relocation"].astype(bool).to_numpy()
    prio = attrs["dalo"].astype(bool).to_numpy() | attrs["priority"].astype(bool).to_numpy()
    return pd.DataFrame(
        {
            "q1_hors_qpv_den": ~in_qpv,
            "q1_hors_qpv_num": ~in_qpv & (is_q1 | npnru),
            "non_q1_en_qpv_den": in_qpv,
            "non_q1_en_qpv_num": in_qpv & ~is_q1,
            "prioritaires_den": np.ones(len(attrs), dtype=bool),
            "prioritaires_num": prio,
        },
        index=attrs.index,
    ).astype("int64")


def _applies(level: str, indicator: str, groups: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if indicator == Indicator.PRIORITY:
        if level == Level.RESERVATAIRE:
            return ~groups.astype(str).str.startswith("etat").to_numpy()
        return np.full(len(groups), level == Level.LANDLORD_NON_RESERVED)
    return np.full(len(groups), level in (Level.EPCI, Level.LANDLORD))


def quota_indicators(
    attributions: pd.DataFrame,
    year: int,
    threshold: float,
    levels: tuple[str, ...] = (Level.EPCI, Level.LANDLORD, Level.RESERVATAIRE, Level.COMMUNE),
    territory_label: str = "epci",
    params: Parameters | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """The three legal quota indicators for ``year`` at each level, in long format.

    ``threshold`` is the Q1 threshold in force in ``year`` (€/year/UC, see ``q1_threshold``).
    Columns: ``level``, ``group``, ``indicator``, ``denominator``, ``numerator``, ``share``,
    ``target``, ``shortfall``, ``ci_low``, ``ci_high``, ``p_value``, ``significant_shortfall``,
    ``target_applies``. The ``prioritaires`` indicator is given at every level, but it is a legal
    target only for reservataires other than the State and for each landlord's non-reserved
    dwellings (level ``bailleur_non_reserve``, attributions whose reservataire is ``bailleur``).
    """
    require_columns(
        attributions,
        [
            "in_qpv",
            "npnru_relocation",
            "dalo",
            "priority",
            "landlord_id",
            "reservataire",
            "commune",
        ],
        "attributions",
    )
    when = dt.date(year, 12, 31)
    confidence = float(resolve(params).value("indicateurs.inference.niveau_confiance", when))
    alpha = float(resolve(params).value("indicateurs.inference.seuil_significativite", when))
    attrs = attributions_of_year(attributions, year)
    flags = _flags(attrs, q1_status(attrs, threshold, when, params, strict))
    pieces = []
    for level in levels:
        try:
            col = LEVELS[level]
        except KeyError:
            raise ValueError(f"unknown level {level!r}; expected one of {sorted(LEVELS)}") from None
        data = flags
        keys = pd.Series(territory_label, index=attrs.index) if col is None else attrs[col]
        if level == Level.LANDLORD_NON_RESERVED:
            keep = (attrs["reservataire"] == "bailleur").to_numpy()
            data, keys = flags.loc[keep], keys.loc[keep]
        sums = data.groupby(keys.astype(str).to_numpy(), sort=True).sum()
        indicators = (Indicator.PRIORITY,) if level == Level.LANDLORD_NON_RESERVED else INDICATORS
        for ind in indicators:
            den = sums[f"{ind}_den"].to_numpy()
            num = sums[f"{ind}_num"].to_numpy()
            target = float(resolve(params).value(TARGET_PARAMETERS[ind], when))
            groups = pd.Series(sums.index, dtype=object)
            pieces.append(
                pd.DataFrame(
                    {
                        "level": str(level),
                        "group": groups.to_numpy(),
                        "indicator": str(ind),
                        "denominator": den,
                        "numerator": num,
                        "target": target,
                        "target_applies": _applies(level, ind, groups),
                    }
                )
            )
    columns = [
        "level", "group", "indicator", "denominator", "numerator", "share", "target", "shortfall",
        "ci_low", "ci_high", "p_value", "significant_shortfall", "target_applies",
    ]  # fmt: skip
    if not pieces:
        return pd.DataFrame(columns=columns)
    out = pd.concat(pieces, ignore_index=True)
    out["share"] = safe_ratio(out["numerator"], out["denominator"])
    out["shortfall"] = shortfall(out["target"], out["denominator"], out["numerator"])
    low, high = clopper_pearson(out["numerator"], out["denominator"], confidence)
    out["ci_low"], out["ci_high"] = low, high
    out["p_value"] = p_value_below(out["numerator"], out["denominator"], out["target"])
    out["significant_shortfall"] = (out["share"] < out["target"]) & (out["p_value"] < alpha)
    return out[columns]


def flux_ledger(attributions: pd.DataFrame, reservations: pd.DataFrame, year: int) -> pd.DataFrame:
    """Flux ledger per landlord × reservataire for ``year``: entitled vs delivered.

    The landlord's annual flow is its number of attributions in ``year``; a reservataire's
    entitlement is its reserved share (summed over its conventions with that landlord) × flow;
    the non-reserved part (1 − Σ shares, at least 0) is the landlord's own (``bailleur``).
    Columns: ``landlord_id``, ``reservataire``, ``share_reserved``, ``flow``, ``entitled``,
    ``delivered``, ``balance`` (delivered − entitled). Reservataires that received attributions
    without a convention appear with a share of 0.
    """
    require_columns(reservations, ["landlord_id", "reservataire", "share"], "reservations")
    attrs = attributions_of_year(attributions, year)
    delivered = (
        attrs.groupby(["landlord_id", "reservataire"]).size().rename("delivered").reset_index()
    )
    flow = attrs.groupby("landlord_id").size().rename("flow")
    shares = (
        reservations.groupby(["landlord_id", "reservataire"])["share"]
        .sum()
        .rename("share_reserved")
        .reset_index()
    )
    shares = shares.loc[shares["reservataire"] != "bailleur"]
    own = (1.0 - shares.groupby("landlord_id")["share_reserved"].sum()).clip(lower=0.0)
    landlords = sorted(set(flow.index) | set(shares["landlord_id"]))
    own_rows = pd.DataFrame(
        {
            "landlord_id": landlords,
            "reservataire": "bailleur",
            "share_reserved": [float(own.get(lid, 1.0)) for lid in landlords],
        }
    )
    ledger = pd.concat([shares, own_rows], ignore_index=True).merge(
        delivered, on=["landlord_id", "reservataire"], how="outer"
    )
    ledger["share_reserved"] = ledger["share_reserved"].fillna(0.0).astype("float64")
    ledger["delivered"] = ledger["delivered"].fillna(0).astype("int64")
    ledger["flow"] = ledger["landlord_id"].map(flow).fillna(0).astype("int64")
    ledger["entitled"] = ledger["share_reserved"] * ledger["flow"]
    ledger["balance"] = ledger["delivered"] - ledger["entitled"]
    ledger = ledger.sort_values(["landlord_id", "reservataire"], ignore_index=True)
    return ledger[
        [
            "landlord_id",
            "reservataire",
            "share_reserved",
            "flow",
            "entitled",
            "delivered",
            "balance",
        ]
    ]
