"""Segregation of occupants across residences, IRIS or QPV: aspatial indices and location quotients.

Notation: unit i (residence, IRIS, QPV…) holds t_i households, x_i of the group studied; T and X
are the totals, P = X / T, p_i = x_i / t_i. Implemented with numpy from the unit × group counts
(fast on a million households); the tests check every index against PySAL ``segregation`` on the
same data.

* Dissimilarity (Duncan & Duncan 1955): D = ½ Σ_i |x_i/X − (t_i − x_i)/(T − X)|, the share of the
  group that would have to move for every unit to have the territory's mix.
* Isolation (Bell 1954): xPx = Σ_i (x_i/X)(x_i/t_i), the group's average share in its own unit.
* Exposure (interaction): xPy = Σ_i (x_i/X)((t_i − x_i)/t_i) = 1 − xPx.
* Theil entropy index (Theil & Finizza 1971): H = Σ_i t_i (E − E_i) / (T E), with E the entropy of
  the territory's two-group mix and E_i that of unit i; 0 = same mix everywhere, 1 = full
  separation.
* Multigroup (e.g. income quartiles): dissimilarity of Sakoda (1981) /
  D = Σ_i Σ_m t_i |p_im − P_m| / (2 T Σ_m P_m (1 − P_m)), and the information theory index
  H = Σ_i t_i (E − E_i) / (T E) with E = −Σ_m P_m ln P_m (Reardon & Firebaugh 2002).
* Location quotient: LQ_im = (x_im / t_i) / (X_m / T), over-representation of group m in unit i.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixite.indicators._common import Definition

__all__ = [
    "DEFINITIONS",
    "income_quartile",
    "location_quotients",
    "multigroup_indices",
    "random_allocation_test",
    "segregation_table",
    "two_group_indices",
    "unit_group_counts",
]

_SRC = "Massey et Denton (1988) ; PySAL segregation"

DEFINITIONS: dict[str, Definition] = {
    "dissimilarity": Definition(
        "Indice de dissimilarité",
        "/1",
        "Part du groupe qui devrait changer d'unité pour que chaque unité ait la composition du "
        "territoire (multigroupe : indice de Sakoda).",
        "Duncan et Duncan (1955) ; " + _SRC,
    ),
    "isolation": Definition(
        "Indice d'isolement",
        "/1",
        "Part moyenne du groupe dans l'unité où vit un membre du groupe.",
        "Bell (1954) ; " + _SRC,
    ),
    "exposure": Definition(
        "Indice d'exposition",
        "/1",
        "Part moyenne des autres ménages dans l'unité où vit un membre du groupe.",
        _SRC,
    ),
    "theil": Definition(
        "Indice d'entropie de Theil",
        "/1",
        "Écart relatif entre l'entropie du territoire et l'entropie moyenne des unités (0 : même "
        "composition partout, 1 : séparation complète).",
        "Theil et Finizza (1971) ; Reardon et Firebaugh (2002) ; " + _SRC,
    ),
    "group_share": Definition(
        "Part du groupe", "/1", "Ménages du groupe / ménages du territoire.", _SRC
    ),
    "units": Definition("Unités", "unités", "Unités (résidences, IRIS, QPV) habitées.", _SRC),
    "households": Definition("Ménages", "ménages", "Ménages occupants pris en compte.", _SRC),
    "count": Definition("Ménages du groupe", "ménages", "Ménages du groupe dans l'unité.", _SRC),
    "unit_households": Definition("Ménages de l'unité", "ménages", "Ménages de l'unité.", _SRC),
    "income_quartile": Definition(
        "Quartile de ressources",
        "classe",
        "Quartile des ressources annuelles par UC parmi tous les ménages occupants du territoire.",
        _SRC,
    ),
    "dissimilarity_random": Definition(
        "Dissimilarité sous répartition aléatoire",
        "/1",
        "Moyenne de l'indice quand les mêmes ménages sont répartis au hasard entre les mêmes "
        "unités : niveau atteint par le seul hasard dans de petites unités.",
        "Test par permutation (PySAL segregation, hypothèse nulle « systematic »)",
    ),
    "dissimilarity_p_value": Definition(
        "p-valeur de la dissimilarité",
        "/1",
        "Part des répartitions aléatoires dont l'indice atteint l'indice observé.",
        "Test par permutation",
    ),
    "location_quotient": Definition(
        "Quotient de localisation",
        "ratio",
        "Part du groupe dans l'unité / part du groupe sur le territoire (1 = représentation "
        "moyenne).",
        _SRC,
    ),
}

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def unit_group_counts(units: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Unit × group count table (rows: units, columns: groups), from one row per household."""
    data = pd.DataFrame({"unit": units.to_numpy(), "group": groups.to_numpy()})
    return data.groupby(["unit", "group"]).size().unstack("group", fill_value=0).astype("int64")


