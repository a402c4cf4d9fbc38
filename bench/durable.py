"""Durable ingest: the portfolio's stream into a store, SQLite and a real PostgreSQL server.

The same work as the in-memory throughput (parse each JSON line, route it by contract, ingest,
then move every clock past the settlement), but through `runtime.portfolio.Portfolio`: each
chunk of 1,000 lines is validated whole and written, with every event it fires, in one store
transaction, durable before the next chunk. Snapshots are taken as in production (every 100
inputs per contract). The figures are checked against the baseline like every other run.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import portfolio as pf
from bench.generate import Portfolio as Workload
from bench.measure import Runs, repeat
from clausec import ir
from runtime.engine import Engine
from runtime.portfolio import Portfolio
from runtime.store.local_postgres import LocalPostgres, PostgresUnavailable

CHUNK = 1000
Check = Callable[[str, dict[str, Engine], dict[str, Any]], None]


def ingest(url: str, bundles: dict[str, ir.Bundle], lines: list[str]) -> tuple[float, Portfolio]:
    """Load the contracts into a fresh store and feed it; the seconds the feed took."""
    portfolio = Portfolio.open(url)
    for bundle in bundles.values():
        portfolio.load(bundle)
    start = time.perf_counter()
    for first in range(0, len(lines), CHUNK):
        portfolio.ingest(
            [json.loads(line, parse_float=Decimal) for line in lines[first : first + CHUNK]]
        )
    portfolio.advance_to(pf.SETTLED)
    return time.perf_counter() - start, portfolio


def durable(
    workload: Workload,
    bundles: dict[str, ir.Bundle],
    expected: dict[str, Any],
    check: Check,
    reps: int,
) -> dict[str, Any]:
    lines = workload.stream.lines
    mine = {s.id: bundles[s.id] for s in workload.specs}
    result: dict[str, Any] = {"contracts": len(mine), "facts": len(lines), "chunk": CHUNK}
    folder = Path(tempfile.mkdtemp(prefix="clausec-bench-"))
    counter = iter(range(1_000_000))

    def sqlite_url() -> str:
        return str(folder / f"store-{next(counter)}.db")

    result["sqlite"] = _measure("sqlite", sqlite_url, mine, lines, expected, check, reps)
    try:
        with LocalPostgres() as server:
            result["postgresql"] = _measure(
                "postgresql",
                lambda: server.url(f"bench_{next(counter)}"),
                mine,
                lines,
                expected,
                check,
                reps,
            )
    except PostgresUnavailable as error:
        result["postgresql"] = {"error": str(error)}
    return result


def _measure(
    kind: str,
    url: Callable[[], str],
    bundles: dict[str, ir.Bundle],
    lines: list[str],
    expected: dict[str, Any],
    check: Check,
    reps: int,
) -> dict[str, Any]:
    rows = 0

    def run() -> float:
        nonlocal rows
        seconds, portfolio = ingest(url(), bundles, lines)
        check(f"durable {kind}", {c: d.engine for c, d in portfolio.contracts.items()}, expected)
        rows = sum(1 for _ in portfolio.store.rows())
        portfolio.close()
        return seconds

    runs: Runs = repeat(run, reps)
    return {
        "facts_per_s": len(lines) / runs.median,
        "median_s": runs.median,
        "runs_s": runs.seconds,
        "ledger_rows": rows,
    }
