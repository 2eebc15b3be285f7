"""The whole diagnostic on a random territory: tables agree with direct counts; secrecy holds;
quota denominators are the right attributions whatever the data (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixite.indicators.diagnostic import TABLES, publishable, territorial_diagnostic
from mixite.indicators.quotas import quota_indicators
from mixite.params import Parameters

from .indicator_frames import attributions, random_territory

MILLESIME = 2024  # leases of 2023 in the random territory


@pytest.fixture(scope="module")
def territory() -> dict[str, pd.DataFrame]:
    return random_territory(seed=11, n_dwellings=3000)


def sru_inventory(communes: pd.Series) -> pd.DataFrame:
    """An SRU inventory of the territory's communes (rates made up for the test)."""
    from mixite.dtypes import canonical
    from mixite.schema import SRU

    n = len(communes)
    frame = pd.DataFrame(
        {
            "commune": communes.to_numpy(),
            "inventory_year": 2023,
            "sru_rate": np.linspace(0.1, 0.4, n),
            "target_rate": 0.25,
            "sru_status": ["deficitaire", "carencee", "conforme", "conforme"][:n],
        }
    )
    return canonical(frame, SRU, check_required=False)


@pytest.fixture(scope="module")
def tables(territory: dict[str, pd.DataFrame], params: Parameters) -> dict[str, pd.DataFrame]:
    ceiling = np.full(len(territory["households"]), 24000.0)
    frames = {**territory, "sru": sru_inventory(territory["communes"]["commune"])}
    return territorial_diagnostic(frames, MILLESIME, params, ceiling=ceiling)


def test_every_table_is_produced_and_declared(tables: dict[str, pd.DataFrame]) -> None:
    assert set(tables) == set(TABLES)
    for name, frame in tables.items():
        spec = TABLES[name]
        assert set(spec.counts) <= set(frame.columns), name
        for derived in spec.derived.values():
            assert set(derived) <= set(frame.columns), name


@pytest.mark.parametrize(
    "only",
    [
        ("stock_qpv", "vacance_territoire", "demande_territoire"),  # the national observatory's
        ("occupation_qpv", "roles_quartiers", "seuil_q1", "quotas", "flux", "sru_communes"),
        ("loyers_segments", "stock_dpe", "vacance_qpv", "demande_anciennete"),
    ],
)
def test_only_the_named_tables_are_computed_and_they_are_the_same(
    territory: dict[str, pd.DataFrame],
    params: Parameters,
    tables: dict[str, pd.DataFrame],
    only: tuple[str, ...],
) -> None:
    ceiling = np.full(len(territory["households"]), 24000.0)
    frames = {**territory, "sru": sru_inventory(territory["communes"]["commune"])}
    chosen = territorial_diagnostic(frames, MILLESIME, params, ceiling=ceiling, only=only)
    assert set(chosen) == set(only)
    for name in only:  # the full diagnostic's table, to the last digit
        pd.testing.assert_frame_equal(chosen[name], tables[name], check_exact=True)


def test_figures_equal_direct_counts(
    tables: dict[str, pd.DataFrame], territory: dict[str, pd.DataFrame]
) -> None:
    dw, hh, att = territory["dwellings"], territory["households"], territory["attributions"]
    assert tables["stock_communes"]["dwellings"].sum() == len(dw)
    assert tables["stock_qpv"].set_index("qpv_status").loc["QPV", "dwellings"] == dw["in_qpv"].sum()
    vac = tables["vacance_territoire"].iloc[0]
    assert vac["vacant"] == (dw["occupancy_mode"] == "2").sum()
    assert tables["occupation_residences"]["households"].sum() == len(hh)
    assert (
        tables["fragilite_classes"]["residences"].sum()
        == hh.merge(dw, on="dwelling_id")["residence_id"].nunique()
    )
    year = att[att["lease_date"].dt.year == MILLESIME - 1]
    q = tables["quotas"]
    terr = q[(q["level"] == "epci") & (q["indicator"] == "q1_hors_qpv")].iloc[0]
    assert terr["denominator"] == (~year["in_qpv"]).sum()
    assert tables["demande_territoire"].iloc[0]["pending"] == len(territory["applications"])
    flux = tables["flux"]
    # Mutations and urban-renewal relocations are withdrawn from the flux (CCH R441-5): the
    # ledger delivers the other attributions, and each landlord's entitlements add up to its
    # net flow (one département here; no commune convention in this territory).
    kept = year[~(year["is_mutation"] | year["npnru_relocation"])]
    assert flux["delivered"].sum() == len(kept)
    np.testing.assert_allclose(flux.groupby("landlord_id")["entitled"].sum(),
                               kept.groupby("landlord_id").size().sort_index())  # fmt: skip


