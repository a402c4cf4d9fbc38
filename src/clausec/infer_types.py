"""Expression typing for `check_types`: the type of every expression, with CC201/CC207/CC208/
CC215/CC217 diagnostics where an expression does not make sense.

An `Env` says which names an expression can see: parameters and metrics always, the fields of a
fact where one is in scope (a `where` filter, a `for each` instance), and fact types as the subject
of an aggregation. After an error the type is UNKNOWN, which is compatible with everything, so
one mistake is reported once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from clausec import nodes as n
from clausec.diagnostics import Diagnostic, Span, did_you_mean
from clausec.types import BOOL, DURATION, NONE, NUMBER, PERCENT, UNKNOWN, Type
from clausec.values import Money, ZonedDateTime, literal_kind

AGGREGATES = ("count", "sum", "min", "max", "average", "percentile", "minutes", "change")
SCALAR_FUNCTIONS = ("floor", "ceil", "abs", "round", "ratio", "min", "max")


@dataclass
class Env:
    """What an expression can see."""

    globals: dict[str, Type]
    facts: dict[str, dict[str, Type]]
    fields: dict[str, Type] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)  # instance name -> fact type
    convertible: frozenset[str] = frozenset()
    currency: str | None = None

    def with_fact(self, fact: str) -> Env:
        """The env inside a filter or an instance of `fact`: its fields are the bare names;
        an enclosing fact's fields are reached through its name (`invoice.amount`)."""
        fields = dict(self.facts.get(fact, {}))
        return replace(self, fields=fields, records={**self.records, fact: fact})


Report = Callable[[Diagnostic], None]


