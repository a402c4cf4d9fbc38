"""Tests for `clausec.format`: canonical layout that changes only whitespace.

Every .clause file under examples/, stdlib/ and tests/data/format/ must format idempotently, to the
same AST (spans aside), with the same comments in the same order, and to the same text whatever its
spacing. The golden pairs in tests/data/format/ (`NAME.clause`, `NAME.expected.clause`) pin the
layout itself; re-record them with `CLAUSEC_UPDATE_GOLDEN=1 pytest tests/test_format.py` and review
the change with `git diff`.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lark import Lark, Token

import clausec.format
from clausec.build_ast import parse_file
from clausec.diagnostics import Span
from clausec.format import (
    FormatError,
    FormatInvariantError,
    FormatResult,
    check_formatted,
    format_source,
    format_text,
)
from clausec.resources import grammar_path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = ROOT / "tests" / "data" / "format"
EXPECTED_SUFFIX = ".expected.clause"
UPDATE_GOLDEN = os.environ.get("CLAUSEC_UPDATE_GOLDEN") == "1"


def _inputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.clause") if not p.name.endswith(EXPECTED_SUFFIX))


GOLDEN_INPUTS = _inputs(GOLDEN_DIR)
CORPUS = _inputs(ROOT / "examples") + _inputs(ROOT / "stdlib") + GOLDEN_INPUTS


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def strip_spans(value: Any) -> Any:
    """An AST as plain data without positions: dataclasses become dicts, spans are dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "_node": type(value).__name__,
            **{
                f.name: strip_spans(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if not isinstance(getattr(value, f.name), Span)
            },
        }
    if isinstance(value, list | tuple):
        return [strip_spans(v) for v in value]
    if isinstance(value, dict):
        return {k: strip_spans(v) for k, v in value.items()}
    return value


def ast_of(text: str, path: str) -> Any:
    tree, diagnostics = parse_file(text, path)
    assert tree is not None, diagnostics
    return strip_spans(tree)


@cache
def _comment_lexer() -> tuple[Lark, list[str]]:
    """An oracle independent of the formatter: the grammar's own COMMENT tokens."""
    seen: list[str] = []

    def keep(token: Token) -> Token:
        seen.append(str(token).rstrip())
        return token

    lark = Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        lexer_callbacks={"COMMENT": keep},
    )
    return lark, seen


def comments_of(text: str) -> list[str]:
    lark, seen = _comment_lexer()
    seen.clear()
    lark.parse(text)
    return list(seen)


# ---------------------------------------------------------------- guarantees over every file


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_idempotent(path: Path) -> None:
    once = format_source(_read(path), str(path))
    assert format_source(once, str(path)) == once
    assert check_formatted(once, str(path))


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_preserves_ast(path: Path) -> None:
    text = _read(path)
    assert ast_of(format_source(text, str(path)), str(path)) == ast_of(text, str(path))


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_preserves_comments(path: Path) -> None:
    text = _read(path)
    assert comments_of(format_source(text, str(path))) == comments_of(text)


def _perturb(text: str, rng: random.Random) -> str:
    """The same file with other spacing, indentation and numbers of blank lines."""
    pieces = re.split(r'("(?:[^"\\\n]|\\.)*"|#[^\n]*)', text)
    for i in range(0, len(pieces), 2):
        piece = re.sub(r"[ \t]+", lambda _: rng.choice([" ", "  ", "\t", " \t "]), pieces[i])
        piece = re.sub(r"\n(?=[^ \t\n])", lambda _: "\n" + " " * rng.randrange(6), piece)
        piece = re.sub(r"\n[ \t]*\n", lambda _: "\n" * rng.randrange(2, 5), piece)
        pieces[i] = re.sub(r"\n", lambda _: rng.choice(["", " ", "\t"]) + "\n", piece)
    return "".join(pieces)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_spacing_does_not_matter(path: Path, seed: int) -> None:
    text = _read(path)
    messy = _perturb(text, random.Random(seed))
    assert format_source(messy, str(path)) == format_source(text, str(path))


# ---------------------------------------------------------------- golden pairs


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=_id)
def test_golden_input_is_valid(path: Path) -> None:
    tree, diagnostics = parse_file(_read(path), str(path))
    assert tree is not None
    assert diagnostics == []


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=_id)
def test_golden(path: Path) -> None:
    expected_path = path.with_name(path.name.removesuffix(".clause") + EXPECTED_SUFFIX)
    formatted = format_source(_read(path), str(path))
    if UPDATE_GOLDEN:
        expected_path.write_text(formatted, encoding="utf-8")
    if not expected_path.exists():
        pytest.fail(f"no {expected_path.name}; record it with CLAUSEC_UPDATE_GOLDEN=1")
    assert formatted == _read(expected_path)


# ---------------------------------------------------------------- layout rules, one at a time


def fmt(body: str) -> str:
    """Format members inside a minimal contract and return the formatted members."""
    text = 'contract "T" {\n' + body + "\n}\n"
    lines = format_source(text, "t.clause").splitlines()
    assert lines[0] == 'contract "T" {' and lines[-1] == "}"
    return "\n".join(lines[1:-1])


