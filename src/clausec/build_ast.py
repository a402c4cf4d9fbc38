"""Pass 2, build the AST: a Lark tree to frozen dataclasses with spans.

Input: the tree from `parse`. Output: a `SourceFile` and CC104 diagnostics for literals that the
grammar accepted but that are not valid values (2026-02-30). The Lark tree ends here. Names are not
looked up and types are not checked: that is `resolve_names` and `check_types`. The compiler's
`parse_file` calls the same builder from within the parser's reductions (`reduce_ast`), so that
no tree is built at all; `build_ast` on a tree is the reference it is tested against.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Tree, v_args
from lark.tree import Meta

from clausec import literals
from clausec import nodes as n
from clausec.build_clauses import ClauseBuilder, Ref, split_ref, word
from clausec.diagnostics import Diagnostic

_HEADER_KEYS = {
    "id_stmt": "id",
    "version_stmt": "version",
    "effective_stmt": "effective",
    "timezone_stmt": "timezone",
    "currency_stmt": "currency",
    "calendar_stmt": "calendar",
    "rounding_stmt": "rounding",
    "convert_stmt": "convert",
}


@v_args(meta=True)
class AstBuilder(ClauseBuilder):
    """Transformer from the Lark tree to `nodes`. One method per grammar rule."""

    def start(self, meta: Meta, items: list[n.Item]) -> n.SourceFile:
        return n.SourceFile(self.path, tuple(items), self.span(meta))

    def import_decl(self, meta: Meta, c: list[Any]) -> n.ImportDecl:
        alias = str(c[1]) if len(c) > 1 else None
        return n.ImportDecl(literals.text_value(c[0]), alias, self.span(meta))

    def contract_decl(self, meta: Meta, c: list[Any]) -> n.ContractDecl:
        return n.ContractDecl(literals.text_value(c[0]), tuple(c[1:]), self.span(meta))

    def template_decl(self, meta: Meta, c: list[Any]) -> n.TemplateDecl:
        ref, members = split_ref(c[1:])
        return n.TemplateDecl(str(c[0]), ref, tuple(members), self.span(meta))

    def amendment_decl(self, meta: Meta, c: list[Any]) -> n.AmendmentDecl:
        stmts = tuple(_as_amendment_stmt(s) for s in c[1:])
        return n.AmendmentDecl(literals.text_value(c[0]), stmts, self.span(meta))

    # ------------------------------------------------------------ header and declarations

    def __default__(self, data: str, children: list[Any], meta: Meta) -> Any:
        if data in _HEADER_KEYS:
            values = tuple(self.header_value(t) for t in children)
            return n.HeaderStmt(_HEADER_KEYS[data], values, self.span(meta))
        return Tree(data, children, meta)

    def header_value(self, token: Token) -> Any:
        if token.type in ("NAME", "ROUNDING_MODE"):
            return str(token)
        if token.type == "INT":
            return int(token)
        return self.literal_value(token)

    def summary_stmt(self, meta: Meta, c: list[Token]) -> n.SummaryStmt:
        return n.SummaryStmt(literals.text_value(c[0]), self.span(meta))

    def party_decl(self, meta: Meta, c: list[Token]) -> n.PartyDecl:
        return n.PartyDecl(str(c[0]), literals.text_value(c[1]), self.span(meta))

    def role_decl(self, meta: Meta, c: list[Any]) -> n.RoleDecl:
        contact = next((literals.text_value(t) for t in c[2:] if t.type == "STRING"), None)
        raci = next((str(t) for t in c[2:] if t.type == "RACI_LETTERS"), "R")
        return n.RoleDecl(str(c[0]), str(c[1]), contact, raci, self.span(meta), self.tspan(c[1]))

    def raci(self, meta: Meta, c: list[Token]) -> Token:
        return c[0]

    def param_decl(self, meta: Meta, c: list[Any]) -> n.ParamDecl:
        default = c[2] if len(c) > 2 else None
        return n.ParamDecl(str(c[0]), c[1], default, self.span(meta))

    def type_ref(self, meta: Meta, c: list[Any]) -> n.TypeRef:
        name, enum = c[0]
        return n.TypeRef(name, enum, len(c) > 1, self.span(meta))

    def named_type(self, meta: Meta, c: list[Token]) -> tuple[str | None, tuple[str, ...]]:
        return str(c[0]), ()

    def enum_type(self, meta: Meta, c: list[Token]) -> tuple[str | None, tuple[str, ...]]:
        return None, tuple(str(t) for t in c)

    def fact_decl(self, meta: Meta, c: list[Any]) -> n.FactDecl:
        names = [t for t in c if isinstance(t, Token)]
        fields = tuple(f for f in c if isinstance(f, n.FieldDecl))
        key = str(names[1]) if len(names) > 1 else None
        return n.FactDecl(str(names[0]), key, fields, self.span(meta))

    def field_decl(self, meta: Meta, c: list[Any]) -> n.FieldDecl:
        return n.FieldDecl(str(c[0]), c[1], self.span(meta))

    # ------------------------------------------------------------ metrics

    def metric_decl(self, meta: Meta, c: list[Any]) -> n.MetricDecl:
        ref, rest = split_ref(c[1:])
        options = rest[2] if len(rest) > 2 else ()
        return n.MetricDecl(str(c[0]), ref, rest[0], rest[1], options, self.span(meta))

    def metric_options(self, meta: Meta, c: list[n.MetricOption]) -> tuple[n.MetricOption, ...]:
        return tuple(c)

    def exclude_opt(self, meta: Meta, c: list[Any]) -> n.MetricOption:
        where = c[1] if len(c) > 1 else None
        return n.MetricOption("exclude", str(c[0]), where, None, self.span(meta))

    def missing_opt(self, meta: Meta, c: list[Token]) -> n.MetricOption:
        return n.MetricOption("missing", None, None, str(c[0]), self.span(meta))

    def grace_opt(self, meta: Meta, c: list[Any]) -> n.MetricOption:
        return n.MetricOption("grace", None, c[0], None, self.span(meta))

    def volume_opt(self, meta: Meta, c: list[Any]) -> n.MetricOption:
        return n.MetricOption("volume", None, c[0], None, self.span(meta))

    def calendar_window(self, meta: Meta, c: list[Token]) -> n.Window:
        return n.Window("calendar", period=str(c[0]))

    def contract_year_window(self, meta: Meta, c: list[Token]) -> n.Window:
        return n.Window("contract_year", period="year")

    def billing_window(self, meta: Meta, c: list[Token]) -> n.Window:
        return n.Window("billing", period="month", start_day=int(c[0]))

    def rolling_window(self, meta: Meta, c: list[Token]) -> n.Window:
        return n.Window("rolling", duration=self.literal_value(c[0]))

    def instance_window(self, meta: Meta, c: list[Token]) -> n.Window:
        return n.Window("instance", fact=str(c[0]))

    # ------------------------------------------------------------ SLAs, amounts, tiers, caps

    def sla_decl(self, meta: Meta, c: list[Any]) -> n.SlaDecl:
        ref, stmts = split_ref(c[1:])
        return n.SlaDecl(str(c[0]), ref, tuple(stmts), self.span(meta))

    def measure_stmt(self, meta: Meta, c: list[Any]) -> n.SlaStmt:
        return n.SlaStmt("measure", None, c[0], None, self.span(meta))

    def target_stmt(self, meta: Meta, c: list[Any]) -> n.SlaStmt:
        return n.SlaStmt("target", c[0], None, None, self.span(meta))

    def claim_stmt(self, meta: Meta, c: list[Any]) -> n.SlaStmt:
        return n.SlaStmt("claim", c[0], None, None, self.span(meta))

    def earn_back_stmt(self, meta: Meta, c: list[Token]) -> n.SlaStmt:
        return n.SlaStmt("earn_back", None, None, int(c[0]), self.span(meta))

    def owner_stmt(self, meta: Meta, c: list[Token]) -> n.OwnerStmt:
        return n.OwnerStmt(str(c[0]), self.span(meta))

    def inform_stmt(self, meta: Meta, c: list[Token]) -> n.InformStmt:
        return n.InformStmt(tuple(str(t) for t in c), self.span(meta))

    def amount_stmt(self, meta: Meta, c: list[Any]) -> n.AmountStmt:
        expr, rate, tiers, bands = c[1]
        return n.AmountStmt(word(c[0]), expr, rate, tiers, bands, self.span(meta))

    def simple_amount(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return c[0], (c[1] if len(c) > 1 else None), None, None

    def tiered_amount(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return c[0], None, c[1], None

    def banded_amount(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return c[0], None, None, c[1]

    def rate(self, meta: Meta, c: list[Token]) -> n.Rate:
        late = any(t.type == "LATE" for t in c)
        policy = next((word(t) for t in c if t.type == "PART_POLICY"), "completed")
        return n.Rate(word(c[0]), late, policy, self.span(meta))

    def tier_table(self, meta: Meta, c: list[Any]) -> n.TierTable:
        return n.TierTable(word(c[0]), tuple(c[1:]), self.span(meta))

    def tier_row(self, meta: Meta, c: list[Any]) -> n.TierRow:
        return n.TierRow(c[0], c[1], self.span(meta))

    def otherwise_row(self, meta: Meta, c: list[Any]) -> n.TierRow:
        return n.TierRow(None, c[0], self.span(meta))

    def band_table(self, meta: Meta, c: list[Any]) -> n.BandTable:
        return n.BandTable(str(c[0]), tuple(c[1:]), self.span(meta))

    def band_row(self, meta: Meta, c: list[Any]) -> n.BandRow:
        upper = c[1] if len(c) == 3 else None
        return n.BandRow(c[0], upper, c[-1], self.span(meta))

    def cap_stmt(self, meta: Meta, c: list[Any]) -> n.CapStmt:
        scope = word(c[1]) if len(c) > 1 else "window"
        return n.CapStmt(c[0], scope, self.span(meta))

    def minimum_stmt(self, meta: Meta, c: list[Any]) -> n.MinimumStmt:
        return n.MinimumStmt(c[0], self.span(meta))

    def round_stmt(self, meta: Meta, c: list[Token]) -> n.RoundStmt:
        return n.RoundStmt(str(c[0]), self.literal_value(c[1]), self.span(meta))

    def aggregate_cap(self, meta: Meta, c: list[Any]) -> n.AggregateCap:
        kinds = tuple(str(t) for t in c if isinstance(t, Token) and t.type == "AMOUNT_KIND")
        scopes = [t for t in c if isinstance(t, Token) and t.type == "CAP_SCOPE"]
        expr = next(x for x in c if not isinstance(x, Token))
        scope = word(scopes[0]) if scopes else "contract"
        return n.AggregateCap(kinds, expr, scope, self.span(meta))

    def ref(self, meta: Meta, c: list[Token]) -> Ref:
        return Ref(literals.text_value(c[0]))

    def qname(self, meta: Meta, c: list[Token]) -> n.QName:
        return n.QName(tuple(str(t) for t in c), self.span(meta))

    def event_ref(self, meta: Meta, c: list[Any]) -> n.EventRef | n.Name:
        dotted = n.dotted_name(c[0])
        parts = tuple(dotted.split(".")) if dotted else None
        if parts is None:
            self.diagnostics.append(
                Diagnostic(
                    "CC101",
                    f"only a clause name can be '{c[1]}'",
                    c[0].span,
                    help="name the clause, e.g. uptime breached or lot1.deliver fulfilled",
                )
            )
            parts = ("?",)
        return n.EventRef(n.QName(parts, c[0].span), str(c[1]), self.span(meta))


def build_ast(tree: Tree[Token], path: str) -> tuple[n.SourceFile, list[Diagnostic]]:
    """Turn a parse tree into a `SourceFile`, with CC104 diagnostics for invalid literals."""
    builder = new_builder(path)
    source = builder.transform(tree)
    assert isinstance(source, n.SourceFile)
    return source, builder.diagnostics


def new_builder(path: str) -> AstBuilder:
    """A builder for one file, with each method looked up once. Lark wraps the methods of a
    `v_args` class (`span` and `literal_value` too) in a descriptor that builds a new wrapper
    (with `functools.update_wrapper`) on every lookup, that is for every node of the tree: a
    fifth of the time of parsing a large contract."""
    builder = AstBuilder(path)
    for kind in type(builder).__mro__:
        for name, value in vars(kind).items():
            if hasattr(value, "visit_wrapper") and name not in builder.__dict__:
                setattr(builder, name, getattr(builder, name))
    return builder


def parse_file(text: str, path: str) -> tuple[n.SourceFile | None, list[Diagnostic]]:
    """Passes 1 and 2 together: text to AST, or None with the diagnostics. The parser's
    reductions call this module's builder directly (`reduce_ast`), with no tree in between;
    the result is that of `build_ast` on the tree of `parse_source`."""
    from clausec.reduce_ast import ast_parser  # it imports this module for the builder

    return ast_parser().parse(text, path)


def _as_amendment_stmt(stmt: Any) -> n.AmendmentStmt:
    """`version` and `summary` share their rules with the contract header."""
    if isinstance(stmt, n.AmendmentStmt):
        return stmt
    if isinstance(stmt, n.SummaryStmt):
        return n.AmendmentStmt("summary", None, None, None, None, (stmt.text,), stmt.span)
    assert isinstance(stmt, n.HeaderStmt)
    return n.AmendmentStmt(stmt.key, None, None, None, None, stmt.values, stmt.span)