class ExprTyper:
    def __init__(self, report: Report) -> None:
        self.report = report

    def error(self, code: str, message: str, span: Span, help: str | None = None) -> Type:
        self.report(Diagnostic(code, message, span, help=help))
        return UNKNOWN

    def infer(self, expr: n.Expr, env: Env) -> Type:
        method = getattr(self, "_" + type(expr).__name__.lower())
        result: Type = method(expr, env)
        return result

    def expect(self, expr: n.Expr, env: Env, kinds: tuple[str, ...], what: str) -> Type:
        """Infer and require one of `kinds`; report CC207 naming `what` otherwise."""
        actual = self.infer(expr, env)
        if actual.kind in kinds or actual.kind == "unknown":
            return actual
        if actual.kind == "number" and "percent" in kinds:
            self._plain_number_for_percent(expr)
            return PERCENT
        wanted = " or ".join(kinds)
        return self.error("CC207", f"{what} must be {wanted}, not {actual}", _span(expr))

    # ------------------------------------------------------------ leaves

    def _literal(self, expr: n.Literal, env: Env) -> Type:
        value = expr.value
        if isinstance(value, Money):
            return self._money(value.currency, env, expr.span)
        if isinstance(value, ZonedDateTime) and value.zone and value.zone[0] not in "+-Z":
            self._zone(value.zone, expr.span)
        return Type(literal_kind(value))

    def _zone(self, zone: str, span: Span) -> None:
        """A date-time's own zone (`2026-03-01T17:00[Europe/Berlin]`) must be one the engine
        can read, or the deadline it sets would have no value at run time."""
        from clausec.check_types import _zone_help, _zones

        if zone not in _zones():
            self.error("CC214", f"unknown time zone '{zone}'", span, _zone_help(zone))

    def _money(self, currency: str, env: Env, span: Span) -> Type:
        if env.currency and currency != env.currency and currency not in env.convertible:
            self.report(
                Diagnostic(
                    "CC309",
                    f"amount in {currency} but the contract is in {env.currency}",
                    span,
                    help=f"declare a rate in the header, e.g. convert {currency} at 0.92",
                )
            )
            return UNKNOWN
        return Type("money", env.currency or currency)

    def _name(self, expr: n.Name, env: Env) -> Type:
        name = expr.name
        if name in env.fields and name in env.globals:
            return self.error(
                "CC219",
                f"'{name}' is both a field of the fact here and a parameter or metric",
                expr.span,
                help=f"rename the parameter or metric, e.g. to 'expected_{name}', so that "
                "each name means one thing",
            )
        if name in env.fields:
            return env.fields[name]
        if name in env.records:
            return Type("record", fact=env.records[name])
        if name in env.globals:
            return env.globals[name]
        if name in env.facts:
            return Type("fact", fact=name)
        if name == "window":
            return Type("window")
        known = [*env.fields, *env.globals, *env.records]
        return self.error("CC201", f"unknown name '{name}'", expr.span, did_you_mean(name, known))

    def _attr(self, expr: n.Attr, env: Env) -> Type:
        dotted = n.dotted_name(expr)
        if dotted is not None and dotted in env.globals:
            return env.globals[dotted]
        base = self.infer(expr.obj, env)
        if base.kind == "record" and base.fact:
            fields = env.facts.get(base.fact, {})
            if expr.name in fields:
                return fields[expr.name]
            return self.error(
                "CC206",
                f"fact '{base.fact}' has no field '{expr.name}'",
                expr.span,
                did_you_mean(expr.name, fields),
            )
        if base.kind == "unknown":
            return UNKNOWN
        return self.error("CC207", f"'{expr.name}' cannot be read from {base}", expr.span)

    def _lookup(self, expr: n.Lookup, env: Env) -> Type:
        return Type("table")

    def _index(self, expr: n.Index, env: Env) -> Type:
        key = self.infer(expr.index, env)
        if not isinstance(expr.obj, n.Lookup):
            return self.error(
                "CC207", "only a lookup table { KEY: value, ... } can be indexed", expr.span
            )
        entry_types = [self.infer(value, env) for _, value in expr.obj.entries]
        if key.kind == "enum":
            for name, _ in expr.obj.entries:
                if name not in key.values:
                    self.error(
                        "CC217",
                        f"'{name}' is not one of {key}",
                        expr.obj.span,
                        did_you_mean(name, key.values),
                    )
            missing = [v for v in key.values if v not in dict(expr.obj.entries)]
            if missing:
                self.error(
                    "CC207",
                    f"lookup table has no entry for {', '.join(missing)}",
                    expr.obj.span,
                    "add an entry for every value, or an explicit one",
                )
        elif key.kind != "unknown":
            self.error(
                "CC207", f"a lookup table is indexed by an enum, not {key}", _span(expr.index)
            )
        return self._same(entry_types, expr.span, "lookup table entries")

    def _same(self, types: list[Type], span: Span, what: str) -> Type:
        known = [t for t in types if t.kind != "unknown"]
        if not known:
            return UNKNOWN
        first = known[0]
        for other in known[1:]:
            if other.kind != first.kind or other.currency != first.currency:
                return self.error("CC207", f"{what} mix {first} and {other}", span)
        return first

    # ------------------------------------------------------------ operators

    def _unary(self, expr: n.Unary, env: Env) -> Type:
        if expr.op == "not":
            self.expect(expr.operand, env, ("bool",), "the operand of 'not'")
            return BOOL
        return self.expect(  # not a duration: a period runs forwards (`within -10 days`)
            expr.operand, env, ("money", "percent", "number"), "a negated value"
        )

    def _binary(self, expr: n.Binary, env: Env) -> Type:
        if expr.op in ("and", "or"):
            self.expect(expr.left, env, ("bool",), f"the left side of '{expr.op}'")
            self.expect(expr.right, env, ("bool",), f"the right side of '{expr.op}'")
            return BOOL
        left, right = self.infer(expr.left, env), self.infer(expr.right, env)
        if "unknown" in (left.kind, right.kind):
            return UNKNOWN
        if expr.op == "of" and left.kind == "number":  # `10 of fee` is ten fees
            self._plain_number_for_percent(expr.left)
        result = arithmetic(expr.op, left.required(), right.required())
        if result is None:
            return self.error(
                "CC207",
                f"cannot compute {left} {expr.op} {right}",
                expr.span,
                _arithmetic_help(expr.op, left, right),
            )
        if result.kind == "currency-mismatch":
            return self.error(
                "CC208",
                f"cannot combine {left.currency} and {right.currency}",
                expr.span,
                "convert one amount first, or use one currency",
            )
        return result

    def _compare(self, expr: n.Compare, env: Env) -> Type:
        types = [self._operand(o, expr.operands, env) for o in expr.operands]
        for (left, right), op, node in zip(
            itertools.pairwise(types), expr.ops, expr.operands[1:], strict=False
        ):
            if not comparable(left, right, op):
                self.error("CC207", f"cannot compare {left} {op} {right}", _span(node))
        for index, operand in enumerate(expr.operands):  # each beside the one it is compared with
            other = types[index + 1] if index + 1 < len(types) else types[index - 1]
            if types[index].kind == "number" and other.kind == "percent":
                self._plain_number_for_percent(operand)
        return BOOL

    def _plain_number_for_percent(self, operand: n.Expr) -> None:
        """`availability >= 99.9` compares 99.9 with a fraction (99.9% is 0.999), so it never
        holds, and `25 of fee` is 25 fees: a plain number where a percentage is meant is a
        percentage written without its `%`. (0 and 1 read the same either way.)"""
        value = operand.value if isinstance(operand, n.Literal) else None
        if isinstance(value, Decimal | int) and not isinstance(value, bool) and value not in (0, 1):
            self.error(
                "CC207",
                f"{value} is a plain number where a percentage is meant",
                operand.span,
                f"write {value}%: a percentage is written with its sign",
            )

    def _operand(self, operand: n.Expr, operands: tuple[n.Expr, ...], env: Env) -> Type:
        """Enum values are bare names: type them from the enum on the other side."""
        if (
            isinstance(operand, n.Name)
            and operand.name not in env.fields
            and operand.name not in env.globals
        ):
            for other in operands:
                if other is operand:
                    continue
                other_type = (
                    self.infer(other, env)
                    if not isinstance(other, n.Name)
                    or other.name in env.fields
                    or other.name in env.globals
                    else UNKNOWN
                )
                if other_type.kind == "enum":
                    if operand.name in other_type.values:
                        return other_type
                    return self.error(
                        "CC217",
                        f"'{operand.name}' is not one of {other_type}",
                        operand.span,
                        did_you_mean(operand.name, other_type.values),
                    )
        return self.infer(operand, env)

    def _call(self, expr: n.Call, env: Env) -> Type:
        from clausec.infer_calls import infer_call

        return infer_call(self, expr, env)


