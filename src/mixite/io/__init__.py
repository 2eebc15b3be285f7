"""Readers of the files mixite accepts; each returns a validated canonical frame (``schema``).

Formats, columns, codes and the error policy are documented in French in ``docs/formats.md``.

The CSV readers share a private engine: ``_sniff`` (encoding, separator, header), ``_load``
(DuckDB ``read_csv`` into a text table, malformed lines), ``_fields`` (what a reader declares per
canonical column), ``_checks`` (validation, ``InputError`` at the earliest bad row) and
``_convert`` (typed values, then the canonical frame through ``mixite.dtypes``).
"""

from mixite.io.commitments import read_commitments
from mixite.io.detect import FILE_NAMES, detect_kind, read_any, read_folder
from mixite.io.mapping import ColumnMapping, load_mapping
from mixite.io.qpv import read_qpv
from mixite.io.rpls import RPLS_2025_COLUMNS, RPLS_RESTRICTED_COLUMNS, read_rpls
from mixite.io.sru import read_sru
from mixite.io.tables import read_table
from mixite.io.territory import TERRITORY_COLUMNS, read_territory

__all__ = [
    "FILE_NAMES",
    "RPLS_2025_COLUMNS",
    "RPLS_RESTRICTED_COLUMNS",
    "TERRITORY_COLUMNS",
    "ColumnMapping",
    "detect_kind",
    "load_mapping",
    "read_any",
    "read_commitments",
    "read_folder",
    "read_qpv",
    "read_rpls",
    "read_sru",
    "read_table",
    "read_territory",
]
