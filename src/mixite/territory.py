"""Territory settings resolved against the legal parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from mixite.errors import ParameterError
from mixite.params import Parameters, default_parameters

__all__ = ["q1_threshold"]

#: The Q1 threshold of a year is read in the parameter in force on this day of that year
#: (the yearly arrêté is published in spring; the value of year Y applies to attributions of Y).
_THRESHOLD_DAY = "06-01"


def q1_threshold(
    territory_row: Mapping[str, Any] | pd.Series,
    year: int,
    params: Parameters | None = None,
) -> float:
    """First-quartile income threshold (€ per consumption unit per year) for ``year``.

    The territory's override ``q1_overrides[year]`` when present (``territoire.yaml``,
    ``seuil_q1``), else the ``q1`` of EPCI ``q1_reference_epci`` in parameter ``seuils_q1`` at
    ``YYYY-06-01`` (yearly arrêté, CCH L441-1). Raises ``ParameterError`` in French when neither
    exists.
    """
    row = territory_row
    raw = row.get("q1_overrides") or "{}"
    overrides = json.loads(raw) if isinstance(raw, str) else dict(raw)
    if str(year) in overrides:
        return float(overrides[str(year)])
    epci = str(row["q1_reference_epci"])
    table = (params or default_parameters()).value("seuils_q1", f"{year}-{_THRESHOLD_DAY}")
    entry = table.get(epci) if isinstance(table, Mapping) else None
    if entry is None:
        raise ParameterError(
            f"Pas de seuil du premier quartile pour l'EPCI {epci} en {year} dans le paramètre "
            "« seuils_q1 » (arrêté annuel). Vérifiez « siren_epci_seuils » dans territoire.yaml, "
            f"ou donnez le seuil dans « seuil_q1: {{{year}: montant}} »."
        )
    value = entry["q1"] if isinstance(entry, Mapping) else entry
    return float(value)