def _two_group(x: FloatArray, t: FloatArray) -> dict[str, float]:
    big_x, big_t = float(x.sum()), float(t.sum())
    y, big_y = t - x, big_t - big_x
    p_i = x / t
    share = big_x / big_t
    dissim = 0.5 * float(np.abs(x / big_x - y / big_y).sum()) if big_x and big_y else np.nan
    isolation = float((x / big_x * p_i).sum()) if big_x else np.nan
    exposure = float((x / big_x * (y / t)).sum()) if big_x else np.nan

    def entropy(p: FloatArray | float) -> Any:
        p_ = np.asarray(p, dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(p_ > 0, p_ * np.log(1 / np.where(p_ > 0, p_, 1)), 0.0)
            b = np.where(p_ < 1, (1 - p_) * np.log(1 / np.where(p_ < 1, 1 - p_, 1)), 0.0)
        return a + b

    big_e = float(entropy(share))
    theil = float((t * (big_e - entropy(p_i))).sum() / (big_t * big_e)) if big_e > 0 else np.nan
    return {
        "dissimilarity": dissim,
        "isolation": isolation,
        "exposure": exposure,
        "theil": theil,
        "group_share": share,
        "units": float(len(t)),
        "households": big_t,
    }


def two_group_indices(units: pd.Series, in_group: pd.Series) -> dict[str, float]:
    """Dissimilarity, isolation, exposure and Theil entropy of a group across units.

    ``units`` gives each household's unit, ``in_group`` whether it belongs to the group. Returns
    a dict with ``dissimilarity``, ``isolation``, ``exposure``, ``theil``, ``group_share``,
    ``units``, ``households`` (NaN indices when the group is empty or everybody).
    """
    data = pd.DataFrame({"u": units.to_numpy(), "x": in_group.astype(bool).to_numpy()})
    g = data.groupby("u")["x"]
    x: FloatArray = np.asarray(g.sum(), dtype=np.float64)
    t: FloatArray = np.asarray(g.size(), dtype=np.float64)
    return _two_group(x, t)


def random_allocation_test(
    units: pd.Series,
    in_group: pd.Series,
    rng: np.random.Generator,
    permutations: int = 99,
) -> dict[str, float]:
    """Two-group indices compared with a random allocation of the same households.

    The group labels are shuffled across households (unit sizes and group total kept), the
    indices recomputed ``permutations`` times. Small units make the dissimilarity positive even
    under pure chance; the mean under random allocation is that baseline, and the one-sided
    permutation p-value (1 + #{null ≥ observed}) / (1 + permutations) says whether the observed
    segregation is more than chance (the « systematic » null of PySAL's inference wrappers).
    Returns ``<index>``, ``<index>_random`` (mean under the null) and ``<index>_p_value`` for
    ``dissimilarity``, ``isolation`` and ``theil``.
    """
    codes, _ = pd.factorize(units, sort=True)
    flags = in_group.astype(bool).to_numpy()
    t = np.bincount(codes).astype("float64")
    observed = _two_group(np.bincount(codes, weights=flags).astype("float64"), t)
    names = ("dissimilarity", "isolation", "theil")
    null = {name: np.empty(permutations) for name in names}
    for i in range(permutations):
        x = np.bincount(codes, weights=rng.permutation(flags), minlength=len(t))
        stats_i = _two_group(x.astype("float64"), t)
        for name in names:
            null[name][i] = stats_i[name]
    out: dict[str, float] = {}
    for name in names:
        obs = observed[name]
        out[name] = obs
        out[f"{name}_random"] = float(null[name].mean())
        out[f"{name}_p_value"] = float((1 + (null[name] >= obs - 1e-12).sum()) / (1 + permutations))
    return out


def multigroup_indices(units: pd.Series, groups: pd.Series) -> dict[str, float]:
    """Multigroup dissimilarity (Sakoda) and information theory index across units.

    Returns ``dissimilarity``, ``theil``, ``units``, ``households``.
    """
    counts = unit_group_counts(units, groups).to_numpy(dtype="float64")
    t = counts.sum(axis=1)
    big_t = float(t.sum())
    big_p = counts.sum(axis=0) / big_t
    p = counts / t[:, None]
    interaction = float((big_p * (1 - big_p)).sum())
    dissim = float((t[:, None] * np.abs(p - big_p)).sum() / (2 * big_t * interaction))
    with np.errstate(divide="ignore", invalid="ignore"):
        big_e = float(-(big_p[big_p > 0] * np.log(big_p[big_p > 0])).sum())
        e_i = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0).sum(axis=1)
    theil = float((t * (big_e - e_i)).sum() / (big_t * big_e)) if big_e > 0 else np.nan
    return {"dissimilarity": dissim, "theil": theil, "units": float(len(t)), "households": big_t}


