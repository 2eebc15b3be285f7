"""The DuckDB store: one file per territory holding every millésime of every canonical table.

Each table of ``schema.TABLES`` (plus ``territory``) is a DuckDB table with the canonical columns
(types and casts: ``mixite.dtypes``) preceded by ``millesime INTEGER``. Store millésime N is the situation at 1 January N (see
``docs/store.md``). An import (``import_millesime``) is a single transaction: a failure or an
interruption (even ``SIGKILL``) leaves the store exactly as before; re-importing a millésime of a
table replaces it.

Applicant and occupant identifiers (``Table.pseudonymised`` columns) are replaced at import by a
keyed HMAC-SHA256 pseudonym. The random key lives in ``<base>.cle`` beside the store (mode 600),
is created on the first import and must never be published: with it, anyone holding a list of
real identifiers could recognise them. The same identifier gives the same pseudonym within a
store, so applications and attributions still join.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from mixite.dtypes import SQL_TYPES, from_arrow, objects, to_arrow
from mixite.errors import StoreError
from mixite.schema import COMMITMENTS, TABLES, TERRITORY, Table

__all__ = [
    "STORE_TABLES",
    "TERRITORY",
    "Store",
    "import_millesime",
    "key_path",
    "pseudonym_of",
    "pseudonymise",
]

#: Every table the store holds, by canonical name, in creation order.
STORE_TABLES: dict[str, Table] = {
    **TABLES,
    TERRITORY.name: TERRITORY,
    COMMITMENTS.name: COMMITMENTS,
}

#: Length (hex digits) of a pseudonym: 128 bits of the HMAC-SHA256 digest.
PSEUDONYM_HEX_DIGITS = 32
_KEY_BYTES = 32
_IMPORT_HINT = "Importez-le avec « mixite importer --base … --millesime … »."

ProgressCallback = Callable[[str, int], None]


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def key_path(path: str | Path) -> Path:
    """The pseudonymisation key file of the store ``path``: ``<base>.cle`` beside it."""
    base = Path(path)
    return base.with_name(base.name + ".cle")


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _table(name: str) -> Table:
    try:
        return STORE_TABLES[name]
    except KeyError:
        known = ", ".join(STORE_TABLES)
        raise StoreError(f"Table « {name} » inconnue du stockage (tables : {known}).") from None


# ---------------------------------------------------------------------------------------------
# Pseudonymisation
# ---------------------------------------------------------------------------------------------


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed pseudonyms: the first 32 hex digits of HMAC-SHA256(key, UTF-8 value); None stays None.

    Deterministic for a given key (same identifier → same pseudonym), so tables still join.
    """
    raw = objects(values)
    uniques = pd.unique(pd.Series(raw, dtype=object).dropna())
    table = {
        u: hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_DIGITS]
        for u in uniques
    }
    out = np.empty(len(raw), dtype=object)
    out[:] = [None if v is None else table[v] for v in raw]
    return pd.Series(out, index=values.index, dtype=object)


def _load_key(path: Path, create: bool) -> bytes | None:
    """Read the store's key; create it (32 random bytes, hex, mode 600) when ``create``."""
    file = key_path(path)
    if file.exists():
        text = file.read_text(encoding="latin-1").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != _KEY_BYTES:
            raise StoreError(
                f"Clé de pseudonymisation « {file} » illisible (64 chiffres hexadécimaux "
                "attendus). Restaurez la clé d'origine depuis votre sauvegarde."
            )
        return key
    if not create:
        return None
    key = secrets.token_bytes(_KEY_BYTES)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------


