"""What people see in mixite's outputs, read back as they would read it, and the words that must
not be there: code identifiers, Python values, English column names of the schema, codes without
their names (issue « Outputs a conference can adopt »).

``scan_folder`` reads every output under a folder (HTML visible text, XLSX sheet names, headers and
cells, CSV headers, GeoPackage field names, DOCX text) and returns the findings, each with where
it was found. The codes to look for (landlords' SIRENs, communes' INSEE codes, QPV codes,
reservataire codes) come with their names, read from the store of the territory.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
SOURCE_FILE = re.compile(r"\b(?:docs|src|tests)/[\w./-]+\.(?:md|py|yaml)\b|\b\w+\.py\b")
CLI_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]+\b")
PYTHON_WORDS = ("True", "False", "None", "NaN", "nan", "<NA>", "NaT")
#: Canonical column names of the schema that are English words (the others have an underscore
#: and are caught as identifiers, or are French words: commune, surface, iris, dalo…).
ENGLISH_COLUMNS = (
    "rent", "rooms", "address", "priority", "refusals", "adults", "dependants", "employment",
    "disability", "reason", "share", "landlord", "households", "dwellings", "applications",
    "attributions_per_year", "pending", "typology", "level", "group", "indicator", "target",
    "denominator", "numerator", "shortfall",
)  # fmt: skip


@dataclass(frozen=True)
class Codes:
    """The codes of a territory and their names (a code may only be shown beside its name)."""

    named: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where} : {self.what}"


def visible_text(page: str) -> str:
    """The text a browser shows: scripts, styles and tags removed, entities decoded."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(page)


def _html_rows(page: str) -> list[str]:
    """The visible text of each table row, and of each paragraph outside tables."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    rows = re.findall(r"(?is)<tr\b.*?</tr>", page)
    rest = re.sub(r"(?is)<tr\b.*?</tr>", " ", page)
    blocks = re.split(r"(?i)</?(?:p|li|h[1-6]|div|caption|figcaption)\b[^>]*>", rest)
    return [visible_text(r) for r in [*rows, *blocks]]


def words_findings(text: str, where: str) -> list[Finding]:
    """Identifiers, Python values and English column names in a text."""
    out = [Finding(where, f"identifiant « {w} »") for w in sorted(set(SNAKE.findall(text)))]
    for word in PYTHON_WORDS:
        if re.search(rf"(?<![\w<-]){re.escape(word)}(?![\w>-])", text):
            out.append(Finding(where, f"valeur Python « {word} »"))
    # the project's own files and the software's options are not words of an adopted text
    for path in sorted(set(SOURCE_FILE.findall(text))):
        out.append(Finding(where, f"fichier du logiciel « {path} »"))
    for option in sorted(set(CLI_OPTION.findall(text))):
        out.append(Finding(where, f"option du logiciel « {option} »"))
    return out


def header_findings(headers: Iterable[str], where: str) -> list[Finding]:
    out: list[Finding] = []
    for header in headers:
        text = str(header)
        out += words_findings(text, where)
        if text in ENGLISH_COLUMNS:
            out.append(Finding(where, f"nom de colonne anglais « {text} »"))
    return out


def _named_in(name: str, unit: str) -> bool:
    """Whether ``name`` is in ``unit``, also after its article when French contracts it
    (« Le Plessis-sur-Mire » in « Commune du Plessis-sur-Mire »)."""
    bare = re.sub(r"^(Le |La |Les |L')", "", name)
    return name in unit or (bare != name and bare in unit)


def code_findings(units: Iterable[str], codes: Codes, where: str) -> list[Finding]:
    """Codes shown without their name in the same unit (a table row, a paragraph)."""
    out: list[Finding] = []
    for unit in units:
        for code, name in codes.named.items():
            if re.search(rf"(?<![\w]){re.escape(code)}(?![\w])", unit) and not _named_in(
                name, unit
            ):
                out.append(Finding(where, f"code « {code} » sans son nom « {name} »"))
    return out


def scan_html(path: Path, codes: Codes) -> list[Finding]:
    page = path.read_text(encoding="utf-8", errors="replace")
    where = str(path)
    return words_findings(visible_text(page), where) + code_findings(_html_rows(page), codes, where)


def scan_xlsx(path: Path, codes: Codes) -> list[Finding]:
    from openpyxl import load_workbook

    out: list[Finding] = []
    book = load_workbook(path, read_only=True)
    for ws in book.worksheets:
        where = f"{path} [{ws.title}]"
        out += header_findings([ws.title], where)
        rows = [
            [("" if v is None else str(v)) for v in row] for row in ws.iter_rows(values_only=True)
        ]
        if len(rows) >= 4:
            out += header_findings([h for h in rows[3] if h], where)
        for row in rows:
            out += words_findings(" ; ".join(row), where)
        out += code_findings([" ; ".join(r) for r in rows], codes, where)
    return out


def scan_csv(path: Path, codes: Codes) -> list[Finding]:
    import pandas as pd

    frame = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    where = str(path)
    out = header_findings(frame.columns, where)
    lines = [" ; ".join(row) for row in frame.itertuples(index=False)]
    for line in lines:
        out += words_findings(line, where)
    return out + code_findings(lines, codes, where)


def scan_gpkg(path: Path) -> list[Finding]:
    import pyogrio

    out: list[Finding] = []
    for layer, _ in pyogrio.list_layers(path):
        if layer == "layer_styles":
            # QGIS's own table of layer styles: its column names are fixed by QGIS, never shown
            continue
        info = pyogrio.read_info(path, layer=layer)
        out += header_findings(list(info["fields"]), f"{path} [{layer}]")
    return out


def scan_docx(path: Path, codes: Codes) -> list[Finding]:
    from docx import Document

    doc = Document(str(path))
    units = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        units += [" ; ".join(c.text for c in row.cells) for row in table.rows]
    where = str(path)
    out: list[Finding] = []
    for unit in units:
        out += words_findings(unit, where)
    return out + code_findings(units, codes, where)


def scan_folder(root: Path, codes: Codes, exclude: Iterable[Path] = ()) -> list[Finding]:
    """Every output under ``root`` (the folders of ``exclude`` — the input files — left out)."""
    skipped = [p.resolve() for p in exclude]
    out: list[Finding] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(s in path.resolve().parents for s in skipped):
            continue
        suffix = path.suffix.lower()
        if suffix == ".html":
            out += scan_html(path, codes)
        elif suffix == ".xlsx":
            out += scan_xlsx(path, codes)
        elif suffix == ".csv":
            out += scan_csv(path, codes)
        elif suffix == ".gpkg":
            out += scan_gpkg(path)
        elif suffix == ".docx":
            out += scan_docx(path, codes)
        elif suffix == ".txt":
            text = path.read_text(encoding="utf-8")
            out += words_findings(text, str(path)) + code_findings(
                text.split("\n"), codes, str(path)
            )
    return out


def territory_codes(store_path: Path) -> Codes:
    """The landlords', communes' and QPV's codes of a store, with their names."""
    from mixite.store import Store

    named: dict[str, str] = {}
    with Store(store_path) as store:
        for table, code, name in (
            ("landlords", "landlord_id", "landlord_name"),
            ("communes", "commune", "commune_name"),
            ("qpv", "qpv_code", "qpv_name"),
        ):
            if store.millesimes(table):
                frame = store.read(table)
                named.update(zip(frame[code].astype(str), frame[name].astype(str), strict=True))
    # Reservataire types are words (« commune », « bailleur ») or identifiers (caught as such).
    return Codes(named)
