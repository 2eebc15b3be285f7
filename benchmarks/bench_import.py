"""Benchmark: importing a 1-million-row RPLS file, mixite vs. a bare DuckDB ``read_csv``.

Run: ``.venv/bin/python -m benchmarks.bench_import [--lignes N] [--graine S]`` (or ``make bench``).
Writes an RPLS file with the exact 73-column header of the 2025 open file and plausible values
(real Val-d'Oise commune codes, valid FINAN codes, QPV and IRIS codes, Lambert-93 coordinates),
built with numpy and pyarrow, to a temporary folder. Then times, in the same process:

* the reference: a bare DuckDB ``read_csv(..., all_varchar=true)`` into a table of a new DuckDB
  file (no typing, no validation);
* mixite: ``mixite.io.read_rpls`` (typing, validation, canonical frame) then
  ``mixite.store.import_millesime`` into a new store;

and prints both times, the split of mixite's time, and the ratio (target ≤ 2×).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from mixite.io import RPLS_2025_COLUMNS, read_rpls
from mixite.schema import FINAN_FAMILY
from mixite.store import import_millesime

TARGET_RATIO = 2.0
ROWS = 1_000_000

#: Real Val-d'Oise communes (COG 2026): code, name, postcode.
COMMUNES = (
    ("95018", "Argenteuil", "95100"),
    ("95063", "Bezons", "95870"),
    ("95127", "Cergy", "95000"),
    ("95219", "Ermont", "95120"),
    ("95268", "Garges-lès-Gonesse", "95140"),
    ("95280", "Goussainville", "95190"),
    ("95476", "Osny", "95520"),
    ("95572", "Saint-Ouen-l'Aumône", "95310"),
    ("95585", "Sarcelles", "95200"),
    ("95680", "Villiers-le-Bel", "95400"),
)
STREETS = ("RUE", "AV", "BD", "ALL", "PL", "CHE")
STREET_NAMES = (
    "DES LILAS",
    "DES ROSES",
    "DES ECOLES",
    "DES PEUPLIERS",
    "VICTOR HUGO",
    "JEAN JAURES",
    "DE LA REPUBLIQUE",
    "PASTEUR",
)
TYPECONST = (("C", "Collectif"), ("I", "Individuel"), ("E", "Logement-foyer étudiant"))


def _pick(
    rng: np.random.Generator, pool: list[str], n: int, p: list[float] | None = None
) -> pa.Array:
    """``n`` strings drawn from ``pool`` (a dictionary-encoded draw, decoded: fast)."""
    idx = rng.choice(len(pool), size=n, p=p).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(pool)).dictionary_decode()


def _texts(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def rpls_table(n: int, rng: np.random.Generator) -> pa.Table:
    """``n`` plausible rows under the 73 columns of the RPLS 2025 open file."""
    com = rng.integers(0, len(COMMUNES), n)
    codes = np.array([c[0] for c in COMMUNES])[com]
    empty = pa.nulls(n, pa.string())
    in_qpv = rng.random(n) < 0.3
    qpv_num = rng.integers(1, 40, n)
    qp24 = np.where(in_qpv, np.char.add("QN095", np.char.zfill(qpv_num.astype(str), 3)), "")
    qp15 = np.where(in_qpv, np.char.add("QP095", np.char.zfill(qpv_num.astype(str), 3)), "")
    rooms = rng.choice(np.arange(1, 7), size=n, p=[0.1, 0.2, 0.33, 0.25, 0.1, 0.02])
    surface = np.round(18 + rooms * 17 + rng.normal(0, 6, n).clip(-10, 10), 1)
    built = rng.integers(1950, 2024, n)
    letting = built + rng.integers(0, 2, n)
    finan = list(FINAN_FAMILY)
    tc = rng.choice(3, size=n, p=[0.85, 0.13, 0.02])
    x = np.round(630000 + rng.random(n) * 30000, 1)
    y = np.round(6875000 + rng.random(n) * 25000, 1)
    iris = np.char.add(codes, np.char.zfill(rng.integers(101, 130, n).astype(str), 4))
    columns: dict[str, pa.Array] = {
        "REG_CODE": _pick(rng, ["11"], n),
        "REG_LIBELLE": _pick(rng, ["Île-de-France"], n),
        "LIBREG": _pick(rng, ["Île-de-France"], n),
        "DEP_CODE": _pick(rng, ["95"], n),
        "DEP_LIBELLE": _pick(rng, ["Val-d'Oise"], n),
        "LIBDEP": _pick(rng, ["Val-d'Oise"], n),
        "EPCI_CODE": _pick(rng, ["200035947", "200055655", "200058485"], n),
        "EPCI_LIBELLE": _pick(rng, ["CA du Val-d'Oise"], n),
        "LIBEPCI": _pick(rng, ["CA du Val-d'Oise"], n),
        "DROIT_CODE": _pick(rng, ["1", "2"], n, [0.97, 0.03]),
        "DROIT_LIBELLE": _pick(rng, ["Propriétaire"], n),
        "DEPCOM": _texts(codes),
        "CODEPOSTAL": _texts(np.array([c[2] for c in COMMUNES])[com]),
        "LIBCOM": _texts(np.array([c[1] for c in COMMUNES])[com]),
        "NUMVOIE": pa.array(rng.integers(1, 200, n)),
        "INDREP": _pick(rng, ["", "B", "T"], n, [0.9, 0.07, 0.03]),
        "TYPVOIE": _pick(rng, list(STREETS), n),
        "NOMVOIE": _pick(rng, list(STREET_NAMES), n),
        "ETAGE": pa.array(rng.integers(0, 12, n)),
        "COMPLGEO": empty,
        "LIEUDIT": empty,
        "QPV_CODE": _texts(qp24),
        "QPV_LIBELLE": _texts(np.where(in_qpv, "Quartier prioritaire", "")),
        "TYPECONST_CODE": _texts(np.array([t[0] for t in TYPECONST])[tc]),
        "TYPECONST_LIBELLE": _texts(np.array([t[1] for t in TYPECONST])[tc]),
        "NBPIECE": pa.array(rooms),
        "SURFHAB": pa.array(surface),
        "CONSTRUCT": pa.array(built),
        "LOCAT": pa.array(letting),
        "PATRIMOINE": _pick(rng, ["1"], n),
        "ORIGINE": _pick(rng, ["1", "2", "3", "4"], n, [0.7, 0.1, 0.05, 0.15]),
        "FINAN_CODE": _pick(rng, finan, n),
        "FINAN_LIBELLE": _pick(rng, ["Financement"], n),
        "FINANAUTRE": empty,
        "CONV": _pick(rng, ["1", "2"], n, [0.95, 0.05]),
        "NUMCONV": empty,
        "DATCONV": _pick(rng, ["01/01/1990", "15/06/2005", ""], n),
        "NEWLOGT_CODE": _pick(rng, ["1", "2"], n, [0.02, 0.98]),
        "NEWLOGT_LIBELLE": _pick(rng, ["Non"], n),
        "CUS": empty,
        "DPEDATE": _pick(rng, ["2021-07-01", "2023-03-15", ""], n),
        "DPEENERGIE": _pick(rng, list("ABCDEFG"), n),
        "DPESERRE": _pick(rng, list("ABCDEFG"), n),
        "SRU_EXPIR": empty,
        "SRU_ALINEA": empty,
        "CODSEGPATRIM": _pick(rng, ["1", "2"], n),
        "LIBSEGPATRIM": _pick(rng, ["Segment"], n),
        "PMR_CODE": _pick(rng, ["1", "2"], n, [0.1, 0.9]),
        "PMR_LIBELLE": _pick(rng, ["Non"], n),
        "PLG_VOIE": empty,
        "EPSG": _pick(rng, ["2154"], n),
        "X": pa.array(x),
        "Y": pa.array(y),
        "PLG_QP24": _texts(qp24),
        "PLG_QP15": _texts(qp15),
        "PLG_IRIS2024_CODE": _texts(iris),
        "PLG_IRIS2024_LIBELLE": _pick(rng, ["Centre", "Gare", "Plateau"], n),
        "PLG_ZUS": empty,
        "PLG_QVA": empty,
        "QUALITE_VOIE": _pick(rng, ["1", "2"], n),
        "QUALITE_NUMERO": _pick(rng, ["1", "2"], n),
        "QUALITE_XY": _pick(rng, ["11", "12", "21"], n),
        "DISTANCE_PRECISION": pa.array(rng.integers(0, 50, n)),
        "QUALITE_QP24": _pick(rng, ["1"], n),
        "QUALITE_QP15": _pick(rng, ["1"], n),
        "QUALITE_IRIS": _pick(rng, ["1"], n),
        "QUALITE_ZUS": _pick(rng, ["1"], n),
        "QUALITE_QVA": _pick(rng, ["1"], n),
        "COMAQP": _pick(rng, ["0", "1"], n),
        "COMAZUS": _pick(rng, ["0", "1"], n),
        "UU2020": _pick(rng, ["00851"], n),
        "AAV2020": _pick(rng, ["001"], n),
        "ZE2020": _pick(rng, ["1109"], n),
    }
    assert tuple(columns) == RPLS_2025_COLUMNS
    return pa.table(columns)


def write_rpls(path: Path, n: int, rng: np.random.Generator) -> None:
    """Write ``n`` rows as ``;``-separated UTF-8 CSV with the 2025 header."""
    options = pacsv.WriteOptions(delimiter=";", quoting_style="needed")
    pacsv.write_csv(rpls_table(n, rng), str(path), write_options=options)


def bare_duckdb(csv_path: Path, db_path: Path) -> int:
    """Reference: the file as all-text columns into a DuckDB table; returns its row count."""
    con = duckdb.connect(str(db_path))
    try:
        con.execute(
            "CREATE TABLE rpls AS SELECT * FROM read_csv(?, delim=';', header=true, "
            "all_varchar=true)",
            [str(csv_path)],
        )
        row = con.execute("SELECT count(*) FROM rpls").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Import RPLS : mixite contre DuckDB seul.")
    parser.add_argument("--lignes", type=int, default=ROWS, help="nombre de logements")
    parser.add_argument("--graine", type=int, default=20250101, help="graine aléatoire")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mixite-bench-import-") as tmp:
        folder = Path(tmp)
        csv_path = folder / "rpls.csv"
        start = time.perf_counter()
        write_rpls(csv_path, args.lignes, np.random.default_rng(args.graine))
        written = time.perf_counter() - start
        size_mb = csv_path.stat().st_size / 1e6
        print(f"Fichier RPLS : {args.lignes:,} lignes, {size_mb:,.0f} Mo, écrit en {written:.1f} s")

        start = time.perf_counter()
        bare_rows = bare_duckdb(csv_path, folder / "reference.duckdb")
        bare = time.perf_counter() - start

        start = time.perf_counter()
        frame = read_rpls(csv_path)
        read = time.perf_counter() - start
        start = time.perf_counter()
        counts = import_millesime(folder / "mixite.duckdb", 2025, {"dwellings": frame})
        stored = time.perf_counter() - start
    assert bare_rows == args.lignes == counts["dwellings"]
    total = read + stored
    ratio = total / bare
    print(f"DuckDB read_csv (tout en texte) : {bare:.2f} s")
    print(f"mixite read_rpls                : {read:.2f} s")
    print(f"mixite import_millesime         : {stored:.2f} s")
    print(f"mixite total                    : {total:.2f} s")
    verdict = "objectif atteint" if ratio <= TARGET_RATIO else "objectif manqué"
    print(f"Rapport mixite / DuckDB : {ratio:.2f} × (objectif ≤ {TARGET_RATIO:.0f} ×, {verdict})")


if __name__ == "__main__":
    main()
