"""IR back to words: expressions and the small structures of a clause, written as an author
would read them (`50% of monthly_fee`, `by 2026-03-01T17:00[Europe/Berlin]`).

Input: IR trees and models from `clausec.ir`. Output: one-line strings. The text is for people
comparing two versions (`clausec diff`); it is close to the surface syntax but is not promised
to parse. Anything this module does not know is shown as compact JSON, so nothing is hidden.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from clausec import ir

# Binding strength of infix operators: a child binding less tightly than its parent is
# parenthesised, so `(a + b) of c` keeps its meaning.
_PRECEDENCE = {"or": 1, "and": 2, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "of": 7}
_ATOM = 9
_UNITS = {"business_day": "business day"}


def number(text: str) -> str:
    """Decimal digits without trailing zeros or exponents: 0.50 -> 0.5, 1E+2 -> 100."""
    try:
        value = Decimal(text).normalize()
    except InvalidOperation:
        return text
    return f"{value:f}"


def percent(fraction: str) -> str:
    try:
        return number(str(Decimal(fraction) * 100)) + "%"
    except InvalidOperation:
        return fraction


def duration(amount: str, unit: str) -> str:
    word = _UNITS.get(unit, unit.replace("_", " "))
    plural = "" if Decimal(amount) == 1 else "s"
    return f"{number(amount)} {word}{plural}"


def _literal(node: list[Any]) -> str:
    kind, args = node[1], node[2:]
    if kind == "money":
        return f"{number(args[0])} {args[1]}"
    if kind == "percent":
        return percent(args[0])
    if kind == "duration":
        return duration(args[0], args[1])
    if kind == "datetime":
        return f"{str(args[0])[:16]}[{args[1]}]"
    if kind == "bool":
        return "true" if args[0] else "false"
    if kind == "text":
        return json.dumps(args[0], ensure_ascii=False)
    if kind == "number":
        return number(args[0])
    if kind == "date":
        return str(args[0])
    return "none"


def expr(node: Any) -> str:
    """An IR expression as clause text; None reads as '(none)'."""
    return _show(node)[0] if node is not None else "(none)"


def _show(node: Any) -> tuple[str, int]:
    """The text of a node and how tightly it binds."""
    if not isinstance(node, list) or not node:
        return json.dumps(node, ensure_ascii=False), _ATOM
    head = node[0]
    if head == "lit":
        return _literal(node), _ATOM
    if head in ("param", "metric", "field", "record", "enum"):
        return str(node[1]), _ATOM
    if head == "window":
        return "window", _ATOM
    if head in ("not", "neg"):
        inner, strength = _show(node[1])
        inner = inner if strength >= _ATOM else f"({inner})"
        return (f"not {inner}", 3) if head == "not" else (f"-{inner}", 8)
    if head in _PRECEDENCE and head != "cmp" and len(node) == 3:
        return _infix(head, node[1], node[2]), _PRECEDENCE[head]
    if head == "cmp":
        parts = [_operand(o, _PRECEDENCE["cmp"]) for o in node[2]]
        text = parts[0] + "".join(
            f" {op} {part}" for op, part in zip(node[1], parts[1:], strict=True)
        )
        return text, _PRECEDENCE["cmp"]
    if head == "lookup":
        entries = ", ".join(f"{key}: {expr(value)}" for key, value in node[1])
        return f"{{ {entries} }}[{expr(node[2])}]", _ATOM
    if head == "attr":
        return f"{_operand(node[1], _ATOM)}.{node[2]}", _ATOM
    if head == "agg":
        return _aggregate(node[1], node[2]), _ATOM
    if head == "call":
        return f"{node[1]}({', '.join(expr(a) for a in node[2])})", _ATOM
    return json.dumps(node, ensure_ascii=False), _ATOM


def _operand(node: Any, parent: int) -> str:
    text, strength = _show(node)
    return text if strength > parent or strength == _ATOM else f"({text})"


def _infix(op: str, left: Any, right: Any) -> str:
    strength = _PRECEDENCE[op]
    left_text, left_strength = _show(left)
    if left_strength < strength:
        left_text = f"({left_text})"
    return f"{left_text} {op} {_operand(right, strength)}"


def _aggregate(func: str, spec: dict[str, Any]) -> str:
    fact = spec.get("fact") or "window"
    subject = f"{expr(spec['value'])} of {fact}" if spec.get("value") is not None else fact
    if spec.get("where") is not None:
        subject += f" where {expr(spec['where'])}"
    if spec.get("p") is not None:
        subject = f"{expr(spec['p'])}, {subject}"
    return f"{func}({subject})"


# ---------------------------------------------------------------- clause parts


def scope(name: str | None) -> str:
    return f"per {name.replace('_', ' ')}" if name else ""


def limit(lim: ir.Limit) -> str:
    """A limit's amount (its scope is in its label), or a rounding rule."""
    if lim.kind == "round":
        return f"{lim.mode} to {lim.quantum}"
    return expr(lim.amount)


