"""Earning credits back: `earn back after N compliant windows` returns a window's credit when
the N windows right after it all meet the target.

The credit stays on record; a negative `credit` event with the instance `earn-back:WINDOW`,
and a charge against it, give the amount back, so the amounts owed and the settlement
statement count it no more. A new breach leaves only its own credit eligible: the run of
compliant windows starts again, and an older credit is no longer earned back.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from clausec import ir
from runtime.amounts import Trace
from runtime.context import Charge
from runtime.money import Money
from runtime.windows import Window

if TYPE_CHECKING:
    from runtime.slas import WindowKernel


def earn_back(
    kernel: WindowKernel, sla: ir.Sla, window: Window, verdict: str, now: datetime
) -> None:
    """A credit is earned back when the N windows right after it all meet the target; a
    new breach leaves only its own credit eligible."""
    state = kernel.state[sla.id]
    if sla.earn_back_after is None:
        return
    if verdict == "breached":
        credited_now = state.assessments[window.id].credit is not None
        state.unearned = [window.id] if credited_now else []
    state.compliant_run = state.compliant_run + 1 if verdict == "met" else 0
    if state.compliant_run < sla.earn_back_after or not state.unearned:
        return
    credited = state.unearned.pop()
    amount = state.assessments[credited].credit or Money.zero(kernel.ctx.currency)
    state.compliant_run = 0
    trace = Trace()
    trace.add("earn back", credited_window=credited, compliant_windows=sla.earn_back_after)
    kernel.ctx.charges.append(
        Charge(
            sla.id,
            "credit",
            -amount,
            now,
            "",
            window=credited,
            payee=kernel.ctx.counterparty(sla.owner),
        )
    )
    kernel.ctx.emit(
        sla.id,
        "credit",
        now,
        f"{amount} credit for {credited} earned back after "
        f"{sla.earn_back_after} compliant windows",
        instance=f"earn-back:{credited}",
        amount=-amount,
        steps=trace.steps,
    )
