"""Obligations that other clauses create at run time: a trigger's duties, what an escalation
level requires, a plan's checkpoints and the close-out duties. They are built from the bundle
up front, so their evidence patterns are known to the matcher before the first fact arrives."""

from __future__ import annotations

from collections.abc import Iterator

from clausec import ir

NO_SPAN = ir.SpanIR(path="", line=0, col=0, end_line=0, end_col=0)


def trigger_duty(trigger: ir.Trigger, duty: ir.Duty) -> ir.Obligation:
    return ir.Obligation(
        id=f"{trigger.id}.{duty.action}",
        kind="obligation",
        ref=trigger.ref,
        span=trigger.span,
        text=trigger.text,
        duty=duty,
        owner=trigger.owner,
    )


def required(clause: ir.Clause, action: ir.Step) -> ir.Obligation:
    """`require X from P within D` at an escalation level: P must provide an X fact."""
    duty = ir.Duty(
        debtor=action.party or "",
        modality="must",
        action="provide",
        evidence=ir.Filter(fact=action.deliverable or ""),
        deadline=ir.Deadline(kind="within", expr=action.within),
    )
    return ir.Obligation(
        id=f"{clause.id}.{action.deliverable}",
        kind="obligation",
        ref=clause.ref,
        span=clause.span,
        text=clause.text,
        duty=duty,
        owner=clause.owner,
    )


def plan_checkpoints(plan: ir.Plan) -> list[ir.Obligation]:
    """A plan's `checkpoint every calendar PERIOD: DUTY` as a recurring obligation named
    `<plan>.<action>` (one instance per period, like `every`), owned and informed as the plan
    is; a second checkpoint with the same action gets its position as a suffix."""
    specs: list[ir.Obligation] = []
    for number, checkpoint in enumerate(plan.checkpoints, start=1):
        duty = ir.Duty.model_validate(checkpoint["duty"])
        name = f"{plan.id}.{duty.action}"
        if any(spec.id == name for spec in specs):
            name = f"{name}_{number}"
        specs.append(
            ir.Obligation(
                id=name,
                kind="obligation",
                ref=plan.ref,
                span=plan.span,
                text=plan.text,
                owner=plan.owner,
                inform=plan.inform,
                duty=duty,
                recurrence={
                    "kind": "every",
                    "fact": None,
                    "where": None,
                    "period": checkpoint["period"],
                },
            )
        )
    return specs


def closeout_duties(closeout: ir.Closeout) -> list[ir.Obligation]:
    duties = list(closeout.duties)
    if closeout.lessons is not None and closeout.lessons_owner:
        duties.append(
            ir.Duty(
                debtor=closeout.lessons_owner,
                modality="must",
                action="record_lessons_learned",
                deadline=closeout.lessons,
            )
        )
    return [
        ir.Obligation(
            id=f"closeout.{duty.action}",
            kind="obligation",
            ref=closeout.ref,
            span=NO_SPAN,
            text="",
            duty=duty,
            survives=True,
        )
        for duty in duties
    ]


def _levels(bundle: ir.Bundle) -> Iterator[tuple[ir.Clause, ir.Level]]:
    for obligation in bundle.obligations:
        for level in obligation.escalation:
            yield obligation, level
    for escalation in bundle.escalations:
        for level in escalation.levels:
            yield escalation, level


def derived_obligations(bundle: ir.Bundle) -> list[ir.Obligation]:
    specs = [trigger_duty(t, d) for t in bundle.triggers for d in t.duties]
    specs += [
        required(clause, action)
        for clause, level in _levels(bundle)
        for action in level.actions
        if action.kind == "require" and action.deliverable
    ]
    specs += [spec for plan in bundle.plans for spec in plan_checkpoints(plan)]
    if bundle.closeout is not None:
        specs += closeout_duties(bundle.closeout)
    unique: dict[str, ir.Obligation] = {}
    for spec in specs:
        unique.setdefault(spec.id, spec)
    return list(unique.values())
