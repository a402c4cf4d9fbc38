"""The benchmark's contracts: their parameters, from a fixed seed, and their `.clause` text.

In: a contract count and a seed. Out: one `ContractSpec` per contract (its commercial
parameters), the `.clause` text of each contract and the template libraries they import.

Every contract is a managed-service agreement for 2026 built from the same clauses:
- an availability SLA per calendar month with three credit tiers and a monthly cap (inclusive
  or exclusive thresholds);
- incident resolution by priority, with deadlines from a lookup table (standard or gold
  service), a penalty per hour late or part thereof capped per incident, and an escalation
  ladder on breach;
- one delivery with liquidated damages per day (or per week) late or part thereof, capped;
- late-payment interest on every undisputed invoice, per day late or part thereof;
- a counting trigger: three SLA breaches within six months give a renegotiation right.
The clauses' structure (the "shape") varies with the region (time zone and holiday calendar),
the SLA's bounds, the damages' unit and the service level; the figures vary per contract.
The templates live in `bench_lib_*.clause`, written beside the contracts rather than taken from
`stdlib/`, so that the benchmark's semantics (which `baseline.py` mirrors) stay fixed while the
stdlib evolves. `make_specs(n)` is a prefix of `make_specs(m)` for n < m.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

SEED = 20260101
TERM = (date(2026, 1, 1), date(2026, 12, 31))
REGIONS = (("Europe/Berlin", "DE"), ("Europe/Paris", "FR"), ("Europe/London", "GB"))
# Resolution times by priority: (P1 hours, P2, P3) as clause text, and as (amount, unit).
SERVICE = {
    False: ("{ P1: 4 hours, P2: 1 business day, P3: 5 business days }", "standard"),
    True: ("{ P1: 2 hours, P2: 8 hours, P3: 3 business days }", "gold"),
}
LOOKUP: dict[bool, dict[str, tuple[int, str]]] = {
    False: {"P1": (4, "hour"), "P2": (1, "business_day"), "P3": (5, "business_day")},
    True: {"P1": (2, "hour"), "P2": (8, "hour"), "P3": (3, "business_day")},
}


@dataclass(frozen=True, slots=True)
class Shape:
    """What changes the clauses' structure, so contracts of one shape compile alike."""

    region: int
    exclusive: bool  # SLA met only above the target; tiers include their thresholds
    weekly: bool  # damages per week late instead of per day
    gold: bool  # faster incident resolution times

    @property
    def timezone(self) -> str:
        return REGIONS[self.region][0]

    @property
    def calendar(self) -> str:
        return REGIONS[self.region][1]

    @property
    def name(self) -> str:
        return (
            f"{self.calendar.lower()}-{'excl' if self.exclusive else 'incl'}-"
            f"{'week' if self.weekly else 'day'}-{SERVICE[self.gold][1]}"
        )


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """One contract's parameters. Percentages are written as in the contract (99.9 for 99.9%)."""

    index: int
    shape: Shape
    rounding: str
    monthly_fee: Decimal
    uptime_target: Decimal
    minor_credit: Decimal
    middle_credit: Decimal
    major_credit: Decimal
    credit_cap: Decimal
    order_value: Decimal
    delivery_due: datetime  # local wall-clock time, naive
    ld_rate: Decimal
    ld_cap: Decimal
    incident_penalty: Decimal  # per hour late
    incident_cap: Decimal
    interest_rate: Decimal
    interest_basis: int
    payment_days: int
    downtime_minutes: float  # the supplier's typical unscheduled downtime a month (facts only)

    @property
    def id(self) -> str:
        return f"BENCH-{self.index:05d}"

    @property
    def order_ref(self) -> str:
        return f"PO-{self.index:05d}-1"

    @property
    def file_name(self) -> str:
        return f"c{self.index:05d}.clause"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.shape.timezone)

    def params(self) -> dict[str, tuple[str, Any]]:
        """The contract's parameters as (IR type kind, value), in declaration order."""
        return {
            "monthly_fee": ("money", self.monthly_fee),
            "uptime_target": ("percent", self.uptime_target),
            "minor_credit": ("percent", self.minor_credit),
            "middle_credit": ("percent", self.middle_credit),
            "major_credit": ("percent", self.major_credit),
            "credit_cap": ("percent", self.credit_cap),
            "order_ref": ("text", self.order_ref),
            "order_value": ("money", self.order_value),
            "delivery_due": ("datetime", self.delivery_due),
            "ld_rate": ("percent", self.ld_rate),
            "ld_cap": ("percent", self.ld_cap),
            "incident_penalty": ("money", self.incident_penalty),
            "incident_cap": ("money", self.incident_cap),
            "interest_rate": ("percent", self.interest_rate),
            "interest_basis": ("number", Decimal(self.interest_basis)),
            "payment_days": ("duration", Decimal(self.payment_days)),
        }


