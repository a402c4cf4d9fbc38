"""Crash safety: a process ingesting batches into a store is killed with SIGKILL at random
points, at least 50 times, on SQLite and on PostgreSQL. After each kill every acknowledged
batch is in the store, no batch is there in part or twice, the ledger verifies, and the state
rebuilt from the store (its last snapshot and the tail) equals a clean in-memory replay."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from clausec.compiler import compile_or_raise
from runtime.durable import DurableEngine
from runtime.engine import Engine
from runtime.store import open_store, verify

ROOT = Path(__file__).resolve().parent.parent
KILLS = 55  # at least 50 of them land on a running process
BATCHES = 800
BATCH_SIZE = 5

CHILD = """
import json, sys, time
from runtime.durable import DurableEngine
from runtime.facts import FactError
bundle, store, batches = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
engine = DurableEngine.open(bundle, store)
for number, batch in enumerate(batches):
    if batch[0]["id"] in engine.engine.seen:
        continue  # acknowledged before the last kill
    engine.ingest(batch)
    print(number, flush=True)
    time.sleep(0.02)  # a feed arrives over time: the process lives through the kills
"""


def make_batches() -> list[list[dict[str, Any]]]:
    """Downtime reports through 2026, each batch a few minutes of incidents."""
    rng = random.Random(20261123)
    batches = []
    for number in range(BATCHES):
        minute = number * 60 * 24 // 2  # two batches a day
        batch = []
        for k in range(BATCH_SIZE):
            start = 1767225600 + (minute + k * 7) * 60  # 2026-01-01T00:00Z onwards
            length = rng.randint(1, 45)
            batch.append(
                {
                    "id": f"dt-{number}-{k}",
                    "type": "downtime",
                    "ticket": f"NL-{number}-{k}",
                    "service": "hosting-platform",
                    "start": _iso(start),
                    "end": _iso(start + length * 60),
                    "scheduled": rng.random() < 0.2,
                    "notice_days": rng.randint(0, 9),
                    "excused": False,
                }
            )
        batches.append(batch)
    return batches


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


def recorded_batches(store: str) -> list[list[dict[str, Any]]]:
    opened = open_store(store)
    found = [json.loads(r.payload)["facts"] for r in opened.rows() if r.kind == "facts"]
    opened.close()
    return found


@pytest.mark.slow
def test_sigkill_loses_nothing_acknowledged(tmp_path: Path, store_url: str) -> None:
    bundle_path = tmp_path / "bundle.json"
    bundle = compile_or_raise(ROOT / "examples/managed_hosting/contract.clause")
    bundle_path.write_text(bundle.to_json(), encoding="utf-8")
    batches = make_batches()
    (tmp_path / "batches.json").write_text(json.dumps(batches), encoding="utf-8")
    store = store_url
    rng = random.Random(7)
    acknowledged: set[int] = set()
    hits = 0
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for _kill in range(KILLS):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(bundle_path),
                str(store),
                str(tmp_path / "batches.json"),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        time.sleep(rng.uniform(0.2, 0.6))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        hits += child.returncode == -signal.SIGKILL  # killed while running, not after
        acknowledged |= {int(line) for line in out.split()}
        check_store(store, batches, acknowledged)
    assert hits >= 50, f"only {hits} kills landed on a running process"
    recorded = len(recorded_batches(store))
    print(
        f"\ncrash test ({store.split(':', 1)[0] if '://' in store else 'sqlite'}): "
        f"{KILLS} SIGKILLs ({hits} of a running process), "
        f"{len(acknowledged)} batches acknowledged, "
        f"{recorded} recorded, {len(acknowledged - set(range(recorded)))} lost"
    )


def check_store(store: str, batches: list[list[dict[str, Any]]], acknowledged: set[int]) -> None:
    assert verify(open_store(store)) == []
    recorded = recorded_batches(store)
    ids = [batch[0]["id"] for batch in recorded]
    assert len(ids) == len(set(ids)), "a batch was recorded twice"
    by_first = {batch[0]["id"]: number for number, batch in enumerate(batches)}
    numbers = [by_first[i] for i in ids]
    for number, batch in zip(numbers, recorded, strict=True):
        assert batch == batches[number], f"batch {number} is in the store only in part"
    missing = acknowledged - set(numbers)
    assert not missing, f"acknowledged batches lost: {sorted(missing)[:5]}"
    rebuilt = DurableEngine(
        compile_or_raise(ROOT / "examples/managed_hosting/contract.clause"), open_store(store)
    )
    clean = Engine(rebuilt.bundle)
    for batch in recorded:
        clean.ingest(batch)
    assert [e.model_dump() for e in rebuilt.events()] == [e.model_dump() for e in clean.events()]
    rebuilt.close()
