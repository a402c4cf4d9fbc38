"""The end of the ledger as one store handle sees it, shared by the SQLite and PostgreSQL stores.

A write transaction hashes and chains the rows appended in it in memory and sends them on a few
hundred at a time (`executemany`; PostgreSQL streams them into one `COPY` while the engines
work), all of them before anything reads the ledger and before the commit: a few round trips
per batch instead of one per row. Nothing is durable before the commit, as before.

The handle also remembers each contract's last row (`Known`), so that an engine learns without
a query that no other writer appended rows for it: each transaction compares the ledger's last
row, read under the write lock, with the one the handle last committed or saw, and reads only
what other writers appended since.
"""

from __future__ import annotations

from collections.abc import Iterable

from runtime.store import row_hash

Pending = tuple[int, str, str, str, str, str]  # seq, contract, kind, payload, prev_hash, hash
SPILL = 256  # rows held before they are sent on, so that the database works meanwhile


class Known:
    """What one handle knows of the ledger: its last row when the handle last looked, and the
    last seq of the contracts it has looked up or written. A contract missing from `last` is
    looked up when asked for."""

    def __init__(self) -> None:
        self.head: tuple[int, str] | None = None
        self.last: dict[str, int] = {}

    def check(self, head: tuple[int, str], since: Iterable[tuple[str, int]] | None) -> None:
        """The ledger ends at `head` now; `since` is each contract's last seq among the rows
        after the head known before (None when there is no such head, or the ledger does not
        go on from it: then nothing known is trusted)."""
        if since is None:
            self.last.clear()
        else:
            self.last.update(since)
        self.head = head


class LedgerTail:
    """The rows one write transaction appends, not yet written; a backend writes them."""

    def __init__(self, known: Known, head: tuple[int, str]) -> None:
        """`head` is the ledger's last row, read under the write lock."""
        self.known = known
        self.seq, self.previous = head
        self.pending: list[Pending] = []
        self.touched: dict[str, int] = {}
        if head != known.head:  # another writer appended since, or the handle is new
            known.check(head, self._since(head))

    def _since(self, head: tuple[int, str]) -> Iterable[tuple[str, int]] | None:
        """The contracts with rows after the known head, and the last seq of each."""
        known = self.known.head
        if known is None or head[0] <= known[0]:
            return None  # a new handle, or a ledger that lost rows: look everything up again
        return self._contracts_after(known[0])

    def append(self, contract: str, kind: str, payload: str) -> int:
        seq, previous = self.seq + 1, self.previous
        digest = row_hash(seq, contract, kind, payload, previous)
        self.pending.append((seq, contract, kind, payload, previous, digest))
        self.seq, self.previous = seq, digest
        self.touched[contract] = seq
        if len(self.pending) >= SPILL:
            self._send()
        return seq

    def last_seq(self, contract: str) -> int:
        """The seq of the contract's last row in the ledger, this transaction's included."""
        found = self.touched.get(contract)
        if found is None:
            found = self.known.last.get(contract)
        if found is None:
            found = self.known.last[contract] = self._last_of(contract)
        return found

    def flush(self) -> None:
        """Make every row appended so far readable (before a read, and before the commit)."""
        if self.pending:
            self._send()
        self._settle()

    def _send(self) -> None:
        pending, self.pending = self.pending, []
        self._write(pending)

    def committed(self) -> None:
        """The transaction committed: its rows are the ledger's end the handle knows."""
        self.known.head = (self.seq, self.previous)
        self.known.last.update(self.touched)

    def _contracts_after(self, seq: int) -> Iterable[tuple[str, int]]:
        raise NotImplementedError

    def _last_of(self, contract: str) -> int:
        raise NotImplementedError

    def _write(self, rows: list[Pending]) -> None:
        """Send rows on: into the ledger, or into a stream that `_settle` ends."""
        raise NotImplementedError

    def _settle(self) -> None:
        """End what `_write` started, so that the rows can be read."""