def arithmetic(op: str, left: Type, right: Type) -> Type | None:
    """The result of `left op right`, None when meaningless."""
    kinds = (left.kind, right.kind)
    if left.kind == right.kind == "money" and left.currency != right.currency:
        return Type("currency-mismatch")
    if op == "of":
        return right if left.kind in ("percent", "number") and right.numeric else None
    if op in ("+", "-"):
        return _additive(op, left, right)
    if op == "*":
        if "number" in kinds or "percent" in kinds:
            other = right if left.kind in ("number", "percent") else left
            if other.kind == "percent" and "number" in kinds:
                return PERCENT
            return other if other.numeric else None
        return None
    if op == "/":
        if right.kind in ("number", "percent") and left.numeric:
            return left
        if left.kind == right.kind and left.numeric:
            return NUMBER
    return None


def _additive(op: str, left: Type, right: Type) -> Type | None:
    kinds = {left.kind, right.kind}
    if left.kind == right.kind and left.numeric:
        return left
    if kinds == {"percent", "number"}:
        return PERCENT
    if left.kind in ("date", "datetime") and right.kind == "duration":
        return left
    if op == "-" and left.kind == right.kind and left.kind in ("date", "datetime"):
        return DURATION
    return None


def comparable(left: Type, right: Type, op: str) -> bool:
    if "unknown" in (left.kind, right.kind):
        return True
    if NONE.kind in (left.kind, right.kind):
        return op in ("==", "!=") and (left.optional or right.optional or left == right)
    if {left.kind, right.kind} <= {"percent", "number"}:
        return True
    if {left.kind, right.kind} <= {"date", "datetime"}:
        return True
    if left.kind != right.kind:
        return False
    if left.kind == "money":  # no currency yet (a header without one) matches any
        return None in (left.currency, right.currency) or left.currency == right.currency
    if left.kind in ("bool", "text", "enum"):
        return op in ("==", "!=")
    return True


def _arithmetic_help(op: str, left: Type, right: Type) -> str | None:
    if op == "of":
        return "write a percentage of an amount, like 10% of monthly_fee"
    if left.kind == right.kind == "money" and op == "*":
        return "multiply an amount by a number or a percentage, not by another amount"
    return None


def _span(expr: n.Expr) -> Span:
    return expr.span
