"""Where the compiled engine's time goes on the main workload, and the limits that follow.

In: the main portfolio and its bundles. Out: a dict of shares and rates for the report:
  - the garbage collector's share of a plain run (its pauses, timed by `gc.callbacks`);
  - under pyinstrument with the collector off, the share of each stage (JSON parsing,
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

import gc
import json
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pyinstrument import Profiler
from pyinstrument.frame import Frame

from bench import portfolio as pf
from bench.generate import Portfolio
from bench.measure import GcPauses, repeat, timed
from clausec import ir

SAMPLE_S = 0.0005  # the profiler's interval
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


def _frames(root: Frame) -> Iterator[tuple[Frame, tuple[Frame, ...]]]:
    """Every frame of the call tree, with its ancestors."""
    stack: list[tuple[Frame, tuple[Frame, ...]]] = [(root, ())]
    while stack:
        frame, above = stack.pop()
        yield frame, above
        stack.extend((child, (*above, frame)) for child in frame.children)


def _is(frame: Frame, suffix: str, name: str) -> bool:
    return frame.function == name and (frame.file_path or "").endswith(suffix)


def _stages(root: Frame) -> list[dict[str, Any]]:
    """Each stage's share of the run: the time of its outermost calls (a call inside another
    call of the same function is counted once)."""
    total = max(root.time, 1e-9)
    shares = []
    for label, suffix, name in STAGES:
        inside = sum(
            frame.time
            for frame, above in _frames(root)
            if _is(frame, suffix, name) and not any(_is(a, suffix, name) for a in above)
        )
        shares.append({"stage": label, "share": inside / total})
    return shares


def own_times(root: Frame, top: int = 10) -> dict[str, Any]:
    """How flat the profile is: the functions with the most time of their own, and how many
    take 1% of the run or more."""
    total = max(root.time, 1e-9)
    own: dict[str, float] = {}
    for frame, _ in _frames(root):
        if frame.is_synthetic:
            continue
        where = f"{(frame.file_path or '?').rsplit('/', 1)[-1]}:{frame.line_no} {frame.function}"
        own[where] = own.get(where, 0.0) + frame.total_self_time
    shares = sorted(((time / total, where) for where, time in own.items()), reverse=True)
    return {
        "top": [{"function": where, "share": share} for share, where in shares[:top]],
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


def _profiled(bundles: dict[str, ir.Bundle], lines: list[str]) -> Frame:
    """A run under pyinstrument (sampling every half millisecond) with the collector off: its
    pauses are not charged to whichever function happened to allocate when one started."""
    engines = pf.load(bundles, "compiled")
    gc.collect()
    gc.disable()
    profiler = Profiler(interval=SAMPLE_S, use_timing_thread=True)  # a cheaper clock here
    profiler.start()
    try:
        pf.feed(engines, lines)
    finally:
        profiler.stop()
        gc.enable()
    pf.close(engines.values())
    session = profiler.last_session
    root = session.root_frame(trim_stem=False) if session is not None else None
    if root is None:
        raise RuntimeError("the profiler took no sample")
    return root


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
        "own_time": own_times(stats),
    }
