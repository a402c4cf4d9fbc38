"""Many contracts in one store, fed by one fact stream routed by each fact's `contract` id.

    portfolio = Portfolio.open("postgresql://clausec@db.example.com/contracts")
    portfolio.load(bundle)                 # or every contract the store already holds
    portfolio.ingest(facts)                # routed by contract; all of the batch, or none
    portfolio.advance_to(moment)

A batch is checked whole first: every fact must name a contract the portfolio holds (or the
portfolio holds only one) and pass that contract's schemas, or nothing is applied. The
contracts' inputs and events are then written in one store transaction, so a crash leaves
the whole batch or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from clausec import ir
from runtime.durable import SNAPSHOT_EVERY, DurableEngine
from runtime.engine import Engine, EngineError
from runtime.events import Event
from runtime.facts import Fact, FactError, Problem
from runtime.store import Store, StoreError, open_store, verify


class Portfolio:
    def __init__(
        self, store: Store, engine: str = "compiled", snapshot_every: int = SNAPSHOT_EVERY
    ) -> None:
        breaks = verify(store)
        if breaks:
            raise StoreError(
                f"{store.location} fails verification, refusing to use it: "
                + "; ".join(str(b) for b in breaks[:3])
            )
        self.store = store
        self.engine_name = engine
        self.snapshot_every = snapshot_every
        self.contracts: dict[str, DurableEngine] = {}

    @classmethod
    def open(cls, store: Store | str | Path, engine: str = "compiled") -> Portfolio:
        return cls(store if not isinstance(store, str | Path) else open_store(store), engine)

    def load(self, bundle: ir.Bundle) -> DurableEngine:
        """Add a contract (recorded in the store the first time) and bring it up to date."""
        engine = DurableEngine(
            bundle, self.store, self.engine_name, self.snapshot_every, verify_store=False
        )
        self.contracts[engine.contract] = engine
        return engine

    def load_stored(self) -> list[str]:
        """Load every contract the store holds, as last recorded."""
        for contract in self.store.contracts():
            if contract not in self.contracts:
                self.load(stored_bundle(self.store, contract))
        return sorted(self.contracts)

    # ------------------------------------------------------------ input

    def route(self, facts: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Facts by contract id; raise FactError naming every fact that has no contract here."""
        routed: dict[str, list[dict[str, Any]]] = {}
        problems: list[Problem] = []
        only = next(iter(self.contracts)) if len(self.contracts) == 1 else None
        for index, raw in enumerate(facts):
            # A dict is read, never changed, and written to the ledger before `ingest` returns.
            fact = raw if type(raw) is dict else dict(raw)
            contract = fact.get("contract", only)
            if contract in self.contracts:
                routed.setdefault(str(contract), []).append(fact)
            else:
                problems.append(self._unrouted(fact, contract, index))
        if problems:
            raise FactError(problems)
        return routed

    def _unrouted(self, fact: dict[str, Any], contract: Any, index: int) -> Problem:
        name = str(fact.get("id", f"#{index + 1}"))
        if contract is None:
            held = ", ".join(sorted(self.contracts))
            return Problem(name, "contract", f"which contract? this portfolio holds {held}", index)
        known = ", ".join(sorted(self.contracts)) or "none"
        return Problem(name, "contract", f"no contract '{contract}' here (loaded: {known})", index)

    def ingest(self, facts: Iterable[Mapping[str, Any]]) -> list[Event]:
        routed = self.route(facts)
        problems: list[Problem] = []
        valid: dict[str, list[Fact]] = {}
        for contract, batch in routed.items():
            try:
                valid[contract] = self.contracts[contract].engine.validate(batch)
            except FactError as error:
                problems += error.problems
        if problems:
            raise FactError(problems)
        return self._all(
            sorted(routed),
            lambda engine: (
                "facts",
                {"facts": routed[engine.contract]},
                lambda: _apply(engine.engine, routed[engine.contract], valid[engine.contract]),
            ),
        )

    def advance_to(self, moment: datetime) -> list[Event]:
        if moment.tzinfo is None:
            raise EngineError("advance_to needs a date-time with a zone")
        late = [c for c, e in self.contracts.items() if e.clock > moment]
        return self._all(
            [c for c in sorted(self.contracts) if c not in late],
            lambda engine: (
                "clock",
                {"to": moment.isoformat()},
                lambda: engine.engine.advance_to(moment),
            ),
        )

    Step = Callable[[DurableEngine], tuple[str, dict[str, Any], Callable[[], list[Event]]]]

    def _all(self, contracts: list[str], step: Step) -> list[Event]:
        """One input for each contract, in one transaction: all of them land, or none."""
        events: list[Event] = []
        touched: list[DurableEngine] = []
        try:
            with self.store.writing() as tx:
                for contract in contracts:
                    engine = self.contracts[contract]
                    touched.append(engine)
                    kind, payload, action = step(engine)
                    events += engine.record_in(tx, kind, payload, action)
        except BaseException:
            for engine in touched:
                engine.rewind()
            raise
        return events

    def events(self) -> list[Event]:
        return [e for c in sorted(self.contracts) for e in self.contracts[c].events()]

    def close(self) -> None:
        for engine in self.contracts.values():
            engine.engine.close()
        self.store.close()


def stored_bundle(store: Store, contract: str) -> ir.Bundle:
    """The last bundle the store recorded for a contract."""
    last = None
    for row in store.rows(contract):
        if row.kind == "bundle":
            last = row
    if last is None:
        raise StoreError(f"{store.location} holds no contract '{contract}'")
    bundle = ir.Bundle.model_validate(json.loads(last.payload)["bundle"]).with_hash()
    if bundle.hash != json.loads(last.payload)["hash"]:
        raise StoreError(f"the bundle of {contract} in row {last.seq} does not match its hash")
    return bundle


def _apply(engine: Engine, raw: list[dict[str, Any]], valid: list[Fact]) -> list[Event]:
    """The facts as validated before the transaction, unless the engine has taken in other
    facts since (caught up with another writer's rows): then they are validated afresh."""
    if valid and valid[0].seq == engine.seq:
        return engine.ingest_validated(valid)
    return engine.ingest(raw)
