"""Pass 1, parse: source text to a Lark tree, or diagnostics in plain words.

The LALR parser is built once per process. Parse errors never escape as exceptions: each becomes a
CC1xx diagnostic that says what was found and what could come there instead, in words an author
knows ("a money amount like 12000 EUR"), not in Lark's token names. The parser recovers by skipping
the offending token, so one run reports every independent error; follow-on errors on the line of
an error already reported are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from operator import itemgetter
from typing import Any

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from lark.exceptions import UnexpectedToken
from lark.grammar import Rule, Terminal

from clausec.diagnostics import Diagnostic, Span
from clausec.parse_recovery import try_insertion
from clausec.resources import grammar_path

MAX_PARSE_ERRORS = 20

# What each named terminal looks like, for "expected ..." lists.
TERMINAL_WORDS: dict[str, str] = {
    "MONEY": "a money amount like 12000 EUR",
    "PERCENT": "a percentage like 99.9%",
    "DURATION": "a duration like 5 business days",
    "DATETIME": "a date-time like 2026-03-01T17:00[Europe/Berlin]",
    "DATE": "a date like 2026-01-31",
    "NUMBER": "a number",
    "INT": "a whole number",
    "STRING": 'a quoted text like "4.2"',
    "NAME": "a name",
    "BOOL": "true or false",
    "NONE": "none",
    "MODALITY": "must or must not",
    "AMOUNT_KIND": "credit, penalty, bonus, interest, rebate or damages",
    "HIT_POLICY": "a hit policy (first match, unique or collect sum)",
    "BAND_KIND": "marginal or whole",
    "RATE_UNIT": "a unit (hour, day, business day, week, month or year)",
    "PART_POLICY": "or part thereof, pro rata or completed",
    "CAP_SCOPE": "a cap scope (window, instance, month, quarter, year, contract year, contract)",
    "PERIOD": "a period (day, week, month, quarter or year)",
    "EVENT": "an event (fulfilled, violated, breached, met, fired, granted, expired, ...)",
    "CLAUSE_KIND": "a clause kind (sla, obligation, metric, trigger, ...)",
    "SUSPEND_MODE": "extending deadline or keeping deadline",
    "MISSING_POLICY": "a missing-data policy (undetermined, compliant, breach or zero)",
    "ROUNDING_MODE": "a rounding mode (half_up, half_even, half_down, up, down, ...)",
    "RACI_LETTERS": "RACI letters like R or AC",
    "COMP_OP": "a comparison (<, <=, >, >=, ==, !=)",
    "$END": "the end of the file",
}


def new_parser(keep_all_tokens: bool = False) -> Lark:
    """A new LALR parser of the language, with Lark's own tree building."""
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        keep_all_tokens=keep_all_tokens,
    )


# The callback of a rule of one symbol whose value is that symbol's: `parser` and `reduce_ast`
# give it to inlined one-symbol rules (`?sum: product`).
pass_child = itemgetter(0)


@cache
def parser(keep_all_tokens: bool = False) -> Lark:
    """The LALR parser of the language that builds a Lark tree, built on first use. The
    formatter asks for a variant that keeps every token (braces included) in the tree."""
    lark = new_parser(keep_all_tokens)
    _pass_single_children_through(lark)
    return lark


def _pass_single_children_through(lark: Lark) -> None:
    """Reduce each inlined one-symbol rule (`?sum: product`) to handing its child on.

    Lark's callback for such a rule returns the child as it is, after recomputing the child's
    positions from the child itself: work that changes nothing, done about ten times for
    every operand of every expression (the precedence chain), and 70% of all reductions in a
    large contract. The tree is the same, node for node and position for position:
    `tests/test_reduce_ast.py` holds it to Lark's own callbacks."""
    for rule in lark.rules:
        if passes_single_child(rule, lark.options.keep_all_tokens):
            lark._callbacks[rule] = pass_child


def passes_single_child(rule: Rule, keep_all_tokens: bool) -> bool:
    """True when Lark's tree builder returns this rule's one child unchanged: an inlined rule
    (`?name`, no alias) of one symbol that is neither dropped (an anonymous token), nor
    spliced (a `_rule`), nor accompanied by placeholders for missing `[optional]` parts."""
    if not rule.options.expand1 or rule.alias or len(rule.expansion) != 1:
        return False
    if rule.options.empty_indices:
        return False
    symbol = rule.expansion[0]
    if isinstance(symbol, Terminal):
        return keep_all_tokens or rule.options.keep_all_tokens or not symbol.filter_out
    return not symbol.name.startswith("_")


