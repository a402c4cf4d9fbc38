"""Diagnostics: the one type every pass reports problems with, and its compiler-style rendering.

A diagnostic names a stable code from `codes.CODES`, a severity, a message, the span it is about,
an optional `help:` line and notes. Passes collect diagnostics; `compile_contract` stops between
passes when any is an error. Rendering needs the source text, which the caller passes in.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from clausec.codes import CODES, Level


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: 1-based line and column, end exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }


NO_SPAN = Span("<builtin>", 0, 0, 0, 0)


Severity = Level


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a source file."""

    code: str
    message: str
    span: Span
    help: str | None = None
    notes: tuple[str, ...] = field(default=())
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code}")
        if self.severity is None:
            object.__setattr__(self, "severity", CODES[self.code].severity)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.level,
            "message": self.message,
            "span": self.span.to_json(),
            "help": self.help,
            "notes": list(self.notes),
        }

    @property
    def level(self) -> str:
        return (self.severity or Severity.ERROR).value


class CompileError(Exception):
    """Raised by the pipeline when a pass reports errors; carries every diagnostic so far."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{sum(d.is_error for d in diagnostics)} error(s)")
        self.diagnostics = diagnostics


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A `did you mean` help line from the closest candidate names, or None."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    s = diagnostic.span
    return (s.path, s.line, s.col, diagnostic.code)


def render(diagnostic: Diagnostic, sources: Mapping[str, str]) -> str:
    """Render like a compiler: header, the source line, a caret underline, help and notes."""
    s = diagnostic.span
    lines = [f"{s}: {diagnostic.level}[{diagnostic.code}]: {diagnostic.message}"]
    text = sources.get(s.path)
    if text is not None and s.line > 0:
        source_lines = text.split("\n")
        if s.line <= len(source_lines):
            src = source_lines[s.line - 1]
            gutter = " " * len(str(s.line))
            end_col = s.end_col if s.end_line == s.line else len(src) + 1
            width = max(1, end_col - s.col)
            lines.append(f"{gutter} |")
            lines.append(f"{s.line} | {src}")
            lines.append(f"{gutter} | {' ' * (s.col - 1)}{'^' * width}")
    if diagnostic.help:
        lines.append(f"  help: {diagnostic.help}")
    lines.extend(f"  note: {note}" for note in diagnostic.notes)
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> str:
    return "\n\n".join(render(d, sources) for d in sorted(diagnostics, key=sort_key))
