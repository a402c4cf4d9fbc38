"""Encode values for durable-rules: strings that compare as the values do.

In: a value from a fact's fields or a predicate's constant. Out: `encode_value`, a string that
sorts, under durable-rules' `strcmp`, exactly as the value sorts among values of its kind, and
`kind_of`, the kind: values of two kinds never compare equal, and ordering them raises in Python.
Numbers are exact whatever their magnitude (no floats: durable-rules rejects some, and rounds);
bools are the numbers 0 and 1, as Python compares them; text is hex, because durable-rules
compares strings as their escaped JSON bytes and stops at NUL; date-times are UTC. A value of no
known kind (NaN, a dict) is its kind alone. What cannot be sent whole (text over MAX_TEXT
characters, numbers over MAX_DIGITS digits) is cut so that it still compares exactly with every
constant within those limits, and says so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from runtime.money import Money

MAX_TEXT = 4096  # characters; durable-rules keeps string lengths in 16 bits
MAX_DIGITS = 1000  # significant digits of a number
MAX_EXPONENT = 10**8  # numbers between 1E-100000000 and 1E+100000000
_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def _number(value: Decimal | int | float) -> tuple[str, bool]:
    """An order-preserving string for a number that is not NaN, and whether it was cut."""
    d = Decimal(value)  # exact for int and float, as Python's own comparisons are
    if d.is_infinite():
        return ("1~" if d > 0 else "-!"), False
    if d == 0:
        return "0", False
    sign, digits, _ = d.as_tuple()
    mantissa, adjusted = "".join(map(str, digits)).rstrip("0"), d.adjusted()
    if abs(adjusted) >= MAX_EXPONENT:
        raise ValueError(f"{d} is too large or too small for the rete engine")
    cut, mantissa = len(mantissa) > MAX_DIGITS, mantissa[: MAX_DIGITS + 1]
    if sign == 0:
        return f"1{adjusted + MAX_EXPONENT:09d}:{mantissa}", cut
    return f"-{MAX_EXPONENT - adjusted:09d}:{mantissa.translate(_COMPLEMENT)}~", cut


def currency_code(code: str) -> str:
    """A currency as it is sent: as is when plain, else hex."""
    return code if code.isascii() and code.isalnum() else "#" + _hex(code)


def _hex(text: str) -> str:
    return text.encode("utf-8", "surrogatepass").hex()


def encode_value(value: Any) -> tuple[str, bool]:
    """A value as a string that sorts like the value among values of its kind (`kind_of`), and
    whether it was cut to fit (a cut value still compares exactly with every constant). A value
    of no known kind is its kind alone: equal to no constant, and ordering it raises."""
    kind = kind_of(value)
    if kind.startswith("?"):
        return kind, False
    if isinstance(value, Money):
        amount, cut = _number(value.amount)
        return f"{kind}:{amount}", cut
    if kind == "n":  # bool too: Python compares it as 0 or 1
        number, cut = _number(value)
        return "n" + number, cut
    if kind == "t":
        utc = value.astimezone(UTC).replace(tzinfo=None)
        return "t" + utc.isoformat(timespec="microseconds"), False
    if kind == "d":
        return "d" + value.isoformat(), False
    return "s" + _hex(value[: MAX_TEXT + 1]), len(value) > MAX_TEXT


def kind_of(value: Any) -> str:
    """Values of one kind can be ordered; ordering values of two kinds raises in Python."""
    number = value.amount if isinstance(value, Money) else value
    if isinstance(number, Decimal | int | float):
        if Decimal(number).is_snan():
            raise ValueError("the rete engine cannot compare a signalling NaN")
        if Decimal(number).is_nan():
            return "?NaN"  # equal to nothing, ordered with nothing
        return "m" + currency_code(str(value.currency)) if isinstance(value, Money) else "n"
    for kind, types in (("t", datetime), ("d", date), ("s", str)):
        if isinstance(value, types):
            return kind
    return "?" + type(value).__name__
