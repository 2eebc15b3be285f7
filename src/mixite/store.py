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
store, so applications and attributions still join. The store keeps a fingerprint of its key
(table ``mixite_meta``, an HMAC of a fixed text: it reveals nothing of the key), so a key of
another store is refused, and so is a key file readable by other users.

Safety of the file itself: the store and its key are created readable by their owner only
(mode 600; the store holds pseudonymised personal data); a file that is not a complete DuckDB
store (a SQLite file, a truncated or damaged store, an empty file) is refused in French before
anything is written, and an import reads every table once before writing so that a damaged block
stops it; DuckDB never installs nor loads an extension (``mixite._duckdb``); a full disk ends in
a French message and leaves no empty store behind.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import secrets
import struct
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from mixite._duckdb import connect
from mixite.dtypes import SQL_TYPES, from_arrow, objects, to_arrow
from mixite.errors import StoreError
from mixite.schema import COMMITMENTS, RELOCATION_FOLLOWUP, TABLES, TERRITORY, Table

__all__ = [
    "STORE_TABLES",
    "TERRITORY",
    "Store",
    "check_base_file",
    "import_millesime",
    "key_fingerprint",
    "key_path",
    "pseudonym_of",
    "pseudonymise",
    "pseudonymise_with_key",
    "replace_partner_rows",
]

#: Every table the store holds, by canonical name, in creation order.
STORE_TABLES: dict[str, Table] = {
    **TABLES,
    TERRITORY.name: TERRITORY,
    COMMITMENTS.name: COMMITMENTS,
    # the relocation follow-up once filled by the partners (``mixite importer --suivi-relogement``):
    # its identifiers are already the pseudonyms ``mixite reloger`` wrote
    RELOCATION_FOLLOWUP.name: RELOCATION_FOLLOWUP,
}

#: Length (hex digits) of a pseudonym: 128 bits of the HMAC-SHA256 digest.
PSEUDONYM_HEX_DIGITS = 32
_KEY_BYTES = 32
#: The table of the store's own facts (key fingerprint), beside the canonical tables.
META_TABLE = "mixite_meta"
_FINGERPRINT = "empreinte_cle"
_FINGERPRINT_TEXT = b"mixite: empreinte de la cle de pseudonymisation"
#: DuckDB file layout: a main header (magic ``DUCK`` at byte 8) and two database headers of
#: 4 kB each, then blocks; a database header holds its iteration, block count and block size.
_HEADER_BYTES = 4096
_MAGIC = b"DUCK"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_RESTORE_HINT = (
    "Restaurez-la depuis votre sauvegarde, ou créez une nouvelle base (autre nom de fichier) et "
    "réimportez les fichiers."
)
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
    # hmac.digest: the one-shot C path of HMAC, same bytes as hmac.new(...).digest() without
    # building a Python HMAC object per identifier (250 000 per large territory)
    table = {
        u: hmac.digest(key, str(u).encode("utf-8"), "sha256").hex()[:PSEUDONYM_HEX_DIGITS]
        for u in uniques
    }
    out = np.empty(len(raw), dtype=object)
    out[:] = [None if v is None else table[v] for v in raw]
    return pd.Series(out, index=values.index, dtype=object)


def key_fingerprint(key: bytes) -> str:
    """The fingerprint of a pseudonymisation key kept in its store: HMAC-SHA256 of a fixed text
    under the key (32 hex digits). It identifies the key without revealing it."""
    return hmac.new(key, _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_DIGITS]


def _load_key(path: Path, create: bool) -> bytes | None:
    """Read the store's key; create it (32 random bytes, hex, mode 600) when ``create``.

    A key file that other users can read (group or others permission bits) is refused.
    """
    file = key_path(path)
    if file.exists():
        mode = file.stat().st_mode & 0o777
        if os.name == "posix" and mode & 0o077:
            raise StoreError(
                f"Clé de pseudonymisation « {file} » lisible par d'autres utilisateurs (droits "
                f"{mode:o}) : quiconque la lit peut reconnaître les identifiants d'origine. "
                f"Restreignez-la à vous seul (« chmod 600 {file} ») puis relancez la commande."
            )
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
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        file.unlink(missing_ok=True)
        raise
    return key


