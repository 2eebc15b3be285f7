"""Damaged or foreign bases, permissions, key fingerprints and a full disk (issue 21, item 8).

Each refused case also checks that the file given as the base is byte for byte unchanged: the
refusal comes before anything is written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mixite._duckdb import SAFE_CONFIG, connect, one_thread
from mixite.errors import StoreError
from mixite.schema import TABLES
from mixite.store import META_TABLE, Store, import_millesime, key_fingerprint, key_path
from test_store import make_frame

SRC = Path(__file__).parents[1] / "src"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def base(tmp_path: Path) -> Path:
    path = tmp_path / "territoire.duckdb"
    import_millesime(path, 2025, {"applications": make_frame(TABLES["applications"], 50, 1)})
    return path


def _applications(seed: int = 2) -> dict[str, object]:
    return {"applications": make_frame(TABLES["applications"], 5, seed)}


def test_base_and_key_are_created_private_even_under_umask_000(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        path = tmp_path / "neuve.duckdb"
        import_millesime(path, 2025, _applications())  # type: ignore[arg-type]
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path(path).stat().st_mode) == 0o600


def test_an_old_world_readable_base_is_tightened_on_import(base: Path) -> None:
    base.chmod(0o644)
    import_millesime(base, 2026, _applications())  # type: ignore[arg-type]
    assert stat.S_IMODE(base.stat().st_mode) == 0o600


def test_the_base_keeps_the_fingerprint_of_its_key(base: Path) -> None:
    key = bytes.fromhex(key_path(base).read_text(encoding="ascii").strip())
    with Store(base) as store:
        assert store.meta("empreinte_cle") == key_fingerprint(key)
    # The fingerprint is an HMAC of a fixed text: recomputed here with the standard library.
    import hmac

    expected = hmac.new(key, b"mixite: empreinte de la cle de pseudonymisation", "sha256")
    assert key_fingerprint(key) == expected.hexdigest()[:32]


def test_a_key_of_another_base_is_refused(base: Path, tmp_path: Path) -> None:
    other = tmp_path / "autre.duckdb"
    import_millesime(other, 2025, _applications(5))  # type: ignore[arg-type]
    shutil.copy(key_path(other), key_path(base))
    before = _digest(base)
    with pytest.raises(StoreError, match=r"n'est pas celle de la base"):
        import_millesime(base, 2026, _applications())  # type: ignore[arg-type]
    assert _digest(base) == before


def test_a_key_readable_by_others_is_refused(base: Path) -> None:
    key_path(base).chmod(0o644)
    with pytest.raises(StoreError, match=r"lisible par d'autres utilisateurs \(droits 644\)"):
        import_millesime(base, 2026, _applications())  # type: ignore[arg-type]


def test_a_base_without_fingerprint_records_it_on_the_next_import(base: Path) -> None:
    with connect(str(base)) as con:
        con.execute(f"DELETE FROM {META_TABLE}")
    import_millesime(base, 2026, _applications())  # type: ignore[arg-type]
    with Store(base) as store:
        assert store.meta("empreinte_cle") is not None


def test_a_sqlite_file_is_refused_before_duckdb_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "base.duckdb"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    before = _digest(path)
    for read_only in (True, False):
        with pytest.raises(StoreError, match="est une base SQLite, pas une base mixite"):
            Store(path, read_only=read_only)
    with pytest.raises(StoreError, match="base SQLite"):
        import_millesime(path, 2025, _applications())  # type: ignore[arg-type]
    assert _digest(path) == before


def test_one_thread_sets_duckdb_to_one_thread_inside_the_block_only(tmp_path: Path) -> None:
    def threads(database: str = ":memory:") -> int:
        con = connect(database)
        try:
            return int(con.execute("SELECT current_setting('threads')").fetchone()[0])
        finally:
            con.close()

    before = (threads(), threads(str(tmp_path / "a.duckdb")))
    with one_thread():  # the readers' in-memory database and a store opened in the block
        assert (threads(), threads(str(tmp_path / "b.duckdb"))) == (1, 1)
    assert (threads(), threads(str(tmp_path / "c.duckdb"))) == before


def test_duckdb_prints_no_progress_bar_of_its_own(tmp_path: Path) -> None:
    # DuckDB's default is a bar printed on standard output for queries over two seconds (seen in
    # the national run's log: « 100% ▕████▏ »): off on the readers' cursors and on the stores
    for database in (":memory:", str(tmp_path / "a.duckdb")):
        con = connect(database)
        try:
            row = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
        finally:
            con.close()
        assert row == (False,)


def test_duckdb_never_installs_or_loads_an_extension() -> None:
    assert SAFE_CONFIG["autoinstall_known_extensions"] is False
    with connect() as con:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions')"
            ).fetchall()
        )
        assert settings == {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
        }
        # A function of a not-loaded extension fails at once instead of fetching it.
        with pytest.raises(Exception, match=r"(?i)extension"):
            con.execute("SELECT * FROM sqlite_scan('x.db', 't')")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"vide \(0 octet\)"),
        (b"identifiant;nom\n1;a\n", "n'est pas une base mixite"),
        (b"PK\x03\x04" + b"\x00" * 100, "n'est pas une base mixite"),
    ],
)
def test_foreign_or_empty_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "base.duckdb"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        import_millesime(path, 2025, _applications())  # type: ignore[arg-type]
    assert path.read_bytes() == content


def test_a_truncated_base_is_refused_before_writing(base: Path) -> None:
    size = base.stat().st_size
    os.truncate(base, size // 2)
    before = _digest(base)
    with pytest.raises(StoreError, match="endommagée"):
        import_millesime(base, 2026, _applications())  # type: ignore[arg-type]
    assert _digest(base) == before


def test_a_base_with_a_damaged_block_is_refused_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "base.duckdb"
    import_millesime(path, 2025, {"applications": make_frame(TABLES["applications"], 20000, 1)})
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(4096))
    before = _digest(path)
    with pytest.raises(StoreError, match="endommagée"):
        import_millesime(path, 2026, _applications())  # type: ignore[arg-type]
    assert _digest(path) == before


_FULL_DISK = textwrap.dedent(
    """
    import resource, sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from test_store import make_frame
    from mixite.errors import StoreError
    from mixite.schema import TABLES
    from mixite.store import import_millesime
    frames = {{"applications": make_frame(TABLES["applications"], 20000, 7)}}
    # Writes beyond this size fail (EFBIG; CPython ignores SIGXFSZ), as on a full disk.
    resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
    try:
        import_millesime(Path(sys.argv[1]), 2026, frames)
    except StoreError as exc:
        print(exc)
        sys.exit(2)
    """
)


@pytest.mark.parametrize("existing", [False, True])
def test_a_full_disk_ends_in_french_and_leaves_no_empty_base(
    tmp_path: Path, existing: bool
) -> None:
    path = tmp_path / "base.duckdb"
    before = None
    if existing:
        import_millesime(path, 2025, {"applications": make_frame(TABLES["applications"], 10, 1)})
        before = _digest(path)
    limit = (path.stat().st_size if existing else 0) + 150_000
    script = _FULL_DISK.format(tests=str(Path(__file__).parent), limit=limit)
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith("Espace disque insuffisant pour écrire la base")
    if existing:
        with Store(path) as store:
            assert store.millesimes() == [2025]
        assert before is not None
    else:
        assert not path.exists(), "no empty or partial base is left behind"
        assert not key_path(path).exists()
