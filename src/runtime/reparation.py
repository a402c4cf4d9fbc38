"""What follows a violation: the reparation chain and the escalation ladder.

The chain runs in the order the clause declares: notices go out at once; a cure period gives
the debtor a last chance, and only when it runs out do the powers after it arise; a power
`if late more than D` arises when the obligation is still unperformed D after its deadline.
Penalties and interest accrue per unit late and are charged when the debtor finally performs,
or at close-out if it never does, each under the clause's caps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from clausec import ir
from runtime.amounts import Trace, units_late
from runtime.calendar import ContractTime
from runtime.derived import required
from runtime.evaluate import Duration, Scope, evaluate, is_missing
from runtime.events import money_kind
from runtime.evidence import performed_at
from runtime.money import Money

if TYPE_CHECKING:
    from runtime.obligations import Instance, ObligationKernel


def start_chain(kernel: ObligationKernel, inst: Instance, now: datetime) -> None:
    """Run the first steps of `inst`'s chain and schedule the rest."""
    steps = inst.spec.reparation
    cure = next((i for i, s in enumerate(steps) if s.kind == "cure"), None)
    for index, step in enumerate(steps):
        if step.kind == "notify":
            kernel.ctx.emit(
                inst.spec.id,
                "notice",
                now,
                f"breach notice to "
                f"{', '.join(step.roles)}: {inst.spec.duty.debtor} did not "
                f"{inst.spec.duty.action} in time",
                instance=inst.id,
                parties={"to": step.roles},
                causes=_cause(inst),
            )
        elif step.kind == "cure" and inst.performed is None:  # else remedied already
            _schedule_cure(kernel, inst, step, now)
        elif step.kind == "power" and (cure is None or index < cure):
            grant_power(kernel, inst.spec, inst.id, step, now, _cause(inst))
        elif step.kind == "late_power":
            _schedule_late_power(kernel, inst, step, now)
    schedule_levels(kernel, inst, inst.spec.escalation, now)


def _cause(inst: Instance) -> list[str]:
    return [inst.violated_id] if inst.violated_id else []


def _after(kernel: ObligationKernel, start: datetime, period: object) -> datetime:
    value = evaluate(period, kernel.ctx.scope())
    assert isinstance(value, Duration)
    return kernel.ctx.time.add(start, value.amount, value.unit)


def _unless_performed(
    inst: Instance, action: Callable[[datetime], None]
) -> Callable[[datetime], None]:
    def run(now: datetime) -> None:
        if inst.performed is None and inst.state == "violated":
            action(now)

    return run


def _schedule_cure(kernel: ObligationKernel, inst: Instance, step: ir.Step, now: datetime) -> None:
    until = _after(kernel, now, step.within)
    kernel.ctx.emit(
        inst.spec.id,
        "notice",
        now,
        f"cure period: {inst.spec.duty.debtor} may "
        f"still remedy until {kernel.ctx.time.local(until):%Y-%m-%d %H:%M}",
        instance=inst.id,
        causes=_cause(inst),
    )
    later = inst.spec.reparation[inst.spec.reparation.index(step) + 1 :]

    def expired(at: datetime) -> None:
        kernel.ctx.emit(
            inst.spec.id,
            "notice",
            at,
            "cure period expired without remedy: the breach stands",
            instance=inst.id,
            causes=_cause(inst),
        )
        for power in (s for s in later if s.kind == "power"):
            grant_power(kernel, inst.spec, inst.id, power, at, _cause(inst))

    inst.pending += (
        kernel.ctx.agenda.schedule(until, _unless_performed(inst, expired), f"cure {inst.id}"),
    )


def _schedule_late_power(
    kernel: ObligationKernel, inst: Instance, step: ir.Step, now: datetime
) -> None:
    assert inst.deadline is not None
    when = _after(kernel, inst.deadline, step.threshold)
    if inst.performed is not None:  # first reported when performed: was it late enough?
        if performed_at(inst.spec, inst.performed) > when:
            grant_power(kernel, inst.spec, inst.id, step, now, _cause(inst))
        return
    inst.pending += (
        kernel.ctx.agenda.schedule(
            when,
            _unless_performed(
                inst, lambda at: grant_power(kernel, inst.spec, inst.id, step, at, _cause(inst))
            ),
            f"late power {inst.id}",
        ),
    )


