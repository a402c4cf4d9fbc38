"""Reading literal tokens (money, percent, durations, dates) into values.

Used by `build_ast`. A token the grammar accepted can still be invalid (2026-02-30); such errors
raise `LiteralError`, which the builder turns into a CC104 diagnostic at the token.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import cast

from clausec.values import Duration, LiteralValue, Money, Percent, ZonedDateTime


class LiteralError(ValueError):
    pass


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s+(business\s+days?|[a-z]+?)s?$")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:\d{2}|\[([^\]]+)\])?$"
)


def decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise LiteralError(f"'{text}' is not a number") from error


def money(text: str) -> Money:
    amount, currency = text.split()
    return Money(decimal(amount), currency)


def percent(text: str) -> Percent:
    return Percent(decimal(text.rstrip("%")))


def duration(text: str) -> Duration:
    match = _DURATION.match(" ".join(text.split()))
    if match is None:
        raise LiteralError(f"'{text}' is not a duration")
    unit = match.group(2)
    unit = "business_day" if unit.startswith("business") else unit
    return Duration(decimal(match.group(1)), unit)


def calendar_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise LiteralError(f"'{text}' is not a valid calendar date") from error


def date_time(text: str) -> ZonedDateTime:
    match = _DATETIME.match(text)
    if match is None:
        raise LiteralError(f"'{text}' is not a date-time")
    try:
        local = datetime.fromisoformat(match.group(1))
    except ValueError as error:
        raise LiteralError(f"'{text}' is not a valid date-time") from error
    zone = match.group(3) or match.group(2)
    return ZonedDateTime(local, zone)


def text_value(token: str) -> str:
    """Unquote a STRING token: only \\" and \\\\ escapes exist."""
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def read(kind: str, text: str) -> LiteralValue:
    """Read a literal token by its terminal name."""
    readers = {
        "MONEY": money,
        "PERCENT": percent,
        "DURATION": duration,
        "DATETIME": date_time,
        "DATE": calendar_date,
        "NUMBER": decimal,
        "STRING": text_value,
    }
    if kind == "BOOL":
        return text == "true"
    if kind == "NONE":
        return None
    return cast(LiteralValue, readers[kind](text))
