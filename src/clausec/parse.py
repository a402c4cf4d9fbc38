"""Pass 1, parse: source text to a Lark tree, or diagnostics in plain words.

The LALR parser is built once per process. Parse errors never escape as exceptions: each becomes a
CC1xx diagnostic that says what was found and what could come there instead, in words an author
knows ("a money amount like 12000 EUR"), not in Lark's token names. The parser recovers by skipping
the offending token, so one run reports every independent error; follow-on errors on the line of
an error already reported are dropped.
"""

from __future__ import annotations

from functools import cache

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from lark.exceptions import UnexpectedToken

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


@cache
def parser(keep_all_tokens: bool = False) -> Lark:
    """The one LALR parser of the language, built on first use. The formatter asks for a
    variant that keeps every token (braces included) in the tree."""
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        keep_all_tokens=keep_all_tokens,
    )


@cache
def _patterns() -> dict[str, tuple[str, str]]:
    return {t.name: (t.pattern.type, t.pattern.value) for t in parser().terminals}


@cache
def _terminal_text() -> dict[str, str]:
    words = dict(TERMINAL_WORDS)
    for terminal in parser().terminals:
        if terminal.name not in words and terminal.pattern.type == "str":
            words[terminal.name] = f"'{terminal.pattern.value}'"
    return words


def describe_expected(names: set[str] | frozenset[str]) -> str:
    """Turn a set of terminal names into a sorted, readable list."""
    words = _terminal_text()
    texts = sorted({words.get(n, n.lower()) for n in names if not n.startswith("__")})
    quoted = [t for t in texts if t.startswith("'")]
    described = [t for t in texts if not t.startswith("'")]
    shown = described + quoted
    if len(shown) > 10:
        shown = [*shown[:10], f"... ({len(shown) - 10} more)"]
    return ", ".join(shown)


def _found(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    kind = _terminal_text().get(token.type, "")
    if kind.startswith("'") or not kind:
        return f"'{token}'"
    return f"'{token}' ({kind.split(' like ')[0]})"


def _error_diagnostic(error: UnexpectedInput, path: str, text: str) -> Diagnostic:
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
        expected = describe_expected(set(getattr(error, "accepts", None) or error.expected))
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
    expected = describe_expected(set(error.accepts or error.expected))
    return Diagnostic("CC101", f"unexpected {_found(token)}", span, help=f"expected {expected}")


def _parser_state(error: UnexpectedInput) -> tuple[int, ...] | None:
    interactive = getattr(error, "interactive_parser", None)
    if interactive is None:
        return None
    return tuple(interactive.parser_state.state_stack)


def parse_source(text: str, path: str) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    """Parse one file. Returns the tree (None when there were errors) and the diagnostics."""
    errors: list[Diagnostic] = []
    reported_lines: set[int] = set()
    stuck_in: list[tuple[int, ...]] = []

    def on_error(error: UnexpectedInput) -> bool:
        # See parse_recovery: insert a missing token when that works, else skip the token; a
        # parser still stuck where it was, or at the end after an error, reports nothing new.
        state = _parser_state(error)
        at_end = isinstance(error, UnexpectedEOF) or (
            isinstance(error, UnexpectedToken) and error.token.type == "$END"
        )
        fresh = state is None or state not in stuck_in
        if error.line not in reported_lines and fresh and not (at_end and errors):
            reported_lines.add(error.line)
            errors.append(_error_diagnostic(error, path, text))
        if try_insertion(error, _patterns()):
            stuck_in.clear()
        else:
            stuck_in[:] = [state] if state is not None else []
        return len(errors) < MAX_PARSE_ERRORS and not at_end

    try:
        tree = parser().parse(text, on_error=on_error)
    except UnexpectedInput as error:
        if error.line not in reported_lines and not errors:
            errors.append(_error_diagnostic(error, path, text))
        return None, errors
    return (None if errors else tree), errors
