"""The portfolio on the engine: compiled bundles, one engine per contract, the fact stream routed
to them, and the figures their events add up to.

Compiling 10,000 contracts from text at ~50 ms each would take most of the benchmark's time
budget, so each *shape* (the clauses' structure, see `generate.Shape`) is compiled once from the
text of its first contract, and every contract's bundle is that shape's IR with the contract's
own header, parties, roles and parameter values: what the compiler would produce from its text,
because contracts of one shape differ in nothing else. `build_bundles` proves it on a sample:
those contracts are compiled from their own text and must give the identical bundle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.baseline import Figures
from bench.contracts import ContractSpec, Shape, contract_text
from bench.generate import write_libraries
from clausec import ir
from clausec.compiler import compile_or_raise
from runtime.engine import Engine
from runtime.events import Event

# After the last window's grace and the settlement: every amount has been charged by then.
SETTLED = datetime(2027, 2, 15, tzinfo=UTC)
# Which figure an amount counts towards, by clause, for the `penalty` events.
PENALTY_FIGURES = {
    "servers.deliver": "damages",
    "resolve_incidents": "penalty",
    "pay_invoices": "interest",
}


class Disagreement(AssertionError):
    """The engine's figures differ from the baseline's, or compiled bundles from generated ones."""


def literal(kind: str, value: Any) -> list[Any]:
    """A parameter's value as the compiler lowers it (`lower_expr.lower_literal`)."""
    if kind == "money":
        return ["lit", "money", str(value), "EUR"]
    if kind == "percent":
        return ["lit", "percent", str(Decimal(f"{value.normalize():f}") / Decimal(100))]
    if kind == "datetime":
        return ["lit", "datetime", value.isoformat(), None]
    if kind == "duration":
        return ["lit", "duration", str(value), "day"]
    return ["lit", kind, str(value)]


@dataclass(frozen=True)
class ShapeIR:
    """A shape's bundle as JSON text, with the contract it was compiled from."""

    text: str
    source: ContractSpec


