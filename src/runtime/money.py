"""Money for the runtime: a Decimal amount with an ISO currency. Never a float.

Arithmetic between two amounts requires the same currency; a mismatch raises
`CurrencyMismatch`, which the engine reports as a runtime diagnostic. Rounding happens only
where the contract says, through `round_money`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)

ROUNDING_MODES = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
    "ceiling": ROUND_CEILING,
    "floor": ROUND_FLOOR,
}


class CurrencyMismatch(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal) -> Money:
        return Money(self.amount * factor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    # Written out, not left to the dataclass: compiled with mypyc, a class that defines its
    # own ordering gets no dataclass `__eq__`, and equal amounts would compare unequal. As
    # the dataclass's: the same class only, and an amount is equal to itself (as in a tuple).
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Money)
        return self is other or (self.amount == other.amount and self.currency == other.currency)

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        """At least two decimals (0 EUR prints as 0.00 EUR), more only when the amount has them."""
        exponent = self.amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent > -2:
            return f"{self.amount.quantize(Decimal('0.01'))} {self.currency}"
        return f"{self.amount} {self.currency}"

    @staticmethod
    def zero(currency: str) -> Money:
        return Money(Decimal(0), currency)

    @staticmethod
    def parse(text: str) -> Money:
        """'1234.50 EUR' -> Money. Raises ValueError for anything else."""
        parts = text.split()
        if len(parts) != 2 or len(parts[1]) != 3 or not parts[1].isalpha():
            raise ValueError(f"'{text}' is not an amount with a currency, like '1234.50 EUR'")
        try:
            return Money(Decimal(parts[0]), parts[1].upper())
        except InvalidOperation as error:
            raise ValueError(f"'{parts[0]}' is not a number") from error


def round_money(value: Money, mode: str, quantum: Decimal) -> Money:
    """Round to a multiple of `quantum`: 0.01 for cents, 0.05 for Swiss cash rounding, 1 or 5
    for whole units. (Decimal.quantize alone only knows powers of ten.)"""
    steps = (value.amount / quantum).quantize(Decimal(1), rounding=ROUNDING_MODES[mode])
    exponent = quantum.as_tuple().exponent
    places = (
        Decimal(1).scaleb(exponent) if isinstance(exponent, int) and exponent < 0 else Decimal(1)
    )
    return Money((steps * quantum).quantize(places), value.currency)


def min_money(a: Money, b: Money) -> Money:
    return a if a <= b else b