# ---------------------------------------------------------------------------------------------
# The file: foreign, empty, truncated or damaged stores; disk full
# ---------------------------------------------------------------------------------------------


def check_base_file(path: Path) -> None:
    """Refuse (``StoreError``, French) a file that is not a complete DuckDB store: a directory,
    an empty file, a SQLite or other foreign file, a file shorter than its header says."""
    if path.is_dir():
        raise StoreError(
            f"« {path} » est un dossier, pas une base. Donnez le chemin d'un fichier .duckdb."
        )
    size = path.stat().st_size
    if size == 0:
        raise StoreError(
            f"Base « {path} » vide (0 octet) : ce n'est pas une base mixite, sans doute le reste "
            "d'une écriture interrompue. Supprimez ce fichier, puis relancez l'import."
        )
    with path.open("rb") as handle:
        head = handle.read(3 * _HEADER_BYTES)
    if head.startswith(_SQLITE_MAGIC):
        raise StoreError(
            f"« {path} » est une base SQLite, pas une base mixite (DuckDB). Donnez le chemin "
            "d'une base créée par « mixite importer », ou un nouveau nom de fichier pour en créer "
            "une."
        )
    if head[8:12] != _MAGIC:
        raise StoreError(
            f"« {path} » n'est pas une base mixite (DuckDB). Donnez le chemin d'une base créée "
            "par « mixite importer », ou un nouveau nom de fichier pour en créer une."
        )
    if len(head) < 3 * _HEADER_BYTES:
        raise StoreError(
            f"Base « {path} » endommagée (fichier tronqué : {size} octets). {_RESTORE_HINT}"
        )
    headers = [struct.unpack_from("<8Q", head, offset) for offset in (4096, 8192)]
    active = max(headers, key=lambda h: h[1])
    meta_block, block_size = active[2], active[5]
    plausible = 4096 <= block_size <= 1 << 30 and block_size & (block_size - 1) == 0
    # The catalogue's first block (index in the low 56 bits) must lie inside the file; the
    # data blocks are checked when an import reads every table (``Store.verify``).
    block = meta_block & ((1 << 56) - 1)
    needed = 3 * _HEADER_BYTES + (block + 1) * block_size
    if plausible and meta_block != (1 << 64) - 1 and size < needed:
        raise StoreError(
            f"Base « {path} » endommagée (fichier tronqué : {size} octets, son catalogue "
            f"commence au-delà). {_RESTORE_HINT}"
        )


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DISK_FULL_TEXT = ("No space left on device", "Disk quota exceeded", "File too large")


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (an ``OSError`` or a DuckDB error) says the disk or quota is full."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return True
    return isinstance(exc, duckdb.Error) and any(text in str(exc) for text in _DISK_FULL_TEXT)


def _disk_full(path: Path) -> StoreError:
    return StoreError(
        f"Espace disque insuffisant pour écrire la base « {path} ». Libérez de la place sur le "
        "disque (ou choisissez une base sur un autre disque), puis relancez l'import : la base "
        "n'a pas été modifiée."
    )


def _open_problem(path: Path, exc: duckdb.Error) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        return StoreError(
            f"La base « {path} » est en cours d'écriture par un autre programme (un import ?). "
            "Attendez qu'il se termine, puis relancez la commande."
        )
    if "Permission denied" in text or "Read-only" in text or "read-only" in text:
        return StoreError(
            f"Écriture impossible dans la base « {path} » (fichier ou dossier en lecture seule). "
            "Vérifiez les droits du fichier et de son dossier, ou choisissez un autre chemin."
        )
    if is_disk_full(exc):
        return _disk_full(path)
    return StoreError(
        f"Impossible d'ouvrir la base « {path} » : le fichier est endommagé ou n'est pas une base "
        f"mixite. {_RESTORE_HINT}"
    )


