"""Communes and their SRU obligations: each commune's social stock (RPLS), its attributions of
the year, and its social-housing rate under article 55 of the SRU law (inventory of the ministry
in charge of housing; CCH art. L302-5 et suivants, ``docs/droit.md``).

The RPLS stock and the SRU inventory differ in scope (the inventory counts other dwellings —
foyers, places of residences, dwellings of private landlords under convention — and not the
non-conventionné social stock): the table shows both side by side and never mixes them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from mixite.indicators._common import Definition, safe_ratio

__all__ = ["DEFINITIONS", "sru_communes"]

_RPLS = "RPLS (SDES), état au 1er janvier"
_SRU = "Inventaire SRU du ministère chargé du logement (« Communes et inventaire SRU »)"

DEFINITIONS: dict[str, Definition] = {
    "dwellings_in_qpv": Definition(
        "Logements en QPV", "logements", "Logements sociaux du RPLS situés en QPV.", _RPLS
    ),
    "attributions": Definition(
        "Attributions de l'année",
        "attributions",
        "Attributions suivies d'un bail signé dans l'année précédant le millésime.",
        "Fichier des attributions (SNE)",
    ),
    "attributions_outside_qpv": Definition(
        "Attributions hors QPV",
        "attributions",
        "Attributions de l'année de logements situés hors QPV (géographie en vigueur à la date "
        "du bail).",
        "Fichier des attributions (SNE), QPV du logement",
    ),
    "inventory_year": Definition(
        "Année de l'inventaire SRU",
        "texte",
        "Année de l'inventaire : logements sociaux décomptés au 1er janvier.",
        _SRU,
    ),
    "sru_social_dwellings": Definition(
        "Logements sociaux (inventaire SRU)",
        "logements",
        "Logements sociaux décomptés à l'inventaire SRU (champ plus large que le RPLS : "
        "foyers, logements conventionnés privés…).",
        _SRU,
    ),
    "sru_rate": Definition(
        "Taux SRU",
        "/1",
        "Logements sociaux de l'inventaire / résidences principales (CCH art. L302-5).",
        _SRU,
    ),
    "sru_target_rate": Definition(
        "Taux légal à atteindre",
        "/1",
        "Taux de logements sociaux que la commune doit atteindre (20 % ou 25 %).",
        _SRU,
    ),
    "sru_gap": Definition(
        "Écart au taux légal",
        "/1",
        "Taux légal moins taux SRU (positif : commune en déficit).",
        _SRU,
    ),
    "sru_status": Definition(
        "Situation SRU",
        "texte",
        "Non soumise, soumise au taux atteint, déficitaire, carencée (arrêté de carence du "
        "préfet) ou exemptée.",
        _SRU,
    ),
    "sru_levy": Definition(
        "Prélèvement SRU", "€/an", "Prélèvement net de l'année sur la commune déficitaire.", _SRU
    ),
}


def sru_communes(
    dwellings: pd.DataFrame,
    sru: pd.DataFrame,
    attributions: pd.DataFrame | None = None,
    year: int | None = None,
    communes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per commune of the stock or of the inventory: RPLS dwellings (``dwellings``,
    ``dwellings_in_qpv``), attributions of ``year`` (``attributions``,
    ``attributions_outside_qpv``; absent without attributions), and the inventory's figures
    (``inventory_year``, ``sru_social_dwellings``, ``sru_rate``, ``sru_target_rate``, ``sru_gap``,
    ``sru_status``, ``sru_levy``; empty for a commune outside the inventory). The communes are
    those of the stock and ``communes`` (the territory's, when known: a commune without any
    social dwelling may be the most deficit one); the reports name them.
    """
    stock = (
        pd.DataFrame(
            {
                "commune": dwellings["commune"].astype(object),
                "dwellings": 1,
                "dwellings_in_qpv": dwellings["in_qpv"].astype(bool).astype("int64"),
            }
        )
        .groupby("commune", sort=True)
        .sum()
    )
    if communes is not None:
        extra = sorted(set(map(str, communes)) - set(stock.index))
        stock = pd.concat(
            [stock, pd.DataFrame(0, index=pd.Index(extra, name="commune"), columns=stock.columns)]
        ).sort_index()
    inventory = sru.drop_duplicates("commune").set_index("commune")
    out = stock.copy()
    if attributions is not None and year is not None:
        leases = attributions[pd.to_datetime(attributions["lease_date"]).dt.year == year]
        grouped = (
            pd.DataFrame(
                {
                    "commune": leases["commune"].astype(object),
                    "attributions": 1,
                    "attributions_outside_qpv": (~leases["in_qpv"].astype(bool)).astype("int64"),
                }
            )
            .groupby("commune")
            .sum()
        )
        out = out.join(grouped, how="left")
        for col in ("attributions", "attributions_outside_qpv"):
            out[col] = out[col].fillna(0).astype("int64")
    kept = ["inventory_year", "social_dwellings", "sru_rate", "target_rate"]
    out = out.join(
        inventory[[*kept, "sru_status", "levy"]].rename(
            columns={
                "social_dwellings": "sru_social_dwellings",
                "target_rate": "sru_target_rate",
                "levy": "sru_levy",
            }
        ),
        how="left",
    )
    out["sru_gap"] = out["sru_target_rate"] - out["sru_rate"]
    out = out.reset_index()
    # A year, not a quantity: shown as written.
    out["inventory_year"] = [None if pd.isna(y) else str(int(y)) for y in out["inventory_year"]]
    out["share_in_qpv"] = safe_ratio(out["dwellings_in_qpv"], out["dwellings"])
    columns = ["commune", "dwellings", "dwellings_in_qpv", "share_in_qpv"]
    if "attributions" in out:
        columns += ["attributions", "attributions_outside_qpv"]
    columns += [
        "inventory_year",
        "sru_social_dwellings",
        "sru_rate",
        "sru_target_rate",
        "sru_gap",
        "sru_status",
        "sru_levy",
    ]
    out = out[columns]
    out["sru_gap"] = out["sru_gap"].astype("float64").where(np.isfinite(out["sru_gap"]))
    return out
