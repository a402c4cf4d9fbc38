"""Scenario files: a contract, facts, clock moves and the events expected, run on both
matchers. The files are YAML, next to the contract they test:

    contract: ../contract.clause
    steps:
      - facts: [{id: dt-1, type: downtime, ...}]
      - advance_to: "2026-04-10T00:00:00Z"
      - facts: [{id: dt-1, type: downtime, ...}]
        expect_error: duplicate fact id
    only: [credit, penalty]        # optional: compare only these event kinds
    summaries: true                # optional: compare each event's summary too
    expect:
      - {time: ..., kind: credit, clause: uptime, instance: 2026-03, amount: 10500.00 EUR}

`expect` is the whole list of events (of the `only` kinds), in order; `--update` re-records it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from clausec import ir
from runtime.engine import Engine, EngineError
from runtime.events import KINDS, Event
from runtime.facts import FactError
from runtime.matchers import MatcherUnavailable

ENGINES = ("compiled", "rete")
COMPACT = ("time", "kind", "clause", "instance", "amount", "verdict")


class ScenarioError(ValueError):
    """The scenario file itself is malformed."""


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: list[dict[str, Any]] | None = None
    advance_to: datetime | None = None
    exercise: str | None = None  # a power, as its grant says: "deliver_servers/...:terminate"
    discharge: str | None = None  # an obligation instance, waived or released
    amend: str | None = None  # an amendment file, relative to the scenario
    reason: str = "waived by the creditor"
    expect_error: str | None = None

    @model_validator(mode="after")
    def one_action(self) -> Step:
        actions = [self.facts, self.advance_to, self.exercise, self.discharge, self.amend]
        if sum(a is not None for a in actions) != 1:
            raise ValueError(
                "a step has one of 'facts', 'advance_to', 'exercise', 'discharge', 'amend'"
            )
        if self.advance_to is not None and self.advance_to.tzinfo is None:
            raise ValueError("advance_to needs a zone, like 2026-04-10T00:00:00Z")
        return self


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract: str
    description: str | None = None
    engines: list[str] = list(ENGINES)
    steps: list[Step]
    only: list[str] | None = None
    summaries: bool = False  # compare each event's explanation summary as well
    diagnostics: list[str] = []  # runtime diagnostic codes the run must report, in order
    expect: list[dict[str, Any]] = []

    @field_validator("only")
    @classmethod
    def _known_kinds(cls, only: list[str] | None) -> list[str] | None:
        """A misspelt kind would filter out every event and pass an empty `expect`."""
        unknown = [kind for kind in only or [] if kind not in KINDS]
        if unknown:
            raise ValueError(
                f"unknown event kind {', '.join(unknown)}; the kinds are {', '.join(KINDS)}"
            )
        return only


@dataclass
class Outcome:
    path: Path
    engine: str
    passed: bool
    expected: list[dict[str, Any]] = field(default_factory=list)
    actual: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    problem: str = ""  # a step went wrong: such a run is never recorded as expected


def load_scenario(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Scenario.model_validate(data)
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioError(f"{path}: cannot read the scenario: {error}") from error
    except ValidationError as error:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ScenarioError(f"{path}: {where}") from error


def compact(event: Event, summary: bool = False) -> dict[str, Any]:
    data = event.model_dump()
    found = {key: data[key] for key in COMPACT if data.get(key) is not None}
    if summary:
        found["summary"] = event.explanation.summary
    return found


def play(scenario: Scenario, base: Path, engine_name: str) -> tuple[list[Event], str]:
    """Run the steps; returns the events and a problem ('' when every step went as meant)."""
    engine = Engine.load(base / scenario.contract, engine=engine_name)
    events: list[Event] = []
    try:
        for number, step in enumerate(scenario.steps, start=1):
            try:
                events += _step(engine, step, base)
            except (FactError, EngineError) as error:
                if step.expect_error and step.expect_error in str(error):
                    continue
                return events, f"step {number}: {error}"
            if step.expect_error:
                return events, f"step {number}: expected the error '{step.expect_error}'"
    finally:
        engine.close()
    codes = [d.code for d in engine.diagnostics]
    if codes != scenario.diagnostics:
        return (
            events,
            f"runtime diagnostics {codes} (expected {scenario.diagnostics}): "
            + "; ".join(d.message for d in engine.diagnostics),
        )
    return events, ""


def _step(engine: Engine, step: Step, base: Path) -> list[Event]:
    if step.amend is not None:
        return engine.amend(_amendment(base / step.amend))
    if step.facts is not None:
        return engine.ingest(step.facts)
    if step.advance_to is not None:
        return engine.advance_to(step.advance_to)
    if step.exercise is not None:
        return engine.exercise(step.exercise, "")
    assert step.discharge is not None
    return engine.discharge(step.discharge, step.reason)


def _amendment(path: Path) -> ir.Bundle:
    from clausec.compiler import compile_amendment
    from clausec.diagnostics import render_all

    result = compile_amendment(path)
    if result.amended is None:
        raise EngineError(render_all(result.diagnostics, result.sources))
    return result.amended


def run_scenario(path: Path, engine_name: str) -> Outcome:
    scenario = load_scenario(path)
    try:
        events, problem = play(scenario, path.parent, engine_name)
    except MatcherUnavailable as error:
        return Outcome(path, engine_name, True, message=f"skipped: {error}")
    except EngineError as error:
        return Outcome(path, engine_name, False, message=str(error), problem=str(error))
    except Exception as error:  # a bug in the engine must fail this scenario, not the run
        problem = f"internal error: {type(error).__name__}: {error}"
        return Outcome(path, engine_name, False, message=problem, problem=problem)
    kinds = set(scenario.only) if scenario.only else None
    actual = [compact(e, scenario.summaries) for e in events if kinds is None or e.kind in kinds]
    expected = [{k: str(v) for k, v in item.items()} for item in scenario.expect]
    passed = not problem and actual == expected
    message = problem or ("" if passed else describe_difference(expected, actual))
    return Outcome(path, engine_name, passed, expected, actual, message, problem)


def describe_difference(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> str:
    def lines(items: list[dict[str, Any]]) -> list[str]:
        return [", ".join(f"{k}: {v}" for k, v in item.items()) for item in items]

    diff = list(
        difflib.unified_diff(lines(expected), lines(actual), "expected", "actual", lineterm="", n=1)
    )
    clauses = sorted(
        {str(i.get("clause")) for i in expected + actual if (i in expected) != (i in actual)}
    )
    return f"events differ in clause(s) {', '.join(clauses)}:\n" + "\n".join(diff)


def record(path: Path, actual: list[dict[str, Any]]) -> None:
    """Rewrite the scenario's `expect` list in place, one event a line; the rest of the file,
    comments and layout included, stays as the author wrote it."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.startswith("expect:")), len(lines))
    body = ["expect:"] if actual else ["expect: []"]
    for item in actual:
        flow = yaml.safe_dump(item, default_flow_style=True, sort_keys=False, width=1000)
        body.append(f"  - {flow.strip()}")
    path.write_text("\n".join(lines[:cut] + body) + "\n", encoding="utf-8")
