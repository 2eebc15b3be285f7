"""The store's lock of the web application: one access at a time across processes (an
exclusive ``flock`` that another process cannot take meanwhile), and cache hits that never wait
for it (a page is not held up by a background run reading the store)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from mixite.web import territory

from .conftest import HeldLock

#: Tries a non-blocking exclusive lock on the file; prints « libre » or « pris ».
PROBE = """
import fcntl, sys
with open(sys.argv[1], "a") as f:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("pris")
    else:
        print("libre")
"""


def _probe() -> str:
    path = territory.web_dir() / "base.verrou"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_store_lock_excludes_other_processes(db: Any) -> None:
    with territory.STORE_LOCK:
        with territory.STORE_LOCK:  # re-entrant in the holding thread
            assert _probe() == "pris"
        assert _probe() == "pris"  # still held by the outer access
    assert _probe() == "libre"


def test_cache_hits_do_not_wait_for_the_store(hold_store_lock: Callable[[], HeldLock]) -> None:
    names = territory.names()  # computed once, before a background run takes the lock
    hold_store_lock()
    start = time.monotonic()
    assert territory.names() is names
    assert time.monotonic() - start < 1.0


def test_bounded_wait_for_the_store_lock(hold_store_lock: Callable[[], HeldLock]) -> None:
    """``within(seconds)`` gives up with a French message when another thread holds the lock
    longer, and takes it at once when it is free (and re-entrantly)."""
    from mixite.errors import StoreError

    run = hold_store_lock()
    start = time.monotonic()
    busy = pytest.raises(StoreError, match="occupée depuis plus de 0,2 s")
    with busy, territory.STORE_LOCK.within(0.2):
        pass
    assert 0.2 <= time.monotonic() - start < 5.0
    run.release()
    with territory.STORE_LOCK.within(0.2), territory.STORE_LOCK.within(0.0):
        assert _probe() == "pris"
    assert _probe() == "libre"


def test_a_write_by_the_application_refreshes_every_cache(db: Any) -> None:
    """After ``store_written`` (the application wrote the store), the cached values are computed
    again, in this process and — by the token file — in the others, even when the store file's
    modification time did not change (coarse file times)."""
    import os

    path = territory.base()
    stat = path.stat()
    names = territory.names()
    key = territory.version_key()
    assert territory.names() is names
    territory.store_written()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the same modification time
    assert territory.version_key() != key
    assert territory.names() is not names
    # Another process's values (simulated: the entry kept under the old token) are not used.
    again = territory.names()
    with territory._CACHE_LOCK:
        old = [k for k in territory._CACHE if k[0] == "names"]
    territory.store_written()
    with territory._CACHE_LOCK:
        for k in old:
            territory._CACHE[k] = names  # as if this process had kept its value
    assert territory.names() is not names and territory.names() is not again
