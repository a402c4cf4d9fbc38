"""The embedding API, through its public surface only: bad input, isolation, no threads, and
each known durable-rules crasher fed through the engine on both matchers."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clausec.compiler import compile_or_raise
from runtime.engine import Engine, EngineError
from runtime.facts import FactError

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = compile_or_raise(ROOT / "examples/managed_hosting/contract.clause")
ENGINES = ["compiled", "rete"]


def outage(fact_id: str, **changes: Any) -> dict[str, Any]:
    fact: dict[str, Any] = {
        "id": fact_id, "type": "downtime", "ticket": "NL-1", "service": "hosting-platform",
        "start": "2026-03-03T10:00:00+01:00", "end": "2026-03-03T22:00:00+01:00",
        "scheduled": False, "notice_days": 0, "excused": False,
    }
    fact.update(changes)
    return fact


def delivery(fact_id: str) -> dict[str, Any]:
    return {"id": fact_id, "type": "delivery", "order": "PO-4471",
            "at": "2026-02-20T10:00:00+01:00", "accepted": True}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_batch_is_harmless(engine: str) -> None:
    runner = Engine(BUNDLE, engine)
    assert runner.ingest([]) == []
    assert runner.ingest([delivery("d-1")])  # still works afterwards
    runner.close()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("value", [1e-05, 0.5, float("nan")])
def test_floats_are_refused_naming_the_fact_and_field(engine: str, value: float) -> None:
    runner = Engine(BUNDLE, engine)
    with pytest.raises(FactError) as error:
        runner.ingest([outage("dt-1", notice_days=value)])
    assert "fact 'dt-1', field 'notice_days'" in str(error.value)
    assert "float" in str(error.value)
    runner.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_duplicate_fact_is_reported_and_never_applied_twice(engine: str) -> None:
    runner = Engine(BUNDLE, engine)
    runner.ingest([delivery("d-1")])
    with pytest.raises(FactError, match="duplicate fact id"):
        runner.ingest([delivery("d-1")])
    with pytest.raises(FactError, match="duplicate fact id"):
        runner.ingest([outage("dt-9"), outage("dt-9")])
    fulfilled = [e for e in runner.events() if e.kind == "obligation.fulfilled"]
    assert len(fulfilled) == 1
    runner.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bad_fact_rejects_its_whole_batch(engine: str) -> None:
    runner = Engine(BUNDLE, engine)
    bad = outage("dt-2", start="2026-03-03T10:00:00")  # no zone
    with pytest.raises(FactError) as error:
        runner.ingest([delivery("d-1"), bad, outage("dt-3", end="not a time")])
    problems = {(p.fact_id, p.field) for p in error.value.problems}
    assert problems == {("dt-2", "start"), ("dt-3", "end")}
    assert runner.events() == []  # the good fact in the batch was not applied either
    assert runner.ingest([delivery("d-1")])  # and can be sent again
    runner.close()


@pytest.mark.parametrize(("fact", "field", "words"), [
    ({"id": "x", "type": "delivery", "order": "PO-1", "at": "2026-02-01T00:00:00Z",
      "accepted": True, "colour": "red"}, "colour", "no such field"),
    ({"id": "x", "type": "incident", "ticket": "T", "priority": "P9",
      "opened": "2026-02-01T00:00:00Z"}, "priority", "P1"),
    ({"id": "x", "type": "parcel"}, "type", "unknown fact type"),
    ({"id": "x", "type": "delivery", "contract": "OTHER-1"}, "contract", "unknown contract"),
])
def test_facts_that_do_not_match_the_schema(fact: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(FactError) as error:
        Engine(BUNDLE).ingest([fact])
    (problem,) = error.value.problems
    assert (problem.fact_id, problem.field) == ("x", field)
    assert words in problem.message


def test_a_wrong_currency_is_refused() -> None:
    bundle = compile_or_raise(ROOT / "tests/golden/good/equipment_supply.clause")
    money_facts = [(f.name, n) for f in bundle.facts for n, t in f.fields.items()
                   if t.kind == "money"]
    if not money_facts:
        pytest.skip("no money field in this contract")  # pragma: no cover
    kind, field = money_facts[0]
    schema = next(f for f in bundle.facts if f.name == kind)
    fact: dict[str, Any] = {"id": "m-1", "type": kind}
    for name, t in schema.fields.items():
        fact[name] = {"money": "100.00 USD", "datetime": "2026-02-01T00:00:00Z", "bool": True,
                      "number": 1, "text": "x", "date": "2026-02-01",
                      "enum": (t.values or ["x"])[0], "percent": "1%"}.get(t.kind, "x")
    with pytest.raises(FactError, match=f"field '{field}'.*USD"):
        Engine(bundle).ingest([fact])


@pytest.mark.parametrize("engine", ENGINES)
def test_two_engines_in_one_process_never_see_each_other(engine: str) -> None:
    first, second = Engine(BUNDLE, engine), Engine(BUNDLE, engine)
    first.ingest([delivery("d-1")])
    second.advance_to(datetime(2026, 3, 10, tzinfo=UTC))
    assert any(e.kind == "obligation.fulfilled" for e in first.events())
    assert any(e.kind == "obligation.violated" for e in second.events())
    assert not any(e.kind == "obligation.violated" for e in first.events())
    first.close()
    second.close()


def test_the_event_log_keeps_each_set_of_parties_once() -> None:
    """Events read back equal to those fired, while at rest the events that name the same
    parties (those of one instance, mostly) share one tuple of them."""
    engine = Engine(BUNDLE)
    fired = engine.ingest([delivery("d-1")])
    fired += engine.advance_to(datetime(2026, 12, 31, tzinfo=UTC))
    log = engine.ctx.events
    assert list(log)[-len(fired) :] == fired
    at = 12  # the parties, after the scalar fields (runtime.events.to_row)
    copies: dict[tuple[object, ...], set[int]] = {}
    for event, row in zip(log, log._rows, strict=True):  # type: ignore[attr-defined]
        assert event.parties == {k: list(v) if many else v for k, many, v in row[at]}
        if row[at]:
            copies.setdefault(row[at], set()).add(id(row[at]))
    assert all(len(ids) == 1 for ids in copies.values())
    assert len(copies) < sum(1 for row in log._rows if row[at])  # type: ignore[attr-defined]
    engine.close()


def test_a_paid_invoice_leaves_the_join_index() -> None:
    """Evidence joined to its instance by value (`payment where invoice_number ==
    invoice.number`) is looked up in an index by that value; an instance that has its
    evidence leaves it, so the index does not grow by an entry for every invoice paid."""
    import json

    folder = ROOT / "examples/construction"
    engine = Engine(compile_or_raise(folder / "contract.clause"))
    lines = (folder / "facts.jsonl").read_text(encoding="utf-8").splitlines()
    facts = [json.loads(line) for line in lines if line.strip()]
    engine.ingest(facts)
    kernel = engine.obligations_kernel
    indexed = [
        inst
        for joins in kernel.live.by_value.values()
        for index in joins.values()
        if index is not None
        for found in index.values()
        for inst in found
    ]
    paid = [i for i in kernel.instances.values() if i.performed is not None and i.record]
    assert kernel.live.by_value and paid  # the example joins, and has invoices paid
    assert all(inst.performed is None for inst in indexed)
    engine.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_engine_starts_no_threads(engine: str) -> None:
    before = threading.active_count()
    runner = Engine(BUNDLE, engine)
    runner.ingest([outage("dt-1"), delivery("d-1")])
    runner.advance_to(datetime(2026, 7, 1, tzinfo=UTC))
    runner.close()
    assert threading.active_count() == before


def test_the_clock_never_moves_back() -> None:
    runner = Engine(BUNDLE)
    runner.advance_to(datetime(2026, 5, 1, tzinfo=UTC))
    with pytest.raises(EngineError, match="cannot move back"):
        runner.advance_to(datetime(2026, 4, 1, tzinfo=UTC))
    with pytest.raises(EngineError, match="zone"):
        runner.advance_to(datetime(2026, 6, 1))


def test_more_engines_than_a_ruleset_has_sessions() -> None:
    """durable-rules holds 1024 sessions per ruleset; 1100 engines one after another must not
    exhaust them. Run in a subprocess so a crash shows as a failure, not a dead test run."""
    code = f"""
