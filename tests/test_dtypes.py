"""Tests of ``mixite.dtypes``: known answers of the casts for each schema dtype on a tiny frame,
the French errors, the round trip frame → Arrow → frame, and the agreement of the three type
mappings (Arrow, DuckDB, pandas) with each other and with every table of the schema.

Expected values are written by hand next to each input (the cast of ``"0,35"``-like text is the
readers' job, not this module's: here inputs are Python and pandas values).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from mixite.dtypes import (
    ARROW_TYPES,
    SQL_TYPES,
    canonical,
    from_arrow,
    objects,
    pandas_dtype,
    to_arrow,
)
from mixite.errors import StoreError
from mixite.schema import TABLES, TERRITORY, Column, Table

#: One column of each dtype, plus nullable str, int, float and date columns.
TINY = Table(
    name="essai",
    label="table d'essai",
    key=("code",),
    columns=(
        Column("code", "code", "str", "code"),
        Column("label", "libelle", "str", "libellé", nullable=True),
        Column("rooms", "pieces", "int", "nombre de pièces"),
        Column("floor", "etage", "int", "étage", nullable=True),
        Column("rent", "loyer", "float", "loyer", nullable=True),
        Column("in_qpv", "en_qpv", "bool", "en QPV"),
        Column("lease_date", "date_bail", "date", "date du bail", nullable=True),
        Column("communes", "communes", "list", "communes souhaitées"),
    ),
)


def tiny_frame() -> pd.DataFrame:
    """Three rows of loosely typed values (ints in a str column, text in an int column…)."""
    return pd.DataFrame(
        {
            "code": [1053, "01053", "2A004"],
            "label": ["a", None, np.nan],
            "rooms": ["3", 4.0, 5],
            "floor": [2, None, 0],
            "rent": ["0.35", 2, None],
            "in_qpv": [True, 0, 1],
            "lease_date": ["2025-03-31", pd.Timestamp("2024-01-01"), None],
            "communes": [["95127", "95018"], None, ("95585",)],
        },
        dtype=object,
    )


def test_mappings_cover_every_dtype_and_agree() -> None:
    dtypes = {"str", "int", "float", "bool", "date", "list"}
    assert set(SQL_TYPES) == set(ARROW_TYPES) == dtypes
    assert dict(SQL_TYPES) == {
        "str": "VARCHAR",
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "date": "DATE",
        "list": "VARCHAR[]",
    }
    assert [pandas_dtype(c) for c in TINY.columns] == [
        "object",
        "object",
        "int64",
        "Int64",
        "float64",
        "bool",
        "datetime64[ns]",
        "object",
    ]


def test_known_answers_for_each_dtype() -> None:
    got = canonical(tiny_frame(), TINY)
    assert list(got.columns) == TINY.names
    assert [str(got[c.name].dtype) for c in TINY.columns] == [pandas_dtype(c) for c in TINY.columns]
    # str: codes stay strings, the int 1053 becomes the text "1053" (no zero added).
    assert got["code"].tolist() == ["1053", "01053", "2A004"]
    # nullable str: None and NaN are both None.
    assert got["label"].tolist() == ["a", None, None]
    # int: text and integral floats become int64.
    assert got["rooms"].tolist() == [3, 4, 5]
    # nullable int: the missing value is <NA>, the others stay exact (0 is not missing).
    assert got["floor"].tolist() == [2, pd.NA, 0]
    # float: text with a decimal point, an int and a missing value (NaN).
    assert got["rent"].iloc[0] == 0.35 and got["rent"].iloc[1] == 2.0
    assert np.isnan(got["rent"].iloc[2])
    # bool: 0/1 as False/True.
    assert got["in_qpv"].tolist() == [True, False, True]
    # date: ISO text and a Timestamp, missing as NaT.
    assert got["lease_date"].iloc[0] == pd.Timestamp("2025-03-31")
    assert got["lease_date"].iloc[1] == pd.Timestamp("2024-01-01")
    assert pd.isna(got["lease_date"].iloc[2])
    # list: a Python list[str] per cell; a missing cell is the empty list; a tuple is a list.
    assert got["communes"].tolist() == [["95127", "95018"], [], ["95585"]]


def test_arrow_types_of_the_cast() -> None:
    data = to_arrow(tiny_frame(), TINY)
    assert data.column_names == TINY.names
    assert [data.schema.field(c.name).type for c in TINY.columns] == [
        ARROW_TYPES[c.dtype] for c in TINY.columns
    ]
    assert data.column("floor").null_count == 1


def test_absent_nullable_column_is_filled_and_order_is_the_schema() -> None:
    frame = tiny_frame().drop(columns=["floor", "lease_date"])[::-1]
    got = canonical(frame, TINY)
    assert list(got.columns) == TINY.names
    assert got.index.tolist() == [0, 1, 2]
    assert got["floor"].isna().all() and str(got["floor"].dtype) == "Int64"
    assert got["lease_date"].isna().all()
    assert got["code"].tolist() == ["2A004", "01053", "1053"]


def test_uncastable_value_is_a_french_error() -> None:
    frame = tiny_frame()
    frame.loc[1, "rooms"] = "trois"
    with pytest.raises(
        StoreError,
        match=r"^Table « essai », colonne « rooms » : valeurs incompatibles avec le type « int »",
    ):
        to_arrow(frame, TINY)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "rooms",
            2.5,
            "colonne « rooms » : valeurs incompatibles avec le type « int » "
            r"\(nombre non entier\)",
        ),
        (
            "in_qpv",
            None,
            r"colonne « in_qpv » : valeurs incompatibles avec le type « bool » "
            r"\(booléen manquant\)",
        ),
        (
            "lease_date",
            "31 février",
            "colonne « lease_date » : valeurs incompatibles avec le type « date »",
        ),
        (
            "code",
            None,
            "colonne « code » : valeur manquante à la ligne 2 alors que la colonne est obligatoire",
        ),
        (
            "rooms",
            None,
            "colonne « rooms » : valeur manquante à la ligne 2 alors que la colonne est "
            "obligatoire",
        ),
    ],
)
def test_french_errors_name_table_column_and_cause(column: str, value: Any, message: str) -> None:
    frame = tiny_frame()
    frame.loc[1, column] = value
    with pytest.raises(StoreError, match=f"^Table « essai », {message}"):
        canonical(frame, TINY)


def test_missing_required_value_is_accepted_when_not_checked_except_in_int() -> None:
    frame = tiny_frame()
    frame.loc[1, "code"] = None
    got = canonical(frame, TINY, check_required=False)
    assert got["code"].tolist() == ["1053", None, "2A004"]
    frame.loc[1, "rooms"] = None
    with pytest.raises(StoreError, match="colonne « rooms » : valeur manquante à la ligne 2"):
        canonical(frame, TINY, check_required=False)


def test_missing_and_unknown_columns_are_french_errors() -> None:
    with pytest.raises(StoreError, match=r"^Table « essai » : colonnes absentes code, rooms"):
        to_arrow(tiny_frame().drop(columns=["code", "rooms", "rent"]), TINY)
    with pytest.raises(StoreError, match=r"^Table « essai » : colonnes inconnues bidule"):
        to_arrow(tiny_frame().assign(bidule=1), TINY)


def test_objects_turns_every_missing_marker_into_none() -> None:
    series = pd.Series(["a", None, np.nan, pd.NA], dtype=object)
    assert objects(series).tolist() == ["a", None, None, None]


@st.composite
def canonical_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Canonical frames of ``TINY``: every dtype, nulls where the column allows them."""
    n = draw(st.integers(0, 8))
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
    ints = st.integers(-(2**62), 2**62)
    days = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
    floats = st.floats(allow_nan=False, allow_infinity=False) | st.just(float("nan"))
    code = draw(st.lists(text, min_size=n, max_size=n))
    label = draw(st.lists(st.none() | text, min_size=n, max_size=n))
    floor = draw(st.lists(st.none() | ints, min_size=n, max_size=n))
    dates = draw(st.lists(st.none() | days, min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "code": pd.Series(code, dtype=object),
            "label": pd.Series(label, dtype=object),
            "rooms": pd.Series(draw(st.lists(ints, min_size=n, max_size=n)), dtype="int64"),
            "floor": pd.Series(pd.array(floor, dtype="Int64")),
            "rent": pd.Series(draw(st.lists(floats, min_size=n, max_size=n)), dtype="float64"),
            "in_qpv": pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
            "lease_date": pd.Series(pd.to_datetime(pd.Series(dates, dtype=object))).astype(
                "datetime64[ns]"
            ),
            "communes": pd.Series(
                draw(st.lists(st.lists(text, max_size=3), min_size=n, max_size=n)), dtype=object
            ),
        }
    )


