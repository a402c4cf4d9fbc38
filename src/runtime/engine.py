"""The embeddable engine: load a compiled contract, ingest facts, move the clock, read events.

    engine = Engine.load("examples/managed_hosting/contract.clause")
    events = engine.ingest(facts)          # a batch: all applied, or none
    events += engine.advance_to(datetime(2026, 4, 10, tzinfo=UTC))

The engine has no threads, no global state and no wall clock: time moves only by the facts it
is given and by `advance_to`. Facts are applied in time order; before each fact, everything on
the agenda that falls due before it fires. The same facts and clock moves give the same events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from clausec import ir
from clausec.diagnostics import Diagnostic
from runtime.agenda import Item
from runtime.closeout import close_out, settle, settlement_time
from runtime.context import Charge, Context
from runtime.events import Event
from runtime.facts import Fact, FactError, FactSchemas, Problem
from runtime.matchers import make_matcher
from runtime.obligations import Instance, ObligationKernel
from runtime.plans import PlanKernel
from runtime.powers import Powers
from runtime.reparation import start_chain
from runtime.slas import Assessment, WindowKernel
from runtime.triggers import TriggerKernel


class EngineError(Exception):
    """A problem the caller must fix: a bundle that cannot load, or a clock moved back."""


def load_bundle(source: ir.Bundle | str | Path) -> ir.Bundle:
    if isinstance(source, ir.Bundle):
        return source
    path = Path(source)
    if path.suffix == ".clause":
        from clausec.compiler import compile_contract
        from clausec.diagnostics import render_all

        result = compile_contract(path)
        if result.bundle is None and not any(d.is_error for d in result.diagnostics):
            raise EngineError(
                f"{path} holds no contract: it is a library of templates, or an amendment "
                "(which loads onto its contract: `--amend`, `Engine.amend`)"
            )
        if result.bundle is None:
            raise EngineError(render_all(result.diagnostics, result.sources))
        return result.bundle
    try:
        bundle = ir.Bundle.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise EngineError(f"cannot load bundle {path}: {error}") from error
    if bundle.ir_version != ir.IR_VERSION:
        raise EngineError(
            f"{path} is IR version {bundle.ir_version}; this clausec reads version "
            f"{ir.IR_VERSION}: compile the contract again"
        )
    if bundle.with_hash().hash != bundle.hash:  # edited after compiling: not the signed terms
        raise EngineError(
            f"{path} does not match its hash {bundle.hash or '(none)'}: it was changed after "
            "it was compiled; compile the contract again (`clausec compile`)"
        )
    return bundle


class Engine:
    def __init__(self, bundle: ir.Bundle, engine: str = "compiled") -> None:
        self.bundle = bundle
        self.ctx = Context(bundle)
        self.schemas = FactSchemas(bundle)
        self.matcher = make_matcher(engine)
        self.powers = Powers(self.ctx)
        self.obligations_kernel = ObligationKernel(self.ctx, self.matcher, self.powers)
        self.matcher.load(self.obligations_kernel.patterns)
        self.windows_kernel = WindowKernel(self.ctx, self.powers, self.schemas.schemas)
        self.triggers = TriggerKernel(self.obligations_kernel, self.windows_kernel)
        self.obligations_kernel.on_violation.append(partial(start_chain, self.obligations_kernel))
        self.seen: dict[str, None] = {}  # the ids of the facts taken in (a dict: see SlaState)
        self.seq = 0
        self.latest_version = bundle.header.version  # with amendments loaded
        self.ctx.agenda.schedule(self.ctx.time.start, self.obligations_kernel.start, "start")
        self._ending = self._schedule_end(self.ctx.time.end)
        self.plans = PlanKernel(self.obligations_kernel, self.windows_kernel, self.triggers)

    def _schedule_end(self, end: datetime) -> list[Item]:
        kernel = self.obligations_kernel
        return [
            self.ctx.agenda.schedule(end, partial(close_out, kernel), "close-out"),
            self.ctx.agenda.schedule(
                settlement_time(kernel, end), partial(settle, kernel), "settlement"
            ),
        ]

    @classmethod
    def load(cls, source: ir.Bundle | str | Path, engine: str = "compiled") -> Engine:
        return cls(load_bundle(source), engine)

    # ------------------------------------------------------------ input

    def validate(self, facts: Iterable[Mapping[str, Any]]) -> list[Fact]:
        """Check a whole batch; raise FactError listing every problem, applying nothing."""
        problems: list[Problem] = []
        accepted: list[Fact] = []
        ids: set[str] = set()
        for index, raw in enumerate(facts):
            try:
                fact = self.schemas.validate(raw, index, self.seq + index)
            except FactError as error:
                problems.extend(error.problems)
                continue
            if fact.id in self.seen or fact.id in ids:
                problems.append(
                    Problem(
                        fact.id,
                        None,
                        "duplicate fact id: this fact was "
                        "already received and is not applied twice",
                        index,
                    )
                )
                continue
            ids.add(fact.id)
            accepted.append(fact)
        if problems:
            raise FactError(problems)
        return accepted

    def ingest(self, facts: Iterable[Mapping[str, Any]]) -> list[Event]:
        """Apply a batch of facts atomically and return the events it caused."""
        return self.ingest_validated(self.validate(list(facts)))

    def ingest_validated(self, batch: list[Fact]) -> list[Event]:
        """Apply the facts `validate` has just accepted, with nothing ingested in between
        (their sequence numbers and the duplicate check are as of that call): a portfolio
        validates every contract's share of a batch before it applies any."""
        self.ctx.outbox = []
        self.windows_kernel.batch = {}  # late facts restate their windows once per batch
        try:
            for fact in sorted(batch, key=lambda f: (f.time, f.seq)):
                self._run_agenda(fact.time, inclusive=False)
                self._apply(fact)
            self.windows_kernel.flush(self.ctx.clock)
        finally:
            self.windows_kernel.batch = None
        self.seq += len(batch)
        return self.ctx.take_outbox()

    def _apply(self, fact: Fact) -> None:
        self.seen[fact.id] = None
        now = max(self.ctx.clock, fact.time)
        self.ctx.clock = now
        self.ctx.keep(fact)
        what, guard = f"fact {fact.id}", self.ctx.guard
        guard(what, self.obligations_kernel.on_fact, fact, now)
        guard(what, self.windows_kernel.on_fact, fact, now)
        guard(what, self.plans.on_fact, fact, now)

    def advance_to(self, moment: datetime) -> list[Event]:
        """Move the logical clock to `moment`, firing everything due up to and including it."""
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise EngineError(f"advance_to needs a date-time with a zone, not {moment!r}")
        moment = moment.astimezone(UTC)
        if moment < self.ctx.clock:
            raise EngineError(
                f"the clock is at {self.ctx.clock.isoformat()}; it cannot move "
                f"back to {moment.isoformat()}"
            )
        self.ctx.outbox = []
        self._run_agenda(moment, inclusive=True)
        self.ctx.clock = moment
        return self.ctx.take_outbox()

    def _run_agenda(self, until: datetime, inclusive: bool) -> None:
        while (item := self.ctx.agenda.due(until, inclusive)) is not None:
            if self.windows_kernel.batch:  # the late facts before it restate first
                self.windows_kernel.flush(self.ctx.clock)
            self.ctx.clock = max(self.ctx.clock, item.time)
            self.ctx.guard(item.label, item.action, item.time)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Clauses that failed at run time (RT4xx), in the order they failed."""
        return self.ctx.diagnostics

    # ------------------------------------------------------------ decisions of the parties

    def exercise(self, power: str, note: str = "") -> list[Event]:
        """Exercise an open power, named as its grant event says ("exercise as":
        `deliver_servers/deliver_servers:terminate`, `uptime/2026-03`). Exercising a right
        to terminate ends the contract when its notice runs out: at once, and close-out with
        it, when it has none."""
        self.ctx.outbox = []
        try:
            state = self.powers.exercise(power, self.ctx.clock, note)
        except (KeyError, ValueError) as error:
            raise EngineError(str(error).strip("'\"")) from error
        if state.action == "terminate":
            end = self.ctx.clock
            if state.notice is not None:
                end = self.ctx.time.add(end, state.notice.amount, state.notice.unit)
                self.ctx.emit(
                    state.clause,
                    "notice",
                    self.ctx.clock,
                    f"notice of termination given: the contract ends on "
                    f"{self.ctx.time.local(end):%Y-%m-%d %H:%M %Z}, after {state.notice}",
                    instance=state.instance,
                    causes=[state.grant[0]],
                )
            if end < min(self.ctx.ended_at or self.ctx.time.end, self.ctx.time.end):
                for item in self._ending:
                    item.cancelled = True
                self.ctx.ended_at = end
                self.windows_kernel.terminate(end)
                self._ending = self._schedule_end(end)
            self._run_agenda(self.ctx.clock, inclusive=True)
        return self.ctx.take_outbox()

    def amend(self, bundle: ir.Bundle) -> list[Event]:
        """Load an amendment (the bundle `clausec.compiler.compile_amendment` makes): the new
        version takes over at the start of its effective date (runtime.amend). Amendments
        load in version order, before the clock passes their effective date."""
        from runtime.amend import AmendmentError, schedule

        self.ctx.outbox = []
        try:
            schedule(self, bundle)
        except AmendmentError as error:
            raise EngineError(str(error)) from error
        self.schemas.adopt(bundle)  # its new fact types may arrive before it takes effect
        return self.ctx.take_outbox()

    def discharge(self, obligation: str, reason: str) -> list[Event]:
        """Waive or release an obligation instance (by id, as in `obligations()`), saying why."""
        if not reason.strip():
            raise EngineError("a discharge needs its reason: who waived or released it, and why")
        self.ctx.outbox = []
        inst = self.obligations_kernel.instances.get(obligation)
        if inst is None:
            raise EngineError(f"no obligation '{obligation}'")
        if (
            inst.state not in ("created", "in_effect", "suspended", "violated")
            or inst.performed is not None
        ):
            raise EngineError(
                f"'{obligation}' is {inst.state}; only an open obligation can be discharged"
            )
        self.obligations_kernel.discharge(inst, self.ctx.clock, reason)
        return self.ctx.take_outbox()

    # ------------------------------------------------------------ output

    @property
    def clock(self) -> datetime:
        return self.ctx.clock

    def events(self) -> list[Event]:
        return list(self.ctx.events)

    def explain(self, event_id: str) -> Event:
        for event in self.ctx.events:
            if event.id == event_id:
                return event
        raise EngineError(f"no event {event_id}")

    def windows(self) -> list[Assessment]:
        """Every assessed window of every SLA, in assessment order."""
        return [
            a for state in self.windows_kernel.state.values() for a in state.assessments.values()
        ]

    def ledger(self) -> list[Charge]:
        """Every amount charged (credits, penalties, incentives, restatements), in order."""
        return list(self.ctx.charges)

    def obligations(self) -> list[Instance]:
        return sorted(self.obligations_kernel.instances.values(), key=lambda i: i.id)

    def close(self) -> None:
        self.matcher.close()