def grant_power(
    kernel: ObligationKernel,
    spec: ir.Clause,
    instance: str,
    step: ir.Step,
    now: datetime,
    causes: list[str],
) -> None:
    ctx = kernel.ctx
    expiry = _after(kernel, now, step.within) if step.within is not None else None
    notice = evaluate(step.notice, ctx.scope()) if step.notice is not None else None
    until = f" until {ctx.time.local(expiry):%Y-%m-%d}" if expiry else ""
    with_notice = f", on {notice} notice" if notice else ""
    kernel.powers.grant(
        spec.id,
        right_instance(spec, instance, step),
        step.holder or "",
        step.action or "",
        now,
        expiry,
        f"{step.holder} may {step.action}{until}{with_notice}",
        causes,
        {"expires": ctx.time.local(expiry).isoformat() if expiry else "never"},
        notice=notice if isinstance(notice, Duration) and notice.amount else None,
    )


def right_instance(spec: ir.Clause, instance: str, step: ir.Step) -> str:
    """The instance a right granted by `step` is known by: `2026-Q1:request_renegotiation`,
    with its holder when the clause grants the same power to another holder too."""
    return f"{instance}:{step.action}" + (f":{step.holder}" if _shared(spec, step) else "")


def _shared(spec: ir.Clause, step: ir.Step) -> bool:
    """Whether the clause grants the same power to another holder too: then each holder's
    right is an instance of its own, named with the holder (`2026-Q1:renegotiate:buyer`)."""
    steps = (
        spec.reparation
        if isinstance(spec, ir.Obligation)
        else spec.powers
        if isinstance(spec, ir.Trigger)
        else []
    )
    return any(
        other.action == step.action and other.holder != step.holder
        for other in steps
        if other.kind in ("power", "late_power")
    )


def schedule_levels(
    kernel: ObligationKernel,
    inst: Instance | None,
    levels: list[ir.Level],
    now: datetime,
    clause: ir.Clause | None = None,
    causes: list[str] | None = None,
) -> None:
    """An escalation ladder: each level fires after its delay unless the duty was performed."""
    spec: ir.Clause = clause or (inst.spec if inst else None)  # type: ignore[assignment]
    for level in levels:
        when = _after(kernel, now, level.after)

        def fire(at: datetime, lv: ir.Level = level) -> None:
            if inst is not None and (inst.performed is not None or inst.state != "violated"):
                return
            escalate(
                kernel,
                spec,
                inst.id if inst else spec.id,
                lv,
                at,
                causes or (_cause(inst) if inst else []),
            )

        item = kernel.ctx.agenda.schedule(when, fire, f"escalation {spec.id} {level.name}")
        if inst is not None:
            inst.pending += (item,)


def escalate(
    kernel: ObligationKernel,
    spec: ir.Clause,
    instance: str,
    level: ir.Level,
    now: datetime,
    causes: list[str],
) -> None:
    roles = list(dict.fromkeys(r for action in level.actions for r in action.roles))
    what = "; ".join(filter(None, (_describe(action) for action in level.actions)))
    kernel.ctx.emit(
        spec.id,
        "escalation",
        now,
        f"escalated to level '{level.name}'" + (f": {what}" if what else ""),
        instance=f"{instance}:{level.name}",
        parties={"to": roles},
        causes=causes,
    )
    for action in level.actions:
        if action.kind == "require" and action.deliverable and action.party:
            derived = kernel.specs[required(spec, action).id]
            kernel.create(derived, now, f"{derived.id}[{instance}]", anchor=now)


def _describe(action: ir.Step) -> str:
    """One action of a level as the escalation's summary says it; each role named once
    (a level may notify a role and assign it the matter)."""
    if action.kind == "require":
        return f"require {action.deliverable} from {action.party}" if action.deliverable else ""
    roles = ", ".join(dict.fromkeys(action.roles))
    return f"{action.kind} {roles}" if roles else ""


@dataclass(frozen=True)
class Lateness:
    """How late a duty was performed (or still is at close-out), for charging its chain."""

    deadline: datetime
    performed: datetime
    minutes: Decimal
    time: ContractTime

    @property
    def days(self) -> str:
        return _days(self.minutes)

    @cached_property
    def business_days(self) -> Decimal:
        """Counted only for a rate per business day: it walks the calendar day by day."""
        return self.time.business_days_between(self.deadline, self.performed)


