"""Applying an amendment to the contract it amends: the next version as a contract AST.

Input: the base contract (after template expansion) and an `AmendmentDecl`. Output: the amended
`ContractDecl` and CC218/CC202/CC318 diagnostics for lines that name what the base does not
have. The result goes through the same passes as any contract, so a replaced clause is checked
as thoroughly as the original. `migrate` and `discharge` lines change no clause; they tell the
runtime what to do with live obligations and are checked here for the names they use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from clausec import ir
from clausec import nodes as n
from clausec.diagnostics import Diagnostic, did_you_mean

_KIND_OF: dict[type, str] = {
    n.SlaDecl: "sla",
    n.ObligationDecl: "obligation",
    n.MetricDecl: "metric",
    n.TriggerDecl: "trigger",
    n.IncentiveDecl: "incentive",
    n.EscalationDecl: "escalation",
    n.PlanDecl: "plan",
    n.ParamDecl: "param",
    n.FactDecl: "fact",
}


def member_key(member: n.Member) -> tuple[str, str] | None:
    kind = _KIND_OF.get(type(member))
    return (kind, member.name) if kind else None  # type: ignore[union-attr]


@dataclass
class _Amended:
    members: list[n.Member]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def index(self, kind: str, name: str) -> int | None:
        return next((i for i, m in enumerate(self.members) if member_key(m) == (kind, name)), None)

    def names(self, kind: str) -> list[str]:
        return [key[1] for m in self.members if (key := member_key(m)) and key[0] == kind]

    def unknown(self, kind: str, name: str, stmt: n.AmendmentStmt) -> None:
        self.diagnostics.append(
            Diagnostic(
                "CC218",
                f"the amended contract has no {kind} '{name}'",
                stmt.span,
                help=did_you_mean(name, self.names(kind)) or f"use 'add {kind} ...' for a new one",
            )
        )


def amended_version(amendment: n.AmendmentDecl) -> int | None:
    stmt = next((s for s in amendment.stmts if s.kind == "version"), None)
    value = stmt.values[0] if stmt and stmt.values else None
    return value if isinstance(value, int) else None


def apply_amendment(
    contract: n.ContractDecl, amendment: n.AmendmentDecl
) -> tuple[n.ContractDecl, list[Diagnostic]]:
    state = _Amended(list(contract.members))
    for stmt in amendment.stmts:
        _apply(state, stmt)
    version = amended_version(amendment)
    if version is not None:
        state.members = [
            dataclasses.replace(m, values=(version,))
            if isinstance(m, n.HeaderStmt) and m.key == "version"
            else m
            for m in state.members
        ]
    return dataclasses.replace(contract, members=tuple(state.members)), state.diagnostics


def _apply(state: _Amended, stmt: n.AmendmentStmt) -> None:
    if stmt.kind == "set" and stmt.name and stmt.expr is not None:
        at = state.index("param", stmt.name)
        if at is None:
            state.unknown("param", stmt.name, stmt)
            return
        param = state.members[at]
        assert isinstance(param, n.ParamDecl)
        state.members[at] = dataclasses.replace(param, default=stmt.expr)
    elif stmt.kind in ("add", "replace") and stmt.member is not None:
        _add_or_replace(state, stmt, stmt.member)
    elif stmt.kind == "remove" and stmt.name and stmt.target:
        at = state.index(stmt.target, stmt.name)
        if at is None:
            state.unknown(stmt.target, stmt.name, stmt)
        else:
            del state.members[at]
    elif stmt.kind in ("migrate", "discharge"):
        for name in _obligations_named(stmt):
            if state.index("obligation", name) is None:
                state.unknown("obligation", name, stmt)


def _obligations_named(stmt: n.AmendmentStmt) -> Iterable[str]:
    if stmt.name:
        yield stmt.name
    if stmt.kind == "migrate" and stmt.target:
        yield stmt.target


def _add_or_replace(state: _Amended, stmt: n.AmendmentStmt, member: n.Member) -> None:
    key = member_key(member)
    if key is None:
        state.diagnostics.append(
            Diagnostic(
                "CC318",
                f"an amendment cannot {stmt.kind} this kind of line",
                stmt.span,
                help="amend parameters with 'set', and clauses with add, replace or remove",
            )
        )
        return
    at = state.index(*key)
    if stmt.kind == "replace" and at is None:
        state.unknown(key[0], key[1], stmt)
    elif stmt.kind == "add" and at is not None:
        state.diagnostics.append(
            Diagnostic(
                "CC202",
                f"the contract already has a {key[0]} '{key[1]}'",
                stmt.span,
                help=f"use 'replace {key[0]} ...' to change it",
            )
        )
    elif at is not None:
        state.members[at] = member
    else:
        state.members.append(member)


def amendment_record(amendment: n.AmendmentDecl, amends_version: int) -> ir.Amendment:
    """What the runtime needs of an amendment beyond the amended contract: when it takes
    effect and what happens to live obligations then."""

    def first(kind: str) -> object:
        stmt = next((s for s in amendment.stmts if s.kind == kind), None)
        return stmt.values[0] if stmt is not None and stmt.values else None

    effective = first("effective")
    summary = first("summary")
    return ir.Amendment(
        title=amendment.title,
        amends_version=amends_version,
        effective=effective.isoformat() if isinstance(effective, date) else str(effective),
        summary=summary if isinstance(summary, str) else None,
        migrations=[
            ir.Migration(
                obligation=s.name or "",
                to=s.target if s.kind == "migrate" else None,
                reason=str(s.values[0]) if s.values else "",
            )
            for s in amendment.stmts
            if s.kind in ("migrate", "discharge")
        ],
    )
