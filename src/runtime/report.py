"""The state of a contract at the clock, for the people who manage it: money owed each way,
rights that can still be exercised (and those that lapsed), and open obligations with owners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from runtime.calendar import ContractTime
from runtime.claims import is_forfeiture
from runtime.engine import Engine
from runtime.events import Event
from runtime.money import Money
from runtime.powers import CONTRACT_ENDED, WITHDRAWN


@dataclass
class Right:
    clause: str
    holder: str
    what: str
    expires: str
    lapsed: bool  # lapsed unexercised: value lost
    ended: bool = False  # expired with the contract (a right to terminate it): nothing lost
    exercised: str = ""  # the date it was exercised (in the contract's zone), if it was
    name: str = ""  # what to exercise it as (`clausec exercise`, `Engine.exercise`)

    @property
    def open(self) -> bool:
        """It can still be exercised."""
        return not (self.lapsed or self.ended or self.exercised)


@dataclass
class OpenDuty:
    obligation: str
    debtor: str
    owner: str
    state: str
    deadline: str


@dataclass
class Report:
    clock: datetime
    currency: str
    money: dict[str, Money] = field(default_factory=dict)
    owed: dict[str, Money] = field(default_factory=dict)  # by the party it is owed to
    by_clause: list[tuple[str, str, Money]] = field(default_factory=list)
    rights: list[Right] = field(default_factory=list)
    duties: list[OpenDuty] = field(default_factory=list)
    alerts: list[Event] = field(default_factory=list)
    forfeited: dict[str, Money] = field(default_factory=dict)  # by the party that lost it


def build_report(engine: Engine) -> Report:
    ctx = engine.ctx
    report = Report(ctx.clock, ctx.currency)
    zero = Money.zero(ctx.currency)
    for kind in ("credit", "penalty", "damages", "interest", "incentive", "bonus", "rebate"):
        report.money[kind] = zero
    totals: dict[tuple[str, str], Money] = {}
    for charge in ctx.charges:
        report.money[charge.kind] = report.money.get(charge.kind, zero) + charge.amount
        payee = charge.payee or "unassigned"
        report.owed[payee] = report.owed.get(payee, zero) + charge.amount
        key = (charge.clause, charge.kind)
        totals[key] = totals.get(key, zero) + charge.amount
        if is_forfeiture(charge):  # a credit whose claim lapsed: money left on the table
            report.forfeited[payee] = report.forfeited.get(payee, zero) - charge.amount
    report.by_clause = [(c, k, v) for (c, k), v in sorted(totals.items())]
    report.rights = _rights(engine.events(), ctx.time)
    for inst in engine.obligations():
        if inst.state in ("in_effect", "suspended") or (
            inst.state == "violated" and inst.performed is None
        ):
            deadline = (
                ctx.time.local(inst.deadline).strftime("%Y-%m-%d %H:%M")
                if inst.deadline
                else "ongoing"
            )
            report.duties.append(
                OpenDuty(
                    inst.id, inst.spec.duty.debtor, inst.spec.owner or "-", inst.state, deadline
                )
            )
    report.alerts = [
        e for e in engine.events() if e.kind in ("trigger", "escalation", "obligation.violated")
    ]
    return report


def _rights(events: list[Event], time: ContractTime) -> list[Right]:
    granted: dict[tuple[str, str | None], Event] = {}
    lapsed: set[tuple[str, str | None]] = set()
    ended: set[tuple[str, str | None]] = set()
    exercised: dict[tuple[str, str | None], str] = {}
    for event in events:
        key = (event.clause, event.instance)
        if event.kind == "power.granted":
            granted[key] = event
        elif event.kind == "power.exercised":
            moment = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
            exercised[key] = time.local(moment).date().isoformat()
        elif event.kind == "power.expired":
            reason = event.explanation.values.get("reason")
            (ended if reason == CONTRACT_ENDED else lapsed).add(key)
        elif event.kind == "restatement" and event.verdict == WITHDRAWN:
            granted.pop(key, None)  # disproved by later evidence: no right at all
    rights = []
    for key, event in granted.items():
        holder = str(event.parties.get("holder", "customer"))
        rights.append(
            Right(
                event.clause,
                holder,
                event.explanation.summary,
                event.explanation.values.get("expires", "never")[:10],
                key in lapsed,
                key in ended,
                exercised.get(key, ""),
                str(event.explanation.values.get("exercise as", "")),
            )
        )
    return sorted(rights, key=lambda r: (r.lapsed, r.expires))
