"""Constant folding for static checks: the value of an expression built from literals and
parameter defaults, or None when it depends on facts.

Percentages are folded in percent units (99.9% is 99.9); money to its amount. This is only for
checks such as "this cap is negative" or "these tiers leave a gap"; the runtime evaluates the IR.
"""

from __future__ import annotations

from decimal import Decimal

from clausec import nodes as n
from clausec.values import Money, Percent

Value = tuple[str, Decimal]  # (kind, amount): kind is money, percent or number


def fold(expr: n.Expr, params: dict[str, n.ParamDecl], depth: int = 0) -> Value | None:
    if depth > 20:
        return None
    if isinstance(expr, n.Literal):
        value = expr.value
        if isinstance(value, Money):
            return "money", value.amount
        if isinstance(value, Percent):
            return "percent", value.value
        if isinstance(value, Decimal):
            return "number", value
        return None
    if isinstance(expr, n.Name):
        param = params.get(expr.name)
        if param is None or param.default is None:
            return None
        return fold(param.default, params, depth + 1)
    if isinstance(expr, n.Unary) and expr.op == "neg":
        inner = fold(expr.operand, params, depth + 1)
        return (inner[0], -inner[1]) if inner else None
    if isinstance(expr, n.Binary):
        return _fold_binary(expr, params, depth)
    return None


def _fold_binary(expr: n.Binary, params: dict[str, n.ParamDecl], depth: int) -> Value | None:
    left = fold(expr.left, params, depth + 1)
    right = fold(expr.right, params, depth + 1)
    if left is None or right is None:
        return None
    (lk, lv), (rk, rv) = left, right
    if expr.op == "of" and lk == "percent":
        return rk, lv * rv / 100
    if expr.op in ("+", "-") and lk == rk:
        return lk, lv + rv if expr.op == "+" else lv - rv
    if expr.op == "*" and "number" in (lk, rk):
        return (rk if lk == "number" else lk), lv * rv
    if expr.op == "/" and rk == "number" and rv != 0:
        return lk, lv / rv
    return None
