"""Format (`clausec fmt`): source text to its canonical layout, changing only whitespace.

In: the text of one .clause file and its path. Out: a `FormatResult` holding the canonical text, or
no text and the parse diagnostics when the file does not parse; a broken file is never guessed at.

Guarantees: the tokens and the comments come out in the same order with the same text; only the
whitespace between them changes, plus the inner whitespace of multi-word terminals (`5  business
days` becomes `5 business days`). The author's line breaks are kept: no line is joined or split.
Formatting is idempotent. Every result is re-lexed and compared with the input before it is
returned, so a layout bug raises `FormatInvariantError` instead of changing a contract.

Layout: two spaces per open block, where a block is a `{` that ends its line (a `{ P1: 4 hours }`
written on one line stays inline and does not indent). A line that starts a statement sits at its
block's indentation; any other line continues the statement above and gets four more spaces; a line
starting with the block's `}` goes back to the statement's indentation. Within a line tokens are
separated by one space, except none before `, : ; ) ] ? . [` or a call's `(`, and none after
`( [ .` or a unary `-`. Comments keep their text, full-line ones at their block's indentation,
trailing ones one space after the code. Runs of blank lines become one; blank lines at either end
of the file, after a block's `{` and before a `}` go. Output uses `\n` line endings.

What a statement is comes from the parse tree, not from the text: a line starts a statement when
its first token begins a direct child of a file or of a block (members, SLA rows, fact fields,
lookup entries and so on), or is a deadline on its own line after a statement-level duty. Names,
types and meaning are left to the passes after `build_ast`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from lark import Lark, Token, Tree, UnexpectedInput

from clausec.diagnostics import Diagnostic
from clausec.parse import parse_source, parser

INDENT = 2
CONTINUATION = 4

_NO_SPACE_BEFORE = frozenset({",", ":", ";", ")", "]", "?", ".", "["})
_NO_SPACE_AFTER = frozenset({"(", "[", "."})
_GAP = re.compile(r"(?:[ \t\f\r\n]|#[^\n]*)*")
_COMMENT = re.compile(r"#[^\n]*")
_DEADLINES = frozenset({"by_deadline", "within_deadline"})


@dataclass(frozen=True, slots=True)
class FormatResult:
    """The canonical text of a file, or None and the diagnostics that stopped the formatter."""

    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.text is not None


class FormatError(Exception):
    """A file could not be formatted because it does not parse; carries the parse diagnostics."""

    def __init__(self, path: str, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{path}: cannot format a file that does not parse")
        self.path = path
        self.diagnostics = diagnostics


class FormatInvariantError(RuntimeError):
    """The formatter would have changed more than whitespace. A bug in this module."""


def format_text(text: str, path: str) -> FormatResult:
    """Format one file. A file that does not parse gives no text and its parse diagnostics."""
    tree, diagnostics = parse_source(text, path)
    if tree is None:
        return FormatResult(None, diagnostics)
    source = _Source.read(text)
    formatted = _Layout(source).render()
    _verify(source, formatted, path)
    return FormatResult(formatted, diagnostics)


def format_source(text: str, path: str) -> str:
    """The canonical text of a file; raises `FormatError` if the file does not parse."""
    result = format_text(text, path)
    if result.text is None:
        raise FormatError(path, result.diagnostics)
    return result.text


def check_formatted(text: str, path: str) -> bool:
    """True when the file is already in canonical layout (`fmt --check`); raises `FormatError`."""
    return format_source(text, path) == text


# ---------------------------------------------------------------- reading the source


def _token_parser() -> Lark:
    """The language's parser, but keeping every token (braces included) in the tree."""
    return parser(keep_all_tokens=True)


@dataclass(slots=True)
class _Line:
    tokens: list[Token] = field(default_factory=list)
    comment: str | None = None

    @property
    def blank(self) -> bool:
        return not self.tokens and self.comment is None


@dataclass(slots=True)
class _Source:
    """One parsed file as physical lines of tokens and comments, with what the layout asks of it."""

    lines: list[_Line]
    parents: dict[int, str]
    """Rule that holds each token, by the token's offset."""
    block_opens: set[int]
    """Offsets of the `{` that end their line."""
    block_closes: set[int]
    """Offsets of the `}` that close those."""
    statement_starts: set[int]
    """Offsets of the first tokens of top-level items and of direct children of blocks."""

    @classmethod
    def read(cls, text: str) -> _Source:
        tree = _token_parser().parse(text)
        parents = {_pos(t): str(sub.data) for sub in tree.iter_subtrees() for t in _tokens_of(sub)}
        tokens = sorted(
            (t for sub in tree.iter_subtrees() for t in _tokens_of(sub)),
            key=_pos,
        )
        lines = _split_lines(text, tokens)
        ends = [line.tokens[-1] for line in lines if line.tokens]
        opens = {_pos(t) for t in ends if t.type == "LBRACE"}
        closes = _matching_closes(tokens, opens)
        starts = _statement_starts(tree, opens)
        return cls(lines, parents, opens, closes, starts)

    def comments(self) -> list[str]:
        return [line.comment for line in self.lines if line.comment is not None]

    def words(self) -> list[list[tuple[str, str]]]:
        """The tokens of each line that has any, as (terminal, canonical text)."""
        return [[(t.type, _text(t)) for t in line.tokens] for line in self.lines if line.tokens]


def _pos(token: Token) -> int:
    assert token.start_pos is not None
    return token.start_pos


