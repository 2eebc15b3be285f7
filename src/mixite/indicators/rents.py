"""Rents and rent segments of the stock (RPLS ``LOYERPRINC`` and ``SURFHAB``).

Rent per m² of a group is the ratio of the summed monthly rents to the summed living surfaces of
the dwellings with a known rent (the SDES convention for the mean rent per m²); dwellings without
rent (vacant, n/a) are left out of rent statistics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixite.indicators._common import Definition, require_columns, safe_ratio
from mixite.indicators.stock import dwelling_attributes
from mixite.params import Parameters, resolve

__all__ = [
    "DEFINITIONS",
    "qpv_rent_gap",
    "rent_segment_edges",
    "rent_segments",
    "rent_table",
]

_SRC = "RPLS (SDES), loyer principal au 1er janvier (LOYERPRINC, SURFHAB)"

DEFINITIONS: dict[str, Definition] = {
    "dwellings_with_rent": Definition(
        "Logements à loyer connu", "logements", "Logements dont le loyer est renseigné.", _SRC
    ),
    "rent_m2": Definition(
        "Loyer moyen au m²",
        "€/m²/mois",
        "Somme des loyers principaux / somme des surfaces habitables.",
        "SDES, loyer moyen au m² du parc social",
    ),
    "median_rent_m2": Definition(
        "Loyer médian au m²", "€/m²/mois", "Médiane des loyers au m² des logements.", _SRC
    ),
    "mean_rent": Definition(
        "Loyer mensuel moyen", "€/mois", "Moyenne des loyers principaux mensuels.", _SRC
    ),
    "median_rent": Definition(
        "Loyer mensuel médian", "€/mois", "Médiane des loyers principaux mensuels.", _SRC
    ),
    "segment": Definition(
        "Segment de loyer",
        "classe",
        "Classe de quantile du loyer au m² sur le parc du territoire (S1 = le moins cher).",
        "Convention mixite (indicateurs.loyers.nombre_segments)",
    ),
    "lower": Definition(
        "Borne basse", "€/m²/mois", "Loyer au m² minimal de la classe (inclus).", _SRC
    ),
    "upper": Definition(
        "Borne haute",
        "€/m²/mois",
        "Loyer au m² maximal de la classe (exclu, sauf la dernière).",
        _SRC,
    ),
    "share_in_qpv": Definition(
        "Part en QPV", "/1", "Logements du segment situés en QPV / logements du segment.", _SRC
    ),
    "rent_m2_qpv": Definition(
        "Loyer au m² en QPV", "€/m²/mois", "Loyer moyen au m² du parc en QPV.", _SRC
    ),
    "rent_m2_outside": Definition(
        "Loyer au m² hors QPV", "€/m²/mois", "Loyer moyen au m² du parc hors QPV.", _SRC
    ),
    "dwellings_qpv": Definition(
        "Logements en QPV (loyer connu)", "logements", "Logements en QPV à loyer connu.", _SRC
    ),
    "dwellings_outside": Definition(
        "Logements hors QPV (loyer connu)", "logements", "Logements hors QPV à loyer connu.", _SRC
    ),
    "gap_eur_m2": Definition(
        "Écart de loyer au m² (hors QPV − QPV)",
        "€/m²/mois",
        "Loyer au m² hors QPV moins loyer au m² en QPV, à typologie égale.",
        _SRC,
    ),
    "gap_ratio": Definition(
        "Écart relatif (QPV / hors QPV − 1)",
        "/1",
        "Loyer au m² en QPV rapporté au loyer au m² hors QPV, moins 1 ; la ligne « ensemble » "
        "pondère les loyers hors QPV par la répartition par typologie du parc en QPV.",
        _SRC,
    ),
}


def _with_rent(dwellings: pd.DataFrame, millesime: int, params: Parameters | None) -> pd.DataFrame:
    require_columns(dwellings, ["rent", "surface"], "dwellings")
    frame = dwelling_attributes(dwellings, millesime, params)
    rent = pd.to_numeric(frame["rent"], errors="coerce")
    surface = pd.to_numeric(frame["surface"], errors="coerce")
    keep = rent.notna() & (surface > 0)
    frame = frame.loc[keep].copy()
    frame["rent"] = rent[keep].astype("float64")
    frame["surface"] = surface[keep].astype("float64")
    frame["rent_per_m2"] = frame["rent"] / frame["surface"]
    return frame


def _rent_stats(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=True, observed=True)
    out = pd.DataFrame(
        {
            "dwellings_with_rent": grouped.size(),
            "rent_sum": grouped["rent"].sum(),
            "surface_sum": grouped["surface"].sum(),
            "mean_rent": grouped["rent"].mean(),
            "median_rent": grouped["rent"].median(),
            "median_rent_m2": grouped["rent_per_m2"].median(),
        }
    )
    out["rent_m2"] = safe_ratio(out["rent_sum"], out["surface_sum"])
    out = out.reset_index()
    return out[
        [*keys, "dwellings_with_rent", "rent_m2", "median_rent_m2", "mean_rent", "median_rent"]
    ]


def rent_table(
    dwellings: pd.DataFrame,
    millesime: int,
    by: Sequence[str] = ("typology", "finan_family", "qpv_status"),
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Rent per m² and monthly rent per group (default typology × financing family × QPV status).

    ``by`` holds columns of ``stock.dwelling_attributes`` (``typology``, ``finan_family``,
    ``qpv_status``, ``commune``, ``landlord_id``, ``era``…). Columns: the keys,
    ``dwellings_with_rent``, ``rent_m2``, ``median_rent_m2``, ``mean_rent``, ``median_rent``.
    """
    return _rent_stats(_with_rent(dwellings, millesime, params), list(by))


