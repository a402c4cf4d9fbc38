"""Pass 5, static checks on a well-typed contract.

Input: the expanded contract, its symbols and types. Output: CC3xx diagnostics: an incomplete
header (CC311) or empty effective period (CC312); tier, band and cap problems (`check_tiers`);
obligations with no deadline that are not ongoing (CC306); debtors, creditors and power holders
that are not roles or parties (CC307); statements given twice (CC314); SLAs with no target
(CC317); how metrics are read (CC322, CC323: `check_metric_use`); clauses too large for the
rete matcher (CC313); unused parameters (CC308) and fact schemas (CC316), as warnings.
Cycles are found by `build_graph`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from clausec import nodes as n
from clausec.check_metric_use import check_metric_use
from clausec.check_tiers import cap_allows_nothing, check_bands, check_caps, check_tier_table
from clausec.check_types import TypeTable
from clausec.const_eval import fold
from clausec.diagnostics import Diagnostic, did_you_mean
from clausec.resolve_names import Symbols
from clausec.rewrite import walk

REQUIRED_HEADER = ("id", "version", "effective", "timezone", "currency")
# durable-rules freezes past 512 conditions under one node; stay far below it.
RETE_MAX_CONDITIONS = 128


def check_semantics(
    contract: n.ContractDecl, symbols: Symbols, types: TypeTable, report_unused: bool = True
) -> list[Diagnostic]:
    out = list(_check_header(contract, symbols))
    # Each member's nodes, walked once for every check here that looks at all of them.
    walked: dict[int, list[Any]] = {}
    for member in contract.members:
        nodes = walked[id(member)] = list(walk(member))
        out.extend(_check_actors(nodes, symbols))
        out.extend(_check_size(member, nodes))
        out.extend(check_metric_use(member, nodes, symbols))
        out.extend(_named_twice(nodes))
        if isinstance(member, n.SlaDecl):
            out.extend(_check_sla(member, symbols))
        elif isinstance(member, n.ObligationDecl):
            out.extend(_check_obligation(member))
        elif isinstance(member, n.IncentiveDecl | n.AggregateCap):
            out.extend(_check_amounts(walk(member), None, symbols))
        elif isinstance(member, n.TriggerDecl | n.PlanDecl | n.CloseoutDecl):
            out.extend(_check_duties(member))
    out.extend(_check_aggregate_caps(contract, symbols))
    if report_unused:
        out.extend(_check_unused(contract, symbols, walked))
    return out


def _named_twice(nodes: list[Any]) -> Iterable[Diagnostic]:
    """A lookup table's key, an enum's value and an escalation level's name are given once:
    with two, one of them silently never counts (CC314)."""
    for node in nodes:
        if isinstance(node, n.Lookup):
            names, what = [key for key, _ in node.entries], "lookup table gives"
        elif isinstance(node, n.TypeRef) and node.enum:
            names, what = list(node.enum), "enum lists"
        elif isinstance(node, n.EscalationDecl | n.EscalateBlock):
            names, what = [level.name for level in node.levels], "escalation has a level"
        else:
            continue
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            yield Diagnostic(
                "CC314",
                f"the {what} {', '.join(repr(t) for t in twice)} twice",
                node.span,
                help="keep one, or give the other its own name",
            )


def _check_aggregate_caps(contract: n.ContractDecl, symbols: Symbols) -> Iterable[Diagnostic]:
    """An aggregate cap limits the total of some kinds of amount over a scope: it must allow
    something (CC304), name each kind once (CC314), and be the only one for a kind and scope
    (CC305), as a clause's own caps must."""
    seen: set[tuple[str, str]] = set()
    for cap in (m for m in contract.members if isinstance(m, n.AggregateCap)):
        yield from cap_allows_nothing(fold(cap.amount, symbols.params), cap.amount)
        twice = sorted({kind for kind in cap.kinds if cap.kinds.count(kind) > 1})
        if twice:
            yield Diagnostic("CC314", f"'{', '.join(twice)}' named twice", cap.span)
        for kind in dict.fromkeys(cap.kinds):
            if (kind, cap.scope) in seen:
                yield Diagnostic(
                    "CC305",
                    f"two aggregate caps on {kind} per {cap.scope.replace('_', ' ')}",
                    cap.span,
                    help="keep the one that applies and remove the other",
                )
            seen.add((kind, cap.scope))


