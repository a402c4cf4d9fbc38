"""Intervals over Decimal values, for the tier-table and band checks.

A tier row `availability < 99%` is the interval (-inf, 99); `95% <= availability < 99%` is
[95, 99). Sets of intervals are kept as sorted, disjoint lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

INF = Decimal("Infinity")


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    low: Decimal
    high: Decimal
    low_closed: bool = True
    high_closed: bool = False

    @property
    def empty(self) -> bool:
        if self.low > self.high:
            return True
        return self.low == self.high and not (self.low_closed and self.high_closed)

    def intersect(self, other: Interval) -> Interval:
        low, low_closed = _max_low(self, other)
        high, high_closed = _min_high(self, other)
        return Interval(low, high, low_closed, high_closed)

    def describe(self, unit: str = "") -> str:
        """In words where a side is open-ended ("below 95%"), else as [95%, 99%)."""
        low = f"{self.low.normalize():f}{unit}"
        high = f"{self.high.normalize():f}{unit}"
        if self.low == -INF and self.high == INF:
            return "every value"
        if self.low == -INF:
            return f"{'at or below' if self.high_closed else 'below'} {high}"
        if self.high == INF:
            return f"{low} or above" if self.low_closed else f"above {low}"
        if self.low == self.high:
            return f"exactly {low}"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"in {left}{low}, {high}{right}"


def _max_low(a: Interval, b: Interval) -> tuple[Decimal, bool]:
    if a.low != b.low:
        return (a.low, a.low_closed) if a.low > b.low else (b.low, b.low_closed)
    return a.low, a.low_closed and b.low_closed


def _min_high(a: Interval, b: Interval) -> tuple[Decimal, bool]:
    if a.high != b.high:
        return (a.high, a.high_closed) if a.high < b.high else (b.high, b.high_closed)
    return a.high, a.high_closed and b.high_closed


ALL = Interval(-INF, INF, False, False)


def from_comparison(op: str, value: Decimal, subject_left: bool) -> Interval:
    """The interval of `subject op value` (or `value op subject` when not subject_left)."""
    if not subject_left:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if op == "<":
        return Interval(-INF, value, False, False)
    if op == "<=":
        return Interval(-INF, value, False, True)
    if op == ">":
        return Interval(value, INF, False, False)
    if op == ">=":
        return Interval(value, INF, True, False)
    return Interval(value, value, True, True)  # ==


def subtract(base: list[Interval], remove: Interval) -> list[Interval]:
    """`base` minus `remove`, as a list of non-empty intervals."""
    out: list[Interval] = []
    for part in base:
        inter = part.intersect(remove)
        if inter.empty:
            out.append(part)
            continue
        left = Interval(part.low, inter.low, part.low_closed, not inter.low_closed)
        right = Interval(inter.high, part.high, not inter.high_closed, part.high_closed)
        out.extend(x for x in (left, right) if not x.empty)
    return out


def covered(interval: Interval, union: list[Interval]) -> bool:
    """Whether `interval` lies wholly within the union of `union`."""
    rest = [interval]
    for part in union:
        rest = [r for piece in rest for r in subtract([piece], part)]
    return not rest