# Per parser, though all of them have the language's terminals: reading them from the parser
# in use saves building another.
@cache
def _patterns(lark: Lark) -> dict[str, tuple[str, str]]:
    return {t.name: (t.pattern.type, t.pattern.value) for t in lark.terminals}


@cache
def _terminal_text(lark: Lark) -> dict[str, str]:
    words = dict(TERMINAL_WORDS)
    for terminal in lark.terminals:
        if terminal.name not in words and terminal.pattern.type == "str":
            words[terminal.name] = f"'{terminal.pattern.value}'"
    return words


def describe_expected(names: set[str] | frozenset[str], lark: Lark) -> str:
    """Turn a set of terminal names of `lark`'s into a sorted, readable list."""
    words = _terminal_text(lark)
    texts = sorted({words.get(n, n.lower()) for n in names if not n.startswith("__")})
    quoted = [t for t in texts if t.startswith("'")]
    described = [t for t in texts if not t.startswith("'")]
    shown = described + quoted
    if len(shown) > 10:
        shown = [*shown[:10], f"... ({len(shown) - 10} more)"]
    return ", ".join(shown)


def _found(token: Token, lark: Lark) -> str:
    if token.type == "$END":
        return "the end of the file"
    kind = _terminal_text(lark).get(token.type, "")
    if kind.startswith("'") or not kind:
        return f"'{token}'"
    return f"'{token}' ({kind.split(' like ')[0]})"


def _error_diagnostic(error: UnexpectedInput, path: str, text: str, lark: Lark) -> Diagnostic:
    line, col = max(error.line, 1), max(error.column, 1)
    if isinstance(error, UnexpectedCharacters):
        pos = error.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        span = Span(path, line, col, line, col + 1)
        msg = f"unexpected character {char!r}"
        hint = "only letters, digits, quotes and the language's punctuation may appear here"
        if char == '"':
            msg, hint = "unterminated text", "close the text with a double quote on the same line"
        return Diagnostic("CC102", msg, span, help=hint)
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        span = Span(path, line, col, line, col + 1)
        accepts = getattr(error, "accepts", None) or error.expected
        expected = describe_expected(set(accepts), lark)
        return Diagnostic(
            "CC103",
            "the file ends too early",
            span,
            help=f"expected {expected}; is a closing '}}' missing?",
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    end_col = (token.end_column or col + len(str(token))) if token.end_line == line else col + 1
    span = Span(path, line, col, line, end_col)
    expected = describe_expected(set(error.accepts or error.expected), lark)
    found = _found(token, lark)
    return Diagnostic("CC101", f"unexpected {found}", span, help=f"expected {expected}")


def _parser_state(error: UnexpectedInput) -> tuple[int, ...] | None:
    interactive = getattr(error, "interactive_parser", None)
    if interactive is None:
        return None
    return tuple(interactive.parser_state.state_stack)


def parse_source(text: str, path: str) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    """Parse one file. Returns the tree (None when there were errors) and the diagnostics."""
    tree, errors = parse_with(parser(), text, path)
    return tree, errors


def parse_with(
    lark: Lark, text: str, path: str, on_first_error: Callable[[], object] | None = None
) -> tuple[Any, list[Diagnostic]]:
    """Parse one file with `lark`, this module's parser or one built on the same grammar and
    options (`reduce_ast`'s). Returns what it produced (None when there were errors) and the
    diagnostics. `on_first_error` is told as soon as the input is known to be wrong."""
    errors: list[Diagnostic] = []
    reported_lines: set[int] = set()
    stuck_in: list[tuple[int, ...]] = []

    def on_error(error: UnexpectedInput) -> bool:
        # See parse_recovery: insert a missing token when that works, else skip the token; a
        # parser still stuck where it was, or at the end after an error, reports nothing new.
        if on_first_error is not None and not errors:
            on_first_error()
        state = _parser_state(error)
        at_end = isinstance(error, UnexpectedEOF) or (
            isinstance(error, UnexpectedToken) and error.token.type == "$END"
        )
        fresh = state is None or state not in stuck_in
        if error.line not in reported_lines and fresh and not (at_end and errors):
            reported_lines.add(error.line)
            errors.append(_error_diagnostic(error, path, text, lark))
        if try_insertion(error, _patterns(lark)):
            stuck_in.clear()
        else:
            stuck_in[:] = [state] if state is not None else []
        return len(errors) < MAX_PARSE_ERRORS and not at_end

    try:
        result = lark.parse(text, on_error=on_error)
    except UnexpectedInput as error:
        if error.line not in reported_lines and not errors:
            errors.append(_error_diagnostic(error, path, text, lark))
        return None, errors
    return (None if errors else result), errors
