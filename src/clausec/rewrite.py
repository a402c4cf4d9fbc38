"""Structural rewriting of frozen AST nodes: the one generic walker the passes share.

`rewrite(node, fn)` rebuilds a node bottom-up, calling `fn` on every node after its children
have been rewritten; `fn` returns the node itself or a replacement. Inputs are never mutated.
`walk(node)` yields every node, pre-order, for read-only passes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from clausec.diagnostics import Span

# Per class: is an instance a node, and its field names. Asking `dataclasses` for each value
# was most of the time of the passes that walk a large contract.
_IS_NODE: dict[type, bool] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}


def _is_node(value: Any) -> bool:
    kind = type(value)
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = dataclasses.is_dataclass(value) and not isinstance(
            value, (type, Span)
        )
    return known


# Fields declared as these hold text, numbers or spans, never a node: walks skip them. A
# clause's `Origin` (the template `use` it came from) holds only names and spans.
_ATOMS = frozenset(
    {"Span", "str", "str | None", "tuple[str, ...]", "int", "int | None", "bool", "Origin | None"}
)


def _field_names(node: Any) -> tuple[str, ...]:
    """The fields of `node`'s class that can hold nodes."""
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        fields = dataclasses.fields(node)
        names = _FIELDS[kind] = tuple(f.name for f in fields if f.type not in _ATOMS)
    return names


def _children(node: Any) -> list[Any]:
    """The nodes directly below `node`, in field order."""
    found: list[Any] = []
    for name in _field_names(node):
        value = getattr(node, name)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, tuple):
                    found.extend(x for x in item if _is_node(x))
                elif _is_node(item):
                    found.append(item)
        elif _is_node(value):
            found.append(value)
    return found


def walk(node: Any) -> Iterator[Any]:
    """Every AST node below and including `node`, pre-order, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = _children(current)
        children.reverse()
        stack += children


def _rewrite_value(value: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, tuple):
        return tuple(_rewrite_value(item, fn) for item in value)
    if _is_node(value):
        return rewrite(value, fn)
    return value


def rewrite(node: Any, fn: Callable[[Any], Any]) -> Any:
    """Rebuild `node` with `fn` applied to every descendant node, bottom-up."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(node):
        old = getattr(node, field.name)
        if isinstance(old, Span):
            continue
        new = _rewrite_value(old, fn)
        if new is not old and new != old:
            changes[field.name] = new
    rebuilt = dataclasses.replace(node, **changes) if changes else node
    return fn(rebuilt)
