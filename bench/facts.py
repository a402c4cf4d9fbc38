"""The benchmark's fact stream: a year of facts for each contract, merged in time order.

In: the contracts (`ContractSpec`), a total fact count and a seed. Out: JSON lines sorted by
fact time (a fact's latest date-time, to the second), each naming its contract, in a realistic
mix: about 30% downtime reports (a few corrected later, some announced maintenance), 40%
incidents opened and resolved (some late, some never, some reported only once fixed), 28%
invoices and payments (some late, partial, disputed or never paid) and 2% deliveries (the
contract's order on time, late, rejected first or never; other orders besides). The facts are
spread over contracts with a mild skew: a few contracts have many more than the rest.

The same seed always gives the same facts; nothing here touches the runtime.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bench.contracts import SEED, TERM, ContractSpec

# Expected share of each kind of event in the stream, divided by the facts each one makes
# (an incident is opened and resolved, an invoice is paid): 30% downtime, 40% incidents,
# 28% invoices and payments, 2% deliveries.
EVENT_WEIGHTS = (("downtime", 30.0), ("incident", 20.5), ("invoice", 14.0), ("delivery", 2.0))


@dataclass(frozen=True, slots=True)
class Stream:
    """The fact stream: JSON lines sorted by fact time, and how many facts of each type."""

    lines: list[str]
    counts: dict[str, int]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def term_bounds(zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(TERM[0], time(0), zone).astimezone(UTC)
    end = datetime.combine(TERM[1] + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


class _Facts:
    """The facts of one contract, as they are generated."""

    def __init__(self, spec: ContractSpec, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self.zone = spec.zone
        self.start, self.end = term_bounds(self.zone)
        self.last = self.end - timedelta(days=1)  # nothing is reported after this
        self.items: list[tuple[datetime, int, dict[str, Any]]] = []

    def stamp(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    def anytime(self) -> datetime:
        span = (self.last - self.start).total_seconds()
        return self.start + timedelta(seconds=int(self.rng.random() * span))

    def add(self, moment: datetime, kind: str, suffix: str, **fields: Any) -> None:
        """Record a fact at `moment`, its time: its latest date-time, to the second."""
        moment = moment.replace(microsecond=0)
        fact = {"id": f"{self.spec.id}-{suffix}", "type": kind, "contract": self.spec.id}
        fact.update(fields)
        self.items.append((moment, len(self.items), fact))


def _report(
    f: _Facts, suffix: str, ticket: str, begin: datetime, end: datetime, notice: int | None
) -> None:
    """One downtime report, known at its end; `notice` is None for unscheduled downtime."""
    f.add(
        end,
        "downtime",
        suffix,
        ticket=ticket,
        start=f.stamp(begin),
        end=f.stamp(end),
        scheduled=notice is not None,
        notice_days=notice or 0,
    )


def _downtime(f: _Facts, n: int, expected: int) -> None:
    rng = f.rng
    maintenance = min(0.15, 12 / max(expected, 1))
    ticket = f"DT-{f.spec.index:05d}-{n}"
    begin = f.anytime()
    if rng.random() < maintenance:
        length = timedelta(minutes=rng.randrange(30, 181, 5))
        notice = rng.choice((0, 2, 5, 7, 7, 10, 14))
        _report(f, f"dt{n}", ticket, begin, min(begin + length, f.last), notice)
        return
    mean = min(max(f.spec.downtime_minutes * 12 / max(expected, 1), 2.0), 480.0) * 60
    end = min(begin + timedelta(seconds=max(30, int(rng.expovariate(1 / mean)))), f.last)
    _report(f, f"dt{n}", ticket, begin, end, None)
    if rng.random() < 0.03:  # a corrected report: the outage lasted longer than first said
        later = min(end + timedelta(minutes=rng.randrange(5, 61)), f.last)
        _report(f, f"dt{n}c", ticket, begin, later, None)


_RESOLUTION_HOURS = {"P1": 3.0, "P2": 10.0, "P3": 72.0}


def _incident(f: _Facts, n: int) -> None:
    rng = f.rng
    priority = rng.choices(("P1", "P2", "P3"), (1, 3, 6))[0]
    ticket = f"INC-{f.spec.index:05d}-{n}"
    opened = f.anytime()
    resolved: datetime | None = opened + timedelta(
        seconds=int(rng.expovariate(1 / (_RESOLUTION_HOURS[priority] * 3600))) + 60
    )
    if rng.random() < 0.03 or (resolved is not None and resolved > f.last):
        resolved = None
    if resolved is not None and rng.random() < 0.05:  # logged only once it was fixed
        f.add(
            resolved,
            "incident",
            f"in{n}",
            ticket=ticket,
            priority=priority,
            opened=f.stamp(opened),
            resolved=f.stamp(resolved),
        )
        return
    f.add(
        opened,
        "incident",
        f"in{n}o",
        ticket=ticket,
        priority=priority,
        opened=f.stamp(opened),
        resolved=None,
    )
    if resolved is not None:
        f.add(
            resolved,
            "incident",
            f"in{n}r",
            ticket=ticket,
            priority=priority,
            opened=f.stamp(opened),
            resolved=f.stamp(resolved),
        )


def _invoice(f: _Facts, n: int) -> None:
    rng = f.rng
    number = f"INV-{f.spec.index:05d}-{n}"
    issued = f.anytime()
    amount = (f.spec.monthly_fee * Decimal(rng.randrange(20, 150)) / 100).quantize(
        Decimal("0.01")
    ) + Decimal(rng.randrange(100)) / 100
    disputed = rng.random() < 0.05
    f.add(
        issued,
        "invoice",
        f"iv{n}",
        number=number,
        issued=f.stamp(issued),
        amount=f"{amount} EUR",
        disputed=disputed,
    )
    if disputed or rng.random() < 0.08:
        return  # disputed, or never paid
    terms = timedelta(days=f.spec.payment_days)
    if rng.random() < 0.7:
        paid = issued + terms * rng.uniform(0.3, 1.0)
    else:
        paid = issued + terms + timedelta(seconds=int(rng.expovariate(1 / (10 * 86400))) + 600)
    part = issued + (paid - issued) / 2
    if rng.random() < 0.05 and part <= f.last:  # a part payment, which settles nothing
        f.add(
            part,
            "payment",
            f"pa{n}p",
            reference=f"PAY-{f.spec.index:05d}-{n}-p",
            invoice_number=number,
            at=f.stamp(part),
            amount=f"{amount / 2:.2f} EUR",
        )
    if paid <= f.last:
        f.add(
            paid,
            "payment",
            f"pa{n}",
            reference=f"PAY-{f.spec.index:05d}-{n}",
            invoice_number=number,
            at=f.stamp(paid),
            amount=f"{amount} EUR",
        )


def _main_delivery(f: _Facts) -> None:
    """The order the delivery clause is about: on time, late, or never delivered."""
    rng = f.rng
    due = f.spec.delivery_due.replace(tzinfo=f.zone).astimezone(UTC)
    outcome = rng.random()
    if outcome < 0.1:
        return
    if outcome < 0.6:
        at = due - timedelta(seconds=int(rng.uniform(0.5, 10) * 86400))
    else:
        at = due + timedelta(seconds=int(rng.expovariate(1 / (6 * 86400))) + 600)
    at = min(at, f.last)
    if rng.random() < 0.15:  # first delivered, rejected, then delivered again
        first = at - timedelta(days=rng.uniform(1, 5))
        f.add(first, "delivery", "dl0r", order=f.spec.order_ref, at=f.stamp(first), accepted=False)
    f.add(at, "delivery", "dl0", order=f.spec.order_ref, at=f.stamp(at), accepted=True)


def _other_delivery(f: _Facts, n: int) -> None:
    at = f.anytime()
    f.add(
        at,
        "delivery",
        f"dl{n}",
        order=f"PO-{f.spec.index:05d}-{n + 1}",
        at=f.stamp(at),
        accepted=f.rng.random() < 0.9,
    )


def contract_facts(
    spec: ContractSpec, budget: int, seed: int
) -> list[tuple[datetime, dict[str, Any]]]:
    """About `budget` facts for one contract over the term, in time order."""
    rng = random.Random(f"{seed}/facts/{spec.index}")
    f = _Facts(spec, rng)
    _main_delivery(f)
    kinds = [k for k, _ in EVENT_WEIGHTS]
    weights = [w for _, w in EVENT_WEIGHTS]
    expected_downtime = int(budget * 0.30)
    n = 0
    while len(f.items) < budget:
        n += 1
        kind = rng.choices(kinds, weights)[0]
        if kind == "downtime":
            _downtime(f, n, expected_downtime)
        elif kind == "incident":
            _incident(f, n)
        elif kind == "invoice":
            _invoice(f, n)
        else:
            _other_delivery(f, n)
    del f.items[budget:]  # an incident left unresolved, an invoice left unpaid: still valid
    return [(moment, fact) for moment, _, fact in sorted(f.items, key=lambda i: (i[0], i[1]))]


def budgets(count: int, facts: int, seed: int = SEED) -> list[int]:
    """Facts per contract: a mildly skewed portfolio (a few big contracts), summing to `facts`."""
    rng = random.Random(f"{seed}/budgets/{count}")
    weights = [rng.lognormvariate(0, 0.6) for _ in range(count)]
    total = sum(weights)
    shares = [facts * w / total for w in weights]
    result = [int(s) for s in shares]
    by_remainder = sorted(range(count), key=lambda i: shares[i] - result[i], reverse=True)
    for i in by_remainder[: facts - sum(result)]:
        result[i] += 1
    return result


def make_stream(specs: list[ContractSpec], facts: int, seed: int = SEED) -> Stream:
    """The portfolio's facts, merged in time order (ties by contract), as JSON lines."""
    merged: list[tuple[datetime, int, int, dict[str, Any]]] = []
    for spec, budget in zip(specs, budgets(len(specs), facts, seed), strict=True):
        for order, (moment, fact) in enumerate(contract_facts(spec, budget, seed)):
            merged.append((moment, spec.index, order, fact))
    merged.sort(key=lambda item: item[:3])
    counts: dict[str, int] = {}
    lines: list[str] = []
    for _, _, _, fact in merged:
        counts[fact["type"]] = counts.get(fact["type"], 0) + 1
        lines.append(json.dumps(fact, separators=(",", ":")))
    return Stream(lines, counts)