def test_fragility_is_higher_in_qpv(tables: dict[str, pd.DataFrame]) -> None:
    # The random territory gives QPV households 30 % lower resources.
    res = tables["occupation_residences"]
    means = res.groupby("in_qpv")["fragility_index"].mean()
    assert means[True] > means[False]


#: Counts of dwellings and residences (RPLS): public unless ``secret_statistique.logements``.
DWELLING_COUNTS = {"dwellings", "dwellings_with_rent", "dwellings_qpv", "dwellings_outside",
                   "offered", "vacant", "vacant_long", "turnover_base", "moves_in", "residences"}  # fmt: skip


def test_no_published_count_under_the_threshold(tables: dict[str, pd.DataFrame]) -> None:
    out = publishable(tables, threshold=11)
    for name, frame in out.items():
        for col in set(TABLES[name].counts) - DWELLING_COUNTS:
            values = frame[col].to_numpy(dtype="float64", na_value=np.nan)
            assert not ((values >= 1) & (values < 11)).any(), (name, col)
    # Something was actually suppressed, and large counts survive; dwellings are published.
    assert out["quotas"]["numerator"].isna().any()
    assert out["stock_communes"]["dwellings"].notna().all()
    assert out["stock_residences"]["dwellings"].equals(tables["stock_residences"]["dwellings"])
    # With secret_statistique.logements, the counts of dwellings are protected too.
    both = publishable(tables, threshold=11, with_dwellings=True)
    for name, frame in both.items():
        for col in TABLES[name].counts:
            values = frame[col].to_numpy(dtype="float64", na_value=np.nan)
            assert not ((values >= 1) & (values < 11)).any(), (name, col)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.booleans(), st.booleans(), st.floats(0, 3000), st.integers(2023, 2025)),
        min_size=1,
        max_size=30,
    )
)
def test_quota_denominators_are_the_right_attributions(
    params: Parameters, rows: list[tuple[bool, bool, float, int]]
) -> None:
    frame = attributions(
        [
            {"attribution_id": f"a{i}", "in_qpv": q, "npnru_relocation": r,
             "monthly_resources": m, "lease_date": f"{y}-05-01"}
            for i, (q, r, m, y) in enumerate(rows)
        ]
    )  # fmt: skip
    out = quota_indicators(frame, 2024, 9000.0, levels=("epci",), params=params)
    of_year = [(q, r, m) for q, r, m, y in rows if y == 2024]
    got = out.set_index("indicator")
    if not of_year:
        assert out.empty or (out["denominator"] == 0).all()
        return
    outside = [(r, m) for q, r, m in of_year if not q]
    inside = [m for q, _, m in of_year if q]
    assert got.loc["q1_hors_qpv", "denominator"] == len(outside)
    assert got.loc["q1_hors_qpv", "numerator"] == sum(1 for r, m in outside if r or 12 * m < 9000)
    assert got.loc["non_q1_en_qpv", "denominator"] == len(inside)
    assert got.loc["non_q1_en_qpv", "numerator"] == sum(1 for m in inside if 12 * m >= 9000)
    assert got.loc["prioritaires", "denominator"] == len(of_year)
    assert (got["shortfall"] >= 0).all()
    assert (
        (got["numerator"] + got["shortfall"]) >= got["target"] * got["denominator"] - 1e-9
    ).all()


def test_every_column_has_a_french_definition(tables: dict[str, pd.DataFrame]) -> None:
    from mixite.indicators import column_definition

    for name, frame in tables.items():
        family = TABLES[name].family
        for col in frame.columns:
            d = column_definition(family, str(col))
            assert d.label and d.unit and d.definition, (name, col)


def test_inputs_are_not_modified(params: Parameters) -> None:
    terr = random_territory(seed=5, n_dwellings=300)
    before = {name: frame.copy(deep=True) for name, frame in terr.items()}
    territorial_diagnostic(terr, MILLESIME, params, ceiling=np.full(len(terr["households"]), 2e4))
    for name, frame in terr.items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)
