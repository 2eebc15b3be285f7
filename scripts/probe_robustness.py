"""Probe of « nothing lost, nothing leaked » (issue 21): malformed variants of the demo's files and
fault injections, each run through the real command line on a copy of a demo base.

Run: ``.venv/bin/python scripts/probe_robustness.py [--logements N] [--dossier D]`` (``make
probe``; about 15 minutes for the ``petite`` territory on 2 cores). A representative subset runs
in the tests (``tests/test_probe_robustness.py``).

1. A synthetic territory is generated and imported (``mixite importer``) into a reference base.
2. Variants (about 150): for each file of the territory, copies with one defect — truncated,
   header only, empty, UTF-16, Windows-1252, one Latin-1 line in UTF-8, mixed CRLF/LF, LF only,
   BOM, a line of 2 MiB, a line of 40 MiB, a doubled line, blank lines, tab separator, no header,
   binary garbage, a NUL byte, decimal commas; ``territoire.yaml`` with an alias bomb, a
   duplicate key, a tab, Latin-1, a 300-character name, an unknown key; QPV perimeters damaged
   (truncated, empty, bad code, not JSON, Lambert-93 declared as WGS84, swapped latitude and
   longitude, a point, a null geometry, a self-intersecting polygon); and cross-file defects (a
   dwelling with two households, reservations above 100 %, an SNE number without its leading
   zero, an unknown landlord). Each is imported into a copy of the reference base. Expected:
   refused in French (exit 2) with the base unchanged, read correctly (exit 0) with exactly the
   reference content, or — a self-intersecting perimeter — repaired with a French warning and
   only the QPV table changed.
   The readers outside the import get the same CSV and YAML defects: the relocation programme,
   survey and charter (``mixite relogement``, written from the reference base as the demo writes
   them), a strategy and its programming table (``exemples/strategies``) and the SRU rates
   (``tests/data/sru``), each read by its own reader in a child process: refused in French, or
   read into exactly what the intact file gives.
3. Faults: SIGKILL at 11 moments of an import, SIGINT and SIGTERM, two imports at once, ``info``
   during an import, a full disk (a small tmpfs, else a file-size limit), a read-only base
   (read-only tmpfs), damaged bases (truncated, damaged block, zeroed header, SQLite, empty,
   text). Expected: no traceback, the base in its old or its complete new state, French messages.

The summary counts variants, refusals in French, files read correctly, tracebacks, silent
changes, rows lost and bases altered; the exit status is 1 when any of the last four is not 0.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
MILLESIME = 2025
TABLE_FILES = {
    "rpls.csv": "dwellings",
    "demandes.csv": "applications",
    "attributions.csv": "attributions",
    "occupation.csv": "households",
    "reservations.csv": "reservations",
    "communes.csv": "communes",
    "bailleurs.csv": "landlords",
}


# ---------------------------------------------------------------------------------------------
# Running mixite and reading a base
# ---------------------------------------------------------------------------------------------


def mixite(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mixite`` with the project's sources."""
    return subprocess.run(
        [sys.executable, "-m", "mixite", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"},
    )


def start_mixite(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mixite", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"},
    )


def content(base: Path) -> dict[str, tuple[int, int]]:
    """Rows and an order-independent hash of every table of ``base`` (read-only)."""
    sys.path.insert(0, str(SRC))
    from mixite._duckdb import connect
    from mixite.store import STORE_TABLES

    con = connect(str(base), read_only=True)
    try:
        out = {}
        for name in STORE_TABLES:
            row = con.execute(
                f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{name}" t'
            ).fetchone()
            assert row is not None
            out[name] = (int(row[0]), int(row[1]))
        return out
    finally:
        con.close()


