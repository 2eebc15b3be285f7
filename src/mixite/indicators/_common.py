"""Shared pieces of the indicator families: definitions, parameters, labels, small-cell suppression.

The statistical conventions of the diagnostic (typology classes, vacancy modes, fragility weights…)
are dated parameters ``indicateurs.*`` of ``mixite.params`` (``params/indicateurs.yaml``), beside
the legal ones: every function takes ``params: Parameters | None`` (``None``: the packaged
parameters, ``mixite.params.resolve``) and reads ``indicateurs.*``, ``uc.*``, ``quotas.*`` and
``secret_statistique.seuil`` from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixite.errors import InputError, Location
from mixite.params import Parameters, resolve
from mixite.vocabulary import Definition

__all__ = [
    "KEYS",
    "Definition",
    "require_columns",
    "safe_ratio",
    "small_cell_threshold",
    "suppress_small_cells",
    "typology_label",
]


_KEY_SRC = "Fichiers du territoire (RPLS, demandes, attributions, occupation)"

#: Definitions of the grouping (key) columns shared by every family.
KEYS: dict[str, Definition] = {
    name: Definition(label, unit, definition, _KEY_SRC)
    for name, label, unit, definition in (
        ("territoire", "Territoire", "texte", "Ensemble du territoire."),
        ("commune", "Commune", "code INSEE", "Commune du logement."),
        ("commune_demanded", "Commune souhaitée", "code INSEE", "Première commune souhaitée."),
        ("qpv_status", "QPV", "texte", "Logement situé en QPV ou hors QPV."),
        ("in_qpv", "En QPV", "booléen", "Logement situé en QPV."),
        ("qpv_code", "Quartier prioritaire", "code", "Code du QPV (« hors QPV » sinon)."),
        ("iris", "IRIS", "code", "Code IRIS du logement."),
        ("landlord_id", "Bailleur", "SIREN", "SIREN du bailleur."),
        ("residence_id", "Résidence", "identifiant", "Résidence (programme RPLS)."),
        ("reservataire", "Réservataire", "code", "Contingent de réservation."),
        ("typology", "Typologie", "classe", "T1 à T5 et plus, selon les pièces principales."),
        ("typologie", "Typologie", "classe", "T1 à T5 et plus, selon les pièces principales."),
        ("finan_family", "Financement", "classe", "Famille du financement initial (RPLS)."),
        ("era", "Époque de construction", "classe", "Classe de l'année d'achèvement."),
        ("dpe_energy", "Étiquette énergie", "classe", "Classe DPE énergie (A à G)."),
        ("unit", "Unité", "texte", "Découpage : résidences, IRIS, chaque QPV ou QPV/hors QPV."),
        ("group", "Groupe", "texte", "Groupe de ménages étudié."),
    )
}


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise an ``InputError`` in French when ``frame`` lacks one of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"Colonne « {missing[0]} » absente de la table « {table} »",
            Location(table, column=missing[0]),
            "Importez la table avec les colonnes canoniques de mixite (voir schema.py et "
            "docs/formats.md).",
        )


def safe_ratio(numerator: Any, denominator: Any) -> Any:
    """``numerator / denominator`` as float, NaN where the denominator is zero."""
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    if isinstance(numerator, pd.Series):
        return pd.Series(out, index=numerator.index)
    return out


def typology_label(rooms: pd.Series, max_rooms: int) -> pd.Series:
    """``T1`` … ``T{max}+`` labels from a number of main rooms (``T5+`` reads « T5 et plus »)."""
    r = pd.to_numeric(rooms, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    labels = np.array(
        [None, *[f"T{i}" for i in range(1, max_rooms)], f"T{max_rooms}+"], dtype=object
    )
    idx = np.where(np.isnan(r), 0, np.clip(np.nan_to_num(r, nan=0.0), 1, max_rooms)).astype(int)
    return pd.Series(labels[idx], index=rooms.index, dtype=object)


def small_cell_threshold(params: Parameters | None, when: dt.date | str) -> int:
    """The statistical-secrecy threshold ``secret_statistique.seuil`` at a date."""
    return int(resolve(params).value("secret_statistique.seuil", when))


def suppress_small_cells(
    frame: pd.DataFrame,
    count_cols: Sequence[str],
    threshold: int,
    derived: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` where counts from 1 to ``threshold - 1`` are blanked (primary secrecy).

    ``count_cols`` are the count columns to check; a count of 0 is kept (it reveals nobody) and a
    count at or above ``threshold`` is kept. ``derived`` maps a count column to the columns computed
    from it (rates, means, shares): they are blanked on the rows where that count was blanked,
    since a rate and its denominator would give the hidden count back. Blanked counts become
    ``<NA>`` in a nullable ``Int64`` column, blanked derived values become ``NaN``. The threshold is
    ``secret_statistique.seuil`` (see ``small_cell_threshold``). Only primary suppression is done:
    a total row may still allow a hidden cell to be recomputed by difference.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    out = frame.copy()
    derived = derived or {}
    for col in count_cols:
        counts = pd.to_numeric(out[col], errors="coerce")
        small = (counts >= 1) & (counts < threshold)
        out[col] = counts.round().astype("Int64").mask(small)
        for dcol in derived.get(col, ()):
            out[dcol] = pd.to_numeric(out[dcol], errors="coerce").astype("float64").mask(small)
    return out
