"""Sniffing a CSV file: encoding, separator and header from its first line; a scan of the whole
file (encoding of every line, line endings, longest line, count of non-empty lines) before
DuckDB reads it; a normalised UTF-8 copy when the file needs one; and, on the error path only,
the physical line where a data row starts.

Limits (documented in ``docs/formats.md``): a line (and so a field) holds at most
``MAX_LINE_BYTES`` bytes; longer lines are refused with their line number, never dropped.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mixite.errors import InputError, Location

__all__ = [
    "MAX_LINE_BYTES",
    "CsvSource",
    "FileScan",
    "count_records",
    "decode_single_byte",
    "line_text",
    "normalised_copy",
    "physical_line",
    "scan",
    "shorten",
    "sniff",
    "text_around",
]

#: Longest line accepted in a CSV file, in bytes (terminator excluded): 1 MiB. An RPLS line
#: holds about 600 bytes; a longer line is a damaged export and is refused with its number.
MAX_LINE_BYTES = 1 << 20
_CHUNK = 8 << 20
#: A valid UTF-8 multi-byte sequence (2, 3 or 4 bytes). In a Windows-1252 French text such byte
#: pairs (« Ã© », « Â » + non-breaking space…) do not occur.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
#: Windows-1252 for the bytes 0x80–0x9F it defines; the 5 it leaves undefined stay Latin-1.
_CP1252 = {i: bytes([i]).decode("cp1252", errors="replace") for i in range(0x80, 0xA0)}
_CP1252_TABLE = str.maketrans(
    {chr(i): (c if c != "\ufffd" else chr(i)) for i, c in _CP1252.items()}
)

_SEPARATORS = (";", ",")


@dataclass(frozen=True)
class CsvSource:
    """What the first line of a CSV file tells: encoding, separator and header."""

    path: Path
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    #: The file DuckDB reads: ``path`` itself, or its normalised UTF-8 copy.
    data_path: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def read_path(self) -> Path:
        return self.data_path or self.path


def decode_single_byte(data: bytes) -> str:
    """Windows-1252 text (the encoding of French Excel exports), with Latin-1 for the 5 bytes
    Windows-1252 leaves undefined, so that every byte string decodes."""
    return data.decode("latin-1").translate(_CP1252_TABLE)


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return data if end < 0 else data[:end]


def sniff(path: Path) -> CsvSource:
    """Read the header line: encoding (UTF-8, with or without BOM, else Latin-1) and separator.

    Raises ``InputError`` for a missing or empty file, a binary or UTF-16 file, a separator other
    than ``;`` or ``,``, and a header with a repeated column name.
    """
    name = path.name
    if not path.is_file():
        raise InputError(
            "Fichier introuvable",
            Location(str(path)),
            "Vérifiez le chemin du fichier.",
        )
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(head) >= 4 and head[1:2] == b"\x00" and head[3:4] == b"\x00"
    ):
        raise InputError(
            "Encodage non pris en charge (UTF-16)",
            Location(name, 1),
            "Enregistrez le fichier en CSV UTF-8 (ou Latin-1), par exemple avec « Enregistrer "
            "sous… > CSV UTF-8 » dans votre tableur.",
        )
    if head.startswith(b"PK\x03\x04") or b"\x00" in head:
        raise InputError(
            "Fichier binaire (classeur Excel ou archive ?) au lieu d'un fichier CSV",
            Location(name, 1),
            "Ouvrez-le dans votre tableur et enregistrez-le en CSV UTF-8 avec le séparateur « ; ».",
        )
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        raise InputError(
            "Fichier vide",
            Location(name),
            "Exportez de nouveau le fichier : il doit commencer par la ligne d'en-tête des "
            "colonnes, suivie d'une ligne par enregistrement.",
        )
    if len(head) >= 1 << 20 and b"\n" not in head and b"\r" not in head:
        raise InputError(
            f"Ligne démesurée : la ligne d'en-tête dépasse le maximum de {MAX_LINE_BYTES} "
            "octets par ligne",
            Location(name, 1),
            "La première ligne doit donner les noms des colonnes : exportez de nouveau le fichier.",
        )
    line = _first_line(head).rstrip(b"\r")
    if b"\r" in line:
        # Old Mac line endings (CR only): the header ends at the first CR.
        line = line[: line.index(b"\r")]
    try:
        text = line.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = decode_single_byte(line)
        encoding = "windows-1252"
    if not text.strip():
        raise InputError(
            "Ligne d'en-tête vide",
            Location(name, 1),
            "La première ligne du fichier doit donner le nom des colonnes.",
        )
    delimiter = next((s for s in _SEPARATORS if s in text), None)
    if delimiter is None:
        for other, label in (("\t", "des tabulations"), ("|", "des « | »")):
            if other in text:
                raise InputError(
                    f"Séparateur de colonnes non pris en charge : l'en-tête est séparé par {label}",
                    Location(name, 1, value=shorten(text)),
                    "Enregistrez le fichier en CSV avec le séparateur « ; » (ou « , »).",
                )
        delimiter = ";"
    # A column without a name (often a trailing separator of an export) is kept under a
    # placeholder name and ignored by the readers.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    headers = tuple(
        h.strip() or f"_colonne_{position}"
        for position, h in enumerate(next(csv.reader([text], delimiter=delimiter)), start=1)
    )
    seen: set[str] = set()
    for header in headers:
        if header in seen:
            raise InputError(
                "Colonne présente deux fois dans l'en-tête",
                Location(name, 1, header),
                "Supprimez ou renommez l'une des deux colonnes.",
            )
        seen.add(header)
    return CsvSource(path, encoding, delimiter, headers)


def shorten(text: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters (ellipsis included), for a value shown in a message."""
    return text if len(text) <= width else text[: width - 1] + "…"


