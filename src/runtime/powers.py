"""Powers: rights a clause grants (to terminate, to request renegotiation, to claim a credit),
each with its time limit. A power is open until it is exercised or lapses; exercising it is
the embedding service's call (`Engine.exercise`), and lapsing is an event of its own, because
a right that lapsed unexercised is value lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime.agenda import Item
from runtime.context import Context
from runtime.events import Event


@dataclass
class PowerState:
    key: str  # "<clause>/<instance>": "uptime/2026-03", "deliver_servers/deliver_servers:terminate"
    clause: str
    instance: str
    holder: str
    action: str
    granted: Event
    expiry: Item | None
    state: str = "open"  # open | exercised | expired


class Powers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.open: dict[str, PowerState] = {}

    def grant(
        self,
        clause: str,
        instance: str,
        holder: str,
        action: str,
        now: datetime,
        expiry: datetime | None,
        summary: str,
        causes: list[str],
        values: dict[str, Any],
    ) -> Event:
        event = self.ctx.emit(
            clause,
            "power.granted",
            now,
            summary,
            instance=instance,
            parties={"holder": holder},
            causes=causes,
            values={**values, "exercise as": f"{clause}/{instance}"},
        )
        state = PowerState(f"{clause}/{instance}", clause, instance, holder, action, event, None)
        self.open[state.key] = state
        if expiry is not None:
            state.expiry = self.ctx.agenda.schedule(
                expiry, lambda at: self._lapse(state, at), f"power expiry {clause}"
            )
        return event

    def _lapse(self, state: PowerState, now: datetime) -> None:
        if state.state != "open":
            return
        state.state = "expired"
        what = "claim the credit" if state.action == "claim_credit" else state.action
        self.ctx.emit(
            state.clause,
            "power.expired",
            now,
            f"{state.holder}'s right to {what} for {state.instance} lapsed unexercised: value lost",
            instance=state.instance,
            causes=[state.granted.id],
        )

    def exercise(self, key: str, now: datetime, note: str) -> PowerState:
        state = self.open.get(key)
        if state is None:
            known = ", ".join(sorted(k for k, s in self.open.items() if s.state == "open"))
            raise KeyError(f"no power '{key}'; open powers: {known or 'none'}")
        if state.state != "open":
            raise ValueError(f"the power '{key}' was already {state.state}")
        state.state = "exercised"
        if state.expiry is not None:
            state.expiry.cancelled = True
        self.ctx.emit(
            state.clause,
            "power.exercised",
            now,
            f"{state.holder} exercised the right to {state.action}" + (f": {note}" if note else ""),
            instance=state.instance,
            parties={"holder": state.holder},
            causes=[state.granted.id],
        )
        return state
