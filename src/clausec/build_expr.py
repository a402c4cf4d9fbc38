"""Pass 2 (part): the expression half of the AST builder, and the span helpers it shares.

`AstBuilder` in `build_ast` and `ClauseBuilder` in `build_clauses` extend this class; together
they are one Lark Transformer, split by concept to keep each module readable.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from clausec import literals
from clausec import nodes as n
from clausec.diagnostics import Diagnostic, Span
from clausec.values import LiteralValue


@v_args(meta=True)
class ExprBuilder(Transformer[Token, Any]):
    def __init__(self, path: str) -> None:
        super().__init__(visit_tokens=False)
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------ spans and literals

    def span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, 0, 0, 0, 0)
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def tspan(self, token: Token) -> Span:
        line, col = token.line or 0, token.column or 0
        return Span(self.path, line, col, token.end_line or line, token.end_column or col)

    def literal_value(self, token: Token) -> LiteralValue:
        try:
            return literals.read(token.type, str(token))
        except literals.LiteralError as error:
            self.diagnostics.append(
                Diagnostic("CC104", str(error), self.tspan(token), help=_LITERAL_HELP[token.type])
            )
            return None

    # ------------------------------------------------------------ expressions

    def literal(self, meta: Meta, c: list[Token]) -> n.Literal:
        return n.Literal(self.literal_value(c[0]), self.span(meta))

    def name_ref(self, meta: Meta, c: list[Token]) -> n.Name:
        return n.Name(str(c[0]), self.span(meta))

    def _chain(self, op: str, meta: Meta, c: list[n.Expr]) -> n.Expr:
        span = self.span(meta)
        return reduce(lambda left, right: n.Binary(op, left, right, span), c)

    def or_expr(self, meta: Meta, c: list[n.Expr]) -> n.Expr:
        return self._chain("or", meta, c)

    def and_expr(self, meta: Meta, c: list[n.Expr]) -> n.Expr:
        return self._chain("and", meta, c)

    def not_op(self, meta: Meta, c: list[n.Expr]) -> n.Unary:
        return n.Unary("not", c[0], self.span(meta))

    def neg(self, meta: Meta, c: list[n.Expr]) -> n.Unary:
        return n.Unary("neg", c[0], self.span(meta))

    def comparison(self, meta: Meta, c: list[Any]) -> n.Compare:
        operands = tuple(x for x in c if not isinstance(x, Token))
        ops = tuple(str(x) for x in c if isinstance(x, Token))
        return n.Compare(operands, ops, self.span(meta))

    def _binary(self, op: str, meta: Meta, c: list[n.Expr]) -> n.Binary:
        return n.Binary(op, c[0], c[1], self.span(meta))

    def add(self, meta: Meta, c: list[n.Expr]) -> n.Binary:
        return self._binary("+", meta, c)

    def sub(self, meta: Meta, c: list[n.Expr]) -> n.Binary:
        return self._binary("-", meta, c)

    def mul(self, meta: Meta, c: list[n.Expr]) -> n.Binary:
        return self._binary("*", meta, c)

    def div(self, meta: Meta, c: list[n.Expr]) -> n.Binary:
        return self._binary("/", meta, c)

    def of_expr(self, meta: Meta, c: list[n.Expr]) -> n.Binary:
        return self._binary("of", meta, c)

    def attr(self, meta: Meta, c: list[Any]) -> n.Attr:
        return n.Attr(c[0], str(c[1]), self.span(meta))

    def index(self, meta: Meta, c: list[n.Expr]) -> n.Index:
        return n.Index(c[0], c[1], self.span(meta))

    def call(self, meta: Meta, c: list[Any]) -> n.Call:
        args = tuple(a for a in c[1:] if a is not None)
        return n.Call(str(c[0]), args, self.span(meta))

    def arg(self, meta: Meta, c: list[n.Expr]) -> n.Arg:
        return n.Arg(c[0], c[1] if len(c) > 1 else None, self.span(meta))

    def lookup_table(self, meta: Meta, c: list[tuple[str, n.Expr]]) -> n.Lookup:
        return n.Lookup(tuple(c), self.span(meta))

    def entry(self, meta: Meta, c: list[Any]) -> tuple[str, n.Expr]:
        return str(c[0]), c[1]


_LITERAL_HELP = {
    "DATE": "write dates as YYYY-MM-DD with a real month and day, like 2026-02-28",
    "DATETIME": "write date-times as 2026-03-01T17:00[Europe/Berlin] or 2026-03-01T16:00Z",
    "DURATION": "write durations like 5 days, 4 hours or 10 business days",
    "NUMBER": "write numbers with digits and an optional decimal point",
    "MONEY": "write money as an amount and an ISO currency, like 12000 EUR",
    "PERCENT": "write percentages like 99.9%",
    "STRING": 'write text in double quotes, like "4.2"',
}
