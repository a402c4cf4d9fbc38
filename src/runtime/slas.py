"""Windows and SLAs: each metric window is assessed at its end plus grace, each SLA measuring
it gets a verdict, and a breach earns the credits the SLA's tiers give, after its caps.

A fact that arrives for a window already assessed re-assesses it: a `restatement` event gives
the new verdict and the difference in money; the first assessment is never edited. After a
credit, N compliant windows in a row earn it back when the SLA says so. A claim period turns a
credit into a power that expires if not exercised.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property, partial
from typing import Any

from clausec import ir
from runtime.agenda import Call, Series
from runtime.amend import terms_at
from runtime.amounts import Trace, band_amount, tier_amount
from runtime.claims import grant_claim, on_lapse
from runtime.context import Charge, Context
from runtime.earn_back import earn_back
from runtime.evaluate import Missing, evaluate, is_missing
from runtime.facts import Fact
from runtime.metrics import MetricReader, Reading, zero_of
from runtime.money import Money
from runtime.powers import Powers
from runtime.windows import Window, by_end, closes, cut, windows

MetricListener = Callable[[ir.Metric, Window, datetime], None]


@dataclass(slots=True)
class Assessment:
    sla: ir.Sla
    window: Window
    verdict: str
    reading: Reading
    credit: Money | None
    event: str


@dataclass(slots=True)
class SlaState:
    assessments: dict[str, Assessment] = field(default_factory=dict)
    unearned: list[str] = field(default_factory=list)  # credited windows not yet earned back
    compliant_run: int = 0
    # Windows whose claim right lapsed (a dict used as a set: an empty set is three times
    # the size, and every SLA of every idle contract has one).
    forfeited: dict[str, None] = field(default_factory=dict)


def metric_facts(metric: ir.Metric) -> set[str]:
    """The fact types a metric reads: late facts of these types restate its windows."""
    kinds: set[str] = {e.fact for e in metric.exclusions}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            if node and node[0] == "agg" and isinstance(node[2], dict) and node[2].get("fact"):
                kinds.add(node[2]["fact"])
            for child in node:
                visit(child)
        elif isinstance(node, dict):
            for child in node.values():
                visit(child)

    visit(metric.expr)
    return kinds


class WindowKernel:
    def __init__(self, ctx: Context, powers: Powers, schemas: dict[str, ir.FactSchema]) -> None:
        self.ctx = ctx
        self.powers = powers
        powers.on_lapse.append(partial(on_lapse, self))  # a lapsed claim forfeits its credit
        self.metrics = {m.id: m for m in ctx.bundle.metrics}
        self.readings: dict[tuple[str, str], Reading] = {}
        # Made at a metric's first assessment: an idle contract has none.
        # In the order of their ends (the order they close in): a fact that begins at or
        # after the last one's end falls in none of them.
        self.closed: dict[str, list[Window]] = defaultdict(list)
        self.closed_ids: dict[str, set[str]] = defaultdict(set)
        self.state = {s.id: SlaState() for s in ctx.bundle.slas}
        self._needs: dict[str, list[tuple[ir.Sla, set[str], str | None]]] = {}
        self.listeners: list[MetricListener] = []
        self.schemas = schemas  # the engine's fact types (`FactSchemas`), amendments included
        self.instance_facts: dict[str, Fact] = {}
        # While a batch is applied: late facts by the window they restate (see `late_fact`).
        self.batch: dict[tuple[str, str], tuple[ir.Metric, Window, list[Fact]]] | None = None
        for metric in ctx.bundle.metrics:
            grace = evaluate(metric.grace, ctx.scope()) if metric.grace else None
            Series(
                ctx.agenda,
                cut(metric.window, ctx.time),
                partial(closes, ctx.time, grace),
                (WindowKernel.assess, self, metric),
                f"assess {metric.id}",
            )

    def terminate(self, at: datetime) -> None:
        """The contract ends early: each window running at `at` is cut there and assessed
        after its grace, before the settlement statement."""
        for metric in self.ctx.bundle.metrics:
            grace = evaluate(metric.grace, self.ctx.scope()) if metric.grace else None
            for window in windows(metric.window, self.ctx.time):
                if window.start < at < window.end:
                    cut = Window(window.id, window.start, at)
                    close = self.ctx.time.add(at, grace.amount, grace.unit) if grace else at
                    self.ctx.agenda.schedule(
                        close, self._closer(metric, cut), f"assess {metric.id} {cut.id} (cut short)"
                    )

    @cached_property
    def _by_fact(self) -> tuple[dict[str, list[ir.Metric]], dict[str, list[ir.Metric]]]:
        """Which metrics a fact type concerns, in the contract's order: the per-instance
        metrics it opens, and the windowed metrics it can restate. Built at the first fact."""
        instance: dict[str, list[ir.Metric]] = {}
        windowed: dict[str, list[ir.Metric]] = {}
        for metric in self.metrics.values():
            if metric.window.kind == "instance":
                instance.setdefault(metric.window.fact or "", []).append(metric)
                continue
            for kind in metric_facts(metric):
                windowed.setdefault(kind, []).append(metric)
        return instance, windowed

    @property
    def _sla_needs(self) -> list[tuple[ir.Sla, set[str], str | None]]:
        """Each SLA with every metric it reads and the one it measures, under the terms
        being read (they change with an amendment)."""
        bundle = self.ctx.bundle
        found = self._needs.get(bundle.hash)
        if found is None:
            found = [(sla, sla_metrics(sla), sla_metric(sla)) for sla in bundle.slas]
            self._needs[bundle.hash] = found
        return found

    def adopt(self, bundle: ir.Bundle, at: datetime) -> None:
        """An amendment takes effect at `at`: its SLAs get state, its new metrics windows
        from `at` on, and facts are routed to its metrics."""
        for sla in bundle.slas:
            self.state.setdefault(sla.id, SlaState())
        for metric in bundle.metrics:
            if metric.id in self.metrics:
                self.metrics[metric.id] = metric
                continue
            self.metrics[metric.id] = metric
            self.closed[metric.id], self.closed_ids[metric.id] = [], set()
            grace = evaluate(metric.grace, self.ctx.scope()) if metric.grace else None
            for window in windows(metric.window, self.ctx.time):
                if window.start >= at:
                    close = (
                        self.ctx.time.add(window.end, grace.amount, grace.unit)
                        if grace
                        else window.end
                    )
                    self.ctx.agenda.schedule(
                        close, self._closer(metric, window), f"assess {metric.id} {window.id}"
                    )
        self.__dict__.pop("_by_fact", None)  # rebuilt from the adopted metrics

    def _closer(self, metric: ir.Metric, window: Window) -> Call:
        return Call(WindowKernel.assess, self, metric, window)

    def read(self, metric: ir.Metric, window: Window) -> Reading:
        if metric.window.kind == "instance":
            fact = self.instance_facts[window.id]
            scope = self.ctx.scope(fields=fact.fields, records={fact.type: fact.fields})
            return Reading(evaluate(metric.expr, scope), (fact.id,))
        reader = MetricReader(metric, self.ctx.facts, self.schemas, self.ctx.currency)
        reading = reader.read(self.ctx.scope(window=(window.start, window.end)))
        if is_missing(reading.value) and metric.missing == "zero":
            reading.value = zero_of(metric.type, self.ctx.currency)
        return reading

    def assess(self, metric: ir.Metric, window: Window, now: datetime) -> None:
        ended = self.ctx.ended_at
        if ended is not None and (window.start >= ended or window.end > ended):
            return  # after an early termination only windows clipped to it are assessed
        if not self.ctx.versions:
            self._assess(metric, window, now)
            return
        with terms_at(self.ctx, window.start):  # a window is judged by the terms it began under
            current = {m.id: m for m in self.ctx.bundle.metrics}.get(metric.id)
            if current is not None:  # an amendment may have removed the metric
                self._assess(current, window, now)

    def _assess(self, metric: ir.Metric, window: Window, now: datetime) -> None:
        reading = self.read(metric, window)
        self.readings[(metric.id, window.id)] = reading
        insort(self.closed[metric.id], window, key=by_end)
        self.closed_ids[metric.id].add(window.id)
        for sla, needed, measured in self._sla_needs:
            # An SLA that reads several metrics is assessed once all of them have a reading
            # for this window, whichever of them closes last.
            if metric.id not in needed or window.id in self.state[sla.id].assessments:
                continue
            if all((m, window.id) in self.readings for m in needed):
                main = self.readings.get((measured or metric.id, window.id), reading)
                self.ctx.guard(f"{sla.id} {window.id}", self._assess_sla, sla, window, main, now)
        for listener in self.listeners:
            listener(metric, window, now)

    def _shown(self, sla: ir.Sla, reading: Reading) -> str:
        """The measured value as people read it: 98.385% for a percentage, 3 for a count."""
        metric = self.metrics.get(sla_metric(sla) or "")
        return _show(reading.value, metric.type.kind if metric else "number")

    def metric_values(self, window_id: str) -> dict[str, Any]:
        return {m: r.value for (m, w), r in self.readings.items() if w == window_id}

    # ------------------------------------------------------------ SLA verdicts and credits

    def _verdict(self, sla: ir.Sla, window: Window) -> tuple[str, Any]:
        scope = self.ctx.scope(
            metrics=self.metric_values(window.id), window=(window.start, window.end)
        )
        met = evaluate(sla.target, scope) if sla.target is not None else True
        if is_missing(met):
            policy = self.metrics[sla_metric(sla) or ""].missing if sla_metric(sla) else ""
            if policy in ("compliant", "breach"):
                return ("met" if policy == "compliant" else "breached"), met
            return "undetermined", met
        return ("met" if met else "breached"), met

    def _assess_sla(self, sla: ir.Sla, window: Window, reading: Reading, now: datetime) -> None:
        verdict, detail = self._verdict(sla, window)
        needs = list(detail.needs) if isinstance(detail, Missing) else []
        summary = (
            f"{sla.id} {verdict} for {window.id}: {sla_metric(sla)} = {self._shown(sla, reading)}"
        )
        if needs:
            summary += f"; missing: {', '.join(needs)}"
        event = self.ctx.emit(
            sla.id,
            "assessment",
            now,
            summary,
            instance=window.id,
            verdict=verdict,
            parties={"owner": sla.owner, "inform": sla.inform},
            facts=reading.fact_ids,
            values={
                "metric": self._shown(sla, reading),
                "window": f"{window.start} .. {window.end}",
                "excluded": ", ".join(reading.excluded) or "none",
            },
        )
        credit = (
            self._credit(sla, window, reading, now, event.id) if verdict == "breached" else None
        )
        self.state[sla.id].assessments[window.id] = Assessment(
            sla, window, verdict, reading, credit, event.id
        )
        earn_back(self, sla, window, verdict, now)

    def _credit_value(self, sla: ir.Sla, window: Window, trace: Trace) -> Money | None:
        scope = self.ctx.scope(
            metrics=self.metric_values(window.id), window=(window.start, window.end)
        )
        total: Money | None = None
        for amount in sla.amounts:
            value: Any
            if amount.tiers:
                value = tier_amount(amount, scope, trace)
            elif amount.bands:
                value = band_amount(amount, scope, trace)
            else:
                value = evaluate(amount.expr, scope)
            if isinstance(value, Money):
                total = value if total is None else total + value
        return total

    def charge_credit(
        self, sla: ir.Sla, window: Window, value: Money, trace: Trace
    ) -> tuple[Money, Charge]:
        """A window's credit under the SLA's caps, owed to the owner's counterparty; caps are
        bucketed by the window's start, the period the credit belongs to."""
        scope = self.ctx.scope(window=(window.start, window.end))
        return self.ctx.charge(
            sla.id,
            "credit",
            value,
            sla.limits,
            scope,
            window.start,
            trace,
            window=window.id,
            payee=self.ctx.counterparty(sla.owner),
        )

    def _credit(
        self, sla: ir.Sla, window: Window, reading: Reading, now: datetime, cause: str
    ) -> Money | None:
        trace = Trace()
        value = self._credit_value(sla, window, trace)
        if value is None or value.amount <= 0:
            return None
        charged, record = self.charge_credit(sla, window, value, trace)
        event = self.ctx.emit(
            sla.id,
            "credit",
            now,
            f"service credit of {charged} for {window.id}",
            instance=window.id,
            amount=charged,
            facts=reading.fact_ids,
            parties={"owner": sla.owner, "inform": sla.inform},
            values={
                "metric": self._shown(sla, reading),
                "before limits": value,
            },
            steps=trace.steps,
            causes=[cause],
        )
        record.event = event.id
        if sla.claim_within is not None:
            grant_claim(self, sla, window, charged, event.id, now)
        return charged

    # ------------------------------------------------------------ late facts

    def on_fact(self, fact: Fact, now: datetime) -> None:
        """Per-instance metrics are assessed when their fact is complete; other windows that
        the fact falls in after assessment are restated."""
        for metric in self._by_fact[0].get(fact.type, ()):
            self._instance(metric, fact, now)
        self.late_fact(fact, now)

    def _instance(self, metric: ir.Metric, fact: Fact, now: datetime) -> None:
        window = Window(fact.key or fact.id, fact.time, fact.time)
        self.instance_facts[window.id] = fact
        reading = self.read(metric, window)
        if is_missing(reading.value):
            return  # not complete yet: the instance is assessed when its last field arrives
        if window.id in self.closed_ids[metric.id]:
            self._restate(metric, window, [fact], now)
        else:
            self.assess(metric, window, now)

    def late_fact(self, fact: Fact, now: datetime) -> None:
        """Re-assess every assessed window this fact falls in (runtime.restate)."""
        from runtime.restate import late_fact

        late_fact(self, fact, now)

    def flush(self, now: datetime) -> None:
        """Restate the windows the late facts of the batch so far fall in."""
        from runtime.restate import flush

        flush(self, now)

    def _restate(self, metric: ir.Metric, window: Window, facts: list[Fact], now: datetime) -> None:
        from runtime.restate import restate_window

        restate_window(self, metric, window, facts, now)


def _metrics_in(node: Any, found: list[str]) -> list[str]:
    if isinstance(node, list):
        if len(node) == 2 and node[0] == "metric" and node[1] not in found:
            found.append(node[1])
        for child in node:
            _metrics_in(child, found)
    elif isinstance(node, dict):
        for child in node.values():
            _metrics_in(child, found)
    return found


def sla_metric(sla: ir.Sla) -> str | None:
    """The metric an SLA measures: the one it names, else the first its target reads."""
    if sla.metric:
        return sla.metric
    found = _metrics_in(sla.target, [])
    return found[0] if found else None


def sla_metrics(sla: ir.Sla) -> set[str]:
    """Every metric an SLA reads, in its target, its tiers and its amounts."""
    found = _metrics_in([sla.target, [a.model_dump() for a in sla.amounts]], [])
    main = sla_metric(sla)
    return set(found) | ({main} if main else set())


def _show(value: Any, kind: str = "percent") -> str:
    if isinstance(value, Decimal):
        if kind == "percent":
            return f"{(value * 100).quantize(Decimal('0.001')).normalize():f}%"
        return f"{value.normalize():f}"
    if isinstance(value, Missing):
        return "undetermined"
    return str(value)
