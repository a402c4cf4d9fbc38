"""The engine's floor: its own validation and event recording, timed apart from the rest.

For each fact the plain-Python baseline does the arithmetic and nothing else. The engine must
also, whatever its matcher, kernels or data layout:
- validate the fact against its contract's schema, naming every problem it finds, and keep
  it, since a late fact restates the windows it falls in;
- record every event, with its deterministic id, and keep it for `explain`.

This module times those two parts on their own, on the main workload, with the collector
off:
- the parsed facts through each contract's validators (`FactSchemas`) into its store of
  facts (`Context.keep`), with the duplicate check `Engine.validate` makes;
- the events the compiled engine fired on this workload, recorded again through
  `Context.emit` from their own fields (their explanations already composed). The replay
  must give the very same events; this is checked.

The baseline and the compiled engine are timed with the collector off too, in the same run,
and once more with the collector as a service holding many contracts would set it
(`runtime.collector.service_collector`, which `clausec run` uses over a folder).
The sum of the baseline and the two parts, over the baseline, is the floor: the ratio this
engine could reach if everything else it does cost nothing. It is close to a lower bound,
not a strict one: the baseline and the validators both parse the facts' dates. The engine's
ratio less the floor is what the rest costs: matching, lifecycles, composing explanations,
the agenda, windows, caps and triggers.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from bench import baseline
from bench import portfolio as pf
from bench.generate import Portfolio
from bench.measure import Runs, repeat, timed
from clausec import ir
from runtime.collector import THRESHOLDS, service_collector
from runtime.context import Context
from runtime.events import Event
from runtime.facts import Fact, FactSchemas
from runtime.money import Money

REPS = 3

# An emit call: its positional and keyword arguments.
Call = tuple[tuple[Any, ...], dict[str, Any]]


def floor(portfolio: Portfolio, bundles: dict[str, ir.Bundle]) -> dict[str, Any]:
    lines = portfolio.stream.lines
    engine, fired = _engine(bundles, lines)
    calls = {cid: [_call(e) for e in events] for cid, events in fired.items()}
    parsed = [json.loads(line, parse_float=Decimal) for line in lines]
    base = repeat(lambda: _quiet(lambda: baseline.run(portfolio.specs, lines)), REPS)
    checked = repeat(lambda: _validated(bundles, parsed), REPS)
    replayed = repeat(lambda: _replayed(bundles, calls, fired), REPS)
    floor_s = base.median + checked.median + replayed.median
    tuned = repeat(lambda: _tuned_engine(bundles, lines), REPS)
    tuned_base = repeat(lambda: _tuned(lambda: baseline.run(portfolio.specs, lines)), REPS)
    return {
        "engine_s": engine.median,
        "baseline_s": base.median,
        "tuned_engine_s": tuned.median,
        "tuned_baseline_s": tuned_base.median,
        "service_collector": list(THRESHOLDS),
        "validate_keep_s": checked.median,
        "events_s": replayed.median,
        "events": sum(len(events) for events in fired.values()),
        "floor_s": floor_s,
        "floor_ratio": floor_s / base.median,
    }


def _quiet(action: Callable[[], object]) -> float:
    """`action`'s wall time with the collector off (after a collection)."""
    gc.collect()
    gc.disable()
    try:
        return timed(action)
    finally:
        gc.enable()


def _tuned(action: Callable[[], object]) -> float:
    """`action`'s wall time within `service_collector()`."""
    with service_collector():
        return timed(action)


def _tuned_engine(bundles: dict[str, ir.Bundle], lines: list[str]) -> float:
    engines = pf.load(bundles, "compiled")
    seconds = _tuned(lambda: pf.feed(engines, lines))
    pf.close(engines.values())
    return seconds


def _engine(bundles: dict[str, ir.Bundle], lines: list[str]) -> tuple[Runs, dict[str, list[Event]]]:
    """The compiled engine's time on the workload with the collector off, and the events it
    fired, by contract."""
    fired: dict[str, list[Event]] = {}

    def run() -> float:
        engines = pf.load(bundles, "compiled")
        seconds = _quiet(lambda: pf.feed(engines, lines))
        fired.update((cid, engine.events()) for cid, engine in engines.items())
        pf.close(engines.values())
        return seconds

    return repeat(run, REPS), fired


def _call(event: Event) -> Call:
    why = event.explanation
    moment = datetime.fromisoformat(event.time)
    amount = Money.parse(event.amount) if event.amount else None
    return (event.clause, event.kind, moment, why.summary), {
        "instance": event.instance,
        "amount": amount,
        "verdict": event.verdict,
        "parties": event.parties,
        "facts": why.facts,
        "values": why.values,
        "steps": why.steps,
        "causes": why.causes,
    }


def _validated(bundles: dict[str, ir.Bundle], parsed: list[dict[str, Any]]) -> float:
    schemas = {cid: FactSchemas(bundle) for cid, bundle in bundles.items()}
    contexts = {cid: Context(bundle) for cid, bundle in bundles.items()}
    seen: dict[str, dict[str, None]] = {cid: {} for cid in bundles}

    def run() -> None:
        for index, raw in enumerate(parsed):
            contract = raw["contract"]
            known = seen[contract]
            fact: Fact = schemas[contract].validate(raw, index, len(known))
            if fact.id in known:
                raise RuntimeError(f"the workload repeats fact {fact.id}")
            known[fact.id] = None
            contexts[contract].keep(fact)

    return _quiet(run)


def _replayed(
    bundles: dict[str, ir.Bundle], calls: dict[str, list[Call]], fired: dict[str, list[Event]]
) -> float:
    contexts = {cid: Context(bundles[cid]) for cid in calls}

    def run() -> None:
        for cid, made in calls.items():
            emit = contexts[cid].emit
            for args, kwargs in made:
                emit(*args, **kwargs)
            contexts[cid].take_outbox()  # as the engine hands them over after each call

    seconds = _quiet(run)
    for cid, events in fired.items():
        if list(contexts[cid].events) != events:
            raise RuntimeError(f"replaying the events of {cid} gave other events")
    return seconds
