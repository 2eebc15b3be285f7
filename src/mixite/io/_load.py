"""Loading a CSV file into DuckDB: one multi-threaded ``read_csv`` pass with every column as
VARCHAR (table ``raw``, in file order, so ``rowid`` is the data-row index), plus the converted
columns that can be computed in the same pass; a malformed line (DuckDB's rejects table) raises
an ``InputError`` naming it.

Before DuckDB reads a file, every byte of it is scanned (``_sniff.scan``): a line longer than
``MAX_LINE_BYTES`` and a file that mixes UTF-8 with another encoding are refused with their line;
a Windows-1252 (or Latin-1) file, or one that mixes line endings, is read through a normalised
UTF-8 copy. After the read, the rows DuckDB loaded are counted against the records of the file:
no row can vanish silently (DuckDB drops lines of tens of MiB without listing them as rejected).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from mixite._duckdb import connect
from mixite.errors import InputError, Location
from mixite.io._sniff import (
    MAX_LINE_BYTES,
    CsvSource,
    FileScan,
    count_records,
    line_text,
    normalised_copy,
    scan,
    shorten,
    sniff,
    text_around,
)
from mixite.io._sql import q, sql_str

__all__ = ["RawTable", "load_raw"]


@dataclass
class RawTable:
    """A CSV file loaded as table ``raw`` (all VARCHAR) in a private DuckDB connection."""

    con: duckdb.DuckDBPyConnection
    source: CsvSource
    rows: int
    derived: frozenset[str] = frozenset()
    workdir: Path | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def headers(self) -> tuple[str, ...]:
        return self.source.headers

    def close(self) -> None:
        self.con.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _read_sql(
    source: CsvSource,
    keep: Sequence[str] | None,
    derived: Sequence[tuple[str, str]],
) -> str:
    selected = "*" if keep is None else ", ".join(q(h) for h in keep) or "1 AS _none"
    selected += "".join(f", {expr} AS {q(alias)}" for alias, expr in derived)
    columns = "{" + ", ".join(f"{sql_str(h)}: 'VARCHAR'" for h in source.headers) + "}"
    return (
        f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {selected} FROM "
        f"read_csv({sql_str(str(source.read_path))}, "
        f"delim={sql_str(source.delimiter)}, quote='\"', escape='\"', header=true, "
        f"auto_detect=false, columns={columns}, encoding='utf-8', "
        f"max_line_size={MAX_LINE_BYTES + 2}, "
        f"ignore_errors=true, store_rejects=true, rejects_table='rejects', "
        f"rejects_scan='reject_scans')"
    )


def _check_scan(source: CsvSource, found: FileScan) -> None:
    """Refuse, before any read, a file with an over-long line or mixed encodings."""
    line, size = found.longest
    if size > MAX_LINE_BYTES:
        raise InputError(
            f"Ligne démesurée : {size} octets, au-delà du maximum de {MAX_LINE_BYTES} octets "
            "par ligne",
            Location(source.name, line, value=line_text(source.path, line)),
            "Une ligne aussi longue vient d'un export endommagé ou d'un guillemet jamais fermé : "
            "exportez de nouveau le fichier, une ligne par logement ou par enregistrement.",
        )
    if found.mixed_encodings:
        bad = found.bad_utf8_line or 1
        raise InputError(
            "Encodages mélangés : le fichier est en UTF-8 sauf cette ligne, dans un autre "
            "encodage (Windows-1252 ou Latin-1)",
            Location(source.name, bad, value=text_around(source.path, found.bad_utf8 or 0)),
            "Enregistrez tout le fichier en UTF-8 (par exemple « Enregistrer sous… > CSV UTF-8 » "
            "dans votre tableur) ; une ligne copiée depuis un autre fichier garde souvent son "
            "encodage d'origine.",
        )


def load_raw(
    path: Path,
    *,
    allow_empty: bool = False,
    keep: Callable[[tuple[str, ...]], Sequence[str]] | None = None,
    derive: Callable[[tuple[str, ...]], Sequence[tuple[str, str]]] | None = None,
) -> RawTable:
    """Load a CSV file with every column as text; raise ``InputError`` on a malformed line.

    The encoding is decided for the whole file: UTF-8 when every byte is valid UTF-8,
    Windows-1252 when no line is UTF-8, refused when the two are mixed. ``keep`` chooses, from
    the header, the columns to keep in table ``raw`` (all by default); every line is parsed and
    checked for its number of fields anyway. ``derive`` gives, from the header, converted
    columns ``(alias, SQL)`` computed in the same pass over the file (see ``derived_columns``).
    """
    source = sniff(path)
    found = scan(path)
    _check_scan(source, found)
    kept = None if keep is None else list(keep(source.headers))
    derived = [] if derive is None else list(derive(source.headers))
    workdir: Path | None = None
    con = connect()
    try:
        if found.needs_copy:
            workdir = Path(tempfile.mkdtemp(prefix="mixite-csv-"))
            source = normalised_copy(source, found, workdir)
            found = scan(source.read_path)
        con.execute(_read_sql(source, kept, derived))
        rejects = con.execute(
            "SELECT line, error_type, csv_line, error_message FROM rejects ORDER BY line LIMIT 1"
        ).fetchall()
        if rejects:
            if found.quotes:
                # A quoted value spanning many lines confuses DuckDB's report of the line.
                _check_count(source, found, -1)
            line, error_type, csv_line, message = rejects[0]
            _raise_reject(source, int(line), str(error_type), str(csv_line or ""), str(message))
        rows = int(con.execute("SELECT count(*) FROM raw").fetchall()[0][0])
        _check_count(source, found, rows)
    except duckdb.Error as exc:
        con.close()
        _cleanup(workdir)
        raise InputError(
            "Fichier CSV illisible",
            Location(source.name),
            "Vérifiez que c'est bien un fichier CSV (texte, une ligne par enregistrement, "
            f"séparateur « {source.delimiter} ») et exportez-le de nouveau.",
        ) from exc
    except BaseException:
        con.close()
        _cleanup(workdir)
        raise
    if rows == 0 and not allow_empty:
        con.close()
        _cleanup(workdir)
        raise InputError(
            "Le fichier ne contient que la ligne d'en-tête, sans aucune donnée",
            Location(source.name, 2),
            "Exportez au moins une ligne de données sous l'en-tête.",
        )
    return RawTable(con, source, rows, frozenset(alias for alias, _ in derived), workdir)


def _cleanup(workdir: Path | None) -> None:
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_count(source: CsvSource, found: FileScan, rows: int) -> None:
    """Raise when DuckDB loaded fewer (or more) rows than the file has records.

    Without quotes, every non-empty line after the header is one record; with quotes (a value
    may hold line breaks) the records are counted by Python's ``csv`` module.
    """
    expected = found.lines - 1
    longest: tuple[int, int] | None = None
    if found.quotes and rows != expected:
        expected, longest = count_records(source)
    if rows == expected or (rows < 0 and longest is None):
        return
    if longest is not None:
        line, size = longest
        raise InputError(
            f"Enregistrement démesuré : {size} caractères, au-delà du maximum de "
            f"{MAX_LINE_BYTES} par ligne",
            Location(source.name, line, value=line_text(source.read_path, line)),
            "Un guillemet ouvert et jamais fermé englobe sans doute les lignes suivantes : "
            "fermez-le, ou exportez de nouveau le fichier.",
        )
    raise InputError(
        f"Lecture incomplète : {rows} lignes de données lues pour {expected} dans le fichier",
        Location(source.name),
        "Le fichier contient des lignes que le lecteur n'a pas pu découper : vérifiez les "
        "guillemets et les sauts de ligne, ou exportez de nouveau le fichier en CSV UTF-8.",
    )


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
    if kind == "LINE SIZE OVER MAXIMUM":
        raise InputError(
            f"Enregistrement démesuré : au-delà du maximum de {MAX_LINE_BYTES} octets par ligne",
            Location(source.name, line),
            "Un guillemet ouvert et jamais fermé englobe sans doute les lignes suivantes : "
            "fermez-le, ou exportez de nouveau le fichier.",
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
