"""Pass 7 (part): lowering each kind of clause to its IR model."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from clausec import ir
from clausec import nodes as n
from clausec.check_types import TypeTable
from clausec.diagnostics import Span
from clausec.lower_expr import Scope, lower, lower_literal


class ClauseLowerer:
    def __init__(
        self,
        scope: Scope,
        span_ir: Callable[[Span], ir.SpanIR],
        sources: Mapping[str, str],
        types: TypeTable,
        params: Mapping[str, n.ParamDecl] | None = None,
    ) -> None:
        self.scope = scope
        self.params = params or {}  # the contract's, for the values a template is bound to
        self.span_ir = span_ir
        self.sources = sources
        self.types = types
        self._lines: dict[str, list[str]] = {}  # each source split once, not once per clause

    def text(self, span: Span) -> str:
        lines = self._lines.get(span.path)
        if lines is None:
            lines = self._lines[span.path] = self.sources.get(span.path, "").split("\n")
        return "\n".join(lines[span.line - 1 : span.end_line]).strip()

    def snippet(self, span: Span) -> str:
        """The exact source text of `span` (an expression), on one line."""
        self.text(span)  # splits the file once
        lines = self._lines[span.path][span.line - 1 : span.end_line]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][span.col - 1 : span.end_col - 1]
        lines = [lines[0][span.col - 1 :], *lines[1:-1], lines[-1][: span.end_col - 1]]
        return " ".join(" ".join(lines).split())

    def clause_text(self, decl: Any) -> str:
        """The clause's source text; for a clause from a template, followed by a `with` block
        naming the `use` and the value bound to each template parameter the clause reads."""
        text = self.text(decl.span)
        origin: n.Origin | None = getattr(decl, "origin", None)
        if origin is None:
            return text
        use = f"use {origin.template} as {origin.alias}"
        if origin.ref:
            use += f' "{origin.ref}"'
        where = self.span_ir(origin.span)
        lines = [text, f"with ({use}, {where.path}:{where.line}):"]
        for b in origin.bindings:
            # `fee = monthly_fee`, `major_breach = 95.0%  (default)`. A contract parameter is
            # named, not valued: its value belongs to the version in force (an amendment sets
            # it) and the event's computation shows the figure used. A contract name spelt
            # like the parameter (`buyer: buyer`) is not repeated.
            values = [self.snippet(b.value)]
            values = [v for v in values if v and v != b.param]
            if values:
                line = " = ".join([b.param, *values])
                lines.append(f"  {line}" + ("  (default)" if b.default else ""))
        return "\n".join(lines)

    def common(self, decl: Any, kind: str) -> dict[str, Any]:
        stmts = getattr(decl, "stmts", ())
        owner = next((s.role for s in stmts if isinstance(s, n.OwnerStmt)), None)
        inform = [r for s in stmts if isinstance(s, n.InformStmt) for r in s.roles]
        return {
            "id": decl.name,
            "kind": kind,
            "ref": decl.ref,
            "span": self.span_ir(decl.span),
            "text": self.clause_text(decl),
            "owner": owner,
            "inform": inform,
        }

    # ------------------------------------------------------------ shared pieces

    def event(self, ref: n.EventRef | None) -> ir.EventRef | None:
        return ir.EventRef(clause=ref.clause.dotted, event=ref.event) if ref else None

    def amount(self, stmt: n.AmountStmt, scope: Scope) -> ir.Amount:
        data: dict[str, Any] = {"kind": stmt.kind, "span": self.span_ir(stmt.span)}
        if stmt.tiers is not None:
            data.update(
                base=lower(stmt.expr, scope),
                hit_policy=stmt.tiers.policy,
                tiers=[
                    ir.TierRow(when=lower(r.condition, scope), value=lower(r.value, scope))
                    for r in stmt.tiers.rows
                ],
            )
        elif stmt.bands is not None:
            data.update(
                base=lower(stmt.expr, scope),
                band_kind=stmt.bands.kind,
                bands=[
                    ir.BandRow(
                        lower=lower(r.lower, scope),
                        upper=lower(r.upper, scope),
                        value=lower(r.value, scope),
                    )
                    for r in stmt.bands.rows
                ],
            )
        else:
            data["expr"] = lower(stmt.expr, scope)
        if stmt.rate is not None:
            data["rate"] = ir.Rate(
                unit=stmt.rate.unit, late=stmt.rate.late, part_policy=stmt.rate.part_policy
            )
        return ir.Amount(**data)

    def limit(self, stmt: Any, scope: Scope) -> ir.Limit | None:
        if isinstance(stmt, n.CapStmt):
            return ir.Limit(kind="cap", amount=lower(stmt.amount, scope), scope=stmt.scope)
        if isinstance(stmt, n.MinimumStmt):
            return ir.Limit(kind="minimum", amount=lower(stmt.amount, scope))
        if isinstance(stmt, n.RoundStmt):
            return ir.Limit(kind="round", mode=stmt.mode, quantum=str(stmt.quantum))
        return None

    def deadline(self, d: n.Deadline | None, scope: Scope) -> ir.Deadline | None:
        if d is None:
            return None
        anchor = None
        if d.anchor is not None:
            anchor = ir.Anchor(
                kind=d.anchor.kind, event=self.event(d.anchor.event), field=d.anchor.field
            )
        return ir.Deadline(kind=d.kind, expr=lower(d.expr, scope), anchor=anchor)

    def duty(self, d: n.Duty, scope: Scope, deadline: n.Deadline | None = None) -> ir.Duty:
        evidence = None
        if d.evidence is not None:
            where = lower(d.evidence.where, scope.with_fact(d.evidence.fact))
            evidence = ir.Filter(fact=d.evidence.fact, where=where)
        return ir.Duty(
            debtor=d.debtor,
            modality=d.modality,
            action=d.action,
            evidence=evidence,
            deadline=self.deadline(d.deadline or deadline, scope),
        )

    def power(self, p: n.Power, scope: Scope) -> ir.Step:
        return ir.Step(
            kind="power",
            holder=p.holder,
            action=p.action,
            within=lower(p.within, scope),
            notice=lower(p.notice, scope),
        )

    def step(self, s: n.ReparationStep, scope: Scope) -> ir.Step:
        if isinstance(s, n.AmountStmt):
            return ir.Step(kind="amount", amount=self.amount(s, scope))
        if isinstance(s, n.CureStep):
            return ir.Step(kind="cure", within=lower(s.within, scope))
        if isinstance(s, n.Power):
            return self.power(s, scope)
        if isinstance(s, n.Notify):
            return ir.Step(kind="notify", roles=list(s.roles))
        if isinstance(s, n.LatePower):
            power = self.power(s.power, scope)
            return power.model_copy(
                update={"kind": "late_power", "threshold": lower(s.threshold, scope)}
            )
        return ir.Step(kind="limit", limit=self.limit(s, scope))

    def levels(self, levels: Iterable[n.Level], scope: Scope) -> list[ir.Level]:
        return [
            ir.Level(
                name=lv.name,
                after=lower(lv.after, scope),
                actions=[
                    ir.Step(
                        kind=a.kind,
                        roles=list(a.roles),
                        party=a.party,
                        deliverable=a.deliverable,
                        within=lower(a.within, scope),
                    )
                    for a in lv.actions
                ],
            )
            for lv in levels
        ]

    def condition(self, c: n.Condition, scope: Scope) -> ir.Condition:
        return ir.Condition(
            kind=c.kind,
            event=self.event(c.event),
            expr=lower(c.expr, scope),
            count=c.count,
            of=c.of,
            within=lower_literal(c.within) if c.within is not None else None,
            metric=c.metric.dotted if c.metric else None,
        )

    # ------------------------------------------------------------ clauses

    def metric(self, m: n.MetricDecl, type_ir: ir.TypeIR) -> ir.Metric:
        scope = self.scope.with_fact(m.window.fact)
        options = {o.kind: o for o in m.options}
        w = m.window
        window = ir.Window(
            kind=w.kind,
            period=w.period,
            fact=w.fact,
            start_day=w.start_day,
            duration=lower_literal(w.duration) if w.duration is not None else None,
        )
        exclusions = [
            ir.Filter(fact=o.fact, where=lower(o.expr, self.scope.with_fact(o.fact)))
            for o in m.options
            if o.kind == "exclude" and o.fact
        ]
        missing = options["missing"].policy if "missing" in options else "undetermined"
        return ir.Metric(
            id=m.name,
            ref=m.ref,
            span=self.span_ir(m.span),
            window=window,
            expr=lower(m.expr, scope),
            type=type_ir,
            exclusions=exclusions,
            missing=missing or "undetermined",
            grace=lower(options["grace"].expr, scope) if "grace" in options else None,
            min_volume=lower(options["volume"].expr, scope) if "volume" in options else None,
        )

    def lower_clauses(self, clauses: Iterable[n.Clause]) -> dict[str, Any]:
        out: dict[str, list[Any]] = {
            "slas": [],
            "obligations": [],
            "escalations": [],
            "triggers": [],
            "incentives": [],
            "plans": [],
        }
        for clause in clauses:
            kind = type(clause).__name__.removesuffix("Decl").lower()
            method = getattr(self, kind)
            out[{"sla": "slas"}.get(kind, kind + "s")].append(method(clause))
        return out

    def sla(self, s: n.SlaDecl) -> ir.Sla:
        simple = {x.kind: x for x in s.stmts if isinstance(x, n.SlaStmt)}
        limits = [lim for x in s.stmts if (lim := self.limit(x, self.scope)) is not None]
        return ir.Sla(
            **self.common(s, "sla"),
            metric=simple["measure"].metric.dotted
            if "measure" in simple and simple["measure"].metric
            else None,
            target=lower(simple["target"].expr, self.scope) if "target" in simple else None,
            amounts=[self.amount(x, self.scope) for x in s.stmts if isinstance(x, n.AmountStmt)],
            limits=limits,
            claim_within=lower(simple["claim"].expr, self.scope) if "claim" in simple else None,
            earn_back_after=simple["earn_back"].count if "earn_back" in simple else None,
        )

    def obligation(self, o: n.ObligationDecl) -> ir.Obligation:
        from clausec.lower_obligation import lower_obligation

        return lower_obligation(self, o)

    def escalation(self, e: n.EscalationDecl) -> ir.Escalation:
        event = self.event(e.on)
        assert event is not None
        return ir.Escalation(
            **self.common(e, "escalation"), on=event, levels=self.levels(e.levels, self.scope)
        )

    def trigger(self, t: n.TriggerDecl) -> ir.Trigger:
        return ir.Trigger(
            **self.common(t, "trigger"),
            condition=self.condition(t.condition, self.scope),
            notify=[r for s in t.stmts if isinstance(s, n.Notify) for r in s.roles],
            powers=[self.power(s, self.scope) for s in t.stmts if isinstance(s, n.Power)],
            duties=[self.duty(s, self.scope) for s in t.stmts if isinstance(s, n.Duty)],
        )

    def incentive(self, i: n.IncentiveDecl) -> ir.Incentive:
        limits = [lim for x in i.stmts if (lim := self.limit(x, self.scope)) is not None]
        return ir.Incentive(
            **self.common(i, "incentive"),
            condition=self.condition(i.condition, self.scope),
            amounts=[self.amount(x, self.scope) for x in i.stmts if isinstance(x, n.AmountStmt)],
            limits=limits,
        )

    def plan(self, p: n.PlanDecl) -> ir.Plan:
        return ir.Plan(
            **self.common(p, "plan"),
            goals=[
                ir.Goal(text=g.text, kpi=lower(g.kpi, self.scope), owner=g.owner)
                for g in p.stmts
                if isinstance(g, n.GoalStmt)
            ],
            checkpoints=[
                {"period": c.period, "duty": self.duty(c.duty, self.scope).model_dump()}
                for c in p.stmts
                if isinstance(c, n.CheckpointStmt)
            ],
            outcome=next((o.fact for o in p.stmts if isinstance(o, n.OutcomeStmt)), None),
        )

    def closeout(self, c: n.CloseoutDecl) -> ir.Closeout:
        lessons = next(
            (s for s in c.stmts if isinstance(s, n.CloseoutStmt) and s.kind == "lessons"), None
        )
        return ir.Closeout(
            ref=c.ref,
            duties=[self.duty(d, self.scope) for d in c.stmts if isinstance(d, n.Duty)],
            reconcile=any(isinstance(s, n.CloseoutStmt) and s.kind == "reconcile" for s in c.stmts),
            lessons=self.deadline(lessons.deadline, self.scope) if lessons else None,
            lessons_owner=lessons.role if lessons else None,
        )
