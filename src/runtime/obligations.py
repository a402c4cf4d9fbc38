"""The obligation lifecycle (DESIGN.md §3): created, in effect, suspended, fulfilled,
violated, discharged, terminated, with an event for every transition.

An obligation comes into effect at the contract's start, when the event it `starts when`
happens, for each fact of a `for each`, or each period of an `every`. Its deadline goes on the
agenda. Evidence that arrives in time fulfils it; a deadline that passes violates it, with the
debtor to blame, and starts its reparation chain (`reparation.py`). Force majeure suspends it
and, when declared, extends the deadline by the time it lasted, even when the force-majeure
report arrives after the deadline has passed: then the violation is withdrawn by a restatement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from clausec import ir
from runtime.agenda import Call, Item
from runtime.context import Context
from runtime.deadlines import deadline_of
from runtime.derived import derived_obligations
from runtime.evaluate import comparable, evaluate, is_missing
from runtime.events import Event, Row, from_row, to_row
from runtime.evidence import performed_at
from runtime.facts import Fact
from runtime.live import LiveInstances
from runtime.matchers import Matcher, Pattern
from runtime.occurrences import starting_event
from runtime.patterns import leading_join, split
from runtime.powers import Powers

OPEN = ("created", "in_effect", "suspended")


@dataclass(slots=True)
class Instance:
    id: str
    spec: ir.Obligation
    state: str
    record: dict[str, Any] | None = None
    key: str | None = None
    start: datetime | None = None
    deadline: datetime | None = None
    anchor: datetime | None = None
    item: Item | None = None
    violation: Row | None = None  # the violation event, at rest: read it as `violated`
    performed: Fact | None = None
    # Tuples, not lists: an instance outlives its batch, and a tuple of strings (or the
    # empty tuple) is one object fewer for the garbage collector to walk in every pass.
    facts: tuple[str, ...] = ()
    pending: tuple[Item, ...] = ()
    window_end: datetime | None = None
    base_deadline: datetime | None = None
    settled: bool = False  # lateness charged at close-out: later evidence is history
    extensions: dict[str, timedelta] = field(default_factory=dict)

    @property
    def violated(self) -> Event | None:
        return None if self.violation is None else from_row(self.violation)

    @violated.setter
    def violated(self, event: Event | None) -> None:
        self.violation = None if event is None else to_row(event)

    @property
    def violated_id(self) -> str | None:
        return None if self.violation is None else str(self.violation[0])

    @property
    def parties(self) -> dict[str, Any]:
        duty = self.spec.duty
        return {
            "debtor": duty.debtor,
            "creditor": self.spec.creditor,
            "owner": self.spec.owner,
            "inform": self.spec.inform,
        }


class ObligationKernel:
    def __init__(self, ctx: Context, matcher: Matcher, powers: Powers) -> None:
        self.ctx = ctx
        self.matcher = matcher
        self.powers = powers
        self.specs: dict[str, ir.Obligation] = {}
        self.instances: dict[str, Instance] = {}
        # Evidence and suspensions look only at these, not at every instance ever created.
        self.live = LiveInstances()
        self.residual: dict[str, Any] = {}
        self.patterns: list[Pattern] = []
        self.on_violation: list[Any] = []
        for spec in [*ctx.bundle.obligations, *derived_obligations(ctx.bundle)]:
            self.register(spec)

    # ------------------------------------------------------------ patterns

    def register(self, spec: ir.Obligation) -> None:
        """Declare an obligation (also those created at run time by triggers, escalations
        and close-out) and its patterns."""
        self.specs[spec.id] = spec
        evidence = spec.duty.evidence
        if evidence is not None:
            self._pattern(f"{spec.id}#evidence", evidence.fact, evidence.where)
        if spec.recurrence and spec.recurrence.get("fact"):
            self._pattern(f"{spec.id}#each", spec.recurrence["fact"], spec.recurrence["where"])
        for index, suspension in enumerate(spec.suspensions):
            self._pattern(f"{spec.id}#suspend{index}", suspension["fact"], suspension["where"])

    def _pattern(self, pattern_id: str, fact: str, where: Any) -> None:
        local, rest = split(where, self.ctx.params, self.ctx.time)
        self.residual[pattern_id] = rest
        pattern = Pattern(pattern_id, fact, local)
        self.patterns.append(pattern)

    # ------------------------------------------------------------ lifecycle

    def start(self, now: datetime) -> None:
        self.start_specs(self.ctx.bundle.obligations, now)

    def start_specs(self, specs: list[ir.Obligation], now: datetime) -> None:
        """Create the obligations that exist from `now` (the start, or an amendment's
        effective date): one-off ones at once, recurring ones per period."""
        for spec in specs:
            if spec.recurrence is None:
                self.ctx.guard(spec.id, self._create_at_start, spec, now)
            elif spec.recurrence and spec.recurrence.get("kind") == "every":
                self._schedule_periods(spec, since=now)

    def _create_at_start(self, spec: ir.Obligation, now: datetime) -> None:
        self.create(spec, now, spec.id, effective=starting_event(spec) is None)

    def create(
        self,
        spec: ir.Obligation,
        now: datetime,
        instance_id: str,
        record: dict[str, Any] | None = None,
        key: str | None = None,
        anchor: datetime | None = None,
        window_end: datetime | None = None,
        effective: bool = True,
    ) -> Instance:
        inst = Instance(
            instance_id, spec, "created", record, key, anchor=anchor, window_end=window_end
        )
        replaced = instance_id in self.instances
        self.instances[instance_id] = inst
        if replaced:  # the new instance takes the old one's place in the order
            self.live.rebuild(list(self.instances.values()))
        else:
            self.live.add(inst)
        self._emit(inst, "obligation.created", now, f"{spec.duty.debtor} {_verb(spec)}")
        if effective:
            self.bring_into_effect(inst, now)
        return inst

    def bring_into_effect(self, inst: Instance, now: datetime) -> None:
        inst.state, inst.start = "in_effect", now
        inst.deadline = inst.base_deadline = self.deadline(inst)
        summary = f"{inst.spec.duty.debtor} {_verb(inst.spec)}"
        if inst.deadline:
            summary += f" by {self.ctx.time.local(inst.deadline):%Y-%m-%d %H:%M %Z}"
            inst.item = self.ctx.agenda.schedule(
                inst.deadline, Call(ObligationKernel.expire, self, inst), f"deadline {inst.id}"
            )
        deadline = inst.deadline.isoformat() if inst.deadline else "none"
        self._emit(inst, "obligation.in_effect", now, summary, values={"deadline": deadline})

    def start_when(self, spec: ir.Obligation, event: Event, now: datetime) -> None:
        """The event a `starts when` obligation waits for: the instance created at signature
        comes into effect; a repeat of the event creates a new one."""
        waiting = self.instances.get(spec.id)
        if waiting is not None and waiting.state == "created":
            waiting.anchor = now
            self.bring_into_effect(waiting, now)
            return
        instance = f"{spec.id}[{event.instance or event.id}]"
        if instance not in self.instances:
            self.create(spec, now, instance, anchor=now)

    def deadline(self, inst: Instance) -> datetime | None:
        return deadline_of(self.ctx, inst)

    def _schedule_periods(self, spec: ir.Obligation, since: datetime | None = None) -> None:
        from runtime.windows import _calendar

        period = spec.recurrence.get("period") if spec.recurrence else None
        for window in _calendar(period or "month", self.ctx.time):
            if since is not None and window.start < since:
                continue  # a period before an amendment added the duty

            def open_period(now: datetime, w: Any = window) -> None:
                if self.ctx.ended_at is None or w.start < self.ctx.ended_at:
                    self.create(spec, now, f"{spec.id}[{w.id}]", anchor=w.end, window_end=w.end)

            self.ctx.agenda.schedule(window.end, open_period, f"period {spec.id}")

    def expire(self, inst: Instance, now: datetime) -> None:
        """The deadline passed: a duty unperformed is violated; a prohibition kept is met."""
        inst.item = None  # fired
        if inst.state not in ("in_effect", "suspended"):
            return
        if inst.spec.duty.modality == "must_not":
            inst.state = "fulfilled"
            self._emit(
                inst,
                "obligation.fulfilled",
                now,
                f"{inst.spec.duty.debtor} kept to '{_verb(inst.spec)}' until the end of the period",
            )
            return
        self.violate(
            inst, now, f"{inst.spec.duty.debtor} did not {inst.spec.duty.action} by the deadline"
        )

    def violate(
        self, inst: Instance, now: datetime, why: str, facts: list[str] | None = None
    ) -> None:
        inst.state = "violated"
        inst.violated = self._emit(
            inst,
            "obligation.violated",
            now,
            why,
            facts=sorted({*(facts or ()), *inst.facts}),  # what opened it, and the act
            values={
                "deadline": f"{self.ctx.time.local(inst.deadline):%Y-%m-%d %H:%M %Z}"
                if inst.deadline
                else "none",
                "blame": inst.spec.duty.debtor,
                "evidence awaited": inst.spec.duty.evidence.fact
                if inst.spec.duty.evidence
                else "none",
            },
        )
        for handler in self.on_violation:
            handler(inst, now)

    # ------------------------------------------------------------ facts

    def on_fact(self, fact: Fact, now: datetime) -> None:
        # A fact that opens a `for each` instance may also be its evidence (an incident
        # reported already resolved): instances are opened first.
        hits = sorted(self.matcher.match(fact), key=lambda p: not p.endswith("#each"))
        for pattern_id in hits:
            obligation_id, _, role = pattern_id.partition("#")
            spec = self.specs[obligation_id]
            if role == "each":
                self._each(spec, fact, pattern_id, now)
            elif role == "evidence":
                self._evidence(spec, fact, pattern_id, now)
            elif role.startswith("suspend"):
                from runtime.suspension import suspend

                suspend(self, spec, fact, spec.suspensions[int(role[7:])], now)

    def residual_holds(self, pattern_id: str, fact: Fact, inst: Instance | None) -> bool:
        rest = self.residual.get(pattern_id)
        if rest is None:
            return True
        scope = self.ctx.scope(fields=fact.fields)
        if inst is not None and inst.record is not None and inst.spec.recurrence:
            scope.records[inst.spec.recurrence.get("fact") or ""] = inst.record
        verdict = evaluate(rest, scope)
        return not is_missing(verdict) and bool(verdict)

    def _each(self, spec: ir.Obligation, fact: Fact, pattern_id: str, now: datetime) -> None:
        key = fact.key or fact.id
        instance_id = f"{spec.id}[{key}]"
        if instance_id in self.instances or not self.residual_holds(pattern_id, fact, None):
            return
        # The fact's own fields: neither a fact nor an instance's record is ever changed.
        inst = self.create(spec, now, instance_id, record=fact.fields, key=key)
        inst.facts += (fact.id,)

    def live_instances(self, spec_id: str) -> list[Instance]:
        """The instances of an obligation that are not final, in creation order."""
        return self.live.of(spec_id)

    def candidates(
        self, spec: ir.Obligation, fact: Fact, pattern_id: str | None = None
    ) -> list[Instance]:
        """The instances `fact` may be evidence for, in creation order: those of its key for
        a `for each` of its own type; else, when the evidence filter starts with an equality
        to the instance's record, those whose record has the fact's value (the filter fails
        for every other: see `patterns.leading_join`); else every open one."""
        each = spec.recurrence.get("fact") if spec.recurrence else None
        pool: list[Instance] | None = None
        if each and spec.duty.evidence and spec.duty.evidence.fact == each:
            pool = self.live.of(spec.id, fact.key or fact.id)
        elif pattern_id is not None:
            join = leading_join(self.residual.get(pattern_id))
            if join is not None and join[0] in fact.fields:
                value = comparable(fact.fields[join[0]])
                pool = self.live.joined(spec.id, join[1], join[2], value)
        return [
            i
            for i in (self.live.of(spec.id) if pool is None else pool)
            if i.state in ("in_effect", "suspended")
            or (i.state == "violated" and i.performed is None and not i.settled)
        ]

    def _evidence(self, spec: ir.Obligation, fact: Fact, pattern_id: str, now: datetime) -> None:
        for inst in self.candidates(spec, fact, pattern_id):
            if not self.residual_holds(pattern_id, fact, inst):
                continue
            inst.facts += (fact.id,)
            if spec.duty.modality == "must_not":
                if inst.state == "in_effect":
                    self.violate(
                        inst,
                        now,
                        f"{spec.duty.debtor} did what it must not: {spec.duty.action} ({fact.id})",
                        [fact.id],
                    )
            else:
                self.perform(inst, fact, now)
            if spec.recurrence is None or spec.recurrence.get("kind") == "every":
                return

    def discharge(self, inst: Instance, now: datetime, reason: str) -> None:
        _cancel_pending(inst)
        inst.state = "discharged"
        self._emit(
            inst, "obligation.discharged", now, f"discharged: {reason}", values={"reason": reason}
        )

    def perform(self, inst: Instance, fact: Fact, now: datetime) -> None:
        inst.performed = fact
        self.live.performed(inst)
        _cancel_pending(inst)
        at = performed_at(inst.spec, fact)  # `responded`, not the report's latest time
        if inst.deadline is not None and at > inst.deadline:
            from runtime.reparation import settle_lateness

            settle_lateness(self, inst, at, now, [fact.id])
            return
        if inst.state == "violated":  # the evidence came late, the performance did not
            self._emit(
                inst,
                "restatement",
                now,
                f"violation withdrawn: {fact.id} shows "
                f"performance at {self.ctx.time.local(at):%Y-%m-%d %H:%M}, "
                "before the deadline",
                facts=[fact.id],
                verdict="fulfilled",
                causes=[inst.violated_id] if inst.violated_id else [],
            )
        inst.state = "fulfilled"
        self._emit(
            inst,
            "obligation.fulfilled",
            now,
            f"{inst.spec.duty.debtor} {_verb(inst.spec)}: evidence {fact.id}",
            facts=[fact.id],
            values={"performed": at.isoformat()},
        )

    def _emit(self, inst: Instance, kind: str, now: datetime, summary: str, **extra: Any) -> Event:
        return self.ctx.emit(
            inst.spec.id, kind, now, summary, instance=inst.id, parties=inst.parties, **extra
        )


def _cancel_pending(inst: Instance) -> None:
    """Cancel what the instance waits for (its deadline, cure periods, escalations) and let
    go of the items: a cancelled item never fires, so nothing needs it again."""
    for item in [inst.item, *inst.pending]:
        if item is not None:
            item.cancelled = True
    inst.item, inst.pending = None, ()


def _verb(spec: ir.Obligation) -> str:
    duty = spec.duty
    modality = "must not" if duty.modality == "must_not" else "must"
    what = f" {duty.evidence.fact}" if duty.evidence else ""
    return f"{modality} {duty.action}{what}"