def test_single_spaces_and_punctuation() -> None:
    assert fmt("param   x : money =12000   EUR") == "  param x: money = 12000 EUR"
    assert fmt("fact f { a : text , b : datetime ? }") == "  fact f { a: text, b: datetime? }"
    assert fmt("role r : buyer ( AC )") == "  role r: buyer (AC)"
    assert fmt("use a . b as c") == "  use a.b as c"


def test_unary_minus_stays_attached_and_binary_minus_is_spaced() -> None:
    assert fmt("param x: number = - 3 - -4*( - y)") == "  param x: number = -3 - -4 * (-y)"


def test_call_and_index_are_glued() -> None:
    text = "param x: number = f ( a where b ) [ k ] + { a: 1 } [ k ] + (a) + g( )"
    assert fmt(text) == "  param x: number = f(a where b)[k] + { a: 1 }[k] + (a) + g()"


def test_multi_word_terminals_get_single_spaces() -> None:
    body = "obligation o {\nsupplier must\tnot  leak data within 5  business\tdays\n}"
    expected = "  obligation o {\n    supplier must not leak data within 5 business days\n  }"
    assert fmt(body) == expected


def test_inline_braces_do_not_indent_but_line_ending_braces_do() -> None:
    body = "use t as u { a: 1,\nb: 2 }\nuse t as v {\na: 1 }"
    assert fmt(body) == "  use t as u { a: 1,\n      b: 2 }\n  use t as v {\n    a: 1 }"


def test_continuation_lines_get_four_more_spaces() -> None:
    body = "aggregate cap on credit\n20% of fee per contract year"
    assert fmt(body) == "  aggregate cap on credit\n      20% of fee per contract year"


def test_deadline_after_a_duty_on_its_own_line_is_a_statement() -> None:
    body = "obligation o {\nsupplier must ship goods\nwithin 3 days\n}"
    assert fmt(body) == "  obligation o {\n    supplier must ship goods\n    within 3 days\n  }"


def test_blank_lines_collapse_and_vanish_next_to_braces() -> None:
    body = "\n\nsla s {\n\n\nmeasure m\n\n\n\ntarget m > 1\n\n}\n\n\nsla t {\n}\n\n"
    assert fmt(body) == "  sla s {\n    measure m\n\n    target m > 1\n  }\n\n  sla t {\n  }"


def test_comments_keep_their_text_and_take_the_block_indentation() -> None:
    body = "sla s {   #  opens\n        # inside\nmeasure m#tight\n    # last\n}"
    expected = "  sla s { #  opens\n    # inside\n    measure m #tight\n    # last\n  }"
    assert fmt(body) == expected


def test_empty_and_comment_only_files() -> None:
    assert format_source("", "e.clause") == ""
    assert format_source("\n\n  \n", "e.clause") == ""
    assert format_source("\n  # only a comment   \n\n", "e.clause") == "# only a comment\n"


def test_windows_line_endings_become_unix() -> None:
    text = 'contract "T" {\r\n  id "X"  # c\r\n\r\n\r\n  version 1\r\n}\r\n'
    assert format_source(text, "w.clause") == 'contract "T" {\n  id "X" # c\n\n  version 1\n}\n'


def test_unchanged_file_checks_and_changed_file_does_not() -> None:
    assert check_formatted('contract "T" {\n  version 1\n}\n', "c.clause")
    assert not check_formatted('contract "T" {\n version 1\n}\n', "c.clause")
    assert not check_formatted('contract "T" {\n  version 1\n}', "c.clause")


def test_a_file_that_does_not_parse_is_not_guessed_at() -> None:
    text = 'contract "T" {\n  version\n}\n'
    result = format_text(text, "bad.clause")
    assert isinstance(result, FormatResult)
    assert result.text is None and not result.ok
    assert [d.code for d in result.diagnostics] == ["CC101"]
    with pytest.raises(FormatError) as raised:
        format_source(text, "bad.clause")
    assert raised.value.diagnostics == result.diagnostics
    with pytest.raises(FormatError):
        check_formatted(text, "bad.clause")


@pytest.mark.parametrize(
    "broken",
    [
        'contract "T" {\n  version 2\n  id "X"\n}\n',
        'contract "T" {\n  version 1 id "X"\n}\n',
        'contract "T" {\n  version 1\n  id "X"\n}\n# extra\n',
        'contract "T" {\n  version 1\n  id "X"\n',
    ],
    ids=["token", "joined", "comment", "unparsable"],
)
def test_a_layout_bug_is_caught_not_written(monkeypatch: pytest.MonkeyPatch, broken: str) -> None:
    monkeypatch.setattr(clausec.format._Layout, "render", lambda self: broken)
    with pytest.raises(FormatInvariantError):
        format_source('contract "T" {\n  version 1\n  id "X"\n}\n', "t.clause")


def test_shipped_clause_files_are_canonically_formatted() -> None:
    """Examples, stdlib templates and good golden files are what `clausec fmt` would write."""
    from clausec.format import check_formatted

    roots = [ROOT / "examples", ROOT / "stdlib", ROOT / "tests" / "golden" / "good"]
    files = sorted(p for root in roots for p in root.rglob("*.clause"))
    unformatted = [str(p.relative_to(ROOT)) for p in files
                   if not check_formatted(p.read_text(encoding="utf-8"), str(p))]
    assert not unformatted, f"run `clausec fmt` on: {', '.join(unformatted)}"
