"""Triggers, incentives and stand-alone escalation ladders: clauses that react to events.

A counting trigger fires when the N-th matching event falls within its rolling period; an
N-of-M trigger when N of the last M assessments were breaches; a condition trigger when a
window of the metrics it reads meets it. Firing gives notices, powers with their time limits
and new duties. Incentives pay when the event they wait for comes before its date, or when a
window meets their condition.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from clausec import ir
from runtime.amounts import Trace, band_amount, tier_amount
from runtime.derived import trigger_duty
from runtime.evaluate import Scope, evaluate, is_missing
from runtime.events import Event
from runtime.money import Money
from runtime.obligations import ObligationKernel
from runtime.occurrences import matches, starting_event
from runtime.reparation import grant_power, schedule_levels
from runtime.slas import WindowKernel
from runtime.windows import Window


class TriggerKernel:
    def __init__(self, obligations: ObligationKernel, windows: WindowKernel) -> None:
        self.ob = obligations
        self.ctx = obligations.ctx
        self.windows = windows
        self.seen: dict[str, list[tuple[datetime, str]]] = {}
        # The window in which each condition trigger's condition last held (None: it did not).
        self.holding: dict[str, Window | None] = {}
        self._listeners_by_terms: list[tuple[ir.Bundle, dict[str, list[ir.Clause]]]] = []
        self.ctx.listeners.append(self.on_event)
        windows.listeners.append(self.on_window)

    # ------------------------------------------------------------ events

    @property
    def _listening(self) -> dict[str, list[ir.Clause]]:
        """The clauses that wait for events, by the clause whose events they wait for, in
        the order they react: triggers, incentives, escalations, then `starts when` duties.
        Every reaction needs the event's clause to be the one it names. Built once for each
        version of the terms (an amendment brings its own)."""
        bundle = self.ctx.bundle
        for known, found in self._listeners_by_terms:
            if known is bundle:
                return found
        found = self._listeners_of(bundle)
        self._listeners_by_terms.append((bundle, found))
        return found

    @staticmethod
    def _listeners_of(bundle: ir.Bundle) -> dict[str, list[ir.Clause]]:
        found: dict[str, list[ir.Clause]] = {}
        for trigger in bundle.triggers:
            if trigger.condition.kind in ("count", "n_of_m") and trigger.condition.event:
                found.setdefault(trigger.condition.event.clause, []).append(trigger)
        for incentive in bundle.incentives:
            if incentive.condition.kind == "event" and incentive.condition.event:
                found.setdefault(incentive.condition.event.clause, []).append(incentive)
        for escalation in bundle.escalations:
            found.setdefault(escalation.on.clause, []).append(escalation)
        for spec in bundle.obligations:
            start = starting_event(spec)  # `starts when`, or `within D after X fulfilled`
            if start is not None:
                found.setdefault(start.clause, []).append(spec)
        return found

    def on_event(self, event: Event, now: datetime) -> None:
        for clause in self._listening.get(event.clause, ()):
            if isinstance(clause, ir.Trigger):
                condition = clause.condition
                if condition.kind == "count" and condition.event:
                    if matches(condition.event, event):
                        self._count(clause, event, now)
                elif event.kind == "assessment":
                    self._n_of_m(clause, event, now)
            elif isinstance(clause, ir.Incentive):
                if clause.condition.event and matches(clause.condition.event, event):
                    self._event_incentive(clause, event, now)
            elif isinstance(clause, ir.Escalation):
                if matches(clause.on, event):
                    inst = self.ob.instances.get(event.instance or "")
                    schedule_levels(self.ob, inst, clause.levels, now, clause, [event.id])
            elif isinstance(clause, ir.Obligation):
                self._starts_when(clause, event, now)

    def _starts_when(self, spec: ir.Obligation, event: Event, now: datetime) -> None:
        start = starting_event(spec)
        if start is not None and matches(start, event):
            self.ob.start_when(spec, event, now)

    def _event_incentive(self, incentive: ir.Incentive, event: Event, now: datetime) -> None:
        """`when X fulfilled before DATE` looks at when X was performed, not when the engine
        heard of it: a delivery made in time and reported late still earns the bonus."""
        condition = incentive.condition
        before = evaluate(condition.expr, self.ctx.scope()) if condition.expr else None
        performed = event.explanation.values.get("performed")
        moment = datetime.fromisoformat(performed) if performed else now
        if before is None or _earlier(moment, before, self.ctx):
            self.pay(incentive, event.instance or incentive.id, now, [event.id])

    def _count(self, trigger: ir.Trigger, event: Event, now: datetime) -> None:
        condition = trigger.condition
        if condition.kind != "count" or condition.within is None or condition.count is None:
            return
        period = evaluate(condition.within, self.ctx.scope())
        since = self.ctx.time.add(now, -period.amount, period.unit)
        history = [(t, e) for t, e in self.seen.get(trigger.id, []) if t > since]
        history.append((now, event.id))
        self.seen[trigger.id] = history
        if len(history) == condition.count:
            self.fire(
                trigger,
                now,
                [e for _, e in history],
                f"{condition.count} times {condition.event.event if condition.event else ''}"
                f" within {period}",
            )

    def _n_of_m(self, trigger: ir.Trigger, event: Event, now: datetime) -> None:
        condition = trigger.condition
        history = self.seen.setdefault(trigger.id, [])
        history.append((now, f"{event.verdict}:{event.id}"))
        recent = history[-(condition.of or 0) :]
        breaches = [e.split(":", 1)[1] for _, e in recent if e.startswith("breached:")]
        if event.verdict == "breached" and len(breaches) == condition.count:
            self.fire(
                trigger,
                now,
                breaches,
                f"{condition.count} breaches in the last {condition.of} windows",
            )

    # ------------------------------------------------------------ windows

    def on_window(self, metric: ir.Metric, window: Window, now: datetime) -> None:
        values = self.windows.metric_values(window.id)
        scope = self.ctx.scope(metrics=values, window=(window.start, window.end))
        for trigger in self.ctx.bundle.triggers:
            if trigger.condition.kind == "expr" and _reads(trigger.condition.expr, metric.id):
                verdict = evaluate(trigger.condition.expr, scope)
                holds = not is_missing(verdict) and bool(verdict)
                # A condition trigger fires when its condition becomes true, not again in each
                # overlapping (rolling) window that sees the same facts while it stays true; a
                # window disjoint from the last one it held in is a new measurement.
                last = self.holding.get(trigger.id)
                if holds and (last is None or last.end <= window.start):
                    self.fire(trigger, now, [], f"condition met for {window.id}", window.id)
                if not is_missing(verdict):
                    self.holding[trigger.id] = window if holds else None
        for incentive in self.ctx.bundle.incentives:
            condition = incentive.condition
            if condition.kind == "metric" and _reads(condition.expr, metric.id):
                verdict = evaluate(condition.expr, scope)
                if not is_missing(verdict) and verdict:
                    self.pay(incentive, window.id, now, [], scope_window=window)

    # ------------------------------------------------------------ consequences

    def fire(
        self,
        trigger: ir.Trigger,
        now: datetime,
        causes: list[str],
        why: str,
        instance: str | None = None,
    ) -> None:
        event = self.ctx.emit(
            trigger.id,
            "trigger",
            now,
            f"{trigger.id} fired: {why}",
            instance=instance,
            causes=causes,
        )
        if trigger.notify:
            self.ctx.emit(
                trigger.id,
                "notice",
                now,
                f"notice to {', '.join(trigger.notify)}: {trigger.id} fired ({why})",
                instance=instance,
                parties={"to": trigger.notify},
                causes=[event.id],
            )
        for power in trigger.powers:
            grant_power(self.ob, trigger, instance or trigger.id, power, now, [event.id])
        for number, duty in enumerate(trigger.duties):
            spec = self.ob.specs[trigger_duty(trigger, duty).id]
            fired = instance or f"{self.ctx.time.local(now):%Y-%m-%d}"
            suffix = f"[{fired}]" if number == 0 else f"[{fired}:{number}]"
            self.ob.create(spec, now, spec.id + suffix, anchor=now)

    def pay(
        self,
        incentive: ir.Incentive,
        instance: str,
        now: datetime,
        causes: list[str],
        scope_window: Window | None = None,
    ) -> None:
        window = (scope_window.start, scope_window.end) if scope_window else None
        metrics = self.windows.metric_values(scope_window.id) if scope_window else {}
        scope = self.ctx.scope(window=window, metrics=metrics)
        trace = Trace()
        total = incentive_total(incentive, scope, trace, self.ctx.currency)
        if total.amount <= 0:
            return
        # Charged under the amount's own kind (bonus, rebate), so `aggregate cap on rebate`
        # applies to it.
        kind = incentive.amounts[0].kind if incentive.amounts else "bonus"
        charged, record = self.ctx.charge(
            incentive.id,
            kind,
            total,
            incentive.limits,
            scope,
            now,
            trace,
            window=instance,
            payee=incentive.owner or "",  # an incentive is owed to its owner's side
        )
        event = self.ctx.emit(
            incentive.id,
            "incentive",
            now,
            f"incentive of {charged} earned",
            instance=instance,
            amount=charged,
            steps=trace.steps,
            causes=causes,
            parties={"owner": incentive.owner},
        )
        record.event = event.id


def incentive_total(incentive: ir.Incentive, scope: Scope, trace: Trace, currency: str) -> Money:
    """What an incentive's amounts come to in `scope`, before its limits."""
    total = Money.zero(currency)
    for amount in incentive.amounts:
        value: Any = (
            tier_amount(amount, scope, trace)
            if amount.tiers
            else band_amount(amount, scope, trace)
            if amount.bands
            else evaluate(amount.expr, scope)
        )
        if isinstance(value, Money):
            total = total + value
    return total


def _earlier(now: datetime, before: Any, ctx: Any) -> bool:
    if isinstance(before, datetime):
        return now < before
    if isinstance(before, date):
        return bool(now < ctx.time.midnight(before))
    return False


def _reads(node: Any, metric: str) -> bool:
    if isinstance(node, list):
        if len(node) == 2 and node[0] == "metric" and node[1] == metric:
            return True
        return any(_reads(child, metric) for child in node)
    return False
