"""An engine whose every input and event is in a store: it survives restarts and crashes.

    engine = DurableEngine.open("examples/managed_hosting/contract.clause", "hosting.db")
    engine.ingest(facts)          # durable before it returns

Each call takes the store's write lock, first applies what other processes recorded since
(so two processes on one store see one history), then runs the engine and appends the input
and the events it fired in one transaction. Restart is a replay of the recorded inputs, and
the replay must fire exactly the events recorded, or the store is refused. Every
`snapshot_every` inputs the engine's state is saved too (runtime.snapshot), so that a restart
loads the last snapshot and replays only the inputs after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from clausec import ir
from clausec.diagnostics import Diagnostic
from runtime.engine import Engine, EngineError, load_bundle
from runtime.events import Event
from runtime.facts import FactError
from runtime.obligations import Instance
from runtime.snapshot import (
    FORMAT,
    SNAPSHOT_MATCHERS,
    SnapshotError,
    digest,
    fingerprint,
    restore,
    take,
)
from runtime.store import Store, StoreError, Transaction, open_store, verify

INPUTS = ("facts", "clock", "exercise", "discharge", "amendment")
SNAPSHOT_EVERY = 100

# An input to record: its kind, its payload, and the engine call that applies it.
Step = tuple[str, dict[str, Any], Callable[[], list[Event]]]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot record a {type(value).__name__} in the ledger")


def canonical(data: Any) -> str:
    return json.dumps(
        data,
        sort_keys=True,
        separators=(",", ":"),
        default=_plain,
        ensure_ascii=False,
        check_circular=False,  # inputs are JSON values: a cycle cannot reach the ledger
    )


# What `event.model_dump_json()` returns, without its keyword handling: one call per event.
_event_json = Event.__pydantic_serializer__.to_json


class DurableEngine:
    def __init__(
        self,
        bundle: ir.Bundle,
        store: Store,
        engine: str = "compiled",
        snapshot_every: int = SNAPSHOT_EVERY,
        verify_store: bool = True,
    ) -> None:
        self.bundle = bundle
        self.store = store
        self.engine_name = engine
        self.contract = bundle.header.id
        self.snapshot_every = snapshot_every if engine in SNAPSHOT_MATCHERS else 0
        breaks = verify(store) if verify_store else []
        if breaks:
            raise StoreError(
                f"{store.location} fails verification, refusing to use it: "
                + "; ".join(str(b) for b in breaks[:3])
            )
        self._register_bundle()  # may take the original bundle from the store
        self._fresh()
        self.restored_from = self._restore()  # the ledger row of the snapshot used, or 0
        self.replayed = self._catch_up()  # inputs replayed on opening

    @classmethod
    def open(
        cls,
        source: ir.Bundle | str | Path,
        store: Store | str | Path,
        engine: str = "compiled",
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> DurableEngine:
        opened = store if not isinstance(store, str | Path) else open_store(store)
        return cls(load_bundle(source), opened, engine, snapshot_every)

    def _fresh(self) -> None:
        self.engine = Engine(self.bundle, self.engine_name)
        self.applied = 0
        self.since_snapshot = 0
        self.stale = False

    # ------------------------------------------------------------ snapshots

    def _restore(self) -> int:
        """Start from the contract's last snapshot when the ledger vouches for it."""
        if not self.snapshot_every:
            return 0
        found = self.store.snapshot(self.contract)
        if found is None:
            return 0
        seq, blob = found
        rows = list(self.store.rows(self.contract))
        row = next((r for r in rows if r.seq == seq and r.kind == "snapshot"), None)
        if row is None or json.loads(row.payload) != self._snapshot_note(blob):
            return 0  # not the snapshot the ledger recorded, or another engine's: replay
        try:
            engine = restore(self.bundle, self.engine_name, blob)
        except SnapshotError:
            return 0
        recorded = [json.loads(r.payload)["id"] for r in rows if r.kind == "event" and r.seq < seq]
        if [e.id for e in engine.events()] != recorded:
            engine.close()
            return 0
        self.engine.close()
        self.engine, self.applied = engine, seq
        return seq

    def _snapshot_note(self, blob: bytes) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "sha256": digest(blob),
            "engine": fingerprint(self.engine_name),
            "bundle": self.bundle.hash,
        }

    def _write_snapshot(self, tx: Transaction) -> int:
        blob = take(self.engine)
        seq = tx.append(self.contract, "snapshot", canonical(self._snapshot_note(blob)))
        tx.put_snapshot(self.contract, seq, blob)
        self.since_snapshot = 0
        return seq

    def snapshot(self) -> int:
        """Save the engine's state now; the ledger row that vouches for it."""
        if self.engine_name not in SNAPSHOT_MATCHERS:
            raise StoreError(f"the {self.engine_name} matcher cannot be snapshotted")
        with self.store.writing() as tx:
            if self.stale:  # never save state the ledger does not hold
                self._rebuild()
            self._catch_up()
            self.applied = self._write_snapshot(tx)
        return self.applied

    def _register_bundle(self) -> None:
        """Record the contract's bundle the first time. Later, the bundle given must be one
        the store holds for the contract, the original or an amendment's: the engine starts
        from the original, and replaying the ledger loads the amendments."""
        versions = [r for r in self.store.rows(self.contract) if r.kind in ("bundle", "amendment")]
        if not versions:
            if self.bundle.amendment is not None:
                raise StoreError(
                    f"{self.store.location} does not hold contract {self.contract}: load "
                    "the contract first, then its amendment (DurableEngine.amend)"
                )
            with self.store.writing() as tx:
                tx.append(self.contract, "bundle", canonical(_bundle_payload(self.bundle)))
            return
        hashes = [json.loads(r.payload)["hash"] for r in versions]
        if self.bundle.hash not in hashes:
            raise StoreError(
                f"{self.store.location} holds contract {self.contract} compiled "
                f"as {hashes[-1]}, not {self.bundle.hash}: a changed contract "
                "needs an amendment, not a different bundle"
            )
        if self.bundle.hash != hashes[0]:  # an amendment's: start from the original
            self.bundle = _stored_bundle(json.loads(versions[0].payload))

    # ------------------------------------------------------------ replay

    def _catch_up(self) -> int:
        """Apply what the ledger holds beyond what this engine has seen; its events must be
        the ones recorded. Returns the number of inputs applied."""
        recorded: list[str] = []
        fired: list[str] = []
        inputs = 0
        for row in self.store.rows(self.contract, after=self.applied):
            if row.kind == "event":
                recorded.append(json.loads(row.payload)["id"])
            elif row.kind in INPUTS:
                fired += [e.id for e in self._apply(row.kind, json.loads(row.payload))]
                inputs += 1
            self.applied = row.seq
        if fired != recorded:
            self.stale = True
            raise StoreError(
                f"replaying {self.store.location} fired {len(fired)} events where "
                f"{len(recorded)} were recorded: this engine version disagrees "
                "with the one that wrote the store"
            )
        self.since_snapshot += inputs
        return inputs

    def _apply(self, kind: str, payload: dict[str, Any]) -> list[Event]:
        if kind == "facts":
            return self.engine.ingest(payload["facts"])
        if kind == "clock":
            return self.engine.advance_to(datetime.fromisoformat(payload["to"]))
        if kind == "exercise":
            return self.engine.exercise(payload["power"], payload.get("note", ""))
        if kind == "amendment":
            return self.engine.amend(_stored_bundle(payload))
        return self.engine.discharge(payload["obligation"], payload["reason"])

    def _record(
        self, kind: str, payload: dict[str, Any], action: Callable[[], list[Event]]
    ) -> list[Event]:
        return self._record_all([(kind, payload, action)])

    def _record_all(self, steps: list[Step]) -> list[Event]:
        """Inputs in one transaction: all of them land, or none does."""
        events: list[Event] = []
        done = 0
        try:
            with self.store.writing() as tx:
                for kind, payload, action in steps:
                    events += self.record_in(tx, kind, payload, action)
                    done += 1
        except (FactError, EngineError):
            # A refused input changed nothing, but the inputs before it in this
            # transaction did, and they are not in the store: rebuild next time.
            self.stale = self.stale or done > 0
            raise
        except BaseException:
            self.stale = True  # the engine may be ahead of the store: rebuild next time
            raise
        return events

    def record_in(
        self,
        tx: Transaction,
        kind: str,
        payload: dict[str, Any],
        action: Callable[[], list[Event]],
    ) -> list[Event]:
        """Run one input inside a write transaction that the caller holds (a portfolio holds
        one for all its contracts): catch up, act, append the input and its events. If the
        transaction does not commit, the caller must call `rewind`."""
        if self.stale:
            self._rebuild()
        if tx.last_seq(self.contract) > self.applied:  # another writer appended rows for it
            self._catch_up()
        events = action()  # a rejected input raises here: nothing is written
        last = tx.append(self.contract, kind, canonical(payload))
        for event in events:
            last = tx.append(self.contract, "event", _event_json(event).decode())
        self.since_snapshot += 1
        if self.snapshot_every and self.since_snapshot >= self.snapshot_every:
            last = self._write_snapshot(tx)
        self.applied = last
        return events

    def rewind(self) -> None:
        """The transaction of the last input did not commit: the engine is ahead of the
        store, so it is rebuilt from the store before its next use."""
        self.stale = True

    def _rebuild(self) -> None:
        """The engine as the store has it: from its last snapshot, or from the start."""
        ahead = self.engine
        self._fresh()
        ahead.close()
        self._restore()
        self._catch_up()

    def _current(self) -> Engine:
        """The engine, rebuilt first if it may be ahead of the store: what it shows is what
        the store holds."""
        if self.stale:
            self._rebuild()
        return self.engine

    # ------------------------------------------------------------ the Engine's API

    def ingest(self, facts: Iterable[Mapping[str, Any]]) -> list[Event]:
        batch = [dict(f) for f in facts]
        if not batch:
            return []
        return self._record("facts", {"facts": batch}, lambda: self.engine.ingest(batch))

    def advance_to(self, moment: datetime) -> list[Event]:
        if moment.tzinfo is None:
            raise EngineError("advance_to needs a date-time with a zone")
        return self._record(
            "clock", {"to": moment.isoformat()}, lambda: self.engine.advance_to(moment)
        )

    def exercise(self, power: str, note: str = "", at: datetime | None = None) -> list[Event]:
        """Exercise an open power (see Engine.exercise). With `at`, the clock moves there
        first, in the same transaction: a power the move grants can be exercised, and a
        refused exercise leaves the clock, and the store, where they were."""
        return self._record_all(
            [
                *self._clock_to(at),
                (
                    "exercise",
                    {"power": power, "note": note},
                    lambda: self.engine.exercise(power, note),
                ),
            ]
        )

    def amend(self, bundle: ir.Bundle) -> list[Event]:
        """Load an amendment (see Engine.amend); the ledger records it, so the version chain
        is part of the hash chain and a restart loads it again."""
        payload = _bundle_payload(bundle)
        return self._record("amendment", payload, lambda: self.engine.amend(bundle))

    def discharge(self, obligation: str, reason: str, at: datetime | None = None) -> list[Event]:
        """Waive or release an open obligation instance (see Engine.discharge); `at` as for
        `exercise`."""
        return self._record_all(
            [
                *self._clock_to(at),
                (
                    "discharge",
                    {"obligation": obligation, "reason": reason},
                    lambda: self.engine.discharge(obligation, reason),
                ),
            ]
        )

    def _clock_to(self, moment: datetime | None) -> list[Step]:
        """The input that moves the clock to `moment` first, checked against the clock once
        the store's latest inputs are applied."""
        if moment is None:
            return []
        if moment.tzinfo is None:
            raise EngineError("a decision's time needs a zone")

        def move() -> list[Event]:
            if moment < self.engine.clock:
                raise EngineError(
                    f"the clock of {self.contract} is at {self.engine.clock.isoformat()}: a "
                    f"decision cannot be recorded earlier, at {moment.isoformat()}"
                )
            return self.engine.advance_to(moment)

        return [("clock", {"to": moment.isoformat()}, move)]

    def differing_facts(self, facts: Iterable[Mapping[str, Any]]) -> list[str]:
        """The ids of `facts` that the ledger holds with other content: a re-sent fact is
        the same fact only if nothing in it changed (a correction needs an id of its own)."""
        sent = {str(f.get("id")): canonical(dict(f)) for f in facts}
        differ: list[str] = []
        for row in self.store.rows(self.contract):
            if row.kind != "facts":
                continue
            for fact in json.loads(row.payload)["facts"]:
                ident = str(fact.get("id"))
                if ident in sent and sent[ident] != canonical(fact):
                    differ.append(ident)
        return differ

    def events(self) -> list[Event]:
        return self._current().events()

    def obligations(self) -> list[Instance]:
        return self._current().obligations()

    def explain(self, event_id: str) -> Event:
        return self._current().explain(event_id)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self._current().diagnostics

    @property
    def clock(self) -> datetime:
        return self._current().clock

    def close(self) -> None:
        self.engine.close()
        self.store.close()


def _bundle_payload(bundle: ir.Bundle) -> dict[str, Any]:
    payload: dict[str, Any] = {"hash": bundle.hash, "version": bundle.header.version}
    if bundle.amendment is not None:
        payload["effective"] = bundle.amendment.effective
        payload["title"] = bundle.amendment.title
    payload["bundle"] = json.loads(bundle.canonical_json())
    return payload


def _stored_bundle(payload: dict[str, Any]) -> ir.Bundle:
    bundle = ir.Bundle.model_validate(payload["bundle"]).with_hash()
    if bundle.hash != payload["hash"]:
        raise StoreError(
            f"a stored bundle of version {bundle.header.version} does not match its hash"
        )
    return bundle