def copy_base(reference: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(reference, target)
    shutil.copy(
        reference.with_name(reference.name + ".cle"), target.with_name(target.name + ".cle")
    )
    os.chmod(target.with_name(target.name + ".cle"), 0o600)
    return target


def records(data: bytes) -> int:
    """Data records of a CSV file as Python's ``csv`` module counts them (header excluded)."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=";") if r]
    return max(len(rows) - 1, 0)


# ---------------------------------------------------------------------------------------------
# Variants
# ---------------------------------------------------------------------------------------------

Transform = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Variant:
    """A copy of the territory's folder with one file changed, and what must happen."""

    name: str
    file: str
    transform: Transform
    #: "refus" (exit 2, base unchanged), "identique" (exit 0, same content) or "réparé" (exit 0,
    #: a French warning saying the repair, only the file's own table changed)
    expect: str


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _non_ascii_line(data: bytes) -> int | None:
    for i, line in enumerate(_lines(data)[1:], start=1):
        if any(b >= 0x80 for b in line):
            return i
    return None


def _latin1_line(data: bytes) -> bytes:
    lines = _lines(data)
    i = _non_ascii_line(data)
    assert i is not None
    lines[i] = lines[i].decode("utf-8").encode("latin-1")
    return b"".join(lines)


def _big_line(size: int) -> Transform:
    def apply(data: bytes) -> bytes:
        lines = _lines(data)
        fields = lines[1].rstrip(b"\r\n").split(b";")
        fields[-1] = b"X" * size
        lines[1] = b";".join(fields) + b"\r\n"
        return b"".join(lines)

    return apply


def _decimal_commas(data: bytes) -> bytes:
    lines = _lines(data)
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.rstrip(b"\r\n").split(b";")
        fields = [
            f.replace(b".", b",")
            if f.count(b".") == 1 and f.replace(b".", b"").lstrip(b"-").isdigit()
            else f
            for f in fields
        ]
        out.append(b";".join(fields) + line[len(line.rstrip(b"\r\n")) :])
    return b"".join(out)


def _mixed_endings(data: bytes) -> bytes:
    lines = [line.rstrip(b"\r\n") for line in _lines(data)]
    return b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines))


def csv_variants(file: str, data: bytes) -> list[Variant]:
    """The defects applied to each CSV file of the territory."""
    out = [
        Variant("tronqué au milieu d'une ligne", file, _truncated, "refus"),
        Variant("en-tête seul", file, lambda d: _lines(d)[0], "refus"),
        Variant("fichier vide", file, lambda d: b"", "refus"),
        Variant("UTF-16", file, lambda d: d.decode("utf-8").encode("utf-16"), "refus"),
        Variant("LF seulement", file, lambda d: d.replace(b"\r\n", b"\n"), "identique"),
        Variant("CRLF et LF mélangés", file, _mixed_endings, "identique"),
        Variant("BOM UTF-8 ajouté", file, lambda d: b"\xef\xbb\xbf" + d, "identique"),
        Variant("ligne de 2 Mio", file, _big_line(2 << 20), "refus"),
        Variant(
            "lignes vides intercalées",
            file,
            lambda d: b"".join(line + b"\r\n" for line in _lines(d)),
            "identique",
        ),
        Variant(
            "séparateur tabulation",
            file,
            lambda d: d.replace(b";", b"\t"),
            "refus",
        ),
        Variant("sans en-tête", file, lambda d: b"".join(_lines(d)[1:]), "refus"),
        Variant("octets binaires ajoutés", file, lambda d: d + os.urandom(64) + b"\x00", "refus"),
        Variant("octet NUL", file, lambda d: d[:40] + b"\x00" + d[40:], "refus"),
        Variant("ligne incomplète", file, lambda d: _drop_last_field(d), "refus"),
        Variant("guillemet non fermé", file, lambda d: _open_quote(d), "refus"),
    ]
    if file != "communes.csv":
        out.append(
            Variant(
                "ligne en double",
                file,
                lambda d: b"".join([*_lines(d)[:2], _lines(d)[1], *_lines(d)[2:]]),
                "refus",
            )
        )
    if _non_ascii_line(data) is not None:
        out.append(
            Variant(
                "Windows-1252",
                file,
                lambda d: d.decode("utf-8").encode("cp1252"),
                "identique",
            )
        )
        out.append(Variant("une ligne en Latin-1 dans de l'UTF-8", file, _latin1_line, "refus"))
    if any(
        f.count(b".") == 1 and f.replace(b".", b"").isdigit()
        for line in _lines(data)[1:4]
        for f in line.split(b";")
    ):
        out.append(Variant("virgules décimales", file, _decimal_commas, "identique"))
    if file == "rpls.csv":
        out.append(Variant("ligne de 40 Mio", file, _big_line(40 << 20), "refus"))
    return [Variant(f"{file} : {v.name}", v.file, v.transform, v.expect) for v in out]