def _check_header(contract: n.ContractDecl, symbols: Symbols) -> Iterable[Diagnostic]:
    missing = [key for key in REQUIRED_HEADER if key not in symbols.header]
    if missing:
        example = {
            "id": 'id "ACME-2026-01"',
            "version": "version 1",
            "effective": "effective 2026-01-01 until 2027-12-31",
            "timezone": 'timezone "Europe/Berlin"',
            "currency": "currency EUR",
        }
        yield Diagnostic(
            "CC311",
            f"the contract header has no {', '.join(missing)}",
            contract.span,
            help="add " + "; ".join(example[k] for k in missing),
        )
    effective = symbols.header.get("effective")
    if effective and len(effective.values) == 2:
        start, end = effective.values
        if isinstance(start, date) and isinstance(end, date) and end <= start:
            yield Diagnostic(
                "CC312",
                f"the contract ends ({end}) before it starts ({start})",
                effective.span,
                help="the 'until' date must be after the start",
            )


def _check_actors(nodes: list[Any], symbols: Symbols) -> Iterable[Diagnostic]:
    for node in nodes:
        names: list[str] = []
        if isinstance(node, n.Duty):
            names = [node.debtor]
        elif isinstance(node, n.Power):
            names = [node.holder]
        elif isinstance(node, n.ObligationStmt) and node.kind == "creditor" and node.name:
            names = [node.name]
        elif isinstance(node, n.LevelAction) and node.party:
            names = [node.party]
        for name in names:
            if name not in symbols.actors:
                yield Diagnostic(
                    "CC307",
                    f"'{name}' is not a role or party of this contract",
                    node.span,
                    help=did_you_mean(name, symbols.actors) or "declare it with party or role",
                )


def _check_size(member: n.Member, nodes: list[Any]) -> Iterable[Diagnostic]:
    conditions = sum(isinstance(node, n.Compare) for node in nodes)
    if conditions > RETE_MAX_CONDITIONS:
        yield Diagnostic(
            "CC313",
            f"{conditions} conditions in one clause; the limit is {RETE_MAX_CONDITIONS}",
            member.span,
            help="split the clause, or move the rows into a lookup table",
        )


def _check_sla(sla: n.SlaDecl, symbols: Symbols) -> Iterable[Diagnostic]:
    kinds = Counter(s.kind for s in sla.stmts if isinstance(s, n.SlaStmt))
    yield from _twice(sla.stmts, ("measure", "target", "claim", "earn_back"))
    target = next(
        (s.expr for s in sla.stmts if isinstance(s, n.SlaStmt) and s.kind == "target"), None
    )
    if kinds["target"] == 0:
        yield Diagnostic(
            "CC317",
            f"SLA '{sla.name}' has no target",
            sla.span,
            help="add a target, e.g. target availability >= 99.9%",
        )
    if kinds["earn_back"] and not any(isinstance(s, n.AmountStmt) for s in sla.stmts):
        yield Diagnostic("CC317", f"SLA '{sla.name}' earns back credits but has none", sla.span)
    yield from _check_amounts(sla.stmts, target, symbols)
    yield from _check_percent_ranges(sla, symbols)


def _check_percent_ranges(sla: n.SlaDecl, symbols: Symbols) -> Iterable[Diagnostic]:
    """A measured percentage lies in [0%, 100%]; a credit rate is never negative."""
    conditions: list[n.Expr] = [
        s.expr for s in sla.stmts if isinstance(s, n.SlaStmt) and s.kind == "target" and s.expr
    ]
    rates: list[n.Expr] = []
    for stmt in sla.stmts:
        if isinstance(stmt, n.AmountStmt) and stmt.tiers is not None:
            conditions += [r.condition for r in stmt.tiers.rows if r.condition is not None]
            rates += [r.value for r in stmt.tiers.rows]
    for condition in conditions:
        for node in walk(condition):
            value = fold(node, symbols.params) if isinstance(node, n.Literal | n.Name) else None
            if value and value[0] == "percent" and not 0 <= value[1] <= 100:
                yield Diagnostic(
                    "CC319",
                    f"{value[1]}% can never be measured",
                    node.span,
                    help="a measured percentage lies between 0% and 100%",
                )
    for rate in rates:
        value = fold(rate, symbols.params)
        if value and value[0] == "percent" and value[1] < 0:
            yield Diagnostic(
                "CC319",
                f"a credit rate of {value[1]}% is negative",
                rate.span,
                help="credit rates are 0% or more",
            )