def settle_lateness(
    kernel: ObligationKernel, inst: Instance, performed: datetime, now: datetime, facts: list[str]
) -> None:
    """Charge what a late duty owes for the time from its deadline to `performed`."""
    ctx = kernel.ctx
    if inst.deadline is None:
        return
    if inst.state != "violated":  # its first report already shows the performance late
        duty = inst.spec.duty
        acts = ", ".join(facts)
        why = f"{duty.debtor} did not {duty.action} by the deadline (performed late: {acts})"
        kernel.violate(inst, now, why, facts)
    late = Lateness(
        inst.deadline,
        performed,
        Decimal(int((performed - inst.deadline).total_seconds())) / 60,
        ctx.time,
    )
    # Close-out charges a duty still open at the end; a close-out duty is performed after it.
    verb = "performed" if inst.performed is not None else "still unperformed"
    ctx.emit(
        inst.spec.id,
        "notice",
        now,
        f"{inst.spec.duty.debtor} {verb} {late.days} days late",
        instance=inst.id,
        facts=facts,
        causes=_cause(inst),
        values={"deadline": inst.deadline.isoformat(), "performed": performed.isoformat()},
    )
    scope = ctx.scope(fields=inst.record or {})
    if inst.record is not None and inst.spec.recurrence:  # `invoice.amount` in the chain
        scope.records[inst.spec.recurrence.get("fact") or ""] = inst.record
    for step in inst.spec.reparation:
        if step.kind == "amount" and step.amount is not None:
            _charge(kernel, inst, step.amount, late, scope, now, facts)
    if inst.performed is not None:
        _withdraw_late_powers(kernel, inst, late, now, facts)


def _withdraw_late_powers(
    kernel: ObligationKernel, inst: Instance, late: Lateness, now: datetime, facts: list[str]
) -> None:
    """An `if late more than D` right granted while the duty looked that late stands only if
    the evidence shows it was: a performance within D withdraws it (it is not value lost)."""
    for step in inst.spec.reparation:
        if step.kind != "late_power" or late.performed > _after(
            kernel, late.deadline, step.threshold
        ):
            continue
        threshold = evaluate(step.threshold, kernel.ctx.scope())
        kernel.powers.withdraw(
            f"{inst.spec.id}/{right_instance(inst.spec, inst.id, step)}",
            now,
            f"{', '.join(facts)} shows performance {late.days} days late, not more than "
            f"{threshold}",
            facts,
        )


def _charge(
    kernel: ObligationKernel,
    inst: Instance,
    amount: ir.Amount,
    late: Lateness,
    scope: Scope,
    now: datetime,
    facts: list[str],
) -> None:
    """One amount of the chain: a rate per unit late (or a fixed sum), under the chain's caps."""
    ctx = kernel.ctx
    trace = Trace()
    per_unit = evaluate(amount.expr, scope)
    if not isinstance(per_unit, Money):
        needs = ", ".join(per_unit.needs) if is_missing(per_unit) else str(per_unit)
        ctx.report("RT401", f"{inst.id} {amount.kind}", f"cannot be computed ({needs})")
        return
    units = Decimal(1)
    if amount.rate is not None:
        business = late.business_days if amount.rate.unit == "business_day" else None
        units = units_late(amount.rate, Duration(late.minutes, "minute"), business, trace)
    value = per_unit * units
    trace.add("amount", per_unit=per_unit, units=units, total=value)
    limits = [s.limit for s in inst.spec.reparation if s.kind == "limit" and s.limit]
    charged, record = ctx.charge(
        inst.spec.id,
        amount.kind,
        value,
        limits,
        scope,
        late.performed,
        trace,
        instance=inst.id,
        payee=inst.spec.creditor or ctx.counterparty(inst.spec.duty.debtor),
    )
    local = "%Y-%m-%d %H:%M %Z"
    event = ctx.emit(
        inst.spec.id,
        money_kind(amount.kind),
        now,
        f"{amount.kind} of {charged} for {late.days} days late",
        instance=inst.id,
        amount=charged,
        facts=sorted({*facts, *inst.facts}),
        parties=inst.parties,
        steps=trace.steps,
        causes=_cause(inst),
        values={
            "deadline": f"{ctx.time.local(late.deadline):{local}}",
            "performed": f"{ctx.time.local(late.performed):{local}}",
            "days late": late.days,
        },
    )
    record.event = event.id


def _days(minutes: Decimal) -> str:
    return f"{(minutes / 1440).quantize(Decimal('0.01')).normalize():f}"
