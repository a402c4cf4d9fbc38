"""Amounts: tier tables, bands, per-unit rates, minimums, caps and rounding.

Each step records what it did in a `Trace` (the tier row chosen, the units late, the cap that
applied, the amount before and after rounding), which becomes the event's explanation. Caps are
applied in the order the clause declares them, each against what has already been charged
under it in its scope (this window, this year, the whole contract).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from clausec import ir
from runtime.evaluate import Duration, Scope, evaluate, is_missing
from runtime.money import Money, round_money

UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440, "week": 10080, "month": 43200, "year": 525600}


class UniqueViolation(ValueError):
    """A `unique` tier table matched more than one row: the contract is ambiguous here."""


@dataclass(slots=True)
class Trace:
    steps: list[dict[str, Any]] = field(default_factory=list)

    def add(self, step: str, **values: Any) -> None:
        self.steps.append({"step": step, **{k: str(v) for k, v in values.items()}})


def tier_amount(amount: ir.Amount, scope: Scope, trace: Trace) -> Money | None:
    base = evaluate(amount.base, scope)
    matched: list[tuple[int, Any]] = []
    for index, row in enumerate(amount.tiers):
        if row.when is None:  # `otherwise`: only when no other row matched
            if not matched:
                matched.append((index, evaluate(row.value, scope)))
            break
        hit = evaluate(row.when, scope)
        if is_missing(hit) or not hit:
            continue
        matched.append((index, evaluate(row.value, scope)))
        if amount.hit_policy == "first_match":
            break
    if not matched:
        trace.add("tier", row="none", base=base)
        return None
    if amount.hit_policy == "unique" and len(matched) > 1:
        raise UniqueViolation(
            f"rows {', '.join(str(i + 1) for i, _ in matched)} all match under a unique hit policy"
        )
    total = Money.zero(base.currency)
    for index, value in matched:
        part = base * value if not isinstance(value, Money) else value
        trace.add("tier", row=index + 1, rate=_pct(value), base=base, amount=part)
        total = total + part
    return total


def band_amount(amount: ir.Amount, scope: Scope, trace: Trace) -> Money | Decimal:
    base = evaluate(amount.base, scope)
    base_value = base.amount if isinstance(base, Money) else base
    total = Decimal(0)
    for index, row in enumerate(amount.bands):
        low = _plain(evaluate(row.lower, scope))
        high = _plain(evaluate(row.upper, scope)) if row.upper is not None else None
        rate = evaluate(row.value, scope)
        inside = base_value >= low and (high is None or base_value < high)
        if amount.band_kind == "whole":
            if inside:
                total = base_value * rate
                trace.add("band", band=index + 1, rate=_pct(rate), base=base_value, amount=total)
            continue
        portion = max(Decimal(0), min(base_value, high if high is not None else base_value) - low)
        if portion:
            total += portion * rate
            trace.add(
                "band", band=index + 1, rate=_pct(rate), portion=portion, amount=portion * rate
            )
    return Money(total, base.currency) if isinstance(base, Money) else total


def units_late(
    rate: ir.Rate, late: Duration | None, business_days: Decimal | None, trace: Trace
) -> Decimal:
    """How many rate units the lateness counts for, by the rate's part policy."""
    if rate.unit == "business_day":
        exact = Decimal(business_days or 0)
    else:
        minutes = late.amount if late else Decimal(0)
        exact = minutes / UNIT_MINUTES[rate.unit]
    if rate.part_policy == "or_part_thereof":
        units = Decimal(math.ceil(exact))
    elif rate.part_policy == "pro_rata":
        units = exact
    else:
        units = Decimal(math.floor(exact))
    trace.add(
        "units", unit=rate.unit, exact=round(exact, 6), counted=units, policy=rate.part_policy
    )
    return units


def apply_limits(
    value: Money,
    limits: list[ir.Limit],
    scope: Scope,
    used: dict[str, Money],
    trace: Trace,
    rounding: tuple[str, Decimal],
) -> tuple[Money, dict[str, Money]]:
    """Minimums, caps and rounding in declared order. `used` maps each cap scope key to what
    has already been charged under it; the returned dict is what this amount adds."""
    rounded = False
    charged: dict[str, Money] = {}
    for limit in limits:
        if limit.kind == "minimum" and value.amount > 0:
            floor = evaluate(limit.amount, scope)
            if value < floor:
                trace.add("minimum", minimum=floor, before=value, after=floor)
                value = floor
        elif limit.kind == "cap":
            cap = evaluate(limit.amount, scope)
            key = str(limit.scope)
            room = cap - used.get(key, Money.zero(cap.currency))
            room = room if room.amount > 0 else Money.zero(cap.currency)
            if value > room:
                trace.add(
                    "cap",
                    scope=limit.scope,
                    cap=cap,
                    already=used.get(key, "0"),
                    before=value,
                    after=room,
                )
                value = room
            charged[key] = value
        elif limit.kind == "round" and limit.mode and limit.quantum:
            before, value = value, round_money(value, limit.mode, Decimal(limit.quantum))
            trace.add("round", mode=limit.mode, quantum=limit.quantum, before=before, after=value)
            rounded = True
    if not rounded:
        before, value = value, round_money(value, *rounding)
        trace.add("round", mode=rounding[0], quantum=rounding[1], before=before, after=value)
    for key in charged:
        charged[key] = value
    return value, charged


def _plain(value: Any) -> Decimal:
    return value.amount if isinstance(value, Money) else Decimal(value)


def _pct(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{(value * 100).normalize():f}%"
    return str(value)


def at_time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
