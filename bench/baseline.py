"""The plain-Python baseline: the portfolio's credits and penalties by a hand-written loop.

In: the contracts' parameters (`ContractSpec`) and the fact stream as JSON lines. Out: per
contract, the same figures the engine's events add up to (`Figures`): service credits,
liquidated damages, incident penalties and late-payment interest, exact Decimals rounded as the
contract says, and the number of renegotiation triggers and escalations.

It is the stand-in for the fastest a program could be that knows these contracts by heart:
no schemas, no IR, no explanations, one dict lookup per fact. It is also the benchmark's
correctness check, so it is written from the contract's words, not from the runtime's code:
- a month is assessed at its end plus 5 days' grace, on the downtime reported by then (the
  latest report of each ticket; maintenance announced 5 days ahead excluded; overlapping
  outages counted once); a report that arrives later re-assesses the month and the credit
  becomes the re-assessed one, while the renegotiation count keeps the first verdict;
- a duty is late when its evidence arrives after the deadline; lateness is charged when the
  evidence arrives, or at the contract's end for what never arrived; a deadline at or after the
  end is no breach;
- an escalation level fires when the breach is still unremedied at its time, before the end.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from bench.contracts import LOOKUP, TERM, ContractSpec

CENT = Decimal("0.01")
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
GRACE_DAYS = 5
MAINTENANCE_NOTICE = 5


@dataclass
class Figures:
    """What one contract owes, as its events add up to."""

    credit: Decimal = Decimal(0)
    damages: Decimal = Decimal(0)
    penalty: Decimal = Decimal(0)
    interest: Decimal = Decimal(0)
    triggers: int = 0
    escalations: int = 0

    def as_dict(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


# -- time in a contract's zone and calendar ------------------------------------------------------


def wall(naive: datetime, zone: ZoneInfo) -> datetime:
    return naive.replace(tzinfo=zone).astimezone(UTC)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return wall(datetime.combine(day, time(0)), zone)


def add_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Days keep the local wall-clock time across a clock change."""
    return wall(moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=days), zone)


def add_months(moment: datetime, months: int, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone).replace(tzinfo=None)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    for day in (local.day, 30, 29, 28):
        try:
            return wall(local.replace(year=year, month=month, day=day), zone)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {moment}")


@cache
def holiday_calendar(country: str) -> frozenset[date]:
    years = range(TERM[0].year - 1, TERM[1].year + 3)
    return frozenset(holidays.country_holidays(country, years=years).keys())


def add_business_days(moment: datetime, count: int, zone: ZoneInfo, country: str) -> datetime:
    """The same time on the N-th business day after; from a midnight (the end of the day
    before), the end of the N-th business day."""
    closed = holiday_calendar(country)
    local = moment.astimezone(zone)
    day = local.date()
    at_midnight = local.time() == time(0)
    if at_midnight:
        day -= timedelta(days=1)
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            count -= 1
    if at_midnight:
        return midnight(day + timedelta(days=1), zone)
    return wall(datetime.combine(day, local.time()), zone)


def minutes_between(start: datetime, end: datetime) -> Decimal:
    return Decimal(int((end - start).total_seconds())) / 60


def units_late(minutes: Decimal, unit_minutes: int) -> Decimal:
    """Units late, each started unit counting in full ("or part thereof")."""
    return Decimal(math.ceil(minutes / unit_minutes))


# -- one contract --------------------------------------------------------------------------------


@dataclass
class Window:
    start: datetime
    end: datetime
    close: datetime
    credit: Decimal = Decimal(0)
    assessed: bool = False


@dataclass
class Duty:
    deadline: datetime
    amount: Decimal = Decimal(0)  # the invoice's amount, for interest
    performed: datetime | None = None
    escalates: bool = True  # False when first reported already done: no breach was seen