def physical_line(source: CsvSource, index: int) -> int:
    """Line of the file (header = 1) where data row ``index`` (0-based) starts.

    Error path only: the file DuckDB read is scanned with Python's ``csv`` module, which counts
    the lines of quoted values with line breaks and the blank lines DuckDB skips.
    """
    for number, start, _size in _records(source):
        if number == index:
            return start
    return index + 2


def _records(source: CsvSource) -> Iterator[tuple[int, int, int]]:
    """``(data-row index, physical start line, characters)`` of each record after the header."""
    normalised = source.data_path is not None or source.encoding == "utf-8"
    encoding = "utf-8-sig" if normalised else "latin-1"
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    with source.read_path.open(encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        try:
            if next(reader, None) is None:
                return
        except csv.Error:
            return
        row_number = 0
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader, None)
            except csv.Error:
                return
            if record is None:
                return
            if not record:
                continue
            yield row_number, start, sum(len(f) for f in record) + len(record) - 1
            row_number += 1


def count_records(source: CsvSource) -> tuple[int, tuple[int, int] | None]:
    """Records after the header as Python's ``csv`` module counts them, and the ``(line,
    characters)`` of the first one longer than ``MAX_LINE_BYTES`` (``None`` if none)."""
    count = 0
    longest: tuple[int, int] | None = None
    for _, start, size in _records(source):
        count += 1
        if longest is None and size > MAX_LINE_BYTES:
            longest = (start, size)
    return count, longest


# ---------------------------------------------------------------------------------------------
# Whole-file scan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileScan:
    """What a pass over every byte of a file tells, before DuckDB reads it.

    ``bad_utf8`` is the byte offset of the first byte that is not valid UTF-8 (``None`` when the
    file is valid UTF-8) and ``bad_utf8_line`` its line; ``utf8_sequences`` tells whether valid
    multi-byte UTF-8 sequences occur anywhere (with ``bad_utf8``: mixed encodings). ``crlf``,
    ``lf`` and ``cr`` count the line endings of each kind; ``longest`` is the ``(line, bytes)``
    of the longest line; ``lines`` the non-empty lines (header included); ``quotes`` whether a
    ``"`` occurs.
    """

    size: int
    bad_utf8: int | None
    bad_utf8_line: int | None
    utf8_sequences: bool
    crlf: int
    lf: int
    cr: int
    longest: tuple[int, int]
    lines: int
    quotes: bool

    @property
    def mixed_encodings(self) -> bool:
        return self.bad_utf8 is not None and self.utf8_sequences

    @property
    def mixed_line_endings(self) -> bool:
        return sum(1 for n in (self.crlf, self.lf, self.cr) if n) > 1

    @property
    def needs_copy(self) -> bool:
        """True when DuckDB must read a normalised UTF-8 copy with LF line endings."""
        return self.bad_utf8 is not None or self.cr > 0 or self.mixed_line_endings