class Store:
    """A territory's DuckDB store (context manager).

    ``Store(path)`` opens it read-only (``StoreError`` in French when the file does not exist);
    ``Store(path, read_only=False)`` creates the file and the tables when missing. ``con`` is the
    DuckDB connection, for heavy SQL aggregates on the tables (columns: ``millesime`` then the
    canonical columns).
    """

    def __init__(self, path: str | Path, read_only: bool = True) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(
                f"Base « {self.path} » introuvable. Créez-la avec « mixite importer --base "
                f"{self.path} --millesime AAAA … »."
            )
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(
                f"Impossible d'ouvrir la base « {self.path} » ({exc}). Vérifiez que c'est bien "
                "une base mixite et qu'aucun autre programme ne l'écrit en ce moment."
            ) from exc
        if not read_only:
            self._create_schema()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def _existing(self) -> set[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _create_schema(self) -> None:
        existing = self._existing()
        for table in STORE_TABLES.values():
            if table.name in existing:
                self._check_columns(table)
                continue
            cols = ", ".join(
                ["millesime INTEGER NOT NULL"]
                + [f"{_q(c.name)} {SQL_TYPES[c.dtype]}" for c in table.columns]
            )
            self.con.execute(f"CREATE TABLE {_q(table.name)} ({cols})")

    def _check_columns(self, table: Table) -> None:
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table.name],
        ).fetchall()
        found = [str(r[0]) for r in rows]
        if found != ["millesime", *table.names]:
            raise StoreError(
                f"La table « {table.name} » de la base « {self.path} » n'a pas les colonnes de "
                "cette version de mixite. Créez une nouvelle base et réimportez les fichiers."
            )

    def millesimes(self, table: str | None = None) -> list[int]:
        """Millésimes present in ``table`` (or in any table), ascending."""
        existing = self._existing()
        names = [_table(table).name] if table is not None else list(STORE_TABLES)
        names = [n for n in names if n in existing]
        if not names:
            return []
        union = " UNION ".join(f"SELECT DISTINCT millesime FROM {_q(n)}" for n in names)
        rows = self.con.execute(f"SELECT DISTINCT millesime FROM ({union}) ORDER BY 1").fetchall()
        return [int(r[0]) for r in rows]

    def read(self, table: str, millesime: int | None = None) -> pd.DataFrame:
        """The canonical frame of ``table`` for ``millesime`` (the latest one when None).

        A store written by an earlier version of mixite (other columns) is refused in French.
        """
        spec = _table(table)
        available = self.millesimes(spec.name)
        if available:
            self._check_columns(spec)
        if not available:
            raise StoreError(
                f"La base « {self.path} » ne contient aucune donnée pour la table "
                f"« {spec.name} » ({spec.label}). {_IMPORT_HINT}"
            )
        chosen = max(available) if millesime is None else int(millesime)
        if chosen not in available:
            listed = ", ".join(str(m) for m in available)
            raise StoreError(
                f"Pas de millésime {chosen} pour la table « {spec.name} » ({spec.label}) dans la "
                f"base « {self.path} » (millésimes disponibles : {listed}). {_IMPORT_HINT}"
            )
        select = ", ".join(_q(c) for c in spec.names)
        data = self.con.sql(
            f"SELECT {select} FROM {_q(spec.name)} WHERE millesime = $m ORDER BY rowid",
            params={"m": chosen},
        ).to_arrow_table()
        return from_arrow(data, spec)

    def summary(self) -> pd.DataFrame:
        """Rows per (millésime, table), for the non-empty ones: columns millesime, table, rows."""
        existing = self._existing()
        parts = [
            f"SELECT millesime, '{t}' AS \"table\", {i} AS ord, count(*) AS rows "
            f"FROM {_q(t)} GROUP BY millesime"
            for i, t in enumerate(STORE_TABLES)
            if t in existing
        ]
        if not parts:
            return pd.DataFrame(
                {
                    "millesime": pd.Series([], dtype="int64"),
                    "table": pd.Series([], dtype=object),
                    "rows": pd.Series([], dtype="int64"),
                }
            )
        rows = self.con.execute(
            f'SELECT millesime, "table", rows FROM ({" UNION ALL ".join(parts)}) '
            "ORDER BY millesime, ord"
        ).fetchall()
        return pd.DataFrame(
            {
                "millesime": pd.Series([int(r[0]) for r in rows], dtype="int64"),
                "table": pd.Series([str(r[1]) for r in rows], dtype=object),
                "rows": pd.Series([int(r[2]) for r in rows], dtype="int64"),
            }
        )

    def has_pseudonyms(self) -> bool:
        """True when a table with pseudonymised columns holds rows."""
        existing = self._existing()
        for table in STORE_TABLES.values():
            if table.pseudonymised and table.name in existing:
                row = self.con.execute(f"SELECT count(*) FROM {_q(table.name)}").fetchone()
                if row is not None and int(row[0]) > 0:
                    return True
        return False


def import_millesime(
    path: str | Path,
    millesime: int,
    frames: Mapping[str, pd.DataFrame],
    *,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Import ``frames`` (canonical table name → frame) as ``millesime`` of the store ``path``.

    Every frame is validated and pseudonymised first; then, in ONE transaction, each given table
    loses its rows of ``millesime`` and receives the frame's. A failure or an interruption leaves
    the store as before. Creates the store (and its key ``<base>.cle``) when missing. Returns the
    rows imported per table. ``progress(table, rows)`` is called after each table's insertion.
    """
    if not 1900 <= int(millesime) <= 2100:
        raise StoreError(f"Millésime « {millesime} » invalide : attendu une année (ex. 2025).")
    arrow = {name: to_arrow(frame, _table(name)) for name, frame in frames.items()}
    if not arrow:
        raise StoreError("Aucun tableau à importer : donnez au moins un fichier.")
    needs_key = any(STORE_TABLES[name].pseudonymised for name in arrow)
    with Store(path, read_only=False) as store:
        key = _load_key(store.path, create=False)
        if key is None and needs_key:
            if store.has_pseudonyms():
                raise StoreError(
                    f"Clé de pseudonymisation « {key_path(store.path)} » absente alors que la "
                    "base contient déjà des identifiants pseudonymisés : sans elle, les nouveaux "
                    "identifiants ne se rapprocheraient plus des anciens. Restaurez la clé "
                    "depuis votre sauvegarde, ou créez une nouvelle base."
                )
            key = _load_key(store.path, create=True)
        for name, data in arrow.items():
            for col in STORE_TABLES[name].pseudonymised:
                assert key is not None
                index = data.schema.get_field_index(col)
                clear = pd.Series(data.column(col).to_numpy(zero_copy_only=False), dtype=object)
                hidden = pa.array(pseudonymise(clear, key), type=pa.string(), from_pandas=True)
                data = data.set_column(index, col, hidden)
            arrow[name] = data
        con = store.con
        con.execute("BEGIN TRANSACTION")
        try:
            for name, data in arrow.items():
                spec = STORE_TABLES[name]
                con.execute(f"DELETE FROM {_q(name)} WHERE millesime = ?", [int(millesime)])
                con.register("_mixite_import", data)
                cols = ", ".join(_q(c) for c in spec.names)
                con.execute(
                    f"INSERT INTO {_q(name)} (millesime, {cols}) "
                    f"SELECT {int(millesime)}, {cols} FROM _mixite_import"
                )
                con.unregister("_mixite_import")
                if progress is not None:
                    progress(name, data.num_rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return {name: data.num_rows for name, data in arrow.items()}


def pseudonym_of(path: str | Path, identifier: str) -> str | None:
    """The pseudonym the store at ``path`` gives to a clear identifier (an SNE number), with the
    key beside the store; None when the key is absent (only its holder can resolve numbers)."""
    key = _load_key(Path(path), create=False)
    if key is None:
        return None
    return str(pseudonymise(pd.Series([identifier], dtype=object), key).iloc[0])
