"""Restatement: a fact that arrives for a window already assessed re-assesses it.

The first assessment is never edited: a `restatement` event gives the new verdict and the
difference in money, and the ledger's charge for the window is replaced by the new one, capped
as if it had been charged in the first place.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from clausec import ir
from runtime.amounts import Trace
from runtime.claims import forfeit
from runtime.context import Charge
from runtime.evaluate import Scope, evaluate, is_missing
from runtime.facts import Fact
from runtime.metrics import Reading, earliest, overlaps
from runtime.money import Money
from runtime.windows import Window

if TYPE_CHECKING:
    from runtime.slas import Assessment, WindowKernel


def late_fact(kernel: WindowKernel, fact: Fact, now: datetime) -> None:
    """Re-assess every assessed window `fact` falls in, and restate what changed: at once, or,
    within a batch, once per window when the batch's facts are all in (`flush`), so that a
    restatement never shows a state that only part of an atomic batch gives."""
    for metric in kernel._by_fact[1].get(fact.type, ()):
        closed = kernel.closed.get(metric.id)
        if not closed or earliest(fact) >= closed[-1].end:
            continue  # after every window assessed so far: it restates none
        for window in closed:
            if not overlaps(fact, window.start, window.end):
                continue
            if kernel.batch is None:
                restate_window(kernel, metric, window, [fact], now)
                continue
            # The reading is current at once (plans read it); the SLAs wait for the batch.
            kernel.readings[(metric.id, window.id)] = kernel.read(metric, window)
            kernel.batch.setdefault((metric.id, window.id), (metric, window, []))[2].append(fact)


def flush(kernel: WindowKernel, now: datetime) -> None:
    """Restate each window the late facts of the batch so far fall in, once."""
    if not kernel.batch:
        return
    pending, kernel.batch = kernel.batch, {}
    for metric, window, facts in pending.values():
        kernel.ctx.guard(
            f"restate {metric.id} {window.id}", restate_window, kernel, metric, window, facts, now
        )


def restate_window(
    kernel: WindowKernel, metric: ir.Metric, window: Window, facts: list[Fact], now: datetime
) -> None:
    """Re-assess `window` after the late `facts` (those of one batch that fall in it)."""
    from runtime.slas import sla_metric

    reading = kernel.read(metric, window)
    kernel.readings[(metric.id, window.id)] = reading
    for sla in kernel.ctx.bundle.slas:
        old = kernel.state[sla.id].assessments.get(window.id)
        if sla_metric(sla) != metric.id or old is None:
            continue
        verdict, _ = kernel._verdict(sla, window)
        trace = Trace()
        value = kernel._credit_value(sla, window, trace) if verdict == "breached" else None
        if verdict == old.verdict and value == old.credit:
            continue
        new_amount = _recharge(kernel, sla, old.window, value, trace)
        if verdict == old.verdict and new_amount == (old.credit or Money.zero(new_amount.currency)):
            continue  # the caps absorb the change: nothing to restate
        _emit(kernel, sla, old, verdict, reading, new_amount, trace, facts, now)
        if old.window.id in kernel.state[sla.id].forfeited:  # its claim lapsed: so does this
            forfeit(kernel, sla.id, old.window.id, now, [old.event])
    _restate_incentives(kernel, metric, window, facts, now)


def _restate_incentives(
    kernel: WindowKernel, metric: ir.Metric, window: Window, facts: list[Fact], now: datetime
) -> None:
    """An incentive over the window (a rebate on the year's spend) is restated like a credit:
    its charge is replaced, under its caps as if charged in the first place, and a
    `restatement` gives the difference. An incentive has no verdict to restate."""
    from runtime.triggers import _reads

    ctx = kernel.ctx
    scope = ctx.scope(metrics=kernel.metric_values(window.id), window=(window.start, window.end))
    for incentive in ctx.bundle.incentives:
        condition = incentive.condition
        if condition.kind != "metric" or not _reads(condition.expr, metric.id):
            continue
        old = [c for c in ctx.charges if c.clause == incentive.id and c.window == window.id]
        before = sum((c.amount for c in old), Money.zero(ctx.currency))
        saved, trace = list(ctx.charges), Trace()
        ctx.charges[:] = [c for c in ctx.charges if all(c is not o for o in old)]
        after, record = _recharge_incentive(kernel, incentive, window, scope, trace, old, now)
        if after == before:
            ctx.charges[:] = saved  # nothing changed, not even the ledger's order
            continue
        event = ctx.emit(
            incentive.id,
            "restatement",
            now,
            f"{incentive.id} for {window.id} restated after {_late(facts)}: "
            f"{before} -> {after} (change {after - before})",
            instance=window.id,
            amount=after - before,
            facts=[f.id for f in facts],
            steps=trace.steps,
            causes=[c.event for c in old if c.event],
            parties={"owner": incentive.owner},
        )
        if record is not None:
            record.event = event.id


def _recharge_incentive(
    kernel: WindowKernel,
    incentive: ir.Incentive,
    window: Window,
    scope: Scope,
    trace: Trace,
    old: list[Charge],
    now: datetime,
) -> tuple[Money, Charge | None]:
    """The incentive's new charge for the window (nothing if its condition no longer holds),
    in the period it was first charged in."""
    from runtime.triggers import incentive_total

    ctx = kernel.ctx
    verdict = evaluate(incentive.condition.expr, scope)
    if is_missing(verdict) or not verdict:
        return Money.zero(ctx.currency), None
    total = incentive_total(incentive, scope, trace, ctx.currency)
    if total.amount <= 0:
        return Money.zero(ctx.currency), None
    kind = incentive.amounts[0].kind if incentive.amounts else "bonus"
    return ctx.charge(
        incentive.id,
        kind,
        total,
        incentive.limits,
        scope,
        old[0].time if old else now,
        trace,
        window=window.id,
        payee=incentive.owner or "",
    )


def _recharge(
    kernel: WindowKernel, sla: ir.Sla, window: Window, value: Money | None, trace: Trace
) -> Money:
    """Replace the window's charge in the ledger; the new amount goes under the caps as if it
    had been charged in the first place."""
    ctx = kernel.ctx
    ctx.charges[:] = [
        c
        for c in ctx.charges
        if not (
            c.clause == sla.id
            and c.kind == "credit"
            and c.window == window.id
            and c.amount.amount > 0
        )
    ]
    if value is None:
        return Money.zero(ctx.currency)
    charged, _ = kernel.charge_credit(sla, window, value, trace)
    return charged


def _emit(
    kernel: WindowKernel,
    sla: ir.Sla,
    old: Assessment,
    verdict: str,
    reading: Reading,
    new_amount: Money,
    trace: Trace,
    facts: list[Fact],
    now: datetime,
) -> None:
    from runtime.slas import Assessment

    zero = Money.zero(kernel.ctx.currency)
    delta = new_amount - (old.credit or zero)
    kernel.ctx.emit(
        sla.id,
        "restatement",
        now,
        f"{sla.id} for {old.window.id} restated after {_late(facts)}: {old.verdict} -> "
        f"{verdict}, credit {old.credit or zero} -> {new_amount} (change {delta})",
        instance=old.window.id,
        amount=delta,
        verdict=verdict,
        facts=[f.id for f in facts],
        values={"metric": kernel._shown(sla, reading), "previous": old.event},
        steps=trace.steps,
        causes=[old.event],
    )
    kernel.state[sla.id].assessments[old.window.id] = Assessment(
        sla, old.window, verdict, reading, new_amount if new_amount.amount else None, old.event
    )


def _late(facts: list[Fact]) -> str:
    ids = ", ".join(f.id for f in facts)
    return f"late fact {ids}" if len(facts) == 1 else f"late facts {ids}"
