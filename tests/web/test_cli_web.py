"""``mixite web`` in a subprocess (Django configured from scratch, as a user runs it): the web
database is migrated beside the store, one demo account per role is printed, and the printed
passwords open the accounts (Argon2 hashes in the database)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from mixite.store import key_path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MIXITE_WEB"))}
    return subprocess.run(
        [sys.executable, "-m", "mixite", *args], capture_output=True, text=True, timeout=300,
        env=env,
    )  # fmt: skip


def test_web_prepares_the_demo_accounts(petite_store: Path, tmp_path: Path) -> None:
    base = tmp_path / "territoire.duckdb"
    shutil.copy(petite_store, base)
    shutil.copy(key_path(petite_store), key_path(base))
    done = _run("web", "--base", str(base), "--demo", "--preparer")
    assert done.returncode == 0, done.stderr
    accounts = dict(re.findall(r"^  (\S+) / (\S+) \(", done.stdout, flags=re.M))
    assert set(accounts) == {"admin-epci", "bailleur", "reservataire", "etat"}
    database = tmp_path / "territoire.web" / "web.sqlite3"
    with sqlite3.connect(database) as con:
        rows = dict(con.execute("SELECT username, password FROM auth_user").fetchall())
        roles = dict(
            con.execute(
                "SELECT u.username, p.role FROM web_profile p JOIN auth_user u ON u.id = p.user_id"
            ).fetchall()
        )
    assert roles == {
        "admin-epci": "admin", "bailleur": "bailleur", "reservataire": "reservataire",
        "etat": "etat",
    }  # fmt: skip
    from django.contrib.auth.hashers import check_password

    for name, password in accounts.items():
        assert rows[name].startswith("argon2$")
        assert check_password(password, rows[name])


def test_web_without_store_is_a_french_error(tmp_path: Path) -> None:
    done = _run("web", "--base", str(tmp_path / "absente.duckdb"), "--preparer")
    assert done.returncode == 2
    assert "introuvable" in done.stderr and "Traceback" not in done.stderr


def test_the_database_is_the_one_asked(db: object) -> None:
    """The web tests run on SQLite, and on PostgreSQL when ``MIXITE_WEB_DB`` names a server
    (``.ci/run`` starts one and runs ``tests/web`` again against it)."""
    from django.db import connection

    asked = os.environ.get("MIXITE_WEB_DB", "")
    expected = "postgresql" if asked.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_web_serves_with_gunicorn_and_runs_in_the_consumer(
    petite_store: Path, tmp_path: Path
) -> None:
    """``mixite web`` serves the pages from two gunicorn processes, and a run launched from the
    « Travaux » page is executed by the task consumer's process; Ctrl-C (SIGINT) stops all."""
    import http.cookiejar
    import signal
    import time
    import urllib.parse
    import urllib.request

    base = tmp_path / "territoire.duckdb"
    shutil.copy(petite_store, base)
    shutil.copy(key_path(petite_store), key_path(base))
    done = _run("web", "--base", str(base), "--demo", "--preparer")
    assert done.returncode == 0, done.stderr
    password = dict(re.findall(r"^  (\S+) / (\S+) \(", done.stdout, flags=re.M))["admin-epci"]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MIXITE_WEB"))}
    server = subprocess.Popen(
        [sys.executable, "-m", "mixite", "web", "--base", str(base), "--port", str(port),
         "--processus", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    root = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                page = opener.open(f"{root}/connexion/", timeout=5).read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "le serveur n'a pas démarré"
                time.sleep(0.5)

        def token(html: str) -> str:
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
            assert found is not None
            return found.group(1)

        def post(path: str, html: str, data: dict[str, str]) -> str:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token(html), **data}).encode()
            request = urllib.request.Request(f"{root}{path}", body, headers={"Referer": root})
            return opener.open(request, timeout=30).read().decode()

        post("/connexion/", page, {"username": "admin-epci", "password": password})
        runs = opener.open(f"{root}/travaux/", timeout=30).read().decode()
        post("/travaux/", runs, {"travail": "diagnostic"})
        deadline = time.monotonic() + 240
        while True:
            fragment = opener.open(f"{root}/travaux/1/", timeout=30).read().decode()
            if "terminé" in fragment or "échec" in fragment:
                break
            assert time.monotonic() < deadline, fragment
            time.sleep(1)
        assert "terminé" in fragment and "diagnostic.html" in fragment, fragment
        # Two server processes answer (the process name gunicorn gives its workers).
        workers = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(workers) == 3, workers  # two workers and the task consumer
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=60)
    assert server.returncode == 0, out
    assert "Traceback" not in out, out
