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


def _is_node(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, (type, Span))


def _children(node: Any) -> Iterator[Any]:
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, tuple):
                    yield from (x for x in item if _is_node(x))
                elif _is_node(item):
                    yield item
        elif _is_node(value):
            yield value


def walk(node: Any) -> Iterator[Any]:
    """Every AST node below and including `node`, pre-order, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(_children(current))))


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
