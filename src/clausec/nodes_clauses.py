"""AST nodes for the clauses: metrics and windows, amounts and caps, SLAs, obligations,
escalation, triggers, incentives, plans and close-out. `nodes` re-exports them."""

from __future__ import annotations

from dataclasses import dataclass

from clausec.diagnostics import Span
from clausec.nodes_expr import (
    EventRef,
    Expr,
    InformStmt,
    Notify,
    OwnerStmt,
    Power,
    QName,
)
from clausec.values import LiteralValue

# ---------------------------------------------------------------- template instances


@dataclass(frozen=True, slots=True)
class Binding:
    """One template parameter a clause uses and the value it is bound to: the `use` argument
    (or the template's default), and the contract parameter the argument names, if any (its
    value is looked up when lowering, after any amendment has set it)."""

    param: str
    value: Span
    contract_param: str | None
    default: bool


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a clause expanded from a template came from: the `use` and its bindings."""

    template: str
    alias: str
    ref: str | None
    span: Span
    bindings: tuple[Binding, ...]


# ---------------------------------------------------------------- metrics and windows


@dataclass(frozen=True, slots=True)
class Window:
    kind: str  # calendar | contract_year | billing | rolling | instance
    period: str | None = None  # month | quarter | year | week | day (calendar)
    duration: LiteralValue = None  # rolling
    fact: str | None = None  # instance
    start_day: int | None = None  # billing cycle


@dataclass(frozen=True, slots=True)
class MetricOption:
    kind: str  # exclude | missing | grace | volume
    fact: str | None
    expr: Expr | None
    policy: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class MetricDecl:
    name: str
    ref: str | None
    window: Window
    expr: Expr
    options: tuple[MetricOption, ...]
    span: Span


# ---------------------------------------------------------------- amounts, tiers, caps


@dataclass(frozen=True, slots=True)
class Rate:
    unit: str  # hour | day | business_day | week | month | year
    late: bool
    part_policy: str  # completed | or_part_thereof | pro_rata
    span: Span


@dataclass(frozen=True, slots=True)
class TierRow:
    condition: Expr | None  # None is `otherwise`
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class TierTable:
    policy: str  # first_match | unique | collect_sum
    rows: tuple[TierRow, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class BandRow:
    lower: Expr
    upper: Expr | None
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class BandTable:
    kind: str  # marginal | whole
    rows: tuple[BandRow, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class AmountStmt:
    kind: str  # credit | penalty | bonus | interest | rebate | damages
    expr: Expr | None  # simple amount, or the base of a table
    rate: Rate | None
    tiers: TierTable | None
    bands: BandTable | None
    span: Span


@dataclass(frozen=True, slots=True)
class CapStmt:
    amount: Expr
    scope: str  # window | instance | month | quarter | year | contract_year | contract
    span: Span


@dataclass(frozen=True, slots=True)
class MinimumStmt:
    amount: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class RoundStmt:
    mode: str
    quantum: LiteralValue
    span: Span


@dataclass(frozen=True, slots=True)
class AggregateCap:
    kinds: tuple[str, ...]
    amount: Expr
    scope: str
    span: Span


# ---------------------------------------------------------------- SLAs


@dataclass(frozen=True, slots=True)
class SlaStmt:
    """measure | target | claim | earn_back: the simple one-value statements of an SLA."""

    kind: str
    expr: Expr | None
    metric: QName | None
    count: int | None
    span: Span


SlaBodyStmt = SlaStmt | AmountStmt | CapStmt | MinimumStmt | RoundStmt | OwnerStmt | InformStmt


@dataclass(frozen=True, slots=True)
class SlaDecl:
    name: str
    ref: str | None
    stmts: tuple[SlaBodyStmt, ...]
    span: Span
    origin: Origin | None = None  # set when expanded from a template


# ---------------------------------------------------------------- obligations


@dataclass(frozen=True, slots=True)
class Evidence:
    fact: str
    where: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class Anchor:
    kind: str  # start | end | window_end | event | field
    event: EventRef | None
    field: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: str  # by | within
    expr: Expr
    anchor: Anchor | None
    span: Span


@dataclass(frozen=True, slots=True)
class Duty:
    debtor: str
    modality: str  # must | must_not
    action: str
    evidence: Evidence | None
    deadline: Deadline | None
    span: Span


@dataclass(frozen=True, slots=True)
class Recurrence:
    kind: str  # for_each | every
    fact: str | None
    where: Expr | None
    period: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class ObligationStmt:
    """creditor | starts | ongoing | survives | suspend: the simple statements of an obligation."""

    kind: str
    name: str | None
    expr: Expr | None
    event: EventRef | None
    mode: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class CureStep:
    within: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class LatePower:
    threshold: Expr
    power: Power
    span: Span


ReparationStep = (
    AmountStmt | CapStmt | MinimumStmt | RoundStmt | CureStep | Power | Notify | LatePower
)


@dataclass(frozen=True, slots=True)
class Reparation:
    steps: tuple[ReparationStep, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class LevelAction:
    kind: str  # notify | assign | require
    roles: tuple[str, ...]
    deliverable: str | None
    party: str | None
    within: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    after: Expr
    actions: tuple[LevelAction, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class EscalateBlock:
    levels: tuple[Level, ...]
    span: Span


ObligationBody = (
    Duty | Deadline | ObligationStmt | Reparation | EscalateBlock | OwnerStmt | InformStmt
)


@dataclass(frozen=True, slots=True)
class ObligationDecl:
    name: str
    ref: str | None
    recurrence: Recurrence | None
    stmts: tuple[ObligationBody, ...]
    span: Span
    origin: Origin | None = None  # set when expanded from a template


# ---------------------------------------------------------------- escalation, triggers, incentives


@dataclass(frozen=True, slots=True)
class EscalationDecl:
    name: str
    ref: str | None
    on: EventRef
    levels: tuple[Level, ...]
    span: Span
    origin: Origin | None = None  # set when expanded from a template


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str  # count | n_of_m | expr | event | metric
    event: EventRef | None
    expr: Expr | None
    count: int | None
    of: int | None
    within: LiteralValue
    metric: QName | None
    span: Span


TriggerStmt = Notify | Power | Duty | OwnerStmt


@dataclass(frozen=True, slots=True)
class TriggerDecl:
    name: str
    ref: str | None
    condition: Condition
    stmts: tuple[TriggerStmt, ...]
    span: Span
    origin: Origin | None = None  # set when expanded from a template


IncentiveStmt = AmountStmt | CapStmt | RoundStmt | OwnerStmt


@dataclass(frozen=True, slots=True)
class IncentiveDecl:
    name: str
    ref: str | None
    condition: Condition
    stmts: tuple[IncentiveStmt, ...]
    span: Span
    origin: Origin | None = None  # set when expanded from a template


# ---------------------------------------------------------------- plans and close-out


@dataclass(frozen=True, slots=True)
class GoalStmt:
    text: str
    kpi: Expr
    owner: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class CheckpointStmt:
    period: str
    duty: Duty
    span: Span


@dataclass(frozen=True, slots=True)
class OutcomeStmt:
    fact: str
    span: Span


PlanStmt = GoalStmt | CheckpointStmt | OutcomeStmt | OwnerStmt | InformStmt


@dataclass(frozen=True, slots=True)
class PlanDecl:
    name: str
    ref: str | None
    stmts: tuple[PlanStmt, ...]
    span: Span
    origin: Origin | None = None  # set when expanded from a template


@dataclass(frozen=True, slots=True)
class CloseoutStmt:
    kind: str  # reconcile | lessons
    role: str | None
    deadline: Deadline | None
    span: Span


@dataclass(frozen=True, slots=True)
class CloseoutDecl:
    ref: str | None
    stmts: tuple[Duty | CloseoutStmt, ...]
    span: Span
