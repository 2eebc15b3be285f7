"""Occupancy of the stock (OPS survey): who lives where, per residence, QPV or any dwelling group.

Input: the canonical ``households`` frame (one row per occupant household, ``annual_resources``
in €/year) joined to ``dwellings`` by ``dwelling_id``. The income classes compare the household's
resources with the PLUS ceiling for its category and zone; the ceiling is either given (one value
per household, €/year) or computed with ``mixite.ceilings.household_ceiling`` (category of
``mixite.household.ceiling_category``) when that module is installed and ``communes`` gives each
commune's ceiling zone.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import numpy as np
import pandas as pd

from mixite.errors import InputError, Location
from mixite.household import consumption_units, resources_per_uc
from mixite.indicators._common import Definition, require_columns
from mixite.params import Parameters, resolve

__all__ = [
    "DEFINITIONS",
    "FLAG_COLUMNS",
    "household_flags",
    "occupancy_profile",
    "plus_ceiling",
]

_OPS = "Enquête OPS (occupation du parc social, art. L442-5 CCH)"

#: Household flags averaged into shares by ``occupancy_profile`` (share column = ``share_`` + flag).
FLAG_COLUMNS = (
    "under_20",
    "under_40",
    "under_60",
    "single_parent",
    "large_family",
    "unemployed",
    "housing_benefit",
    "elderly",
)

DEFINITIONS: dict[str, Definition] = {
    "households": Definition("Ménages occupants", "ménages", "Ménages enquêtés (OPS).", _OPS),
    "share_under_20": Definition(
        "Ménages sous 20 % du plafond PLUS",
        "/1",
        "Ménages dont les ressources annuelles sont inférieures à 20 % du plafond PLUS de leur "
        "catégorie et de leur zone.",
        _OPS + " ; plafonds PLUS (CCH art. R441-1, arrêté annuel)",
    ),
    "share_under_40": Definition(
        "Ménages sous 40 % du plafond PLUS",
        "/1",
        "Ressources annuelles inférieures à 40 % du plafond PLUS.",
        _OPS + " ; plafonds PLUS",
    ),
    "share_under_60": Definition(
        "Ménages sous 60 % du plafond PLUS",
        "/1",
        "Ressources annuelles inférieures à 60 % du plafond PLUS.",
        _OPS + " ; plafonds PLUS",
    ),
    "share_single_parent": Definition(
        "Familles monoparentales", "/1", "Ménages monoparentaux / ménages.", _OPS
    ),
    "share_large_family": Definition(
        "Grandes familles",
        "/1",
        "Ménages d'au moins 3 personnes à charge ou d'au moins 5 personnes / ménages.",
        _OPS + " ; INSEE (famille nombreuse)",
    ),
    "share_unemployed": Definition(
        "Personne de référence au chômage",
        "/1",
        "Ménages dont la personne de référence est demandeur d'emploi / ménages.",
        _OPS,
    ),
    "share_housing_benefit": Definition(
        "Bénéficiaires d'une aide au logement",
        "/1",
        "Ménages percevant une aide au logement (APL) non nulle / ménages.",
        _OPS,
    ),
    "share_elderly": Definition(
        "Ménages âgés",
        "/1",
        "Ménages dont la personne de référence a 65 ans ou plus / ménages.",
        _OPS,
    ),
    "median_resources_per_uc": Definition(
        "Ressources médianes par UC",
        "€/an/UC",
        "Médiane des ressources annuelles divisées par les unités de consommation du ménage "
        "(échelle OCDE modifiée, paramètres uc.*).",
        _OPS,
    ),
}


for _flag in FLAG_COLUMNS:
    _share = DEFINITIONS[f"share_{_flag}"]
    DEFINITIONS[f"n_{_flag}"] = Definition(
        f"Effectif : {_share.label[0].lower()}{_share.label[1:]}",
        "ménages",
        "Nombre de ménages comptés au numérateur de la part correspondante.",
        _share.source,
    )


def plus_ceiling(
    households: pd.DataFrame,
    dwellings: pd.DataFrame,
    communes: pd.DataFrame,
    when: dt.date,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Annual PLUS income ceiling of each household (€/year) from ``mixite.ceilings``.

    Uses the ceiling zone of the commune of the dwelling (``communes.ceiling_zone``) and the
    household's category (``mixite.household.ceiling_category``: a couple of two persons without
    dependant is a « jeune ménage » when twice the reference person's age is at most the
    parameter's sum; OPS records no disability). Raises an
    ``InputError`` when ``mixite.ceilings`` is not available: pass the ceilings explicitly then.
    """
    try:
        ceilings: Any = importlib.import_module("mixite.ceilings")
    except ModuleNotFoundError as exc:
        raise InputError(
            "Le module des plafonds de ressources (mixite.ceilings) est absent",
            Location("households", column="annual_resources"),
            "Fournissez le plafond PLUS de chaque ménage (argument « ceiling »).",
        ) from exc
    zone_of = communes.set_index("commune")["ceiling_zone"]
    place = households[["dwelling_id"]].merge(
        dwellings[["dwelling_id", "commune"]], on="dwelling_id", how="left"
    )
    zone = place["commune"].map(zone_of).to_numpy()
    out = ceilings.household_ceiling("plus", zone, households, when)
    return np.asarray(out, dtype="float64")


