"""The roles of neighbourhoods in the territory's housing dynamics, computed from their flows.

A neighbourhood is each QPV, and outside QPV each commune (or IRIS, parameter
``quartiers.unite_hors_qpv``). Its flows over one year: households entering from outside the
social stock (first-time social tenants), internal mutations in and out, all entrants, and the
length of stay of its occupants. Each rate is compared with the territory's (the ratio to the
whole social stock of the EPCI), and a decision list gives the role (``docs/quartiers.md``;
thresholds ``quartiers.roles.*``):

1. fewer than ``quartiers.effectif_min`` households: **non classé**;
2. **relégation**: the share of first-quartile households among its entrants exceeds the
   territory's by ``ecart_q1`` points or more, and households hardly move on through the stock
   (mutations out ≤ ``rapport_bas`` × the territory's rate; when mutations out are not observed,
   as in the diagnostic, stays ≥ ``anciennete_longue`` × the territory's mean);
3. **accueil**: entries from outside the social stock ≥ ``rapport_haut`` × the territory's rate,
   and a share of first-time tenants among entrants at least the territory's;
4. **passage**: entries ≥ ``rapport_haut`` × the territory's rate, and mutations out ≥
   ``rapport_haut`` × the territory's rate (not observed: stays ≤ ``anciennete_courte`` × the
   territory's mean);
5. **stabilité**: entries ≤ ``rapport_bas`` × the territory's rate and stays ≥
   ``anciennete_longue`` × the territory's mean;
6. otherwise **sans rôle marqué**.

The observed flows of a store millésime N (``observed_flows``) are the attributions of N-1 (lease
signed, mutation or not) and the occupants at 1 January N (OPS, date of entry); the occupancy
data do not say where leaving households go, so mutations out are not observed there (NaN). The
projection (``mixite.projection``) knows every move and fills all the flows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from mixite.household import consumption_units, is_q1, q1_status, resources_per_uc
from mixite.indicators._common import Definition, require_columns
from mixite.params import Parameters, resolve
from mixite.vocabulary import NeighbourhoodRole

__all__ = [
    "DEFINITIONS",
    "FLOW_COLUMNS",
    "NEIGHBOURHOOD_PREFIX",
    "neighbourhood_keys",
    "neighbourhood_roles",
    "observed_flows",
    "role_of_ratios",
]

_SRC = "Typologie mixite des rôles des quartiers (docs/quartiers.md)"
_OBS = "RPLS, OPS et attributions de l'année (docs/quartiers.md)"

#: Prefix of the key of a neighbourhood outside QPV (followed by the commune or IRIS code).
NEIGHBOURHOOD_PREFIX = "HQPV-"

#: The flow columns a roles computation reads, one row per neighbourhood.
FLOW_COLUMNS = (
    "households",
    "entrants",
    "entrants_external",
    "mutations_in",
    "mutations_out",
    "stay_years_total",
    "q1_households",
    "q1_entrants",
)

DEFINITIONS: dict[str, Definition] = {
    "neighbourhood": Definition(
        "Quartier", "code", "Chaque QPV ; hors QPV, la commune (ou l'IRIS).", _SRC
    ),
    "kind": Definition("Type de quartier", "code", "qpv, commune ou iris.", _SRC),
    "households": Definition("Ménages", "ménages", "Ménages occupants du quartier.", _OBS),
    "entrants": Definition(
        "Emménagements", "ménages", "Baux signés dans l'année dans le quartier.", _OBS
    ),
    "entrants_external": Definition(
        "Entrées de l'extérieur du parc social",
        "ménages",
        "Emménagements de ménages qui n'étaient pas locataires du parc social (premiers "
        "locataires).",
        _OBS,
    ),
    "mutations_in": Definition(
        "Mutations entrantes",
        "ménages",
        "Emménagements de ménages déjà locataires du parc social (mutations, relogements).",
        _OBS,
    ),
    "mutations_out": Definition(
        "Mutations sortantes",
        "ménages",
        "Ménages du quartier partis vers un autre logement social (non observé dans le "
        "diagnostic : l'occupation ne dit pas où vont les ménages qui partent).",
        _OBS,
    ),
    "entry_rate": Definition(
        "Taux d'emménagement", "/1", "Emménagements / ménages occupants.", _SRC
    ),
    "external_rate": Definition(
        "Taux d'entrée de l'extérieur",
        "/1",
        "Entrées de ménages extérieurs au parc social / ménages occupants.",
        _SRC,
    ),
    "mutation_out_rate": Definition(
        "Taux de mutation sortante", "/1", "Mutations sortantes / ménages occupants.", _SRC
    ),
    "first_time_share": Definition(
        "Part de premiers locataires",
        "/1",
        "Entrées de l'extérieur du parc social / emménagements.",
        _SRC,
    ),
    "mean_stay_years": Definition(
        "Ancienneté moyenne d'occupation",
        "années",
        "Années écoulées depuis l'entrée dans le logement, en moyenne sur les occupants.",
        _SRC,
    ),
    "q1_share": Definition(
        "Part des ménages du premier quartile",
        "/1",
        "Occupants dont les ressources annuelles par UC sont sous le seuil du premier quartile.",
        _SRC,
    ),
    "q1_entrants_share": Definition(
        "Part du premier quartile parmi les entrants",
        "/1",
        "Emménagés de l'année dont les ressources par UC sont sous le seuil du premier quartile.",
        _SRC,
    ),
    "entry_ratio": Definition(
        "Emménagements / territoire", "ratio", "Taux d'emménagement / celui du territoire.", _SRC
    ),
    "external_ratio": Definition(
        "Entrées de l'extérieur / territoire",
        "ratio",
        "Taux d'entrée de l'extérieur / celui du territoire.",
        _SRC,
    ),
    "mutation_out_ratio": Definition(
        "Mutations sortantes / territoire",
        "ratio",
        "Taux de mutation sortante / celui du territoire.",
        _SRC,
    ),
    "stay_ratio": Definition(
        "Ancienneté / territoire",
        "ratio",
        "Ancienneté moyenne d'occupation / celle du territoire.",
        _SRC,
    ),
    "role": Definition(
        "Rôle du quartier",
        "classe",
        "Accueil, passage, stabilité, relégation ou sans rôle marqué (règles de "
        "docs/quartiers.md, seuils quartiers.roles).",
        _SRC,
    ),
}


def neighbourhood_keys(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.Series:
    """The neighbourhood of each dwelling (same index): its QPV code in QPV, otherwise
    ``NEIGHBOURHOOD_PREFIX`` + its commune code (or IRIS code, parameter
    ``quartiers.unite_hors_qpv``; a dwelling without IRIS falls back on its commune)."""
    require_columns(dwellings, ["in_qpv", "qpv_code", "commune"], "dwellings")
    unit = str(resolve(params).value("quartiers.unite_hors_qpv", dt.date(millesime, 1, 1)))
    outside = dwellings["commune"].astype(str)
    if unit == "iris" and "iris" in dwellings.columns:
        iris = dwellings["iris"].astype(object)
        outside = iris.where(iris.notna(), outside).astype(str)
    in_qpv = dwellings["in_qpv"].astype(bool) & dwellings["qpv_code"].notna()
    keys = np.where(
        in_qpv.to_numpy(),
        dwellings["qpv_code"].astype(object).to_numpy(),
        (NEIGHBOURHOOD_PREFIX + outside).to_numpy(),
    )
    return pd.Series(keys, index=dwellings.index, name="neighbourhood", dtype=object)


def _occupant_q1(households: pd.DataFrame, threshold: float, when: dt.date) -> Any:
    units = consumption_units(
        households["adults"], households["persons_14plus"], households["household_size"], when
    )
    return is_q1(resources_per_uc(households["annual_resources"], units), threshold)


def observed_flows(
    households: pd.DataFrame,
    dwellings: pd.DataFrame,
    attributions: pd.DataFrame | None,
    millesime: int,
    q1_threshold: float,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """The flows of each neighbourhood observed in store millésime ``millesime``: one row per
    neighbourhood with ``kind`` (``qpv``, ``commune``, ``iris``), ``commune`` and the
    ``FLOW_COLUMNS``.

    Occupants at 1 January N (OPS) give ``households``, ``q1_households`` (resources per UC below
    ``q1_threshold``, €/year/UC) and ``stay_years_total`` (years since the date of entry, summed);
    the attributions of N-1 give ``entrants``, split into ``entrants_external`` and
    ``mutations_in`` (``is_mutation``, NPNRU relocations included), and ``q1_entrants`` (the Q1
    status of the attribution, ``mixite.household.q1_status``). ``mutations_out`` is NaN: the
    occupancy data do not say where leaving households go.
    """
    require_columns(households, ["dwelling_id", "entry_date", "annual_resources"], "households")
    when = dt.date(millesime, 1, 1)
    keys = neighbourhood_keys(dwellings, millesime, params)
    place = pd.DataFrame(
        {
            "dwelling_id": dwellings["dwelling_id"].astype(str).to_numpy(),
            "neighbourhood": keys.to_numpy(),
            "commune": dwellings["commune"].astype(str).to_numpy(),
            "in_qpv": dwellings["in_qpv"].astype(bool).to_numpy(),
        }
    ).drop_duplicates("dwelling_id")
    occ = households[["dwelling_id"]].astype(str).merge(place, on="dwelling_id", how="left")
    stay = (pd.Timestamp(when) - pd.to_datetime(households["entry_date"])).dt.days / 365.25
    occ["stay"] = np.clip(stay.to_numpy(dtype=float), 0.0, None)
    occ["q1"] = _occupant_q1(households, q1_threshold, when)
    occ = occ.dropna(subset=["neighbourhood"])
    grouped = occ.groupby("neighbourhood")
    out = pd.DataFrame(
        {
            "households": grouped.size(),
            "stay_years_total": grouped["stay"].sum(),
            "q1_households": grouped["q1"].sum(),
        }
    )
    meta = place.groupby("neighbourhood").agg(commune=("commune", "first"), qpv=("in_qpv", "any"))
    out = meta.join(out, how="left")
    for col in ("entrants", "entrants_external", "mutations_in", "q1_entrants"):
        out[col] = 0.0
    if attributions is not None and len(attributions):
        year = millesime - 1
        att = attributions.loc[pd.to_datetime(attributions["lease_date"]).dt.year == year]
        att = att.reset_index(drop=True)
        by_dwelling = dict(zip(place["dwelling_id"], place["neighbourhood"], strict=True))
        dwelling = att["dwelling_id"].astype(object)
        where = dwelling.map(lambda d: by_dwelling.get(str(d)) if d is not None else None)
        # Without a dwelling identifier: its QPV, else its commune outside QPV.
        fallback = np.where(
            att["in_qpv"].astype(bool) & att["qpv_code"].notna(),
            att["qpv_code"].astype(object),
            NEIGHBOURHOOD_PREFIX + att["commune"].astype(str),
        )
        where = where.where(where.notna(), pd.Series(fallback, index=att.index))
        mutation = att["is_mutation"].astype(bool) | att["npnru_relocation"].astype(bool)
        q1 = q1_status(att, q1_threshold, dt.date(year, 12, 31), params).to_numpy()
        flows = pd.DataFrame(
            {
                "neighbourhood": where.to_numpy(),
                "entrants": 1.0,
                "entrants_external": (~mutation).astype(float).to_numpy(),
                "mutations_in": mutation.astype(float).to_numpy(),
                "q1_entrants": q1.astype(float),
            }
        )
        summed = flows.groupby("neighbourhood").sum()
        out = out.drop(columns=list(summed.columns)).join(summed, how="left")
    out["mutations_out"] = np.nan
    out["kind"] = np.where(
        out["qpv"],
        "qpv",
        str(resolve(params).value("quartiers.unite_hors_qpv", when)),
    )
    out = out.drop(columns="qpv").fillna(
        {c: 0.0 for c in FLOW_COLUMNS if c not in ("mutations_out",)}
    )
    out.index.name = "neighbourhood"
    return out.reset_index()[["neighbourhood", "kind", "commune", *FLOW_COLUMNS]]


def _ratio(num: Any, den: Any) -> Any:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def role_of_ratios(
    households: Any,
    entry_ratio: Any,
    external_ratio: Any,
    mutation_out_ratio: Any,
    stay_ratio: Any,
    first_time_gap: Any,
    q1_entrants_gap: Any,
    millesime: int,
    params: Parameters | None = None,
) -> Any:
    """The role code (``vocabulary.NeighbourhoodRole``) of each neighbourhood from its ratios to
    the territory (the decision list of the module docstring; NaN mutations out = not observed).

    ``first_time_gap`` and ``q1_entrants_gap`` are differences in points to the territory's
    shares; the other ratios are rates over the territory's rates.
    """
    when = dt.date(millesime, 1, 1)
    p = resolve(params)
    high = float(p.value("quartiers.roles.rapport_haut", when))
    low = float(p.value("quartiers.roles.rapport_bas", when))
    long_ = float(p.value("quartiers.roles.anciennete_longue", when))
    short = float(p.value("quartiers.roles.anciennete_courte", when))
    gap_q1 = float(p.value("quartiers.roles.ecart_q1", when))
    minimum = float(p.value("quartiers.effectif_min", when))
    n = np.asarray(households, dtype=float)
    entry = np.asarray(entry_ratio, dtype=float)
    external = np.asarray(external_ratio, dtype=float)
    out_m = np.asarray(mutation_out_ratio, dtype=float)
    stay = np.asarray(stay_ratio, dtype=float)
    first = np.asarray(first_time_gap, dtype=float)
    q1_gap = np.asarray(q1_entrants_gap, dtype=float)
    known = np.isfinite(out_m)
    with np.errstate(invalid="ignore"):
        stuck = np.where(known, out_m <= low, stay >= long_)
        leaving = np.where(known, out_m >= high, stay <= short)
        relegation = (q1_gap >= gap_q1 - 1e-12) & stuck
        reception = (external >= high) & (first >= -1e-12)
        transit = (entry >= high) & leaving
        stability = (entry <= low) & (stay >= long_)
    role = np.full(n.shape, NeighbourhoodRole.MIXED.value, dtype=object)
    for mask, code in (
        (stability, NeighbourhoodRole.STABILITY),
        (transit, NeighbourhoodRole.TRANSIT),
        (reception, NeighbourhoodRole.RECEPTION),
        (relegation, NeighbourhoodRole.RELEGATION),
    ):  # from the last rule to the first: the first rule that holds wins
        role[np.nan_to_num(mask, nan=0.0).astype(bool)] = code.value
    role[~(n >= minimum)] = NeighbourhoodRole.UNCLASSED.value
    return role


def neighbourhood_roles(
    flows: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.DataFrame:
    """``flows`` (one row per neighbourhood, ``FLOW_COLUMNS``) with its rates, their ratios to
    the territory's and the ``role`` of each neighbourhood (module docstring).

    Added columns: ``entry_rate``, ``external_rate``, ``mutation_out_rate``,
    ``first_time_share``, ``mean_stay_years``, ``q1_share``, ``q1_entrants_share``,
    ``entry_ratio``, ``external_ratio``, ``mutation_out_ratio``, ``stay_ratio`` and ``role``.
    The territory is the sum of the rows.
    """
    require_columns(flows, list(FLOW_COLUMNS), "flux des quartiers")
    out = flows.copy()
    total = {c: float(np.nansum(out[c].to_numpy(dtype=float))) for c in FLOW_COLUMNS}
    observed_out = bool(out["mutations_out"].notna().any())
    out["entry_rate"] = _ratio(out["entrants"], out["households"])
    out["external_rate"] = _ratio(out["entrants_external"], out["households"])
    out["mutation_out_rate"] = _ratio(out["mutations_out"], out["households"])
    out["first_time_share"] = _ratio(out["entrants_external"], out["entrants"])
    out["mean_stay_years"] = _ratio(out["stay_years_total"], out["households"])
    out["q1_share"] = _ratio(out["q1_households"], out["households"])
    out["q1_entrants_share"] = _ratio(out["q1_entrants"], out["entrants"])
    t_entry = _ratio(total["entrants"], total["households"])
    t_external = _ratio(total["entrants_external"], total["households"])
    t_out = _ratio(total["mutations_out"], total["households"]) if observed_out else np.nan
    t_first = _ratio(total["entrants_external"], total["entrants"])
    t_stay = _ratio(total["stay_years_total"], total["households"])
    t_q1_entrants = _ratio(total["q1_entrants"], total["entrants"])
    out["entry_ratio"] = _ratio(out["entry_rate"], t_entry)
    out["external_ratio"] = _ratio(out["external_rate"], t_external)
    out["mutation_out_ratio"] = _ratio(out["mutation_out_rate"], t_out)
    out["stay_ratio"] = _ratio(out["mean_stay_years"], t_stay)
    out["role"] = role_of_ratios(
        out["households"],
        out["entry_ratio"],
        out["external_ratio"],
        out["mutation_out_ratio"],
        out["stay_ratio"],
        out["first_time_share"] - t_first,
        out["q1_entrants_share"] - t_q1_entrants,
        millesime,
        params,
    )
    return out
