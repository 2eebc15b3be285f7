"""The jobs' loader on any object with the ``Store`` read API (the ``StoreLike`` protocol)."""

from __future__ import annotations

import pandas as pd
import pytest

from mixite.errors import StoreError
from mixite.jobs._load import attributions_of_year, load_snapshot
from mixite.jobs.diagnostic import quotas
from mixite.params import Parameters

from .indicator_frames import attributions, random_territory


class MemoryStore:
    """In-memory stand-in with the read API of ``mixite.store.Store``."""

    def __init__(self, data: dict[tuple[str, int], pd.DataFrame]) -> None:
        self.data = data

    def millesimes(self, table: str | None = None) -> list[int]:
        return sorted({m for (t, m) in self.data if table is None or t == table})

    def read(self, table: str, millesime: int | None = None) -> pd.DataFrame:
        year = max(self.millesimes(table)) if millesime is None else millesime
        return self.data[(table, year)].copy()


def _store() -> MemoryStore:
    terr = random_territory(seed=3, n_dwellings=400)
    data = {(name, 2024): frame for name, frame in terr.items()}
    # Millésime 2025 re-imports attribution a0 (lease 2023) and adds two leases of 2024.
    data[("attributions", 2025)] = pd.concat(
        [
            terr["attributions"].iloc[[0]],
            attributions([{"attribution_id": "n1", "lease_date": "2024-02-01"},
                          {"attribution_id": "n2", "lease_date": "2024-03-01"}]),
        ],
        ignore_index=True,
    )  # fmt: skip
    data[("dwellings", 2025)] = terr["dwellings"]
    return MemoryStore(data)


def test_frames_of_the_latest_millesime() -> None:
    snapshot = load_snapshot(_store())
    assert snapshot.millesime == 2025
    assert set(snapshot.tables) == {"dwellings", "attributions"}
    with pytest.raises(StoreError, match="millésimes disponibles : 2024, 2025"):
        load_snapshot(_store(), 2019)


def test_attributions_of_a_year_across_millesimes() -> None:
    store = _store()
    first = store.read("attributions", 2024)
    of_2023 = (first["lease_date"].dt.year == 2023).sum()
    # Attribution a0 appears in both millésimes and is counted once.
    assert len(attributions_of_year(store, 2023)) == of_2023
    of_2024 = attributions_of_year(store, 2024)["attribution_id"]
    assert len(of_2024) == (first["lease_date"].dt.year == 2024).sum() + 2
    assert {"n1", "n2"} <= set(of_2024)
    with pytest.raises(StoreError, match="Aucune attribution"):
        attributions_of_year(store, 2010)


def test_quotas_for_year(params: Parameters) -> None:
    result = quotas(_store(), 2023, params)
    table, ledger = result.table, result.ledger
    terr = table[(table["level"] == "epci") & (table["indicator"] == "prioritaires")]
    assert result.names.territory == "Territoire de test"
    # The ledger delivers the attributions that are not withdrawn from the flux (R441-5).
    year = random_territory(seed=3, n_dwellings=400)["attributions"]
    year = year[year["lease_date"].dt.year == 2023]
    withdrawn = int((year["is_mutation"] | year["npnru_relocation"]).sum())
    assert ledger is not None
    assert ledger["delivered"].sum() == terr.iloc[0]["denominator"] - withdrawn
