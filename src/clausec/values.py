"""Literal values of the Clause language, shared by the compiler and the IR.

Money is a `Decimal` with an ISO currency and never passes through a float. A percent keeps the
number the author wrote (`99.9%` is `Percent(Decimal("99.9"))`); `fraction` gives 0.999.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

DURATION_UNITS = ("minute", "hour", "day", "business_day", "week", "month", "year")


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True, slots=True)
class Percent:
    value: Decimal

    @property
    def fraction(self) -> Decimal:
        return self.value / Decimal(100)

    def __str__(self) -> str:
        return f"{self.value}%"


@dataclass(frozen=True, slots=True)
class Duration:
    amount: Decimal
    unit: str  # one of DURATION_UNITS

    def __str__(self) -> str:
        word = self.unit.replace("_", " ")
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class ZonedDateTime:
    """A wall-clock time with an explicit zone: an IANA name, a UTC offset, or None for the
    contract's own time zone."""

    local: datetime
    zone: str | None

    def __str__(self) -> str:
        text = self.local.isoformat(timespec="minutes")
        if self.zone is None:
            return text
        if self.zone == "Z" or self.zone[0] in "+-":
            return text + self.zone
        return f"{text}[{self.zone}]"


LiteralValue = Money | Percent | Duration | ZonedDateTime | date | Decimal | int | str | bool | None


def literal_kind(value: LiteralValue) -> str:
    """The type name of a literal, as authors write it in parameter declarations."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    kinds: dict[type, str] = {
        Money: "money",
        Percent: "percent",
        Duration: "duration",
        ZonedDateTime: "datetime",
        date: "date",
        Decimal: "number",
        int: "number",
        str: "text",
    }
    return kinds[type(value)]
