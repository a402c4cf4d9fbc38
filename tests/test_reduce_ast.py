"""The parser's shortcuts give what Lark's own tree building gives.

`parse_file` builds the AST in the parser's reductions (`reduce_ast`), and the tree parser hands
inlined one-symbol rules their child directly (`parse`). Both are held here to a parser with
Lark's own callbacks, on every `.clause` file in the repository and on files with
errors: the same AST with the same spans, the same diagnostics, the same tree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lark import Lark, Token, Tree

from clausec.build_ast import build_ast, parse_file
from clausec.parse import parse_source, parse_with, parser
from clausec.resources import grammar_path

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    path.relative_to(ROOT)
    for folder in ("examples", "stdlib", "tests")
    for path in (ROOT / folder).rglob("*.clause")
)
# Corners of the grammar and of error recovery, beside the repository's files.
SNIPPETS = {
    "missing_brace": 'contract "c" {\n  party a "A"\n',
    "bad_character": 'contract "c" {\n  party a "A" @\n}\n',
    "unterminated": 'contract "c" {\n  summary "open\n}\n',
    "bad_literal_then_error": 'contract "c" {\n  effective 2026-02-30 until 2026-13-01\n  x\n}\n',
    "bad_literals": 'contract "c" {\n  effective 2026-02-30 until 2026-13-01\n}\n',
    "empty": "",
    "empty_contract": 'contract "c" {}\n',
    "call_without_arguments": 'contract "c" {\n  param p: number = f()\n}\n',
    "parentheses": 'contract "c" {\n  param p: number = ((1 + 2)) * -(3) of (x)\n}\n',
}


@cache
def _lark_own() -> Lark:
    """The parser as Lark builds it, with its own lexer loop and tree building."""
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def _reference(text: str, path: str) -> tuple[Any, list[Any]]:
    tree, errors = parse_with(_lark_own(), text, path)
    if tree is None:
        return None, errors
    return build_ast(tree, path)


def _check_same_ast(text: str, path: str) -> None:
    source, diagnostics = parse_file(text, path)
    expected_source, expected_diagnostics = _reference(text, path)
    assert repr(source) == repr(expected_source)
    assert diagnostics == expected_diagnostics


@pytest.mark.parametrize("path", FILES, ids=str)
def test_ast_as_from_the_tree(path: Path) -> None:
    _check_same_ast((ROOT / path).read_text(encoding="utf-8-sig"), str(path))


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_as_from_the_tree(name: str) -> None:
    _check_same_ast(SNIPPETS[name], f"{name}.clause")


def _shape(node: Any) -> Any:
    if isinstance(node, Token):
        return (node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    assert isinstance(node, Tree)
    meta = node.meta
    where = None
    if not meta.empty:
        where = (meta.line, meta.column, meta.start_pos, meta.end_line, meta.end_column)
    return (str(node.data), where, [_shape(c) for c in node.children])


@pytest.mark.parametrize("path", FILES, ids=str)
def test_tree_and_positions_as_lark_builds_them(path: Path) -> None:
    text = (ROOT / path).read_text(encoding="utf-8-sig")
    tree, _ = parse_source(text, str(path))
    if tree is None:
        return
    assert _shape(tree) == _shape(_lark_own().parse(text))
    assert parser().parse(text) == tree
