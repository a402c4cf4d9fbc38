"""Pass 7, lower to the IR: the checked contract becomes a `Bundle` with a content hash.

Input: the contract, symbols, types and graph, and the source texts (for each clause's text).
Output: an `ir.Bundle`. Lowering makes no decisions a check could fail: every name has been
resolved and typed before. Source paths in spans are made relative to the contract's folder, or
to the standard library, so the same source gives byte-identical IR wherever it is compiled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from clausec import ir
from clausec import nodes as n
from clausec.build_graph import ContractGraph
from clausec.check_types import TypeTable
from clausec.diagnostics import Span
from clausec.lower_clauses import ClauseLowerer
from clausec.lower_expr import Scope, lower
from clausec.resolve_names import Symbols
from clausec.types import Type


def type_ir(t: Type) -> ir.TypeIR:
    return ir.TypeIR(kind=t.kind, currency=t.currency, values=list(t.values), optional=t.optional)


def _header(contract: n.ContractDecl, symbols: Symbols) -> ir.Header:
    def value(key: str, index: int = 0, default: Any = None) -> Any:
        stmt = symbols.header.get(key)
        return stmt.values[index] if stmt and len(stmt.values) > index else default

    start, until = value("effective"), value("effective", 1)
    conversions = {
        key.split()[1]: str(stmt.values[1])
        for key, stmt in symbols.header.items()
        if key.startswith("convert ")
    }
    return ir.Header(
        id=value("id"),
        version=value("version"),
        title=contract.title,
        effective_from=start.isoformat() if isinstance(start, date) else "",
        effective_until=until.isoformat() if isinstance(until, date) else "",
        timezone=value("timezone"),
        currency=value("currency"),
        calendar=value("calendar"),
        rounding_mode=value("rounding", 0, "half_up"),
        rounding_quantum=str(value("rounding", 1, "0.01")),
        conversions=conversions,
        summary=symbols.summary,
    )


def relative_path(path: str, base: Path) -> str:
    from clausec.resources import stdlib_dir

    resolved = Path(path).resolve()
    for root, prefix in ((base.resolve(), ""), (stdlib_dir().resolve(), "stdlib/")):
        if resolved.is_relative_to(root):
            return prefix + resolved.relative_to(root).as_posix()
    return resolved.name


def _declarations(symbols: Symbols, types: TypeTable, scope: Scope) -> dict[str, Any]:
    """Parties, roles, parameters and fact schemas: the bundle's declarations."""
    return {
        "parties": [
            ir.Party(name=p.name, legal_name=p.legal_name) for p in symbols.parties.values()
        ],
        "roles": [
            ir.Role(name=r.name, party=r.party, contact=r.contact, raci=r.raci)
            for r in symbols.roles.values()
        ],
        "params": [
            ir.Param(name=p.name, type=type_ir(types.params[p.name]), value=lower(p.default, scope))
            for p in symbols.params.values()
        ],
        "facts": [
            ir.FactSchema(
                name=f.name,
                key=f.key,
                fields={k: type_ir(v) for k, v in types.facts[f.name].items()},
            )
            for f in symbols.facts.values()
        ],
        "aggregate_caps": [
            ir.AggregateCap(kinds=list(c.kinds), amount=lower(c.amount, scope), scope=c.scope)
            for c in symbols.aggregate_caps
        ],
    }


def lower_to_ir(
    contract: n.ContractDecl,
    symbols: Symbols,
    types: TypeTable,
    graph: ContractGraph,
    sources: Mapping[str, str],
) -> ir.Bundle:
    base = Path(contract.span.path).parent
    paths: dict[str, str] = {}  # resolving a path asks the file system: once per file

    def span_ir(span: Span) -> ir.SpanIR:
        path = paths.get(span.path)
        if path is None:
            path = paths[span.path] = relative_path(span.path, base)
        return ir.SpanIR(
            path=path,
            line=span.line,
            col=span.col,
            end_line=span.end_line,
            end_col=span.end_col,
        )

    header = _header(contract, symbols)
    scope = Scope(
        frozenset(symbols.params),
        frozenset(symbols.metrics),
        {name: frozenset(f.name for f in fact.fields) for name, fact in symbols.facts.items()},
        rates={code: Decimal(rate) for code, rate in header.conversions.items()},
        currency=header.currency,
    )
    clauses = ClauseLowerer(scope, span_ir, sources, types, symbols.params)
    bundle = ir.Bundle(
        header=header,
        metrics=[
            clauses.metric(m, type_ir(types.metrics[m.name])) for m in symbols.metrics.values()
        ],
        order=graph.order,
        closeout=clauses.closeout(symbols.closeout) if symbols.closeout else None,
        **_declarations(symbols, types, scope),
        **clauses.lower_clauses(symbols.clauses.values()),
    )
    return bundle.with_hash()
