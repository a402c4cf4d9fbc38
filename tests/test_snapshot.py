"""Snapshots: a restart loads the last snapshot and replays the tail, and what it rebuilds equals
a full replay; a snapshot the ledger does not vouch for is never loaded, on either store."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clausec.compiler import compile_or_raise
from runtime.durable import DurableEngine
from runtime.store import open_store, verify
from store_sql import execute

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = compile_or_raise(ROOT / "examples/managed_hosting/contract.clause")
FACTS = [json.loads(line) for line in
         (ROOT / "examples/managed_hosting/facts.jsonl").read_text().splitlines()]
CLOCK = [datetime(2026, month, 10, tzinfo=UTC) for month in (7, 9, 12)]


def shown(value: object) -> str:
    """A repr without the memory addresses of the deadline closures it holds."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def state(engine: DurableEngine) -> dict[str, Any]:
    """Everything an embedding service can read from an engine."""
    inner = engine.engine
    return {
        "events": [e.model_dump() for e in engine.events()],
        "obligations": [shown(i) for i in engine.obligations()],
        "windows": [shown(w) for w in inner.windows()],
        "ledger": shown(inner.ledger()),
        "clock": engine.clock,
        "seen": sorted(inner.seen),
    }


def fill(url: str, every: int) -> DurableEngine:
    engine = DurableEngine(BUNDLE, open_store(url), snapshot_every=every)
    for start in range(0, len(FACTS), 3):
        engine.ingest(FACTS[start:start + 3])
    engine.advance_to(CLOCK[0])
    return engine


def finish(engine: DurableEngine) -> DurableEngine:
    """Go on after a restart: more clock moves and a late fact."""
    engine.advance_to(CLOCK[1])
    engine.ingest([dict(FACTS[0], id="late-1", ticket="LATE-1")])
    engine.advance_to(CLOCK[2])
    return engine


def test_restart_from_a_snapshot_equals_a_full_replay(store_url: str) -> None:
    fill(store_url, every=3).close()  # 11 inputs: snapshots after the 3rd, 6th and 9th
    snapshotted = DurableEngine(BUNDLE, open_store(store_url), snapshot_every=3)
    assert snapshotted.restored_from > 0
    assert snapshotted.replayed == 2  # only the tail after the snapshot
    replayed = DurableEngine(BUNDLE, open_store(store_url), snapshot_every=0)
    assert replayed.restored_from == 0 and replayed.replayed == 11
    assert state(snapshotted) == state(replayed)
    replayed.close()
    # the restored engine goes on as a whole engine: what it records replays to its state
    went_on = state(finish(snapshotted))
    assert state(DurableEngine(BUNDLE, open_store(store_url), snapshot_every=0)) == went_on


def test_every_snapshot_point_restores_the_same_state(store_url: str) -> None:
    """A snapshot after every input: each restart point, then the same future."""
    reference = finish(fill(store_url, every=0))
    expected = state(reference)
    reference.close()
    for every in (1, 2, 5):
        url = store_url + ("" if "://" in store_url else f".{every}")
        if "://" in store_url:
            execute(url, "TRUNCATE ledger, snapshots")
        fill(url, every).close()
        reopened = DurableEngine(BUNDLE, open_store(url), snapshot_every=every)
        assert reopened.restored_from > 0
        assert state(finish(reopened)) == expected
        assert verify(reopened.store) == []
        reopened.close()


@pytest.mark.parametrize("damage", [
    "UPDATE snapshots SET blob = substr(blob, 1, 100)",  # not the blob the ledger recorded
    "UPDATE snapshots SET seq = seq - 1",  # pointing at a row that is no snapshot
])
def test_a_snapshot_the_ledger_does_not_vouch_for_is_ignored(store_url: str,
                                                              damage: str) -> None:
    fill(store_url, every=4).close()
    execute(store_url, damage)
    reopened = DurableEngine(BUNDLE, open_store(store_url), snapshot_every=4)
    assert reopened.restored_from == 0 and reopened.replayed == 11
    replayed = DurableEngine(BUNDLE, open_store(store_url), snapshot_every=0)
    assert state(reopened) == state(replayed)


def test_a_snapshot_by_other_engine_code_is_ignored(store_url: str) -> None:
    fill(store_url, every=4).close()
    execute(store_url, "UPDATE ledger SET payload = replace(payload, '\"engine\":\"', "
                       "'\"engine\":\"0') WHERE kind = 'snapshot'")
    # the edited rows break the chain, so the store is refused before any snapshot is read
    assert verify(open_store(store_url))


def test_an_explicit_snapshot_is_used_at_once(store_url: str) -> None:
    engine = fill(store_url, every=0)
    engine.snapshot_every = 1000
    row = engine.snapshot()
    engine.close()
    reopened = DurableEngine(BUNDLE, open_store(store_url), snapshot_every=1000)
    assert reopened.restored_from == row and reopened.replayed == 0


def test_the_rete_matcher_replays_and_writes_no_snapshot(store_url: str) -> None:
    pytest.importorskip("durable.lang", reason="durable-rules does not import on this Python")
    engine = DurableEngine(BUNDLE, open_store(store_url), engine="rete", snapshot_every=1)
    engine.ingest(FACTS[:3])
    engine.close()
    store = open_store(store_url)
    assert store.snapshot(BUNDLE.header.id) is None
    assert not [r for r in store.rows() if r.kind == "snapshot"]