def rent_segment_edges(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """Quantile edges of the rent per m² over the territory's stock (``k + 1`` values for k classes).

    ``k`` is ``indicateurs.loyers.nombre_segments``; quantiles use numpy's default (linear) method.
    """
    frame = _with_rent(dwellings, millesime, params)
    k = int(resolve(params).value("indicateurs.loyers.nombre_segments", dt.date(millesime, 1, 1)))
    edges: np.ndarray[tuple[int], np.dtype[np.float64]] = np.quantile(
        frame["rent_per_m2"].to_numpy(), np.linspace(0.0, 1.0, k + 1)
    )
    return edges


def rent_segments(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.DataFrame:
    """Rent segments: quantile classes of rent per m², with their bounds and QPV share.

    Columns: ``segment`` (S1 = cheapest), ``lower``, ``upper``, ``dwellings_with_rent``,
    ``rent_m2``, ``median_rent_m2``, ``mean_rent``, ``median_rent``, ``share_in_qpv``. A dwelling
    goes to the class whose ``[lower, upper)`` interval holds its rent per m² (the last class is
    closed on the right).
    """
    frame = _with_rent(dwellings, millesime, params)
    edges = rent_segment_edges(dwellings, millesime, params)
    k = len(edges) - 1
    idx = np.searchsorted(edges[1:-1], frame["rent_per_m2"].to_numpy(), side="right")
    labels = np.array([f"S{i + 1}" for i in range(k)])
    frame["segment"] = labels[idx]
    frame["qpv"] = frame["in_qpv"].astype(bool).astype("float64")
    stats = _rent_stats(frame, ["segment"])
    qpv = frame.groupby("segment")["qpv"].mean().rename("share_in_qpv").reset_index()
    bounds = pd.DataFrame({"segment": labels, "lower": edges[:-1], "upper": edges[1:]})
    out = bounds.merge(stats, on="segment", how="left").merge(qpv, on="segment", how="left")
    out["dwellings_with_rent"] = out["dwellings_with_rent"].fillna(0).astype("int64")
    return out


def qpv_rent_gap(
    dwellings: pd.DataFrame, millesime: int, params: Parameters | None = None
) -> pd.DataFrame:
    """Rent per m² in and outside QPV for the same typology, and the gap.

    One row per typology plus a row ``ensemble`` where the outside-QPV rent per m² is standardised
    on the QPV typology mix (direct standardisation: Σ_t w_t × rent_m2_outside_t with w_t the share
    of the QPV stock with rent in typology t), so that the gap is not a composition effect.
    Columns: ``typology``, ``dwellings_qpv``, ``dwellings_outside``, ``rent_m2_qpv``,
    ``rent_m2_outside``, ``gap_eur_m2`` (outside − QPV), ``gap_ratio`` (QPV / outside − 1).
    """
    frame = _with_rent(dwellings, millesime, params)
    stats = _rent_stats(frame, ["typology", "qpv_status"])
    wide = stats.pivot(
        index="typology", columns="qpv_status", values=["rent_m2", "dwellings_with_rent"]
    )
    out = pd.DataFrame(index=wide.index)
    for status, suffix in (("QPV", "qpv"), ("hors QPV", "outside")):
        has = ("rent_m2", status) in wide.columns
        out[f"dwellings_{suffix}"] = (
            wide[("dwellings_with_rent", status)].fillna(0).astype("int64") if has else 0
        )
        out[f"rent_m2_{suffix}"] = wide[("rent_m2", status)] if has else np.nan
    weights = safe_ratio(
        out["dwellings_qpv"], pd.Series(out["dwellings_qpv"].sum(), index=out.index)
    )
    both = out["rent_m2_outside"].notna() & out["rent_m2_qpv"].notna()
    w = weights.where(both, 0.0)
    w_total = float(w.sum())
    qpv_all = float((w * out["rent_m2_qpv"].fillna(0)).sum() / w_total) if w_total > 0 else np.nan
    out_std = (
        float((w * out["rent_m2_outside"].fillna(0)).sum() / w_total) if w_total > 0 else np.nan
    )
    total = pd.DataFrame(
        {
            "dwellings_qpv": [int(out["dwellings_qpv"].sum())],
            "dwellings_outside": [int(out["dwellings_outside"].sum())],
            "rent_m2_qpv": [qpv_all],
            "rent_m2_outside": [out_std],
        },
        index=pd.Index(["ensemble"], name="typology"),
    )
    out = pd.concat([out, total])
    out["gap_eur_m2"] = out["rent_m2_outside"] - out["rent_m2_qpv"]
    out["gap_ratio"] = out["rent_m2_qpv"] / out["rent_m2_outside"] - 1.0
    out.index.name = "typology"
    return out.reset_index()
