"""Evaluating the IR's expression trees.

Values: Decimal for numbers and percentages (a percentage is its fraction), `Money`,
`Duration`, aware datetimes, dates, text, booleans and None. A value that cannot be known yet
is `Missing`, which carries what is missing and spreads through arithmetic and comparisons, so a
verdict that depends on it is undetermined, never silently compliant.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from runtime.calendar import ContractTime
from runtime.money import Money


@dataclass(frozen=True, slots=True)
class Duration:
    amount: Decimal
    unit: str

    def __str__(self) -> str:
        unit = self.unit.replace("_", " ")
        return f"{self.amount.normalize():f} {unit}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Missing:
    """A value that depends on facts not yet received."""

    needs: tuple[str, ...]

    def __bool__(self) -> bool:
        raise TypeError("a Missing value has no truth value; test with is_missing")


def is_missing(value: Any) -> bool:
    return isinstance(value, Missing)


def merge_missing(*values: Any) -> Missing:
    needs: list[str] = []
    for value in values:
        if isinstance(value, Missing):
            needs.extend(n for n in value.needs if n not in needs)
    return Missing(tuple(needs))


@dataclass(slots=True)
class Scope:
    time: ContractTime
    params: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    window: tuple[datetime, datetime] | None = None
    aggregate: Callable[[str, dict[str, Any], Scope], Any] | None = None

    def child(self, **changes: Any) -> Scope:
        values: dict[str, Any] = {
            "time": self.time,
            "params": self.params,
            "metrics": self.metrics,
            "fields": self.fields,
            "records": self.records,
            "window": self.window,
            "aggregate": self.aggregate,
        }
        values.update(changes)
        return Scope(**values)


def literal(node: list[Any], time: ContractTime) -> Any:
    kind = node[1]
    if kind == "datetime":
        return zoned(datetime.fromisoformat(node[2]), node[3], time)
    if kind in _CONSTANTS:
        return _constant(kind, node[2], node[3] if kind in _WITH_UNIT else None)
    if kind == "none":
        return None
    return node[2]


_CONSTANTS = frozenset(("money", "percent", "number", "duration", "date"))
_WITH_UNIT = frozenset(("money", "duration"))  # a currency, a unit of time


@lru_cache(maxsize=16384)
def _constant(kind: str, text: str, unit: str | None) -> Any:
    """A literal's value, one object for every equal literal: the values are immutable, and
    a portfolio's contracts share most of their figures (a credit of 5%, 30 days to pay), so
    each engine's parameters and every evaluation of a literal use the same object."""
    if kind in _WITH_UNIT and unit is None:
        raise ValueError(f"a {kind} literal without its unit: {text}")
    if kind == "money":
        return Money(Decimal(text), str(unit))
    if kind == "duration":
        return Duration(Decimal(text), str(unit))
    if kind == "date":
        return date.fromisoformat(text)
    return Decimal(text)


def zoned(local: datetime, zone: str | None, time: ContractTime) -> datetime:
    """A literal date-time in UTC, read in its own zone or the contract's."""
    return _zoned(local, zone, time).astimezone(UTC)


def _zoned(local: datetime, zone: str | None, time: ContractTime) -> datetime:
    if zone is None:
        return local.replace(tzinfo=time.zone)
    if zone == "Z":
        return local.replace(tzinfo=UTC)
    if zone[0] in "+-":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        offset = timedelta(hours=hours, minutes=minutes) * (1 if zone[0] == "+" else -1)
        return local.replace(tzinfo=timezone(offset))
    return local.replace(tzinfo=ZoneInfo(zone))


def evaluate(node: Any, scope: Scope) -> Any:
    if node is None:
        return None
    head = node[0]
    if head == "lit":
        return literal(node, scope.time)
    leaf = _LEAVES.get(head)
    if leaf is not None:
        return leaf(node, scope)
    if head in ("and", "or"):
        return _logic(head, node, scope)
    if head == "not":
        value = evaluate(node[1], scope)
        return value if is_missing(value) else not value
    if head == "neg":
        value = evaluate(node[1], scope)
        return value if is_missing(value) else -value
    if head == "cmp":
        return _compare(node[1], [evaluate(o, scope) for o in node[2]])
    if head == "lookup":
        key = evaluate(node[2], scope)
        return key if is_missing(key) else evaluate(_entry(node[1], key), scope)
    if head == "attr":
        record = evaluate(node[1], scope)
        return record if is_missing(record) else record.get(node[2])
    if head == "agg":
        if scope.aggregate is None:
            raise ValueError(f"{node[1]}() is only meaningful over a measurement window")
        return scope.aggregate(node[1], node[2], scope)
    if head == "call":
        return _call(node[1], [evaluate(a, scope) for a in node[2]])
    return arithmetic(head, evaluate(node[1], scope), evaluate(node[2], scope), scope.time)


def _entry(table: list[list[Any]], key: Any) -> Any:
    """The expression a lookup table gives for `key`: the last entry for it, as a dict built
    from the table would hold, found without building one for every lookup."""
    for index in range(len(table) - 1, -1, -1):  # (mypyc cannot compile reversed() here)
        if table[index][0] == key:
            return table[index][1]
    raise KeyError(key)