@dataclass
class Book:
    """One contract's terms and running state."""

    spec: ContractSpec
    zone: ZoneInfo = field(init=False)
    start: datetime = field(init=False)
    end: datetime = field(init=False)
    figures: Figures = field(default_factory=Figures)
    windows: list[Window] = field(default_factory=list)
    next_close: int = 0
    outages: dict[str, tuple[datetime, datetime, bool]] = field(default_factory=dict)
    breaches: list[datetime] = field(default_factory=list)
    incidents: dict[str, Duty] = field(default_factory=dict)
    invoices: dict[str, Duty] = field(default_factory=dict)
    delivery: Duty = field(init=False)

    def __post_init__(self) -> None:
        spec = self.spec
        self.zone = spec.zone
        self.start = midnight(TERM[0], self.zone)
        self.end = midnight(TERM[1] + timedelta(days=1), self.zone)
        for month in range(1, 13):
            start = midnight(date(2026, month, 1), self.zone)
            end = add_months(start, 1, self.zone)
            self.windows.append(Window(start, end, add_days(end, GRACE_DAYS, self.zone)))
        self.delivery = Duty(wall(spec.delivery_due, self.zone))
        self.rounding = ROUNDING[spec.rounding]
        self.target = spec.uptime_target / 100
        self.fee = spec.monthly_fee

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(CENT, rounding=self.rounding)

    # -- the clock: month ends are assessed before any later fact ------------------------------

    def advance(self, moment: datetime) -> None:
        while self.next_close < 12 and self.windows[self.next_close].close < moment:
            window = self.windows[self.next_close]
            self.next_close += 1
            self.assess(window, first=True)

    def assess(self, window: Window, first: bool) -> None:
        availability = self.availability(window)
        exclusive = self.spec.shape.exclusive
        met = availability > self.target if exclusive else availability >= self.target
        window.assessed = True
        if met:
            window.credit = Decimal(0)
        else:
            window.credit = self.credit(availability)
            if first:
                self.count_breach(window.close)

    def availability(self, window: Window) -> Decimal:
        clipped = sorted(
            (max(a, window.start), min(b, window.end))
            for a, b, counted in self.outages.values()
            if counted and a < window.end and b > window.start
        )
        down = Decimal(0)
        current: list[datetime] | None = None
        for a, b in clipped:
            if current is not None and a <= current[1]:
                current[1] = max(current[1], b)
                continue
            if current is not None:
                down += minutes_between(current[0], current[1])
            current = [a, b]
        if current is not None:
            down += minutes_between(current[0], current[1])
        return Decimal(1) - down / minutes_between(window.start, window.end)

    def credit(self, availability: Decimal) -> Decimal:
        s = self.spec
        exclusive = s.shape.exclusive  # tiers include their thresholds

        def below(threshold: Decimal) -> bool:
            return availability <= threshold if exclusive else availability < threshold

        if below(Decimal("0.95")):
            rate = s.major_credit
        elif below(Decimal("0.99")):
            rate = s.middle_credit
        elif below(self.target):
            rate = s.minor_credit
        else:
            return Decimal(0)
        value = self.fee * (rate / 100)
        if value <= 0:
            return Decimal(0)
        return self.round(min(value, self.fee * (s.credit_cap / 100)))

    def count_breach(self, now: datetime) -> None:
        since = add_months(now, -6, self.zone)
        self.breaches = [t for t in self.breaches if t > since] + [now]
        if len(self.breaches) == 3:
            self.figures.triggers += 1

    # -- facts -------------------------------------------------------------------------------------

    def downtime(self, fact: dict[str, Any]) -> None:
        start = datetime.fromisoformat(fact["start"]).astimezone(UTC)
        end = datetime.fromisoformat(fact["end"]).astimezone(UTC)
        counted = not (fact["scheduled"] and fact["notice_days"] >= MAINTENANCE_NOTICE)
        self.outages[fact["ticket"]] = (start, end, counted)
        for window in self.windows[: self.next_close]:  # a late report re-assesses its month
            if start < window.end and end > window.start:
                self.assess(window, first=False)

    def incident(self, fact: dict[str, Any], now: datetime) -> None:
        duty = self.incidents.get(fact["ticket"])
        if duty is None:
            opened = datetime.fromisoformat(fact["opened"]).astimezone(UTC)
            amount, unit = LOOKUP[self.spec.shape.gold][fact["priority"]]
            if unit == "hour":
                deadline = opened + timedelta(hours=amount)
            else:
                deadline = add_business_days(opened, amount, self.zone, self.spec.shape.calendar)
            escalates = fact["resolved"] is None
            duty = self.incidents[fact["ticket"]] = Duty(deadline, escalates=escalates)
        if fact["resolved"] is not None and duty.performed is None:
            duty.performed = now
            self.incident_lateness(duty, now)

    def incident_lateness(self, duty: Duty, performed: datetime) -> None:
        if performed <= duty.deadline:
            return
        s = self.spec
        units = units_late(minutes_between(duty.deadline, performed), 60)
        self.figures.penalty += self.round(min(s.incident_penalty * units, s.incident_cap))
        if not duty.escalates:
            return
        ends = (
            duty.deadline + timedelta(hours=2),
            add_business_days(duty.deadline, 1, self.zone, s.shape.calendar),
        )
        self.figures.escalations += sum(1 for t in ends if t < self.end and t < performed)

    def invoice(self, fact: dict[str, Any]) -> None:
        if fact["disputed"]:
            return
        issued = datetime.fromisoformat(fact["issued"]).astimezone(UTC)
        deadline = add_days(issued, self.spec.payment_days, self.zone)
        self.invoices[fact["number"]] = Duty(deadline, Decimal(fact["amount"].split()[0]))

    def payment(self, fact: dict[str, Any], now: datetime) -> None:
        duty = self.invoices.get(fact["invoice_number"])
        if duty is None or duty.performed is not None:
            return
        if Decimal(fact["amount"].split()[0]) >= duty.amount:
            duty.performed = now
            self.interest(duty, now)

    def interest(self, duty: Duty, performed: datetime) -> None:
        if performed <= duty.deadline:
            return
        s = self.spec
        per_day = duty.amount * (s.interest_rate / 100) * (1 / Decimal(s.interest_basis))
        units = units_late(minutes_between(duty.deadline, performed), 1440)
        self.figures.interest += self.round(per_day * units)

    def delivered(self, fact: dict[str, Any], now: datetime) -> None:
        duty = self.delivery
        if fact["order"] != self.spec.order_ref or not fact["accepted"] or duty.performed:
            return
        duty.performed = now
        self.damages(now)

    def damages(self, performed: datetime) -> None:
        s = self.spec
        deadline = self.delivery.deadline
        if performed <= deadline:
            return
        unit = 10080 if s.shape.weekly else 1440
        units = units_late(minutes_between(deadline, performed), unit)
        value = s.order_value * (s.ld_rate / 100) * units
        self.figures.damages += self.round(min(value, s.order_value * (s.ld_cap / 100)))

    # -- the end -----------------------------------------------------------------------------------

    def finish(self) -> Figures:
        """Close-out at the end, then the last months' assessments."""
        end = self.end
        if self.delivery.performed is None and self.delivery.deadline < end:
            self.damages(end)
        for duty in self.incidents.values():
            if duty.performed is None and duty.deadline < end:
                self.incident_lateness(duty, end)
        for duty in self.invoices.values():
            if duty.performed is None and duty.deadline < end:
                self.interest(duty, end)
        self.advance(datetime.max.replace(tzinfo=UTC))
        self.figures.credit = sum((w.credit for w in self.windows), Decimal(0))
        return self.figures


def run(specs: list[ContractSpec], lines: list[str]) -> dict[str, Figures]:
    """Every contract's figures from the stream: the loop the benchmark times."""
    books = {spec.id: Book(spec) for spec in specs}
    for line in lines:
        fact = json.loads(line, parse_float=Decimal)
        book = books[fact["contract"]]
        kind = fact["type"]
        if kind == "downtime":
            now = datetime.fromisoformat(fact["end"]).astimezone(UTC)
            book.advance(now)
            book.downtime(fact)
        elif kind == "incident":
            now = datetime.fromisoformat(fact["resolved"] or fact["opened"]).astimezone(UTC)
            book.advance(now)
            book.incident(fact, now)
        elif kind == "invoice":
            now = datetime.fromisoformat(fact["issued"]).astimezone(UTC)
            book.advance(now)
            book.invoice(fact)
        elif kind == "payment":
            now = datetime.fromisoformat(fact["at"]).astimezone(UTC)
            book.advance(now)
            book.payment(fact, now)
        elif kind == "delivery":
            now = datetime.fromisoformat(fact["at"]).astimezone(UTC)
            book.advance(now)
            book.delivered(fact, now)
    return {cid: book.finish() for cid, book in books.items()}
