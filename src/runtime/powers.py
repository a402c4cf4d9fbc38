"""Powers: rights a clause grants (to terminate, to request renegotiation, to claim a credit),
each with its time limit. A power is open until it is exercised or lapses; exercising it is
the embedding service's call (`Engine.exercise`), and lapsing is an event of its own, because
a right that lapsed unexercised is value lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime.agenda import Call, Item
from runtime.context import Context
from runtime.events import Event, Row, from_row, to_row

# The rights that concern the contract's own future: they cannot outlive it.
ENDING_ACTIONS = frozenset(
    {
        "terminate",
        "renegotiate",
        "request_renegotiation",
        "extend",
        "request_extension",
        "renew",
        "suspend_service",
        "request_price_adjustment",
    }
)
CONTRACT_ENDED = "contract ended"
WITHDRAWN = "withdrawn"


def ends_with_contract(action: str) -> bool:
    return action in ENDING_ACTIONS or action.startswith("terminate")


@dataclass(slots=True)
class PowerState:
    key: str  # "<clause>/<instance>": "uptime/2026-03", "deliver_servers/deliver_servers:terminate"
    clause: str
    instance: str
    holder: str
    action: str
    grant: Row  # the grant event, at rest: read it as `granted`
    expiry: Item | None
    state: str = "open"  # open | exercised | expired | withdrawn
    notice: Any = None  # the Duration of notice its exercise takes effect after, if any

    @property
    def granted(self) -> Event:
        return from_row(self.grant)


class Powers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.open: dict[str, PowerState] = {}
        # Told of each right that lapsed unexercised (a lapsed claim forfeits its credit).
        self.on_lapse: list[Callable[[PowerState, Event, datetime], None]] = []

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
        notice: Any = None,
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
        state = PowerState(
            f"{clause}/{instance}", clause, instance, holder, action, to_row(event), None
        )
        state.notice = notice
        self.open[state.key] = state
        if expiry is not None:
            state.expiry = self.ctx.agenda.schedule(
                expiry, Call(Powers._lapse, self, state), f"power expiry {clause}"
            )
        return event

    def _lapse(self, state: PowerState, now: datetime) -> None:
        if state.state != "open":
            return
        state.state = "expired"
        what = "claim the credit" if state.action == "claim_credit" else state.action
        event = self.ctx.emit(
            state.clause,
            "power.expired",
            now,
            f"{state.holder}'s right to {what} for {state.instance} lapsed unexercised: value lost",
            instance=state.instance,
            causes=[state.grant[0]],
        )
        for listener in self.on_lapse:
            listener(state, event, now)

    def end_of_contract(self, now: datetime) -> None:
        """The contract ends: an open right that only makes sense while it runs (to
        terminate it, to renegotiate or extend it) expires with it, saying why; it is not
        value lost. Other rights (to claim a credit or damages) run to their own limit."""
        for state in list(self.open.values()):
            if state.state != "open" or not ends_with_contract(state.action):
                continue
            state.state = "expired"
            if state.expiry is not None:
                state.expiry.cancelled = True
            self.ctx.emit(
                state.clause,
                "power.expired",
                now,
                f"{state.holder}'s right to {state.action} for {state.instance} ended with "
                f"the contract on {self.ctx.time.local(now).date()}: it can no longer be "
                "exercised",
                instance=state.instance,
                causes=[state.grant[0]],
                values={"reason": CONTRACT_ENDED},
            )

    def withdraw(self, key: str, now: datetime, why: str, facts: list[str]) -> None:
        """A right granted on a ground that later evidence disproves does not stand: it is
        withdrawn by a restatement, neither exercisable nor lapsing as value lost."""
        state = self.open.get(key)
        if state is None or state.state != "open":
            return
        state.state = "withdrawn"
        if state.expiry is not None:
            state.expiry.cancelled = True
        self.ctx.emit(
            state.clause,
            "restatement",
            now,
            f"{state.holder}'s right to {state.action} withdrawn: {why}",
            instance=state.instance,
            verdict=WITHDRAWN,
            facts=facts,
            causes=[state.grant[0]],
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
            causes=[state.grant[0]],
        )
        return state
