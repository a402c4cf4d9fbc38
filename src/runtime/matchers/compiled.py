"""The `compiled` matcher: each pattern's predicate compiled once to a Python closure, and
patterns indexed by fact type, so a fact is tested only against the patterns of its type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from runtime.facts import Fact
from runtime.matchers import Pattern
from runtime.money import Money

Predicate = Callable[[dict[str, Any]], Any]


def _constant(node: list[Any]) -> Any:
    kind = node[1]
    if kind == "money":
        return Money(Decimal(node[2]), node[3])
    if kind in ("number", "percent"):
        return Decimal(node[2])
    if kind == "datetime":  # patterns carry date-times normalised to UTC ("Z")
        return datetime.fromisoformat(node[2]).replace(tzinfo=UTC)
    if kind == "date":
        return date.fromisoformat(node[2])
    if kind == "none":
        return None
    return node[2]


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a is not None and b is not None and a < b,
    "<=": lambda a, b: a is not None and b is not None and a <= b,
    ">": lambda a, b: a is not None and b is not None and a > b,
    ">=": lambda a, b: a is not None and b is not None and a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def compile_predicate(node: Any) -> Predicate:
    """An IR predicate over one fact's fields as a closure taking the fields."""
    if node is None:
        return lambda fields: True
    head = node[0]
    if head == "lit":
        value = _constant(node)
        return lambda fields: value
    if head in ("field", "enum"):
        name = node[1]
        if head == "enum":
            return lambda fields: name
        return lambda fields: fields.get(name)
    if head == "not":
        inner = compile_predicate(node[1])
        return lambda fields: not inner(fields)
    if head in ("and", "or"):
        left, right = compile_predicate(node[1]), compile_predicate(node[2])
        if head == "and":
            return lambda fields: bool(left(fields)) and bool(right(fields))
        return lambda fields: bool(left(fields)) or bool(right(fields))
    if head == "cmp":
        operands = [compile_predicate(o) for o in node[2]]
        ops = [_OPS[op] for op in node[1]]
        pairs = list(zip(ops, operands, operands[1:], strict=False))
        return lambda fields: all(op(a(fields), b(fields)) for op, a, b in pairs)
    raise ValueError(f"a matcher predicate cannot use '{head}'")


class CompiledMatcher:
    name = "compiled"

    def __init__(self) -> None:
        self._by_type: dict[str, list[tuple[str, Predicate]]] = {}

    def load(self, patterns: list[Pattern]) -> None:
        for pattern in patterns:
            predicate = compile_predicate(pattern.predicate)
            self._by_type.setdefault(pattern.fact_type, []).append((pattern.id, predicate))

    def match(self, fact: Fact) -> list[str]:
        # A fact's date-times are in UTC already (`FactSchemas` puts them there), as the
        # patterns' are: the predicates read its fields as they are.
        fields = fact.fields
        return [pid for pid, test in self._by_type.get(fact.type, ()) if test(fields)]

    def close(self) -> None:
        self._by_type.clear()
