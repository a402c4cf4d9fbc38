"""Error recovery for the LALR parser, so that one run reports each real mistake once.

At an unexpected token the parser first tries to insert the one token that was missing
(`until`, `{`, a quoted text): if inserting it lets the unexpected token through, parsing goes
on as if the author had written it, and later errors are real ones. Otherwise the token is
skipped; while the parser stays stuck in the same state, what it skips is not reported again.
"""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedInput, UnexpectedToken

# A stand-in value for each named terminal, for the insertion attempt; string terminals
# (keywords and punctuation) stand for themselves.
SAMPLES = {
    "NAME": "x",
    "STRING": '""',
    "NUMBER": "0",
    "INT": "0",
    "DATE": "2000-01-01",
    "DATETIME": "2000-01-01T00:00",
    "PERCENT": "0%",
    "MONEY": "0 EUR",
    "DURATION": "0 days",
    "BOOL": "true",
    "NONE": "none",
}
# Terminals never inserted: closing a block or ending a file silently would hide structure.
NEVER = {"RBRACE", "$END"}


def _sample(name: str, patterns: dict[str, tuple[str, str]]) -> str | None:
    if name in NEVER:
        return None
    kind, value = patterns.get(name, ("", ""))
    if kind == "str":
        return value
    return SAMPLES.get(name)


def try_insertion(error: UnexpectedInput, patterns: dict[str, tuple[str, str]]) -> bool:
    """Insert the missing token before `error.token` if that makes it fit; True on success."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return False
    interactive = getattr(error, "interactive_parser", None)
    if interactive is None:
        return False
    for name in sorted(
        interactive.accepts(), key=lambda n: (patterns.get(n, ("re",))[0] != "str", n)
    ):
        sample = _sample(name, patterns)
        if sample is None:
            continue
        missing = Token.new_borrow_pos(name, sample, error.token)
        trial = interactive.copy()
        try:
            trial.feed_token(missing)
            trial.feed_token(error.token)
        except UnexpectedInput:
            continue
        interactive.feed_token(missing)
        interactive.feed_token(error.token)
        return True
    return False