def location_quotients(units: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Location quotient of each group in each unit, long format.

    Columns: ``unit``, ``group``, ``count``, ``unit_households``, ``location_quotient``.
    """
    counts = unit_group_counts(units, groups)
    t = counts.sum(axis=1)
    share_total = counts.sum(axis=0) / float(t.sum())
    lq = counts.div(t, axis=0).div(share_total, axis=1)
    index = pd.MultiIndex.from_product([counts.index, counts.columns], names=["unit", "group"])
    out = pd.DataFrame(
        {
            "count": counts.to_numpy().ravel(),
            "unit_households": np.repeat(t.to_numpy(), counts.shape[1]),
            "location_quotient": lq.to_numpy(dtype="float64").ravel(),
        },
        index=index,
    )
    return out.reset_index()


def income_quartile(values: Any) -> pd.Series:
    """Quartile label (``Q1`` … ``Q4``) of each value among all values (numpy linear quantiles).

    A value equal to a cut point goes to the upper class.
    """
    v = pd.Series(values, dtype="float64")
    cuts = np.quantile(v.to_numpy(), [0.25, 0.5, 0.75])
    idx = np.searchsorted(cuts, v.to_numpy(), side="right")
    return pd.Series(np.array(["Q1", "Q2", "Q3", "Q4"], dtype=object)[idx], index=v.index)


def segregation_table(
    frame: pd.DataFrame,
    unit_cols: tuple[str, ...],
    group_cols: tuple[str, ...],
    multigroup_cols: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Indices for every unit × group pair, one row each.

    ``frame`` has one row per household: unit columns (``residence_id``, ``iris``, ``qpv_code``…),
    boolean group columns (``under_40``, ``unemployed``…) and categorical columns for the
    multigroup indices (``income_quartile``). Columns: ``unit``, ``group``, ``dissimilarity``,
    ``isolation``, ``exposure``, ``theil``, ``group_share``, ``units``, ``households``
    (isolation, exposure and group share are NaN for multigroup rows). Households with a missing
    unit are left out for that unit.
    """
    rows = []
    for unit in unit_cols:
        known = frame[unit].notna().to_numpy()
        sub = frame.loc[known]
        for group in group_cols:
            rows.append({"unit": unit, "group": group, **two_group_indices(sub[unit], sub[group])})
        for group in multigroup_cols:
            rows.append({"unit": unit, "group": group, **multigroup_indices(sub[unit], sub[group])})
    out = pd.DataFrame(rows)
    for col in ("units", "households"):
        out[col] = out[col].astype("int64")
    return out
