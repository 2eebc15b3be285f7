"""The relocations that happened, from the follow-up table the partners filled and imported
(store table ``relocation_followup``): which attributions they are, and how the relocated
households did against the charter.

**Matching key.** A household at status ``reloge`` of the follow-up is the attribution (lease
signed) that has

1. the same dwelling (``logement_attribue`` = the attribution's ``IDENT_INT``) and the same
   lease date (``date_bail``); or, when the attribution does not give its dwelling,
2. the same pseudonym (the follow-up's ``id_menage`` = the attribution's ``numero_unique``, both
   pseudonymised with the store's key: the MOUS used the SNE application number as household
   identifier in its survey) and the same lease date.

Each relocation matches at most one attribution and each attribution at most one relocation (the
first by attribution identifier, then by household pseudonym), so that a relocation counts once.
An attribution counts as a relocation of urban renewal (CCH art. L441-1, the 25 % outside QPV:
« premier quartile OU relogés ») when its own ``relogement_npnru`` flag is set OR it matches a
relocation of the follow-up: the boolean OR cannot count an attribution twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FollowupMatch", "achieved_relocations", "match_followup"]

REHOUSED = "reloge"


@dataclass(frozen=True)
class FollowupMatch:
    """The follow-up's relocations matched to attributions.

    ``relocated``: per attribution (aligned with the attributions given), its flag OR a match;
    ``matches``: one row per rehoused household of the follow-up, ``household_id``,
    ``dwelling_id``, ``lease_date`` and ``attribution_id`` (None when no attribution matches:
    its lease is not imported yet, or another year's).
    """

    relocated: np.ndarray
    matches: pd.DataFrame

    @property
    def matched(self) -> int:
        """Rehoused households of the follow-up matched to an attribution."""
        return int(self.matches["attribution_id"].notna().sum())


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.normalize()


def match_followup(attributions: pd.DataFrame, followup: pd.DataFrame | None) -> FollowupMatch:
    """Match the follow-up's relocations to ``attributions`` (module docstring): columns used are
    ``attribution_id``, ``application_id``, ``dwelling_id``, ``lease_date`` and
    ``npnru_relocation`` of the attributions; ``household_id``, ``status``, ``dwelling_id`` and
    ``lease_date`` of the follow-up."""
    flag = attributions["npnru_relocation"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    columns = ["household_id", "dwelling_id", "lease_date", "attribution_id"]
    if followup is None or followup.empty:
        return FollowupMatch(flag.copy(), pd.DataFrame(columns=columns))
    done = followup[followup["status"].astype(str) == REHOUSED]
    rows = pd.DataFrame(
        {
            "household_id": done["household_id"].astype(str).to_numpy(dtype=object),
            "dwelling_id": done["dwelling_id"].astype(object).to_numpy(dtype=object),
            "lease_date": _day(done["lease_date"]).to_numpy(),
        }
    )
    rows["r"] = np.arange(len(rows))
    att = pd.DataFrame(
        {
            "a": np.arange(len(attributions)),
            "attribution_id": attributions["attribution_id"].astype(str).to_numpy(dtype=object),
            "application_id": attributions["application_id"].astype(str).to_numpy(dtype=object),
            "dwelling_id": attributions["dwelling_id"].astype(object).to_numpy(dtype=object),
            "lease_date": _day(attributions["lease_date"]).to_numpy(),
        }
    )
    with_dwelling = att.dropna(subset=["dwelling_id", "lease_date"])
    by_dwelling = rows.dropna(subset=["dwelling_id", "lease_date"]).merge(
        with_dwelling[["a", "attribution_id", "dwelling_id", "lease_date"]],
        on=["dwelling_id", "lease_date"],
    )
    without = att[att["dwelling_id"].isna()].dropna(subset=["lease_date"])
    by_pseudonym = rows.dropna(subset=["lease_date"]).merge(
        without[["a", "attribution_id", "application_id", "lease_date"]],
        left_on=["household_id", "lease_date"],
        right_on=["application_id", "lease_date"],
    )
    pairs = pd.concat(
        [by_dwelling[["r", "a", "attribution_id"]], by_pseudonym[["r", "a", "attribution_id"]]],
        ignore_index=True,
    ).sort_values(["attribution_id", "r"], kind="stable")
    # one attribution per relocation and one relocation per attribution
    pairs = pairs.drop_duplicates("r").drop_duplicates("a")
    matched = np.zeros(len(attributions), dtype=bool)
    matched[pairs["a"].to_numpy(np.int64)] = True
    rows["attribution_id"] = rows["r"].map(pairs.set_index("r")["attribution_id"]).astype(object)
    rows["attribution_id"] = rows["attribution_id"].where(rows["attribution_id"].notna(), None)
    return FollowupMatch(flag | matched, rows[columns].reset_index(drop=True))


def achieved_relocations(
    followup: pd.DataFrame,
    dwellings: pd.DataFrame,
    recent_years: int,
    partner_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The rehoused households of the follow-up with what the charter judges, one row each:
    ``household_id``, ``operation``, ``dwelling_id``, ``lease_date``, ``landlord_id``,
    ``in_qpv``, ``recent`` (the dwelling let for the first time — else built — at most
    ``recent_years`` years before the lease year; unknown when the dwelling is not in the
    stock), ``partner`` (the reservataire key of its matched attribution, ``partner_of``:
    attribution's household → key; None when unmatched), ``rise`` (``cost_after -
    cost_before``, € per month, when both are given)."""
    done = followup[followup["status"].astype(str) == REHOUSED].reset_index(drop=True)
    stock = dwellings.drop_duplicates("dwelling_id").set_index("dwelling_id")
    ids = done["dwelling_id"].astype(object)
    known = ids.isin(stock.index)
    first = (
        stock["first_letting_year"]
        .astype("Float64")
        .fillna(stock["construction_year"].astype("Float64"))
    )
    lease_year = _day(done["lease_date"]).dt.year.astype("Float64")
    built = ids.map(first).astype("Float64")
    recent = (built >= lease_year - recent_years).astype("boolean")
    recent = recent.mask(~(known & built.notna()))
    in_qpv = ids.map(stock["in_qpv"]).astype("boolean").mask(~known)
    partners = partner_of or {}

    def costs(column: str) -> pd.Series:
        if column not in done:
            return pd.Series(pd.NA, index=done.index, dtype="Float64")
        return done[column].astype("Float64")

    return pd.DataFrame(
        {
            "household_id": done["household_id"].astype(str),
            "operation": done["operation"].astype(str),
            "dwelling_id": ids,
            "lease_date": _day(done["lease_date"]),
            "landlord_id": ids.map(stock["landlord_id"]).astype(object),
            "in_qpv": in_qpv,
            "recent": recent,
            "partner": done["household_id"].astype(str).map(partners).astype(object),
            "rise": costs("cost_after") - costs("cost_before"),
        }
    )
