"""Joint working plans (language §16): checkpoints that are obligations, goals with KPIs, and
the plan's own `fulfilled` and `violated` events.

- **Checkpoints.** `derived.plan_checkpoints` makes each `checkpoint every calendar PERIOD:
  DUTY` an `every` obligation named `<plan>.<action>`, owned and informed as the plan is. The
  obligation kernel registers its evidence pattern with the matcher like any other duty's, so
  both matchers see it; this module only opens its periods at the contract's start, with the
  kernel's own scheduler. Creation, evidence, deadlines, violation and close-out are the
  kernel's, exactly as for `obligation NAME every calendar PERIOD`.
- **Goals.** Once every metric a goal's KPI condition reads is assessed for a window, the goal
  is assessed for it: an `assessment` event on the plan, instance `<window>/<goal text>`, with
  the verdict `met`, `missed` or `undetermined` (listing the facts missing), the KPI values,
  the facts they came from, and the goal's owner. A late fact that changes the verdict gives
  a `restatement`; the first assessment is never edited.
- **Plan events.** `PLAN fulfilled` and `PLAN violated`, as escalations, triggers and `starts
  when` name them, are the fulfilment or violation of one of the plan's checkpoints. The
  checkpoint's event is handed to the trigger kernel under the plan's name; nothing more is
  emitted, so the event that follows cites the checkpoint's.

The plan's `outcome` fact is an ordinary fact: it is the checkpoint's evidence when the duty
names it, and otherwise only documents the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clausec import ir
from runtime.derived import plan_checkpoints
from runtime.evaluate import Missing, evaluate, is_missing
from runtime.events import Event
from runtime.facts import Fact
from runtime.metrics import Reading, overlaps
from runtime.obligations import ObligationKernel
from runtime.slas import WindowKernel, _metrics_in, _show, metric_facts
from runtime.triggers import TriggerKernel
from runtime.windows import Window

PLAN_EVENTS = ("obligation.fulfilled", "obligation.violated")


@dataclass(frozen=True)
class Goal:
    """A goal of a plan, with the metrics its KPI condition reads and their fact types."""

    plan: ir.Plan
    number: int
    spec: ir.Goal
    metrics: tuple[str, ...]
    facts: frozenset[str]


@dataclass
class GoalVerdict:
    """The latest verdict on one goal for one window, and the event that gave it first."""

    goal: Goal
    window: Window
    verdict: str
    event: str


# The fact types a contract without goals reads: one empty set for all (each costs 216 B).
_NO_FACTS: frozenset[str] = frozenset()


class PlanKernel:
    def __init__(
        self, obligations: ObligationKernel, windows: WindowKernel, triggers: TriggerKernel
    ) -> None:
        self.ob = obligations
        self.ctx = obligations.ctx
        self.windows = windows
        self.triggers = triggers
        self.checkpoints: dict[str, ir.Plan] = {}  # checkpoint obligation id -> its plan
        self.goals = [
            _goal(plan, number, windows)
            for plan in self.ctx.bundle.plans
            for number in range(len(plan.goals))
        ]
        self.reads = frozenset(kind for goal in self.goals for kind in goal.facts) or _NO_FACTS
        self.verdicts: dict[tuple[str, int, str], GoalVerdict] = {}  # (plan, goal, window)
        for plan in self.ctx.bundle.plans:
            for spec in plan_checkpoints(plan):
                self.checkpoints[spec.id] = plan
                # Checkpoint events cite the plan's reference, source and text.
                self.ctx.clauses.setdefault(spec.id, self.ob.specs[spec.id])
        # A contract without plans (most) has nothing to listen for: no listeners to call.
        if self.checkpoints:
            self.ctx.agenda.schedule(self.ctx.time.start, self.start, "start plans")
            self.ctx.listeners.append(self.on_event)
        if self.goals:
            windows.listeners.append(self.on_window)

    def start(self, now: datetime) -> None:
        """Open every checkpoint's periods, as the kernel does for `every` obligations."""
        for spec_id in self.checkpoints:
            self.ob._schedule_periods(self.ob.specs[spec_id])

    # ------------------------------------------------------------ plan events

    def on_event(self, event: Event, now: datetime) -> None:
        plan = self.checkpoints.get(event.clause)
        if plan is not None and event.kind in PLAN_EVENTS:
            self.triggers.on_event(event.model_copy(update={"clause": plan.id}), now)

    # ------------------------------------------------------------ goals

    def on_window(self, metric: ir.Metric, window: Window, now: datetime) -> None:
        for goal in self.goals:
            if metric.id not in goal.metrics or _key(goal, window) in self.verdicts:
                continue
            if all((m, window.id) in self.windows.readings for m in goal.metrics):
                self.ctx.guard(
                    f"{goal.plan.id} goal '{goal.spec.text}' {window.id}",
                    self.assess,
                    goal,
                    window,
                    now,
                )

    def assess(self, goal: Goal, window: Window, now: datetime) -> None:
        verdict, values, facts = self._verdict(goal, window)
        text = goal.spec.text
        event = self.ctx.emit(
            goal.plan.id,
            "assessment",
            now,
            f"goal '{text}' of {goal.plan.id} {verdict} for {window.id}: {_shown(values)}",
            instance=f"{window.id}/{text}",
            verdict=verdict,
            parties=_parties(goal),
            facts=facts,
            values=values,
        )
        self.verdicts[_key(goal, window)] = GoalVerdict(goal, window, verdict, event.id)

    def _verdict(self, goal: Goal, window: Window) -> tuple[str, dict[str, Any], list[str]]:
        """The goal's verdict for the window, the values shown for it, the facts read."""
        readings = {m: self.windows.readings[(m, window.id)] for m in goal.metrics}
        scope = self.ctx.scope(
            metrics=self.windows.metric_values(window.id), window=(window.start, window.end)
        )
        met = evaluate(goal.spec.kpi, scope)
        values: dict[str, Any] = {"goal": goal.spec.text, "owner": goal.spec.owner or "none"}
        for name, reading in readings.items():
            metric = self.windows.metrics[name]
            values[name] = _show(reading.value, metric.type.kind)
        values["window"] = f"{window.start} .. {window.end}"
        if isinstance(met, Missing):
            values["missing"] = ", ".join(met.needs) or "data"
            verdict = self._missing_verdict(readings)
        else:
            verdict = "met" if met else "missed"
        facts = sorted({f for reading in readings.values() for f in reading.fact_ids})
        return verdict, values, facts

    def _missing_verdict(self, readings: dict[str, Reading]) -> str:
        """No data, judged by the `missing` policy of the metrics without a value, as an SLA
        is: `breach` misses the goal, `compliant` (for all of them) meets it."""
        policies = {
            self.windows.metrics[name].missing
            for name, reading in readings.items()
            if is_missing(reading.value)
        }
        if "breach" in policies:
            return "missed"
        return "met" if policies == {"compliant"} else "undetermined"

    def on_fact(self, fact: Fact, now: datetime) -> None:
        """After the windows kernel has re-read the windows a late fact falls in: restate
        each goal whose verdict for such a window changed."""
        if fact.type not in self.reads:
            return
        for verdict in list(self.verdicts.values()):
            goal, window = verdict.goal, verdict.window
            if fact.type in goal.facts and overlaps(fact, window.start, window.end):
                self.ctx.guard(
                    f"{goal.plan.id} goal '{goal.spec.text}' {window.id}",
                    self._restate,
                    verdict,
                    fact,
                    now,
                )

    def _restate(self, old: GoalVerdict, fact: Fact, now: datetime) -> None:
        verdict, values, _ = self._verdict(old.goal, old.window)
        if verdict == old.verdict:
            return
        plan, text = old.goal.plan.id, old.goal.spec.text
        self.ctx.emit(
            plan,
            "restatement",
            now,
            f"goal '{text}' of {plan} for {old.window.id} restated after late fact "
            f"{fact.id}: {old.verdict} -> {verdict}, {_shown(values)}",
            instance=f"{old.window.id}/{text}",
            verdict=verdict,
            parties=_parties(old.goal),
            facts=[fact.id],
            values={**values, "previous": old.event},
            causes=[old.event],
        )
        old.verdict = verdict


def _goal(plan: ir.Plan, number: int, windows: WindowKernel) -> Goal:
    metrics = tuple(_metrics_in(plan.goals[number].kpi, []))
    facts = frozenset(kind for name in metrics for kind in metric_facts(windows.metrics[name]))
    return Goal(plan, number, plan.goals[number], metrics, facts)


def _key(goal: Goal, window: Window) -> tuple[str, int, str]:
    return goal.plan.id, goal.number, window.id


def _parties(goal: Goal) -> dict[str, Any]:
    """The goal's owner is responsible for it; the plan's owner is accountable."""
    return {"owner": goal.spec.owner, "plan owner": goal.plan.owner, "inform": goal.plan.inform}


def _shown(values: dict[str, Any]) -> str:
    skip = ("goal", "owner", "window")
    return ", ".join(f"{k} = {v}" for k, v in values.items() if k not in skip)