def _truncated(data: bytes) -> bytes:
    """``data`` cut in the middle of the line at its middle (never at a line break: a file cut
    between two lines is a valid, shorter file)."""
    middle = len(data) // 2
    start = data.rfind(b"\n", 0, middle) + 1
    end = data.find(b"\n", middle)
    end = len(data) if end < 0 else end
    return data[: start + max(1, (end - start) // 2)]


def _drop_last_field(data: bytes) -> bytes:
    lines = _lines(data)
    body = lines[2].rstrip(b"\r\n")
    lines[2] = body[: body.rfind(b";")] + b"\r\n"
    return b"".join(lines)


def _open_quote(data: bytes) -> bytes:
    lines = _lines(data)
    fields = lines[2].split(b";")
    fields[1] = b'"' + fields[1]
    lines[2] = b";".join(fields)
    return b"".join(lines)


ALIAS_BOMB = (
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    b"nom: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
)


def yaml_variants() -> list[Variant]:
    file = "territoire.yaml"
    out = [
        Variant(
            "bombe d'alias", file, lambda d: ALIAS_BOMB + b'siren_epci: "200035947"\n', "refus"
        ),
        Variant("clé en double", file, lambda d: d + b"nom: Autre\n", "refus"),
        Variant("tabulation", file, lambda d: b"\t" + d, "refus"),
        Variant("Latin-1", file, lambda d: d.decode("utf-8").encode("latin-1"), "refus"),
        Variant("vide", file, lambda d: b"", "refus"),
        Variant("nom de 300 caractères", file, _long_name, "refus"),
        Variant("clé inconnue", file, lambda d: d + b"sirene: 1\n", "refus"),
        Variant(
            "imbrication profonde",
            file,
            lambda d: d + b"x: " + b"[" * 500 + b"]" * 500 + b"\n",
            "refus",
        ),
    ]
    return [Variant(f"{file} : {v.name}", v.file, v.transform, v.expect) for v in out]


def _long_name(data: bytes) -> bytes:
    lines = [ln for ln in _lines(data) if not ln.startswith(b"nom:")]
    return b"nom: " + b"N" * 300 + b"\n" + b"".join(lines)


def qpv_variants() -> list[Variant]:
    file = "qpv.geojson"
    out = [
        Variant("tronqué", file, lambda d: d[: len(d) // 2], "refus"),
        Variant(
            "sans entité", file, lambda d: b'{"type": "FeatureCollection", "features": []}', "refus"
        ),
        Variant("code mal formé", file, lambda d: d.replace(b'"QN', b'"XQ', 1), "refus"),
        Variant("pas du JSON", file, lambda d: b"ceci n'est pas un GeoJSON", "refus"),
        Variant("Lambert-93 déclaré en WGS84", file, _geometry(_lambert), "refus"),
        Variant("latitude et longitude inversées", file, _geometry(_swapped), "refus"),
        Variant("point au lieu d'un polygone", file, _geometry(_point), "refus"),
        Variant("géométrie nulle", file, _geometry(lambda g: None), "refus"),
        # documented: repaired by GEOS and said at the import (docs/formats.md §4)
        Variant("polygone auto-intersecté", file, _geometry(_bowtie), "réparé"),
    ]
    return [Variant(f"{file} : {v.name}", v.file, v.transform, v.expect) for v in out]


Geometry = dict[str, object] | None


def _geometry(change: Callable[[dict[str, object]], Geometry]) -> Transform:
    """The GeoJSON with the first feature's geometry replaced by ``change(geometry)``."""

    def apply(data: bytes) -> bytes:
        collection = json.loads(data)
        feature = collection["features"][0]
        feature["geometry"] = change(feature["geometry"])
        return json.dumps(collection).encode("utf-8")

    return apply


def _map_points(
    geometry: dict[str, object], point: Callable[[list[float]], list[float]]
) -> dict[str, object]:
    def walk(node: object) -> object:
        if isinstance(node, list) and node and isinstance(node[0], (int, float)):
            return point([float(v) for v in node])
        if isinstance(node, list):
            return [walk(n) for n in node]
        return node

    return {**geometry, "coordinates": walk(geometry["coordinates"])}


def _lambert(geometry: dict[str, object]) -> Geometry:
    # Lambert-93 metres (about 700 000, 6 600 000) written where degrees are expected
    return _map_points(geometry, lambda p: [700000 + p[0] * 1000, 6600000 + p[1] * 1000])


def _swapped(geometry: dict[str, object]) -> Geometry:
    return _map_points(geometry, lambda p: [p[1], p[0]])


def _point(geometry: dict[str, object]) -> Geometry:
    ring = geometry["coordinates"][0]  # type: ignore[index]
    return {"type": "Point", "coordinates": ring[0]}


def _bowtie(geometry: dict[str, object]) -> Geometry:
    ring = geometry["coordinates"][0]  # type: ignore[index]
    x, y = ring[0]
    d = 0.01
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]],
    }


def _set_field(data: bytes, row: int, column: str, value: Callable[[bytes, bytes], bytes]) -> bytes:
    """``data`` with the field ``column`` of line ``row`` replaced by ``value(first, own)``
    (``first``: the field on the first data line, ``own``: its current value)."""
    lines = _lines(data)
    index = lines[0].rstrip(b"\r\n").split(b";").index(column.encode())
    first = lines[1].rstrip(b"\r\n").split(b";")[index]
    body = lines[row].rstrip(b"\r\n")
    fields = body.split(b";")
    fields[index] = value(first, fields[index])
    lines[row] = b";".join(fields) + lines[row][len(body) :]
    return b"".join(lines)


def cross_variants() -> list[Variant]:
    out = [
        Variant(
            "occupation.csv : un logement occupé par deux ménages",
            "occupation.csv",
            lambda d: _set_field(d, 2, "IDENT_INT", lambda first, own: first),
            "refus",
        ),
        Variant(
            "reservations.csv : parts de plus de 100 %",
            "reservations.csv",
            lambda d: _set_field(d, 1, "part_flux", lambda first, own: b"0.99"),
            "refus",
        ),
        Variant(
            "demandes.csv : numéro unique sans son zéro initial",
            "demandes.csv",
            lambda d: _set_field(d, 3, "numero_unique", lambda first, own: own[1:]),
            "refus",
        ),
        Variant(
            "attributions.csv : bailleur inconnu",
            "attributions.csv",
            lambda d: _set_field(d, 1, "IDENT_REP", lambda first, own: b"999999999"),
            "refus",
        ),
    ]
    return out


def all_variants(folder: Path) -> list[Variant]:
    out: list[Variant] = []
    for file in TABLE_FILES:
        out.extend(csv_variants(file, (folder / file).read_bytes()))
    out.extend(yaml_variants())
    out.extend(qpv_variants())
    out.extend(cross_variants())
    return out


# ---------------------------------------------------------------------------------------------
# Readers outside the import (relocation, strategies, SRU)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderCase:
    """A file read by its own reader (not by ``mixite importer``): the sample to damage, its
    kind (the reader of ``benchmarks/readers.py``), the territory's communes when the reader
    checks them, and the folder copied around it (``root``: the sample's folder by default; the
    examples' folder for a strategy, which names scenarios in a sibling folder)."""

    file: str
    sample: Path
    kind: str
    root: Path | None = None
    communes: tuple[str, ...] | None = None

    @property
    def folder(self) -> Path:
        return self.sample.parent if self.root is None else self.root


#: What a reader returns, reduced to a digest printed by the child process.
_READER_CHILD = """
import hashlib, sys
from pathlib import Path
import pandas as pd
from benchmarks.readers import read_kind
from mixite.errors import MixiteError
path = Path(sys.argv[1])
try:
    value = read_kind({kind!r}, path, known_communes={communes!r})
except MixiteError as exc:
    print("Erreur : " + str(exc), file=sys.stderr)
    raise SystemExit(2)
value = getattr(value, "strategy", value)  # a loaded strategy: its content, not its paths
if isinstance(value, pd.DataFrame):
    text = value.to_csv(index=False)
else:
    text = repr(value)
print(len(value) if isinstance(value, pd.DataFrame) else -1)
print(hashlib.sha256(text.encode()).hexdigest())
"""


def reader_cases(work: Path, reference: Path) -> list[ReaderCase]:
    """The readers of the relocation files (``mixite relogement``), the strategies (``mixite
    projeter``) and the SRU inventory: on the relocation files of the territory (written as the
    demo writes them, from the reference base), the examples and the test data."""
    sys.path.insert(0, str(SRC))
    from mixite.store import Store
    from mixite.synth.relogement import write_relocation_files

    relocation = work / "relogement"
    with Store(reference) as store:
        communes = sorted(store.read("communes", MILLESIME)["commune"].astype(str))
        if not (relocation / "programme.csv").is_file():
            write_relocation_files(
                relocation,
                store.read("dwellings", MILLESIME),
                store.read("households", MILLESIME),
                MILLESIME,
                2025,
            )
    strategies = ROOT / "exemples" / "strategies"
    sru = ROOT / "tests" / "data" / "sru" / "taux_logements_sociaux_95_2024.csv"
    return [
        ReaderCase("programme.csv", relocation / "programme.csv", "programme_relogement"),
        ReaderCase("enquete.csv", relocation / "enquete.csv", "enquete", communes=tuple(communes)),
        ReaderCase("charte.yaml", relocation / "charte.yaml", "charte"),
        ReaderCase(
            "contrastee.yaml", strategies / "contrastee.yaml", "strategie", ROOT / "exemples"
        ),
        ReaderCase("programmation_plh.csv", strategies / "programmation_plh.csv", "programmation"),
        ReaderCase("taux_sru.csv", sru, "sru"),
    ]


def reader_variants(case: ReaderCase) -> list[Variant]:
    data = case.sample.read_bytes()
    if case.file.endswith(".yaml"):
        out = [v for v in yaml_variants() if not v.name.endswith(("nom de 300 caractères",))]
        return [
            Variant(f"{case.file} : {v.name.split(' : ', 1)[1]}", case.file, v.transform, v.expect)
            for v in out
        ]
    return [
        Variant(f"{case.file} : {v.name.split(' : ', 1)[1]}", case.file, v.transform, v.expect)
        for v in csv_variants(case.file, data)
        if "Mio" not in v.name or "2 Mio" in v.name
    ]


def read_with(case: ReaderCase, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            _READER_CHILD.format(kind=case.kind, communes=case.communes),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(SRC), str(ROOT))), "COLUMNS": "200"},
    )


