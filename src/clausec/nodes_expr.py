"""AST nodes for expressions and the small pieces clauses share (names, event references,
types, owners, notices, powers). `nodes` re-exports them: passes import `nodes` only."""

from __future__ import annotations

from dataclasses import dataclass

from clausec.diagnostics import Span
from clausec.values import LiteralValue

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Literal:
    value: LiteralValue
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Attr:
    obj: Expr
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Index:
    obj: Expr
    index: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Arg:
    value: Expr
    where: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Arg, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "neg"
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "and" | "or" | "+" | "-" | "*" | "/" | "of"
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison chain: `95% <= availability < 99%` has three operands and two ops."""

    operands: tuple[Expr, ...]
    ops: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Lookup:
    entries: tuple[tuple[str, Expr], ...]
    span: Span


Expr = Literal | Name | Attr | Index | Call | Unary | Binary | Compare | Lookup

# ---------------------------------------------------------------- shared pieces


@dataclass(frozen=True, slots=True)
class QName:
    parts: tuple[str, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class EventRef:
    clause: QName
    event: str
    span: Span


@dataclass(frozen=True, slots=True)
class TypeRef:
    name: str | None  # None for an inline enum
    enum: tuple[str, ...]
    optional: bool
    span: Span


@dataclass(frozen=True, slots=True)
class OwnerStmt:
    role: str
    span: Span


@dataclass(frozen=True, slots=True)
class InformStmt:
    roles: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Notify:
    roles: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Power:
    holder: str
    action: str
    within: Expr | None
    notice: Expr | None
    span: Span


def dotted_name(expr: Expr) -> str | None:
    """`uptime.availability` written as attribute access, as the dotted name it spells."""
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Attr):
        base = dotted_name(expr.obj)
        return f"{base}.{expr.name}" if base else None
    return None
