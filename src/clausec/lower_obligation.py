"""Pass 7 (part): lowering an obligation, the richest clause, to `ir.Obligation`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clausec import ir
from clausec import nodes as n
from clausec.lower_expr import lower

if TYPE_CHECKING:
    from clausec.lower_clauses import ClauseLowerer


def lower_obligation(lowerer: ClauseLowerer, o: n.ObligationDecl) -> ir.Obligation:
    recurrence: dict[str, Any] | None = None
    scope = lowerer.scope
    if o.recurrence is not None:
        r = o.recurrence
        scope = scope.with_fact(r.fact)
        recurrence = {
            "kind": r.kind,
            "fact": r.fact,
            "where": lower(r.where, scope),
            "period": r.period,
        }
    stmts = {s.kind: s for s in o.stmts if isinstance(s, n.ObligationStmt)}
    duty = next(s for s in o.stmts if isinstance(s, n.Duty))
    deadline = next((s for s in o.stmts if isinstance(s, n.Deadline)), None)
    survives = stmts.get("survives")
    suspensions = [
        {"fact": s.name, "where": lower(s.expr, scope.with_fact(s.name)), "mode": s.mode}
        for s in o.stmts
        if isinstance(s, n.ObligationStmt) and s.kind == "suspend"
    ]
    reparation = [
        lowerer.step(step, scope)
        for s in o.stmts
        if isinstance(s, n.Reparation)
        for step in s.steps
    ]
    escalation = [
        level
        for s in o.stmts
        if isinstance(s, n.EscalateBlock)
        for level in lowerer.levels(s.levels, scope)
    ]
    return ir.Obligation(
        **lowerer.common(o, "obligation"),
        duty=lowerer.duty(duty, scope, deadline),
        creditor=stmts["creditor"].name if "creditor" in stmts else None,
        recurrence=recurrence,
        starts_when=lowerer.event(stmts["starts"].event) if "starts" in stmts else None,
        ongoing="ongoing" in stmts,
        survives=survives is not None,
        survives_for=lower(survives.expr, scope) if survives else None,
        suspensions=suspensions,
        reparation=reparation,
        escalation=escalation,
    )
