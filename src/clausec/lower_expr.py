"""Pass 7 (part): lowering expressions to the IR's JSON trees, with every name resolved.

A `Scope` knows the parameters, metrics and facts of the contract and which fact's fields are
visible here; `lower` turns an AST expression into a list-headed tree:

  ["lit", "money", "12000", "EUR"]   ["lit", "percent", "0.999"]   ["lit", "duration", "5", "day"]
  ["param", name]  ["metric", name]  ["field", name]  ["record", fact]  ["enum", value]  ["window"]
  [op, a, b] for and, or, +, -, *, /, of      ["not", e]  ["neg", e]
  ["cmp", [ops], [operands]]   ["lookup", [[key, e], ...], index]   ["attr", e, name]
  ["agg", func, {"fact": F, "value": e, "where": e, "p": e}]   ["call", func, [args]]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from clausec import nodes as n
from clausec.infer_calls import FUNCTIONS
from clausec.values import Duration, Money, Percent, ZonedDateTime

AGGREGATE_FUNCTIONS = ("count", "sum", "average", "percentile", "minutes", "change")


def lower_literal(
    value: object, rates: dict[str, Decimal] | None = None, currency: str | None = None
) -> list[Any]:
    """A literal as an IR leaf. Money in a currency the contract converts (`convert USD at
    0.92`) is converted here, at the contract's rate, so the runtime never mixes currencies."""
    if isinstance(value, Money):
        if rates and currency and value.currency in rates:
            return ["lit", "money", str(value.amount * rates[value.currency]), currency]
        return ["lit", "money", str(value.amount), value.currency]
    if isinstance(value, Percent):
        return ["lit", "percent", str(value.fraction)]
    if isinstance(value, Duration):
        return ["lit", "duration", str(value.amount), value.unit]
    if isinstance(value, ZonedDateTime):
        return ["lit", "datetime", value.local.isoformat(), value.zone]
    if isinstance(value, date):
        return ["lit", "date", value.isoformat()]
    if isinstance(value, bool):
        return ["lit", "bool", value]
    if isinstance(value, Decimal):
        return ["lit", "number", str(value)]
    if isinstance(value, str):
        return ["lit", "text", value]
    return ["lit", "none"]


@dataclass(frozen=True)
class Scope:
    params: frozenset[str]
    metrics: frozenset[str]
    facts: dict[str, frozenset[str]]
    fields: frozenset[str] = frozenset()
    records: frozenset[str] = frozenset()
    rates: dict[str, Decimal] = field(default_factory=dict)
    currency: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def with_fact(self, fact: str | None) -> Scope:
        if fact is None:
            return self
        return replace(
            self,
            fields=self.facts.get(fact, frozenset()),
            records=self.records | {fact},
        )


def lower(expr: n.Expr | None, scope: Scope) -> Any:
    if expr is None:
        return None
    if isinstance(expr, n.Literal):
        return lower_literal(expr.value, scope.rates, scope.currency)
    if isinstance(expr, n.Name):
        return _name(expr.name, scope)
    if isinstance(expr, n.Attr):
        dotted = n.dotted_name(expr)
        if dotted in scope.params or dotted in scope.metrics:
            return _name(dotted, scope)
        return ["attr", lower(expr.obj, scope), expr.name]
    if isinstance(expr, n.Unary):
        return [expr.op, lower(expr.operand, scope)]
    if isinstance(expr, n.Binary):
        return [expr.op, lower(expr.left, scope), lower(expr.right, scope)]
    if isinstance(expr, n.Compare):
        return ["cmp", list(expr.ops), [lower(o, scope) for o in expr.operands]]
    if isinstance(expr, n.Index) and isinstance(expr.obj, n.Lookup):
        entries = [[key, lower(value, scope)] for key, value in expr.obj.entries]
        return ["lookup", entries, lower(expr.index, scope)]
    if isinstance(expr, n.Call):
        return _call(expr, scope)
    raise ValueError(f"cannot lower {type(expr).__name__}")  # unreachable after check_types


def _name(name: str, scope: Scope) -> list[Any]:
    if name in scope.fields:
        return ["field", name]
    if name in scope.records:
        return ["record", name]
    if name in scope.params:
        return ["param", name]
    if name in scope.metrics:
        return ["metric", name]
    if name == "window":
        return ["window"]
    return ["enum", name]


def _call(call: n.Call, scope: Scope) -> list[Any]:
    assert call.func in FUNCTIONS
    args = list(call.args)
    is_aggregate = call.func in AGGREGATE_FUNCTIONS or (
        call.func in ("min", "max") and len(args) == 1
    )
    if not is_aggregate:
        return ["call", call.func, [lower(a.value, scope) for a in args]]
    spec: dict[str, Any] = {"fact": None, "value": None, "where": None, "p": None}
    if call.func == "percentile":
        spec["p"] = lower(args[0].value, scope)
        args = args[1:]
    arg = args[0]
    subject = arg.value
    if isinstance(subject, n.Binary) and subject.op == "of" and isinstance(subject.right, n.Name):
        spec["fact"] = subject.right.name
        spec["value"] = lower(subject.left, scope.with_fact(subject.right.name))
    elif isinstance(subject, n.Name) and subject.name == "window":
        return ["agg", call.func, {**spec, "fact": None}]
    elif isinstance(subject, n.Name):
        spec["fact"] = subject.name
    spec["where"] = lower(arg.where, scope.with_fact(spec["fact"]))
    return ["agg", call.func, spec]
