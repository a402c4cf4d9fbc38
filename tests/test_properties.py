"""Properties of the runtime that must hold for any facts (hypothesis).

- Splitting a time-ordered fact stream into batches of any sizes gives the same events.
- Facts that share one timestamp give the same events in any order.
- Money never loses a cent: every amount has whole cents, and the settlement statement at
  close-out equals the sum of the amounts the events carried.
- The same inputs give byte-identical events.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausec.compiler import compile_or_raise
from clausec.ir import Bundle
from runtime.engine import Engine
from runtime.events import Event

ROOT = Path(__file__).resolve().parent.parent
BUNDLE: Bundle = compile_or_raise(ROOT / "examples/managed_hosting/contract.clause")
END = datetime(2028, 2, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def outages(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=6))
    facts = []
    for number in range(count):
        start = datetime(2026, draw(st.integers(1, 12)), draw(st.integers(1, 28)),
                         draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])),
                         tzinfo=UTC)
        minutes = draw(st.integers(min_value=1, max_value=900))
        facts.append({
            "id": f"dt-{number}", "type": "downtime", "ticket": f"NL-{number}",
            "service": "hosting-platform",
            "start": start.isoformat(), "end": (start + timedelta(minutes=minutes)).isoformat(),
            "scheduled": draw(st.booleans()), "notice_days": draw(st.integers(0, 10)),
            "excused": False,
        })
    return facts


def _time(fact: dict[str, Any]) -> str:
    return str(fact["end"])


def run(batches: list[list[dict[str, Any]]], until: datetime = END) -> list[Event]:
    engine = Engine(BUNDLE)
    events: list[Event] = []
    for batch in batches:
        events += engine.ingest(batch)
    events += engine.advance_to(until)
    return events


def dumps(events: list[Event]) -> str:
    return json.dumps([e.model_dump() for e in events], sort_keys=True)


@SETTINGS
@given(outages(), st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=6))
def test_batch_sizes_do_not_change_events(facts: list[dict[str, Any]], sizes: list[int]) -> None:
    ordered = sorted(facts, key=_time)
    batches, start = [], 0
    for size in sizes * (len(ordered) + 1):
        if start >= len(ordered):
            break
        batches.append(ordered[start:start + size])
        start += size
    assert dumps(run([ordered])) == dumps(run(batches))


@SETTINGS
@given(st.permutations(range(4)))
def test_order_within_one_timestamp_does_not_matter(order: list[int]) -> None:
    opened = "2026-03-03T10:05:00+01:00"
    incidents = [{"id": f"inc-{n}", "type": "incident", "ticket": f"INC-{n}",
                  "priority": ["P1", "P2", "P3", "P1"][n], "opened": opened} for n in range(4)]

    def summary(events: list[Event]) -> list[tuple[Any, ...]]:
        return sorted((e.kind, e.clause, e.instance, e.time, e.amount) for e in events)

    reference = run([incidents], datetime(2026, 4, 1, tzinfo=UTC))
    shuffled = run([[incidents[i] for i in order]], datetime(2026, 4, 1, tzinfo=UTC))
    assert summary(reference) == summary(shuffled)


@SETTINGS
@given(outages())
def test_money_never_loses_a_cent(facts: list[dict[str, Any]]) -> None:
    events = run([sorted(facts, key=_time)])
    amounts = [Decimal(e.amount.split()[0]) for e in events
               if e.amount and e.kind in ("credit", "penalty", "incentive", "restatement")]
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
    (closeout,) = [e for e in events if e.kind == "closeout"]
    credits = sum((Decimal(e.amount.split()[0]) for e in events
                   if e.amount and e.kind in ("credit", "restatement")), Decimal(0))
    assert Decimal(closeout.explanation.values["total credits"].split()[0]) == credits


@SETTINGS
@given(outages())
def test_the_same_inputs_give_the_same_events(facts: list[dict[str, Any]]) -> None:
    ordered = sorted(facts, key=_time)
    assert dumps(run([ordered])) == dumps(run([ordered]))


@SETTINGS
@given(outages(), st.randoms(use_true_random=False))
def test_late_facts_keep_the_ledger_consistent(facts: list[dict[str, Any]], rnd: Any) -> None:
    """Facts that arrive after their windows were settled restate them; whatever the order,
    the settlement equals the credits and restatements the events carried."""
    engine = Engine(BUNDLE)
    events = engine.advance_to(datetime(2027, 1, 10, tzinfo=UTC))
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    for fact in shuffled:
        events += engine.ingest([fact])
    events += engine.advance_to(END)
    (closeout,) = [e for e in events if e.kind == "closeout"]
    credits = sum((Decimal(e.amount.split()[0]) for e in events
                   if e.amount and e.kind in ("credit", "restatement")), Decimal(0))
    assert Decimal(closeout.explanation.values["total credits"].split()[0]) == credits
    in_order = run([sorted(facts, key=_time)])
    final = {(e.clause, e.instance): e.verdict for e in in_order if e.kind == "assessment"}
    restated = {(e.clause, e.instance): e.verdict for e in events
                if e.kind in ("assessment", "restatement")}
    assert restated == final
