"""Statistical secrecy read back from the written files (issue 21, « Done when »).

``scan_secrecy`` opens every XLSX (openpyxl), CSV, GeoPackage and Parquet table under a folder, as
a reader would, without the jobs' tables: it rebuilds each published table (its header, its rows
and the totals written in it) and reports

(a) every count of persons between 1 and ``threshold − 1`` that is shown, or implied by a share
    published beside its denominator (the share's numerator or its complement);
(b) every masked (empty) count of persons that the totals written in the same table give back by
    subtraction: a total row (« EPCI » level of an « Échelle » column, « Ensemble », « Total ») and
    the rows it adds up (the other levels, with the same values of the other dimensions), solved
    by repeated subtraction until nothing more is found.

Which columns count persons (occupant households, applications, attributions, relocated
households) and which count dwellings is declared here by their French headers (``PERSONS``,
``DWELLINGS``): counts of dwellings are published unmasked unless ``secret_statistique.logements``
is true (``docs/secret-statistique.md``), so they are checked only with ``dwellings=True``. A
header that reads like a count of persons but is in neither list is reported, so that a new
output cannot escape the check unnoticed. The Parquet files for analysts have code headers: the
national long format (``vocabulary.NATIONAL_COLUMNS``) and the national table of the EPCIs are
read into tables with the headers of the workbooks (``national_tables``); any other Parquet file
is reported as unread (« non lu »), so that it cannot escape the check unnoticed either.

Outside the check, by explicit rules (each named in ``Scan.excluded``):

* the input files in mixite's formats (``donnees/`` folders): data, not publications;
* the working documents, whose workbook says « Document de travail — non diffusable » on its
  first sheet (the relocation plan and the mutations, ``docs/secret-statistique.md``);
* the lists with one row per application (first column « Demande (pseudonyme) »): pseudonymised
  personal data for the landlords' commissions, not tables of counts;
* QGIS's ``layer_styles`` table of a GeoPackage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The mark that makes a workbook a working document (not published, outside the check).
WORKING_MARK = "document de travail — non diffusable"

#: Headers of counts of persons (households, applications, attributions), exact.
PERSONS = frozenset(
    {
        "Attributions",
        "Attributions au public cible",
        "Attributions au public cible (moyenne des réplicats)",
        "Attributions concernées",
        "Attributions concernées (moyenne des réplicats)",
        "Attributions de l'année",
        "Attributions dont le dépôt est connu",
        "Attributions hors QPV",
        "Attributions hors QPV réalisées",
        "Attributions hors QPV sans objectifs",
        "Attributions hors mutations",
        "Attributions par an",
        "Attributions réalisées",
        "Attributions sans objectifs",
        "Demandes",
        "Demandes cotées",
        "Demandes créditées",
        "Demandes en attente",
        "Demandes hors mutations",
        "Demandes remplissant la condition",
        "Demandes retenues",
        "Demandeurs Q1",
        "Demandeurs Q1 avec logement sous plafond et adapté",
        "Demandeurs Q1 pouvant y accéder",
        "Dont 1er quartile ou relogés",
        "Départs du parc",
        "Départs par vente HLM",
        "Entrées de l'extérieur du parc social",
        "Hors cotation",
        "Ménages",
        "Ménages au 1er janvier",
        "Ménages au 31 décembre",
        "Ménages de l'unité",
        "Ménages du groupe",
        "Ménages entrés dans le parc",
        "Ménages occupants",
        "Ménages à reloger au 1er janvier",
        "Ménages à reloger de l'année (démolitions)",
        "Ménages relogés",
        "Ménages relogés hors QPV",
        "Ménages relogés dans le neuf ou le récent",
        "Ménages sortis du parc avant relogement",
        "Ménages non relogés au 31 décembre",
        "Mutations entrantes",
        "attributions",
        "dont hors QPV",
        "dont mutations",
        "dont relogements",
    }
)
#: Prefixes of headers of counts of persons.
PERSON_PREFIXES = ("Effectif : ",)
#: Suffixes of headers of counts of persons (the national workbook's « <objectif> : attributions
#: concernées »).
PERSON_SUFFIXES = (" : attributions concernées",)
#: Headers of counts of dwellings (and of residences, relettings of dwellings), exact.
DWELLINGS = frozenset(
    {
        "Logements",
        "Logements accessibles",
        "Logements au 1er janvier",
        "Logements au 31 décembre",
        "Logements démolis",
        "Logements en QPV",
        "Logements en QPV (loyer connu)",
        "Logements hors QPV",
        "Logements hors QPV (loyer connu)",
        "Logements livrés",
        "Logements orientés",
        "Logements proposés à la location",
        "Logements soustraits du flux",
        "Logements sociaux",
        "Logements vacants",
        "Logements vendus",
        "Logements à loyer connu",
        "Loyers baissés",
        "Parc en service l'année précédente",
        "Relocations",
        "Résidences",
        "Vacants depuis plus de 3 mois",
        "dont non loués à des ménages",
        "dont occupés",
        "dont vacants",
    }
)
#: A header that counts dwellings in a table where another header says the table is about
#: dwellings (the RPLS's « Emménagements » of the vacancy tables are dwellings re-let; in the
#: neighbourhoods' roles they are the households that moved in).
DWELLINGS_BESIDE = {"Emménagements": "Logements proposés à la location"}
#: Headers that are persons unless ``DWELLINGS_BESIDE`` says otherwise.
PERSONS_UNLESS = frozenset(DWELLINGS_BESIDE)
#: First words of headers that read like counts of persons: a header starting with one of them
#: and holding whole numbers must be classified (``PERSONS``, ``DWELLINGS`` or ``NOT_COUNTS``).
PERSON_WORDS = ("Ménages", "Demandes", "Demandeurs", "Attributions", "Relogements", "Effectif")
#: Headers starting like a count of persons that are not counts of persons.
NOT_COUNTS = frozenset(
    {
        "Attributions manquantes",  # objective minus achieved, derived from published cells
        "Attributions Q1 atteignables",  # a model's expectation over dwellings (national)
        "Demandes similaires",  # only in the per-application lists (excluded)
    }
)
#: Shares published beside their denominator: share header → denominator header (persons).
SHARES = {
    "Part réalisée": ("Attributions concernées", "Attributions"),
    "Réalisé": ("Attributions",),
    "Part des demandeurs Q1 pouvant y accéder": ("Demandeurs Q1",),
    "Part de demandes de mutation": ("Demandes en attente",),
    "Part du premier quartile": ("Demandes en attente",),
    "Part de publics prioritaires": ("Demandes en attente",),
    "Part de ménages DALO": ("Demandes en attente",),
    "Part parmi toutes": (),
    "Part 1er quartile ou relogés (%)": ("Attributions hors QPV",),
    "Part relogée hors QPV": ("Ménages relogés",),
    "Part relogée dans le neuf ou le récent": ("Ménages relogés",),
}
#: Shares named by a suffix, beside the denominator of the same prefix (« <objectif> : part »
#: beside « <objectif> : attributions concernées »).
SHARE_SUFFIXES = {" : part": (" : attributions concernées",)}
#: Shares written in percent (0–100) rather than as fractions.
PERCENT_SHARES = frozenset({"Part 1er quartile ou relogés (%)"})
#: Label of a total row: a cell equal to one of these, or an « Échelle » cell equal to « EPCI ».
TOTAL_LABELS = frozenset({"Ensemble", "Total", "EPCI"})
LEVEL_HEADER = "Échelle"
#: Levels whose rows add up to the total together with those of another level: the landlords'
#: non-reserved dwellings are one more reservataire (with the reservataires, they list every
#: attribution of the priority objective once; alone, only a part of them).
JOINED_LEVELS = {
    "Bailleur – logements non réservés": "Réservataire",
    "bailleur_non_reserve": "reservataire",
}
#: Cells that mean « nothing published here ».
EMPTY = frozenset({"", "—", "-"})


@dataclass(frozen=True)
class Table:
    """One published table as written: where, its header and its rows (cells as read)."""

    where: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Finding:
    where: str
    row: int
    column: str
    kind: str  # "publiée", "part", "recalculable", "non classée"
    value: float

    def __str__(self) -> str:
        return f"{self.where}, ligne {self.row}, « {self.column} » : {self.kind} ({self.value:g})"


@dataclass
class Scan:
    """What ``scan_secrecy`` read: the tables checked, what it left out and why, the findings."""

    tables: list[Table] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def persons_tables(self) -> list[Table]:
        return [t for t in self.tables if any(kind(t, h) == "personnes" for h in t.header)]


# ---------------------------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """The number in a cell as written (None when empty, masked or text)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if (isinstance(value, float) and math.isnan(value)) else float(value)
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if text in EMPTY:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in EMPTY


