"""Pass 6, build the dependency graph of a contract with networkx.

Input: the checked contract and its symbols. Output: a `ContractGraph` whose nodes are facts,
parameters, metrics, clauses and their remedies and powers, with an edge from each thing to
what depends on it. Every edge carries the span of the reference that made it, so a cycle
(CC310) is reported with the location of each of its edges. The evaluation order is a
lexicographic topological sort: the same contract always gives the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from clausec import nodes as n
from clausec.diagnostics import Diagnostic, Span
from clausec.resolve_names import Symbols
from clausec.rewrite import walk

_KINDS: dict[type, str] = {
    n.MetricDecl: "metric",
    n.SlaDecl: "sla",
    n.ObligationDecl: "obligation",
    n.EscalationDecl: "escalation",
    n.TriggerDecl: "trigger",
    n.IncentiveDecl: "incentive",
    n.PlanDecl: "plan",
    n.CloseoutDecl: "closeout",
}


@dataclass
class ContractGraph:
    graph: nx.DiGraph
    order: list[str]

    def to_json(self) -> str:
        nodes = [{"id": node, **self.graph.nodes[node]} for node in sorted(self.graph.nodes)]
        edges = [
            {"from": a, "to": b, "span": str(data["span"])}
            for a, b, data in sorted(self.graph.edges(data=True))
        ]
        return json.dumps({"nodes": nodes, "edges": edges, "order": self.order}, indent=2)

    def to_dot(self) -> str:
        lines = ["digraph contract {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
        shapes = {
            "fact": "cylinder",
            "param": "note",
            "metric": "ellipse",
            "remedy": "octagon",
            "power": "hexagon",
        }
        for node in sorted(self.graph.nodes):
            kind = self.graph.nodes[node]["kind"]
            label = self.graph.nodes[node]["label"]
            lines.append(
                f'  "{node}" [label="{label}\\n({kind})", shape={shapes.get(kind, "box")}];'
            )
        for a, b in sorted(self.graph.edges):
            lines.append(f'  "{a}" -> "{b}";')
        lines.append("}")
        return "\n".join(lines) + "\n"


def node_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def _references(nodes: list[Any], symbols: Symbols) -> Iterable[tuple[str, Span]]:
    """The graph nodes that a member (its AST `nodes`) depends on, with the span of each
    reference."""
    for node in nodes:
        if isinstance(node, n.Name):
            if node.name in symbols.params:
                yield node_id("param", node.name), node.span
            elif node.name in symbols.metrics:
                yield node_id("metric", node.name), node.span
            elif node.name in symbols.facts:
                yield node_id("fact", node.name), node.span
        elif isinstance(node, n.EventRef):
            target = symbols.clause_or_metric(node.clause.dotted)
            if target is not None:
                yield node_id(_KINDS[type(target)], node.clause.dotted), node.span
        elif isinstance(node, n.SlaStmt | n.Condition) and node.metric is not None:
            yield node_id("metric", node.metric.dotted), node.metric.span
        elif isinstance(node, n.Evidence | n.OutcomeStmt):
            yield node_id("fact", node.fact), node.span
        elif isinstance(node, n.Recurrence | n.MetricOption) and node.fact:
            yield node_id("fact", node.fact), node.span
        elif isinstance(node, n.LevelAction) and node.deliverable:
            yield node_id("fact", node.deliverable), node.span
        elif isinstance(node, n.ObligationStmt) and node.kind == "suspend" and node.name:
            yield node_id("fact", node.name), node.span
        elif isinstance(node, n.MetricDecl) and node.window.fact:
            yield node_id("fact", node.window.fact), node.span


def build_graph(
    contract: n.ContractDecl, symbols: Symbols
) -> tuple[ContractGraph, list[Diagnostic]]:
    graph = nx.DiGraph()
    for fact in symbols.facts.values():
        graph.add_node(node_id("fact", fact.name), kind="fact", label=fact.name)
    for param in symbols.params.values():
        graph.add_node(node_id("param", param.name), kind="param", label=param.name)
    for param in symbols.params.values():  # a value may read other parameters, never itself
        found = list(walk(param.default)) if param.default is not None else []
        for dependency, span in _references(found, symbols):
            if not graph.has_edge(dependency, node_id("param", param.name)):
                graph.add_edge(dependency, node_id("param", param.name), span=span)
    for member in contract.members:
        kind = _KINDS.get(type(member))
        if kind is None:
            continue
        name = getattr(member, "name", kind)
        me = node_id(kind, name)
        graph.add_node(me, kind=kind, label=name, ref=getattr(member, "ref", None))
        nodes = list(walk(member))  # read twice: a large contract's members take long to walk
        for dependency, span in _references(nodes, symbols):
            if dependency != me and not graph.has_edge(dependency, me):
                graph.add_edge(dependency, me, span=span)
        _add_outcomes(graph, me, nodes)
    diagnostics = _cycles(graph)
    order = [] if diagnostics else list(nx.lexicographical_topological_sort(graph))
    return ContractGraph(graph, order), diagnostics


def _add_outcomes(graph: nx.DiGraph, me: str, nodes: list[Any]) -> None:
    """Remedies and powers hang off the clause that creates them (whose AST is `nodes`)."""
    for node in nodes:
        if isinstance(node, n.Reparation):
            remedy = node_id("remedy", graph.nodes[me]["label"])
            graph.add_node(remedy, kind="remedy", label=f"{graph.nodes[me]['label']} breach")
            graph.add_edge(me, remedy, span=node.span)
        elif isinstance(node, n.Power):
            power = node_id("power", f"{graph.nodes[me]['label']}.{node.action}")
            graph.add_node(power, kind="power", label=f"{node.holder} may {node.action}")
            graph.add_edge(me, power, span=node.span)


def _cycles(graph: nx.DiGraph) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for cycle in sorted(nx.simple_cycles(graph), key=lambda c: sorted(c)):
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        edges = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
        notes = tuple(f"{b} depends on {a} at {graph.edges[a, b]['span']}" for a, b in edges)
        first_span = graph.edges[edges[-1]]["span"]
        path = " -> ".join([*cycle, cycle[0]])
        out.append(
            Diagnostic(
                "CC310",
                f"dependency cycle: {path}",
                first_span,
                notes=notes,
                help="give one of these parameters a value that does not read the others"
                if all(node.startswith("param:") for node in cycle)
                else "break the cycle: one of these clauses must not wait for the other",
            )
        )
    return out
