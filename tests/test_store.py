"""The stores, SQLite and a real PostgreSQL server, through the same tests: restart equals
replay, nothing half-applied, tampering found, foreign and corrupt stores refused untouched, one
history for two writers, and a second writer waits."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from clausec.compiler import compile_or_raise
from runtime.durable import DurableEngine
from runtime.engine import Engine
from runtime.facts import FactError
from runtime.store import StoreError, open_store, verify
from runtime.store.local_postgres import LocalPostgres
from store_sql import execute

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = compile_or_raise(ROOT / "examples/managed_hosting/contract.clause")
FACTS = [json.loads(line) for line in
         (ROOT / "examples/managed_hosting/facts.jsonl").read_text().splitlines()]
JULY = datetime(2026, 7, 10, tzinfo=UTC)


def dump(events: list[Any]) -> list[dict[str, Any]]:
    return [e.model_dump() for e in events]


def fill(url: str) -> DurableEngine:
    engine = DurableEngine(BUNDLE, open_store(url))
    engine.ingest(FACTS[:7])
    engine.ingest(FACTS[7:])
    engine.advance_to(JULY)
    return engine


def test_restart_equals_replay_and_an_in_memory_run(store_url: str) -> None:
    first = fill(store_url)
    before = dump(first.events())
    first.close()
    again = DurableEngine(BUNDLE, open_store(store_url))
    assert dump(again.events()) == before
    memory = Engine(BUNDLE)
    memory.ingest(FACTS[:7])
    memory.ingest(FACTS[7:])
    memory.advance_to(JULY)
    assert dump(memory.events()) == before
    assert verify(again.store) == []


def rows(url: str) -> int:
    return int(execute(url, "SELECT count(*) FROM ledger")[0][0])


def test_a_rejected_batch_writes_nothing(store_url: str) -> None:
    engine = fill(store_url)
    count = rows(store_url)
    with pytest.raises(FactError, match="duplicate fact id"):
        engine.ingest([FACTS[0]])
    bad = dict(FACTS[0], id="new-1", start="2026-08-01T10:00:00")
    with pytest.raises(FactError, match="zone"):
        engine.ingest([dict(FACTS[1], id="new-2"), bad])
    assert rows(store_url) == count
    engine.close()
    reopened = DurableEngine(BUNDLE, open_store(store_url))
    with pytest.raises(FactError, match="duplicate fact id"):
        reopened.ingest([FACTS[3]])  # idempotent by id across restarts too


@pytest.mark.parametrize(("statement", "row", "words"), [
    ("UPDATE ledger SET payload = replace(payload, '10500.00', '1050.00') "
     "WHERE seq = (SELECT min(seq) FROM ledger WHERE payload LIKE '%10500.00 EUR%')",
     None, "content was changed"),
    ("DELETE FROM ledger WHERE seq = 5", 6, "missing"),
    ("UPDATE ledger SET seq = -seq WHERE seq IN (3, 4)", None, "does not follow"),
])
def test_tampering_is_found_and_named(store_url: str, statement: str, row: int | None,
                                      words: str) -> None:
    fill(store_url).close()
    execute(store_url, statement)
    if "seq = -seq" in statement:  # swap rows 3 and 4: a reordering
        execute(store_url,
                "UPDATE ledger SET seq = CASE seq WHEN -3 THEN 4 ELSE 3 END WHERE seq < 0")
    breaks = verify(open_store(store_url))
    assert breaks and words in str(breaks[0])
    if row is not None:
        assert breaks[0].seq == row
    with pytest.raises(StoreError, match="fails verification"):
        DurableEngine(BUNDLE, open_store(store_url))


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


def test_a_foreign_postgresql_schema_is_refused_untouched(postgres: LocalPostgres) -> None:
    url = postgres.url("crm")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS clausec")
        connection.execute("CREATE TABLE IF NOT EXISTS clausec.customers (id INT, name TEXT)")
    with pytest.raises(StoreError, match="something else"):
        open_store(url)
    with psycopg.connect(url) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'clausec'"
        ).fetchall()
    assert tables == [("customers",)]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://clausec:s3cret@/nowhere?host={tmp}",
        "postgresql://clausec@/nowhere?host={tmp}&password=s3cret",
        "postgresql://clausec:s3cret@[::1:5432/nowhere",  # not a URL libpq or urllib can read
    ],
    ids=["in-user-part", "in-query", "malformed"],
)
def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(StoreError, match="cannot connect to") as caught:
        open_store(url.format(tmp=tmp_path))
    assert "s3cret" not in str(caught.value)


def test_an_older_store_schema_is_refused(store_url: str) -> None:
    fill(store_url).close()
    execute(store_url, "UPDATE clausec_meta SET value = 'clausec-store/1'")
    with pytest.raises(StoreError, match="holds store schema clausec-store/1"):
        open_store(store_url)


def test_a_different_bundle_for_the_same_contract_is_refused(store_url: str) -> None:
    fill(store_url).close()
    changed = BUNDLE.model_copy(update={"hash": "sha256:" + "0" * 64})
    with pytest.raises(StoreError, match="needs an amendment"):
        DurableEngine(changed, open_store(store_url))


def test_two_engines_on_one_store_share_one_history(store_url: str) -> None:
    one = DurableEngine(BUNDLE, open_store(store_url))
    two = DurableEngine(BUNDLE, open_store(store_url))
    one.ingest(FACTS[:5])
    two.ingest(FACTS[5:10])  # catches up on one's facts first, in the write lock
    one.ingest(FACTS[10:])
    with pytest.raises(FactError, match="duplicate"):
        two.ingest(FACTS[2:3])
    one.advance_to(JULY)
    two.advance_to(JULY)
    assert dump(one.events()) == dump(two.events())
    assert verify(one.store) == []


HOLD_SQLITE = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE"); print("locked", flush=True); time.sleep(1.5); c.execute("COMMIT")
"""
HOLD_POSTGRES = """
import sys, time
from runtime.store import open_store
store = open_store(sys.argv[1])
with store.writing():
    print("locked", flush=True); time.sleep(1.5)
"""


def test_a_second_writer_waits_for_the_first(store_url: str) -> None:
    DurableEngine(BUNDLE, open_store(store_url)).close()
    hold = HOLD_POSTGRES if store_url.startswith("postgresql://") else HOLD_SQLITE
    holder = subprocess.Popen([sys.executable, "-c", hold, store_url], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    waiting = DurableEngine(BUNDLE, open_store(store_url))
    assert waiting.ingest(FACTS[:3])  # blocks until the holder commits, then succeeds
    assert time.monotonic() - started > 0.5
    holder.wait(timeout=10)
    assert verify(waiting.store) == []
