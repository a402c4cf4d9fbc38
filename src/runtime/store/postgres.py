"""The PostgreSQL store (psycopg 3), selected by a `postgresql://` URL: the SQLite store's schema,
in a `clausec` schema of its own so that the database may hold other applications' tables.

One writer at a time: each write transaction first takes a transaction-scoped advisory lock, so
a second writer waits (up to the lock timeout) and then gets a clear error. Commits are
synchronous, so a batch is durable before `ingest` returns. A `clausec` schema that is not a
clausec store is refused, never written to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

from runtime.store import GENESIS, Row, StoreError
from runtime.store.tail import Known, LedgerTail, Pending

SCHEMA = "clausec-store/2"
LOCK_TIMEOUT = "10s"
WRITER_LOCK = 0x636C61757365  # "clause": one advisory lock for all clausec writers
COPY_LEDGER = "COPY clausec.ledger (seq, contract, kind, payload, prev_hash, hash) FROM STDIN"

_TABLES = """
CREATE SCHEMA IF NOT EXISTS clausec;
CREATE TABLE clausec.clausec_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE clausec.ledger (
  seq BIGINT PRIMARY KEY,
  contract TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX ledger_by_contract ON clausec.ledger (contract, seq);
CREATE TABLE clausec.snapshots (
  contract TEXT PRIMARY KEY, seq BIGINT NOT NULL, blob BYTEA NOT NULL
);
"""


def redact(url: str) -> str:
    """The URL without its password (in the user part or as `?password=`), for messages."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # not a URL urllib can read: show none of it but the scheme
        return url.split("://", 1)[0] + "://***"
    query = "&".join(
        "password=***" if pair.split("=", 1)[0].lower() == "password" else pair
        for pair in parts.query.split("&")
    )
    parts = parts._replace(query=query) if parts.query else parts
    if parts.password is None:
        return urlunsplit(parts)
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{port}" if port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresTransaction(LedgerTail):
    """Rows stream into one `COPY` while the engines work; any other statement in the
    transaction ends it first (`flush`)."""

    def __init__(self, connection: psycopg.Connection[tuple[object, ...]], known: Known) -> None:
        self.connection = connection
        self.stream = ExitStack()
        self.copy: psycopg.Copy | None = None
        found = connection.execute(
            "SELECT seq, hash FROM clausec.ledger ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        head = (int(str(found[0])), str(found[1])) if found else (0, GENESIS)
        super().__init__(known, head)

    def put_snapshot(self, contract: str, seq: int, blob: bytes) -> None:
        self.flush()
        self.connection.execute(
            "INSERT INTO clausec.snapshots (contract, seq, blob) VALUES (%s, %s, %s) "
            "ON CONFLICT (contract) DO UPDATE SET seq = excluded.seq, blob = excluded.blob",
            (contract, seq, blob),
        )

    def _contracts_after(self, seq: int) -> list[tuple[str, int]]:
        found = self.connection.execute(
            "SELECT contract, max(seq) FROM clausec.ledger WHERE seq > %s GROUP BY contract",
            (seq,),
        ).fetchall()
        return [(str(c), int(str(s))) for c, s in found]

    def _last_of(self, contract: str) -> int:
        self.flush()
        found = self.connection.execute(
            "SELECT max(seq) FROM clausec.ledger WHERE contract = %s", (contract,)
        ).fetchone()
        return int(str(found[0])) if found and found[0] is not None else 0

    def _write(self, rows: list[Pending]) -> None:
        if self.copy is None:
            cursor = self.stream.enter_context(self.connection.cursor())
            self.copy = self.stream.enter_context(cursor.copy(COPY_LEDGER))
        for row in rows:
            self.copy.write_row(row)

    def _settle(self) -> None:
        if self.copy is not None:
            self.copy = None
            self.stream.close()

    def abandon(self, error: BaseException) -> None:
        """The transaction fails: end the stream with the error, so that it can roll back."""
        if self.copy is not None:
            self.copy = None
            self.stream.__exit__(type(error), error, error.__traceback__)


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.location = redact(url)
        self.known = Known()
        self.open: PostgresTransaction | None = None
        try:
            self.connection = psycopg.connect(url, autocommit=True)
        except psycopg.Error as error:
            said = str(error).replace(url, self.location)  # libpq may quote the whole URL
            raise StoreError(f"cannot connect to {self.location}: {said}".strip()) from error
        try:
            self.connection.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            self._prepare()
        except psycopg.Error as error:
            self.connection.close()
            raise StoreError(f"{self.location} cannot be used: {error}") from error
        except StoreError:
            self.connection.close()
            raise

    def _prepare(self) -> None:
        tables = {
            str(r[0])
            for r in self.connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'clausec'"
            )
        }
        if not tables:
            with self.connection.transaction():
                self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
                if not self._has_meta():  # another process may have created it meanwhile
                    self.connection.execute(_TABLES)
                    self.connection.execute(
                        "INSERT INTO clausec.clausec_meta VALUES ('schema', %s)", (SCHEMA,)
                    )
        elif "clausec_meta" not in tables:
            raise StoreError(
                f"{self.location} has a 'clausec' schema of something else "
                f"(tables: {', '.join(sorted(tables))}); clausec will not write to it"
            )
        schema = self.connection.execute(
            "SELECT value FROM clausec.clausec_meta WHERE key = 'schema'"
        ).fetchone()
        if schema is None or schema[0] != SCHEMA:
            raise StoreError(
                f"{self.location} holds store schema {schema and schema[0]}, not {SCHEMA}"
            )

    def _has_meta(self) -> bool:
        return (
            self.connection.execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = 'clausec' AND table_name = 'clausec_meta'"
            ).fetchone()
            is not None
        )

    @contextmanager
    def writing(self) -> Iterator[PostgresTransaction]:
        try:
            with self.connection.transaction():
                try:
                    self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
                except psycopg.errors.LockNotAvailable as error:
                    raise StoreError(
                        f"{self.location} is being written by another process and stayed "
                        f"locked for {LOCK_TIMEOUT}; try again"
                    ) from error
                self.open = tx = PostgresTransaction(self.connection, self.known)
                try:
                    yield tx
                    tx.flush()
                except BaseException as error:
                    tx.abandon(error)
                    raise
                finally:
                    self.open = None
        except psycopg.Error as error:
            raise StoreError(f"could not commit to {self.location}: {error}") from error
        tx.committed()

    def _settle_open(self) -> None:
        """Before a read: the open transaction's rows are read too, and no longer stream."""
        if self.open is not None:
            self.open.flush()

    def rows(self, contract: str | None = None, after: int = 0) -> Iterator[Row]:
        self._settle_open()
        query = (
            "SELECT seq, contract, kind, payload, prev_hash, hash FROM clausec.ledger "
            "WHERE seq > %s"
        )
        params: tuple[object, ...] = (after,)
        if contract is not None:
            query += " AND contract = %s"
            params = (after, contract)
        try:
            found = self.connection.execute(query + " ORDER BY seq", params).fetchall()
        except psycopg.Error as error:
            raise StoreError(f"{self.location} cannot be read: {error}") from error
        for seq, name, kind, payload, prev_hash, digest in found:
            yield Row(int(seq), str(name), str(kind), str(payload), str(prev_hash), str(digest))

    def snapshot(self, contract: str) -> tuple[int, bytes] | None:
        self._settle_open()
        try:
            found = self.connection.execute(
                "SELECT seq, blob FROM clausec.snapshots WHERE contract = %s", (contract,)
            ).fetchone()
        except psycopg.Error as error:
            raise StoreError(f"{self.location} cannot be read: {error}") from error
        return (int(str(found[0])), bytes(found[1])) if found else None

    def contracts(self) -> list[str]:
        query = (
            "SELECT contract FROM clausec.ledger WHERE kind = 'bundle' "
            "GROUP BY contract ORDER BY min(seq)"
        )
        self._settle_open()
        try:
            return [str(r[0]) for r in self.connection.execute(query)]
        except psycopg.Error as error:
            raise StoreError(f"{self.location} cannot be read: {error}") from error

    def close(self) -> None:
        self.connection.close()