from clausec.compiler import compile_or_raise
from runtime.engine import Engine
bundle = compile_or_raise({str(ROOT / 'examples/managed_hosting/contract.clause')!r})
for n in range(1100):
    engine = Engine(bundle, "rete")
    engine.ingest([{{"id": f"d-{{n}}", "type": "delivery", "order": "PO-4471",
                    "at": "2026-02-20T10:00:00+01:00", "accepted": True}}])
    engine.close()
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_decimal_precision_survives_the_rete_matcher() -> None:
    """Values like 1e-05 crash durable-rules as floats; as Decimals they must match exactly."""
    compiled, rete = Engine(BUNDLE, "compiled"), Engine(BUNDLE, "rete")
    facts = [outage(f"dt-{n}", notice_days=str(Decimal("0.00001") * n)) for n in range(3)]
    for runner in (compiled, rete):
        runner.ingest(facts)
        runner.advance_to(datetime(2026, 4, 10, tzinfo=UTC))
    assert [e.model_dump() for e in compiled.events()] == [e.model_dump() for e in rete.events()]


def test_the_runtime_never_reads_the_wall_clock() -> None:
    """No module of the runtime asks for the current time: time moves only by facts and
    advance_to. (durable-rules' own timers are off: see test_rete's thread checks.)"""
    forbidden = ("datetime.now", "datetime.utcnow", "date.today", "time.time(",
                 "time.monotonic(", "time.perf_counter(")
    offenders = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in sorted((ROOT / "src" / "runtime").rglob("*.py"))
        for word in forbidden
        if word in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_party_exercises_and_waives(engine: str) -> None:
    runner = Engine(BUNDLE, engine)
    runner.advance_to(datetime(2026, 2, 20, tzinfo=UTC))
    (discharged,) = runner.discharge("servers.deliver", "order moved to another agreement")
    assert discharged.kind == "obligation.discharged"
    with pytest.raises(EngineError, match="only an open obligation"):
        runner.discharge("servers.deliver", "again")
    with pytest.raises(EngineError, match="no power"):
        runner.exercise("servers.deliver/servers.deliver:terminate")
    runner.close()


