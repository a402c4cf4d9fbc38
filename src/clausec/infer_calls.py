"""Typing of function calls: aggregations over facts and the few scalar functions.

Aggregations read facts in the measurement window:
  count(F where c), minutes(F where c) and minutes(window), sum / min / max / average(x of F
  where c), percentile(p, x of F where c), change(x of F where c).
Scalar functions: floor, ceil, abs, round, ratio(a, b), and min / max of two or more values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clausec import nodes as n
from clausec.types import NUMBER, PERCENT, UNKNOWN, Type

if TYPE_CHECKING:
    from clausec.infer_types import Env, ExprTyper

FUNCTIONS = {
    "count": "count(FACT where CONDITION)",
    "minutes": "minutes(FACT where CONDITION) or minutes(window)",
    "sum": "sum(FIELD of FACT where CONDITION)",
    "average": "average(FIELD of FACT where CONDITION)",
    "min": "min(FIELD of FACT where CONDITION) or min(a, b)",
    "max": "max(FIELD of FACT where CONDITION) or max(a, b)",
    "percentile": "percentile(95, FIELD of FACT where CONDITION)",
    "change": "change(FIELD of FACT where CONDITION)",
    "ratio": "ratio(PART, WHOLE)",
    "floor": "floor(VALUE)",
    "ceil": "ceil(VALUE)",
    "abs": "abs(VALUE)",
    "round": "round(VALUE)",
}


def infer_call(typer: ExprTyper, call: n.Call, env: Env) -> Type:
    usage = FUNCTIONS.get(call.func)
    if usage is None:
        from clausec.diagnostics import did_you_mean

        return typer.error(
            "CC215",
            f"unknown function '{call.func}'",
            call.span,
            did_you_mean(call.func, FUNCTIONS),
        )
    if call.func in ("min", "max") and len(call.args) >= 2:
        return typer._same([_plain(typer, a, env) for a in call.args], call.span, call.func)
    if call.func in ("floor", "ceil", "abs", "round"):
        if len(call.args) != 1:
            return _usage(typer, call, usage)
        return typer.expect(
            call.args[0].value,
            env,
            ("number", "percent", "money", "duration"),
            f"the argument of {call.func}()",
        )
    if call.func == "ratio":
        if len(call.args) != 2:
            return _usage(typer, call, usage)
        for arg in call.args:
            typer.expect(
                arg.value,
                env,
                ("number", "money", "duration", "percent"),
                "each argument of ratio()",
            )
        return PERCENT
    return _aggregate(typer, call, env, usage)


def _plain(typer: ExprTyper, arg: n.Arg, env: Env) -> Type:
    if arg.where is not None:
        typer.error("CC215", "'where' only filters the facts of an aggregation", arg.span)
    return typer.infer(arg.value, env)


def _usage(typer: ExprTyper, call: n.Call, usage: str) -> Type:
    return typer.error("CC215", f"{call.func}() takes {usage}", call.span, f"write it as {usage}")


def _aggregate(typer: ExprTyper, call: n.Call, env: Env, usage: str) -> Type:
    args = list(call.args)
    if call.func == "percentile":
        if len(args) != 2:
            return _usage(typer, call, usage)
        typer.expect(args[0].value, env, ("number", "percent"), "the percentile")
        args = args[1:]
    if len(args) != 1:
        return _usage(typer, call, usage)
    arg = args[0]
    if call.func == "minutes" and isinstance(arg.value, n.Name) and arg.value.name == "window":
        return NUMBER
    if call.func in ("count", "minutes"):
        fact = _fact_subject(typer, arg.value, env, call, usage)
        if fact is None:
            return UNKNOWN
        if call.func == "minutes":
            _require_interval(typer, fact, env, arg)
        _filter(typer, arg, fact, env)
        return NUMBER
    if not (isinstance(arg.value, n.Binary) and arg.value.op == "of"):
        return _usage(typer, call, usage)
    fact = _fact_subject(typer, arg.value.right, env, call, usage)
    if fact is None:
        return UNKNOWN
    value = typer.expect(
        arg.value.left,
        env.with_fact(fact),
        ("number", "money", "duration", "percent"),
        f"what {call.func}() reads",
    )
    _filter(typer, arg, fact, env)
    return PERCENT if call.func == "change" else value


def _fact_subject(typer: ExprTyper, expr: n.Expr, env: Env, call: n.Call, usage: str) -> str | None:
    if isinstance(expr, n.Name) and expr.name in env.facts:
        return expr.name
    if isinstance(expr, n.Name):
        from clausec.diagnostics import did_you_mean

        typer.error(
            "CC205",
            f"unknown fact type '{expr.name}'",
            expr.span,
            did_you_mean(expr.name, env.facts) or f"write it as {usage}",
        )
        return None
    _usage(typer, call, usage)
    return None


def _filter(typer: ExprTyper, arg: n.Arg, fact: str, env: Env) -> None:
    if arg.where is not None:
        typer.expect(arg.where, env.with_fact(fact), ("bool",), "a 'where' filter")


def _require_interval(typer: ExprTyper, fact: str, env: Env, arg: n.Arg) -> None:
    fields = env.facts.get(fact, {})
    for name in ("start", "end"):
        found = fields.get(name)
        if found is None or found.kind not in ("datetime", "unknown"):
            typer.error(
                "CC206",
                f"minutes() needs fact '{fact}' to have a datetime field '{name}'",
                arg.span,
                f"add `{name}: datetime` to fact {fact}",
            )