def _missing_name(kind: str) -> Callable[[list[Any], Scope], Any]:
    table_of = attrgetter({"param": "params", "metric": "metrics", "field": "fields"}[kind])

    def read(node: list[Any], scope: Scope) -> Any:
        values = table_of(scope)
        if node[1] in values:
            return values[node[1]]
        return Missing((f"{kind} {node[1]}",))

    return read


_LEAVES: dict[str, Callable[[list[Any], Scope], Any]] = {
    "param": _missing_name("param"),
    "metric": _missing_name("metric"),
    "field": _missing_name("field"),
    "record": lambda node, scope: scope.records.get(node[1], Missing((f"fact {node[1]}",))),
    "enum": lambda node, scope: node[1],
    "window": lambda node, scope: scope.window,
}


def _logic(head: str, node: list[Any], scope: Scope) -> Any:
    left = evaluate(node[1], scope)
    if not is_missing(left) and (left if head == "or" else not left):
        return left
    right = evaluate(node[2], scope)
    if is_missing(left):
        if not is_missing(right) and (right if head == "or" else not right):
            return right
        return merge_missing(left, right)
    return right


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _compare(ops: list[str], values: list[Any]) -> Any:
    for value in values:
        if isinstance(value, Missing):
            return merge_missing(*values)
    for op, left, right in zip(ops, values, values[1:], strict=False):
        if op in ("<", "<=", ">", ">=") and (left is None or right is None):
            return False
        if not _COMPARE[op](_comparable(left), _comparable(right)):
            return False
    return True


def comparable(value: Any) -> Any:
    """A value as comparisons see it: date-times in UTC, durations in minutes."""
    return _comparable(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, Duration):  # 90 minutes compares with 1.5 hours
        return minutes_of(value)
    return value


def arithmetic(op: str, left: Any, right: Any, time: ContractTime | None = None) -> Any:
    if is_missing(left) or is_missing(right):
        return merge_missing(left, right)
    if left is None or right is None:  # an optional field not reported yet
        return Missing(("a value for an optional field that is still empty",))
    if op == "of":
        return right * left if isinstance(right, Money) else left * right
    if (
        isinstance(left, datetime)
        and isinstance(right, Duration)
        and op in ("+", "-")
        and time is not None
    ):  # calendar arithmetic: business days, months, DST
        return time.add(left, right.amount if op == "+" else -right.amount, right.unit)
    if op == "+":
        return _add(left, right, 1)
    if op == "-":
        if isinstance(left, datetime) and isinstance(right, datetime):
            return Duration(Decimal((left - right).total_seconds()) / 60, "minute")
        return _add(left, right, -1)
    if op == "*":
        if isinstance(left, Money):
            return left * right
        return right * left if isinstance(right, Money) else left * right
    if op == "/":
        divisor = (
            right.amount
            if isinstance(right, Money)
            else right.amount
            if isinstance(right, Duration)
            else right
        )
        if divisor == 0:  # a rate over an empty window has no value: undetermined, not 0
            return Missing(("a non-zero divisor (nothing to divide by in this window)",))
        if isinstance(left, Money) and isinstance(right, Money):
            return left.amount / right.amount
        if isinstance(left, Money):
            return left * (1 / right)
        if isinstance(left, Duration) and isinstance(right, Duration):
            return minutes_of(left) / minutes_of(right)
        return left / right
    raise ValueError(f"unknown operator {op}")


FIXED_MINUTES = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}


def minutes_of(duration: Duration) -> Decimal:
    """A fixed-length duration in minutes; months, years and business days have no fixed
    length, so dividing by them is refused rather than guessed."""
    if duration.unit not in FIXED_MINUTES:
        raise ValueError(f"{duration} has no fixed length in minutes")
    return duration.amount * FIXED_MINUTES[duration.unit]


def _add(left: Any, right: Any, sign: int) -> Any:
    if isinstance(left, Money) and isinstance(right, Money):
        return left + right if sign > 0 else left - right
    if isinstance(left, Duration) and isinstance(right, Duration):
        if left.unit == right.unit:
            return Duration(left.amount + sign * right.amount, left.unit)
        return Duration(minutes_of(left) + sign * minutes_of(right), "minute")
    return left + sign * right


def _call(func: str, args: list[Any]) -> Any:
    if any(is_missing(a) for a in args):
        return merge_missing(*args)
    value = args[0]
    if func == "ratio":
        return args[0] / args[1] if args[1] else Missing(("a non-zero whole for ratio()",))
    if func in ("min", "max"):
        return min(args) if func == "min" else max(args)
    if func == "abs":
        return abs(value)
    roundings: dict[str, Callable[[Decimal], int]] = {
        "floor": math.floor,
        "ceil": math.ceil,
        "round": round,
    }
    rounding = roundings[func]
    if isinstance(value, Money):
        return Money(Decimal(rounding(value.amount)), value.currency)
    return Decimal(rounding(value))
