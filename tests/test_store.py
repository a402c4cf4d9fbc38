"""The SQLite store: restart equals replay, nothing half-applied, tampering found, foreign and
corrupt files refused untouched, one history for two writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clausec.compiler import compile_or_raise
from runtime.durable import DurableEngine
from runtime.engine import Engine
from runtime.facts import FactError
from runtime.store import StoreError, open_store, verify

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = compile_or_raise(ROOT / "examples/managed_hosting/contract.clause")
FACTS = [json.loads(line) for line in
         (ROOT / "examples/managed_hosting/facts.jsonl").read_text().splitlines()]
JULY = datetime(2026, 7, 10, tzinfo=UTC)


def dump(events: list[Any]) -> list[dict[str, Any]]:
    return [e.model_dump() for e in events]


def fill(path: Path) -> DurableEngine:
    engine = DurableEngine(BUNDLE, open_store(path))
    engine.ingest(FACTS[:7])
    engine.ingest(FACTS[7:])
    engine.advance_to(JULY)
    return engine


def test_restart_equals_replay_and_an_in_memory_run(tmp_path: Path) -> None:
    first = fill(tmp_path / "s.db")
    before = dump(first.events())
    first.close()
    again = DurableEngine(BUNDLE, open_store(tmp_path / "s.db"))
    assert dump(again.events()) == before
    memory = Engine(BUNDLE)
    memory.ingest(FACTS[:7])
    memory.ingest(FACTS[7:])
    memory.advance_to(JULY)
    assert dump(memory.events()) == before
    assert verify(again.store) == []


def rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM ledger").fetchone()[0])


def test_a_rejected_batch_writes_nothing(tmp_path: Path) -> None:
    engine = fill(tmp_path / "s.db")
    count = rows(tmp_path / "s.db")
    with pytest.raises(FactError, match="duplicate fact id"):
        engine.ingest([FACTS[0]])
    bad = dict(FACTS[0], id="new-1", start="2026-08-01T10:00:00")
    with pytest.raises(FactError, match="zone"):
        engine.ingest([dict(FACTS[1], id="new-2"), bad])
    assert rows(tmp_path / "s.db") == count
    engine.close()
    reopened = DurableEngine(BUNDLE, open_store(tmp_path / "s.db"))
    with pytest.raises(FactError, match="duplicate fact id"):
        reopened.ingest([FACTS[3]])  # idempotent by id across restarts too


def tamper(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(statement)


@pytest.mark.parametrize(("statement", "row", "words"), [
    ("UPDATE ledger SET payload = replace(payload, '10500.00', '1050.00') "
     "WHERE seq = (SELECT min(seq) FROM ledger WHERE payload LIKE '%10500.00 EUR%')",
     None, "content was changed"),
    ("DELETE FROM ledger WHERE seq = 5", 6, "missing"),
    ("UPDATE ledger SET seq = -seq WHERE seq IN (3, 4)", None, "does not follow"),
])
def test_tampering_is_found_and_named(tmp_path: Path, statement: str, row: int | None,
                                      words: str) -> None:
    fill(tmp_path / "s.db").close()
    if "seq = -seq" in statement:  # swap rows 3 and 4: a reordering
        tamper(tmp_path / "s.db", statement)
        tamper(tmp_path / "s.db",
               "UPDATE ledger SET seq = CASE seq WHEN -3 THEN 4 ELSE 3 END WHERE seq < 0")
    else:
        tamper(tmp_path / "s.db", statement)
    breaks = verify(open_store(tmp_path / "s.db"))
    assert breaks and words in str(breaks[0])
    if row is not None:
        assert breaks[0].seq == row
    with pytest.raises(StoreError, match="fails verification"):
        DurableEngine(BUNDLE, open_store(tmp_path / "s.db"))


def test_foreign_and_corrupt_files_are_refused_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "crm.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    for path, words in ((foreign, "something else"), (garbage, "not a usable SQLite")):
        before = path.read_bytes()
        with pytest.raises(StoreError, match=words):
            open_store(path)
        assert path.read_bytes() == before


def test_a_different_bundle_for_the_same_contract_is_refused(tmp_path: Path) -> None:
    fill(tmp_path / "s.db").close()
    changed = BUNDLE.model_copy(update={"hash": "sha256:" + "0" * 64})
    with pytest.raises(StoreError, match="needs an amendment"):
        DurableEngine(changed, open_store(tmp_path / "s.db"))


def test_two_engines_on_one_store_share_one_history(tmp_path: Path) -> None:
    one = DurableEngine(BUNDLE, open_store(tmp_path / "s.db"))
    two = DurableEngine(BUNDLE, open_store(tmp_path / "s.db"))
    one.ingest(FACTS[:5])
    two.ingest(FACTS[5:10])  # catches up on one's facts first, in the write lock
    one.ingest(FACTS[10:])
    with pytest.raises(FactError, match="duplicate"):
        two.ingest(FACTS[2:3])
    one.advance_to(JULY)
    two.advance_to(JULY)
    assert dump(one.events()) == dump(two.events())
    assert verify(one.store) == []


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    DurableEngine(BUNDLE, open_store(store)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"""
import sqlite3, sys, time
c = sqlite3.connect({str(store)!r}, isolation_level=None)
c.execute("BEGIN IMMEDIATE"); print("locked", flush=True); time.sleep(1.5); c.execute("COMMIT")
"""], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    waiting = DurableEngine(BUNDLE, open_store(store))
    assert waiting.ingest(FACTS[:3])  # blocks until the holder commits, then succeeds
    holder.wait(timeout=10)
    assert verify(waiting.store) == []
