"""The benchmark's measurements other than throughput: latency, memory and the compiler.

Each function runs one measurement and returns its results as a JSON-ready dict; `run.py`
orchestrates them and `report.py` formats them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import baseline
from bench import portfolio as pf
from bench.bigcontract import big_contract, clause_counts
from bench.generate import Portfolio
from bench.measure import GcPauses, Runs, percentile, repeat, timed
from clausec import ir
from clausec.compiler import compile_or_raise
from runtime.engine import Engine

Check = Callable[[str, dict[str, Engine], dict[str, baseline.Figures]], None]


def latency(portfolio: Portfolio, bundles: dict[str, ir.Bundle], check: Check) -> dict[str, Any]:
    """Single-fact and 100-fact ingests (compiled) over the whole year of a portfolio: each
    fact parsed and ingested on its own, then each contract's facts in batches of 100."""
    lines = portfolio.stream.lines
    expected = baseline.run(portfolio.specs, lines)
    mine = {s.id: bundles[s.id] for s in portfolio.specs}

    engines = pf.load(mine, "compiled")
    single: list[float] = []
    with GcPauses() as pauses:
        for line in lines:
            start = time.perf_counter()
            fact = json.loads(line, parse_float=Decimal)
            engines[fact["contract"]].ingest([fact])
            single.append(time.perf_counter() - start)
    _settle(engines)
    check("latency single", engines, expected)
    pf.close(engines.values())

    engines = pf.load(mine, "compiled")
    per_contract: dict[str, list[str]] = {}
    for line in lines:
        per_contract.setdefault(json.loads(line)["contract"], []).append(line)
    batches: list[float] = []
    for cid, own in per_contract.items():
        for first in range(0, len(own), 100):
            chunk = own[first : first + 100]
            start = time.perf_counter()
            engines[cid].ingest([json.loads(line, parse_float=Decimal) for line in chunk])
            if len(chunk) == 100:
                batches.append(time.perf_counter() - start)
    _settle(engines)
    check("latency batch", engines, expected)
    pf.close(engines.values())
    return {
        "contracts": len(portfolio.specs),
        "facts": len(lines),
        "single": spread(single),
        "batch100": spread(batches),
        "gc_during_single": pauses.summary(),
    }


def memory(
    bundle_file: Path, counts: tuple[int, ...], root: Path, problems: list[str]
) -> list[dict[str, Any]]:
    """Memory per idle loaded contract, each count in a fresh process (`bench.memory`): RSS
    for every count, tracemalloc and the rete engine at the smallest."""
    smallest = min(counts)
    jobs = [(n, "compiled", False) for n in counts]
    jobs += [(smallest, "compiled", True), (smallest, "rete", False)]
    rows: list[dict[str, Any]] = []
    for count, engine, traced in jobs:
        command = [sys.executable, "-m", "bench.memory", "--bundles", str(bundle_file)]
        command += ["--contracts", str(count), "--engine", engine]
        command += ["--tracemalloc"] if traced else []
        done = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
        if done.returncode != 0:
            problems.append(f"memory {count} {engine}: {done.stderr.strip()[-300:]}")
            continue
        rows.append(json.loads(done.stdout))
    return rows


def compile_big(folder: Path, clauses: int, reps: int) -> dict[str, Any]:
    """Compile time of a generated contract with `clauses` clauses, and its engine's load."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "framework.clause"
    path.write_text(big_contract(clauses), encoding="utf-8")
    bundle: list[ir.Bundle] = []
    runs = repeat(lambda: timed(lambda: bundle.append(compile_or_raise(path))), reps)
    big = bundle[-1]
    services, orders, queues = clause_counts(clauses)
    return {
        "clauses": len(big.slas) + len(big.obligations) + len(big.triggers) + len(big.escalations),
        "metrics": len(big.metrics),
        "lines": len(path.read_text(encoding="utf-8").splitlines()),
        "mix": {
            "slas": services,
            "triggers": services,
            "deliveries": orders,
            "incident_queues": queues,
        },
        **seconds(runs),
        "engine_load_s": timed(lambda: Engine(big).close()),
    }


def check_tree(root: Path, reps: int) -> dict[str, Any]:
    """`clausec check examples stdlib` as a user runs it: a process, start-up included."""
    command = [str(Path(sys.executable).parent / "clausec"), "check", "examples", "stdlib"]
    outcome: dict[str, Any] = {}

    def run() -> float:
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
        elapsed = time.perf_counter() - start
        outcome.update(exit=done.returncode, summary=done.stdout.strip().splitlines()[-1:])
        return elapsed

    runs = repeat(run, reps)
    files = sum(len(list((root / d).rglob("*.clause"))) for d in ("examples", "stdlib"))
    return {"files": files, **seconds(runs), **outcome}


def _settle(engines: dict[str, Engine]) -> None:
    for engine in engines.values():
        engine.advance_to(pf.SETTLED)


def seconds(runs: Runs) -> dict[str, Any]:
    low, high = runs.spread
    return {"median_s": runs.median, "min_s": low, "max_s": high, "runs": len(runs.seconds)}


def spread(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"samples": 0}
    return {
        "samples": len(values),
        "p50_ms": percentile(values, 50) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "max_ms": max(values) * 1000,
    }
