"""Tests of the DuckDB store: canonical round trip, millésimes, replacement, pseudonymisation,
atomicity (including a SIGKILL in the middle of an import) and French errors.

Expected values are derived independently in each test: the frames written are the reference for
what is read back; pseudonyms are recomputed with the standard library's ``hmac`` from the key
file; row counts are those of the frames built here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from mixite.dtypes import canonical, pandas_dtype
from mixite.errors import StoreError
from mixite.schema import TABLES, Table
from mixite.store import (
    STORE_TABLES,
    TERRITORY,
    Store,
    import_millesime,
    key_path,
    pseudonymise,
)


def make_frame(table: Table, n: int, seed: int, tag: str = "") -> pd.DataFrame:
    """A canonical frame of ``table`` with ``n`` varied rows (nulls in every nullable column)."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for col in table.columns:
        null = np.zeros(n, dtype=bool)
        if col.nullable:
            null = rng.random(n) < 0.3
        if col.dtype == "str":
            values = [f"{col.name}-{tag}{i}" for i in range(n)]
            data[col.name] = pd.Series(
                [None if z else v for v, z in zip(values, null, strict=True)], dtype=object
            )
        elif col.dtype == "int":
            ints = rng.integers(0, 1000, n)
            if col.nullable:
                data[col.name] = pd.array(
                    [None if z else int(v) for v, z in zip(ints, null, strict=True)],
                    dtype="Int64",
                )
            else:
                data[col.name] = pd.Series(ints, dtype="int64")
        elif col.dtype == "float":
            floats = np.round(rng.random(n) * 1000, 2)
            floats[null] = np.nan
            data[col.name] = floats
        elif col.dtype == "bool":
            data[col.name] = rng.random(n) < 0.5
        elif col.dtype == "date":
            days = rng.integers(0, 20000, n)
            dates = pd.Series(pd.Timestamp("1970-01-01") + pd.to_timedelta(days, unit="D"))
            dates[null] = pd.NaT
            data[col.name] = dates.astype("datetime64[ns]")
        else:
            data[col.name] = pd.Series(
                [[f"c{j}" for j in range(i % 3)] for i in range(n)], dtype=object
            )
    return pd.DataFrame(data, columns=table.names)


def assert_canonical(frame: pd.DataFrame, table: Table) -> None:
    assert list(frame.columns) == table.names
    for col in table.columns:
        assert str(frame[col.name].dtype) == pandas_dtype(col), col.name
        if col.dtype == "list":
            assert all(isinstance(v, list) for v in frame[col.name]), col.name
        if col.dtype == "str":
            assert all(v is None or isinstance(v, str) for v in frame[col.name]), col.name


def expected_pseudonym(store: Path, value: str) -> str:
    key = bytes.fromhex(key_path(store).read_text(encoding="ascii").strip())
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path / "territoire.duckdb"


def test_every_table_round_trips_with_canonical_dtypes(base: Path) -> None:
    frames = {name: make_frame(t, 25, seed=i) for i, (name, t) in enumerate(STORE_TABLES.items())}
    counts = import_millesime(base, 2025, frames)
    assert counts == {name: 25 for name in STORE_TABLES}
    with Store(base) as store:
        for name, table in STORE_TABLES.items():
            got = store.read(name, 2025)
            assert_canonical(got, table)
            expected = frames[name].copy()
            for col in table.pseudonymised:
                expected[col] = pd.Series(
                    [expected_pseudonym(base, v) for v in expected[col]], dtype=object
                )
            pd.testing.assert_frame_equal(got, expected, check_dtype=True)


