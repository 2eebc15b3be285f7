"""Canonical dtypes: what each ``schema.DType`` is in Arrow, in DuckDB and in pandas, and the casts.

The canonical frame of a ``schema.Table`` (what the readers return, what the store reads back and
what every computation takes) has the table's columns in schema order with these dtypes:

======  ==================  ============  =================================================
dtype   Arrow               DuckDB        pandas
======  ==================  ============  =================================================
str     string              VARCHAR       object: ``str`` or ``None``
int     int64               BIGINT        int64 (``Int64`` when the column is nullable)
float   float64             DOUBLE        float64 (NaN when missing)
bool    bool                BOOLEAN       bool
date    timestamp[ns]       DATE          datetime64[ns] (NaT when missing)
list    list<string>        VARCHAR[]     object: a Python ``list[str]`` per cell
======  ==================  ============  =================================================

``to_arrow`` casts any frame holding a table's columns to the canonical Arrow table (French
``StoreError`` for a missing column, an unknown column, a missing required value or an
uncastable value); ``from_arrow`` turns an Arrow table with canonical column names (a DuckDB
query result, or ``to_arrow``'s) into the canonical frame; ``canonical`` is both.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from mixite.errors import StoreError
from mixite.schema import Column, DType, Table

__all__ = [
    "ARROW_TYPES",
    "SQL_TYPES",
    "canonical",
    "from_arrow",
    "objects",
    "pandas_dtype",
    "to_arrow",
]

#: DuckDB column type of each schema dtype (the store's tables).
SQL_TYPES: Final[Mapping[DType, str]] = MappingProxyType(
    {
        "str": "VARCHAR",
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "date": "DATE",
        "list": "VARCHAR[]",
    }
)

#: Arrow type of each schema dtype in a canonical Arrow table (dates as nanosecond timestamps,
#: like the pandas ``datetime64[ns]`` of a canonical frame).
ARROW_TYPES: Final[Mapping[DType, pa.DataType]] = MappingProxyType(
    {
        "str": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.timestamp("ns"),
        "list": pa.list_(pa.string()),
    }
)

_PANDAS_DTYPES: Final[Mapping[DType, str]] = MappingProxyType(
    {
        "str": "object",
        "int": "int64",
        "float": "float64",
        "bool": "bool",
        "date": "datetime64[ns]",
        "list": "object",
    }
)


def pandas_dtype(col: Column) -> str:
    """The pandas dtype of ``col`` in a canonical frame (``Int64`` for a nullable int)."""
    if col.dtype == "int" and col.nullable:
        return "Int64"
    return _PANDAS_DTYPES[col.dtype]


def objects(series: pd.Series) -> np.ndarray[Any, np.dtype[np.object_]]:
    """The values of ``series`` as an object array, missing values (None, NaN, NA) as None."""
    values: np.ndarray[Any, np.dtype[np.object_]] = np.array(series.to_numpy(), dtype=object)
    values[series.isna().to_numpy()] = None
    return values


# ---------------------------------------------------------------------------------------------
# Frame → canonical Arrow table
# ---------------------------------------------------------------------------------------------


def _check_names(frame: pd.DataFrame, table: Table) -> None:
    missing = [c.name for c in table.columns if c.name not in frame.columns and not c.nullable]
    if missing:
        raise StoreError(
            f"Table « {table.name} » : colonnes absentes {', '.join(missing)}. "
            "Passez un tableau lu par les lecteurs de mixite (mixite.io)."
        )
    extra = [str(c) for c in frame.columns if c not in table.names]
    if extra:
        raise StoreError(
            f"Table « {table.name} » : colonnes inconnues {', '.join(extra)}. "
            f"Colonnes attendues : {', '.join(table.names)}."
        )


def _arrow_column(series: pd.Series, col: Column) -> pa.Array:
    """One column as an Arrow array of its canonical type (missing values as Arrow nulls)."""
    kind = ARROW_TYPES[col.dtype]
    if col.dtype == "str":
        try:
            return pa.array(series, type=kind, from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return pa.array([None if v is None else str(v) for v in objects(series)], type=kind)
    if col.dtype == "int":
        try:
            return pa.array(series, type=kind, from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            numbers = pd.to_numeric(series)
            if bool((numbers.dropna() % 1 != 0).any()):
                raise ValueError("nombre non entier") from None
            return pa.array(numbers.astype("Int64"), type=kind, from_pandas=True)
    if col.dtype == "float":
        return pa.array(pd.to_numeric(series).astype("float64"), type=kind, from_pandas=True)
    if col.dtype == "bool":
        if bool(series.isna().any()):
            raise ValueError("booléen manquant")
        return pa.array(series.astype(bool), type=kind)
    if col.dtype == "date":
        stamps = pd.Series(pd.to_datetime(series)).astype("datetime64[ns]")
        return pa.array(stamps, type=kind, from_pandas=True)
    cells = [[] if v is None else [str(x) for x in v] for v in objects(series)]
    return pa.array(cells, type=kind)


def to_arrow(frame: pd.DataFrame, table: Table, *, check_required: bool = True) -> pa.Table:
    """``frame`` checked and cast to the canonical Arrow types of ``table``, in schema order.

    A missing nullable column is filled with nulls; a missing list cell is an empty list. A
    missing required column, extra columns, a null in a non-nullable column or an uncastable
    value raise ``StoreError`` in French. With ``check_required`` false (partial frames built by
    tests), nulls are accepted in the non-nullable str, float and date columns, whose canonical
    pandas dtypes can hold them (None, NaN, NaT), but still not in int and bool columns.
    """
    _check_names(frame, table)
    n = len(frame)
    arrays: list[pa.Array] = []
    for col in table.columns:
        if col.name not in frame.columns:
            arrays.append(pa.nulls(n, ARROW_TYPES[col.dtype]))
            continue
        try:
            array = _arrow_column(frame[col.name], col)
        except (TypeError, ValueError, pa.ArrowException) as exc:
            raise StoreError(
                f"Table « {table.name} », colonne « {col.name} » : valeurs incompatibles avec le "
                f"type « {col.dtype} » ({exc})."
            ) from exc
        required = check_required or col.dtype == "int"
        if required and not col.nullable and col.dtype != "list" and array.null_count:
            row = int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0])
            raise StoreError(
                f"Table « {table.name} », colonne « {col.name} » : valeur manquante à la ligne "
                f"{row + 1} alors que la colonne est obligatoire."
            )
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=table.names)


# ---------------------------------------------------------------------------------------------
# Arrow → canonical frame
# ---------------------------------------------------------------------------------------------


def _series(data: pa.ChunkedArray, col: Column) -> pd.Series:
    """One Arrow column as the canonical pandas series of ``col`` (no pandas string detour:
    object arrays of ``str``/``None`` straight from Arrow)."""
    if col.dtype == "str":
        return pd.Series(data.to_numpy(zero_copy_only=False), dtype=object)
    if col.dtype == "int" and col.nullable:
        mask = data.is_null().to_numpy(zero_copy_only=False)
        values = data.fill_null(0).to_numpy(zero_copy_only=False).astype("int64")
        return pd.Series(pd.arrays.IntegerArray(values, mask))
    if col.dtype == "int":
        return pd.Series(data.to_numpy(zero_copy_only=False).astype("int64"))
    if col.dtype == "float":
        return pd.Series(data.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    if col.dtype == "bool":
        return pd.Series(data.to_numpy(zero_copy_only=False).astype(bool))
    if col.dtype == "date":
        # DuckDB DATE arrives as date32 (datetime64[D] in numpy), the store's Arrow as
        # timestamp[ns]: both become datetime64[ns].
        return pd.Series(np.asarray(data.to_numpy(zero_copy_only=False)).astype("datetime64[ns]"))
    return pd.Series([[] if v is None else list(v) for v in data.to_pylist()], dtype=object)


def from_arrow(data: pa.Table, table: Table) -> pd.DataFrame:
    """The canonical frame of ``table`` from ``data``, an Arrow table holding its columns under
    their canonical names (a DuckDB query result or ``to_arrow``'s output)."""
    return pd.DataFrame(
        {col.name: _series(data.column(col.name), col) for col in table.columns},
        columns=table.names,
    )


def canonical(frame: pd.DataFrame, table: Table, *, check_required: bool = True) -> pd.DataFrame:
    """``frame`` cast to the canonical columns and dtypes of ``table``, in schema order.

    Same rules and French ``StoreError`` as ``to_arrow``; the index becomes 0…n-1.
    """
    return from_arrow(to_arrow(frame, table, check_required=check_required), table)
