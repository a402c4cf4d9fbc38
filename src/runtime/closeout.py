"""Close-out at the contract's end: what does not survive is terminated, lateness still owed
is charged, the close-out duties begin, and a settlement statement sums every credit,
penalty and incentive per clause, reconciled against the aggregate caps as charged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from runtime.agenda import Call
from runtime.claims import is_forfeiture
from runtime.derived import closeout_duties
from runtime.evaluate import evaluate
from runtime.events import money_kind
from runtime.money import Money
from runtime.obligations import OPEN, Instance, ObligationKernel
from runtime.reparation import settle_lateness


def close_out(kernel: ObligationKernel, now: datetime) -> None:
    ctx = kernel.ctx
    # First, so a duty that `starts when` such a right expires is terminated with the rest.
    kernel.powers.end_of_contract(now)
    for inst in list(kernel.instances.values()):
        if inst.state == "violated" and inst.performed is None:
            for item in inst.pending:
                item.cancelled = True
            settle_lateness(kernel, inst, now, now, [])
            inst.settled = True
        elif inst.state in OPEN and inst.spec.survives:
            _reanchor(kernel, inst, now)
            _schedule_survival_end(kernel, inst, now)
        elif inst.state in OPEN:
            _end(kernel, inst, now, "the contract ended; this obligation does not survive it")
    if ctx.bundle.closeout is not None:
        for spec in closeout_duties(ctx.bundle.closeout):
            kernel.create(kernel.specs[spec.id], now, spec.id, anchor=now)


def _reanchor(kernel: ObligationKernel, inst: Instance, now: datetime) -> None:
    """A surviving duty due `within D after end` counts from the day the contract ended: after
    an early termination its deadline moves forward, with a notice saying so."""
    deadline = inst.spec.duty.deadline
    anchor = deadline.anchor if deadline is not None else None
    if anchor is None or anchor.kind != "end" or inst.state != "in_effect":
        return
    moved = kernel.deadline(inst)
    if moved is None or moved == inst.deadline:
        return
    if inst.item:
        inst.item.cancelled = True
    old, inst.deadline, inst.base_deadline = inst.deadline, moved, moved
    inst.item = kernel.ctx.agenda.schedule(
        moved, Call(ObligationKernel.expire, kernel, inst), f"deadline {inst.id}"
    )
    local = kernel.ctx.time.local
    kernel._emit(
        inst,
        "notice",
        now,
        f"the contract ended on {local(now):%Y-%m-%d %H:%M %Z}: the deadline counted from the "
        f"end moves to {local(moved):%Y-%m-%d %H:%M %Z}",
        values={"old deadline": old.isoformat() if old else "none", "deadline": moved.isoformat()},
    )


def _end(kernel: ObligationKernel, inst: Instance, now: datetime, why: str) -> None:
    """A prohibition kept to its end is fulfilled; anything else still open is terminated."""
    if inst.item:
        inst.item.cancelled = True
    if inst.spec.duty.modality == "must_not" and inst.state == "in_effect":
        inst.state = "fulfilled"
        kernel._emit(inst, "obligation.fulfilled", now, f"the prohibition was kept: {why}")
        return
    inst.state = "terminated"
    kernel._emit(inst, "obligation.terminated", now, why)


def _schedule_survival_end(kernel: ObligationKernel, inst: Instance, now: datetime) -> None:
    if inst.spec.survives_for is None:
        return  # survives without limit
    period = evaluate(inst.spec.survives_for, kernel.ctx.scope())
    until = kernel.ctx.time.add(now, period.amount, period.unit)

    def finish(at: datetime) -> None:
        if inst.state in OPEN:
            _end(kernel, inst, at, f"its survival of {period} after the contract ended is over")

    kernel.ctx.agenda.schedule(until, finish, f"survival end {inst.id}")


def settlement_time(kernel: ObligationKernel, end: datetime) -> datetime:
    """The statement waits for the last windows: the contract's end plus the longest grace."""
    ctx = kernel.ctx
    latest = end
    for metric in ctx.bundle.metrics:
        if metric.grace is not None:
            grace = evaluate(metric.grace, ctx.scope())
            latest = max(latest, ctx.time.add(end, grace.amount, grace.unit))
    return latest


def settle(kernel: ObligationKernel, now: datetime) -> None:
    _statement(kernel, now)


def _statement(kernel: ObligationKernel, now: datetime) -> None:
    """Totals by kind and by clause, and the net between the parties from the customer's
    (the first party's) side: what is owed to it minus what it owes."""
    ctx = kernel.ctx
    zero = Money.zero(ctx.currency)
    totals: dict[str, Money] = defaultdict(lambda: zero)
    by_clause: dict[str, Money] = defaultdict(lambda: zero)
    net = zero
    for charge in ctx.charges:
        group = money_kind(charge.kind)
        totals[group] = totals[group] + charge.amount
        if is_forfeiture(charge):
            totals["forfeited"] = totals["forfeited"] + charge.amount
        by_clause[f"{charge.clause} ({charge.kind})"] += charge.amount
        to_customer = charge.payee == ctx.customer
        net = net + charge.amount if to_customer else net - charge.amount
    plural = {"penalty": "penalties", "credit": "credits", "incentive": "incentives"}
    lines = {f"total {plural[k]}": totals[k] for k in ("credit", "penalty", "incentive")}
    forfeited = ""
    if totals["forfeited"].amount:
        lines["credits forfeited (claims lapsed)"] = totals["forfeited"]
        forfeited = f" (after {-totals['forfeited']} forfeited: claims lapsed)"
    lines.update({k: v for k, v in sorted(by_clause.items())})
    lines[f"net owed to {ctx.customer}"] = net
    ctx.emit(
        "closeout",
        "closeout",
        now,
        f"settlement: credits {totals['credit']}{forfeited}, penalties {totals['penalty']}, "
        f"incentives {totals['incentive']}; net {net} owed to {ctx.customer}",
        amount=net,
        values=lines,
    )