@contextmanager
def _private_files() -> Iterator[None]:
    """Files created inside (the store, its WAL) are readable by their owner only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


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
        existed = self.path.exists()
        if read_only and not existed:
            raise StoreError(
                f"Base « {self.path} » introuvable. Créez-la avec « mixite importer --base "
                f"{self.path} --millesime AAAA … »."
            )
        if existed:
            check_base_file(self.path)
        if not read_only and not self.path.parent.is_dir():
            raise StoreError(
                f"Dossier « {self.path.parent} » introuvable : créez-le, ou choisissez un autre "
                "chemin pour la base."
            )
        #: True when this object created the file (an import that fails then removes it).
        self.created = False
        try:
            with _private_files():
                self.con = connect(str(self.path), read_only=read_only)
                self.created = not existed
                if not read_only:
                    self._create_schema()
        except duckdb.Error as exc:
            problem = _open_problem(self.path, exc)
            # A lock error means another process created the file meanwhile: it is theirs.
            if self.created or (not existed and "en cours d'écriture" not in str(problem)):
                _remove_new_store(self.path)
            raise problem from exc
        except BaseException:
            if self.created:
                _remove_new_store(self.path)
            raise
        if not read_only and os.name == "posix":
            # Bases created by older versions were world-readable: tighten them too.
            try:
                if self.path.stat().st_mode & 0o077:
                    self.path.chmod(0o600)
            except OSError:
                pass

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
        if META_TABLE not in existing:
            self.con.execute(
                f"CREATE TABLE {_q(META_TABLE)} (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
            )

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

    def meta(self, name: str) -> str | None:
        """A fact of the store (``mixite_meta``), or ``None`` when absent."""
        if META_TABLE not in self._existing():
            return None
        row = self.con.execute(
            f"SELECT value FROM {_q(META_TABLE)} WHERE name = ?", [name]
        ).fetchone()
        return None if row is None else str(row[0])

    def verify(self) -> None:
        """Read every column of every table once, so that a damaged block is found before
        anything is written (DuckDB checks each block's checksum when it reads it)."""
        try:
            for name in sorted(self._existing()):
                self.con.execute(f"SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM {_q(name)}")
        except duckdb.Error as exc:
            raise StoreError(
                f"Base « {self.path} » endommagée : une partie de ses données est illisible. "
                f"{_RESTORE_HINT}"
            ) from exc

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
    base = Path(path)
    new_key = not key_path(base).exists()
    opened: dict[str, bool] = {}
    try:
        return _import(base, int(millesime), arrow, needs_key, progress, opened)
    except BaseException as exc:
        if opened.get("created"):
            _remove_new_store(base)
            if new_key:
                key_path(base).unlink(missing_ok=True)
        if is_disk_full(exc):
            raise _disk_full(base) from exc
        if isinstance(exc, duckdb.InterruptException):
            raise KeyboardInterrupt from exc
        if isinstance(exc, duckdb.Error):
            raise _open_problem(base, exc) from exc
        raise


def _remove_new_store(path: Path) -> None:
    """Remove a store this process created and could not complete (no empty store is left)."""
    for file in (path, path.with_name(path.name + ".wal")):
        with suppress(OSError):
            file.unlink(missing_ok=True)


def _import(
    base: Path,
    millesime: int,
    arrow: dict[str, pa.Table],
    needs_key: bool,
    progress: ProgressCallback | None,
    opened: dict[str, bool],
) -> dict[str, int]:
    with Store(base, read_only=False) as store, _private_files():
        opened["created"] = store.created
        store.verify()
        fingerprint = store.meta(_FINGERPRINT)
        key = _load_key(store.path, create=False)
        if key is not None and fingerprint is not None and key_fingerprint(key) != fingerprint:
            raise StoreError(
                f"La clé de pseudonymisation « {key_path(store.path)} » n'est pas celle de la base "
                f"« {store.path} » (son empreinte diffère de celle enregistrée dans la base) : "
                "les nouveaux identifiants ne se rapprocheraient plus des anciens. Remettez la clé "
                "de cette base depuis votre sauvegarde."
            )
        if key is None and needs_key:
            if store.has_pseudonyms() or fingerprint is not None:
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
                con.execute(f"DELETE FROM {_q(name)} WHERE millesime = ?", [millesime])
                con.register("_mixite_import", data)
                cols = ", ".join(_q(c) for c in spec.names)
                con.execute(
                    f"INSERT INTO {_q(name)} (millesime, {cols}) "
                    f"SELECT {millesime}, {cols} FROM _mixite_import"
                )
                con.unregister("_mixite_import")
                if progress is not None:
                    progress(name, data.num_rows)
            if key is not None and fingerprint is None:
                con.execute(
                    f"INSERT INTO {_q(META_TABLE)} VALUES (?, ?)",
                    [_FINGERPRINT, key_fingerprint(key)],
                )
            con.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        # Write the committed data into the file now, so that a full disk shows here.
        con.execute("CHECKPOINT")
    return {name: data.num_rows for name, data in arrow.items()}


def replace_partner_rows(
    path: str | Path, millesime: int, table: str, column: str, value: str, frame: pd.DataFrame
) -> tuple[int, int]:
    """Replace one partner's rows of ``table`` in ``millesime`` (those whose ``column`` equals
    ``value``) by ``frame``, in ONE transaction: the other partners' rows are untouched, a
    failure leaves the store as before. Every row of ``frame`` must belong to the partner
    (``StoreError`` otherwise, before any write); its pseudonymised columns are pseudonymised
    with the store's key. Returns (rows removed, rows inserted).

    Used by the partners' uploads (``mixite.jobs.importing.import_partner_file``): a landlord
    sends its own attributions of the year and nothing else changes.
    """
    spec = _table(table)
    if column not in spec.names:
        raise StoreError(f"Colonne « {column} » absente de la table « {table} ».")
    foreign = frame[frame[column].astype(str) != str(value)]
    if not foreign.empty:
        raise StoreError(
            f"{len(foreign)} ligne(s) n'appartiennent pas au partenaire « {value} » : rien "
            "n'est importé."
        )
    data = to_arrow(frame, spec)
    with Store(path, read_only=False) as store:
        if millesime not in store.millesimes(table):
            raise StoreError(f"La base ne contient pas le millésime {millesime} de « {table} ».")
        if spec.pseudonymised:
            key = _load_key(store.path, create=False)
            if key is None:
                raise StoreError(
                    f"Clé de pseudonymisation « {key_path(store.path)} » absente : les "
                    "identifiants déposés ne se rapprocheraient plus de ceux de la base."
                )
            for col in spec.pseudonymised:
                index = data.schema.get_field_index(col)
                clear = pd.Series(data.column(col).to_numpy(zero_copy_only=False), dtype=object)
                hidden = pa.array(pseudonymise(clear, key), type=pa.string(), from_pandas=True)
                data = data.set_column(index, col, hidden)
        con = store.con
        con.execute("BEGIN TRANSACTION")
        try:
            row = con.execute(
                f"SELECT count(*) FROM {_q(table)} WHERE millesime = ? AND {_q(column)} = ?",
                [int(millesime), str(value)],
            ).fetchone()
            removed = int(row[0]) if row is not None else 0
            con.execute(
                f"DELETE FROM {_q(table)} WHERE millesime = ? AND {_q(column)} = ?",
                [int(millesime), str(value)],
            )
            con.register("_mixite_partner", data)
            cols = ", ".join(_q(c) for c in spec.names)
            con.execute(
                f"INSERT INTO {_q(table)} (millesime, {cols}) "
                f"SELECT {int(millesime)}, {cols} FROM _mixite_partner"
            )
            con.unregister("_mixite_partner")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return removed, data.num_rows


def pseudonym_of(path: str | Path, identifier: str) -> str | None:
    """The pseudonym the store at ``path`` gives to a clear identifier (an SNE number), with the
    key beside the store; None when the key is absent (only its holder can resolve numbers)."""
    key = _load_key(Path(path), create=False)
    if key is None:
        return None
    return str(pseudonymise(pd.Series([identifier], dtype=object), key).iloc[0])


def pseudonymise_with_key(path: str | Path, values: pd.Series) -> pd.Series:
    """Pseudonyms of clear identifiers with the key of the store at ``path`` (the survey of
    ``mixite reloger`` is pseudonymised like the SNE numbers on import); ``StoreError`` in
    French when the key is absent."""
    key = _load_key(Path(path), create=False)
    if key is None:
        raise StoreError(
            f"Clé de pseudonymisation « {key_path(Path(path))} » absente : les identifiants des "
            "ménages ne peuvent pas être pseudonymisés. Placez la clé de la base à côté d'elle."
        )
    return pseudonymise(values, key)
