"""Pass 2 (part): the clause half of the AST builder: obligations, escalation, triggers, powers,
incentives, plans, close-out, template use and amendments.
"""

from __future__ import annotations

from typing import Any

from lark import Token, v_args
from lark.tree import Meta

from clausec import literals
from clausec import nodes as n
from clausec.build_expr import ExprBuilder


class Ref(str):
    """A clause's legal reference ("4.2"), told apart from other strings among children."""


def split_ref(children: list[Any]) -> tuple[str | None, list[Any]]:
    if children and isinstance(children[0], Ref):
        return str(children[0]), children[1:]
    return None, children


def word(token: Token) -> str:
    """Keyword tokens may span whitespace ("first  match"): normalise to snake_case."""
    return "_".join(str(token).split())


def _opt(kind: str, span: Any, **fields: Any) -> n.ObligationStmt:
    values: dict[str, Any] = {"name": None, "expr": None, "event": None, "mode": None}
    values.update(fields)
    return n.ObligationStmt(kind, span=span, **values)


@v_args(meta=True)
class ClauseBuilder(ExprBuilder):
    # ------------------------------------------------------------ obligations

    def obligation_decl(self, meta: Meta, c: list[Any]) -> n.ObligationDecl:
        ref, rest = split_ref(c[1:])
        recurrence = rest[0] if rest and isinstance(rest[0], n.Recurrence) else None
        stmts = rest[1:] if recurrence else rest
        return n.ObligationDecl(str(c[0]), ref, recurrence, tuple(stmts), self.span(meta))

    def for_each(self, meta: Meta, c: list[Any]) -> n.Recurrence:
        where = c[1] if len(c) > 1 else None
        return n.Recurrence("for_each", str(c[0]), where, None, self.span(meta))

    def every_period(self, meta: Meta, c: list[Token]) -> n.Recurrence:
        return n.Recurrence("every", None, None, str(c[0]), self.span(meta))

    def creditor_stmt(self, meta: Meta, c: list[Token]) -> n.ObligationStmt:
        return _opt("creditor", self.span(meta), name=str(c[0]))

    def starts_stmt(self, meta: Meta, c: list[Any]) -> n.ObligationStmt:
        return _opt("starts", self.span(meta), event=c[0])

    def ongoing_stmt(self, meta: Meta, c: list[Any]) -> n.ObligationStmt:
        return _opt("ongoing", self.span(meta))

    def survives_stmt(self, meta: Meta, c: list[Any]) -> n.ObligationStmt:
        return _opt("survives", self.span(meta), expr=c[0] if c else None)

    def suspend_stmt(self, meta: Meta, c: list[Any]) -> n.ObligationStmt:
        where = next((x for x in c[1:] if not isinstance(x, Token)), None)
        mode = next((word(t) for t in c[1:] if isinstance(t, Token)), "extending_deadline")
        return _opt("suspend", self.span(meta), name=str(c[0]), expr=where, mode=mode)

    def reparation(self, meta: Meta, c: list[Any]) -> n.Reparation:
        return n.Reparation(tuple(c), self.span(meta))

    def duty(self, meta: Meta, c: list[Any]) -> n.Duty:
        evidence = next((x for x in c[3:] if isinstance(x, n.Evidence)), None)
        deadline = next((x for x in c[3:] if isinstance(x, n.Deadline)), None)
        modality = "must_not" if len(str(c[1]).split()) > 1 else "must"
        return n.Duty(str(c[0]), modality, str(c[2]), evidence, deadline, self.span(meta))

    def evidence(self, meta: Meta, c: list[Any]) -> n.Evidence:
        return n.Evidence(str(c[0]), c[1] if len(c) > 1 else None, self.span(meta))

    def by_deadline(self, meta: Meta, c: list[Any]) -> n.Deadline:
        return n.Deadline("by", c[0], None, self.span(meta))

    def within_deadline(self, meta: Meta, c: list[Any]) -> n.Deadline:
        anchor = c[1] if len(c) > 1 else None
        if isinstance(anchor, n.EventRef):
            anchor = n.Anchor("event", anchor, None, anchor.span)
        return n.Deadline("within", c[0], anchor, self.span(meta))

    def start_anchor(self, meta: Meta, c: list[Any]) -> n.Anchor:
        return n.Anchor("start", None, None, self.span(meta))

    def end_anchor(self, meta: Meta, c: list[Any]) -> n.Anchor:
        return n.Anchor("end", None, None, self.span(meta))

    def window_end_anchor(self, meta: Meta, c: list[Any]) -> n.Anchor:
        return n.Anchor("window_end", None, None, self.span(meta))

    def field_anchor(self, meta: Meta, c: list[Token]) -> n.Anchor:
        return n.Anchor("field", None, str(c[0]), self.span(meta))

    def cure_step(self, meta: Meta, c: list[Any]) -> n.CureStep:
        return n.CureStep(c[0], self.span(meta))

    def late_power(self, meta: Meta, c: list[Any]) -> n.LatePower:
        parts = [x for x in c if not isinstance(x, Token)]
        return n.LatePower(parts[0], parts[1], self.span(meta))

    # ------------------------------------------------------------ escalation, powers, triggers

    def escalation_decl(self, meta: Meta, c: list[Any]) -> n.EscalationDecl:
        ref, rest = split_ref(c[1:])
        return n.EscalationDecl(str(c[0]), ref, rest[0], tuple(rest[1:]), self.span(meta))

    def escalate_block(self, meta: Meta, c: list[n.Level]) -> n.EscalateBlock:
        return n.EscalateBlock(tuple(c), self.span(meta))

    def level(self, meta: Meta, c: list[Any]) -> n.Level:
        actions = tuple(_as_action(a) for a in c[2:])
        return n.Level(str(c[0]), c[1], actions, self.span(meta))

    def assign_action(self, meta: Meta, c: list[Token]) -> n.LevelAction:
        return n.LevelAction("assign", (str(c[0]),), None, None, None, self.span(meta))

    def require_action(self, meta: Meta, c: list[Any]) -> n.LevelAction:
        return n.LevelAction("require", (), str(c[0]), str(c[1]), c[2], self.span(meta))

    def notify(self, meta: Meta, c: list[Token]) -> n.Notify:
        return n.Notify(tuple(str(t) for t in c), self.span(meta))

    def power(self, meta: Meta, c: list[Any]) -> n.Power:
        within = next((x[1] for x in c[2:] if isinstance(x, tuple) and x[0] == "within"), None)
        notice = next((x[1] for x in c[2:] if isinstance(x, tuple) and x[0] == "notice"), None)
        return n.Power(str(c[0]), str(c[1]), within, notice, self.span(meta))

    def power_within(self, meta: Meta, c: list[Any]) -> tuple[str, n.Expr]:
        return "within", c[0]

    def power_notice(self, meta: Meta, c: list[Any]) -> tuple[str, n.Expr]:
        return "notice", c[0]

    def trigger_decl(self, meta: Meta, c: list[Any]) -> n.TriggerDecl:
        ref, rest = split_ref(c[1:])
        return n.TriggerDecl(str(c[0]), ref, rest[0], tuple(rest[1:]), self.span(meta))

    def count_condition(self, meta: Meta, c: list[Any]) -> n.Condition:
        within = self.literal_value(c[2])
        return n.Condition("count", c[0], None, int(c[1]), None, within, None, self.span(meta))

    def n_of_m_condition(self, meta: Meta, c: list[Any]) -> n.Condition:
        return n.Condition("n_of_m", c[0], None, int(c[1]), int(c[2]), None, None, self.span(meta))

    def expr_condition(self, meta: Meta, c: list[Any]) -> n.Condition:
        return n.Condition("expr", None, c[0], None, None, None, None, self.span(meta))

    # ------------------------------------------------------------ incentives, plans, close-out

    def incentive_decl(self, meta: Meta, c: list[Any]) -> n.IncentiveDecl:
        ref, rest = split_ref(c[1:])
        return n.IncentiveDecl(str(c[0]), ref, rest[0], tuple(rest[1:]), self.span(meta))

    def event_incentive(self, meta: Meta, c: list[Any]) -> n.Condition:
        before = c[1] if len(c) > 1 else None
        return n.Condition("event", c[0], before, None, None, None, None, self.span(meta))

    def metric_incentive(self, meta: Meta, c: list[Any]) -> n.Condition:
        return n.Condition("metric", None, c[0], None, None, None, None, self.span(meta))

    def plan_decl(self, meta: Meta, c: list[Any]) -> n.PlanDecl:
        ref, rest = split_ref(c[1:])
        return n.PlanDecl(str(c[0]), ref, tuple(rest), self.span(meta))

    def goal_stmt(self, meta: Meta, c: list[Any]) -> n.GoalStmt:
        owner = str(c[2]) if len(c) > 2 else None
        return n.GoalStmt(literals.text_value(c[0]), c[1], owner, self.span(meta))

    def checkpoint_stmt(self, meta: Meta, c: list[Any]) -> n.CheckpointStmt:
        return n.CheckpointStmt(str(c[0]), c[1], self.span(meta))

    def outcome_stmt(self, meta: Meta, c: list[Token]) -> n.OutcomeStmt:
        return n.OutcomeStmt(str(c[0]), self.span(meta))

    def closeout_decl(self, meta: Meta, c: list[Any]) -> n.CloseoutDecl:
        ref, rest = split_ref(c)
        return n.CloseoutDecl(ref, tuple(rest), self.span(meta))

    def reconcile_stmt(self, meta: Meta, c: list[Any]) -> n.CloseoutStmt:
        return n.CloseoutStmt("reconcile", None, None, self.span(meta))

    def lessons_stmt(self, meta: Meta, c: list[Any]) -> n.CloseoutStmt:
        return n.CloseoutStmt("lessons", str(c[0]), c[1], self.span(meta))

    # ------------------------------------------------------------ reuse and amendments

    def use_decl(self, meta: Meta, c: list[Any]) -> n.UseDecl:
        ref, rest = split_ref(c[2:])
        return n.UseDecl(c[0], str(c[1]), ref, tuple(rest), self.span(meta))

    def argument(self, meta: Meta, c: list[Any]) -> n.Argument:
        return n.Argument(str(c[0]), c[1], self.span(meta))

    def _amend(self, kind: str, meta: Meta, **fields: Any) -> n.AmendmentStmt:
        values: dict[str, Any] = {
            "name": None,
            "target": None,
            "expr": None,
            "member": None,
            "values": (),
        }
        values.update(fields)
        return n.AmendmentStmt(kind, span=self.span(meta), **values)

    def amends_stmt(self, meta: Meta, c: list[Token]) -> n.AmendmentStmt:
        target = literals.text_value(c[0])
        return self._amend("amends", meta, target=target, values=(int(c[1]),))

    def amendment_effective(self, meta: Meta, c: list[Token]) -> n.AmendmentStmt:
        return self._amend("effective", meta, values=(self.literal_value(c[0]),))

    def set_stmt(self, meta: Meta, c: list[Any]) -> n.AmendmentStmt:
        return self._amend("set", meta, name=str(c[0]), expr=c[1])

    def add_stmt(self, meta: Meta, c: list[Any]) -> n.AmendmentStmt:
        return self._amend("add", meta, member=c[0])

    def replace_stmt(self, meta: Meta, c: list[Any]) -> n.AmendmentStmt:
        return self._amend("replace", meta, member=c[0])

    def remove_stmt(self, meta: Meta, c: list[Token]) -> n.AmendmentStmt:
        return self._amend("remove", meta, target=str(c[0]), name=str(c[1]))

    def clause_path(self, meta: Meta, c: list[Token]) -> str:
        return ".".join(str(t) for t in c)

    def migrate_stmt(self, meta: Meta, c: list[Token]) -> n.AmendmentStmt:
        reason = (literals.text_value(c[2]),) if len(c) > 2 else ()
        return self._amend("migrate", meta, name=str(c[0]), target=str(c[1]), values=reason)

    def discharge_stmt(self, meta: Meta, c: list[Token]) -> n.AmendmentStmt:
        reason = (literals.text_value(c[1]),)
        return self._amend("discharge", meta, name=str(c[0]), values=reason)


def _as_action(action: Any) -> n.LevelAction:
    if isinstance(action, n.Notify):
        return n.LevelAction("notify", action.roles, None, None, None, action.span)
    assert isinstance(action, n.LevelAction)
    return action