def test_summary_millesimes_and_latest(base: Path) -> None:
    dw = TABLES["dwellings"]
    import_millesime(base, 2024, {"dwellings": make_frame(dw, 7, 1, "a")})
    import_millesime(base, 2025, {"dwellings": make_frame(dw, 5, 2, "b")})
    import_millesime(base, 2025, {"communes": make_frame(TABLES["communes"], 3, 3)})
    with Store(base) as store:
        assert store.millesimes() == [2024, 2025]
        assert store.millesimes("dwellings") == [2024, 2025]
        assert store.millesimes("communes") == [2025]
        assert store.millesimes("households") == []
        # The latest millésime is read by default: 5 rows tagged "b".
        latest = store.read("dwellings")
        assert len(latest) == 5
        assert latest["dwelling_id"].iloc[0] == "dwelling_id-b0"
        summary = store.summary()
        assert summary.to_dict("records") == [
            {"millesime": 2024, "table": "dwellings", "rows": 7},
            {"millesime": 2025, "table": "dwellings", "rows": 5},
            {"millesime": 2025, "table": "communes", "rows": 3},
        ]
        # Heavy aggregates go through the DuckDB connection.
        row = store.con.execute("SELECT count(*) FROM dwellings WHERE millesime = 2024").fetchone()
        assert row == (7,)


def test_reimport_replaces_only_that_millesime_and_those_tables(base: Path) -> None:
    dw, cm = TABLES["dwellings"], TABLES["communes"]
    import_millesime(base, 2024, {"dwellings": make_frame(dw, 4, 1, "old24")})
    import_millesime(
        base, 2025, {"dwellings": make_frame(dw, 6, 2, "old25"), "communes": make_frame(cm, 2, 3)}
    )
    new = make_frame(dw, 3, 4, "new25")
    assert import_millesime(base, 2025, {"dwellings": new}) == {"dwellings": 3}
    with Store(base) as store:
        pd.testing.assert_frame_equal(store.read("dwellings", 2025), new)
        assert len(store.read("dwellings", 2024)) == 4
        assert store.read("dwellings", 2024)["dwelling_id"].iloc[0] == "dwelling_id-old240"
        assert len(store.read("communes", 2025)) == 2


def test_pseudonyms_are_keyed_stable_and_join(base: Path) -> None:
    apps = make_frame(TABLES["applications"], 4, 1)
    apps["application_id"] = ["069-A", "069-B", "069-C", "069-D"]
    atts = make_frame(TABLES["attributions"], 2, 2)
    atts["application_id"] = ["069-C", "069-A"]
    hh = make_frame(TABLES["households"], 2, 3)
    hh["household_id"] = ["M1", "M2"]
    import_millesime(base, 2025, {"applications": apps, "attributions": atts, "households": hh})

    key_file = key_path(base)
    assert key_file.name == "territoire.duckdb.cle"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with Store(base) as store:
        got_apps = store.read("applications")
        got_atts = store.read("attributions")
        got_hh = store.read("households")
    assert got_apps["application_id"].tolist() == [
        expected_pseudonym(base, v) for v in ["069-A", "069-B", "069-C", "069-D"]
    ]
    assert got_hh["household_id"].tolist() == [expected_pseudonym(base, v) for v in ["M1", "M2"]]
    # No clear identifier is left in the store file's tables.
    assert not set(got_apps["application_id"]) & {"069-A", "069-B", "069-C", "069-D"}
    # Attributions still join their applications (C then A).
    joined = got_atts.merge(got_apps, on="application_id", suffixes=("", "_app"))
    assert joined["application_id"].tolist() == got_apps["application_id"].iloc[[2, 0]].tolist()
    # Non-identifying columns are untouched.
    assert got_atts["attribution_id"].tolist() == atts["attribution_id"].tolist()

    # A second import keeps the key: same identifier, same pseudonym.
    key_before = key_file.read_bytes()
    import_millesime(base, 2026, {"applications": apps.iloc[[1]]})
    assert key_file.read_bytes() == key_before
    with Store(base) as store:
        assert store.read("applications", 2026)["application_id"].tolist() == [
            got_apps["application_id"].iloc[1]
        ]


def test_pseudonymise_matches_standard_hmac_and_keeps_nulls() -> None:
    key = bytes(range(32))
    series = pd.Series(["abc", None, "abc", "é"], dtype=object)
    got = pseudonymise(series, key)
    ref_abc = hmac.new(key, b"abc", hashlib.sha256).hexdigest()[:32]
    ref_e = hmac.new(key, "é".encode(), hashlib.sha256).hexdigest()[:32]
    assert got.tolist() == [ref_abc, None, ref_abc, ref_e]
    # Another key gives other pseudonyms.
    assert pseudonymise(series, bytes(32)).iloc[0] != ref_abc


