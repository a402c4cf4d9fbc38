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
from runtime.facts import Fact
from runtime.metrics import Reading
from runtime.money import Money
from runtime.windows import Window

if TYPE_CHECKING:
    from runtime.slas import Assessment, WindowKernel


def restate_window(
    kernel: WindowKernel, metric: ir.Metric, window: Window, fact: Fact, now: datetime
) -> None:
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
        _emit(kernel, sla, old, verdict, reading, new_amount, trace, fact, now)


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
    fact: Fact,
    now: datetime,
) -> None:
    from runtime.slas import Assessment

    zero = Money.zero(kernel.ctx.currency)
    delta = new_amount - (old.credit or zero)
    kernel.ctx.emit(
        sla.id,
        "restatement",
        now,
        f"{sla.id} for {old.window.id} restated after late fact {fact.id}: {old.verdict} -> "
        f"{verdict}, credit {old.credit or zero} -> {new_amount} (change {delta})",
        instance=old.window.id,
        amount=delta,
        verdict=verdict,
        facts=[fact.id],
        values={"metric": kernel._shown(sla, reading), "previous": old.event},
        steps=trace.steps,
        causes=[old.event],
    )
    kernel.state[sla.id].assessments[old.window.id] = Assessment(
        sla, old.window, verdict, reading, new_amount if new_amount.amount else None, old.event
    )
