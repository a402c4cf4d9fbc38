"""The facets of a compiled clause: what a reviewer compares between two versions.

Input: one IR model (a clause, metric, parameter, role, ...). Output: an ordered mapping from a
facet label ("target", "credit tier 3", "cap per window", "owner") to its value in words
(`show_ir`). Two versions of a clause differ exactly where their facets differ, so the diff is
row by row for tier tables and cap by cap for limits. Fields a facet function does not name are
still shown, under their field name, so a field added to the IR later is never compared away.
Spans and the clause's source text are left out: moving or reformatting a clause changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from clausec import ir
from clausec import show_ir as show

Facets = dict[str, str]

_NEVER_COMPARED = {"id", "kind", "span", "text"}


def _numbered(pairs: Iterable[tuple[str, str]]) -> Facets:
    """Labels made unique: a label used twice becomes 'label 1', 'label 2'."""
    items = list(pairs)
    labels = [label for label, _ in items]
    counts: dict[str, int] = {}
    out: Facets = {}
    for label, value in items:
        if labels.count(label) > 1:
            counts[label] = counts.get(label, 0) + 1
            label = f"{label} {counts[label]}"
        out[label] = value
    return out


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _rest(model: ir.Model, handled: set[str]) -> Facets:
    """Fields no facet function names, shown as JSON so that no difference goes unseen."""
    data = model.model_dump(mode="json")
    return {
        name.replace("_", " "): _compact(value)
        for name, value in data.items()
        if name not in handled | _NEVER_COMPARED and value not in (None, [], {}, False, "")
    }


def amount_facets(amounts: list[ir.Amount], prefix: str = "") -> Facets:
    kinds = [a.kind for a in amounts]
    out: Facets = {}
    for number, amount in enumerate(amounts, start=1):
        label = prefix + (
            amount.kind if kinds.count(amount.kind) == 1 else f"{amount.kind} {number}"
        )
        if amount.tiers:
            out[f"{label} base"] = show.expr(amount.base)
            out[f"{label} hit policy"] = str(amount.hit_policy).replace("_", " ")
            for row_number, row in enumerate(amount.tiers, start=1):
                when = f"if {show.expr(row.when)}" if row.when is not None else "otherwise"
                out[f"{label} tier {row_number}"] = f"{show.expr(row.value)} {when}"
        elif amount.bands:
            out[f"{label} base"] = show.expr(amount.base)
            out[f"{label} bands"] = str(amount.band_kind)
            for row_number, band in enumerate(amount.bands, start=1):
                upper = show.expr(band.upper) if band.upper is not None else "up"
                out[f"{label} band {row_number}"] = (
                    f"{show.expr(band.lower)} to {upper}: {show.expr(band.value)}"
                )
        else:
            out[label] = " ".join(filter(None, [show.expr(amount.expr), show.rate(amount)]))
    return out


def limit_facets(limits: list[ir.Limit], prefix: str = "") -> Facets:
    return _numbered((prefix + show.limit_label(lim), show.limit(lim)) for lim in limits)


def _common(clause: ir.Clause) -> Facets:
    return {
        "legal reference": clause.ref or "(none)",
        "owner": clause.owner or "(none)",
        "inform": ", ".join(clause.inform) or "(none)",
    }


def _sla(sla: ir.Sla) -> Facets:
    out = {"measure": sla.metric or "(none)", "target": show.expr(sla.target)}
    out |= amount_facets(sla.amounts) | limit_facets(sla.limits)
    out["claim within"] = show.expr(sla.claim_within)
    if sla.earn_back_after is not None:
        out["earn back"] = f"after {sla.earn_back_after} compliant windows"
    return out


def _step_label(value: ir.Step) -> str:
    if value.kind in ("power", "late_power"):
        return f"right to {value.action}"
    return value.kind


def steps_facets(steps: list[ir.Step], prefix: str) -> Facets:
    out: Facets = {}
    others: list[tuple[str, str]] = []
    amounts = [s.amount for s in steps if s.kind == "amount" and s.amount is not None]
    out |= amount_facets(amounts, prefix)
    out |= limit_facets([s.limit for s in steps if s.kind == "limit" and s.limit], prefix)
    for value in steps:
        if value.kind not in ("amount", "limit"):
            others.append((prefix + _step_label(value), show.step(value)))
    return out | _numbered(others)


def _levels(levels: list[ir.Level]) -> Facets:
    return {
        f"escalation level {level.name}": f"after {show.expr(level.after)}: "
        + "; ".join(show.step(action) for action in level.actions)
        for level in levels
    }


def _recurrence(value: dict[str, Any] | None) -> str:
    if not value:
        return "(none)"
    if value.get("fact"):
        where = f" where {show.expr(value['where'])}" if value.get("where") is not None else ""
        return f"for each {value['fact']}{where}"
    if value.get("period"):
        return f"every calendar {value['period']}"
    return _compact(value)


def _obligation(obligation: ir.Obligation) -> Facets:
    duty = obligation.duty
    out = {
        "duty": show.duty(duty),
        "deadline": show.deadline(duty.deadline),
        "creditor": obligation.creditor or "(none)",
        "recurrence": _recurrence(obligation.recurrence),
        "starts when": show.event(obligation.starts_when) if obligation.starts_when else "(none)",
        "ongoing": "yes" if obligation.ongoing else "no",
        "survives": "yes" if obligation.survives else "no",
    }
    if obligation.survives_for is not None:
        out["survives for"] = show.expr(obligation.survives_for)
    out |= _numbered(
        ("suspend during", f"{s.get('fact')} {str(s.get('mode', '')).replace('_', ' ')}".strip())
        for s in obligation.suspensions
    )
    return out | steps_facets(obligation.reparation, "on breach: ") | _levels(obligation.escalation)


def _duties(duties: list[ir.Duty]) -> Facets:
    return _numbered(
        ("duty", f"{show.duty(d)} {show.deadline(d.deadline)}".strip()) for d in duties
    )


def _trigger(trigger: ir.Trigger) -> Facets:
    out = {"condition": show.condition(trigger.condition), "notify": ", ".join(trigger.notify)}
    return out | steps_facets(trigger.powers, "") | _duties(trigger.duties)


def _incentive(incentive: ir.Incentive) -> Facets:
    out = {"condition": show.condition(incentive.condition)}
    return out | amount_facets(incentive.amounts) | limit_facets(incentive.limits)


def _escalation(escalation: ir.Escalation) -> Facets:
    return {"on": show.event(escalation.on)} | _levels(escalation.levels)


def _plan(plan: ir.Plan) -> Facets:
    goals = _numbered(
        ("goal", f'"{g.text}" kpi {show.expr(g.kpi)} owner {g.owner or "(none)"}')
        for g in plan.goals
    )
    checkpoints: list[tuple[str, str]] = []
    for checkpoint in plan.checkpoints:
        duty = ir.Duty.model_validate(checkpoint["duty"])
        checkpoints.append(
            (
                f"checkpoint every calendar {checkpoint.get('period')}",
                f"{show.duty(duty)} {show.deadline(duty.deadline)}",
            )
        )
    return goals | _numbered(checkpoints) | {"outcome": plan.outcome or "(none)"}


_CLAUSE_FACETS: list[tuple[type[ir.Clause], Callable[[Any], Facets], set[str]]] = [
    (ir.Sla, _sla, {"metric", "target", "amounts", "limits", "claim_within", "earn_back_after"}),
    (
        ir.Obligation,
        _obligation,
        {
            "duty",
            "creditor",
            "recurrence",
            "starts_when",
            "ongoing",
            "survives",
            "survives_for",
            "suspensions",
            "reparation",
            "escalation",
        },
    ),
    (ir.Escalation, _escalation, {"on", "levels"}),
    (ir.Trigger, _trigger, {"condition", "notify", "powers", "duties"}),
    (ir.Incentive, _incentive, {"condition", "amounts", "limits"}),
    (ir.Plan, _plan, {"goals", "checkpoints", "outcome"}),
]


def clause_facets(clause: ir.Clause) -> Facets:
    for cls, facets, handled in _CLAUSE_FACETS:
        if isinstance(clause, cls):
            common = set(ir.Clause.model_fields)
            return _common(clause) | facets(clause) | _rest(clause, handled | common)
    return _common(clause) | _rest(clause, set(ir.Clause.model_fields))


def _window(window: ir.Window) -> str:
    if window.kind == "calendar":
        return f"per calendar {window.period}"
    if window.kind == "rolling":
        return f"rolling {show.expr(window.duration)}"
    if window.kind == "billing":
        return f"per billing cycle from day {window.start_day}"
    if window.fact:
        return f"per {window.fact}"
    return window.kind.replace("_", " ")


def metric_facets(metric: ir.Metric) -> Facets:
    out = {
        "legal reference": metric.ref or "(none)",
        "window": _window(metric.window),
        "formula": show.expr(metric.expr),
        "type": metric.type.kind,
        "missing data": metric.missing,
        "grace": show.expr(metric.grace),
        "minimum volume": show.expr(metric.min_volume),
    }
    out |= _numbered(("exclude", show.evidence(f)) for f in metric.exclusions)
    handled = {"ref", "window", "expr", "type", "missing", "grace", "min_volume", "exclusions"}
    return out | _rest(metric, handled)


def closeout_facets(closeout: ir.Closeout) -> Facets:
    out = {"legal reference": closeout.ref or "(none)"} | _duties(closeout.duties)
    out["reconcile caps"] = "yes" if closeout.reconcile else "no"
    if closeout.lessons is not None:
        owner = closeout.lessons_owner or "(none)"
        out["lessons learned"] = f"by {owner} {show.deadline(closeout.lessons)}"
    handled = {"ref", "duties", "reconcile", "lessons", "lessons_owner"}
    return out | _rest(closeout, handled)


def type_text(value: ir.TypeIR) -> str:
    if value.values:
        text = " | ".join(value.values)
    else:
        text = value.kind + (f" {value.currency}" if value.currency else "")
    return text + ("?" if value.optional else "")


def header_facets(header: ir.Header) -> Facets:
    out = {
        name.replace("_", " "): "(none)" if value is None else str(value)
        for name, value in header.model_dump(mode="json").items()
        if name not in ("conversions", "rounding_mode", "rounding_quantum")
    }
    out["rounding"] = f"{header.rounding_mode} to {header.rounding_quantum}"
    out |= {f"convert {c}": f"at {rate}" for c, rate in sorted(header.conversions.items())}
    return out