def _pick(rng: random.Random, values: tuple[str, ...]) -> Decimal:
    return Decimal(rng.choice(values))


def make_specs(count: int, seed: int = SEED) -> list[ContractSpec]:
    rng = random.Random(f"{seed}/contracts")
    specs: list[ContractSpec] = []
    for index in range(1, count + 1):
        shape = Shape(rng.randrange(3), rng.random() < 0.3, rng.random() < 0.25, rng.random() < 0.3)
        due_day = date(2026, 2, 1) + timedelta(days=rng.randrange(270))
        specs.append(
            ContractSpec(
                index=index,
                shape=shape,
                rounding=rng.choice(("half_up", "half_up", "half_even")),
                monthly_fee=Decimal(rng.randrange(2000, 90000, 50)),
                uptime_target=_pick(rng, ("99.5", "99.9", "99.9", "99.95")),
                minor_credit=_pick(rng, ("5", "10")),
                middle_credit=_pick(rng, ("15", "25")),
                major_credit=_pick(rng, ("50", "100")),
                credit_cap=_pick(rng, ("30", "50", "100")),
                order_value=Decimal(rng.randrange(20000, 900000, 1000)),
                delivery_due=datetime.combine(due_day, time(17, 0)),
                ld_rate=_pick(rng, ("0.2", "0.5", "1")),
                ld_cap=_pick(rng, ("5", "10", "15")),
                incident_penalty=_pick(rng, ("75", "150", "250.50")),
                incident_cap=_pick(rng, ("1500", "3000", "5000")),
                interest_rate=_pick(rng, ("4", "8", "9.5", "12")),
                interest_basis=rng.choice((365, 365, 360)),
                payment_days=rng.choice((14, 30, 30, 45, 60)),
                downtime_minutes=rng.lognormvariate(3.3, 0.9),
            )
        )
    return specs


LIBRARY = """\
# Templates of the benchmark portfolio (bench/generate.py). They are pinned here, not imported
# from stdlib/, so that the benchmark's semantics, which bench/baseline.py mirrors, stay fixed.

template uptime_sla "Availability service level" {
  param fee: money
  param target: percent
  param minor_credit: percent
  param middle_credit: percent
  param major_credit: percent
  param monthly_cap: percent
  param owner: role

  fact downtime key ticket {
    ticket: text,
    start: datetime,
    end: datetime,
    scheduled: bool,
    notice_days: number
  }

  metric availability per calendar month = 100% - minutes(downtime) / minutes(window) {
    exclude downtime where scheduled and notice_days >= 5
    missing undetermined
    grace 5 days
  }

  sla credits {
    owner owner
    measure availability
    target availability {ge} target
    credit of fee first match {
      availability {lt} 95%: major_credit
      availability {lt} 99%: middle_credit
      availability {lt} target: minor_credit
    }
    cap monthly_cap of fee per window
  }
}

template delivery_ld "Delivery with liquidated damages" {
  param order_ref: text
  param due: datetime
  param order_value: money
  param rate: percent
  param cap: percent
  param supplier: party
  param buyer: party
  param owner: role

  fact delivery key order { order: text, at: datetime, accepted: bool }

  obligation deliver {
    supplier must deliver delivery where order == order_ref and accepted
    to buyer
    by due
    owner owner
    on breach {
      damages rate of order_value per {unit} late or part thereof
      cap cap of order_value
      if late more than 30 days: buyer may terminate within 60 days
    }
  }
}
"""


