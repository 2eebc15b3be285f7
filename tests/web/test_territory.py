"""The store's lock of the web application: one access at a time across processes (an
exclusive ``flock`` that another process cannot take meanwhile), and cache hits that never wait
for it (a page is not held up by a background run reading the store)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

from mixite.web import territory

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


def test_cache_hits_do_not_wait_for_the_store(db: Any) -> None:
    names = territory.names()  # computed once
    held = threading.Event()
    release = threading.Event()

    def background_run() -> None:
        with territory.STORE_LOCK:
            held.set()
            release.wait(30)

    worker = threading.Thread(target=background_run)
    worker.start()
    try:
        assert held.wait(30)
        start = time.monotonic()
        assert territory.names() is names
        assert time.monotonic() - start < 1.0
    finally:
        release.set()
        worker.join()