@settings(max_examples=60, deadline=None)
@given(canonical_frames())
def test_round_trip_frame_arrow_frame_is_the_identity(frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(from_arrow(to_arrow(frame, TINY), TINY), frame)


def test_round_trip_through_duckdb_uses_the_sql_types() -> None:
    """The store's path: a table created with ``SQL_TYPES`` receives ``to_arrow``'s table and
    gives back, through ``from_arrow``, the canonical frame written."""
    frame = canonical(tiny_frame(), TINY)
    con = duckdb.connect()
    try:
        columns = ", ".join(f'"{c.name}" {SQL_TYPES[c.dtype]}' for c in TINY.columns)
        con.execute(f"CREATE TABLE essai ({columns})")
        con.register("incoming", to_arrow(frame, TINY))
        con.execute("INSERT INTO essai SELECT * FROM incoming")
        back = from_arrow(con.sql("SELECT * FROM essai ORDER BY rowid").to_arrow_table(), TINY)
    finally:
        con.close()
    pd.testing.assert_frame_equal(back, frame)


@pytest.mark.parametrize("table", [*TABLES.values(), TERRITORY], ids=lambda t: t.name)
def test_empty_frame_of_every_table_has_the_canonical_dtypes(table: Table) -> None:
    got = canonical(pd.DataFrame({name: [] for name in table.names}), table)
    assert [str(got[c.name].dtype) for c in table.columns] == [
        pandas_dtype(c) for c in table.columns
    ]
