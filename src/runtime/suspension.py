"""Force majeure and other suspensions of an obligation.

A suspending fact is an interval (`start`, `end`). It suspends every open instance of the
obligation whose deadline falls after the interval's start. With `extending deadline` the
deadline moves by the time the suspension overlapped the obligation's life; with `keeping
deadline` it stays. Such reports often arrive late: if the obligation was already violated and
the extended deadline has not passed, the violation is withdrawn by a restatement.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from clausec import ir
from runtime.agenda import Call
from runtime.facts import Fact

if TYPE_CHECKING:
    from runtime.obligations import Instance, ObligationKernel


def suspend(
    kernel: ObligationKernel, spec: ir.Obligation, fact: Fact, rule: dict[str, Any], now: datetime
) -> None:
    begin, end = fact.fields.get("start"), fact.fields.get("end")
    if not isinstance(begin, datetime) or not isinstance(end, datetime):
        return
    for inst in kernel.live_instances(spec.id):
        if inst.deadline is None or inst.performed is not None:
            continue
        if inst.state not in ("in_effect", "violated") or begin >= inst.deadline:
            continue
        if not kernel.residual_holds(
            f"{spec.id}#suspend{spec.suspensions.index(rule)}", fact, inst
        ):
            continue
        _apply(kernel, inst, fact, begin, end, rule.get("mode") == "extending_deadline", now)


def _apply(
    kernel: ObligationKernel,
    inst: Instance,
    fact: Fact,
    begin: datetime,
    end: datetime,
    extend: bool,
    now: datetime,
) -> None:
    ctx = kernel.ctx
    assert inst.deadline is not None
    cause = str(fact.fields.get("cause", fact.type))
    ctx.emit(
        inst.spec.id,
        "obligation.suspended",
        now,
        f"suspended from {ctx.time.local(begin):%Y-%m-%d %H:%M} by {fact.type} ({cause})",
        instance=inst.id,
        facts=[fact.id],
        parties=inst.parties,
    )
    old = inst.deadline
    if extend:
        # Extensions are kept per report, so a corrected report of the same event (same
        # key) replaces its first extension instead of adding to it.
        base = inst.base_deadline or old
        overlap = min(end, base) - max(begin, inst.start or begin)
        inst.extensions[f"{fact.type}:{fact.key or fact.id}"] = max(overlap, timedelta(0))
        inst.deadline = base + sum(inst.extensions.values(), timedelta(0))
    ctx.emit(
        inst.spec.id,
        "obligation.resumed",
        now,
        f"resumed at "
        f"{ctx.time.local(end):%Y-%m-%d %H:%M}; deadline "
        + (f"extended to {ctx.time.local(inst.deadline):%Y-%m-%d %H:%M}" if extend else "kept"),
        instance=inst.id,
        facts=[fact.id],
        parties=inst.parties,
        values={"old deadline": old.isoformat(), "new deadline": inst.deadline.isoformat()},
    )
    if inst.deadline == old:
        return
    if inst.item:
        inst.item.cancelled = True
    if inst.state == "violated" and inst.deadline > ctx.clock:
        _withdraw(kernel, inst, fact, now)
    if inst.state == "in_effect":
        inst.item = ctx.agenda.schedule(
            inst.deadline, Call(type(kernel).expire, kernel, inst), f"deadline {inst.id}"
        )


def _withdraw(kernel: ObligationKernel, inst: Instance, fact: Fact, now: datetime) -> None:
    for item in inst.pending:
        item.cancelled = True
    inst.pending = ()
    previous = inst.violated_id
    inst.state, inst.violation = "in_effect", None
    kernel.ctx.emit(
        inst.spec.id,
        "restatement",
        now,
        f"violation withdrawn: {fact.type} {fact.id} extends the deadline past it",
        instance=inst.id,
        facts=[fact.id],
        causes=[previous] if previous else [],
        verdict="in_effect",
    )
