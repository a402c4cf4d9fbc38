"""Where the compiled engine's time goes on the main workload, and the limits that follow.

In: the main portfolio and its bundles. Out: a dict of shares and rates for the report:
  - the garbage collector's share of a plain run (its pauses, timed by `gc.callbacks`);
  - under cProfile with the collector off, the cumulative share of each stage (JSON parsing,
    validation, matching, obligations, windows, events); stages nest (events are fired from
    the others), so the shares overlap and do not add up to 100%;
  - the rate of parsing and routing the JSON lines alone, with nothing ingested;
  - how flat the profile is (the functions with the most time of their own), the events
    fired per fact, and what a contract holds after the year (tracemalloc).

The limits the report draws from it: rete and compiled run the same kernels and differ only
in the matcher, so rete/compiled is at most (compiled time + rete's matching) / (compiled time
- compiled matching); and no engine that reads JSON lines in this process can go faster than
the parse alone, or, doing what the baseline does and more, than the baseline.
"""

from __future__ import annotations

import cProfile
import gc
import json
import pstats
import tracemalloc
from decimal import Decimal
from typing import Any

from bench import portfolio as pf
from bench.generate import Portfolio
from bench.measure import GcPauses, repeat, timed
from clausec import ir

# (label, path suffix, function name): the entry point of each stage, read cumulatively.
STAGES = (
    ("JSON parsing", "json/__init__.py", "loads"),
    ("fact validation", "runtime/engine.py", "validate"),
    ("matching (the compiled matcher)", "runtime/matchers/compiled.py", "match"),
    ("obligations: instances, deadlines, evidence", "runtime/obligations.py", "on_fact"),
    ("the agenda: deadlines and windows falling due", "runtime/engine.py", "_run_agenda"),
    ("window assessment: metrics, verdicts, credits", "runtime/slas.py", "assess"),
    ("firing events (inside the stages above)", "runtime/context.py", "emit"),
)


def _parse_only(lines: list[str]) -> None:
    groups: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        fact = json.loads(line, parse_float=Decimal)
        groups.setdefault(fact["contract"], []).append(fact)


def _stages(stats: pstats.Stats) -> list[dict[str, Any]]:
    table = stats.stats  # type: ignore[attr-defined]
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    shares = []
    for label, suffix, name in STAGES:
        cumulative = sum(
            value[3]
            for (path, _, function), value in table.items()
            if function == name and path.endswith(suffix)
        )
        shares.append({"stage": label, "share": cumulative / total})
    return shares


def _own_times(stats: pstats.Stats, top: int = 10) -> dict[str, Any]:
    """How flat the profile is: the functions with the most time of their own, and how many
    take 1% of the run or more."""
    table = stats.stats  # type: ignore[attr-defined]
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    shares = sorted(((value[2] / total, key) for key, value in table.items()), reverse=True)
    return {
        "top": [
            {"function": f"{path.rsplit('/', 1)[-1]}:{line} {name}", "share": share}
            for share, (path, line, name) in shares[:top]
        ],
        "at_least_1_percent": sum(1 for share, _ in shares if share >= 0.01),
    }


def _plain(bundles: dict[str, ir.Bundle], lines: list[str]) -> tuple[float, dict[str, float], int]:
    """A run as the benchmark times it: its wall time, the collector's pauses and the number
    of events fired."""
    engines = pf.load(bundles, "compiled")
    gc.collect()
    with GcPauses() as pauses:
        wall = timed(lambda: pf.feed(engines, lines))
    events = sum(len(engine.ctx.events) for engine in engines.values())
    pf.close(engines.values())
    return wall, pauses.summary(), events


def _retained(bundles: dict[str, ir.Bundle], lines: list[str]) -> float:
    """KB per contract that the engines hold after the workload more than when idle: the
    Python allocations still live (tracemalloc, which also makes this run slower)."""
    engines = pf.load(bundles, "compiled")
    gc.collect()
    tracemalloc.start()
    try:
        idle = tracemalloc.get_traced_memory()[0]
        pf.feed(engines, lines)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - idle
    finally:
        tracemalloc.stop()
    pf.close(engines.values())
    return grown / len(engines) / 1024


def _profiled(bundles: dict[str, ir.Bundle], lines: list[str]) -> pstats.Stats:
    """A run under cProfile with the collector off: its pauses are not charged to whichever
    function happened to allocate when a collection started."""
    engines = pf.load(bundles, "compiled")
    gc.collect()
    gc.disable()
    profiler = cProfile.Profile()
    try:
        profiler.runcall(pf.feed, engines, lines)
    finally:
        gc.enable()
    pf.close(engines.values())
    return pstats.Stats(profiler)


def anatomy(portfolio: Portfolio, bundles: dict[str, ir.Bundle]) -> dict[str, Any]:
    lines = portfolio.stream.lines
    parse = repeat(lambda: timed(lambda: _parse_only(lines)), 3)
    wall, collector, events = _plain(bundles, lines)
    gc.collect()
    stats = _profiled(bundles, lines)
    gc.collect()
    return {
        "facts": len(lines),
        "events": events,
        "plain_run_s": wall,
        "gc_share": collector["total_ms"] / 1000 / wall,
        "gc_full_collections": collector["gen2"],
        "state_kb_per_contract": _retained(bundles, lines),
        "parse_only_facts_per_s": len(lines) / parse.median,
        "stages": _stages(stats),
        "own_time": _own_times(stats),
    }
