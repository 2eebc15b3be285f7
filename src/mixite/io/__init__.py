"""Readers of the files mixite accepts; each returns a validated canonical frame (``schema``)."""

from mixite.io.mapping import ColumnMapping, load_mapping
from mixite.io.rpls import read_rpls
from mixite.io.tables import read_table

__all__ = ["ColumnMapping", "load_mapping", "read_rpls", "read_table"]
