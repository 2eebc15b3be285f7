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
