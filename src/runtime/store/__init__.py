"""Durable state: an append-only, hash-chained ledger of what contracts were given and what they
fired, in an embedded SQLite file (WAL mode, a path or a `sqlite:///` URL) or in PostgreSQL (a
`postgresql://` URL). Both have the same schema and pass the same tests.

The ledger is the truth: an engine is rebuilt by replaying the inputs it recorded (bundles,
fact batches, clock moves, the parties' decisions), and the events the replay fires must be
the events recorded. Each row carries the hash of the one before, so an edited, deleted or
reordered row is found by `verify`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

GENESIS = "0" * 64


class StoreError(Exception):
    """The store cannot be used: corrupt, foreign, locked too long, or replay diverged."""


@dataclass(frozen=True, slots=True)
class Row:
    seq: int
    contract: str
    kind: str  # bundle | facts | clock | exercise | discharge | event
    payload: str  # canonical JSON
    prev_hash: str
    hash: str


def row_hash(seq: int, contract: str, kind: str, payload: str, prev_hash: str) -> str:
    text = "\x1f".join((str(seq), contract, kind, payload, prev_hash))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Transaction(Protocol):
    def append(self, contract: str, kind: str, payload: str) -> int:
        """Add a row to the ledger, chained to the last one; its seq."""

    def put_snapshot(self, contract: str, seq: int, blob: bytes) -> None:
        """Keep an engine snapshot taken after ledger row `seq` (replacing older ones)."""

    def last_seq(self, contract: str) -> int:
        """The seq of the contract's last row in the ledger (0 if none), this transaction's
        rows included: an engine that has applied it has nothing to catch up on."""


class Store(Protocol):
    location: str

    def writing(self) -> AbstractContextManager[Transaction]:
        """One writer at a time: the rows appended inside commit together, durably, or not
        at all."""

    def rows(self, contract: str | None = None, after: int = 0) -> Iterator[Row]:
        """Rows in ledger order, optionally of one contract and after a sequence number."""

    def snapshot(self, contract: str) -> tuple[int, bytes] | None:
        """The contract's latest snapshot and the ledger row it was taken after."""

    def contracts(self) -> list[str]:
        """Every contract with a bundle in the ledger, in the order they were first loaded."""

    def close(self) -> None: ...


def open_store(url: str | Path) -> Store:
    """`path/to/file.db`, `sqlite:///path/to/file.db` or `postgresql://user@host/db`."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from runtime.store.postgres import PostgresStore

        return PostgresStore(text)
    from runtime.store.sqlite import SqliteStore

    if text.startswith("sqlite:///"):
        return SqliteStore(Path(text.removeprefix("sqlite:///")))
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreError(
            f"unsupported store URL scheme '{scheme}': use a file path, sqlite:///path or "
            "postgresql://user@host/database"
        )
    return SqliteStore(Path(text))


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"row {self.seq}: {self.problem}"


def verify(store: Store) -> list[Break]:
    """Walk the chain: a gap in the sequence is a deleted row, a wrong previous hash a row
    removed or moved, a wrong hash an edited row."""
    problems: list[Break] = []
    expected_seq, previous = 1, GENESIS
    for row in store.rows():
        if row.seq != expected_seq:
            problems.append(Break(row.seq, f"rows {expected_seq}..{row.seq - 1} are missing"))
        if row.prev_hash != previous:
            problems.append(
                Break(
                    row.seq,
                    "does not follow the row before it (a row was deleted, inserted or moved)",
                )
            )
        if row_hash(row.seq, row.contract, row.kind, row.payload, row.prev_hash) != row.hash:
            problems.append(
                Break(row.seq, f"its content was changed ({row.kind} of {row.contract})")
            )
        expected_seq, previous = row.seq + 1, row.hash
    return problems
