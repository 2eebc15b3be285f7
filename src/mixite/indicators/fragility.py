"""Fragility index of residences and an explainable five-class typology.

Method (documented in ``docs/indicateurs.md``): for each component k (a share of
``occupancy.occupancy_profile``, weights ``indicateurs.fragilite.poids``), the residence's value is
standardised across the residences of the territory, z_k = (x_k − mean_k) / sd_k (population sd;
z = 0 when sd = 0). The index is the weighted mean Σ w_k z_k / Σ w_k, in standard deviations: 0 is
the territory's average residence, positive is more fragile. The contribution of component k is
w_k z_k / Σ w_k, so the contributions of a residence add up to its index and say which variables
put it in its class. Classes cut the index at ``indicateurs.fragilite.bornes_classes``.
Residences with fewer households than ``min_households`` are not classed (their shares are noise)
and do not enter the means and standard deviations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from mixite.indicators._common import Definition
from mixite.indicators.occupancy import DEFINITIONS as OCCUPANCY_DEFINITIONS
from mixite.params import Parameters, resolve

__all__ = ["CLASS_LABELS", "DEFINITIONS", "UNCLASSED", "fragility_index"]

#: Class labels from the most fragile to the most favoured.
CLASS_LABELS = ("très fragile", "fragile", "intermédiaire", "plutôt favorisée", "favorisée")
UNCLASSED = "non classée (effectif insuffisant)"

_SRC = "Indice composite mixite à partir de l'enquête OPS (docs/indicateurs.md)"

DEFINITIONS: dict[str, Definition] = {
    "fragility_index": Definition(
        "Indice de fragilité",
        "écart-type",
        "Moyenne pondérée des parts standardisées (ménages sous 20 % et 60 % du plafond PLUS, "
        "familles monoparentales, grandes familles, chômage, aide au logement) ; 0 = résidence "
        "moyenne du territoire, positif = plus fragile.",
        _SRC,
    ),
    "fragility_class": Definition(
        "Classe de fragilité",
        "classe",
        "De « très fragile » à « favorisée » selon l'indice (bornes indicateurs.fragilite).",
        _SRC,
    ),
    "explanation": Definition(
        "Ce qui classe la résidence",
        "texte",
        "Les composantes qui contribuent le plus à l'indice, avec la part observée et son écart "
        "à la moyenne du territoire.",
        _SRC,
    ),
}


DEFINITIONS.update(
    {
        "residences": Definition("Résidences", "résidences", "Résidences de la classe.", _SRC),
        "households": Definition("Ménages", "ménages", "Ménages des résidences.", _SRC),
        "share_in_qpv": Definition(
            "Part en QPV", "/1", "Résidences de la classe situées en QPV / résidences.", _SRC
        ),
    }
)
for _col, _d in OCCUPANCY_DEFINITIONS.items():
    if _col.startswith("share_"):
        DEFINITIONS[f"z_{_col}"] = Definition(
            f"Écart standardisé : {_d.label[:1].lower()}{_d.label[1:]}",
            "écart-type",
            "(part de la résidence − moyenne des résidences) / écart-type des résidences.",
            _SRC,
        )
        DEFINITIONS[f"contrib_{_col}"] = Definition(
            f"Contribution à l'indice : {_d.label[:1].lower()}{_d.label[1:]}",
            "écart-type",
            "Poids × écart standardisé / somme des poids ; les contributions s'additionnent à "
            "l'indice.",
            _SRC,
        )


def _lower_first(text: str) -> str:
    """« Ménages sous 20 % du plafond PLUS » → « ménages sous 20 % du plafond PLUS »."""
    return text[:1].lower() + text[1:]


def _fmt_pct(x: float) -> str:
    return f"{100 * x:.0f} %".replace(".", ",")


def fragility_index(
    profile: pd.DataFrame,
    millesime: int,
    weights: Mapping[str, float] | None = None,
    min_households: int = 1,
    top: int = 2,
    params: Parameters | None = None,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Fragility index, class and explanation per row of ``profile`` (one row per residence).

    ``profile`` is the output of ``occupancy_profile`` (needs ``households`` and the share columns
    named in ``weights``, default ``indicateurs.fragilite.poids``). Returns ``profile`` with
    ``z_<share>`` and ``contrib_<share>`` per component, ``fragility_index``, ``fragility_class``
    and ``explanation`` (French: the ``top`` components pushing towards the class, e.g.
    « chômage 32 % (moyenne 12 %) ; sous 20 % du plafond 41 % (moyenne 22 %) »).

    ``reference``: another profile (same columns) whose eligible rows give the means and
    standard deviations, so that the index of a later year is measured on the scale of a base
    year (the projection); default: ``profile`` itself.
    """
    when = dt.date(millesime, 1, 1)
    w = (
        dict(weights)
        if weights is not None
        else dict(resolve(params).value("indicateurs.fragilite.poids", when))
    )
    bounds = [float(b) for b in resolve(params).value("indicateurs.fragilite.bornes_classes", when)]
    if len(bounds) != len(CLASS_LABELS) - 1 or sorted(bounds, reverse=True) != bounds:
        raise ValueError("class bounds must be decreasing, one fewer than the classes")
    out = profile.copy()
    eligible = (out["households"] >= min_households).to_numpy()
    total_w = float(sum(w.values()))
    index = np.zeros(len(out))
    means: dict[str, float] = {}
    base = out if reference is None else reference
    base_eligible = (base["households"] >= min_households).to_numpy()
    for col, weight in w.items():
        x = out[col].to_numpy(dtype="float64")
        ref = base[col].to_numpy(dtype="float64")[base_eligible]
        mean = float(ref.mean()) if ref.size else 0.0
        sd = float(ref.std()) if ref.size else 0.0
        z = (x - mean) / sd if sd > 0 else np.zeros_like(x)
        means[col] = mean
        out[f"z_{col}"] = z
        contrib = weight * z / total_w
        out[f"contrib_{col}"] = contrib
        index += contrib
    out["fragility_index"] = np.where(eligible, index, np.nan)
    # Class i holds index values in [bounds[i], bounds[i-1]): ≥ bounds[0] is « très fragile »,
    # < bounds[-1] is « favorisée ».
    cls_idx = np.searchsorted(-np.asarray(bounds), -index, side="left")
    labels = np.asarray(CLASS_LABELS, dtype=object)[cls_idx]
    out["fragility_class"] = np.where(eligible, labels, UNCLASSED)

    names = {
        col: _lower_first(OCCUPANCY_DEFINITIONS[col].label) if col in OCCUPANCY_DEFINITIONS else col
        for col in w
    }
    contrib_cols = [f"contrib_{c}" for c in w]
    contribs = out[contrib_cols].to_numpy(dtype="float64")
    values = out[list(w)].to_numpy(dtype="float64")
    cols = list(w)
    sign = np.where(index >= 0, 1.0, -1.0)
    signed = sign[:, None] * contribs
    order = np.argsort(-signed, axis=1, kind="stable")[:, :top]
    explanations: list[str] = []
    for row in range(len(out)):
        if not eligible[row]:
            explanations.append("")
            continue
        parts = [
            f"{names[cols[j]]} {_fmt_pct(values[row, j])} (moyenne {_fmt_pct(means[cols[j]])})"
            for j in order[row]
            if signed[row, j] > 0
        ]
        explanations.append(" ; ".join(parts) if parts else "proche de la moyenne")
    out["explanation"] = explanations
    return out