def xlsx_tables(path: Path, where: str) -> tuple[list[Table], str | None]:
    """The tables of a workbook written by ``reports.common.write_xlsx`` (title in row 1, note in
    row 2, header in row 4), and the exclusion rule that applies to the whole workbook."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = [ws for ws in book.worksheets if ws.title not in ("Sommaire", "Définitions")]
        first = book.worksheets[0] if book.worksheets else None
        if first is not None:
            top = " ".join(
                str(v)
                for row in first.iter_rows(min_row=1, max_row=3, values_only=True)
                for v in row
                if v is not None
            )
            if WORKING_MARK in top.lower():
                return [], "document de travail (mention « non diffusable »)"
        out = []
        for ws in sheets:
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if len(rows) < 4 or not any(isinstance(v, str) for v in rows[3]):
                continue
            header = tuple("" if v is None else str(v) for v in rows[3])
            out.append(Table(f"{where} [{ws.title}]", header, tuple(rows[4:])))
        return out, None
    finally:
        book.close()


def csv_tables(path: Path, where: str) -> list[Table]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [tuple(r) for r in csv.reader(handle, delimiter=";")]
    if not rows:
        return []
    return [Table(where, tuple(rows[0]), tuple(rows[1:]))]


def gpkg_tables(path: Path, where: str) -> list[Table]:
    import pyogrio

    out = []
    for layer, _ in pyogrio.list_layers(path):
        if layer == "layer_styles":
            continue
        frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        rows = tuple(tuple(r) for r in frame.itertuples(index=False))
        out.append(Table(f"{where} [{layer}]", tuple(map(str, frame.columns)), rows))
    return out


#: The legal objectives of the national long format (``vocabulary.Indicator``): counts of
#: attributions.
NATIONAL_OBJECTIVES = ("q1_hors_qpv", "non_q1_en_qpv", "prioritaires")
#: Indicators of the national long format whose numerator and denominator count persons
#: (pending applications, attributions of the year) without being a share.
NATIONAL_PERSON_RATIOS = {"demandes_par_attribution": ("Demandes en attente", "Attributions")}
#: Indicators whose numerator and denominator count dwellings (stock in QPV, vacancy, turnover:
#: dwellings re-let) or a model's expectation over dwellings (the attainable Q1 attributions over
#: the expected vacancies: not a count of persons).
NATIONAL_DWELLING_RATIOS = {
    "parc_en_qpv": ("Logements en QPV", "Logements sociaux"),
    "vacance": ("Logements vacants", "Logements proposés à la location"),
    "rotation": ("Relocations", "Parc en service l'année précédente"),
    "q1_hors_qpv_atteignable": ("Attributions Q1 atteignables", "Libérations attendues"),
}
#: Headers of the national long format's label columns (the level keeps its code but « EPCI »,
#: the total row of ``_blocks``).
_NATIONAL_LABELS = {
    "epci": "SIREN",
    "task": "Tâche",
    "scenario": "Scénario",
    "indicator": "Indicateur",
    "level": LEVEL_HEADER,
    "group": "Groupe",
}


def national_tables(frame: Any, where: str) -> list[Table] | None:
    """The tables a reader makes of a national Parquet file (None when it is not one): the
    long format (``vocabulary.NATIONAL_COLUMNS``) as one table of the legal objectives (the
    EPCI rows are the totals of the other levels, per task, scenario and objective), one of the
    applications per attribution and one of the dwellings' ratios; the table of the EPCIs
    (``<objectif>_attributions`` and ``<objectif>_share``) with the national workbook's
    headers."""
    columns = set(map(str, frame.columns))
    if {"indicator", "numerator", "denominator", "level"} <= columns:
        labels = [c for c in _NATIONAL_LABELS if c in columns]

        def table(kind: str, codes: Sequence[str], head: Sequence[str], share: bool) -> Table:
            rows = frame.loc[frame["indicator"].astype(str).isin(list(codes))]
            cells = []
            for row in rows.itertuples(index=False):
                record = row._asdict()
                out = [
                    ("EPCI" if record[c] == "epci" else record[c]) if c == "level" else record[c]
                    for c in labels
                ]
                out += [record["numerator"], record["denominator"]]
                if share:
                    out.append(record["share"])
                cells.append(tuple(out))
            header = (*(_NATIONAL_LABELS[c] for c in labels), *head)
            return Table(f"{where} [{kind}]", header, tuple(cells))

        tables = [
            table(
                "objectifs",
                NATIONAL_OBJECTIVES,
                ("Attributions au public cible", "Attributions concernées", "Part réalisée"),
                True,
            )
        ]
        for code, head in {**NATIONAL_PERSON_RATIOS, **NATIONAL_DWELLING_RATIOS}.items():
            tables.append(table(code, (code,), head, False))
        return [t for t in tables if t.rows]
    if "epci" in columns and any(f"{c}_attributions" in columns for c in NATIONAL_OBJECTIVES):
        keep = ["epci"]
        header = ["SIREN"]
        for code in NATIONAL_OBJECTIVES:
            for suffix, label in (
                ("_attributions", " : attributions concernées"),
                ("_share", " : part"),
            ):
                if f"{code}{suffix}" in columns:
                    keep.append(f"{code}{suffix}")
                    header.append(f"{code}{label}")
        rows = tuple(tuple(r) for r in frame[keep].itertuples(index=False))
        return [Table(where, tuple(header), rows)]
    return None


def parquet_tables(path: Path, where: str) -> tuple[list[Table], str | None]:
    """The tables of a Parquet file (``national_tables``), or the rule that leaves it out."""
    import pandas as pd

    found = national_tables(pd.read_parquet(path), where)
    if found is None:
        return [], "non lu (Parquet d'un format inconnu du contrôle)"
    return found, None


def read_tables(
    root: Path, exclude: Iterable[Path] = ()
) -> tuple[list[Table], list[tuple[str, str]]]:
    """Every published table under ``root`` and the files left out, each with its rule."""
    skipped = [p.resolve() for p in exclude]
    tables: list[Table] = []
    excluded: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".xlsx", ".csv", ".gpkg", ".parquet"):
            continue
        where = str(path.relative_to(root))
        if any(s in path.resolve().parents for s in skipped):
            excluded.append((where, "fichier de données en entrée"))
            continue
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            found, rule = xlsx_tables(path, where)
            if rule is not None:
                excluded.append((where, rule))
            tables += found
        elif suffix == ".csv":
            tables += csv_tables(path, where)
        elif suffix == ".parquet":
            found, rule = parquet_tables(path, where)
            if rule is not None:
                excluded.append((where, rule))
            tables += found
        else:
            tables += gpkg_tables(path, where)
    kept = []
    for table in tables:
        if table.header and "(pseudonyme)" in table.header[0]:
            excluded.append((table.where, "liste nominative pseudonymisée (une ligne par demande)"))
        else:
            kept.append(table)
    return kept, excluded


# ---------------------------------------------------------------------------------------------
# What each column counts
# ---------------------------------------------------------------------------------------------


def kind(table: Table, header: str) -> str | None:
    """« personnes », « logements » or None (not a count) for a column of ``table``."""
    beside = DWELLINGS_BESIDE.get(header)
    if beside is not None and beside in table.header:
        return "logements"
    if (
        header in PERSONS
        or header in PERSONS_UNLESS
        or header.startswith(PERSON_PREFIXES)
        or header.endswith(PERSON_SUFFIXES)
    ):
        return "personnes"
    if header in DWELLINGS:
        return "logements"
    return None


def _unclassified(table: Table) -> list[Finding]:
    out = []
    for j, header in enumerate(table.header):
        if kind(table, header) is not None or header in NOT_COUNTS:
            continue
        if not header.startswith(PERSON_WORDS):
            continue
        values = [_number(r[j]) for r in table.rows if j < len(r)]
        numbers = [v for v in values if v is not None]
        if numbers and all(v == round(v) for v in numbers):
            out.append(Finding(table.where, 0, header, "non classée", math.nan))
    return out


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


def _small(value: float, threshold: int) -> bool:
    return 0.5 <= value < threshold - 0.5 if value == round(value) else 1e-9 < value < threshold


def _shown(table: Table, columns: Sequence[int], threshold: int) -> list[Finding]:
    out = []
    for i, row in enumerate(table.rows, start=1):
        for j in columns:
            value = _number(row[j]) if j < len(row) else None
            if value is not None and _small(value, threshold):
                out.append(Finding(table.where, i, table.header[j], "publiée", value))
    return out


def _shares(table: Table, threshold: int) -> list[Finding]:
    """Numerators and complements of the shares published beside their denominator."""
    out = []
    index = {h: j for j, h in enumerate(table.header)}
    shares = dict(SHARES)
    for header in table.header:
        for suffix, dens in SHARE_SUFFIXES.items():
            if header.endswith(suffix):
                stem = header.removesuffix(suffix)
                shares[header] = tuple(stem + d for d in dens)
    for share, denominators in shares.items():
        js = index.get(share)
        jd = next((index[d] for d in denominators if d in index), None)
        if js is None or jd is None:
            continue
        scale = 100.0 if share in PERCENT_SHARES else 1.0
        for i, row in enumerate(table.rows, start=1):
            s = _number(row[js]) if js < len(row) else None
            d = _number(row[jd]) if jd < len(row) else None
            if s is None or d is None:
                continue
            numerator = round(s / scale * d)
            for implied in (numerator, round(d) - numerator):
                if 1 <= implied < threshold:
                    out.append(Finding(table.where, i, share, "part", float(implied)))
                    break
    return out


def _text_columns(table: Table, counts: set[int]) -> list[int]:
    """Columns that identify a row (not counts, holding text or whole numbers as labels)."""
    out = []
    for j, header in enumerate(table.header):
        if j in counts or kind(table, header) is not None:
            continue
        values = [r[j] for r in table.rows if j < len(r) and not _is_empty(r[j])]
        if values and all(isinstance(v, str) for v in values):
            out.append(j)
    return out


def _blocks(table: Table, counts: set[int]) -> list[tuple[int, list[int]]]:
    """Each total row of ``table`` with the rows it adds up (see the module docstring)."""
    labels = _text_columns(table, counts)
    level = table.header.index(LEVEL_HEADER) if LEVEL_HEADER in table.header else None

    def is_total(row: Sequence[Any]) -> bool:
        if level is not None:
            return str(row[level]).strip() == "EPCI"
        return any(str(row[j]).strip() in TOTAL_LABELS for j in labels if j < len(row))

    totals = [i for i, row in enumerate(table.rows) if is_total(row)]
    if not totals:
        return []
    # The dimensions crossed with the total: label columns whose value changes between totals.
    crossed = [
        j
        for j in range(len(table.header))
        if j not in counts
        and j != level
        and len({str(table.rows[i][j]) for i in totals if j < len(table.rows[i])}) > 1
    ]
    out = []
    for t in totals:
        key = tuple(str(table.rows[t][j]) for j in crossed)
        others = [
            i
            for i, row in enumerate(table.rows)
            if i not in totals and tuple(str(row[j]) for j in crossed) == key
        ]
        if level is None:
            out.append((t, others))
            continue
        by_level: dict[str, list[int]] = {}
        for i in others:
            label = str(table.rows[i][level])
            by_level.setdefault(JOINED_LEVELS.get(label, label), []).append(i)
        out += [(t, rows) for rows in by_level.values()]
    return out


def _recoverable(table: Table, columns: Sequence[int], threshold: int) -> list[Finding]:
    """Masked counts given back by subtraction from the totals written in the table."""
    out = []
    counts = set(columns)
    blocks = _blocks(table, counts)
    for j in columns:
        values = {
            i: (_number(row[j]) if j < len(row) else None) for i, row in enumerate(table.rows)
        }
        changed = True
        while changed:
            changed = False
            for total, parts in blocks:
                if len(parts) < 2:
                    continue
                cells = [total, *parts]
                unknown = [i for i in cells if values[i] is None]
                if len(unknown) != 1:
                    continue
                (i,) = unknown
                known = sum(values[k] or 0.0 for k in parts if k != i)
                got = known if i == total else (values[total] or 0.0) - known
                if got < -0.5:
                    continue  # not a partition: the rows add up to more than the total
                values[i] = got
                changed = True
                out.append(Finding(table.where, i + 1, table.header[j], "recalculable", got))
    return out


def check_table(table: Table, threshold: int, dwellings: bool = False) -> list[Finding]:
    """What ``table`` discloses (module docstring)."""
    wanted = {"personnes", "logements"} if dwellings else {"personnes"}
    columns = [j for j, h in enumerate(table.header) if kind(table, h) in wanted]
    out = _unclassified(table)
    out += _shown(table, columns, threshold)
    out += _shares(table, threshold)
    out += _recoverable(table, columns, threshold)
    return out


def scan_secrecy(
    root: Path, threshold: int, dwellings: bool = False, exclude: Iterable[Path] = ()
) -> Scan:
    """Every published table under ``root`` checked (module docstring); ``exclude``: folders of
    input files."""
    tables, excluded = read_tables(root, exclude)
    scan = Scan(tables, excluded)
    for table in tables:
        scan.findings += check_table(table, threshold, dwellings)
    return scan


def main(argv: Sequence[str] | None = None) -> int:
    """``python tests/secrecy_scan.py DOSSIER [SEUIL]``: the findings, one a line."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0])
    threshold = int(args[1]) if len(args) > 1 else 11
    data = [p for p in root.rglob("donnees") if p.is_dir()]
    scan = scan_secrecy(root, threshold, exclude=data)
    for where, rule in scan.excluded:
        print(f"hors contrôle : {where} ({rule})")
    print(f"{len(scan.tables)} tableaux lus, {len(scan.persons_tables())} avec des personnes")
    for finding in scan.findings:
        print(finding)
    return 1 if scan.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