def test_cap_buckets() -> None:
    """A bare cap on a for-each instance is per instance; an amount charged at the contract's
    end belongs to its last year; buckets are named by local start dates."""
    ctx = Engine(BUNDLE).ctx
    assert ctx.bucket("window", ctx.time.end, None, "inv[A]") == "window:inv[A]"
    assert ctx.bucket("window", ctx.time.end, None, "inv[B]") != "window:inv[A]"
    assert ctx.bucket("contract_year", ctx.time.end, None, None) == "contract_year:2027-01-01"
    assert ctx.bucket("month", ctx.time.start, None, None) == "month:2026-01-01"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace('"42000"', '"420000"'), "does not match its hash"),
        (lambda text: text.replace('"ir_version": 1', '"ir_version": 999'), "IR version 999"),
    ],
    ids=["figure-edited", "unknown-ir-version"],
)
def test_a_bundle_changed_after_compiling_is_refused(
    tmp_path: Path, edit: Any, message: str
) -> None:
    """A bundle is the signed terms: one edited by hand, or written by another IR version, is
    refused, not run."""
    good = tmp_path / "hosting.json"
    good.write_text(BUNDLE.to_json(), encoding="utf-8")  # as `clausec compile -o` writes it
    assert Engine.load(good).ctx.bundle.hash == BUNDLE.hash
    changed = tmp_path / "changed.json"
    changed.write_text(edit(good.read_text(encoding="utf-8")), encoding="utf-8")
    assert changed.read_text(encoding="utf-8") != good.read_text(encoding="utf-8")
    with pytest.raises(EngineError, match=message):
        Engine.load(changed)


def test_wrong_arguments_are_engine_errors() -> None:
    """An embedding service gets an EngineError it can report, not a Python error, for an
    unknown event, a clock given as a date, and a discharge with no reason."""
    engine = Engine(BUNDLE)
    with pytest.raises(EngineError, match="no event ev-0000"):
        engine.explain("ev-0000")
    with pytest.raises(EngineError, match="needs a date-time with a zone"):
        engine.advance_to(datetime(2026, 3, 1).date())  # type: ignore[arg-type]
    engine.advance_to(datetime(2026, 3, 1, tzinfo=UTC))
    (duty,) = [i.id for i in engine.obligations() if i.state == "in_effect" and "servers" in i.id]
    with pytest.raises(EngineError, match="needs its reason"):
        engine.discharge(duty, " ")
    assert [i.state for i in engine.obligations() if i.id == duty] == ["in_effect"]
