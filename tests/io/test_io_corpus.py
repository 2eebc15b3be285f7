"""Every file of the bad-input corpus raises its exact French message (issue 2, item 5).

The corpus files are written by ``corpus/build_corpus.py`` (one defect each, in an otherwise valid
file with real COG commune codes); ``corpus/expected.yaml`` gives the reader and the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from mixite.errors import InputError, MixiteError
from mixite.io import read_any, read_qpv, read_rpls, read_table, read_territory

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: list[dict[str, Any]] = yaml.safe_load(
    (CORPUS / "expected.yaml").read_text(encoding="utf-8")
)


def _read(entry: dict[str, Any]) -> pd.DataFrame:
    path = CORPUS / entry["fichier"]
    kind = entry["lecteur"]
    if kind == "rpls":
        return read_rpls(path)
    if kind == "territoire":
        return read_territory(path)
    if kind == "qpv":
        return read_qpv(path)
    if kind == "detection":
        return read_any(path)[1]
    mapping = CORPUS / entry["correspondance"] if "correspondance" in entry else None
    return read_table(path, kind, mapping)


def test_corpus_is_large_and_complete() -> None:
    files = {
        p.name
        for p in CORPUS.iterdir()
        if p.suffix != ".py" and p.name != "expected.yaml" and p.is_file()
    }
    named = {e["fichier"] for e in EXPECTED} | {
        e["correspondance"] for e in EXPECTED if "correspondance" in e
    }
    assert len(EXPECTED) >= 30
    assert files == named, "every corpus file has an expected message and vice versa"


@pytest.mark.parametrize(
    "entry", EXPECTED, ids=[f"{e['fichier']}:{e.get('correspondance', '')}" for e in EXPECTED]
)
def test_bad_input_gives_its_exact_french_message(entry: dict[str, Any]) -> None:
    with pytest.raises(InputError) as caught:
        _read(entry)
    assert str(caught.value) == entry["message"]
    # The message names the file; a MixiteError is what the CLI prints without traceback.
    assert isinstance(caught.value, MixiteError)
    assert caught.value.where.file in (entry["fichier"], entry.get("correspondance"))


def test_line_numbers_count_the_header_as_line_one() -> None:
    """rpls_zero_piece.csv: the bad value is on the 2nd data row, i.e. line 3 of the file."""
    lines = (CORPUS / "rpls_zero_piece.csv").read_bytes().decode("utf-8").split("\r\n")
    header = lines[0].split(";")
    assert lines[2].split(";")[header.index("NBPIECE")] == "0"
    with pytest.raises(InputError) as caught:
        read_rpls(CORPUS / "rpls_zero_piece.csv")
    assert caught.value.where.line == 3
