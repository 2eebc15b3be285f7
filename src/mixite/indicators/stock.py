"""Stock indicators: where the social dwellings are, what they are, vacancy and turnover (RPLS).

Input: the canonical ``dwellings`` frame of store millésime N (RPLS at 1 January N, leases
``lease_start`` dated in N-1 give the turnover). Every function returns a tidy frame whose columns
are documented in ``DEFINITIONS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixite.indicators._common import (
    Definition,
    require_columns,
    safe_ratio,
    typology_label,
)
from mixite.params import Parameters, resolve

__all__ = [
    "DEFINITIONS",
    "GROUPINGS",
    "construction_era",
    "dwelling_attributes",
    "stock_by",
    "stock_composition",
    "vacancy_turnover",
]

_RPLS = "RPLS (SDES), état au 1er janvier"

DEFINITIONS: dict[str, Definition] = {
    "dwellings": Definition("Logements", "logements", "Logements sociaux du RPLS.", _RPLS),
    "share": Definition(
        "Part du parc", "/1", "Logements du groupe / logements du territoire.", _RPLS
    ),
    "share_in_group": Definition(
        "Part dans le groupe",
        "/1",
        "Logements de la modalité / logements du groupe (commune, bailleur…).",
        _RPLS,
    ),
    "offered": Definition(
        "Logements proposés à la location",
        "logements",
        "Logements loués ou vacants au 1er janvier (modes RPLS 1, 2, 4, 5 : hors logements "
        "vides pour travaux, démolition ou vente).",
        _RPLS,
    ),
    "vacant": Definition(
        "Logements vacants",
        "logements",
        "Logements proposés à la location mais vacants au 1er janvier (mode RPLS 2).",
        _RPLS,
    ),
    "vacancy_rate": Definition(
        "Taux de vacance",
        "/1",
        "Logements vacants / logements proposés à la location, au 1er janvier.",
        "SDES, RPLS, définition du taux de vacance (docs/donnees-officielles.md §1.6 « Vacance et mobilité »)",
    ),
    "vacant_long": Definition(
        "Vacants depuis plus de 3 mois",
        "logements",
        "Logements vacants dont la date de remise en location (REMLOCDATE) précède de plus de "
        "3 mois le 1er janvier ; un vacant sans date n'y est pas compté.",
        _RPLS,
    ),
    "long_vacancy_rate": Definition(
        "Taux de vacance de plus de 3 mois",
        "/1",
        "Logements vacants depuis plus de 3 mois / logements proposés à la location.",
        "SDES, RPLS, vacance structurelle (docs/donnees-officielles.md §1.6 « Vacance et mobilité »)",
    ),
    "turnover_base": Definition(
        "Parc en service l'année précédente",
        "logements",
        "Approximation des logements proposés à la location au 1er janvier N-1 : parc proposé "
        "à la location au 1er janvier N moins les logements mis en service depuis le 1er janvier "
        "N-1 (NEWLOGT ou première location en N-1 ou après).",
        "SDES, RPLS, taux de mobilité (dénominateur approché, voir docs/indicateurs.md)",
    ),
    "moves_in": Definition(
        "Emménagements",
        "baux",
        "Baux ayant pris effet en N-1 dans des logements déjà en service (premières mises en "
        "location exclues).",
        _RPLS,
    ),
    "turnover_rate": Definition(
        "Taux de mobilité",
        "/1",
        "Emménagements de l'année N-1 / parc en service l'année précédente.",
        "SDES, RPLS, taux de mobilité (docs/donnees-officielles.md §1.6 « Vacance et mobilité »)",
    ),
    "mean_surface": Definition(
        "Surface moyenne", "m²", "Surface habitable moyenne des logements.", _RPLS
    ),
    "share_in_qpv": Definition(
        "Part en QPV", "/1", "Logements situés en QPV / logements du groupe.", _RPLS
    ),
}

#: Groupings accepted by ``stock_by`` and ``stock_composition`` (column of ``dwelling_attributes``).
GROUPINGS: dict[str, str] = {
    "commune": "commune",
    "qpv": "qpv_status",
    "qpv_code": "qpv_code",
    "iris": "iris",
    "bailleur": "landlord_id",
    "residence": "residence_id",
    "typologie": "typology",
    "financement": "finan_family",
    "epoque": "era",
    "dpe": "dpe_energy",
}

QPV_LABELS = {True: "QPV", False: "hors QPV"}


def construction_era(years: pd.Series, bounds: Sequence[int]) -> pd.Series:
    """Era labels (« avant 1949 », « 1949-1974 »…, « 2020 et après ») from construction years.

    ``bounds`` are the first years of the classes (``indicateurs.epoques.bornes``); the first one
    only opens the list.
    """
    b = [int(x) for x in bounds]
    labels = [f"avant {b[1]}"]
    labels += [f"{b[i]}-{b[i + 1] - 1}" for i in range(1, len(b) - 1)]
    labels.append(f"{b[-1]} et après")
    edges = [-np.inf, *[float(x) for x in b[1:]], np.inf]
    cat = pd.cut(pd.to_numeric(years, errors="coerce"), bins=edges, right=False, labels=labels)
    return cat.astype(object).where(cat.notna(), None)


def dwelling_attributes(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.DataFrame:
    """``dwellings`` with the derived classification columns used by every stock indicator.

    Adds ``typology`` (T1…T5+), ``era`` (construction era), ``qpv_status`` (« QPV » / « hors QPV »).
    """
    require_columns(
        dwellings, ["rooms", "construction_year", "in_qpv", "finan_family"], "dwellings"
    )
    when = dt.date(millesime, 1, 1)
    out = dwellings.copy()
    out["typology"] = typology_label(
        out["rooms"], int(resolve(params).value("indicateurs.typologie.max_pieces", when))
    )
    out["era"] = construction_era(
        out["construction_year"], resolve(params).value("indicateurs.epoques.bornes", when)
    )
    out["qpv_status"] = out["in_qpv"].astype(bool).map(QPV_LABELS)
    return out


def _group_column(by: str) -> str:
    try:
        return GROUPINGS[by]
    except KeyError:
        raise ValueError(f"unknown grouping {by!r}; expected one of {sorted(GROUPINGS)}") from None


def _keys(frame: pd.DataFrame, col: str) -> pd.Series:
    """Group labels of ``col``; missing values read « hors QPV » for QPV codes, else « non
    renseigné »."""
    missing = "hors QPV" if col == "qpv_code" else "non renseigné"
    return frame[col].astype(object).where(frame[col].notna(), missing)


def stock_by(
    dwellings: pd.DataFrame, by: str, millesime: int, params: Parameters | None = None
) -> pd.DataFrame:
    """Dwellings per group (``by`` in ``GROUPINGS``): count, share, share in QPV, mean surface.

    Columns: the group column, ``dwellings``, ``share``, ``share_in_qpv``, ``mean_surface``;
    missing group values are labelled « non renseigné ».
    """
    frame = dwelling_attributes(dwellings, millesime, params)
    col = _group_column(by)
    key = _keys(frame, col)
    grouped = pd.DataFrame(
        {
            col: key,
            "one": 1,
            "qpv": frame["in_qpv"].astype(bool).astype("int64"),
            "surface": pd.to_numeric(frame["surface"], errors="coerce"),
        }
    ).groupby(col, sort=True)
    out = pd.DataFrame(
        {
            "dwellings": grouped["one"].sum(),
            "in_qpv": grouped["qpv"].sum(),
            "mean_surface": grouped["surface"].mean(),
        }
    )
    total = int(out["dwellings"].sum())
    out["share"] = safe_ratio(out["dwellings"], pd.Series(total, index=out.index))
    out["share_in_qpv"] = safe_ratio(out["in_qpv"], out["dwellings"])
    out = out.reset_index()
    return out[[col, "dwellings", "share", "share_in_qpv", "mean_surface"]]


def stock_composition(
    dwellings: pd.DataFrame,
    by: str,
    category: str,
    millesime: int,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Distribution of ``category`` (typologie, financement, epoque, dpe…) within each ``by`` group.

    Long table: group column, category column, ``dwellings``, ``share_in_group``.
    """
    frame = dwelling_attributes(dwellings, millesime, params)
    gcol, ccol = _group_column(by), _group_column(category)
    data = pd.DataFrame(
        {
            gcol: _keys(frame, gcol),
            ccol: _keys(frame, ccol),
        }
    )
    counts = data.groupby([gcol, ccol], sort=True).size().rename("dwellings").reset_index()
    totals = counts.groupby(gcol)["dwellings"].transform("sum")
    counts["share_in_group"] = safe_ratio(counts["dwellings"], totals)
    return counts


