"""Fuzzing every reader and ``importer`` with mutations of valid official files (issue 15, item 8).

Run: ``.venv/bin/python -m benchmarks.fuzz_readers [--entrees N] [--graine S]`` (``make fuzz``;
default 100,000 inputs, about an hour on one core). A 2,000-input sample runs in the tests
(``tests/test_fuzz_readers.py``).

Seeds are valid files of a tiny synthetic territory written by ``mixite.synth`` in the official
formats (RPLS, demandes, attributions, occupation, réservations, communes, bailleurs, QPV
GeoJSON, ``territoire.yaml``) plus a column mapping, an SRU file, the files of a relocation
operation (programme, social survey, follow-up table, charter) and a strategy with its
programming table, each cut to a few rows. Hypothesis drives
the mutations (``st.randoms``, in batches of ``BATCH`` examples with their own seed, generation
only, so that a failure is counted rather than shrunk): truncations, re-encodings (Windows-1252,
Latin-1, UTF-16, BOM), swapped, duplicated or dropped columns, random bytes, NUL bytes, huge
fields (below and above the 1 MiB line limit), CRLF/LF/CR mixes, decimal commas, deleted or
doubled lines, stray quotes and separators, YAML aliases, duplicate keys and deep nesting.

Each input goes through its reader; every ``IMPORT_EVERY``-th also through the import job
(``jobs.importing.import_files``, what ``mixite importer`` runs) into a store, whose file must
be byte for byte unchanged after a refused import. Only ``MixiteError`` may escape: any other
exception is counted, and its first occurrences are printed with the input that raised it.
The run prints its count of inputs, of refusals, of uncaught exceptions and of stores altered.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks.readers import read_kind

from mixite.errors import MixiteError

#: Readers fuzzed, with the seed file each mutates.
KINDS = (
    "rpls",
    "demandes",
    "attributions",
    "occupation",
    "reservations",
    "communes",
    "bailleurs",
    "qpv",
    "territoire",
    "correspondance",
    "engagements",
    "contours",
    "sru",
    "programme_relogement",
    "enquete",
    "suivi_relogement",
    "charte",
    "strategie",
    "programmation",
)
SEED_FILES = {
    "rpls": "rpls.csv",
    "demandes": "demandes.csv",
    "attributions": "attributions.csv",
    "occupation": "occupation.csv",
    "reservations": "reservations.csv",
    "communes": "communes.csv",
    "bailleurs": "bailleurs.csv",
    "qpv": "qpv.geojson",
    "territoire": "territoire.yaml",
    "correspondance": "correspondance.yaml",
    "engagements": "engagements.yaml",
    "contours": "communes.geojson",
    "sru": "sru.csv",
    "programme_relogement": "programme.csv",
    "enquete": "enquete.csv",
    "suivi_relogement": "suivi-relogement.csv",
    "charte": "charte.yaml",
    "strategie": "strategies/offre.yaml",
    "programmation": "strategies/programmation_plh.csv",
}
#: Kinds read by their own reader only (files that ``mixite importer`` does not take).
READ_ONLY = frozenset(
    (
        "sru",
        "programme_relogement",
        "enquete",
        "suivi_relogement",
        "charte",
        "strategie",
        "programmation",
    )
)
#: Kinds mutated as YAML and as GeoJSON (the others as CSV).
YAML_KINDS = frozenset(("territoire", "correspondance", "engagements", "charte", "strategie"))
GEO_KINDS = frozenset(("qpv", "contours"))
PROJECT = Path(__file__).parents[1]
#: Store table of each kind (for the import job).
TABLE = {
    "rpls": "dwellings",
    "demandes": "applications",
    "attributions": "attributions",
    "occupation": "households",
    "reservations": "reservations",
    "communes": "communes",
    "bailleurs": "landlords",
    "qpv": "qpv",
    "territoire": "territory",
    "correspondance": "applications",
    "engagements": "commitments",
    "contours": "commune_contours",
}
ROWS = 12
BATCH = 500
IMPORT_EVERY = 10
MAX_MUTATIONS = 3
#: The 1 MiB line limit of the CSV engine, for fields just below and above it.
LINE_LIMIT = 1 << 20


# ---------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------


@dataclass
class Seeds:
    """Valid seed files (bytes) and the folder holding them."""

    folder: Path
    data: dict[str, bytes]
    communes: list[str]


def _head(data: bytes, rows: int) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join(lines[: rows + 1])


def _extra_seeds(folder: Path) -> None:
    """Seeds of the readers ``mixite importer`` does not take: an SRU file (real Val-d'Oise
    rates of the tests), the territory's synthetic NPNRU operation (programme, survey, charter)
    and the follow-up its relocation plan writes, and a strategy with its programming table
    (the project's examples, with the scenario and grid they name)."""
    from mixite.jobs.importing import import_files, plan_import
    from mixite.jobs.trajectoires import read_relocation_inputs, relocation
    from mixite.reports.trajectoires import write_relocation
    from mixite.store import Store
    from mixite.synth.relogement import write_relocation_files

    sru = PROJECT / "tests" / "data" / "sru" / "taux_logements_sociaux_95_2024.csv"
    (folder / "sru.csv").write_bytes(sru.read_bytes())
    base = folder.parent / "graine.duckdb"
    import_files(base, 2025, plan_import({}, folder, None))
    with Store(base) as store:
        files = write_relocation_files(
            folder,
            store.read("dwellings", 2025),
            store.read("households", 2025),
            2025,
            seed=7,
            max_households=ROWS,
        )
    inputs = read_relocation_inputs(base, files.programme, files.survey, files.charter)
    with Store(base) as store:
        result = relocation(store, inputs, seed=7)
    outputs = write_relocation(result, folder.parent / "plan")
    (folder / "suivi-relogement.csv").write_bytes(outputs.followup.read_bytes())
    for sub, names in (
        ("strategies", ("offre.yaml", "programmation_plh.csv")),
        ("scenarios", ("reference.yaml",)),
        ("grilles", ("lyon_illustrative.yaml",)),
    ):
        (folder / sub).mkdir(exist_ok=True)
        for name in names:
            (folder / sub / name).write_bytes((PROJECT / "exemples" / sub / name).read_bytes())


def make_seeds(folder: Path) -> Seeds:
    """Write a tiny synthetic territory (and the seeds of the other readers) into ``folder``
    and cut each CSV to ``ROWS`` rows."""
    from mixite.synth import generate, size_profile

    generate(folder, np.random.default_rng(2025), size_profile(dwellings=200), 2025)
    _extra_seeds(folder)
    data: dict[str, bytes] = {}
    for kind, name in SEED_FILES.items():
        path = folder / name
        if kind == "correspondance":
            continue
        raw = path.read_bytes()
        data[kind] = _head(raw, ROWS) if name.endswith(".csv") and kind != "communes" else raw
        path.write_bytes(data[kind])
    # A local extract of the applications with its own header, and its mapping file.
    header, *rest = data["demandes"].split(b"\n", 1)
    local = header.replace(b"numero_unique", b"N\xc2\xb0 demande").replace(
        b"date_depot", b"D\xc3\xa9p\xc3\xb4t"
    )
    (folder / "demandes_local.csv").write_bytes(local + b"\n" + (rest[0] if rest else b""))
    data["correspondance"] = (
        'table: demandes\ncolonnes:\n  "N° demande": numero_unique\n  "Dépôt": date_depot\n'
        'valeurs:\n  logement_actuel:\n    "Locataire HLM": locataire_hlm\n'
    ).encode()
    (folder / "correspondance.yaml").write_bytes(data["correspondance"])
    (folder / "calibration.md").unlink(missing_ok=True)
    text = (folder / "communes.csv").read_text(encoding="utf-8").splitlines()[1:]
    communes = [line.split(";")[0] for line in text if line]
    return Seeds(folder, data, communes)


# ---------------------------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def _split_fields(line: bytes) -> tuple[list[bytes], bytes]:
    body = line.rstrip(b"\r\n")
    return body.split(b";"), line[len(body) :]


def truncate(data: bytes, rnd: random.Random) -> bytes:
    return data[: rnd.randrange(len(data) + 1)]


def reencode(data: bytes, rnd: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    choice = rnd.choice(("cp1252", "latin-1", "utf-16", "utf-8-sig", "mixed", "curly"))
    if choice == "mixed":
        lines = text.splitlines(keepends=True)
        if not lines:
            return data
        i = rnd.randrange(len(lines))
        out = [ln.encode("utf-8") for ln in lines]
        out[i] = lines[i].encode("latin-1", errors="replace")
        return b"".join(out)
    if choice == "curly":
        # Windows-1252 characters absent from Latin-1 (’ œ €) in a Windows-1252 file.
        text = text.replace("'", "’").replace("e", "œ", 1) + ("" if rnd.random() < 0.5 else "€")
        return text.encode("cp1252", errors="replace")
    return text.encode(choice, errors="replace")


def swap_columns(data: bytes, rnd: random.Random) -> bytes:
    lines = _lines(data)
    header, _ = _split_fields(lines[0])
    if len(header) < 2:
        return data
    i, j = rnd.sample(range(len(header)), 2)
    whole = rnd.random() < 0.5  # the whole columns, or only the two names of the header
    out = []
    for n, line in enumerate(lines):
        fields, end = _split_fields(line)
        if (whole or n == 0) and max(i, j) < len(fields):
            fields[i], fields[j] = fields[j], fields[i]
        out.append(b";".join(fields) + end)
    return b"".join(out)


def duplicate_column(data: bytes, rnd: random.Random) -> bytes:
    lines = _lines(data)
    header, _ = _split_fields(lines[0])
    i = rnd.randrange(len(header))
    drop = rnd.random() < 0.3
    out = []
    for line in lines:
        fields, end = _split_fields(line)
        if i < len(fields):
            if drop:
                del fields[i]
            else:
                fields.insert(i, fields[i])
        out.append(b";".join(fields) + end)
    return b"".join(out)


def random_bytes(data: bytes, rnd: random.Random) -> bytes:
    blob = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
    position = rnd.randrange(len(data) + 1)
    if rnd.random() < 0.5:
        return data[:position] + blob + data[position:]
    return data[:position] + blob + data[position + len(blob) :]


def nul_bytes(data: bytes, rnd: random.Random) -> bytes:
    position = rnd.randrange(len(data) + 1)
    return data[:position] + b"\x00" * rnd.randint(1, 4) + data[position:]


def huge_field(data: bytes, rnd: random.Random) -> bytes:
    lines = _lines(data)
    n = rnd.randrange(len(lines))
    fields, end = _split_fields(lines[n])
    size = rnd.choice((LINE_LIMIT // 4, LINE_LIMIT - 4096, LINE_LIMIT + 1, 3 * LINE_LIMIT))
    filler = rnd.choice((b"x", b"9", b"\xc3\xa9", b'"'))
    k = rnd.randrange(len(fields))
    quoted = rnd.random() < 0.3
    value = (b'"' + filler * (size // len(filler)) + b'"') if quoted else filler * size
    fields[k] = value
    lines[n] = b";".join(fields) + end
    return b"".join(lines)


def line_endings(data: bytes, rnd: random.Random) -> bytes:
    lines = [line.rstrip(b"\r\n") for line in _lines(data)]
    ends = (b"\n", b"\r\n", b"\r")
    style = rnd.random()
    if style < 0.3:
        end = rnd.choice(ends)
        return b"".join(line + end for line in lines)
    return b"".join(line + rnd.choice(ends) for line in lines)


def bom(data: bytes, rnd: random.Random) -> bytes:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    return (b"\xef\xbb\xbf" * rnd.randint(1, 2)) + data


def decimal_commas(data: bytes, rnd: random.Random) -> bytes:
    if rnd.random() < 0.5:
        return data.replace(b".", b",")
    lines = _lines(data)
    n = rnd.randrange(len(lines))
    lines[n] = lines[n].replace(b".", b",")
    return b"".join(lines)


def edit_lines(data: bytes, rnd: random.Random) -> bytes:
    lines = _lines(data)
    n = rnd.randrange(len(lines))
    action = rnd.choice(("delete", "double", "blank", "quote", "separator", "empty_field"))
    if action == "delete":
        del lines[n]
    elif action == "double":
        lines.insert(n, lines[n])
    elif action == "blank":
        lines.insert(n, rnd.choice((b"\n", b"\r\n", b"   \n", b";;;\n")))
    elif action == "quote":
        position = rnd.randrange(len(lines[n]) + 1)
        lines[n] = lines[n][:position] + b'"' + lines[n][position:]
    elif action == "separator":
        lines[n] = lines[n].replace(b";", rnd.choice((b",", b"\t", b"|", b";;")), 1)
    else:
        fields, end = _split_fields(lines[n])
        fields[rnd.randrange(len(fields))] = rnd.choice(
            (b"", b"-1", b"1e308", b"NaN", b"9" * 30, b"2099-01-01", b"31/02/2019", b"0")
        )
        lines[n] = b";".join(fields) + end
    return b"".join(lines)


def yaml_edit(data: bytes, rnd: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True) or [text]
    action = rnd.choice(("alias", "duplicate", "deep", "tab", "huge", "tag", "date", "list"))
    n = rnd.randrange(len(lines))
    if action == "alias":
        bomb = "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        return (bomb + text + "nom: *b\n").encode()
    if action == "duplicate":
        lines.insert(n, lines[n])
    elif action == "deep":
        depth = rnd.choice((10, 60, 2000))
        lines.insert(n, "profond: " + "[" * depth + "]" * depth + "\n")
    elif action == "tab":
        lines[n] = "\t" + lines[n]
    elif action == "huge":
        lines.insert(n, "nom: " + "x" * rnd.choice((300, 70_000, 2_000_000)) + "\n")
    elif action == "tag":
        lines.insert(n, rnd.choice(("x: !!python/object:os.system []\n", "x: !!binary ###\n")))
    elif action == "date":
        lines.insert(n, rnd.choice(("2025-13-45: 1\n", "seuil_q1: {2025-02-30: 1}\n")))
    else:
        lines.insert(n, rnd.choice(("- a\n", "[1, 2\n", "{a: [}\n", ": :\n", "? [1]\n: 2\n")))
    return "".join(lines).encode()


def geojson_edit(data: bytes, rnd: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    action = rnd.choice(("code", "geometry", "type", "coords", "crs"))
    if action == "code":
        return text.replace('"QN', rnd.choice(('"Q', '"XX', '"QN0', '"')), 1).encode()
    if action == "geometry":
        return text.replace('"geometry": {', '"geometry": null, "g": {', 1).encode()
    if action == "type":
        return text.replace(
            '"Polygon"', rnd.choice(('"Point"', '"LineString"', '"Foo"')), 1
        ).encode()
    if action == "coords":
        return text.replace("[", "[[", rnd.randint(1, 5)).encode()
    return text.replace(
        "{", '{"crs": {"type": "name", "properties": {"name": "EPSG:2154"}}, ', 1
    ).encode()


CSV_MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    truncate,
    reencode,
    swap_columns,
    duplicate_column,
    random_bytes,
    nul_bytes,
    huge_field,
    line_endings,
    bom,
    decimal_commas,
    edit_lines,
)
YAML_MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    truncate,
    reencode,
    random_bytes,
    nul_bytes,
    line_endings,
    bom,
    yaml_edit,
)
GEO_MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    truncate,
    random_bytes,
    bom,
    geojson_edit,
    reencode,
)


def mutate(kind: str, data: bytes, rnd: random.Random) -> tuple[bytes, list[str]]:
    """Apply 1 to ``MAX_MUTATIONS`` mutations chosen by ``rnd``; the bytes and their names."""
    if kind in YAML_KINDS:
        pool = YAML_MUTATIONS
    elif kind in GEO_KINDS:
        pool = GEO_MUTATIONS
    else:
        pool = CSV_MUTATIONS
    names = []
    for _ in range(rnd.randint(1, MAX_MUTATIONS)):
        operation = rnd.choice(pool)
        # Huge fields are costly: at most one per input.
        if operation is huge_field and "huge_field" in names:
            continue
        data = operation(data, rnd) if data else data
        names.append(operation.__name__)
    return data, names


# ---------------------------------------------------------------------------------------------
# Running an input
# ---------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts of a fuzz run."""

    inputs: int = 0
    read: int = 0
    refused: int = 0
    imports: int = 0
    import_refused: int = 0
    uncaught: int = 0
    altered: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def record_failure(self, text: str) -> None:
        if len(self.failures) < 20:
            self.failures.append(text)


class Runner:
    """Writes each input into a work folder and runs its reader (and sometimes the import)."""

    def __init__(self, seeds: Seeds, work: Path) -> None:
        self.seeds = seeds
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        # A strategy names its scenario and programming table by relative paths.
        for sub in ("strategies", "scenarios", "grilles"):
            shutil.copytree(seeds.folder / sub, work / sub, dirs_exist_ok=True)
        self.base = work / "base.duckdb"
        self.tally = Tally()
        self._digest: str | None = None
        self._communes: Any = None

    @property
    def communes_frame(self) -> Any:
        """The seed communes, read once (the contours complete them)."""
        if self._communes is None:
            from mixite.io import read_table

            self._communes = read_table(self.seeds.folder / "communes.csv", "communes")
        return self._communes

    def _reader(self, kind: str, path: Path) -> Callable[[], object]:
        communes = self.communes_frame if kind == "contours" else None
        return lambda: read_kind(
            kind,
            path,
            known_communes=self.seeds.communes,
            communes=communes,
            local_applications=self.seeds.folder / "demandes_local.csv",
        )

    def _import(self, kind: str, path: Path) -> None:
        from mixite.jobs.importing import import_files, plan_import

        before = _digest(self.base) if self.base.exists() else None
        explicit = {"communes": self.seeds.folder / "communes.csv"}
        mapping = None
        if kind == "correspondance":
            explicit["applications"] = self.seeds.folder / "demandes_local.csv"
            mapping = path
        elif kind != "communes":
            explicit[TABLE[kind]] = path
        else:
            explicit["communes"] = path
        self.tally.imports += 1
        try:
            import_files(self.base, 2025, plan_import(explicit, None, mapping))
        except MixiteError:
            self.tally.import_refused += 1
            after = _digest(self.base) if self.base.exists() else None
            if after != before:
                self.tally.altered += 1
                self.tally.record_failure(f"base modifiée par un import refusé ({kind})")

    def run(self, kind: str, data: bytes, names: list[str], with_import: bool) -> None:
        path = self.work / SEED_FILES[kind]
        path.write_bytes(data)
        self.tally.inputs += 1
        self.tally.by_kind[kind] += 1
        try:
            self._reader(kind, path)()
            self.tally.read += 1
        except MixiteError:
            self.tally.refused += 1
        except Exception as exc:
            self._uncaught(kind, names, data, exc)
            return
        if with_import and kind not in READ_ONLY:
            try:
                self._import(kind, path)
            except Exception as exc:
                self._uncaught(f"{kind} (import)", names, data, exc)

    def _uncaught(self, kind: str, names: list[str], data: bytes, exc: Exception) -> None:
        self.tally.uncaught += 1
        keep = self.work / f"echec-{self.tally.uncaught}-{Path(SEED_FILES[kind.split()[0]]).name}"
        keep.write_bytes(data)
        last = traceback.format_exception(exc)[-1].strip()
        self.tally.record_failure(f"{kind} {'+'.join(names)} → {last} (entrée : {keep})")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_batch(runner: Runner, seed: int, examples: int, import_every: int) -> None:
    """One Hypothesis batch: ``examples`` inputs drawn with Hypothesis seed ``seed``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(kind=st.sampled_from(KINDS), rnd=st.randoms(use_true_random=False))
    def one(kind: str, rnd: random.Random) -> None:
        data, names = mutate(kind, runner.seeds.data[kind], rnd)
        with_import = import_every > 0 and runner.tally.inputs % import_every == 0
        runner.run(kind, data, names, with_import)

    one()


def fuzz(
    total: int,
    seed: int,
    work: Path,
    import_every: int = IMPORT_EVERY,
    report: Callable[[Tally], None] | None = None,
) -> Tally:
    """Run ``total`` inputs in batches of ``BATCH``; the tally. ``report(tally)`` is called
    after each batch (progress of a long run)."""
    seeds = make_seeds(work / "graines")
    runner = Runner(seeds, work / "essais")
    batch = 0
    while runner.tally.inputs < total:
        before = runner.tally.inputs
        run_batch(runner, seed + batch, min(BATCH, total - runner.tally.inputs), import_every)
        batch += 1
        if report is not None:
            report(runner.tally)
        if runner.tally.inputs == before:
            break
    return runner.tally


def _progress(tally: Tally) -> None:
    print(
        f"… {tally.inputs} entrées, {tally.refused} refusées, {tally.imports} imports, "
        f"{tally.uncaught} exceptions non rattrapées, {tally.altered} bases modifiées",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entrees", type=int, default=100_000)
    parser.add_argument("--graine", type=int, default=0)
    parser.add_argument("--import-tous-les", type=int, default=IMPORT_EVERY)
    args = parser.parse_args(argv)
    # GDAL's warnings on malformed GeoJSON are expected here; they would flood the output.
    warnings.simplefilter("ignore")
    work = Path(tempfile.mkdtemp(prefix="mixite-fuzz-"))
    start = time.perf_counter()
    try:
        tally = fuzz(args.entrees, args.graine, work, args.import_tous_les, _progress)
    finally:
        elapsed = time.perf_counter() - start
    print(f"entrées : {tally.inputs} ({dict(sorted(tally.by_kind.items()))})")
    print(f"lues sans erreur : {tally.read} ; refusées en français (MixiteError) : {tally.refused}")
    print(f"imports : {tally.imports} dont refusés : {tally.import_refused}")
    print(f"exceptions non rattrapées : {tally.uncaught}")
    print(f"bases modifiées par un import refusé : {tally.altered}")
    print(f"durée : {elapsed:.0f} s ({1000 * elapsed / max(tally.inputs, 1):.1f} ms par entrée)")
    for failure in tally.failures:
        print("  " + failure)
    if tally.uncaught == 0 and tally.altered == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"entrées fautives gardées dans {work / 'essais'}")
    return 0 if tally.uncaught == 0 and tally.altered == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
