"""Metric evaluation: aggregations over the facts of one measurement window.

Facts belong to a window by their time, or, for interval facts (a `start` and an `end`), by
overlapping it; `minutes()` clips intervals to the window and merges overlaps, so two reports
of the same outage are not counted twice. For a fact type with a key, only the latest report of
each key counts. The metric's exclusions remove facts before any aggregation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from clausec import ir
from runtime.evaluate import Missing, Scope, evaluate, is_missing
from runtime.facts import Fact
from runtime.money import Money


@dataclass(slots=True)
class Reading:
    """A metric's value for one window and what it was computed from."""

    value: Any
    fact_ids: tuple[str, ...] = ()  # tuples of strings: the garbage collector soon drops them
    excluded: tuple[str, ...] = ()
    count: int = 0


def overlaps(fact: Fact, start: datetime, end: datetime) -> bool:
    begin, finish = fact.fields.get("start"), fact.fields.get("end")
    if isinstance(begin, datetime) and isinstance(finish, datetime):
        return begin < end and finish > start
    return start <= fact.time < end


def earliest(fact: Fact) -> datetime:
    """The earliest moment `fact` covers: its start for an interval fact (see `overlaps`),
    else its time. A fact overlaps no window that ends at or before it."""
    begin, finish = fact.fields.get("start"), fact.fields.get("end")
    if isinstance(begin, datetime) and isinstance(finish, datetime):
        return begin
    return fact.time


def _minutes(
    intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> Decimal:
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if a < end and b > start)
    total = Decimal(0)
    current: tuple[datetime, datetime] | None = None
    for a, b in clipped:
        if current and a <= current[1]:
            current = (current[0], max(current[1], b))
            continue
        if current:
            total += Decimal(int((current[1] - current[0]).total_seconds())) / 60
        current = (a, b)
    if current:
        total += Decimal(int((current[1] - current[0]).total_seconds())) / 60
    return total


def zero_of(declared: ir.TypeIR, currency: str) -> Money | Decimal:
    """Nothing, in a value of the declared type: 0.00 in its currency for money, else 0."""
    if declared.kind == "money":
        return Money.zero(declared.currency or currency)
    return Decimal(0)


class MetricReader:
    """Computes one metric over one window from the facts the engine holds."""

    def __init__(
        self,
        metric: ir.Metric,
        facts: dict[str, dict[str | int, Fact]],
        schemas: dict[str, ir.FactSchema],
        currency: str,
    ) -> None:
        self.metric = metric
        self.facts = facts
        self.schemas = schemas
        self.currency = currency
        self.used: list[str] = []
        self.excluded: list[str] = []

    def read(self, scope: Scope) -> Reading:
        value = evaluate(self.metric.expr, scope.child(aggregate=self.aggregate))
        volume = evaluate(self.metric.min_volume, scope) if self.metric.min_volume else None
        count = len(set(self.used))  # distinct facts: two aggregations over one fact count it once
        if volume is not None and not is_missing(volume) and count < volume:
            value = Missing((f"at least {volume} facts in the window (had {count})",))
        used, excluded = tuple(sorted(set(self.used))), tuple(sorted(set(self.excluded)))
        return Reading(value, used, excluded, count)

    def _selected(self, spec: dict[str, Any], scope: Scope) -> list[Fact]:
        assert scope.window is not None
        start, end = scope.window
        kind = spec["fact"]
        chosen: list[Fact] = []
        for fact in self.facts.get(kind, {}).values():
            if not overlaps(fact, start, end):
                continue
            if self._is_excluded(fact, scope):
                self.excluded.append(fact.id)
                continue
            if spec["where"] is not None:
                inner = scope.child(fields=fact.fields, records={kind: fact.fields})
                verdict = evaluate(spec["where"], inner)
                if is_missing(verdict) or not verdict:
                    continue
            chosen.append(fact)
        self.used.extend(f.id for f in chosen)
        return chosen

    def _is_excluded(self, fact: Fact, scope: Scope) -> bool:
        for rule in self.metric.exclusions:
            if rule.fact != fact.type:
                continue
            inner = scope.child(fields=fact.fields, records={fact.type: fact.fields})
            verdict = True if rule.where is None else evaluate(rule.where, inner)
            if not is_missing(verdict) and verdict:
                return True
        return False

    def aggregate(self, func: str, spec: dict[str, Any], scope: Scope) -> Any:
        assert scope.window is not None
        start, end = scope.window
        if spec["fact"] is None:  # minutes(window)
            return _minutes([(start, end)], start, end)
        facts = self._selected(spec, scope)
        if func == "count":
            return Decimal(len(facts))
        if func == "minutes":
            return _minutes(((f.fields["start"], f.fields["end"]) for f in facts), start, end)
        values = [evaluate(spec["value"], scope.child(fields=f.fields)) for f in facts]
        values = [v for v in values if v is not None and not is_missing(v)]
        return self._reduce(func, values, spec, scope)

    def _empty_sum(self, spec: dict[str, Any]) -> Any:
        """A sum over no facts: zero money when the summed value is money (a money field, else
        a money metric), so that comparing it with a money threshold still works."""
        value = spec.get("value")
        if isinstance(value, list) and len(value) == 2 and value[0] == "field":
            schema = self.schemas.get(spec["fact"])
            declared = schema.fields.get(value[1]) if schema else None
            if declared is not None:
                return zero_of(declared, self.currency)
        return zero_of(self.metric.type, self.currency)

    def _reduce(self, func: str, values: list[Any], spec: dict[str, Any], scope: Scope) -> Any:
        if func == "sum":
            if not values:
                return self._empty_sum(spec)
            zero: Any = Money.zero(self.currency) if isinstance(values[0], Money) else Decimal(0)
            return sum(values, zero)
        if not values:
            return Missing((f"{spec['fact']} facts in the window for {func}()",))
        if func in ("min", "max"):
            return min(values) if func == "min" else max(values)
        if func == "average":
            total = sum(values[1:], values[0])
            return (
                total * (Decimal(1) / len(values))
                if isinstance(total, Money)
                else total / len(values)
            )
        if func == "change":
            first, last = values[0], values[-1]
            return (last - first) / first if first else Decimal(0)
        p = evaluate(spec["p"], scope)
        p = p / 100 if p > 1 else p
        ordered = sorted(values)
        index = max(0, min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1))  # nearest rank
        return ordered[index]
