"""Property tests: a malformed .clause file never produces a Python traceback.

Every valid file under examples/ and tests/golden/good/ is mutated the way an author's slip or a
bad merge breaks a file (a token span deleted, a line duplicated or swapped, punctuation, keywords
and stray characters inserted, the file cut short, one token replaced by another) and the mutant
is compiled from disk. The compiler must return, never raise; it must either produce a bundle or
say why not with an error, and every diagnostic must carry a registered code and a real position
and render. The formatter gets the same mutants: it either formats (idempotently) or returns the
parse diagnostics, and `format_source` raises nothing but `FormatError`.

The runs are derandomized and use no example database, so CI sees the same inputs every time.
The example budget is split over the corpus so that the file stays within about 30 seconds.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausec import nodes as n
from clausec.codes import CODES
from clausec.compiler import Compilation, compile_contract
from clausec.diagnostics import Diagnostic, render_all
from clausec.format import FormatError, format_source, format_text

ROOT = Path(__file__).resolve().parent.parent


def _valid_files() -> list[Path]:
    folders = [ROOT / "examples", ROOT / "tests" / "golden" / "good"]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.clause"))


CORPUS = _valid_files()

# The whole file should run in about 30 s on 2 cores whatever the size of the corpus.
COMPILE_BUDGET, FORMAT_BUDGET, MIN_EXAMPLES = 600, 360, 10


def _fuzz_settings(budget: int) -> settings:
    return settings(
        max_examples=max(MIN_EXAMPLES, budget // max(1, len(CORPUS))),
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------- mutations

# Words of the language, its punctuation and literals, and characters it has no use for.
WORDS = (
    "contract", "template", "amendment", "import", "param", "fact", "metric", "sla",
    "obligation", "trigger", "party", "role", "must", "must not", "may", "cap", "per", "of",
    "within", "by", "where", "on breach", "first match", "unique", "collect sum", "none", "true",
)  # fmt: skip
PUNCTUATION = (
    "{", "}", "{ }", "(", ")", "[", "]", ",", ":", ";", ".", "?", "|", "-", "+", "*", "/", "<",
    "<=", "==", "!=", "%", "=", "\\", "@", "$", "`", "~", "^", "&", "#", "# comment\n", "'",
    '"', '""', '"unterminated',
)  # fmt: skip
LITERALS = (
    "99.9%", "0%", "100%", "1000%", "-1%", "0", "00", "1e400", "99999999999999999999999999",
    "12000 EUR", "0 EUR", "12 XYZ", "5 business days", "0 days", "2026-02-30", "2026-13-01",
    "9999-12-31", "2026-03-01T17:00[Europe/Berlin]", "2026-03-01T25:00[Nowhere/Zone]",
)  # fmt: skip
ODD_CHARACTERS = (
    "\t", "\n", "\n\n", "\r\n", "\x00", "\ufeff", "\u00a0", "é", "€", "ß", "日本", "😀", "\u200b",
)  # fmt: skip
SNIPPETS = WORDS + PUNCTUATION + LITERALS + ODD_CHARACTERS
# Stray text: any character that can be written as UTF-8 (lone surrogates cannot).
STRAY = st.text(st.characters(codec="utf-8"), min_size=1, max_size=6)
TOKEN = re.compile(r'"[^"\n]*"|[A-Za-z_][A-Za-z0-9_]*|\d[\d.:\-T]*%?|\S')

Mutation = Callable[[str, st.DataObject], str]


def _tokens(text: str) -> list[re.Match[str]]:
    return list(TOKEN.finditer(text))


def _index(data: st.DataObject, size: int, label: str) -> int:
    return data.draw(st.integers(0, max(0, size - 1)), label=label)


def delete_token_span(text: str, data: st.DataObject) -> str:
    tokens = _tokens(text)
    if not tokens:
        return text
    first = _index(data, len(tokens), "first token")
    last = min(len(tokens) - 1, first + data.draw(st.integers(0, 4), label="extra tokens"))
    return text[: tokens[first].start()] + text[tokens[last].end() :]


def duplicate_line(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True) or [""]
    i = _index(data, len(lines), "line")
    return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def swap_lines(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) < 2:
        return text
    i, j = _index(data, len(lines), "line a"), _index(data, len(lines), "line b")
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def insert_text(text: str, data: st.DataObject) -> str:
    at = data.draw(st.integers(0, len(text)), label="insert at")
    piece = data.draw(st.sampled_from(SNIPPETS) | STRAY, label="inserted")
    space = data.draw(st.sampled_from(["", " "]), label="spacing")
    return text[:at] + space + piece + space + text[at:]


def truncate(text: str, data: st.DataObject) -> str:
    return text[: data.draw(st.integers(0, len(text)), label="cut at")]


def replace_token(text: str, data: st.DataObject) -> str:
    """One token for another of the same file: mostly parses, so it reaches the later passes."""
    tokens = _tokens(text)
    if not tokens:
        return text
    old = tokens[_index(data, len(tokens), "replaced")]
    new = tokens[_index(data, len(tokens), "replacement")].group()
    return text[: old.start()] + new + text[old.end() :]


MUTATIONS: tuple[Mutation, ...] = (
    delete_token_span, duplicate_line, swap_lines, insert_text, truncate, replace_token,
)  # fmt: skip


def mutate(text: str, data: st.DataObject) -> str:
    """One to three mutations in a row."""
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        text = mutation(text, data)
    return text


# ---------------------------------------------------------------- where mutants are written


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """A copy of each corpus folder, so mutants sit beside the files they may import."""
    with tempfile.TemporaryDirectory(prefix="clausec-fuzz-") as tmp:
        root = Path(tmp)
        for folder in {p.parent for p in CORPUS}:
            shutil.copytree(folder, root / folder.relative_to(ROOT))
        yield root


def write_mutant(workdir: Path, original: Path, text: str, kind: str) -> Path:
    path = workdir / original.parent.relative_to(ROOT) / f"_{kind}_{original.name}"
    path.write_text(text, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------- what must hold


def holds_no_contract(result: Compilation) -> bool:
    """A file with no contract in it (a template library, or cut down to comments) compiles to
    no bundle and no error; `clausec compile` reports that as a usage error."""
    return result.source is not None and not any(
        isinstance(item, n.ContractDecl) for item in result.source.items
    )


def assert_diagnostic_well_formed(diagnostic: Diagnostic, sources: dict[str, str]) -> None:
    span = diagnostic.span
    assert diagnostic.code in CODES, diagnostic
    assert diagnostic.message, diagnostic
    if diagnostic.code == "CC100":
        return
    assert span.line >= 1 and span.col >= 1, diagnostic
    text = sources.get(span.path)
    if text is not None:
        # Lark counts lines by "\n" only; a span past the last line cannot be underlined.
        assert span.line <= text.count("\n") + 1, diagnostic


def assert_compilation_sound(result: Compilation) -> None:
    assert result.bundle is not None or not result.ok or holds_no_contract(result), result
    if result.bundle is not None:
        assert result.ok
        assert result.bundle.hash.startswith("sha256:")
    for diagnostic in result.diagnostics:
        assert_diagnostic_well_formed(diagnostic, result.sources)
    rendered = render_all(result.diagnostics, result.sources)
    for diagnostic in result.diagnostics:
        assert f"[{diagnostic.code}]" in rendered


# ---------------------------------------------------------------- the properties


@pytest.mark.parametrize("original", CORPUS, ids=_id)
@_fuzz_settings(COMPILE_BUDGET)
@given(data=st.data())
def test_compile_mutant_never_raises(original: Path, workdir: Path, data: st.DataObject) -> None:
    text = mutate(original.read_text(encoding="utf-8"), data)
    path = write_mutant(workdir, original, text, "compile")
    assert_compilation_sound(compile_contract(path))


@pytest.mark.parametrize("original", CORPUS, ids=_id)
@_fuzz_settings(FORMAT_BUDGET)
@given(data=st.data())
def test_format_mutant_never_raises(original: Path, data: st.DataObject) -> None:
    text = mutate(original.read_text(encoding="utf-8"), data)
    result = format_text(text, "mutant.clause")
    if result.text is None:
        assert result.diagnostics, "a file that cannot be formatted must say why"
        assert all(d.code.startswith("CC1") for d in result.diagnostics), result.diagnostics
        for diagnostic in result.diagnostics:
            assert_diagnostic_well_formed(diagnostic, {"mutant.clause": text})
        render_all(result.diagnostics, {"mutant.clause": text})
        with pytest.raises(FormatError):
            format_source(text, "mutant.clause")
    else:
        again = format_text(result.text, "mutant.clause")
        assert again.text == result.text, "formatting is not idempotent"


@_fuzz_settings(COMPILE_BUDGET // 4)
@given(text=st.text(st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="clausec-fuzz-") as tmp:
        path = Path(tmp) / "arbitrary.clause"
        path.write_text(text, encoding="utf-8", newline="")
        assert_compilation_sound(compile_contract(path))
    result = format_text(text, "arbitrary.clause")
    assert result.text is not None or result.diagnostics


# ---------------------------------------------------------------- inputs the mutations miss


def test_corpus_is_not_empty() -> None:
    assert CORPUS, "no valid .clause files to mutate"


@pytest.mark.parametrize(
    "raw",
    [b"", b"# only a comment\n", b"\xff\xfe not utf-8", b"contract", b"}" * 500, b"{" * 3000],
    ids=["empty", "comment-only", "not-utf8", "keyword-only", "closing-braces", "deep-nesting"],
)
def test_degenerate_files(raw: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="clausec-fuzz-") as tmp:
        path = Path(tmp) / "degenerate.clause"
        path.write_bytes(raw)
        assert_compilation_sound(compile_contract(path))


def test_unreadable_paths_are_cc100(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.clause", tmp_path):
        result = compile_contract(path)
        assert [d.code for d in result.diagnostics] == ["CC100"]
        assert_compilation_sound(result)


# Characters that `str.splitlines` breaks lines at but Lark (which counts "\n") does not: the
# caret line must be found by "\n" too (render used splitlines() until f08399f).
LINE_BREAKS_LARK_IGNORES = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("separator", LINE_BREAKS_LARK_IGNORES, ids=repr)
def test_caret_line_after_unicode_line_separator_in_comment(separator: str, tmp_path: Path) -> None:
    text = (
        f"# a comment with a{separator}separator in it\n"
        'contract "Separators" {\n'
        "  param fee: mony = 12 EUR\n"
        "}\n"
    )
    path = tmp_path / "separator.clause"
    path.write_text(text, encoding="utf-8", newline="")
    result = compile_contract(path)
    [diagnostic] = [d for d in result.diagnostics if d.code == "CC209"]
    assert diagnostic.span.line == 3
    assert "3 |   param fee: mony = 12 EUR" in render_all([diagnostic], result.sources)
