"""Sniffing a CSV file: encoding, separator and header from its first line; and, on the error
path only, the physical line where a data row starts."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from mixite.errors import InputError, Location

__all__ = ["CsvSource", "physical_line", "shorten", "sniff"]

_SEPARATORS = (";", ",")


@dataclass(frozen=True)
class CsvSource:
    """What the first line of a CSV file tells: encoding, separator and header."""

    path: Path
    encoding: str
    delimiter: str
    headers: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name


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
    line = _first_line(head).rstrip(b"\r")
    try:
        text = line.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = line.decode("latin-1")
        encoding = "latin-1"
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

    Error path only: the file is scanned with Python's ``csv`` module, which counts the lines of
    quoted values with line breaks and the blank lines DuckDB skips.
    """
    encoding = "utf-8-sig" if source.encoding == "utf-8" else source.encoding
    with source.path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        if next(reader, None) is None:
            return index + 2
        row_number = 0
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader, None)
            except csv.Error:
                break
            if record is None:
                break
            if not record:
                continue
            if row_number == index:
                return start
            row_number += 1
    return index + 2