def household_flags(
    households: pd.DataFrame,
    ceiling: Any,
    millesime: int,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """One row per household: boolean flags and resources per UC, same index as ``households``.

    ``ceiling`` is the household's annual PLUS ceiling (€/year, array-like aligned with the rows).
    Flags: ``under_20``/``under_40``/``under_60`` (resources strictly below that fraction of the
    ceiling, fractions ``indicateurs.occupation.parts_plafond``), ``single_parent``,
    ``large_family`` (dependants ≥ 3 or size ≥ 5, parameters), ``unemployed`` (employment
    ``chomage``), ``housing_benefit`` (> 0), ``elderly`` (reference person aged ≥ 65, parameter);
    plus ``resources_per_uc`` (€/year/UC).
    """
    require_columns(
        households,
        [
            "annual_resources",
            "household_size",
            "adults",
            "persons_14plus",
            "dependants",
            "single_parent",
            "employment",
            "housing_benefit",
            "reference_age",
        ],
        "households",
    )
    when = dt.date(millesime, 1, 1)
    fractions = [
        float(f) for f in resolve(params).value("indicateurs.occupation.parts_plafond", when)
    ]
    big_dep = int(
        resolve(params).value("indicateurs.occupation.grande_famille_personnes_a_charge", when)
    )
    big_size = int(resolve(params).value("indicateurs.occupation.grande_famille_personnes", when))
    senior = int(resolve(params).value("indicateurs.occupation.age_senior", when))
    resources = households["annual_resources"].to_numpy(dtype="float64")
    ceil = np.asarray(ceiling, dtype="float64")
    if ceil.shape != resources.shape:
        raise ValueError("ceiling must have one value per household")
    out = pd.DataFrame(index=households.index)
    for fraction, name in zip(fractions, ("under_20", "under_40", "under_60"), strict=True):
        out[name] = resources < fraction * ceil
    out["single_parent"] = households["single_parent"].astype(bool)
    out["large_family"] = (households["dependants"] >= big_dep) | (
        households["household_size"] >= big_size
    )
    out["unemployed"] = households["employment"].astype(object).eq("chomage")
    out["housing_benefit"] = households["housing_benefit"].astype("float64") > 0
    out["elderly"] = households["reference_age"] >= senior
    units = consumption_units(
        households["adults"],
        households["persons_14plus"],
        households["household_size"],
        when,
        params,
    )
    out["resources_per_uc"] = resources_per_uc(resources, units)
    return out


def occupancy_profile(
    households: pd.DataFrame,
    dwellings: pd.DataFrame,
    millesime: int,
    by: str = "residence_id",
    ceiling: Any = None,
    communes: pd.DataFrame | None = None,
    params: Parameters | None = None,
    flags: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Occupancy shares per dwelling group (``by`` = a ``dwellings`` column: ``residence_id``,
    ``qpv_code``, ``in_qpv``, ``commune``, ``iris``, ``landlord_id``…).

    Columns: ``by``, ``households``, ``share_<flag>`` for each of ``FLAG_COLUMNS`` (households with
    the flag / households), ``median_resources_per_uc`` and ``n_<flag>`` (households with the
    flag, for small-cell suppression); when ``by`` is ``residence_id`` the
    residence's ``in_qpv``, ``qpv_code`` and ``commune`` are kept. Households whose dwelling is
    unknown raise an ``InputError``. ``ceiling``: see ``household_flags``; when None it is computed
    with ``plus_ceiling`` (needs ``communes``). ``flags``: the output of ``household_flags`` when
    already computed (then ``ceiling`` is not used).
    """
    require_columns(households, ["dwelling_id"], "households")
    require_columns(dwellings, ["dwelling_id", by], "dwellings")
    if ceiling is None and flags is None:
        if communes is None:
            raise InputError(
                "Plafonds PLUS des ménages absents et table des communes non fournie",
                Location("communes"),
                "Importez la table des communes (zone des plafonds) ou fournissez les plafonds.",
            )
        ceiling = plus_ceiling(households, dwellings, communes, dt.date(millesime, 1, 1))
    if flags is None:
        flags = household_flags(households, ceiling, millesime, params)
    extra = ["in_qpv", "qpv_code", "commune"] if by == "residence_id" else []
    extra = [c for c in extra if c in dwellings.columns and c != by]
    place = dwellings[["dwelling_id", by, *extra]].drop_duplicates("dwelling_id")
    joined = households[["dwelling_id"]].merge(place, on="dwelling_id", how="left", indicator=True)
    unknown = (joined["_merge"] == "left_only").to_numpy()
    if bool(unknown.any()):
        first = int(np.flatnonzero(unknown)[0])
        raise InputError(
            "Ménage occupant un logement absent du RPLS",
            Location(
                "households",
                line=first + 2,
                column="dwelling_id",
                value=str(households["dwelling_id"].iloc[first]),
            ),
            "Vérifiez l'identifiant du logement (IDENT_INT) ou importez le RPLS du même millésime.",
        )
    data = flags.reset_index(drop=True)
    data[by] = joined[by].to_numpy()
    grouped = data.groupby(by, sort=True, dropna=False)
    counts = grouped[list(FLAG_COLUMNS)].sum().astype("int64").add_prefix("n_")
    out = grouped[list(FLAG_COLUMNS)].mean().add_prefix("share_")
    out.insert(0, "households", grouped.size())
    out = out.join(counts)
    out["median_resources_per_uc"] = grouped["resources_per_uc"].median()
    out = out.reset_index()
    if extra:
        out = out.merge(place.drop(columns="dwelling_id").drop_duplicates(by), on=by, how="left")
    return out


def share_columns() -> list[str]:
    """The share columns produced by ``occupancy_profile``."""
    return [f"share_{f}" for f in FLAG_COLUMNS]


def secrecy_spec() -> dict[str, list[str]]:
    """Count column → derived columns of ``occupancy_profile`` (for ``suppress_small_cells``)."""
    spec = {f"n_{f}": [f"share_{f}"] for f in FLAG_COLUMNS}
    spec["households"] = [*share_columns(), "median_resources_per_uc"]
    return spec