def library_text(exclusive: bool, weekly: bool) -> str:
    """The templates, with the SLA's bounds and the damages' unit of one shape."""
    return (
        LIBRARY.replace("{ge}", ">" if exclusive else ">=")
        .replace("{lt}", "<=" if exclusive else "<")
        .replace("{unit}", "week" if weekly else "day")
    )


def library_name(shape: Shape) -> str:
    return f"bench_lib_{'excl' if shape.exclusive else 'incl'}_{'week' if shape.weekly else 'day'}"


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def contract_text(spec: ContractSpec) -> str:
    s = spec
    due = s.delivery_due.strftime("%Y-%m-%dT%H:%M")
    return f"""\
import "{library_name(s.shape)}"

contract "Managed Service Agreement {s.index}" {{
  id "{s.id}"
  version 1
  effective {TERM[0]} until {TERM[1]}
  timezone "{s.shape.timezone}"
  currency EUR
  calendar {s.shape.calendar}
  rounding {s.rounding} to 0.01
  summary "Managed service, {s.shape.name}: availability, incidents, delivery, invoices"

  party buyer "Customer {s.index} GmbH"
  party supplier "Provider {s.index % 37} AG"
  role procurement: buyer "procurement@customer{s.index}.example" (A)
  role legal: buyer "legal@customer{s.index}.example" (C)
  role payables: buyer "ap@customer{s.index}.example" (R)
  role operations: supplier "noc@provider{s.index % 37}.example" (R)
  role credit_control: supplier "ar@provider{s.index % 37}.example" (I)

  param monthly_fee: money = {s.monthly_fee} EUR
  param uptime_target: percent = {_percent(s.uptime_target)}
  param minor_credit: percent = {_percent(s.minor_credit)}
  param middle_credit: percent = {_percent(s.middle_credit)}
  param major_credit: percent = {_percent(s.major_credit)}
  param credit_cap: percent = {_percent(s.credit_cap)}
  param order_ref: text = "{s.order_ref}"
  param order_value: money = {s.order_value} EUR
  param delivery_due: datetime = {due}
  param ld_rate: percent = {_percent(s.ld_rate)}
  param ld_cap: percent = {_percent(s.ld_cap)}
  param incident_penalty: money = {s.incident_penalty} EUR
  param incident_cap: money = {s.incident_cap} EUR
  param interest_rate: percent = {_percent(s.interest_rate)}
  param interest_basis: number = {s.interest_basis}
  param payment_days: duration = {s.payment_days} days

  fact incident key ticket {{
    ticket: text,
    priority: P1 | P2 | P3,
    opened: datetime,
    resolved: datetime?
  }}
  fact invoice key number {{ number: text, issued: datetime, amount: money, disputed: bool }}
  fact payment key reference {{
    reference: text,
    invoice_number: text,
    at: datetime,
    amount: money
  }}

  use uptime_sla as uptime "Sched. 2, 1" {{
    fee: monthly_fee,
    target: uptime_target,
    minor_credit: minor_credit,
    middle_credit: middle_credit,
    major_credit: major_credit,
    monthly_cap: credit_cap,
    owner: operations
  }}

  use delivery_ld as servers "Sched. 4, 2" {{
    order_ref: order_ref,
    due: delivery_due,
    order_value: order_value,
    rate: ld_rate,
    cap: ld_cap,
    supplier: supplier,
    buyer: buyer,
    owner: operations
  }}

  obligation resolve_incidents "Sched. 2, 3.1" for each incident {{
    supplier must resolve incident where resolved != none
    within {SERVICE[s.shape.gold][0]}[priority] after opened
    owner operations
    on breach {{
      penalty incident_penalty per hour late or part thereof
      cap incident_cap per instance
    }}
    escalate {{
      level duty_manager after 2 hours: notify operations
      level management after 1 business day: notify procurement
    }}
  }}

  obligation pay_invoices "9.2" for each invoice where not disputed {{
    buyer must pay payment where invoice_number == invoice.number and amount >= invoice.amount
    to supplier
    within payment_days after issued
    owner payables
    inform credit_control
    on breach {{
      interest interest_rate of invoice.amount / interest_basis per day late or part thereof
    }}
  }}

  trigger renegotiation "12.3" when uptime.credits breached 3 times within 6 months {{
    notify procurement, legal
    buyer may request_renegotiation within 90 days
  }}
}}
"""
