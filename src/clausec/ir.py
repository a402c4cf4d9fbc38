"""The IR: a versioned, JSON-serialisable bundle, the only thing the runtime reads.

Pydantic models at this boundary: `Bundle.model_validate_json` checks a bundle file on load.
Expressions are compact JSON trees (lists headed by an operator, see `lower_expr`), with every
name already resolved to a parameter, metric, field or enum value. Money and percentages are
strings of Decimal digits, never floats; a percentage is stored as a fraction ("0.999").
The content hash covers the canonical JSON of everything but the hash itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clausec.share_ir import never_shared, share_parts

IR_VERSION = 1

Expr = Any  # a JSON tree: ["lit", "money", "12000", "EUR"], ["param", "fee"], ["+", a, b], ...


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpanIR(Model):
    path: str
    line: int
    col: int
    end_line: int
    end_col: int


class TypeIR(Model):
    kind: str
    currency: str | None = None
    values: list[str] = []
    optional: bool = False


class Header(Model):
    id: str
    version: int
    title: str
    effective_from: str
    effective_until: str
    timezone: str
    currency: str
    calendar: str | None = None
    rounding_mode: str = "half_up"
    rounding_quantum: str = "0.01"
    conversions: dict[str, str] = {}
    summary: str | None = None


class Party(Model):
    name: str
    legal_name: str


class Role(Model):
    name: str
    party: str
    contact: str | None
    raci: str


class Param(Model):
    name: str
    type: TypeIR
    value: Expr | None


class FactSchema(Model):
    name: str
    key: str | None
    fields: dict[str, TypeIR]


class Window(Model):
    kind: str
    period: str | None = None
    duration: Expr | None = None
    fact: str | None = None
    start_day: int | None = None


class Filter(Model):
    fact: str
    where: Expr | None = None


class Metric(Model):
    id: str
    ref: str | None
    span: SpanIR
    window: Window
    expr: Expr
    type: TypeIR
    exclusions: list[Filter] = []
    missing: str = "undetermined"
    grace: Expr | None = None
    min_volume: Expr | None = None


class Rate(Model):
    unit: str
    late: bool
    part_policy: str


class TierRow(Model):
    when: Expr | None
    value: Expr


class BandRow(Model):
    lower: Expr
    upper: Expr | None
    value: Expr


class Amount(Model):
    kind: str
    expr: Expr | None = None
    rate: Rate | None = None
    base: Expr | None = None
    hit_policy: str | None = None
    tiers: list[TierRow] = []
    band_kind: str | None = None
    bands: list[BandRow] = []
    span: SpanIR


class Limit(Model):
    """A cap, a minimum or a rounding override, in the order the clause declares them."""

    kind: str  # cap | minimum | round
    amount: Expr | None = None
    scope: str | None = None
    mode: str | None = None
    quantum: str | None = None


class Step(Model):
    """One step of a reparation chain or one escalation action."""

    kind: str  # amount | limit | cure | power | notify | late_power | assign | require
    amount: Amount | None = None
    limit: Limit | None = None
    within: Expr | None = None
    notice: Expr | None = None
    holder: str | None = None
    action: str | None = None
    roles: list[str] = []
    threshold: Expr | None = None
    party: str | None = None
    deliverable: str | None = None


class EventRef(Model):
    clause: str
    event: str


class Anchor(Model):
    kind: str  # start | end | window_end | event | field
    event: EventRef | None = None
    field: str | None = None


class Deadline(Model):
    kind: str  # by | within
    expr: Expr
    anchor: Anchor | None = None


class Duty(Model):
    debtor: str
    modality: str
    action: str
    evidence: Filter | None = None
    deadline: Deadline | None = None


class Level(Model):
    name: str
    after: Expr
    actions: list[Step]


class Clause(Model):
    """Common to every clause: identity, legal reference, source location, RACI."""

    id: str
    kind: str
    ref: str | None
    span: SpanIR
    text: str
    owner: str | None = None
    inform: list[str] = []


class Sla(Clause):
    metric: str | None = None
    target: Expr | None = None
    amounts: list[Amount] = []
    limits: list[Limit] = []
    claim_within: Expr | None = None
    earn_back_after: int | None = None


class Obligation(Clause):
    duty: Duty
    creditor: str | None = None
    recurrence: dict[str, Any] | None = None
    starts_when: EventRef | None = None
    ongoing: bool = False
    survives: bool = False
    survives_for: Expr | None = None
    suspensions: list[dict[str, Any]] = []
    reparation: list[Step] = []
    escalation: list[Level] = []


class Escalation(Clause):
    on: EventRef
    levels: list[Level]


class Condition(Model):
    kind: str  # count | n_of_m | expr | event | metric
    event: EventRef | None = None
    expr: Expr | None = None
    count: int | None = None
    of: int | None = None
    within: Expr | None = None
    metric: str | None = None


class Trigger(Clause):
    condition: Condition
    notify: list[str] = []
    powers: list[Step] = []
    duties: list[Duty] = []


class Incentive(Clause):
    condition: Condition
    amounts: list[Amount] = []
    limits: list[Limit] = []


class Goal(Model):
    text: str
    kpi: Expr
    owner: str | None


class Plan(Clause):
    goals: list[Goal] = []
    checkpoints: list[dict[str, Any]] = []
    outcome: str | None = None


class Closeout(Model):
    ref: str | None
    duties: list[Duty] = []
    reconcile: bool = False
    lessons: Deadline | None = None
    lessons_owner: str | None = None


class AggregateCap(Model):
    kinds: list[str]
    amount: Expr
    scope: str


class Migration(Model):
    """`migrate OLD to NEW "reason"` (`to` is None for `discharge OLD "reason"`): what an
    amendment does with the live instances of an obligation at its effective date."""

    obligation: str
    to: str | None
    reason: str


class Amendment(Model):
    """The amendment a bundle was made by: the bundle is the amended contract, in force from
    `effective` (a date, in the contract's zone) on top of version `amends_version`."""

    title: str
    amends_version: int
    effective: str
    summary: str | None = None
    migrations: list[Migration] = []


# A header names its contract, and a clause's text or span names the file it was written in
# (a template's clause, the place it is used): no two contracts share one.
never_shared(Header, Clause)


class Bundle(Model):
    ir_version: int = IR_VERSION
    header: Header
    parties: list[Party]
    roles: list[Role]
    params: list[Param]
    facts: list[FactSchema]
    metrics: list[Metric]
    slas: list[Sla] = []
    obligations: list[Obligation] = []
    escalations: list[Escalation] = []
    triggers: list[Trigger] = []
    incentives: list[Incentive] = []
    plans: list[Plan] = []
    aggregate_caps: list[AggregateCap] = []
    closeout: Closeout | None = None
    order: list[str] = Field(description="evaluation order: a topological sort of the graph")
    amendment: Amendment | None = None
    hash: str = ""

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        extra: Any = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Bundle:
        """A bundle loaded from its JSON, sharing the parts it has in common with bundles
        already loaded (`share_ir`): how a service holds a portfolio of contracts."""
        bundle = super().model_validate_json(
            json_data,
            strict=strict,
            extra=extra,
            context=context,
            by_alias=by_alias,
            by_name=by_name,
        )
        return share_parts(bundle)

    def clauses(self) -> list[Clause]:
        """Every clause, by kind in the order SLAs, obligations, escalations, triggers,
        incentives, plans (the metrics and the close-out block are not clauses)."""
        groups: tuple[list[Any], ...] = (
            self.slas,
            self.obligations,
            self.escalations,
            self.triggers,
            self.incentives,
            self.plans,
        )
        return [clause for group in groups for clause in group]

    def _data(self, exclude: set[str]) -> dict[str, Any]:
        if self.amendment is None:  # a contract's own bundle: no amendment key at all
            exclude = exclude | {"amendment"}
        return self.model_dump(mode="json", exclude=exclude)

    def canonical_json(self) -> str:
        """Sorted keys, no whitespace: the form the hash is taken over and files are written in."""
        data = self._data({"hash"})
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def with_hash(self) -> Bundle:
        digest = hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()
        return self.model_copy(update={"hash": f"sha256:{digest}"})

    def to_json(self) -> str:
        data = self._data(set())
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