def _check_amounts(
    stmts: Iterable[object], target: n.Expr | None, symbols: Symbols
) -> Iterable[Diagnostic]:
    stmts = list(stmts)
    for stmt in stmts:
        if isinstance(stmt, n.AmountStmt) and stmt.tiers is not None:
            yield from check_tier_table(stmt.tiers, target, symbols.params)
        if isinstance(stmt, n.AmountStmt) and stmt.bands is not None:
            yield from check_bands(stmt.bands, symbols.params)
    yield from check_caps(stmts, symbols.params)


def _check_obligation(obligation: n.ObligationDecl) -> Iterable[Diagnostic]:
    duties = [s for s in obligation.stmts if isinstance(s, n.Duty)]
    deadlines = [s for s in obligation.stmts if isinstance(s, n.Deadline)]
    deadlines += [d.deadline for d in duties[:1] if d.deadline is not None]
    ongoing = any(isinstance(s, n.ObligationStmt) and s.kind == "ongoing" for s in obligation.stmts)
    if not duties:
        yield Diagnostic(
            "CC306",
            f"obligation '{obligation.name}' says nobody must do anything",
            obligation.span,
            help="add a duty, e.g. supplier must deliver delivery",
        )
    if len(duties) > 1:
        yield Diagnostic(
            "CC314", "an obligation has one duty; split this one in two", duties[1].span
        )
    if len(deadlines) > 1:
        yield Diagnostic(
            "CC314",
            "this obligation has two deadlines",
            deadlines[1].span,
            help="keep one 'by' or 'within'",
        )
    if not deadlines and not ongoing:
        yield Diagnostic(
            "CC306",
            f"obligation '{obligation.name}' has no deadline and is not declared ongoing",
            obligation.span,
            help="add a deadline (by 2026-03-01, within 10 days) or 'ongoing'",
        )
    yield from _twice(obligation.stmts, ("creditor", "starts", "ongoing", "survives", "suspend"))
    reparations = [s for s in obligation.stmts if isinstance(s, n.Reparation)]
    for reparation in reparations:
        yield from check_caps(reparation.steps, {})


def _check_duties(member: n.TriggerDecl | n.PlanDecl | n.CloseoutDecl) -> Iterable[Diagnostic]:
    for node in walk(member):
        if isinstance(node, n.Duty) and node.deadline is None:
            yield Diagnostic(
                "CC306",
                f"'{node.debtor} {node.modality.replace('_', ' ')} {node.action}' has no deadline",
                node.span,
                help="add 'within 30 days' or 'by 2026-06-30'",
            )


def _twice(stmts: Iterable[object], kinds: tuple[str, ...]) -> Iterable[Diagnostic]:
    seen: set[str] = set()
    for stmt in stmts:
        kind = getattr(stmt, "kind", None)
        if isinstance(stmt, n.SlaStmt | n.ObligationStmt) and kind in kinds:
            if kind in seen:
                yield Diagnostic(
                    "CC314",
                    f"'{kind.replace('_', ' ')}' is given twice",
                    stmt.span,
                    help="keep one",
                )
            seen.add(kind)
    owners = [s for s in stmts if isinstance(s, n.OwnerStmt)]
    if len(owners) > 1:
        yield Diagnostic("CC314", "a clause has one owner; inform the others", owners[1].span)


def _check_unused(
    contract: n.ContractDecl, symbols: Symbols, walked: dict[int, list[Any]]
) -> Iterable[Diagnostic]:
    used_names: set[str] = set()
    used_facts: set[str] = set()
    for member in contract.members:
        if isinstance(member, n.ParamDecl | n.FactDecl):
            if isinstance(member, n.ParamDecl) and member.default is not None:
                used_names.update(x.name for x in walk(member.default) if isinstance(x, n.Name))
            continue
        for node in walked[id(member)]:
            if isinstance(node, n.Name):
                used_names.add(node.name)
            used_facts.update(_facts_named(node))
    for param in symbols.params.values():
        if param.name not in used_names:
            yield Diagnostic(
                "CC308",
                f"parameter '{param.name}' is never used",
                param.span,
                help="remove it, or refer to it in a clause",
            )
    for fact in symbols.facts.values():
        if fact.name not in used_facts and fact.name not in used_names:
            yield Diagnostic(
                "CC316",
                f"fact '{fact.name}' is declared but no clause reads it",
                fact.span,
                help="remove it, or use it in a metric or obligation",
            )


def _facts_named(node: object) -> Iterable[str]:
    for attr in ("fact",):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            yield value
    if isinstance(node, n.ObligationStmt) and node.kind == "suspend" and node.name:
        yield node.name
    if isinstance(node, n.Window) and node.fact:
        yield node.fact
    if isinstance(node, n.LevelAction) and node.deliverable:
        yield node.deliverable
