"""When a piece of evidence shows a duty was performed.

A fact is placed at its latest date-time (`Fact.time`): an incident reported once, already
responded to and resolved, is known at its resolution. The duty it evidences was performed when
the act its filter looks for happened: `respond incident where responded != none` at
`responded`, `resolve incident where resolved != none` at `resolved`. So the performance time
is the latest of the evidence fact's date-time fields that the filter names and the fact
carries, and the fact's own time when the filter names none (`deliver delivery where accepted`
is performed at the delivery's `at`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clausec import ir
from runtime.facts import Fact


def performed_at(spec: ir.Obligation, fact: Fact) -> datetime:
    """The moment `fact` shows `spec`'s duty performed."""
    evidence = spec.duty.evidence
    if evidence is None or evidence.where is None:
        return fact.time
    times = [
        value
        for name in _named(evidence.where)
        if isinstance(value := fact.fields.get(name), datetime)
    ]
    return max(times) if times else fact.time


# id of a filter -> (the filter, the fields it names): worked out once per filter, not once per
# piece of evidence. The entry holds the filter itself, so its id cannot be reused by another
# object while the entry exists; the table is emptied when it grows past a bound.
_NAMED: dict[int, tuple[Any, tuple[str, ...]]] = {}


def _named(where: Any) -> tuple[str, ...]:
    known = _NAMED.get(id(where))
    if known is not None and known[0] is where:
        return known[1]
    if len(_NAMED) >= 4096:
        _NAMED.clear()
    names = tuple(sorted(_fields(where, set())))
    _NAMED[id(where)] = (where, names)
    return names


def _fields(node: Any, found: set[str]) -> set[str]:
    """The names of the evidence fact's own fields an expression reads (`["field", NAME]`)."""
    if isinstance(node, list):
        if len(node) == 2 and node[0] == "field" and isinstance(node[1], str):
            found.add(node[1])
        else:
            for child in node:
                _fields(child, found)
    elif isinstance(node, dict):
        for child in node.values():
            _fields(child, found)
    return found
