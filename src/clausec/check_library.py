"""Checks for files that hold no contract: template libraries and amendments.

A template is checked by standing it up as a contract of its own: its parameters become the
contract's parameters (role and party parameters become placeholder roles and parties), and it
goes through the same passes as any contract, so a template's mistakes are reported in the
template, not in every contract that uses it. An amendment is checked for its own structure
(what it amends, its version and effective date); checking it against the contract it amends
needs that contract and happens when the amendment is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from clausec import nodes as n
from clausec.diagnostics import Diagnostic, Span
from clausec.resolve_names import Symbols
from clausec.rewrite import walk
from clausec.values import Money


def _header(span: Span, currency: str) -> list[n.Member]:
    values: list[tuple[str, tuple[object, ...]]] = [
        ("id", ("TEMPLATE",)),
        ("version", (1,)),
        ("effective", (date(2026, 1, 1), date(2026, 12, 31))),
        ("timezone", ("UTC",)),
        ("currency", (currency,)),
    ]
    return [n.HeaderStmt(key, vals, span) for key, vals in values]  # type: ignore[arg-type]


def _currency(template: n.TemplateDecl) -> str:
    """Templates take amounts as parameters; any literal fixes the currency for the check."""
    for node in walk(template):
        if isinstance(node, n.Literal) and isinstance(node.value, Money):
            return node.value.currency
    return "EUR"


def template_as_contract(template: n.TemplateDecl) -> n.ContractDecl:
    """A stand-alone contract with the template's members, for checking the template."""
    span = template.span
    members: list[n.Member] = _header(span, _currency(template))
    actor_params = [
        m
        for m in template.members
        if isinstance(m, n.ParamDecl) and m.type.name in ("role", "party")
    ]
    if any(p.type.name == "role" for p in actor_params):
        members.append(n.PartyDecl("template_party", "Template party", span))
    for param in actor_params:
        if param.type.name == "party":
            members.append(n.PartyDecl(param.name, param.name, param.span))
        else:
            members.append(
                n.RoleDecl(param.name, "template_party", None, "R", param.span, param.span)
            )
    members.extend(m for m in template.members if m not in actor_params)
    return n.ContractDecl(f"template {template.name}", tuple(members), span)


def check_amendment(amendment: n.AmendmentDecl) -> Iterable[Diagnostic]:
    kinds = [s.kind for s in amendment.stmts]
    needed = {
        "amends": 'amends "CONTRACT-ID" version 1',
        "version": "version 2",
        "effective": "effective 2026-07-01",
    }
    missing = [k for k in needed if k not in kinds]
    if missing:
        yield Diagnostic(
            "CC318",
            f"amendment '{amendment.title}' has no {', '.join(missing)}",
            amendment.span,
            help="add " + "; ".join(needed[k] for k in missing),
        )
    amends = next((s for s in amendment.stmts if s.kind == "amends"), None)
    version = next((s for s in amendment.stmts if s.kind == "version"), None)
    if amends and version and version.values and amends.values:
        new, old = version.values[0], amends.values[0]
        if isinstance(new, int | Decimal) and isinstance(old, int) and new <= old:
            yield Diagnostic(
                "CC318",
                f"version {new} does not follow version {old}",
                version.span,
                help=f"an amendment of version {old} is version {old + 1} or later",
            )
    changes = [k for k in kinds if k not in needed and k != "summary"]
    if not changes:
        yield Diagnostic(
            "CC318",
            "the amendment changes nothing",
            amendment.span,
            help="add set, add, replace, remove, migrate or discharge lines",
        )


def amends(amendment: n.AmendmentDecl) -> tuple[str, int] | None:
    """The contract id and version an amendment amends."""
    stmt = next((s for s in amendment.stmts if s.kind == "amends"), None)
    if stmt is None or stmt.target is None or not stmt.values:
        return None
    version = stmt.values[0]
    return stmt.target, version if isinstance(version, int) else 0


def contract_id(source: n.SourceFile) -> str | None:
    for item in source.items:
        if isinstance(item, n.ContractDecl):
            for member in item.members:
                if isinstance(member, n.HeaderStmt) and member.key == "id" and member.values:
                    return str(member.values[0])
    return None


def find_base_contract(
    amendment_path: Path, wanted: str, parse: Callable[[Path], n.SourceFile | None]
) -> Path | None:
    """The contract an amendment amends: a file beside it whose contract has that id."""
    for candidate in sorted(amendment_path.parent.glob("*.clause")):
        if candidate.resolve() == amendment_path.resolve():
            continue
        source = parse(candidate)
        if source is not None and contract_id(source) == wanted:
            return candidate
    return None


def version_mismatch(
    amendment: n.AmendmentDecl, wanted: str, version: int, base_path: Path, symbols: Symbols
) -> Iterable[Diagnostic]:
    """An amendment must amend the version in force."""
    header = symbols.header.get("version")
    base_version = header.values[0] if header and header.values else None
    if base_version == version:
        return
    line = next(s for s in amendment.stmts if s.kind == "amends")
    help_text = (
        f'amend the version in force: amends "{wanted}" version {base_version}, and '
        f"number this amendment's result version {base_version + 1}"
        if isinstance(base_version, int)
        else None
    )
    yield Diagnostic(
        "CC318",
        f"this amends version {version}, but {base_path} is version {base_version}",
        line.span,
        help=help_text,
    )