def vacancy_turnover(
    dwellings: pd.DataFrame,
    millesime: int,
    by: str | None = None,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Vacancy (and > 3 months) at 1/1/N and turnover during N-1, per group or for the territory.

    RPLS definitions (docs/donnees-officielles.md §1.6 (Vacance et mobilité)), N = ``millesime``:

    * ``vacancy_rate`` = vacant (MODE 2) / offered for rent (MODE 1, 2, 4, 5);
    * ``long_vacancy_rate`` = vacant whose ``vacancy_start`` is more than 3 months before 1/1/N,
      over the same denominator (a vacant dwelling without date is not counted as long);
    * ``turnover_rate`` = leases whose ``lease_start`` falls in N-1 in dwellings already in service
      (first lettings excluded: ``new_dwelling`` true or ``first_letting_year`` ≥ N-1, the
      construction year standing in for an unknown first-letting year) / dwellings
      in service offered for rent. The RPLS denominator is the stock offered at 1/1/N-1, which the
      vintage N does not hold: it is approximated by the stock offered at 1/1/N minus the dwellings
      put into service since 1/1/N-1.

    One row per group (or one row ``territoire`` when ``by`` is None).
    """
    require_columns(
        dwellings,
        ["occupancy_mode", "vacancy_start", "lease_start", "new_dwelling", "first_letting_year"],
        "dwellings",
    )
    when = dt.date(millesime, 1, 1)
    offered_modes = [
        str(m) for m in resolve(params).value("indicateurs.vacance.modes_proposes", when)
    ]
    vacant_modes = [
        str(m) for m in resolve(params).value("indicateurs.vacance.modes_vacants", when)
    ]
    months = int(resolve(params).value("indicateurs.vacance.duree_longue_mois", when))
    reference = pd.Timestamp(when)
    long_limit = reference - pd.DateOffset(months=months)

    mode = dwellings["occupancy_mode"].astype(object)
    offered = mode.isin(offered_modes).to_numpy()
    vacant = offered & mode.isin(vacant_modes).to_numpy()
    start = pd.to_datetime(dwellings["vacancy_start"])
    vacant_long = vacant & (start < long_limit).to_numpy()
    # Year put into service: first letting, or completion when the first letting is unknown.
    first_year = (
        pd.to_numeric(dwellings["first_letting_year"], errors="coerce")
        .astype("float64")
        .fillna(pd.to_numeric(dwellings["construction_year"], errors="coerce").astype("float64"))
        .to_numpy(dtype="float64", na_value=np.nan)
    )
    new = dwellings["new_dwelling"].astype(bool).to_numpy() | (first_year >= millesime - 1)
    base = offered & ~new
    lease = pd.to_datetime(dwellings["lease_start"])
    moves = base & (lease.dt.year == millesime - 1).to_numpy()

    if by is None:
        key: pd.Series = pd.Series("territoire", index=dwellings.index)
        name = "territoire"
    else:
        frame = dwelling_attributes(dwellings, millesime, params)
        name = _group_column(by)
        key = _keys(frame, name)
    data = pd.DataFrame(
        {
            name: key.to_numpy(),
            "dwellings": 1,
            "offered": offered.astype("int64"),
            "vacant": vacant.astype("int64"),
            "vacant_long": vacant_long.astype("int64"),
            "turnover_base": base.astype("int64"),
            "moves_in": moves.astype("int64"),
        }
    )
    out = data.groupby(name, sort=True).sum().reset_index()
    out["vacancy_rate"] = safe_ratio(out["vacant"], out["offered"])
    out["long_vacancy_rate"] = safe_ratio(out["vacant_long"], out["offered"])
    out["turnover_rate"] = safe_ratio(out["moves_in"], out["turnover_base"])
    return out
