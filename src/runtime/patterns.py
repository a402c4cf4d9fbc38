"""From an obligation's filters to matcher patterns.

Parameters are folded to constants and date-times normalised to UTC, then a `where` filter is
split on `and`: conjuncts over the fact's own fields go to the matcher; conjuncts that read
another fact (the instance of a `for each`) stay with the engine, which checks them per
instance. Filters that need arithmetic or functions also stay with the engine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from runtime.calendar import ContractTime
from runtime.evaluate import literal
from runtime.money import Money

MATCHABLE = frozenset({"lit", "field", "enum", "cmp", "and", "or", "not"})


def as_literal(value: Any) -> list[Any]:
    if isinstance(value, Money):
        return ["lit", "money", str(value.amount), value.currency]
    if isinstance(value, bool):
        return ["lit", "bool", value]
    if isinstance(value, Decimal):
        return ["lit", "number", str(value)]
    if isinstance(value, datetime):
        return ["lit", "datetime", value.astimezone(UTC).replace(tzinfo=None).isoformat(), "Z"]
    if isinstance(value, date):
        return ["lit", "date", value.isoformat()]
    if value is None:
        return ["lit", "none"]
    return ["lit", "text", str(value)]


def fold(node: Any, params: dict[str, Any], time: ContractTime) -> Any:
    """Parameters to constants; date-time literals to UTC."""
    if not isinstance(node, list) or not node:
        return node
    if node[0] == "param" and node[1] in params:
        return as_literal(params[node[1]])
    if node[0] == "lit" and node[1] == "datetime":
        return as_literal(literal(node, time))
    if node[0] == "lit":
        return node
    folded = [fold(child, params, time) if isinstance(child, list) else child for child in node]
    # Unchanged, the node itself: the contract's own filter, not one copy per engine.
    return node if all(new is old for new, old in zip(folded, node, strict=True)) else folded


def _matchable(node: Any) -> bool:
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        return True
    if node[0] not in MATCHABLE:
        return False
    if node[0] == "lit":
        return True
    if node[0] == "cmp":
        return all(_matchable(o) for o in node[2])
    return all(_matchable(child) for child in node[1:])


def _conjuncts(node: Any) -> list[Any]:
    if isinstance(node, list) and node and node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _join(parts: list[Any]) -> Any:
    if not parts:
        return None
    result = parts[0]
    for part in parts[1:]:
        result = ["and", result, part]
    return result


def leading_join(rest: Any) -> tuple[str, str, str, bool] | None:
    """(field, record, attribute, field first) when the first conjunct the engine evaluates
    of a residual filter is `field == record.attribute` (either way round), as in `payment
    where invoice_number == invoice.number`. When it is false, nothing after it is evaluated
    and the filter fails, so an instance whose record disagrees can be passed over unread."""
    first = _conjuncts(rest)[0] if rest is not None else None
    if not (isinstance(first, list) and first[0] == "cmp" and first[1] == ["=="]):
        return None
    left, right = first[2]
    for one, other, field_first in ((left, right, True), (right, left, False)):
        if (
            isinstance(one, list)
            and isinstance(other, list)
            and one[0] == "field"
            and other[0] == "attr"
            and isinstance(other[1], list)
            and other[1][0] == "record"
        ):
            return one[1], other[1][1], other[2], field_first
    return None


def split(where: Any, params: dict[str, Any], time: ContractTime) -> tuple[Any, Any]:
    """(matcher part, engine part) of a filter, either possibly None."""
    if where is None:
        return None, None
    folded = fold(where, params, time)
    local = [c for c in _conjuncts(folded) if _matchable(c)]
    rest = [c for c in _conjuncts(folded) if not _matchable(c)]
    return _join(local), _join(rest)
