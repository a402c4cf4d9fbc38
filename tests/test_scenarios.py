"""Scenario files for the runtime: every `*.scenario.yaml` under tests/scenarios/ and examples/.

Each scenario runs on both matchers (DESIGN.md section 5):
- `compiled` must always run, and must produce the events the scenario expects;
- `rete` must produce them too, unless it cannot load here (durable-rules on Python 3.13): then
  `run_scenario` answers "skipped: ..." and the rete test is skipped with that message;
- the differential test: when both ran, their event streams (`actual`) must be identical,
  expected events or not.

Layout: tests/scenarios/<topic>/contract.clause is a small contract written for the topic and
tests/scenarios/<topic>/*.scenario.yaml are its scenarios. Each scenario opens with comments
that state what happens and the figures worked out by hand; re-record with
`clausec test tests/scenarios/<topic> --update` and check every event against them.

tests/scenarios/known_bugs.toml lists, by path from the repository root, the scenarios that
show an engine bug. Their `expect` lists hold the correct events, written by hand, so they are
strict xfails: a fix makes them XPASS, which fails until the entry is removed. Never run
`--update` over them.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pytest

from clausec.compiler import compile_contract
from clausec.diagnostics import render_all
from runtime.scenario import Outcome, load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_ROOT = ROOT / "tests" / "scenarios"
SCENARIO_DIRS = (SCENARIO_ROOT, ROOT / "examples", ROOT / "tests" / "stdlib")
KNOWN_BUGS_FILE = SCENARIO_ROOT / "known_bugs.toml"


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def known_bugs() -> dict[str, str]:
    """Scenario path (from the repository root) -> the engine bug it shows."""
    with KNOWN_BUGS_FILE.open("rb") as file:
        bugs = tomllib.load(file).get("bugs", {})
    assert all(isinstance(reason, str) and reason for reason in bugs.values())
    return dict(bugs)


KNOWN_BUGS = known_bugs()
SCENARIOS = sorted(path for folder in SCENARIO_DIRS for path in folder.rglob("*.scenario.yaml"))
CONTRACTS = sorted(p for folder in SCENARIO_DIRS for p in folder.rglob("*.clause"))


def scenario_params() -> list[pytest.ParameterSet]:
    """One parameter per scenario, id'd by its path; known bugs are strict xfails."""
    params = []
    for path in SCENARIOS:
        bug = KNOWN_BUGS.get(relative(path))
        marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
        params.append(pytest.param(path, id=relative(path), marks=marks))
    return params


@cache
def outcome(path: Path, engine: str) -> Outcome:
    """Each scenario runs once per engine per session; three tests read the result."""
    return run_scenario(path, engine)


def skipped(result: Outcome) -> bool:
    return result.message.startswith("skipped")


# ---------------------------------------------------------------- expected events


@pytest.mark.parametrize("path", scenario_params())
def test_compiled(path: Path) -> None:
    assert "compiled" in load_scenario(path).engines, "every scenario must run on compiled"
    result = outcome(path, "compiled")
    assert not skipped(result), f"the compiled matcher must never skip: {result.message}"
    assert result.passed, result.message


@pytest.mark.parametrize("path", scenario_params())
def test_rete(path: Path) -> None:
    if "rete" not in load_scenario(path).engines:
        pytest.skip("the scenario does not run on rete")
    result = outcome(path, "rete")
    if skipped(result):
        pytest.skip(result.message)
    assert result.passed, result.message


# ---------------------------------------------------------------- differential


@pytest.mark.parametrize("path", [pytest.param(p, id=relative(p)) for p in SCENARIOS])
def test_engines_agree(path: Path) -> None:
    if "rete" not in load_scenario(path).engines:
        pytest.skip("the scenario does not run on rete")
    compiled, rete = outcome(path, "compiled"), outcome(path, "rete")
    if skipped(rete):
        pytest.skip(rete.message)
    assert compiled.actual == rete.actual, "compiled and rete fired different events"


# ---------------------------------------------------------------- the files themselves


@pytest.mark.parametrize("path", [pytest.param(p, id=relative(p)) for p in CONTRACTS])
def test_contract_compiles(path: Path) -> None:
    """Every contract, template or amendment next to scenarios checks without errors."""
    result = compile_contract(path)
    assert result.ok, render_all(result.diagnostics, result.sources)


def test_known_bugs_name_scenarios() -> None:
    missing = sorted(set(KNOWN_BUGS) - {relative(p) for p in SCENARIOS})
    assert not missing, f"known_bugs.toml names scenarios that do not exist: {missing}"