def instantiate(shape: ShapeIR, spec: ContractSpec) -> str:
    """The bundle of `spec` as compact JSON: its shape's IR with the contract's own terms."""
    text = shape.text.replace(f'"path": "{shape.source.file_name}"', f'"path": "{spec.file_name}"')
    # the `with (use ..., FILE:LINE)` line of a template clause's text names the file too
    text = text.replace(f", {shape.source.file_name}:", f", {spec.file_name}:")
    data = json.loads(text)
    terms = compile_header(spec)
    data["header"] = {**data["header"], **terms["header"]}
    data["parties"] = terms["parties"]
    data["roles"] = [
        {**role, "contact": contact}
        for role, contact in zip(data["roles"], terms["contacts"], strict=True)
    ]
    values = spec.params()
    data["params"] = [
        {**param, "value": literal(*values[param["name"]])} for param in data["params"]
    ]
    # The content hash as `Bundle.with_hash` takes it: `data` is already the bundle's JSON
    # form, so hashing it directly skips a pydantic round trip per contract; the sample in
    # `build_bundles` checks the whole bundle, hash included, against the compiler's.
    data.pop("hash", None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["hash"] = "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compile_header(spec: ContractSpec) -> dict[str, Any]:
    """The header, parties and role contacts as `generate.contract_text` writes them."""
    s = spec
    provider = s.index % 37
    return {
        "header": {
            "id": s.id,
            "title": f"Managed Service Agreement {s.index}",
            "rounding_mode": s.rounding,
            "summary": f"Managed service, {s.shape.name}: availability, incidents, delivery, "
            "invoices",
        },
        "parties": [
            {"name": "buyer", "legal_name": f"Customer {s.index} GmbH"},
            {"name": "supplier", "legal_name": f"Provider {provider} AG"},
        ],
        "contacts": [
            f"procurement@customer{s.index}.example",
            f"legal@customer{s.index}.example",
            f"ap@customer{s.index}.example",
            f"noc@provider{provider}.example",
            f"ar@provider{provider}.example",
        ],
    }


def _compile(folder: Path, spec: ContractSpec) -> ir.Bundle:
    return compile_or_raise(folder / spec.file_name)


def build_bundles(specs: list[ContractSpec], folder: Path, verify: int) -> dict[str, str]:
    """Every contract's bundle as compact JSON, by contract id. `verify` contracts, spread
    over the portfolio, are also compiled from their own text and must be identical."""
    write_libraries(folder)
    shapes: dict[Shape, ShapeIR] = {}
    bundles: dict[str, str] = {}
    for spec in specs:
        shape = shapes.get(spec.shape)
        if shape is None:
            _write(folder, spec)
            shapes[spec.shape] = shape = ShapeIR(_compile(folder, spec).to_json(), spec)
        bundles[spec.id] = instantiate(shape, spec)
    for spec in _sample(specs, shapes, verify):
        _write(folder, spec)
        compiled = json.loads(_compile(folder, spec).to_json())  # the bundle as written
        if compiled != json.loads(bundles[spec.id]):
            raise Disagreement(
                f"{spec.id}: the bundle built from its shape differs from the compiled one"
            )
    return bundles


def parse_bundles(texts: dict[str, str]) -> dict[str, ir.Bundle]:
    return {cid: ir.Bundle.model_validate_json(text) for cid, text in texts.items()}


def _sample(
    specs: list[ContractSpec], shapes: dict[Shape, ShapeIR], count: int
) -> list[ContractSpec]:
    sources = {shape.source.id for shape in shapes.values()}
    others = [s for s in specs if s.id not in sources]
    step = max(1, len(others) // max(count, 1))
    return others[::step][:count]


def _write(folder: Path, spec: ContractSpec) -> None:
    (folder / spec.file_name).write_text(contract_text(spec), encoding="utf-8")


# -- running the stream --------------------------------------------------------------------------


def load(bundles: dict[str, ir.Bundle], engine: str) -> dict[str, Engine]:
    return {cid: Engine(bundle, engine) for cid, bundle in bundles.items()}


def feed(engines: dict[str, Engine], lines: list[str], chunk: int = 1000) -> int:
    """Parse, route and ingest the stream in chunks of `chunk` lines (one `ingest` per contract
    per chunk), then move every clock past the settlement: the events it caused, counted."""
    count = 0
    for first in range(0, len(lines), chunk):
        groups: dict[str, list[dict[str, Any]]] = {}
        for line in lines[first : first + chunk]:
            fact = json.loads(line, parse_float=Decimal)
            groups.setdefault(fact["contract"], []).append(fact)
        for contract, facts in groups.items():
            count += len(engines[contract].ingest(facts))
    for engine in engines.values():
        count += len(engine.advance_to(SETTLED))
    return count


def close(engines: Iterable[Engine]) -> None:
    for engine in engines:
        engine.close()


def figures(engine: Engine) -> Figures:
    """What the engine's events add up to: credits (with restatements), damages, penalties and
    interest by clause, renegotiation triggers and escalations."""
    result = Figures()
    for event in engine.events():
        _count(result, event)
    return result


def _count(result: Figures, event: Event) -> None:
    amount = Decimal(event.amount.split()[0]) if event.amount else Decimal(0)
    if event.kind == "credit" or (event.kind == "restatement" and event.clause == "uptime.credits"):
        result.credit += amount
    elif event.kind == "penalty":
        name = PENALTY_FIGURES[event.clause]
        setattr(result, name, getattr(result, name) + amount)
    elif event.kind == "trigger":
        result.triggers += 1
    elif event.kind == "escalation":
        result.escalations += 1


def ledger_total(engine: Engine) -> Decimal:
    return sum((charge.amount.amount for charge in engine.ledger()), Decimal(0))


def compare(
    engine_figures: dict[str, Figures], baseline: dict[str, Figures], label: str
) -> list[str]:
    """Every figure on which the engine and the baseline differ, one line each."""
    problems: list[str] = []
    for contract in sorted(set(engine_figures) | set(baseline)):
        mine, theirs = engine_figures.get(contract), baseline.get(contract)
        if mine is None or theirs is None:
            problems.append(f"{label} {contract}: missing on one side")
            continue
        for name, value in mine.as_dict().items():
            if getattr(mine, name) != getattr(theirs, name):
                other = theirs.as_dict()[name]
                problems.append(f"{label} {contract} {name}: engine {value}, baseline {other}")
    return problems
