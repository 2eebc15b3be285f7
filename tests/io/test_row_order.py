"""The readers keep the file's row order, also when DuckDB reads a large file on several threads.

The simulation draws in table order (for a given seed), so an import that shuffled the rows of a
large file would make `mixite importer` + simulation irreproducible. DuckDB splits a CSV file
into buffers read in parallel once it is larger than one buffer (16 × the maximum line size the
reader sets); the file below is larger than two, and the shared in-memory database runs on
four threads here. (Checked: with DuckDB's ``preserve_insertion_order`` off, this test fails.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mixite import _duckdb
from mixite.io._load import load_raw
from mixite.io._sniff import MAX_LINE_BYTES


@pytest.fixture
def four_threads() -> Iterator[None]:
    shared = _duckdb._shared_memory()
    shared.execute("SET threads TO 4")
    try:
        yield
    finally:
        shared.execute("RESET threads")


def test_a_file_read_in_parallel_keeps_its_row_order(tmp_path: Path, four_threads: None) -> None:
    rows = 2_400_000
    # rows numbered in the file in a shuffled order: a parallel read that reassembled the
    # buffers out of order, or sorted them, would not give this sequence back
    order = np.random.default_rng(7).permutation(rows)
    path = tmp_path / "grand.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("numero;libelle\n")
        out.writelines(f"{n};ligne {n:07d}\n" for n in order)
    assert path.stat().st_size > 2 * 16 * (MAX_LINE_BYTES + 2)
    raw = load_raw(path)
    try:
        threads = raw.con.execute("SELECT current_setting('threads')").fetchone()
        assert threads is not None and int(threads[0]) == 4
        read = raw.con.execute('SELECT "numero" FROM raw ORDER BY rowid').fetchnumpy()["numero"]
    finally:
        raw.close()
    assert raw.rows == rows
    np.testing.assert_array_equal(read.astype(np.int64), order)
