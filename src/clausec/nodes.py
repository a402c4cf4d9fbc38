"""The AST: frozen, slotted dataclasses with spans, built from the Lark tree by `build_ast`.

Class names mirror the grammar rules (`sla_decl` is `SlaDecl`). Nothing after `build_ast` sees a
Lark tree. Nodes are plain data: passes read them and build new structures, never mutate them.
"""

from __future__ import annotations

from dataclasses import dataclass

from clausec.diagnostics import Span
from clausec.nodes_clauses import (  # re-exported
    AggregateCap as AggregateCap,
)
from clausec.nodes_clauses import (
    AmountStmt as AmountStmt,
)
from clausec.nodes_clauses import (
    Anchor as Anchor,
)
from clausec.nodes_clauses import (
    BandRow as BandRow,
)
from clausec.nodes_clauses import (
    BandTable as BandTable,
)
from clausec.nodes_clauses import (
    Binding as Binding,
)
from clausec.nodes_clauses import (
    CapStmt as CapStmt,
)
from clausec.nodes_clauses import (
    CheckpointStmt as CheckpointStmt,
)
from clausec.nodes_clauses import (
    CloseoutDecl as CloseoutDecl,
)
from clausec.nodes_clauses import (
    CloseoutStmt as CloseoutStmt,
)
from clausec.nodes_clauses import (
    Condition as Condition,
)
from clausec.nodes_clauses import (
    CureStep as CureStep,
)
from clausec.nodes_clauses import (
    Deadline as Deadline,
)
from clausec.nodes_clauses import (
    Duty as Duty,
)
from clausec.nodes_clauses import (
    EscalateBlock as EscalateBlock,
)
from clausec.nodes_clauses import (
    EscalationDecl as EscalationDecl,
)
from clausec.nodes_clauses import (
    Evidence as Evidence,
)
from clausec.nodes_clauses import (
    GoalStmt as GoalStmt,
)
from clausec.nodes_clauses import (
    IncentiveDecl as IncentiveDecl,
)
from clausec.nodes_clauses import (
    IncentiveStmt as IncentiveStmt,
)
from clausec.nodes_clauses import (
    LatePower as LatePower,
)
from clausec.nodes_clauses import (
    Level as Level,
)
from clausec.nodes_clauses import (
    LevelAction as LevelAction,
)
from clausec.nodes_clauses import (
    MetricDecl as MetricDecl,
)
from clausec.nodes_clauses import (
    MetricOption as MetricOption,
)
from clausec.nodes_clauses import (
    MinimumStmt as MinimumStmt,
)
from clausec.nodes_clauses import (
    ObligationBody as ObligationBody,
)
from clausec.nodes_clauses import (
    ObligationDecl as ObligationDecl,
)
from clausec.nodes_clauses import (
    ObligationStmt as ObligationStmt,
)
from clausec.nodes_clauses import (
    Origin as Origin,
)
from clausec.nodes_clauses import (
    OutcomeStmt as OutcomeStmt,
)
from clausec.nodes_clauses import (
    PlanDecl as PlanDecl,
)
from clausec.nodes_clauses import (
    PlanStmt as PlanStmt,
)
from clausec.nodes_clauses import (
    Rate as Rate,
)
from clausec.nodes_clauses import (
    Recurrence as Recurrence,
)
from clausec.nodes_clauses import (
    Reparation as Reparation,
)
from clausec.nodes_clauses import (
    ReparationStep as ReparationStep,
)
from clausec.nodes_clauses import (
    RoundStmt as RoundStmt,
)
from clausec.nodes_clauses import (
    SlaBodyStmt as SlaBodyStmt,
)
from clausec.nodes_clauses import (
    SlaDecl as SlaDecl,
)
from clausec.nodes_clauses import (
    SlaStmt as SlaStmt,
)
from clausec.nodes_clauses import (
    TierRow as TierRow,
)
from clausec.nodes_clauses import (
    TierTable as TierTable,
)
from clausec.nodes_clauses import (
    TriggerDecl as TriggerDecl,
)
from clausec.nodes_clauses import (
    TriggerStmt as TriggerStmt,
)
from clausec.nodes_clauses import (
    Window as Window,
)
from clausec.nodes_expr import (  # re-exported: passes import `nodes` only
    Arg as Arg,
)
from clausec.nodes_expr import (
    Attr as Attr,
)
from clausec.nodes_expr import (
    Binary as Binary,
)
from clausec.nodes_expr import (
    Call as Call,
)
from clausec.nodes_expr import (
    Compare as Compare,
)
from clausec.nodes_expr import (
    EventRef as EventRef,
)
from clausec.nodes_expr import (
    Expr as Expr,
)
from clausec.nodes_expr import (
    Index as Index,
)
from clausec.nodes_expr import (
    InformStmt as InformStmt,
)
from clausec.nodes_expr import (
    Literal as Literal,
)
from clausec.nodes_expr import (
    Lookup as Lookup,
)
from clausec.nodes_expr import (
    Name as Name,
)
from clausec.nodes_expr import (
    Notify as Notify,
)
from clausec.nodes_expr import (
    OwnerStmt as OwnerStmt,
)
from clausec.nodes_expr import (
    Power as Power,
)
from clausec.nodes_expr import (
    QName as QName,
)
from clausec.nodes_expr import (
    TypeRef as TypeRef,
)
from clausec.nodes_expr import (
    Unary as Unary,
)
from clausec.nodes_expr import (
    dotted_name as dotted_name,
)
from clausec.values import LiteralValue

