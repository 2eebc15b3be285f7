"""Reference geography shipped with mixite: COG 2026 communes and their EPCI (DGCL 2026).

``src/mixite/data/communes.csv.gz`` (built by ``scripts/build_reference.py`` from the INSEE
Code officiel géographique 2026, the DGCL composition of the EPCI à fiscalité propre 2026 and
the INSEE list of EPT of the Métropole du Grand Paris) holds one row per code:

* ``code``, ``nom``, ``dep``, ``reg``, ``typecom`` (COM commune, ARM municipal arrondissement of
  Paris, Lyon or Marseille, COMA commune associée, COMD commune déléguée), ``parent`` (the
  commune of an ARM, COMA or COMD);
* ``epci``, ``epci_nom``, ``epci_nature`` (SIREN, name and legal nature of the EPCI à fiscalité
  propre: CC, CA, CU, METRO, MET69) for communes and arrondissements;
* ``ept``, ``ept_nom``: the établissement public territorial (Métropole du Grand Paris only).

A COMA or COMD may share its code with the commune it belongs to; lookups use the COM (or ARM)
row first and fall back to the parent of a COMA/COMD.

``data/regions.csv`` (``code;nom``) and ``data/departements.csv`` (``code;region;nom``) hold the
names of the COG 2026 regions and départements (``scripts/build_france_data.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COLUMNS",
    "commune_of_arrondissement",
    "communes",
    "departement_names",
    "epci_of",
    "ept_of",
    "is_known_commune",
    "known_communes",
    "region_names",
    "region_of",
]

COLUMNS = (
    "code",
    "nom",
    "dep",
    "reg",
    "typecom",
    "parent",
    "epci",
    "epci_nom",
    "epci_nature",
    "ept",
    "ept_nom",
)


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    source = resources.files("mixite").joinpath("data/communes.csv.gz")
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, compression="gzip")
    frame = frame[list(COLUMNS)].astype(object)
    return frame.where(frame != "", None)


@lru_cache(maxsize=2)
def _names(file: str) -> dict[str, str]:
    source = resources.files("mixite").joinpath(f"data/{file}")
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    return dict(zip(frame["code"], frame["nom"], strict=True))


def region_names() -> dict[str, str]:
    """COG 2026 region code → name (« 24 » → « Centre-Val de Loire »)."""
    return dict(_names("regions.csv"))


def departement_names() -> dict[str, str]:
    """COG 2026 département code → name (« 37 » → « Indre-et-Loire »)."""
    return dict(_names("departements.csv"))


@lru_cache(maxsize=1)
def _by_code() -> dict[str, dict[str, Any]]:
    """code → row; COM and ARM rows win over a COMA/COMD carrying the same code."""
    table = _table()
    rank = {"COM": 0, "ARM": 1, "COMD": 2, "COMA": 3}
    rows: dict[str, dict[str, Any]] = {}
    records = zip(*(table[c].tolist() for c in COLUMNS), strict=True)
    for record in sorted(records, key=lambda r: rank.get(str(r[4]), 4)):
        rows.setdefault(str(record[0]), dict(zip(COLUMNS, record, strict=True)))
    return rows


def communes() -> pd.DataFrame:
    """All COG 2026 codes (a copy; see the module docstring for the columns)."""
    return _table().copy()


def _codes(codes: Any) -> tuple[list[Any], Any]:
    if isinstance(codes, pd.Series):
        return codes.tolist(), codes.index
    if isinstance(codes, str):
        return [codes], None
    values = codes.tolist() if isinstance(codes, np.ndarray) else list(codes)
    return values, None


def _normalise(code: Any) -> str | None:
    if code is None or (isinstance(code, float) and code != code):
        return None
    text = str(code).strip().upper()
    if text.isdigit() and len(text) == 4:  # a département 01–09 read as a number
        text = "0" + text
    return text


def _resolve(code: str | None) -> dict[str, Any] | None:
    """The COM/ARM row of a code, or the parent commune's row for a COMA/COMD."""
    if code is None:
        return None
    row = _by_code().get(code)
    if row is not None and row["typecom"] in {"COMA", "COMD"} and row["parent"]:
        parent: dict[str, Any] | None = _by_code().get(str(row["parent"]))
        return parent or row
    return row


def _lookup(codes: Any, field: str, name: str) -> pd.Series:
    values, index = _codes(codes)
    series = pd.Series(values, dtype=object)
    found: dict[Any, Any] = {}
    for code in pd.unique(series.dropna()):
        row = _resolve(_normalise(code))
        found[code] = None if row is None else row[field]
    out = [found.get(code) if code is not None and code == code else None for code in values]
    return pd.Series(out, index=index, dtype=object, name=name)


def epci_of(codes: Iterable[Any] | pd.Series | str) -> pd.Series:
    """SIREN of the EPCI à fiscalité propre (DGCL 2026) of each commune code (None if unknown).

    Arrondissements map through their commune (75101 → Métropole du Grand Paris), communes
    associées/déléguées through their commune nouvelle.
    """
    return _lookup(codes, "epci", "epci")


def region_of(codes: Iterable[Any] | pd.Series | str) -> pd.Series:
    """COG 2026 region code of each commune code (None if unknown)."""
    return _lookup(codes, "reg", "region")


def ept_of(codes: Iterable[Any] | pd.Series | str) -> pd.Series:
    """SIREN of the EPT of each commune of the Métropole du Grand Paris (None elsewhere)."""
    return _lookup(codes, "ept", "ept")


def commune_of_arrondissement(codes: Iterable[Any] | pd.Series | str) -> pd.Series:
    """Commune code of each code: an arrondissement (ARM) gives its commune (75101 → 75056,
    69381 → 69123, 13201 → 13055); any other code is returned unchanged (normalised)."""
    values, index = _codes(codes)
    out = []
    for code in values:
        text = _normalise(code)
        row = _by_code().get(text) if text is not None else None
        out.append(row["parent"] if row is not None and row["typecom"] == "ARM" else text)
    return pd.Series(out, index=index, dtype=object, name="commune")


def known_communes(codes: Iterable[Any] | pd.Series) -> pd.Series:
    """Whether each code is in the COG 2026 (commune, arrondissement, associée or déléguée)."""
    values, index = _codes(codes)
    table = _by_code()
    flags = [(_normalise(code) or "") in table for code in values]
    return pd.Series(flags, index=index, dtype=bool, name="connue")


def is_known_commune(code: Any) -> bool:
    """Whether one code is in the COG 2026."""
    return (_normalise(code) or "") in _by_code()
