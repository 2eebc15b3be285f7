"""A 2,000-input sample of the reader fuzzing (issue 15, item 8; the full run is
``benchmarks/fuzz_readers.py``, ``make fuzz``): mutations of valid official files through every
reader and, every 60th input, through the import job. Only ``MixiteError`` may escape, and a
refused import leaves the store byte for byte unchanged.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[1] / "benchmarks" / "fuzz_readers.py"
SAMPLE = 2_000


def _fuzz_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_readers", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_readers"] = module
    spec.loader.exec_module(module)
    return module


fuzz_readers = _fuzz_module()


@pytest.mark.filterwarnings("ignore")  # GDAL warns on malformed GeoJSON; the outcome is checked
def test_two_thousand_mutated_files_raise_only_french_errors(tmp_path: Path) -> None:
    tally = fuzz_readers.fuzz(SAMPLE, seed=20251, work=tmp_path, import_every=60)
    assert tally.inputs == SAMPLE
    assert tally.failures == [] and tally.uncaught == 0
    assert tally.altered == 0
    assert tally.imports >= 15
    # The sample is not trivial: some inputs are still read, most are refused, every reader ran.
    assert tally.read > 100 and tally.refused > 1000
    assert set(tally.by_kind) == set(fuzz_readers.KINDS)


def test_the_mutations_are_those_announced() -> None:
    """Each mutation changes its seed the way its name says (spot checks)."""
    rnd = random.Random(4)
    data = b"a;b;c\r\n1;2.5;x\r\n3;4.5;y\r\n"
    assert fuzz_readers.truncate(data, rnd) in {data[:i] for i in range(len(data) + 1)}
    assert fuzz_readers.bom(data, rnd).startswith(b"\xef\xbb\xbf")
    assert b"," in fuzz_readers.decimal_commas(data, random.Random(0))
    swapped = fuzz_readers.swap_columns(data, random.Random(1))
    assert sorted(swapped.split(b"\r\n")[0].split(b";")) == [b"a", b"b", b"c"]
    assert swapped != data
    huge = fuzz_readers.huge_field(data, random.Random(2))
    assert len(huge) > fuzz_readers.LINE_LIMIT // 4
    mixed = fuzz_readers.line_endings(data, random.Random(5))
    assert mixed.replace(b"\r\n", b"\n").replace(b"\r", b"\n") == data.replace(b"\r\n", b"\n")
