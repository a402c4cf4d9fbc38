"""Passes 1 and 2 in one: the LALR parser's reductions build the AST directly.

Input: source text. Output: the same `SourceFile` and diagnostics as `build_ast` applied to the
tree of `parse` (parse errors, or else the builder's CC104 diagnostics). Building a Lark tree only
to transform it and throw it away was a third of the time of compiling a large contract: here each
reduction does what Lark's tree builder would do to the children (drop anonymous tokens, splice
`_rule`s, add `[optional]` placeholders, pass a `?rule`'s single child through) and computes the
positions that `propagate_positions` would give the node, then calls the `AstBuilder` method of
the rule at once. Reductions come in the order a Transformer visits the tree (children left to
right, then the node), so diagnostics come in the same order. Lark still lexes, parses and
recovers from errors; once the input is known to be wrong, the builder is no longer called,
since nothing it would build is returned. The formatter still uses the tree of `parse`.

The callbacks replace Lark's in `Lark._callbacks`, the table its LALR parser calls at each
reduction (as `parse` does for one-symbol rules). `tests/test_reduce_ast.py` holds the AST and
diagnostics to those of `build_ast` on Lark's own tree, for every `.clause` file in the
repository and for broken ones, so that a change in Lark shows there first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from threading import Lock
from typing import Any

from lark import Lark
from lark.grammar import Rule, Terminal
from lark.tree import Meta

from clausec import nodes as n
from clausec.build_ast import AstBuilder, new_builder
from clausec.diagnostics import Diagnostic
from clausec.parse import new_parser, parse_with, pass_child, passes_single_child

Where = tuple[int, int, int]  # line, column, offset


class _Reduced:
    """A reduced rule's value, with where Lark's tree node for it would start and end (None for a
    node without tokens). A `_rule`'s value is the list of its children, spliced into its parent."""

    __slots__ = ("end", "start", "value")

    def __init__(self, value: Any, start: Where | None, end: Where | None) -> None:
        self.value = value
        self.start = start
        self.end = end


def _start(children: list[Any]) -> Where | None:
    for child in children:
        if type(child) is _Reduced:
            if child.start is not None:
                return child.start
        else:
            return child.line, child.column, child.start_pos
    return None


def _end(children: list[Any]) -> Where | None:
    for child in reversed(children):
        if type(child) is _Reduced:
            if child.end is not None:
                return child.end
        else:
            return child.end_line, child.end_column, child.end_pos
    return None


def _meta(start: Where | None, end: Where | None) -> Meta:
    meta = Meta()  # type: ignore[no-untyped-call]
    if start is not None and end is not None:
        meta.line, meta.column, meta.start_pos = start
        meta.end_line, meta.end_column, meta.end_pos = end
        meta.empty = False
    return meta


def _unwrap(children: list[Any]) -> list[Any]:
    return [c.value if type(c) is _Reduced else c for c in children]


class _Session:
    """The builder of the file being parsed; None once the file is known to have errors."""

    builder: AstBuilder | None = None

    def stop(self) -> None:
        self.builder = None


Build = Callable[[AstBuilder, Meta, list[Any]], Any]


def _rule_builder(name: str) -> Build:
    """The builder's method for a rule, unwrapped from its `v_args(meta=True)`, or its
    `__default__`, as a Transformer would pick it."""
    method = getattr(AstBuilder, name, None)
    if method is None:
        return lambda builder, meta, c: builder.__default__(name, c, meta)
    build: Build = method.base_func
    return build


def _same(children: list[Any]) -> list[Any]:
    return children


def _child_filter(rule: Rule) -> Callable[[list[Any]], list[Any]]:
    """Lark's child filter for one rule (`maybe_create_child_filter`), on reduced children."""
    placeholders = [0] * (len(rule.expansion) + 1)
    if rule.options.empty_indices:
        # Each run of True is the placeholders before a symbol; the last run, those at the end.
        runs = "".join("1" if empty else "0" for empty in rule.options.empty_indices)
        placeholders = [len(ones) for ones in runs.split("0")]
    plan: list[tuple[int, bool, int]] = []
    pending = 0
    for i, symbol in enumerate(rule.expansion):
        pending += placeholders[i]
        if rule.options.keep_all_tokens or not (isinstance(symbol, Terminal) and symbol.filter_out):
            plan.append((i, not symbol.is_term and symbol.name.startswith("_"), pending))
            pending = 0
    trailing = pending + placeholders[-1]
    if trailing == 0 and all(not splice and not nones for _, splice, nones in plan):
        if len(plan) == len(rule.expansion):
            return _same
        return lambda c: [c[i] for i, _, _ in plan]

    def children(c: list[Any]) -> list[Any]:
        kept: list[Any] = []
        for i, splice, nones in plan:
            kept += [None] * nones
            if not splice:
                kept.append(c[i])
            elif kept:
                kept += c[i].value
            else:  # a left-recursive list grows in place, as in Lark
                kept = c[i].value
        return kept + [None] * trailing if trailing else kept

    return children


def _callback(rule: Rule, session: _Session) -> Callable[[list[Any]], Any]:
    kept = _child_filter(rule)
    inlined = rule.options.expand1 and not rule.alias
    if rule.origin.name.startswith("_"):
        return lambda c: _Reduced(kept(c), _start(c), _end(c))
    build = _rule_builder(str(rule.alias or rule.options.template_source or rule.origin.name))

    def reduce(c: list[Any]) -> Any:
        children = kept(c)
        start, end = _start(c), _end(c)
        if inlined and len(children) == 1:
            # Lark passes the child through; a tree node takes the span of the tokens around it
            # ("(" expr ")") as its container, which its parent's span then starts or ends with.
            # (Lark would also give a node without tokens its own span here; only an empty
            # file's `start` has none, and it is never inlined.)
            only = children[0]
            if type(only) is not _Reduced:
                return only
            return _Reduced(only.value, start or only.start, end or only.end)
        builder = session.builder
        value = None if builder is None else build(builder, _meta(start, end), _unwrap(children))
        return _Reduced(value, start, end)

    return reduce


def _plain_builder(path: str) -> AstBuilder:
    """A builder whose methods call one another directly: the `v_args` wrapper around each
    only matters to a Transformer walking a tree, and each call through one is a call more."""
    builder = new_builder(path)
    for name, method in list(vars(builder).items()):
        if hasattr(method, "base_func"):
            setattr(builder, name, method.base_func)
    return builder


class AstParser:
    """The language's LALR parser, with reductions that build the AST."""

    def __init__(self) -> None:
        self._lark: Lark = new_parser()
        self._session = _Session()
        self._lock = Lock()  # one parse at a time: the session is the parse's
        for rule in self._lark.rules:
            if passes_single_child(rule, False):
                self._lark._callbacks[rule] = pass_child
            else:
                self._lark._callbacks[rule] = _callback(rule, self._session)

    def parse(self, text: str, path: str) -> tuple[n.SourceFile | None, list[Diagnostic]]:
        """The file's AST (None when it has errors) and its diagnostics."""
        with self._lock:
            builder = self._session.builder = _plain_builder(path)
            try:
                reduced, errors = parse_with(self._lark, text, path, self._session.stop)
            finally:
                self._session.builder = None
        if reduced is None:
            return None, errors
        source = reduced.value
        assert isinstance(source, n.SourceFile)
        return source, builder.diagnostics


@cache
def ast_parser() -> AstParser:
    """The one AST-building parser, built on first use."""
    return AstParser()
