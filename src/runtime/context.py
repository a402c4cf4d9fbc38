"""The engine's shared state and the services every kernel uses: the clock and agenda, the
facts received, the event log, parameters, and the ledger of amounts charged under each cap.

Kernels (obligations, windows, triggers, close-out) hold no state of their own beyond what
they register here, so one `Context` is the whole state of one loaded contract, and two
engines never share anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVarTuple

from clausec import ir
from clausec.diagnostics import NO_SPAN, Diagnostic
from runtime.agenda import Agenda
from runtime.amounts import Trace, UniqueViolation, apply_limits
from runtime.calendar import ContractTime
from runtime.evaluate import Scope, evaluate
from runtime.events import Event, EventLog, event_id_after, event_id_prefix, iso
from runtime.facts import Fact
from runtime.money import CurrencyMismatch, Money

if TYPE_CHECKING:
    from runtime.amend import Terms

Listener = Callable[[Event, datetime], None]
Ts = TypeVarTuple("Ts")


def _code_of(error: Exception) -> str:
    """RT403 for a `unique` constraint broken, RT402 for currencies mixed, RT401 otherwise."""
    if isinstance(error, UniqueViolation):
        return "RT403"
    if isinstance(error, CurrencyMismatch):
        return "RT402"
    return "RT401"


def _runtime(code: str, what: str, error: Exception) -> Diagnostic:
    return Diagnostic(
        code,
        f"{what}: {error}",
        NO_SPAN,
        help="the other clauses were evaluated; fix the contract or the facts",
    )


@dataclass(slots=True)
class Charge:
    """An amount charged: the basis of caps, the settlement statement and restatements."""

    clause: str
    kind: str
    amount: Money
    time: datetime
    event: str
    buckets: dict[str, str] = field(default_factory=dict)
    window: str | None = None
    payee: str = ""  # the party the amount is owed to


class Context:
    def __init__(self, bundle: ir.Bundle) -> None:
        header = bundle.header
        self.bundle = bundle
        self.time = ContractTime(
            header.timezone,
            header.calendar,
            date.fromisoformat(header.effective_from),
            date.fromisoformat(header.effective_until),
        )
        self.currency = header.currency
        self.rounding = (header.rounding_mode, Decimal(header.rounding_quantum))
        self.agenda = Agenda()
        self.clock: datetime = self.time.start
        # Facts received, by type: a keyed fact under its key (a later report replaces the
        # earlier and moves to the end), any other under its sequence number.
        self.facts: dict[str, dict[str | int, Fact]] = {}
        self.events = EventLog()
        self.outbox: list[Event] = []
        self._last_iso: tuple[datetime, str] | None = None
        self.listeners: list[Listener] = []
        self.charges: list[Charge] = []
        self.occurrences: dict[tuple[str, str | None, str], int] = {}
        self._clause_cache: dict[str, tuple[Any, Any, tuple[str | None, str, str, str]]] = {}
        self.clauses: dict[str, ir.Clause] = {c.id: c for c in bundle.clauses()}
        self.diagnostics: list[Diagnostic] = []
        self.ended_at: datetime | None = None  # set when a party terminates early
        self.params = self.evaluate_params()
        # The versions in force so far, once an amendment has been adopted (runtime.amend).
        self.versions: list[Terms] = []

    def __getstate__(self) -> dict[str, Any]:
        """The state without the per-clause cache of `emit`, which is rebuilt on use."""
        state = dict(self.__dict__)
        state["_clause_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("_clause_cache", {})
        self.__dict__.update(state)

    def evaluate_params(self) -> dict[str, Any]:
        """The parameters' values under the current bundle."""
        values: dict[str, Any] = {}
        for param in self.bundle.params:
            if param.value is not None:
                values[param.name] = evaluate(param.value, Scope(self.time, values))
        return values

    def _iso(self, moment: datetime) -> str:
        """`iso(moment)`, remembered for the next event: an event's consequences share
        its time."""
        last = self._last_iso
        if last is not None and last[0] == moment:
            return last[1]
        text = iso(moment)
        self._last_iso = (moment, text)
        return text

    def take_outbox(self) -> list[Event]:
        """The events of the call that ends, handed over: the engine keeps no reference, so
        a caller that drops them frees them at once instead of the garbage collector having
        to walk them as old objects (with a thousand engines, most of its work)."""
        events, self.outbox = self.outbox, []
        return events

    def keep(self, fact: Fact) -> None:
        store = self.facts.setdefault(fact.type, {})
        if fact.key is None:
            store[fact.seq] = fact
        else:
            store.pop(fact.key, None)
            store[fact.key] = fact

    def guard(self, what: str, action: Callable[[*Ts], object], *args: *Ts) -> None:
        """`action(*args)`; a clause that fails at run time is reported as a diagnostic, and
        the others go on."""
        try:
            action(*args)
        except (
            ArithmeticError,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            OverflowError,
        ) as error:
            # One handler: mypyc gives a name bound by several handlers the first one's type.
            self.diagnostics.append(_runtime(_code_of(error), what, error))

    def report(self, code: str, what: str, message: str) -> None:
        self.diagnostics.append(_runtime(code, what, ValueError(message)))

    def party_of(self, role_or_party: str | None) -> str:
        roles = {r.name: r.party for r in self.bundle.roles}
        return roles.get(role_or_party or "", role_or_party or "")

    @property
    def customer(self) -> str:
        """The settlement statement's point of view: the first party the contract declares."""
        return self.bundle.parties[0].name if self.bundle.parties else "customer"

    def counterparty(self, role_or_party: str | None) -> str:
        """The other side of a two-party contract from a role's or party's point of view: the
        one a credit is owed to when the owner's side misses an SLA."""
        roles = {r.name: r.party for r in self.bundle.roles}
        party = roles.get(role_or_party or "", role_or_party)
        others = [p.name for p in self.bundle.parties if p.name != party]
        return others[0] if len(others) == 1 else "customer"

    def scope(self, **changes: Any) -> Scope:
        return Scope(self.time, self.params, **changes)

    # ------------------------------------------------------------ events

    def emit(
        self,
        clause: str,
        kind: str,
        time: datetime,
        summary: str,
        *,
        instance: str | None = None,
        amount: Money | None = None,
        verdict: str | None = None,
        parties: dict[str, Any] | None = None,
        facts: Sequence[str] | None = None,
        values: dict[str, Any] | None = None,
        steps: list[dict[str, str]] | None = None,
        causes: list[str] | None = None,
    ) -> Event:
        key = (clause, instance, kind)
        occurrence = self.occurrences.get(key, 0)
        self.occurrences[key] = occurrence + 1
        ref, span, text, prefix = self._clause_facts(clause)
        header = self.bundle.header
        event = self.events.record(
            (
                event_id_after(prefix, instance, kind, occurrence),
                len(self.events) + 1,
                header.id,
                header.version,
                clause,
                ref,
                span,
                kind,
                self._iso(time),
                instance,
                str(amount) if amount is not None else None,
                verdict,
            ),
            dict(parties) if parties else {},
            summary,
            text,
            list(facts) if facts else [],
            {k: str(v) for k, v in values.items()} if values else {},
            [dict(step) for step in steps] if steps else [],
            list(causes) if causes else [],
        )
        self.outbox.append(event)
        for listener in list(self.listeners):
            listener(event, time)
        return event

    def _clause_facts(self, clause: str) -> tuple[str | None, str, str, str]:
        """What every event of `clause` repeats (its ref, span, text and id prefix), worked
        out once per clause and kept while the clause's spec and the header stay the same
        objects (an amendment replaces them)."""
        spec = self.clauses.get(clause)
        if spec is None:
            spec = self.clauses.get(clause.split("[")[0])
        header = self.bundle.header
        cached = self._clause_cache.get(clause)
        if cached is not None and cached[0] is spec and cached[1] is header:
            return cached[2]
        span = spec.span if spec else None
        facts = (
            spec.ref if spec else None,
            f"{span.path}:{span.line}:{span.col}" if span else "",
            spec.text if spec else "",
            event_id_prefix(header.id, clause),
        )
        self._clause_cache[clause] = (spec, header, facts)
        return facts

    # ------------------------------------------------------------ amounts and caps

    def bucket(self, scope: str, time: datetime, window: str | None, instance: str | None) -> str:
        """The cap bucket an amount falls in. A bare cap on a `for each` obligation is per
        instance (it has no window); an amount charged at the contract's end belongs to its
        last period, not to the one after; periods are named by their local start date."""
        if scope in ("window", "instance"):
            return f"{scope}:{window or instance}"
        if scope == "contract":
            return "contract"
        moment = min(time, self.time.end - timedelta(microseconds=1))
        if scope == "contract_year":
            start = self.time.contract_year_start(moment)
        else:
            start = self.time.period_start(moment, scope)
        return f"{scope}:{self.time.local(start).date()}"

    def used(
        self, clause: str | None, kinds: tuple[str, ...], bucket_key: str, bucket: str
    ) -> Money:
        total = Money.zero(self.currency)
        for charge in self.charges:
            if (
                (clause is None or charge.clause == clause)
                and charge.kind in kinds
                and charge.buckets.get(bucket_key) == bucket
            ):
                total = total + charge.amount
        return total

    def charge(
        self,
        clause: str,
        kind: str,
        value: Money,
        limits: list[ir.Limit],
        scope: Scope,
        time: datetime,
        trace: Trace,
        window: str | None = None,
        instance: str | None = None,
        payee: str = "",
    ) -> tuple[Money, Charge]:
        """Apply the clause's limits and the contract's aggregate caps, then record."""
        buckets = {
            str(lim.scope): self.bucket(str(lim.scope), time, window, instance)
            for lim in limits
            if lim.kind == "cap"
        }
        used = {key: self.used(clause, (kind,), key, b) for key, b in buckets.items()}
        value, _ = apply_limits(value, limits, scope, used, trace, self.rounding)
        for number, cap in enumerate(self.bundle.aggregate_caps):
            if kind not in cap.kinds:
                continue
            key = f"aggregate{number}:{cap.scope}"
            buckets[key] = self.bucket(cap.scope, time, window, instance)
            limit = evaluate(cap.amount, scope)
            room = limit - self.used(None, tuple(cap.kinds), key, buckets[key])
            room = room if room.amount > 0 else Money.zero(self.currency)
            if value > room:
                trace.add(
                    "aggregate cap",
                    on=",".join(cap.kinds),
                    scope=cap.scope,
                    cap=limit,
                    before=value,
                    after=room,
                )
                value = room
        record = Charge(
            clause, kind, value, time, "", buckets, window or instance, self.party_of(payee)
        )
        self.charges.append(record)
        return value, record
