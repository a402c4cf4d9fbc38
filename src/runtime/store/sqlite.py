"""The SQLite store: one file in WAL mode, written with `BEGIN IMMEDIATE` so that a second
writer waits (up to the busy timeout) instead of interleaving, and `synchronous=FULL` so that a
batch is on disk before `ingest` returns. A file that is not a clausec store is refused, never
overwritten."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runtime.store import GENESIS, Row, StoreError
from runtime.store.tail import Known, LedgerTail, Pending

SCHEMA = "clausec-store/2"
BUSY_TIMEOUT_MS = 10_000
CHECKPOINT_PAGES = 10_000

_TABLES = """
CREATE TABLE clausec_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE ledger (
  seq INTEGER PRIMARY KEY,
  contract TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX ledger_by_contract ON ledger (contract, seq);
CREATE TABLE snapshots (contract TEXT PRIMARY KEY, seq INTEGER NOT NULL, blob BLOB NOT NULL);
"""


class SqliteTransaction(LedgerTail):
    def __init__(self, connection: sqlite3.Connection, known: Known) -> None:
        self.connection = connection
        last = connection.execute("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
        found = last.fetchone()
        head = (int(found[0]), str(found[1])) if found else (0, GENESIS)
        super().__init__(known, head)

    def put_snapshot(self, contract: str, seq: int, blob: bytes) -> None:
        self.connection.execute(
            "INSERT INTO snapshots (contract, seq, blob) VALUES (?, ?, ?) "
            "ON CONFLICT (contract) DO UPDATE SET seq = excluded.seq, blob = excluded.blob",
            (contract, seq, blob),
        )

    def _contracts_after(self, seq: int) -> list[tuple[str, int]]:
        query = "SELECT contract, max(seq) FROM ledger WHERE seq > ? GROUP BY contract"
        return [(str(c), int(s)) for c, s in self.connection.execute(query, (seq,))]

    def _last_of(self, contract: str) -> int:
        query = "SELECT max(seq) FROM ledger WHERE contract = ?"
        found = self.connection.execute(query, (contract,)).fetchone()
        return int(found[0]) if found and found[0] is not None else 0

    def _write(self, rows: list[Pending]) -> None:
        self.connection.executemany(
            "INSERT INTO ledger (seq, contract, kind, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.location = str(path)
        self.known = Known()
        self.open: SqliteTransaction | None = None
        try:
            self.connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
            self._prepare()
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"{path} is not a usable SQLite database ({error}); clausec leaves it untouched"
            ) from error

    def _prepare(self) -> None:
        tables = {
            r[0]
            for r in self.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not tables:
            self.connection.executescript("BEGIN IMMEDIATE;" + _TABLES + "COMMIT;")
            self.connection.execute("INSERT INTO clausec_meta VALUES ('schema', ?)", (SCHEMA,))
        elif "clausec_meta" not in tables:
            raise StoreError(
                f"{self.location} is a SQLite database of something else "
                f"(tables: {', '.join(sorted(tables))}); clausec will not write "
                "to it"
            )
        schema = self.connection.execute(
            "SELECT value FROM clausec_meta WHERE key = 'schema'"
        ).fetchone()
        if schema is None or schema[0] != SCHEMA:
            raise StoreError(
                f"{self.location} holds store schema {schema and schema[0]}, not {SCHEMA}"
            )
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = FULL")
        # Each commit is synced to the WAL; copying the WAL into the database file is not
        # needed for durability, and fewer, larger copies write each page once for many
        # batches: at about 40 MB rather than SQLite's 4 MB.
        self.connection.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        self.connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @contextmanager
    def writing(self) -> Iterator[SqliteTransaction]:
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(
                f"{self.location} is being written by another process and "
                f"stayed locked ({error}); try again"
            ) from error
        try:
            self.open = tx = SqliteTransaction(self.connection, self.known)
            yield tx
            tx.flush()
            self.connection.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            self._roll_back()
            raise StoreError(f"could not commit to {self.location}: {error}") from error
        except BaseException:
            self._roll_back()
            raise
        finally:
            self.open = None
        tx.committed()

    def _roll_back(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def _settle_open(self) -> None:
        """Before a read: the open transaction's rows are read too."""
        if self.open is not None:
            self.open.flush()

    def rows(self, contract: str | None = None, after: int = 0) -> Iterator[Row]:
        self._settle_open()
        query = "SELECT seq, contract, kind, payload, prev_hash, hash FROM ledger WHERE seq > ?"
        params: tuple[object, ...] = (after,)
        if contract is not None:
            query += " AND contract = ?"
            params = (after, contract)
        try:
            for found in self.connection.execute(query + " ORDER BY seq", params):
                yield Row(*found)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.location} cannot be read: {error}") from error

    def snapshot(self, contract: str) -> tuple[int, bytes] | None:
        try:
            found = self.connection.execute(
                "SELECT seq, blob FROM snapshots WHERE contract = ?", (contract,)
            ).fetchone()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.location} cannot be read: {error}") from error
        return (int(found[0]), bytes(found[1])) if found else None

    def contracts(self) -> list[str]:
        query = (
            "SELECT contract FROM ledger WHERE kind = 'bundle' GROUP BY contract ORDER BY min(seq)"
        )
        self._settle_open()
        try:
            return [r[0] for r in self.connection.execute(query)]
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.location} cannot be read: {error}") from error

    def close(self) -> None:
        self.connection.close()
