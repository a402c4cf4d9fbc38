"""Pass 5b, static checks on how a contract reads its metrics.

Input: one member of the expanded contract, its nodes (walked once by `check_semantics`) and
the symbols. Output: CC322 when an SLA, a trigger's or an incentive's condition, or a plan's
goal reads metrics whose windows are named differently, so that no window ever has a reading
of each and it would never be judged; CC323 for an aggregation outside a metric, which has no
measurement window to read facts from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clausec import nodes as n
from clausec.diagnostics import Diagnostic
from clausec.infer_calls import FUNCTIONS
from clausec.resolve_names import Symbols
from clausec.rewrite import walk


def check_metric_use(member: n.Member, nodes: list[Any], symbols: Symbols) -> list[Diagnostic]:
    """CC322 and CC323 for one member of the contract."""
    found = list(_check_windows(member, nodes, symbols))
    if not isinstance(member, n.MetricDecl):
        found.extend(_check_aggregations(nodes))
    return found


def _check_windows(member: n.Member, nodes: list[Any], symbols: Symbols) -> Iterable[Diagnostic]:
    """An SLA, a condition over metrics or a plan's goal is judged for a window once every
    metric it reads has a reading for that window, by name: metrics whose windows are named
    differently never all have one, and it would never be judged."""
    if isinstance(member, n.SlaDecl):
        what = f"SLA '{member.name}'"
        yield from _same_windows(what, "be assessed", member.span, nodes, symbols)
    elif isinstance(member, n.TriggerDecl | n.IncentiveDecl) and member.condition.expr:
        trigger = isinstance(member, n.TriggerDecl)
        what = f"{'trigger' if trigger else 'incentive'} '{member.name}'"
        verb = "fire" if trigger else "be earned"
        found = list(walk(member.condition.expr))
        yield from _same_windows(what, verb, member.condition.span, found, symbols)
    elif isinstance(member, n.PlanDecl):
        for goal in (s for s in member.stmts if isinstance(s, n.GoalStmt)):
            what = f"the goal '{goal.text}' of plan '{member.name}'"
            yield from _same_windows(what, "be assessed", goal.span, list(walk(goal.kpi)), symbols)


def _same_windows(
    what: str, verb: str, span: Any, nodes: list[Any], symbols: Symbols
) -> Iterable[Diagnostic]:
    names = {n.dotted_name(node) for node in nodes if isinstance(node, n.Name | n.Attr)}
    names |= {s.metric.dotted for s in nodes if isinstance(s, n.SlaStmt) and s.metric}
    metrics = [
        symbols.metrics[name] for name in sorted(filter(None, names)) if name in symbols.metrics
    ]
    if len({_window_names(m.window) for m in metrics}) > 1:
        listed = ", ".join(f"'{m.name}' per {_window_text(m.window)}" for m in metrics)
        yield Diagnostic(
            "CC322",
            f"{what} reads metrics measured over different windows ({listed}), so no window "
            f"has a reading of each: it would never {verb}",
            span,
            help="measure them over windows that end together: next to a `rolling 6 months`, "
            "a monthly count is `per rolling 1 month`",
        )


def _window_names(window: n.Window) -> tuple[object, ...]:
    """How a metric's windows are named at run time (runtime.windows): every rolling window
    by the day it ends, the others by their period."""
    if window.kind == "rolling":
        return ("rolling",)
    return (window.kind, window.period, window.fact, window.start_day)


def _window_text(window: n.Window) -> str:
    """The window as written after `per`."""
    return {
        "rolling": f"rolling {window.duration}",
        "calendar": f"calendar {window.period}",
        "contract_year": "contract year",
        "billing": f"billing cycle from day {window.start_day}",
    }.get(window.kind, f"each {window.fact}")


SCALAR_FUNCTIONS = ("floor", "ceil", "abs", "round", "ratio")


def _check_aggregations(nodes: list[Any]) -> Iterable[Diagnostic]:
    """An aggregation reads the facts of a measurement window, which only a metric has."""
    for node in nodes:
        if not isinstance(node, n.Call) or node.func in SCALAR_FUNCTIONS:
            continue
        if node.func not in FUNCTIONS:  # CC215 says so
            continue
        if node.func in ("min", "max") and len(node.args) >= 2:
            continue  # the smaller or larger of two values
        yield Diagnostic(
            "CC323",
            f"{node.func}() aggregates the facts of a measurement window, which only a metric has",
            node.span,
            help=f"aggregate in a metric (`metric NAME per calendar month = {node.func}(...)`), "
            "which SLAs and triggers read by its name",
        )
