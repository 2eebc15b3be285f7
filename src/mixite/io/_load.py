"""Loading a CSV file into DuckDB: one multi-threaded ``read_csv`` pass with every column as
VARCHAR (table ``raw``, in file order, so ``rowid`` is the data-row index), plus the converted
columns that can be computed in the same pass; a malformed line (DuckDB's rejects table) raises
an ``InputError`` naming it."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mixite.errors import InputError, Location
from mixite.io._sniff import CsvSource, shorten, sniff
from mixite.io._sql import q, sql_str

__all__ = ["RawTable", "load_raw"]


@dataclass
class RawTable:
    """A CSV file loaded as table ``raw`` (all VARCHAR) in a private DuckDB connection."""

    con: duckdb.DuckDBPyConnection
    source: CsvSource
    rows: int
    derived: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def headers(self) -> tuple[str, ...]:
        return self.source.headers

    def close(self) -> None:
        self.con.close()


def _read_sql(
    source: CsvSource,
    encoding: str,
    keep: Sequence[str] | None,
    derived: Sequence[tuple[str, str]],
) -> str:
    selected = "*" if keep is None else ", ".join(q(h) for h in keep) or "1 AS _none"
    selected += "".join(f", {expr} AS {q(alias)}" for alias, expr in derived)
    columns = "{" + ", ".join(f"{sql_str(h)}: 'VARCHAR'" for h in source.headers) + "}"
    return (
        f"CREATE OR REPLACE TABLE raw AS SELECT {selected} FROM read_csv({sql_str(str(source.path))}, "
        f"delim={sql_str(source.delimiter)}, quote='\"', escape='\"', header=true, "
        f"auto_detect=false, columns={columns}, encoding={sql_str(encoding)}, "
        f"ignore_errors=true, store_rejects=true, rejects_table='rejects', "
        f"rejects_scan='reject_scans')"
    )


def load_raw(
    path: Path,
    *,
    allow_empty: bool = False,
    keep: Callable[[tuple[str, ...]], Sequence[str]] | None = None,
    derive: Callable[[tuple[str, ...]], Sequence[tuple[str, str]]] | None = None,
) -> RawTable:
    """Load a CSV file with every column as text; raise ``InputError`` on a malformed line.

    UTF-8 is tried first; Latin-1 is used only when a line is not valid UTF-8. ``keep`` chooses,
    from the header, the columns to keep in table ``raw`` (all by default); every line is parsed
    and checked for its number of fields anyway. ``derive`` gives, from the header, converted
    columns ``(alias, SQL)`` computed in the same pass over the file (see ``derived_columns``).
    """
    source = sniff(path)
    kept = None if keep is None else list(keep(source.headers))
    derived = [] if derive is None else list(derive(source.headers))
    con = duckdb.connect()
    try:
        encodings = [source.encoding] if source.encoding == "latin-1" else ["utf-8", "latin-1"]
        for encoding in encodings:
            con.execute("DROP TABLE IF EXISTS rejects; DROP TABLE IF EXISTS reject_scans")
            con.execute(_read_sql(source, encoding, kept, derived))
            rejects = con.execute(
                "SELECT line, error_type, csv_line, error_message FROM rejects "
                "ORDER BY line LIMIT 1"
            ).fetchall()
            if not rejects:
                source = CsvSource(source.path, encoding, source.delimiter, source.headers)
                break
            line, error_type, csv_line, message = rejects[0]
            if error_type == "INVALID ENCODING" and encoding == "utf-8":
                continue
            _raise_reject(source, int(line), str(error_type), str(csv_line or ""), str(message))
        rows = int(con.execute("SELECT count(*) FROM raw").fetchall()[0][0])
    except BaseException:
        con.close()
        raise
    if rows == 0 and not allow_empty:
        con.close()
        raise InputError(
            "Le fichier ne contient que la ligne d'en-tête, sans aucune donnée",
            Location(source.name, 2),
            "Exportez au moins une ligne de données sous l'en-tête.",
        )
    return RawTable(con, source, rows, frozenset(alias for alias, _ in derived))


def _raise_reject(source: CsvSource, line: int, kind: str, csv_line: str, message: str) -> None:
    expected = len(source.headers)
    found = _count_fields(csv_line, source.delimiter)
    shown = shorten(csv_line.strip())
    where = Location(source.name, line, value=shown)
    if kind == "MISSING COLUMNS":
        raise InputError(
            f"Ligne incomplète : {found} champs au lieu de {expected}",
            where,
            "Vérifiez que la ligne n'a pas été coupée et que les valeurs contenant le séparateur "
            f"« {source.delimiter} » sont entre guillemets.",
        )
    if kind == "TOO MANY COLUMNS":
        raise InputError(
            f"Ligne trop longue : {found} champs au lieu de {expected}",
            where,
            f"Mettez entre guillemets les valeurs qui contiennent le séparateur « {source.delimiter} ».",
        )
    if kind == "INVALID ENCODING":
        raise InputError(
            "Caractères illisibles dans l'encodage détecté",
            where,
            "Enregistrez le fichier en CSV UTF-8.",
        )
    raise InputError(
        "Ligne illisible (guillemet non fermé ?)",
        where,
        "Fermez les guillemets ouverts et mettez entre guillemets les valeurs qui contiennent "
        f"le séparateur « {source.delimiter} ».",
    )


def _count_fields(line: str, delimiter: str) -> int:
    text = line.strip("\r\n")
    if not text:
        return 0
    try:
        return len(next(csv.reader([text], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return text.count(delimiter) + 1
