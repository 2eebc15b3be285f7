"""Housing-benefit zone and income-ceiling zone of every commune (COG 2026), shipped with mixite.

``src/mixite/data/zones_communes.csv.gz`` is rebuilt by ``scripts/build_zones.py`` (its
docstring gives every rule); its first line states its sources:

* ``zone_apl`` (1, 2, 3) and ``zone_apl_detail`` (1bis, 1, 2, 3): zones of the arrêté du
  17 mars 1978 relatif au classement des communes par zones géographiques (modifié), from the
  zoning file shipped by OpenFisca-France (``assets/apl/20110914_zonage.csv``, 14 September 2011,
  licence AGPL-3.0), carried to the COG 2026 through the INSEE table of the communes' changes;
* ``zone_plafonds`` (P, I, A): zones of the arrêté du 29 juillet 1987 (plafonds de ressources):
  Paris and the communes bordering it, the rest of Île-de-France, the other regions.

The territory's ``communes`` table takes its zones from here when ``communes.csv`` leaves them
empty (``docs/formats.md`` §3); computations read the zones of the dwelling's or the applicant's
commune from that table, never the territory's most frequent zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

__all__ = ["commune_zones", "source", "zones_table"]

#: The data file, in the package.
SOURCE_FILE = "data/zones_communes.csv.gz"


@lru_cache(maxsize=1)
def _read() -> tuple[pd.DataFrame, str]:
    source = resources.files("mixite").joinpath(SOURCE_FILE)
    with resources.as_file(source) as path:
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as handle:
            first = handle.readline().lstrip("#").strip()
        frame = pd.read_csv(
            path, sep=";", dtype=str, keep_default_na=False, compression="gzip", comment="#"
        )
    rank = {"COM": 0, "ARM": 1, "COMD": 2, "COMA": 3}
    frame["rank"] = frame["typecom"].map(rank).fillna(4)
    frame = frame.sort_values(["code", "rank"], kind="stable").drop_duplicates("code")
    frame = frame.set_index("code")[["zone_apl", "zone_apl_detail", "zone_plafonds"]]
    return frame.where(frame != "", None), first


@lru_cache(maxsize=1)
def _lookups() -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The APL zone and the ceiling zone of each code, as dicts (built once: a national run
    looks up the communes of every territory)."""
    table = _read()[0]
    return table["zone_apl"].to_dict(), table["zone_plafonds"].to_dict()


def zones_table() -> pd.DataFrame:
    """Every COG 2026 code (index ``code``) with ``zone_apl``, ``zone_apl_detail``,
    ``zone_plafonds`` (a copy)."""
    return _read()[0].copy()


def source() -> str:
    """Where the zones come from: the first line of the data file."""
    return _read()[1]


def commune_zones(communes: Iterable[Any] | pd.Series) -> pd.DataFrame:
    """``commune``, ``apl_zone`` (« 1 », « 2 », « 3 ») and ``ceiling_zone`` (« P », « I »,
    « A ») of each code, None for a code unknown to the COG 2026 (a fictitious commune)."""
    codes = [None if c is None or c != c else str(c) for c in communes]
    apl, ceiling = _lookups()
    return pd.DataFrame(
        {
            "commune": pd.Series(codes, dtype=object),
            "apl_zone": pd.Series([apl.get(c) for c in codes], dtype=object),
            "ceiling_zone": pd.Series([ceiling.get(c) for c in codes], dtype=object),
        }
    )
