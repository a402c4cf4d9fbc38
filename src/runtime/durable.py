"""An engine whose every input and event is in a store: it survives restarts and crashes.

    engine = DurableEngine.open("examples/managed_hosting/contract.clause", "hosting.db")
    engine.ingest(facts)          # durable before it returns

Each call takes the store's write lock, first applies what other processes recorded since
(so two processes on one store see one history), then runs the engine and appends the input
and the events it fired in one transaction. Restart is a replay of the recorded inputs, and
the replay must fire exactly the events recorded, or the store is refused.
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
from runtime.obligations import Instance
from runtime.store import Store, StoreError, open_store, verify

INPUTS = ("facts", "clock", "exercise", "discharge")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot record a {type(value).__name__} in the ledger")


def canonical(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), default=_plain, ensure_ascii=False
    )


class DurableEngine:
    def __init__(self, bundle: ir.Bundle, store: Store, engine: str = "compiled") -> None:
        self.bundle = bundle
        self.store = store
        self.engine_name = engine
        self.contract = bundle.header.id
        breaks = verify(store)
        if breaks:
            raise StoreError(
                f"{store.location} fails verification, refusing to use it: "
                + "; ".join(str(b) for b in breaks[:3])
            )
        self._fresh()
        self._register_bundle()
        self._catch_up()

    @classmethod
    def open(
        cls, source: ir.Bundle | str | Path, store: Store | str | Path, engine: str = "compiled"
    ) -> DurableEngine:
        opened = store if not isinstance(store, str | Path) else open_store(store)
        return cls(load_bundle(source), opened, engine)

    def _fresh(self) -> None:
        self.engine = Engine(self.bundle, self.engine_name)
        self.applied = 0
        self.stale = False

    def _register_bundle(self) -> None:
        recorded = [
            json.loads(r.payload)["hash"]
            for r in self.store.rows(self.contract)
            if r.kind == "bundle"
        ]
        if recorded and recorded[-1] != self.bundle.hash:
            raise StoreError(
                f"{self.store.location} holds contract {self.contract} compiled "
                f"as {recorded[-1]}, not {self.bundle.hash}: a changed contract "
                "needs an amendment, not a different bundle"
            )
        if not recorded:
            with self.store.writing() as tx:
                tx.append(
                    self.contract,
                    "bundle",
                    canonical(
                        {
                            "hash": self.bundle.hash,
                            "bundle": json.loads(self.bundle.canonical_json()),
                        }
                    ),
                )

    # ------------------------------------------------------------ replay

    def _catch_up(self) -> None:
        """Apply what the ledger holds beyond what this engine has seen; its events must be
        the ones recorded."""
        recorded: list[str] = []
        fired: list[str] = []
        for row in self.store.rows(self.contract, after=self.applied):
            if row.kind == "event":
                recorded.append(json.loads(row.payload)["id"])
            elif row.kind in INPUTS:
                fired += [e.id for e in self._apply(row.kind, json.loads(row.payload))]
            self.applied = row.seq
        if fired != recorded:
            self.stale = True
            raise StoreError(
                f"replaying {self.store.location} fired {len(fired)} events where "
                f"{len(recorded)} were recorded: this engine version disagrees "
                "with the one that wrote the store"
            )

    def _apply(self, kind: str, payload: dict[str, Any]) -> list[Event]:
        if kind == "facts":
            return self.engine.ingest(payload["facts"])
        if kind == "clock":
            return self.engine.advance_to(datetime.fromisoformat(payload["to"]))
        if kind == "exercise":
            return self.engine.exercise(payload["power"], payload.get("note", ""))
        return self.engine.discharge(payload["obligation"], payload["reason"])

    def _record(
        self, kind: str, payload: dict[str, Any], action: Callable[[], list[Event]]
    ) -> list[Event]:
        if self.stale:
            self._fresh()
        try:
            with self.store.writing() as tx:
                self._catch_up()
                events = action()  # a rejected input raises here: nothing is written
                row = tx.append(self.contract, kind, canonical(payload))
                last = row.seq
                for event in events:
                    last = tx.append(self.contract, "event", event.model_dump_json()).seq
        except StoreError:
            self.stale = True  # the engine may be ahead of the store: rebuild next time
            raise
        self.applied = last
        return events

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

    def exercise(self, power: str, note: str = "") -> list[Event]:
        return self._record(
            "exercise", {"power": power, "note": note}, lambda: self.engine.exercise(power, note)
        )

    def discharge(self, obligation: str, reason: str) -> list[Event]:
        return self._record(
            "discharge",
            {"obligation": obligation, "reason": reason},
            lambda: self.engine.discharge(obligation, reason),
        )

    def events(self) -> list[Event]:
        return self.engine.events()

    def obligations(self) -> list[Instance]:
        return self.engine.obligations()

    def explain(self, event_id: str) -> Event:
        return self.engine.explain(event_id)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.engine.diagnostics

    @property
    def clock(self) -> datetime:
        return self.engine.clock

    def close(self) -> None:
        self.engine.close()
        self.store.close()
