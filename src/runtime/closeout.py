"""Close-out at the contract's end: what does not survive is terminated, lateness still owed
is charged, the close-out duties begin, and a settlement statement sums every credit,
penalty and incentive per clause, reconciled against the aggregate caps as charged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from clausec import ir
from runtime.evaluate import evaluate
from runtime.money import Money
from runtime.obligations import OPEN, ObligationKernel
from runtime.reparation import settle_lateness


def close_out(kernel: ObligationKernel, now: datetime) -> None:
    ctx = kernel.ctx
    for inst in list(kernel.instances.values()):
        if inst.state == "violated" and inst.performed is None:
            for item in inst.pending:
                item.cancelled = True
            settle_lateness(kernel, inst, now, now, [])
            continue
        if inst.state not in OPEN or inst.spec.survives:
            continue
        if inst.item:
            inst.item.cancelled = True
        if inst.spec.duty.modality == "must_not" and inst.state == "in_effect":
            inst.state = "fulfilled"
            kernel._emit(inst, "obligation.fulfilled", now, "the prohibition was kept to the end")
            continue
        inst.state = "terminated"
        kernel._emit(
            inst,
            "obligation.terminated",
            now,
            "the contract ended; this obligation does not survive it",
        )
    closeout = ctx.bundle.closeout
    if closeout is not None:
        _closeout_duties(kernel, closeout, now)


def settlement_time(kernel: ObligationKernel) -> datetime:
    """The statement waits for the last windows: the contract's end plus the longest grace."""
    ctx = kernel.ctx
    latest = ctx.time.end
    for metric in ctx.bundle.metrics:
        if metric.grace is not None:
            grace = evaluate(metric.grace, ctx.scope())
            latest = max(latest, ctx.time.add(ctx.time.end, grace.amount, grace.unit))
    return latest


def settle(kernel: ObligationKernel, now: datetime) -> None:
    _statement(kernel, now)


def _closeout_duties(kernel: ObligationKernel, closeout: ir.Closeout, now: datetime) -> None:
    ctx = kernel.ctx
    span = ir.SpanIR(path="", line=0, col=0, end_line=0, end_col=0)
    duties = list(closeout.duties)
    if closeout.lessons is not None and closeout.lessons_owner:
        duties.append(
            ir.Duty(
                debtor=closeout.lessons_owner,
                modality="must",
                action="record_lessons_learned",
                deadline=closeout.lessons,
            )
        )
    for duty in duties:
        spec = ir.Obligation(
            id=f"closeout.{duty.action}",
            kind="obligation",
            ref=closeout.ref,
            span=span,
            text="",
            duty=duty,
            survives=True,
        )
        ctx.clauses.setdefault(spec.id, spec)
        kernel.register(spec)
        kernel.matcher.load([p for p in kernel.patterns if p.id.startswith(spec.id + "#")])
        kernel.create(spec, now, spec.id, anchor=now)


def _statement(kernel: ObligationKernel, now: datetime) -> None:
    ctx = kernel.ctx
    totals: dict[str, Money] = defaultdict(lambda: Money.zero(ctx.currency))
    by_clause: dict[str, Money] = defaultdict(lambda: Money.zero(ctx.currency))
    for charge in ctx.charges:
        group = (
            "incentive"
            if charge.kind == "incentive"
            else "credit"
            if charge.kind == "credit"
            else "penalty"
        )
        totals[group] = totals[group] + charge.amount
        by_clause[f"{charge.clause} ({charge.kind})"] += charge.amount
    owed_to_buyer = totals["credit"] + totals["penalty"]
    net = owed_to_buyer - totals["incentive"]
    lines = {f"total {k}s": v for k, v in sorted(totals.items())}
    lines.update({k: v for k, v in sorted(by_clause.items())})
    lines["net owed to the customer"] = net
    ctx.emit(
        "closeout",
        "closeout",
        now,
        f"settlement: credits {totals['credit']}, penalties "
        f"{totals['penalty']}, incentives {totals['incentive']}; net {net} to the customer",
        amount=net,
        values=lines,
    )
