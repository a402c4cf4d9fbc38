"""Every ```clause example in docs/language.md parses, and together they cover the grammar.

Convention for the examples: a block whose first statement (after blank lines and `#` comments)
starts with `contract`, `template`, `amendment` or `import` is a whole file and is parsed as it
is. Any other block is a fragment made of contract members (parameters, facts, clauses, ...) and
is parsed wrapped in `contract "Doc example" { ... }`. Blocks tagged anything other than
`clause` (```text, ```console) are not checked.

Each block is a test case whose id names the line of the docs where the block starts, so a
failure points straight at the example to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from lark import Token, Tree

from clausec.build_ast import parse_file
from clausec.parse import parse_source, parser

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"
WHOLE_FILE_KEYWORDS = ("contract", "template", "amendment", "import")
WRAPPER_OPEN = 'contract "Doc example" {\n'
WRAPPER_CLOSE = "\n}\n"

# Word terminals whose every alternative must appear in some example. ROUNDING_MODE and
# RACI_LETTERS are left out: the docs list their values in a table instead.
WORD_TERMINALS = (
    "MODALITY",
    "AMOUNT_KIND",
    "HIT_POLICY",
    "BAND_KIND",
    "RATE_UNIT",
    "PART_POLICY",
    "CAP_SCOPE",
    "PERIOD",
    "EVENT",
    "CLAUSE_KIND",
    "SUSPEND_MODE",
    "MISSING_POLICY",
)


@dataclass(frozen=True, slots=True)
class Block:
    """One ```clause block: the docs line of its opening fence and its text."""

    line: int
    text: str

    @property
    def whole_file(self) -> bool:
        for raw in self.text.splitlines():
            stripped = raw.strip()
            if stripped and not stripped.startswith("#"):
                return stripped.split()[0] in WHOLE_FILE_KEYWORDS
        return True

    @property
    def source(self) -> str:
        return self.text if self.whole_file else WRAPPER_OPEN + self.text + WRAPPER_CLOSE

    def doc_line(self, source_line: int) -> int:
        """The docs line of a line of `source`, undoing the wrapper's extra first line."""
        offset = 0 if self.whole_file else 1
        return self.line + source_line - offset


def clause_blocks(markdown: str) -> list[Block]:
    """The ```clause blocks of a markdown text, in order."""
    blocks: list[Block] = []
    start: int | None = None
    body: list[str] = []
    for number, line in enumerate(markdown.splitlines(), start=1):
        if start is None:
            if line.strip() == "```clause":
                start, body = number, []
        elif line.strip() == "```":
            blocks.append(Block(start, "\n".join(body) + "\n"))
            start = None
        else:
            body.append(line)
    assert start is None, f"docs/language.md:{start}: the ```clause block is never closed"
    return blocks


@cache
def doc_blocks() -> tuple[Block, ...]:
    return tuple(clause_blocks(DOC.read_text(encoding="utf-8")))


@pytest.mark.parametrize("block", doc_blocks(), ids=lambda b: f"line-{b.line}")
def test_example_parses(block: Block) -> None:
    _, diagnostics = parse_file(block.source, f"docs/language.md:{block.line}")
    problems = [
        f"docs/language.md:{block.doc_line(d.span.line)}:{d.span.col}: {d.code} {d.message}"
        + (f" ({d.help})" if d.help else "")
        for d in diagnostics
    ]
    assert not problems, "\n".join(problems)


def test_docs_have_examples() -> None:
    assert len(doc_blocks()) >= 40


@cache
def _trees() -> tuple[Tree[Token], ...]:
    """The parse trees of the examples that parse (the others fail `test_example_parses`)."""
    trees: list[Tree[Token]] = []
    for block in doc_blocks():
        tree, _ = parse_source(block.source, "docs/language.md")
        if tree is not None:
            trees.append(tree)
    return tuple(trees)


def _grammar_constructs() -> set[str]:
    """The names of the tree nodes the grammar can build: rules and `-> alias` names.

    A `?rule` without an alias only builds a node when it has more than one child, so an
    alternative with one kept symbol (`?atom: "(" expr ")"`) is not a construct of its own.
    """
    names: set[str] = set()
    for rule in parser().rules:
        name = str(rule.alias or rule.origin.name)
        if name.startswith("_"):
            continue
        kept = [s for s in rule.expansion if not getattr(s, "filter_out", False)]
        inlined = len(kept) == 1 and not kept[0].name.startswith("__")
        if rule.options.expand1 and not rule.alias and inlined:
            continue
        names.add(name)
    return names


def test_examples_cover_every_grammar_rule() -> None:
    used: set[str] = set()
    for tree in _trees():
        used.update(str(sub.data) for sub in tree.iter_subtrees())
    missing = sorted(_grammar_constructs() - used)
    assert not missing, f"no example in docs/language.md uses: {', '.join(missing)}"


def _alternatives(pattern: str) -> list[str]:
    """The words a word terminal matches: `(first[ \\t]+match|unique)\\b` gives "first match"
    and "unique"; `must([ \\t]+not)?\\b` gives "must" and "must not"."""
    body = re.sub(r"\[ (?:\\t|\t)\]\+", " ", pattern).removesuffix(r"\b")
    return sorted({" ".join(word.split()) for word in _expand(body)})


def _expand(regex: str) -> list[str]:
    """All strings of a regex made only of letters, spaces, groups, `|` and `?`."""
    results = [""]
    i = 0
    while i < len(regex):
        if regex[i] == "(":
            end = _closing(regex, i)
            options = [w for alt in _split_top(regex[i + 1 : end]) for w in _expand(alt)]
            i = end + 1
            if i < len(regex) and regex[i] == "?":
                options, i = [*options, ""], i + 1
            results = [r + o for r in results for o in options]
        else:
            results = [r + regex[i] for r in results]
            i += 1
    return results


def _closing(regex: str, start: int) -> int:
    depth = 0
    for i in range(start, len(regex)):
        depth += {"(": 1, ")": -1}.get(regex[i], 0)
        if depth == 0:
            return i
    raise ValueError(f"unbalanced group in {regex!r}")


def _split_top(regex: str) -> list[str]:
    parts: list[str] = []
    depth, current = 0, ""
    for char in regex:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts, current = [*parts, current], ""
        else:
            current += char
    return [*parts, current]


def test_examples_use_every_keyword_variant() -> None:
    seen: dict[str, set[str]] = {}
    for tree in _trees():
        for token in tree.scan_values(lambda v: isinstance(v, Token)):
            seen.setdefault(token.type, set()).add(" ".join(str(token).split()))
    terminals = {t.name: t.pattern for t in parser().terminals}
    missing = [
        f"{name}: {word}"
        for name in WORD_TERMINALS
        if name in terminals
        for word in _alternatives(terminals[name].value)
        if word not in seen.get(name, set())
    ]
    assert not missing, f"no example in docs/language.md uses: {'; '.join(missing)}"