def test_tables_without_identifiers_create_no_key(base: Path) -> None:
    import_millesime(base, 2025, {"communes": make_frame(TABLES["communes"], 2, 1)})
    assert not key_path(base).exists()


def test_missing_key_with_pseudonymised_rows_is_refused(base: Path) -> None:
    import_millesime(base, 2025, {"applications": make_frame(TABLES["applications"], 3, 1)})
    key_path(base).unlink()
    with pytest.raises(StoreError, match=r"Clé de pseudonymisation .* absente"):
        import_millesime(base, 2026, {"applications": make_frame(TABLES["applications"], 3, 2)})
    with Store(base) as store:
        assert store.millesimes() == [2025]


def test_corrupt_key_is_refused(base: Path) -> None:
    key_path(base).write_text("pas une clé\n", encoding="utf-8")
    key_path(base).chmod(0o600)
    with pytest.raises(StoreError, match="illisible"):
        import_millesime(base, 2025, {"applications": make_frame(TABLES["applications"], 1, 1)})


def test_failure_inside_the_transaction_leaves_the_store_unchanged(base: Path) -> None:
    dw, hh = TABLES["dwellings"], TABLES["households"]
    before_dw = make_frame(dw, 5, 1, "before")
    before_hh = make_frame(hh, 4, 2, "before")
    import_millesime(base, 2025, {"dwellings": before_dw, "households": before_hh})
    with Store(base) as store:
        before_hh_read = store.read("households")

    def fail_after_first(table: str, rows: int) -> None:
        raise RuntimeError(f"interruption après {table}")

    with pytest.raises(RuntimeError, match="interruption après dwellings"):
        import_millesime(
            base,
            2025,
            {"dwellings": make_frame(dw, 9, 3, "after"), "households": make_frame(hh, 9, 4)},
            progress=fail_after_first,
        )
    with Store(base) as store:
        pd.testing.assert_frame_equal(store.read("dwellings"), before_dw)
        pd.testing.assert_frame_equal(store.read("households"), before_hh_read)


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_store import make_frame
    from mixite.schema import TABLES
    from mixite.store import import_millesime

    base, ready = Path(sys.argv[1]), Path(sys.argv[2])
    import pandas as pd
    # More than one DuckDB row group (122,880 rows), so uncommitted blocks reach the file.
    big = pd.concat([make_frame(TABLES["dwellings"], 1_000, seed=9, tag="big")] * 150,
                    ignore_index=True)
    hh = make_frame(TABLES["households"], 10, seed=10, tag="big")

    def inside(table, rows):
        # Called inside the transaction, after the big table's rows were written.
        ready.write_text(table + " " + str(rows))
        time.sleep(600)

    import_millesime(base, 2025, {{"dwellings": big, "households": hh}}, progress=inside)
    """
)


def test_sigkill_during_import_leaves_the_store_exactly_as_before(
    base: Path, tmp_path: Path
) -> None:
    dw, hh = TABLES["dwellings"], TABLES["households"]
    previous = {"dwellings": make_frame(dw, 50, 1, "prev"), "households": make_frame(hh, 20, 2)}
    import_millesime(base, 2025, previous)
    import_millesime(base, 2024, {"dwellings": make_frame(dw, 30, 3, "y24")})
    with Store(base) as store:
        before = {(m, t): store.read(t, m) for m, t in [(2025, "dwellings"), (2025, "households")]}
        before[(2024, "dwellings")] = store.read("dwellings", 2024)
        summary_before = store.summary()

    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=str(Path(__file__).parent)), encoding="utf-8")
    ready = tmp_path / "inside-transaction"
    child = subprocess.Popen([sys.executable, str(script), str(base), str(ready)])
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert child.poll() is None, "the child import ended before entering the transaction"
            assert time.monotonic() < deadline, "the child never entered the transaction"
            time.sleep(0.05)
        assert ready.read_text() == "dwellings 150000"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    with Store(base) as store:
        pd.testing.assert_frame_equal(store.summary(), summary_before)
        for (m, t), frame in before.items():
            pd.testing.assert_frame_equal(store.read(t, m), frame)
    # The store is still writable after the crash.
    assert import_millesime(base, 2026, {"dwellings": make_frame(dw, 2, 5)}) == {"dwellings": 2}


def test_missing_store_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"introuvable.*mixite importer"):
        Store(tmp_path / "absente.duckdb")


def test_missing_table_or_millesime_is_a_french_error(base: Path) -> None:
    import_millesime(base, 2025, {"communes": make_frame(TABLES["communes"], 2, 1)})
    with Store(base) as store:
        with pytest.raises(StoreError, match="aucune donnée pour la table « dwellings »"):
            store.read("dwellings")
        with pytest.raises(StoreError, match=r"Pas de millésime 2023.*disponibles : 2025"):
            store.read("communes", 2023)
        with pytest.raises(StoreError, match="Table « logements » inconnue"):
            store.read("logements")


def test_frames_are_validated_before_anything_is_written(base: Path) -> None:
    good = make_frame(TABLES["communes"], 2, 1)
    import_millesime(base, 2025, {"communes": good})
    bad = make_frame(TABLES["dwellings"], 3, 2).drop(columns=["rooms"])
    with pytest.raises(StoreError, match="colonnes absentes rooms"):
        import_millesime(
            base, 2025, {"communes": make_frame(TABLES["communes"], 5, 3), "dwellings": bad}
        )
    extra = make_frame(TABLES["communes"], 2, 1).assign(bidule=1)
    with pytest.raises(StoreError, match="colonnes inconnues bidule"):
        import_millesime(base, 2025, {"communes": extra})
    null_required = make_frame(TABLES["communes"], 2, 1)
    null_required.loc[1, "commune_name"] = None
    with pytest.raises(StoreError, match="valeur manquante à la ligne 2"):
        import_millesime(base, 2025, {"communes": null_required})
    with pytest.raises(StoreError, match="Table « inconnue » inconnue"):
        import_millesime(base, 2025, {"inconnue": good})
    with pytest.raises(StoreError, match="Millésime « 25 » invalide"):
        import_millesime(base, 25, {"communes": good})
    with Store(base) as store:
        pd.testing.assert_frame_equal(store.read("communes"), good)


def test_canonical_fills_absent_nullable_columns_and_casts() -> None:
    frame = pd.DataFrame(
        {
            "name": ["Agglo"],
            "epci": [200046977],
            "q1_reference_epci": ["200046977"],
            "max_effort_rate": ["0.35"],
            "min_reste_a_vivre": [12],
        }
    )
    got = canonical(frame, TERRITORY)
    assert_canonical(got, TERRITORY)
    assert got["epci"].iloc[0] == "200046977"
    assert got["q1_overrides"].iloc[0] is None
    assert got["max_effort_rate"].iloc[0] == 0.35


def test_store_of_another_schema_is_refused(base: Path) -> None:
    con = duckdb.connect(str(base))
    con.execute("CREATE TABLE dwellings (millesime INTEGER, x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="pas les colonnes de cette version"):
        Store(base, read_only=False)


def test_store_of_an_earlier_version_is_refused_in_french(tmp_path: Path) -> None:
    """A communes table without the contour column (stores written before it existed) gives a
    French message, not a database error."""

    path = tmp_path / "ancienne.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE communes (millesime INTEGER, commune VARCHAR, commune_name VARCHAR, "
        "epci VARCHAR, epci_name VARCHAR, apl_zone VARCHAR, ceiling_zone VARCHAR)"
    )
    con.execute("INSERT INTO communes VALUES (2025, '01004', 'A', '240100883', 'B', '3', 'A')")
    con.close()
    with Store(path) as store, pytest.raises(StoreError) as caught:
        store.read("communes")
    assert "n'a pas les colonnes de cette version" in str(caught.value)
    assert "réimportez" in str(caught.value)
