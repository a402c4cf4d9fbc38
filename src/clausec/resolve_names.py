"""Pass 3b, resolve names: build the symbol tables of an expanded contract and check every
declaration-level reference.

Input: a `ContractDecl` after `expand_templates`. Output: `Symbols` and diagnostics for duplicate
declarations (CC202), roles bound to unknown parties (CC203), unknown clauses (CC204) and facts
(CC205), events that a clause cannot emit (CC216), and owners or notified roles that do not exist
(CC201). Debtors, creditors and power holders are left to `check_semantics` (CC307). Names inside
expressions depend on which fact fields are in scope and are checked by `check_types`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from clausec import nodes as n
from clausec.diagnostics import Diagnostic, Span, did_you_mean
from clausec.rewrite import walk

# The events each kind of clause emits, for `<clause> <event>` references.
CLAUSE_EVENTS: dict[type, tuple[str, ...]] = {
    n.SlaDecl: ("breached", "met", "assessed"),
    n.ObligationDecl: ("fulfilled", "violated", "suspended"),
    n.TriggerDecl: ("fired", "granted", "expired"),
    n.IncentiveDecl: ("fired",),
    n.EscalationDecl: ("fired",),
    n.PlanDecl: ("fulfilled", "violated"),
    n.MetricDecl: ("assessed",),
}

CLAUSE_TYPES = n.CLAUSE_TYPES


@dataclass
class Symbols:
    """The declarations of one contract, by name."""

    header: dict[str, n.HeaderStmt] = field(default_factory=dict)
    parties: dict[str, n.PartyDecl] = field(default_factory=dict)
    roles: dict[str, n.RoleDecl] = field(default_factory=dict)
    params: dict[str, n.ParamDecl] = field(default_factory=dict)
    facts: dict[str, n.FactDecl] = field(default_factory=dict)
    metrics: dict[str, n.MetricDecl] = field(default_factory=dict)
    clauses: dict[str, n.Clause] = field(default_factory=dict)
    aggregate_caps: list[n.AggregateCap] = field(default_factory=list)
    closeout: n.CloseoutDecl | None = None
    summary: str | None = None

    @property
    def actors(self) -> set[str]:
        return set(self.parties) | set(self.roles)

    def clause_or_metric(self, name: str) -> n.Clause | n.MetricDecl | None:
        return self.clauses.get(name) or self.metrics.get(name)


def declare(contract: n.ContractDecl) -> tuple[Symbols, list[Diagnostic]]:
    """Fill the symbol tables; report names declared twice."""
    symbols = Symbols()
    diagnostics: list[Diagnostic] = []
    seen_values: dict[str, Span] = {}
    seen_actors: dict[str, Span] = {}
    for member in contract.members:
        table, seen = _table_for(symbols, member, seen_values, seen_actors)
        if isinstance(member, n.HeaderStmt):
            key = member.key
            if key == "convert":
                key = f"convert {member.values[0]}"
            _declare_once(key, member, symbols.header, diagnostics, "header line")
        elif isinstance(member, n.SummaryStmt):
            symbols.summary = member.text
        elif isinstance(member, n.AggregateCap):
            symbols.aggregate_caps.append(member)
        elif isinstance(member, n.CloseoutDecl):
            if symbols.closeout is not None:
                diagnostics.append(_duplicate("closeout", member.span, symbols.closeout.span))
            symbols.closeout = member
        elif table is not None and seen is not None:
            name = member.name  # type: ignore[union-attr]
            if name in seen:
                diagnostics.append(_duplicate(name, member.span, seen[name]))
                continue
            seen[name] = member.span
            table[name] = member
    return symbols, diagnostics


def _table_for(
    symbols: Symbols, member: n.Member, values: dict[str, Span], actors: dict[str, Span]
) -> tuple[dict[str, object] | None, dict[str, Span] | None]:
    if isinstance(member, n.PartyDecl):
        return symbols.parties, actors  # type: ignore[return-value]
    if isinstance(member, n.RoleDecl):
        return symbols.roles, actors  # type: ignore[return-value]
    if isinstance(member, n.FactDecl):
        return symbols.facts, {k: v.span for k, v in symbols.facts.items()}  # type: ignore[return-value]
    if isinstance(member, n.ParamDecl):
        return symbols.params, values  # type: ignore[return-value]
    if isinstance(member, n.MetricDecl):
        return symbols.metrics, values  # type: ignore[return-value]
    if isinstance(member, CLAUSE_TYPES):
        return symbols.clauses, values  # type: ignore[return-value]
    return None, None


def _declare_once(
    key: str, member: n.HeaderStmt, table: dict[str, n.HeaderStmt], out: list[Diagnostic], what: str
) -> None:
    if key in table:
        out.append(_duplicate(f"{what} '{key}'", member.span, table[key].span))
    else:
        table[key] = member


def _duplicate(name: str, span: Span, first: Span) -> Diagnostic:
    return Diagnostic(
        "CC202",
        f"'{name}' is declared twice" if "'" not in name else f"{name} is declared twice",
        span,
        help="rename one of them or remove the repeat",
        notes=(f"first declared at {first}",),
    )


def resolve_names(contract: n.ContractDecl) -> tuple[Symbols, list[Diagnostic]]:
    """Pass entry point: declare, then check the declaration-level references."""
    symbols, diagnostics = declare(contract)
    for role in symbols.roles.values():
        if role.party not in symbols.parties:
            diagnostics.append(
                Diagnostic(
                    "CC203",
                    f"role '{role.name}' is bound to unknown party '{role.party}'",
                    role.party_span,
                    help=did_you_mean(role.party, symbols.parties)
                    or 'declare the party first, e.g. party supplier "Example Ltd"',
                )
            )
    for member in contract.members:
        diagnostics.extend(_check_references(member, symbols))
    return symbols, diagnostics


def _check_references(member: n.Member, symbols: Symbols) -> Iterable[Diagnostic]:
    for node in walk(member):
        if isinstance(node, n.EventRef):
            yield from _check_event(node, symbols)
        elif (isinstance(node, n.SlaStmt) and node.metric is not None) or (
            isinstance(node, n.Condition) and node.metric is not None
        ):
            if node.metric.dotted not in symbols.metrics:
                yield _unknown(
                    "CC204", "metric", node.metric.dotted, node.metric.span, symbols.metrics
                )
        else:
            yield from _check_fact_uses(node, symbols)
            yield from _check_roles(node, symbols)


def _check_event(ref: n.EventRef, symbols: Symbols) -> Iterable[Diagnostic]:
    target = symbols.clause_or_metric(ref.clause.dotted)
    if target is None:
        names = list(symbols.clauses) + list(symbols.metrics)
        yield _unknown("CC204", "clause", ref.clause.dotted, ref.clause.span, names)
        return
    events = CLAUSE_EVENTS[type(target)]
    if ref.event not in events:
        kind = type(target).__name__.removesuffix("Decl").lower()
        yield Diagnostic(
            "CC216",
            f"{kind} '{ref.clause.dotted}' never becomes '{ref.event}'",
            ref.span,
            help=f"a {kind} can be: {', '.join(events)}",
        )


def _fact_names(node: object) -> Iterable[tuple[str, Span]]:
    if isinstance(node, n.Evidence | n.OutcomeStmt):
        yield node.fact, node.span
    elif isinstance(node, n.Recurrence | n.MetricOption) and node.fact:
        yield node.fact, node.span
    elif isinstance(node, n.ObligationStmt) and node.kind == "suspend" and node.name:
        yield node.name, node.span
    elif isinstance(node, n.LevelAction) and node.deliverable:
        yield node.deliverable, node.span
    elif isinstance(node, n.MetricDecl) and node.window.fact:
        yield node.window.fact, node.span


def _check_fact_uses(node: object, symbols: Symbols) -> Iterable[Diagnostic]:
    for name, span in _fact_names(node):
        if name not in symbols.facts:
            yield _unknown(
                "CC205",
                "fact type",
                name,
                span,
                symbols.facts,
                default_help=f"declare it: fact {name} {{ at: datetime }}",
            )


def _check_roles(node: object, symbols: Symbols) -> Iterable[Diagnostic]:
    roles: tuple[str, ...] = ()
    if isinstance(node, n.OwnerStmt):
        roles = (node.role,)
    elif isinstance(node, (n.InformStmt | n.Notify, n.LevelAction)):
        roles = node.roles
    elif isinstance(node, n.CloseoutStmt) and node.role:
        roles = (node.role,)
    elif isinstance(node, n.GoalStmt) and node.owner:
        roles = (node.owner,)
    for role in roles:
        if role not in symbols.actors:
            yield _unknown("CC201", "role", role, node.span, symbols.actors)  # type: ignore[attr-defined]


def _unknown(
    code: str,
    kind: str,
    name: str,
    span: Span,
    known: Iterable[str],
    default_help: str | None = None,
) -> Diagnostic:
    return Diagnostic(
        code, f"unknown {kind} '{name}'", span, help=did_you_mean(name, known) or default_help
    )
