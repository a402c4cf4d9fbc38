"""A 1,000-clause contract for compile time: a large framework agreement written in one file.

Per service an availability metric, its SLA with tiered credits and a counting trigger; per
order a delivery obligation with liquidated damages; per support queue an incident-resolution
obligation with lookup deadlines, a penalty and an escalation ladder. A quarter of the clauses
are SLAs, a quarter triggers and half obligations; each has its own parameters.
"""

from __future__ import annotations

from datetime import date, timedelta


def clause_counts(clauses: int) -> tuple[int, int, int]:
    """(services, orders, queues): each service is two clauses (its SLA and its trigger)."""
    services = clauses // 4
    queues = clauses // 10
    return services, clauses - 2 * services - queues, queues


def big_contract(clauses: int = 1000) -> str:
    services, orders, queues = clause_counts(clauses)
    out = [
        'contract "Framework Agreement for Managed Services" {',
        '  id "BENCH-BIG"',
        "  version 1",
        "  effective 2026-01-01 until 2028-12-31",
        '  timezone "Europe/Berlin"',
        "  currency EUR",
        "  calendar DE",
        "  rounding half_up to 0.01",
        '  party buyer "Acme Group SE"',
        '  party supplier "Nordlicht Services AG"',
        '  role procurement: buyer "procurement@acme.example" (A)',
        '  role operations: supplier "noc@nordlicht.example" (R)',
        "  fact downtime key ticket {",
        "    ticket: text, service: text, start: datetime, end: datetime,",
        "    scheduled: bool, notice_days: number",
        "  }",
        "  fact delivery key order { order: text, at: datetime, accepted: bool }",
        "  fact incident key ticket {",
        "    ticket: text, queue: text, priority: P1 | P2 | P3,",
        "    opened: datetime, resolved: datetime?",
        "  }",
    ]
    for i in range(services):
        out += _service(i)
    for j in range(orders):
        out += _order(j)
    for k in range(queues):
        out += _queue(k)
    out.append("}")
    return "\n".join(out) + "\n"


def _service(i: int) -> list[str]:
    target = ("99.5%", "99.9%", "99.95%")[i % 3]
    return [
        f"  param fee_s{i}: money = {2000 + 37 * i} EUR",
        f'  metric availability_s{i} "S{i}.1" per calendar month =',
        f'      100% - minutes(downtime where service == "svc-{i}") / minutes(window) {{',
        "    exclude downtime where scheduled and notice_days >= 5",
        "    grace 5 days",
        "  }",
        f'  sla uptime_s{i} "S{i}.2" {{',
        "    owner operations",
        f"    measure availability_s{i}",
        f"    target availability_s{i} >= {target}",
        f"    credit of fee_s{i} first match {{",
        f"      availability_s{i} < 95%: 100%",
        f"      availability_s{i} < 99%: 25%",
        f"      availability_s{i} < {target}: 10%",
        "    }",
        f"    cap 50% of fee_s{i} per window",
        "    claim within 30 days after window end",
        "  }",
        f'  trigger renegotiate_s{i} "S{i}.3" when uptime_s{i} breached 3 times within 6 months {{',
        "    notify procurement",
        "    buyer may request_renegotiation within 90 days",
        "  }",
    ]


def _order(j: int) -> list[str]:
    due = date(2026, 2, 1) + timedelta(days=j % 700)
    return [
        f"  param value_o{j}: money = {10000 + 113 * j} EUR",
        f'  obligation deliver_o{j} "D{j}" {{',
        f'    supplier must deliver delivery where order == "PO-{j}" and accepted',
        "    to buyer",
        f"    by {due}",
        "    owner operations",
        "    on breach {",
        f"      damages 0.5% of value_o{j} per day late or part thereof",
        f"      cap 10% of value_o{j}",
        "    }",
        "  }",
    ]


def _queue(k: int) -> list[str]:
    return [
        f'  obligation resolve_q{k} "Q{k}" for each incident where queue == "q-{k}" {{',
        "    supplier must resolve incident where resolved != none",
        "    within { P1: 4 hours, P2: 1 business day, P3: 5 business days }[priority]"
        " after opened",
        "    owner operations",
        "    on breach {",
        f"      penalty {100 + k} EUR per hour late or part thereof",
        "      cap 3000 EUR per instance",
        "    }",
        "    escalate {",
        "      level duty_manager after 2 hours: notify operations",
        "      level management after 1 business day: notify procurement",
        "    }",
        "  }",
    ]