def limit_label(lim: ir.Limit) -> str:
    return (
        "rounding" if lim.kind == "round" else " ".join(filter(None, [lim.kind, scope(lim.scope)]))
    )


def rate(amount: ir.Amount) -> str:
    if amount.rate is None:
        return ""
    parts = [f"per {_UNITS.get(amount.rate.unit, amount.rate.unit.replace('_', ' '))}"]
    if amount.rate.late:
        parts.append("late")
    parts.append(amount.rate.part_policy.replace("_", " "))
    return " ".join(parts)


def anchor(value: ir.Anchor | None) -> str:
    if value is None:
        return ""
    if value.kind == "field":
        return f"after {value.field}"
    if value.kind == "event" and value.event is not None:
        return f"after {event(value.event)}"
    return f"after {value.kind.replace('_', ' ')}"


def deadline(value: ir.Deadline | None) -> str:
    if value is None:
        return "(none)"
    return " ".join(filter(None, [value.kind, expr(value.expr), anchor(value.anchor)]))


def event(ref: ir.EventRef | None) -> str:
    return f"{ref.clause} {ref.event}" if ref else "(none)"


def evidence(value: ir.Filter | None) -> str:
    if value is None:
        return ""
    return value.fact + (f" where {expr(value.where)}" if value.where is not None else "")


def duty(value: ir.Duty) -> str:
    """The duty without its deadline, which is compared on its own."""
    return " ".join(
        filter(None, [value.debtor, value.modality, value.action, evidence(value.evidence)])
    )


def condition(value: ir.Condition) -> str:
    if value.kind == "count":
        return f"{event(value.event)} {value.count} times within {expr(value.within)}"
    if value.kind == "n_of_m":
        return f"{event(value.event)} {value.count} of last {value.of} windows"
    if value.kind == "event":
        before = f" before {expr(value.expr)}" if value.expr is not None else ""
        return event(value.event) + before
    if value.kind == "metric" and value.metric and value.expr is None:
        return value.metric
    return expr(value.expr)


def step(value: ir.Step) -> str:
    """A reparation step or an escalation action, other than amounts and limits."""
    within = f"within {expr(value.within)}" if value.within is not None else ""
    notice = f"notice {expr(value.notice)}" if value.notice is not None else ""
    if value.kind in ("power", "late_power"):
        power = " ".join(filter(None, [value.holder, "may", value.action, within, notice]))
        if value.kind == "late_power":
            return f"if late more than {expr(value.threshold)}: {power}"
        return power
    if value.kind == "notify":
        return "notify " + ", ".join(value.roles)
    if value.kind == "require":
        return " ".join(
            filter(None, ["require", value.deliverable, "from", value.party or "", within])
        )
    if value.kind == "assign":
        return "assign " + ", ".join(value.roles or [value.party or ""])
    if value.kind == "cure":
        return f"cure {within}"
    return json.dumps(value.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False)
