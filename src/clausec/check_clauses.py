"""Pass 4 (part): statement-level type rules, clause by clause.

Each statement's expressions are checked against what the statement needs: a target is a
condition, a cap is money, a deadline is a date or a duration, a tier value is a percentage.
"""

from __future__ import annotations

from clausec import nodes as n
from clausec.infer_types import Env, ExprTyper, Report, comparable
from clausec.resolve_names import Symbols
from clausec.types import Type

MONEY = ("money",)
DURATION = ("duration",)
WHEN = ("date", "datetime")
CONDITION = ("bool",)
NUMERIC = ("number", "percent", "money", "duration")


class ClauseTyper(ExprTyper):
    def __init__(self, report: Report, symbols: Symbols) -> None:
        super().__init__(report)
        self.symbols = symbols

    def check_default(self, param: n.ParamDecl, declared: Type, env: Env) -> None:
        if param.default is None or declared.kind == "unknown":
            return
        if declared.kind in ("party", "role"):
            if not (
                isinstance(param.default, n.Name) and param.default.name in self.symbols.actors
            ):
                self.error(
                    "CC207",
                    f"default of '{param.name}' must name a {declared.kind}",
                    param.default.span,
                )
            return
        if declared.kind == "enum":
            if not (isinstance(param.default, n.Name) and param.default.name in declared.values):
                self.error(
                    "CC217",
                    f"default of '{param.name}' must be one of {declared}",
                    param.default.span,
                )
            return
        actual = self.infer(param.default, env)
        if not comparable(declared, actual, "==") and actual.kind != "unknown":
            self.error(
                "CC207",
                f"'{param.name}' is declared {declared} but its default is {actual}",
                param.default.span,
                f"write a {declared.kind} value, or change the type",
            )

    def check_metric(self, metric: n.MetricDecl, env: Env) -> Type:
        scope = env.with_fact(metric.window.fact) if metric.window.fact else env
        result = self.expect(metric.expr, scope, NUMERIC, f"metric '{metric.name}'")
        for option in metric.options:
            if option.kind == "exclude" and option.expr is not None and option.fact:
                self.expect(option.expr, env.with_fact(option.fact), CONDITION, "an exclusion")
            elif option.kind == "grace" and option.expr is not None:
                self.expect(option.expr, env, DURATION, "a grace period")
            elif option.kind == "volume" and option.expr is not None:
                self.expect(option.expr, env, ("number",), "a minimum volume")
        return result

    def check_member(self, member: n.Member, env: Env) -> None:
        method = getattr(self, "_check_" + type(member).__name__, None)
        if method is not None:
            method(member, env)

    # ------------------------------------------------------------ amounts

    def check_amount(self, stmt: n.AmountStmt, env: Env) -> None:
        what = f"a {stmt.kind}"
        if stmt.tiers is not None and stmt.expr is not None:
            self.expect(stmt.expr, env, MONEY, f"the base of {what}")
            for row in stmt.tiers.rows:
                if row.condition is not None:
                    self.expect(row.condition, env, CONDITION, "a tier condition")
                self.expect(row.value, env, ("percent", "money"), "a tier value")
        elif stmt.bands is not None and stmt.expr is not None:
            base = self.expect(stmt.expr, env, NUMERIC, f"the base of {what}")
            for band in stmt.bands.rows:
                for bound in (band.lower, band.upper):
                    if bound is not None:
                        self.expect(
                            bound,
                            env,
                            (base.kind,) if base.kind != "unknown" else NUMERIC,
                            "a band bound",
                        )
                self.expect(band.value, env, ("percent",), "a band rate")
        elif stmt.expr is not None:
            self.expect(stmt.expr, env, MONEY, what)

    def check_limits(self, stmt: object, env: Env) -> None:
        if isinstance(stmt, n.AmountStmt):
            self.check_amount(stmt, env)
        elif isinstance(stmt, n.CapStmt):
            self.expect(stmt.amount, env, MONEY, "a cap")
        elif isinstance(stmt, n.MinimumStmt):
            self.expect(stmt.amount, env, MONEY, "a minimum")

    # ------------------------------------------------------------ clauses

    def _check_AggregateCap(self, cap: n.AggregateCap, env: Env) -> None:
        self.expect(cap.amount, env, MONEY, "an aggregate cap")

    def _check_SlaDecl(self, sla: n.SlaDecl, env: Env) -> None:
        for stmt in sla.stmts:
            if isinstance(stmt, n.SlaStmt) and stmt.expr is not None:
                wanted = CONDITION if stmt.kind == "target" else DURATION
                self.expect(stmt.expr, env, wanted, f"the {stmt.kind.replace('_', ' ')}")
            else:
                self.check_limits(stmt, env)

    def _check_ObligationDecl(self, obligation: n.ObligationDecl, env: Env) -> None:
        scope = env
        recurrence = obligation.recurrence
        if recurrence is not None and recurrence.fact:
            scope = env.with_fact(recurrence.fact)
            if recurrence.where is not None:
                self.expect(recurrence.where, scope, CONDITION, "a 'for each' filter")
        for stmt in obligation.stmts:
            self.check_obligation_stmt(stmt, scope)

    def check_obligation_stmt(self, stmt: n.ObligationBody, env: Env) -> None:
        if isinstance(stmt, n.Duty):
            self.check_duty(stmt, env)
        elif isinstance(stmt, n.Deadline):
            self.check_deadline(stmt, env)
        elif isinstance(stmt, n.ObligationStmt):
            if stmt.kind == "survives" and stmt.expr is not None:
                self.expect(stmt.expr, env, DURATION, "a survival period")
            elif stmt.kind == "suspend" and stmt.expr is not None and stmt.name:
                self.expect(stmt.expr, env.with_fact(stmt.name), CONDITION, "a suspension filter")
        elif isinstance(stmt, n.Reparation):
            for step in stmt.steps:
                self.check_step(step, env)
        elif isinstance(stmt, n.EscalateBlock):
            self.check_levels(stmt.levels, env)

    def check_duty(self, duty: n.Duty, env: Env) -> None:
        if duty.evidence is not None and duty.evidence.where is not None:
            scope = env.with_fact(duty.evidence.fact)
            self.expect(duty.evidence.where, scope, CONDITION, "an evidence filter")
        if duty.deadline is not None:
            self.check_deadline(duty.deadline, env)

    def check_deadline(self, deadline: n.Deadline, env: Env) -> None:
        if deadline.kind == "by":
            self.expect(deadline.expr, env, WHEN, "a 'by' deadline")
            return
        self.expect(deadline.expr, env, DURATION, "a 'within' period")
        anchor = deadline.anchor
        if anchor is not None and anchor.kind == "field" and anchor.field:
            found = env.fields.get(anchor.field)
            if found is None:
                self.error(
                    "CC206",
                    f"no field '{anchor.field}' to count from",
                    anchor.span,
                    "count from start, end, window end, a clause event, or a datetime "
                    "field of the 'for each' fact",
                )
            elif found.kind not in WHEN:
                self.error("CC207", f"a deadline counts from a date, not {found}", anchor.span)

    def check_step(self, step: n.ReparationStep, env: Env) -> None:
        if isinstance(step, n.CureStep):
            self.expect(step.within, env, DURATION, "a cure period")
        elif isinstance(step, n.Power):
            self.check_power(step, env)
        elif isinstance(step, n.LatePower):
            self.expect(step.threshold, env, DURATION, "a lateness threshold")
            self.check_power(step.power, env)
        else:
            self.check_limits(step, env)

    def check_power(self, power: n.Power, env: Env) -> None:
        for period, what in (
            (power.within, "the period to exercise a power"),
            (power.notice, "a notice period"),
        ):
            if period is not None:
                self.expect(period, env, DURATION, what)

    def check_levels(self, levels: tuple[n.Level, ...], env: Env) -> None:
        for level in levels:
            self.expect(level.after, env, DURATION, "an escalation delay")
            for action in level.actions:
                if action.within is not None:
                    self.expect(action.within, env, DURATION, "the time to deliver")

    def _check_EscalationDecl(self, escalation: n.EscalationDecl, env: Env) -> None:
        self.check_levels(escalation.levels, env)

    def _check_TriggerDecl(self, trigger: n.TriggerDecl, env: Env) -> None:
        if trigger.condition.expr is not None:
            self.expect(trigger.condition.expr, env, CONDITION, "a trigger condition")
        for stmt in trigger.stmts:
            if isinstance(stmt, n.Power):
                self.check_power(stmt, env)
            elif isinstance(stmt, n.Duty):
                self.check_duty(stmt, env)

    def _check_IncentiveDecl(self, incentive: n.IncentiveDecl, env: Env) -> None:
        condition = incentive.condition
        if condition.expr is not None:
            wanted = WHEN if condition.kind == "event" else CONDITION
            self.expect(condition.expr, env, wanted, "an incentive condition")
        for stmt in incentive.stmts:
            self.check_limits(stmt, env)

    def _check_PlanDecl(self, plan: n.PlanDecl, env: Env) -> None:
        for stmt in plan.stmts:
            if isinstance(stmt, n.GoalStmt):
                self.expect(stmt.kpi, env, CONDITION, "a goal's KPI")
            elif isinstance(stmt, n.CheckpointStmt):
                self.check_duty(stmt.duty, env)

    def _check_CloseoutDecl(self, closeout: n.CloseoutDecl, env: Env) -> None:
        for stmt in closeout.stmts:
            if isinstance(stmt, n.Duty):
                self.check_duty(stmt, env)
            elif stmt.deadline is not None:
                self.check_deadline(stmt.deadline, env)