def scan(path: Path) -> FileScan:
    """Scan every byte of ``path`` in chunks (memory bounded): UTF-8 validity and the first bad
    line, line endings, the longest line and the non-empty lines."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    bad: int | None = None
    sequences = False
    crlf = lf = cr = 0
    lines = 0
    longest = (1, 0)
    line_number = 1  # physical line at the start of the chunk (LF-terminated lines)
    line_start = 0  # offset of the current line's first byte
    last_byte = -1  # last byte of the previous chunk
    quotes = False
    offset = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            data = np.frombuffer(chunk, np.uint8)
            high = bool(data.max(initial=0) >= 0x80)
            if bad is None and high:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = offset - pending + exc.start
            if not sequences and high:
                sequences = _UTF8_SEQUENCE.search(chunk) is not None
            quotes = quotes or b'"' in chunk
            newlines = np.flatnonzero(data == 10)
            if len(newlines):
                before = np.where(newlines > 0, data[np.maximum(newlines - 1, 0)], last_byte)
                with_cr = before == 13
                crlf += int(with_cr.sum())
                lf += int(len(newlines) - with_cr.sum())
                ends = newlines + offset - with_cr.astype(np.int64)
                starts = np.concatenate(([line_start], newlines[:-1] + offset + 1))
                lengths = ends - starts
                lines += int((lengths > 0).sum())
                top = int(lengths.argmax())
                if int(lengths[top]) > longest[1]:
                    longest = (line_number + top, int(lengths[top]))
                line_number += len(newlines)
                line_start = int(newlines[-1]) + offset + 1
            returns = np.flatnonzero(data == 13)
            if len(returns):
                after = returns + 1
                inside = after < len(data)
                lone = np.ones(len(returns), dtype=bool)
                lone[inside] = data[after[inside]] != 10
                if not inside[-1]:
                    # A CR ending the chunk: look at the next byte.
                    following = handle.read(1)
                    handle.seek(-len(following), 1)
                    lone[-1] = following != b"\n"
                cr += int(lone.sum())
            last_byte = int(data[-1])
            offset += len(chunk)
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad = offset - len(decoder.getstate()[0])
    # The last line, when the file does not end with a line break.
    final = offset - line_start
    if final > 0 and not (final == 1 and last_byte == 13):
        lines += 1
        if final > longest[1]:
            longest = (line_number, final)
    bad_line = None if bad is None else _line_of(path, bad)
    return FileScan(offset, bad, bad_line, sequences, crlf, lf, cr, longest, lines, quotes)


def _line_of(path: Path, offset: int) -> int:
    """1-based physical line holding byte ``offset``."""
    count = 0
    with path.open("rb") as handle:
        remaining = offset
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            count += chunk.count(b"\n")
            remaining -= len(chunk)
    return count + 1


def line_text(path: Path, line: int, width: int = 60) -> str:
    """The start of physical line ``line`` (1-based), decoded leniently, for a message."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == line:
                return shorten(decode_single_byte(raw[: width * 4].rstrip(b"\r\n")), width)
    return ""


def text_around(path: Path, offset: int, width: int = 40) -> str:
    """The text of the line around byte ``offset`` (``width`` bytes each side), decoded as
    Windows-1252, for a message naming a bad character."""
    start = max(0, offset - width)
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(offset - start + width)
    before, after = data[: offset - start], data[offset - start :]
    before = before.rsplit(b"\n", 1)[-1]
    after = after.split(b"\n", 1)[0].rstrip(b"\r")
    prefix = "…" if offset - start == width and len(before) == width else ""
    return prefix + decode_single_byte(before + after) + ("…" if len(after) == width else "")


def normalised_copy(source: CsvSource, found: FileScan, folder: Path) -> CsvSource:
    """Write ``source`` as UTF-8 with LF line endings into ``folder``; lines keep their numbers.

    Used when the file is in Windows-1252 (or Latin-1) or mixes line endings, which DuckDB does
    not read (it would need an extension, or it stops at the first change of line ending).
    """
    target = folder / "normalise.csv"
    single_byte = found.bad_utf8 is not None
    with source.path.open("rb") as handle, target.open("wb") as out:
        pending_cr = False
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            if pending_cr:
                chunk = b"\r" + chunk
                pending_cr = False
            if chunk.endswith(b"\r"):
                chunk = chunk[:-1]
                pending_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            out.write(decode_single_byte(chunk).encode("utf-8") if single_byte else chunk)
        if pending_cr:
            out.write(b"\n")
    return replace(source, data_path=target)
