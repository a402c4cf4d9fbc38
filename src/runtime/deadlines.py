"""Deadlines: when an obligation instance's duty falls due.

`by X` is a moment (a date means the end of that day); `within D` is D after the instance's
anchor: its start (or the anchor it was created with), the contract's end (the day it actually
ended, after an early termination), its period's end, or a date-time field of its record.
Durations are added in the contract's calendar (business days skip its holidays).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from clausec import ir
from runtime.context import Context
from runtime.evaluate import Duration, evaluate, is_missing

if TYPE_CHECKING:
    from runtime.obligations import Instance


def deadline_of(ctx: Context, inst: Instance) -> datetime | None:
    """When an instance's duty falls due: `by` a moment (a date means the end of that day),
    or `within` a duration of its anchor, in the contract's calendar; None when it has no
    deadline or its value cannot be known yet."""
    deadline = inst.spec.duty.deadline
    if deadline is None:
        return None
    scope = ctx.scope(fields=inst.record or {})
    if inst.record is not None and inst.spec.recurrence:
        scope.records[inst.spec.recurrence.get("fact") or ""] = inst.record
    value = evaluate(deadline.expr, scope)
    if deadline.kind == "by":
        return _moment(ctx, value)
    if not isinstance(value, Duration) or is_missing(value):
        return None
    base = _anchor(ctx, inst, deadline.anchor)
    return ctx.time.add(base, value.amount, value.unit) if base else None


def _moment(ctx: Context, value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):  # `by DATE` means by the end of that day
        return ctx.time.midnight(value + timedelta(days=1))
    return None


def _anchor(ctx: Context, inst: Instance, anchor: ir.Anchor | None) -> datetime | None:
    if anchor is None or anchor.kind == "start":
        return inst.anchor or inst.start
    if anchor.kind == "end":  # the day it actually ended, after an early termination
        return ctx.ended_at or ctx.time.end
    if anchor.kind == "window_end":
        return inst.window_end or inst.start
    if anchor.kind == "field" and inst.record and anchor.field:
        value = inst.record.get(anchor.field)
        if isinstance(value, date) and not isinstance(value, datetime):
            return _moment(ctx, value)  # `30 days after` a date counts from the day after it
        return value if isinstance(value, datetime) else None
    return inst.anchor or inst.start
