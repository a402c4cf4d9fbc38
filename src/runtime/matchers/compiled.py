"""The `compiled` matcher: each pattern's predicate compiled once to a Python closure, and
patterns indexed by fact type, so a fact is tested only against the patterns of its type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from clausec.share_ir import Held, same_value, value_key
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
        return _compare(node[1], node[2])
    raise ValueError(f"a matcher predicate cannot use '{head}'")


def _compare(operators: list[str], operands: list[Any]) -> Predicate:
    """A comparison (a chain: `a < b < c`). The usual one, a field against a constant, is a
    single closure: every engine whose filter has a parameter folded in holds its own."""
    if len(operators) == 1:
        op, (left, right) = _OPS[operators[0]], operands
        if left[0] == "field" and right[0] == "lit":
            name, value = left[1], _constant(right)
            return lambda fields: op(fields.get(name), value)
        a, b = compile_predicate(left), compile_predicate(right)
        return lambda fields: op(a(fields), b(fields))
    compiled = [compile_predicate(o) for o in operands]
    pairs = list(zip([_OPS[op] for op in operators], compiled, compiled[1:], strict=False))
    return lambda fields: all(op(a(fields), b(fields)) for op, a, b in pairs)


def _always(fields: dict[str, Any]) -> Any:
    return True


# Compiled predicates by the hash of the IR node they were compiled from, while an engine
# uses them: the contracts of one template have equal filters, save those a parameter was
# folded into. An entry holds its node, to tell an equal node from one whose hash collides.
_COMPILED: Held[tuple[Any, Predicate]] = Held(itemgetter(1))


def shared_predicate(node: Any) -> Predicate:
    """`compile_predicate(node)`, compiled once for all the engines with an equal node."""
    if node is None:
        return _always
    digest = hash(value_key(node))
    entry = _COMPILED.get(digest)
    if entry is not None and same_value(entry[0], node):
        return entry[1]
    predicate = compile_predicate(node)
    if entry is None:  # on a collision, the first node keeps its entry
        entry = _COMPILED.setdefault(digest, (node, predicate))
        if same_value(entry[0], node):  # ours, or an equal one another thread held first
            return entry[1]
    return predicate


Row = tuple[tuple[str, Predicate], ...]

# A fact type's patterns, for every engine that has the same: the contracts of one template
# test a fact type against the same pattern ids with the same shared predicates, unless a
# parameter was folded into one of them.
_ROWS: Held[Row] = Held()


def _shared_row(row: Row) -> Row:
    digest = hash(tuple((pid, id(test)) for pid, test in row))
    held = _ROWS.setdefault(digest, row)
    same = len(held) == len(row) and all(
        a[0] == b[0] and a[1] is b[1] for a, b in zip(held, row, strict=True)
    )
    return held if same else row  # on a collision, the row as it is


class CompiledMatcher:
    name = "compiled"

    def __init__(self) -> None:
        # Tuples, not lists: they are built once (and again by each amendment) and read at
        # every fact, and a tuple is the smaller.
        self._by_type: dict[str, Row] = {}

    def load(self, patterns: list[Pattern]) -> None:
        added: dict[str, list[tuple[str, Predicate]]] = {}
        for pattern in patterns:
            entry = (pattern.id, shared_predicate(pattern.predicate))
            added.setdefault(pattern.fact_type, []).append(entry)
        for kind, entries in added.items():
            self._by_type[kind] = _shared_row((*self._by_type.get(kind, ()), *entries))

    def match(self, fact: Fact) -> list[str]:
        # A fact's date-times are in UTC already (`FactSchemas` puts them there), as the
        # patterns' are: the predicates read its fields as they are.
        fields = fact.fields
        return [pid for pid, test in self._by_type.get(fact.type, ()) if test(fields)]

    def close(self) -> None:
        self._by_type = {}