#: What each reader gives on its intact file (read once per file).
_INTACT: dict[str, subprocess.CompletedProcess[str]] = {}


def run_reader_variant(case: ReaderCase, variant: Variant, work: Path, report: Report) -> None:
    """Read a damaged copy of ``case``'s file with its reader: refused in French, or read into
    exactly what the intact file gives (same rows, same values)."""
    place = work / "lecteur"
    shutil.rmtree(place, ignore_errors=True)
    shutil.copytree(case.folder, place)
    target = place / case.sample.relative_to(case.folder)
    expected = _INTACT.get(case.file)
    if expected is None:
        expected = _INTACT[case.file] = read_with(case, target)
    if expected.returncode != 0:
        report.fail(
            f"{case.file} : le fichier intact n'est pas lu ({expected.stderr[-300:]})", "tracebacks"
        )
        return
    data = variant.transform(case.sample.read_bytes())
    target.write_bytes(data)
    done = read_with(case, target)
    report.variants += 1
    if "Traceback" in done.stderr or done.returncode not in (0, 2):
        report.fail(
            f"{variant.name} : trace ou code {done.returncode} : {done.stderr[-300:]}", "tracebacks"
        )
        return
    if done.returncode == 2:
        report.refused += 1
        if not _french_refusal(done.stderr):
            report.fail(
                f"{variant.name} : message non français : {done.stderr[:200]}", "not_french"
            )
        if variant.expect == "identique":
            report.problems.append(
                f"{variant.name} : refusé alors qu'il devait être lu ({done.stderr.strip()[:200]})"
            )
        return
    rows, digest = done.stdout.split()
    expected_rows, expected_digest = expected.stdout.split()
    if case.file.endswith(".csv") and int(rows) != records(data):
        report.fail(
            f"{variant.name} : {rows} lignes lues pour {records(data)} enregistrements", "rows_lost"
        )
    if (rows, digest) != (expected_rows, expected_digest):
        report.fail(
            f"{variant.name} : lu avec un contenu différent (changement silencieux)",
            "silent_changes",
        )
        return
    if variant.expect == "refus":
        report.problems.append(
            f"{variant.name} : accepté alors qu'un refus était attendu (contenu identique)"
        )
    report.read_correctly += 1


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