# ---------------------------------------------------------------- header, parties, params, facts


@dataclass(frozen=True, slots=True)
class HeaderStmt:
    key: str  # id | version | effective | timezone | currency | calendar | rounding
    values: tuple[LiteralValue, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class SummaryStmt:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class PartyDecl:
    name: str
    legal_name: str
    span: Span


@dataclass(frozen=True, slots=True)
class RoleDecl:
    name: str
    party: str
    contact: str | None
    raci: str
    span: Span
    party_span: Span


@dataclass(frozen=True, slots=True)
class ParamDecl:
    name: str
    type: TypeRef
    default: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class FieldDecl:
    name: str
    type: TypeRef
    span: Span


@dataclass(frozen=True, slots=True)
class FactDecl:
    name: str
    key: str | None
    fields: tuple[FieldDecl, ...]
    span: Span


# ---------------------------------------------------------------- reuse and amendments


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class UseDecl:
    template: QName
    alias: str
    ref: str | None
    args: tuple[Argument, ...]
    span: Span


Member = (
    HeaderStmt
    | SummaryStmt
    | PartyDecl
    | RoleDecl
    | ParamDecl
    | FactDecl
    | MetricDecl
    | SlaDecl
    | ObligationDecl
    | EscalationDecl
    | TriggerDecl
    | IncentiveDecl
    | PlanDecl
    | CloseoutDecl
    | UseDecl
    | AggregateCap
)


@dataclass(frozen=True, slots=True)
class ContractDecl:
    title: str
    members: tuple[Member, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class TemplateDecl:
    name: str
    ref: str | None
    members: tuple[Member, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class AmendmentStmt:
    """One line of an amendment: amends, version, effective, set, add, replace, remove,
    migrate, discharge or summary."""

    kind: str
    name: str | None
    target: str | None
    expr: Expr | None
    member: Member | None
    values: tuple[LiteralValue, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class AmendmentDecl:
    title: str
    stmts: tuple[AmendmentStmt, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ImportDecl:
    path: str
    alias: str | None
    span: Span


Item = ImportDecl | ContractDecl | TemplateDecl | AmendmentDecl


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    items: tuple[Item, ...]
    span: Span


Clause = SlaDecl | ObligationDecl | EscalationDecl | TriggerDecl | IncentiveDecl | PlanDecl

# Clauses with a name that can be referred to, and (with metrics) renamed by a template.
CLAUSE_TYPES = (SlaDecl, ObligationDecl, EscalationDecl, TriggerDecl, IncentiveDecl, PlanDecl)
NAMED_TYPES = (MetricDecl, *CLAUSE_TYPES)
