"""Claims on SLA credits: `claim within D after window end` turns each credit into a right to
claim it, and a credit whose right lapses unexercised is forfeited.

The credit event and the `power.expired` event stay as they were (the lapse is value lost, and
the report lists it); a reversal, a negative `credit` event with the instance
`forfeited:WINDOW`, takes what was still owed for the window off the ledger, so the amounts
owed and the settlement statement no longer count it. A forfeited credit is never earned back,
and a later restatement of its window is forfeited in turn.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from clausec import ir
from runtime.context import Charge
from runtime.evaluate import evaluate
from runtime.events import Event
from runtime.money import Money
from runtime.powers import PowerState
from runtime.windows import Window

if TYPE_CHECKING:
    from runtime.slas import WindowKernel

CLAIM = "claim_credit"


def grant_claim(
    kernel: WindowKernel, sla: ir.Sla, window: Window, amount: Money, cause: str, now: datetime
) -> None:
    """The creditor's right to claim a window's credit, until D after the window's end."""
    ctx = kernel.ctx
    period = evaluate(sla.claim_within, ctx.scope())
    expiry = ctx.time.add(window.end, period.amount, period.unit)
    holder = ctx.counterparty(sla.owner)
    kernel.powers.grant(
        sla.id,
        window.id,
        holder,
        CLAIM,
        now,
        expiry,
        f"{holder} may claim the {amount} credit for {window.id} until "
        f"{ctx.time.local(expiry).date()}",
        [cause],
        {"expires": ctx.time.local(expiry).isoformat(), "credit": amount},
    )


def is_forfeiture(charge: Charge) -> bool:
    """A reversal of a credit whose claim lapsed (not a charge the contract's terms made)."""
    return (charge.window or "").startswith("forfeited:")


def on_lapse(kernel: WindowKernel, power: PowerState, expired: Event, now: datetime) -> None:
    """A claim right lapsed unexercised: its credit is forfeited."""
    state = kernel.state.get(power.clause)
    if power.action != CLAIM or state is None:
        return
    state.forfeited[power.instance] = None
    if power.instance in state.unearned:
        state.unearned.remove(power.instance)
    forfeit(kernel, power.clause, power.instance, now, [power.grant[0], expired.id])


def forfeit(
    kernel: WindowKernel, sla_id: str, window: str, now: datetime, causes: list[str]
) -> None:
    """Reverse what is still owed for a window whose claim lapsed (nothing, if it was
    earned back first)."""
    ctx = kernel.ctx
    # Reversals are filed apart from the window's own charges, which a restatement replaces.
    filed = f"forfeited:{window}"
    owed = Money.zero(ctx.currency)
    for charge in ctx.charges:
        if charge.clause == sla_id and charge.kind == "credit" and charge.window in (window, filed):
            owed = owed + charge.amount
    if owed.amount == 0:
        return
    sla = next((s for s in ctx.bundle.slas if s.id == sla_id), None)
    if sla is None:  # an amendment removed the SLA: its credits stand as charged
        return
    payee = ctx.counterparty(sla.owner)
    record = Charge(sla_id, "credit", -owed, now, "", window=filed, payee=payee)
    ctx.charges.append(record)
    event = ctx.emit(
        sla_id,
        "credit",
        now,
        f"{owed} credit for {window} forfeited: the {payee} did not claim it in time",
        instance=filed,
        amount=-owed,
        parties={"owner": sla.owner, "inform": sla.inform},
        values={"credit owed": owed, "claim": "lapsed unexercised"},
        causes=causes,
    )
    record.event = event.id