@dataclass
class Report:
    """What the probe found."""

    variants: int = 0
    refused: int = 0
    read_correctly: int = 0
    repaired: int = 0
    tracebacks: int = 0
    silent_changes: int = 0
    rows_lost: int = 0
    bases_altered: int = 0
    not_french: int = 0
    faults: int = 0
    fault_failures: int = 0
    problems: list[str] = field(default_factory=list)

    def fail(self, what: str, counter: str) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        self.problems.append(what)

    @property
    def ok(self) -> bool:
        return not (
            self.tracebacks
            or self.silent_changes
            or self.rows_lost
            or self.bases_altered
            or self.not_french
            or self.fault_failures
        )


def _french_refusal(stderr: str) -> bool:
    """A French refusal: a line « Erreur : … », no traceback, no internal error."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    error = [line for line in lines if line.startswith("Erreur :")]
    return bool(error) and "Traceback" not in stderr and "erreur interne" not in stderr


def run_variant(
    variant: Variant,
    folder: Path,
    reference: Path,
    expected: dict[str, tuple[int, int]],
    work: Path,
    report: Report,
) -> None:
    """Import ``variant`` into a copy of the reference base and check the outcome."""
    case = work / "variante"
    shutil.rmtree(case, ignore_errors=True)
    shutil.copytree(folder, case)
    data = variant.transform((folder / variant.file).read_bytes())
    (case / variant.file).write_bytes(data)
    base = copy_base(reference, work / "base" / "territoire.duckdb")
    before = base.read_bytes()
    done = mixite("importer", "--base", base, "--millesime", MILLESIME, "--dossier", case)
    report.variants += 1
    if "Traceback" in done.stderr or done.returncode not in (0, 2):
        report.fail(
            f"{variant.name} : trace ou code {done.returncode} : {done.stderr[-300:]}", "tracebacks"
        )
        return
    if done.returncode == 2:
        report.refused += 1
        if not _french_refusal(done.stderr):
            report.fail(
                f"{variant.name} : message non français : {done.stderr[:200]}", "not_french"
            )
        if base.read_bytes() != before:
            report.fail(f"{variant.name} : base modifiée par un import refusé", "bases_altered")
        if variant.expect == "identique":
            report.problems.append(
                f"{variant.name} : refusé alors qu'il devait être lu ({done.stderr.strip()[:200]})"
            )
        return
    got = content(base)
    table = TABLE_FILES.get(variant.file)
    if variant.expect == "réparé":
        changed = {t for t in got if got[t] != expected.get(t)}
        own = {TABLE_FILES.get(variant.file, "qpv")}
        if "réparé" not in done.stderr or not done.stderr.lstrip().startswith("Attention"):
            report.fail(f"{variant.name} : réparé sans le dire", "silent_changes")
        elif changed - own:
            report.fail(
                f"{variant.name} : tables changées {sorted(changed - own)}", "silent_changes"
            )
        else:
            report.repaired += 1
        return
    ignored = "ignorés" in done.stderr and variant.file in done.stderr
    if ignored:
        report.problems.append(
            f"{variant.name} : fichier ignoré (non reconnu) : {done.stderr[:200]}"
        )
    elif table is not None and got[table][0] != records(data):
        report.fail(
            f"{variant.name} : {got[table][0]} lignes importées pour {records(data)} enregistrements",
            "rows_lost",
        )
    if got != expected:
        report.fail(
            f"{variant.name} : accepté avec un contenu différent (changement silencieux)",
            "silent_changes",
        )
        return
    if variant.expect == "refus":
        report.problems.append(
            f"{variant.name} : accepté alors qu'un refus était attendu (contenu identique)"
        )
    report.read_correctly += 1


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------


def _states_ok(
    base: Path, old: dict[str, tuple[int, int]], new: dict[str, tuple[int, int]]
) -> bool:
    try:
        state = content(base)
    except Exception:
        return False
    return state in (old, new)


def fault_kills(
    folder: Path, reference: Path, work: Path, report: Report, moments: int = 11
) -> None:
    """SIGKILL at ``moments`` moments of an import of a new millésime, then SIGINT and SIGTERM."""
    old = content(reference)
    full = copy_base(reference, work / "complet" / "territoire.duckdb")
    start = time.perf_counter()
    done = mixite("importer", "--base", full, "--millesime", MILLESIME + 1, "--dossier", folder)
    duration = time.perf_counter() - start
    if done.returncode != 0:
        report.fail(
            f"import de référence du millésime {MILLESIME + 1} : {done.stderr[-300:]}",
            "fault_failures",
        )
        return
    new = content(full)
    cases = [(signal.SIGKILL, duration * (i + 0.5) / moments) for i in range(moments)]
    cases += [(signal.SIGINT, duration * 0.6), (signal.SIGTERM, duration * 0.6)]
    for number, (sig, delay) in enumerate(cases):
        base = copy_base(reference, work / f"kill{number}" / "territoire.duckdb")
        process = start_mixite(
            "importer", "--base", base, "--millesime", MILLESIME + 1, "--dossier", folder
        )
        time.sleep(delay)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=600)
        report.faults += 1
        name = f"{signal.Signals(sig).name} à {delay:.1f} s"
        if "Traceback" in stderr:
            report.fail(f"{name} : trace Python : {stderr[-300:]}", "fault_failures")
        if not _states_ok(base, old, new):
            report.fail(
                f"{name} : base ni dans l'état d'avant ni dans l'état complet", "fault_failures"
            )
        shutil.rmtree(base.parent, ignore_errors=True)


def fault_concurrency(folder: Path, reference: Path, work: Path, report: Report) -> None:
    """Two imports at once, and ``info`` during an import."""
    old = content(reference)
    full = copy_base(reference, work / "complet2" / "territoire.duckdb")
    mixite("importer", "--base", full, "--millesime", MILLESIME + 1, "--dossier", folder)
    new = content(full)
    base = copy_base(reference, work / "double" / "territoire.duckdb")
    first = start_mixite(
        "importer", "--base", base, "--millesime", MILLESIME + 1, "--dossier", folder
    )
    second = start_mixite(
        "importer", "--base", base, "--millesime", MILLESIME + 1, "--dossier", folder
    )
    outs = [p.communicate(timeout=900) for p in (first, second)]
    report.faults += 1
    for process, (_, stderr) in zip((first, second), outs, strict=True):
        if "Traceback" in stderr or process.returncode not in (0, 2):
            report.fail(
                f"deux imports à la fois : code {process.returncode} {stderr[-300:]}",
                "fault_failures",
            )
    if not _states_ok(base, old, new):
        report.fail("deux imports à la fois : base incohérente", "fault_failures")
    base = copy_base(reference, work / "info" / "territoire.duckdb")
    importing = start_mixite(
        "importer", "--base", base, "--millesime", MILLESIME + 1, "--dossier", folder
    )
    time.sleep(1.0)
    info = mixite("info", "--base", base)
    importing.communicate(timeout=900)
    report.faults += 1
    if "Traceback" in info.stderr or info.returncode not in (0, 2):
        report.fail(
            f"info pendant un import : code {info.returncode} {info.stderr[-300:]}",
            "fault_failures",
        )
    if info.returncode == 2 and not _french_refusal(info.stderr):
        report.fail(
            f"info pendant un import : message non français {info.stderr[:200]}", "fault_failures"
        )


def _mount_tmpfs(target: Path, size: str, read_only: bool = False) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True
    )
    return done.returncode == 0


def _umount(target: Path) -> None:
    subprocess.run(["umount", str(target)], capture_output=True)


def fault_disk(folder: Path, reference: Path, work: Path, report: Report) -> None:
    """A full disk (a tmpfs of 1 MiB for a new base; for an existing base, a tmpfs just large
    enough to hold it and its key) and a read-only base."""
    mount = work / "disque"
    for existing in (False, True):
        # The existing base must fit on the small disk, the import must not.
        room = reference.stat().st_size + 256 * 1024 if existing else 1024 * 1024
        if not _mount_tmpfs(mount, f"{room // 1024}k"):
            report.problems.append(
                "disque plein : tmpfs indisponible (montage refusé), cas non joué"
            )
            break
        try:
            base = mount / "territoire.duckdb"
            if existing:
                shutil.copy(reference, base)
                shutil.copy(
                    reference.with_name(reference.name + ".cle"),
                    mount / "territoire.duckdb.cle",
                )
            done = mixite("importer", "--base", base, "--millesime", MILLESIME, "--dossier", folder)
            report.faults += 1
            label = "disque plein (base existante)" if existing else "disque plein (nouvelle base)"
            if done.returncode == 0:
                report.problems.append(f"{label} : l'import a tenu dans l'espace disponible")
                continue
            if not _french_refusal(done.stderr) or "Espace disque insuffisant" not in done.stderr:
                report.fail(f"{label} : {done.stderr[-300:]}", "fault_failures")
            if not existing and base.exists() and base.stat().st_size == 0:
                report.fail(f"{label} : base vide laissée", "fault_failures")
            if not existing and base.exists():
                report.fail(f"{label} : base partielle laissée", "fault_failures")
            if existing and content(base) != content(reference):
                report.fail(f"{label} : base existante modifiée", "fault_failures")
        finally:
            _umount(mount)
    read_only = work / "lecture_seule"
    if _mount_tmpfs(read_only, "64m"):
        try:
            copy_base(reference, read_only / "territoire.duckdb")
            subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
            before = content(read_only / "territoire.duckdb")
            done = mixite(
                "importer",
                "--base",
                read_only / "territoire.duckdb",
                "--millesime",
                MILLESIME,
                "--dossier",
                folder,
            )
            info = mixite("info", "--base", read_only / "territoire.duckdb")
            report.faults += 2
            if done.returncode != 2 or not _french_refusal(done.stderr):
                report.fail(
                    f"base en lecture seule : import code {done.returncode} {done.stderr[-300:]}",
                    "fault_failures",
                )
            if info.returncode != 0 or "Traceback" in info.stderr:
                report.fail(
                    f"base en lecture seule : info code {info.returncode} {info.stderr[-300:]}",
                    "fault_failures",
                )
            if content(read_only / "territoire.duckdb") != before:
                report.fail("base en lecture seule : contenu modifié", "fault_failures")
        finally:
            _umount(read_only)
    else:
        report.problems.append("base en lecture seule : tmpfs indisponible, cas non joué")


def damaged_bases(reference: Path) -> dict[str, Callable[[Path], None]]:
    """Ways of damaging a copy of the base (applied in place)."""

    def truncate(path: Path) -> None:
        os.truncate(path, path.stat().st_size // 2)

    def block(path: Path) -> None:
        with path.open("r+b") as handle:
            handle.seek(path.stat().st_size // 2)
            handle.write(os.urandom(8192))

    def header(path: Path) -> None:
        with path.open("r+b") as handle:
            handle.write(b"\x00" * 4096)

    def sqlite(path: Path) -> None:
        path.unlink()
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE t (x INTEGER)")

    def empty(path: Path) -> None:
        path.write_bytes(b"")

    def text(path: Path) -> None:
        path.write_text("code_commune;nom\n95127;Cergy\n", encoding="utf-8")

    return {
        "base tronquée": truncate,
        "bloc endommagé": block,
        "en-tête effacé": header,
        "fichier SQLite": sqlite,
        "fichier vide": empty,
        "fichier texte": text,
    }


def fault_damaged(folder: Path, reference: Path, work: Path, report: Report) -> None:
    for name, damage in damaged_bases(reference).items():
        base = copy_base(reference, work / "abimee" / "territoire.duckdb")
        damage(base)
        before = base.read_bytes()
        for command in (
            ("importer", "--base", base, "--millesime", MILLESIME, "--dossier", folder),
            ("info", "--base", base),
        ):
            done = mixite(*command)
            report.faults += 1
            label = f"{name} ({command[0]})"
            if "Traceback" in done.stderr or done.returncode not in (0, 2):
                report.fail(
                    f"{label} : code {done.returncode} {done.stderr[-300:]}", "fault_failures"
                )
            elif command[0] == "importer" and done.returncode != 2:
                report.fail(f"{label} : import accepté sur une base abîmée", "fault_failures")
            elif done.returncode == 2 and not _french_refusal(done.stderr):
                report.fail(f"{label} : message non français {done.stderr[:200]}", "fault_failures")
            if base.read_bytes() != before:
                report.fail(f"{label} : base modifiée", "fault_failures")
        shutil.rmtree(base.parent, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def prepare(
    work: Path, dwellings: int | None, size: str
) -> tuple[Path, Path, dict[str, tuple[int, int]]]:
    """Generate the territory and import it: ``(folder, reference base, its content)``."""
    folder = work / "donnees"
    args = ["generer", "--dossier", folder]
    args += ["--logements", str(dwellings)] if dwellings else ["--taille", size]
    done = mixite(*args)
    if done.returncode != 0:
        raise SystemExit(f"génération impossible : {done.stderr}")
    (folder / "calibration.md").unlink(missing_ok=True)
    reference = work / "reference" / "territoire.duckdb"
    reference.parent.mkdir(parents=True)
    done = mixite("importer", "--base", reference, "--millesime", MILLESIME, "--dossier", folder)
    if done.returncode != 0:
        raise SystemExit(f"import de référence impossible : {done.stderr}")
    return folder, reference, content(reference)


def probe(
    work: Path,
    dwellings: int | None = None,
    size: str = "petite",
    faults: bool = True,
    verbose: bool = False,
) -> Report:
    folder, reference, expected = prepare(work, dwellings, size)
    report = Report()
    variants = all_variants(folder)
    for number, variant in enumerate(variants, start=1):
        run_variant(variant, folder, reference, expected, work, report)
        if verbose:
            print(f"[{number}/{len(variants)}] {variant.name}", flush=True)
    for case in reader_cases(work, reference):
        for variant in reader_variants(case):
            run_reader_variant(case, variant, work, report)
            if verbose:
                print(f"[lecteur] {variant.name}", flush=True)
    if faults:
        fault_kills(folder, reference, work, report)
        fault_concurrency(folder, reference, work, report)
        fault_disk(folder, reference, work, report)
        fault_damaged(folder, reference, work, report)
    return report


def print_report(report: Report) -> None:
    print(f"variantes importées : {report.variants}")
    print(f"  refusées en français, base inchangée : {report.refused}")
    print(f"  lues correctement (contenu identique à la référence) : {report.read_correctly}")
    print(f"  lues avec une réparation annoncée : {report.repaired}")
    print(f"traces Python : {report.tracebacks}")
    print(f"changements silencieux : {report.silent_changes}")
    print(f"lignes perdues : {report.rows_lost}")
    print(f"bases modifiées par un import refusé : {report.bases_altered}")
    print(f"messages non français : {report.not_french}")
    print(f"pannes injectées : {report.faults}, en échec : {report.fault_failures}")
    for problem in report.problems:
        print("  - " + problem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logements", type=int, default=None)
    parser.add_argument("--taille", default="petite")
    parser.add_argument("--dossier", type=Path, default=None)
    parser.add_argument("--sans-pannes", action="store_true")
    args = parser.parse_args(argv)
    work = args.dossier or Path(tempfile.mkdtemp(prefix="mixite-sonde-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = probe(work, args.logements, args.taille, faults=not args.sans_pannes, verbose=True)
    print_report(report)
    print(f"durée : {time.perf_counter() - start:.0f} s")
    if args.dossier is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