def _tokens_of(tree: Tree[Token]) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token)]


def _split_lines(text: str, tokens: list[Token]) -> list[_Line]:
    """Group tokens and comments by physical line; the gaps between tokens must be blank."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    lines = [_Line() for _ in range(len(newlines) + 1)]
    previous_end = 0
    for token in [*tokens, None]:
        gap_end = len(text) if token is None else _pos(token)
        gap = text[previous_end:gap_end]
        if not _GAP.fullmatch(gap):
            raise FormatInvariantError(f"unexpected text between tokens: {gap!r}")
        for match in _COMMENT.finditer(gap):
            line_index = bisect.bisect_left(newlines, previous_end + match.start())
            lines[line_index].comment = match.group().rstrip()
        if token is not None:
            lines[bisect.bisect_left(newlines, gap_end)].tokens.append(token)
            assert token.end_pos is not None
            previous_end = token.end_pos
    return lines


def _matching_closes(tokens: list[Token], opens: set[int]) -> set[int]:
    closes: set[int] = set()
    stack: list[int] = []
    for token in tokens:
        if token.type == "LBRACE":
            stack.append(_pos(token))
        elif token.type == "RBRACE" and stack.pop() in opens:
            closes.add(_pos(token))
    return closes


def _statement_starts(tree: Tree[Token], opens: set[int]) -> set[int]:
    starts: set[int] = set()
    for sub in tree.iter_subtrees():
        children = [c for c in sub.children if c is not None]
        if sub.data == "start":
            starts.update(_first_pos(c) for c in children)
            continue
        inside = False
        for child in children:
            if isinstance(child, Token) and child.type in ("LBRACE", "RBRACE"):
                inside = child.type == "LBRACE" and _pos(child) in opens
            elif inside:
                starts.add(_first_pos(child))
    # `duty: ... deadline?` swallows the deadline statement that follows a duty, so a deadline the
    # author put on its own line after a statement-level duty reads as a statement, not a tail.
    for sub in tree.iter_subtrees():
        if sub.data == "duty" and _first_pos(sub) in starts:
            starts.update(
                _first_pos(c) for c in sub.children if isinstance(c, Tree) and c.data in _DEADLINES
            )
    return starts


def _first_pos(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return _pos(node)
    start: int = node.meta.start_pos
    return start


def _text(token: Token) -> str:
    """A token's canonical text: multi-word terminals get single spaces, texts stay verbatim."""
    return str(token) if token.type == "STRING" else " ".join(str(token).split())


# ---------------------------------------------------------------- laying the lines out


class _Layout:
    """Walks the lines once, keeping a stack of block indentations."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.stack = [0]
        self.out: list[str] = []
        self.after_open = False
        self.pending_blank = False

    def render(self) -> str:
        for line in self.source.lines:
            if line.blank:
                self.pending_blank = bool(self.out)
            elif not line.tokens:
                self.emit(line, self.stack[-1], opens_block=False)
            else:
                self.code_line(line)
        return "\n".join(self.out) + "\n" if self.out else ""

    def code_line(self, line: _Line) -> None:
        tokens = line.tokens
        first = tokens[0]
        if _pos(first) in self.source.block_closes:
            self.stack.pop()
            indent = self.stack[-1]
            tokens = tokens[1:]
        elif first.type == "RBRACE" or _pos(first) in self.source.statement_starts:
            indent = self.stack[-1]
        else:
            indent = self.stack[-1] + CONTINUATION
        statement_indent = self.stack[-1]
        for token in tokens:
            if _pos(token) in self.source.block_closes:
                self.stack.pop()
                statement_indent = self.stack[-1]
            elif _pos(token) in self.source.block_opens:
                self.stack.append(statement_indent + INDENT)
        self.emit(line, indent, opens_block=_pos(line.tokens[-1]) in self.source.block_opens)

    def emit(self, line: _Line, indent: int, opens_block: bool) -> None:
        closes = bool(line.tokens) and line.tokens[0].type == "RBRACE"
        if self.pending_blank and not self.after_open and not closes:
            self.out.append("")
        self.pending_blank = False
        self.after_open = opens_block
        parts = [self.join(line.tokens)] if line.tokens else []
        if line.comment is not None:
            parts.append(line.comment)
        self.out.append(" " * indent + " ".join(parts))

    def join(self, tokens: list[Token]) -> str:
        text = _text(tokens[0])
        for previous, token in itertools.pairwise(tokens):
            text += ("" if self.glued(previous, token) else " ") + _text(token)
        return text

    def glued(self, previous: Token, token: Token) -> bool:
        """Whether two neighbouring tokens on a line are written without a space."""
        parents = self.source.parents
        if str(token) in _NO_SPACE_BEFORE or str(previous) in _NO_SPACE_AFTER:
            return True
        if str(token) == "(" and parents[_pos(token)] == "call":
            return True
        return str(previous) == "-" and parents[_pos(previous)] == "neg"


def _verify(before: _Source, formatted: str, path: str) -> None:
    """Re-lex the result: the same tokens on the same lines and the same comments, or a bug."""
    try:
        after = _Source.read(formatted)
    except UnexpectedInput as error:
        raise FormatInvariantError(f"{path}: the formatted text does not parse") from error
    if before.words() != after.words() or before.comments() != after.comments():
        raise FormatInvariantError(f"{path}: formatting would change more than whitespace")
