"""Measurement windows: which windows a metric has over the contract period, and their names.

Calendar windows are cut in the contract's time zone and clipped to the contract period, so a
contract that starts on the 15th has a half first month. Rolling windows end at each day's end
(a rolling N days) or each month's end (a rolling N months). Per-instance windows are not
enumerated here: each instance is its own window, opened by its fact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import astuple, dataclass
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from clausec import ir
from runtime.calendar import ContractTime, add_months
from runtime.evaluate import Duration, literal


@dataclass(frozen=True, slots=True)
class Window:
    id: str
    start: datetime
    end: datetime


by_end = attrgetter("end")  # windows in the order they end (and close in)


def window_name(start: datetime, period: str, time: ContractTime) -> str:
    local = time.local(start)
    if period == "month":
        return f"{local:%Y-%m}"
    if period == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    if period == "year":
        return f"{local.year}"
    if period == "week":
        iso = local.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"{local.date()}"


def windows(window: ir.Window, time: ContractTime) -> Iterator[Window]:
    if window.kind == "calendar" and window.period:
        yield from _calendar(window.period, time)
    elif window.kind == "contract_year":
        yield from _contract_years(time)
    elif window.kind == "billing":
        yield from _billing(window.start_day or 1, time)
    elif window.kind == "rolling" and window.duration is not None:
        yield from _rolling(literal(window.duration, time), time)


def _calendar(period: str, time: ContractTime) -> Iterator[Window]:
    start = time.period_start(time.start, period)
    while start < time.end:
        end = time.period_end(start, period)
        yield Window(window_name(start, period, time), max(start, time.start), min(end, time.end))
        start = end


def _contract_years(time: ContractTime) -> Iterator[Window]:
    start, number = time.start, 1
    while start < time.end:
        end = time.add(start, Decimal(1), "year")
        yield Window(f"contract-year-{number}", start, min(end, time.end))
        start, number = end, number + 1


def _billing(day: int, time: ContractTime) -> Iterator[Window]:
    local = time.local(time.start).replace(tzinfo=None)
    first = local.replace(day=min(day, 28))
    if first > local:
        first = add_months(first, -1)
    start = time.midnight(first.date())
    while start < time.end:
        end = time.add(start, Decimal(1), "month")
        yield Window(
            f"cycle-{time.local(start).date()}", max(start, time.start), min(end, time.end)
        )
        start = end


def _rolling(length: Duration, time: ContractTime) -> Iterator[Window]:
    step = "month" if length.unit in ("month", "year") else "day"
    end = time.period_end(time.period_start(time.start, step), step)
    while end <= time.end:
        start = max(time.start, time.add(end, -length.amount, length.unit))
        yield Window(f"rolling-to-{time.local(end).date()}", start, end)
        end = time.period_end(end, step)


# The windows of each measurement and contract period in use: every contract of a portfolio
# on the same terms is measured over the same (immutable) windows.
_CUTS: dict[tuple[str, ContractTime], tuple[Window, ...]] = {}


def cut(window: ir.Window, time: ContractTime) -> tuple[Window, ...]:
    """`windows(window, time)`, shared by every engine measuring over the same windows (the
    key copies the contract period's fields, not the caches a ContractTime fills in use)."""
    key = (window.model_dump_json(), ContractTime(*astuple(time)))
    found = _CUTS.get(key)
    if found is None:
        if len(_CUTS) >= 1024:
            _CUTS.clear()
        found = _CUTS[key] = tuple(windows(window, time))
    return found


def closes(time: ContractTime, grace: Any, window: Window) -> datetime:
    """When a window is assessed: at its end, after the metric's grace if it has one."""
    return time.add(window.end, grace.amount, grace.unit) if grace else window.end
