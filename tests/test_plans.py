"""Joint working plans at run time (runtime/plans.py), on both matchers: what the scenario files
in tests/scenarios/plans/ do not compare. Each plan event explains itself (the plan's
reference, source and text, the facts used, the values, the parties), a goal is owned on its
own side, the plan's `violated` event is what the escalation cites, and a goal's KPI follows
its metric's `missing` policy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from clausec.compiler import compile_or_raise
from runtime.engine import Engine
from runtime.events import Event
from runtime.scenario import load_scenario, play

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "scenarios" / "plans"
ENGINES = ["compiled", "rete"]


def events_of(scenario: str, engine: str) -> list[Event]:
    events, problem = play(load_scenario(PLANS / scenario), PLANS, engine)
    assert not problem, problem
    return events


def one(events: list[Event], kind: str, instance: str) -> Event:
    found = [e for e in events if e.kind == kind and e.instance == instance]
    assert len(found) == 1, [e.line() for e in found]
    return found[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_checkpoint_events_cite_the_plan(engine: str) -> None:
    events = events_of("monthly_review_missed.scenario.yaml", engine)
    violated = one(events, "obligation.violated", "warehouse_improvement.hold[2026-02]")
    assert violated.clause == "warehouse_improvement.hold"
    assert violated.ref == "Sched. 5"
    assert violated.span.endswith("contract.clause:38:3")
    assert violated.explanation.clause_text.startswith("plan warehouse_improvement")
    assert violated.parties == {
        "debtor": "supplier",
        "creditor": None,
        "owner": "supply_chain_director",
        "inform": ["account_director"],
    }
    assert violated.explanation.values["blame"] == "supplier"
    assert violated.explanation.values["evidence awaited"] == "review_minutes"
    fulfilled = one(events, "obligation.fulfilled", "warehouse_improvement.hold[2026-01]")
    assert fulfilled.explanation.facts == ["min-01"]
    # The ladder follows from the plan's `violated` event: it cites the checkpoint's.
    reminder = one(events, "escalation", "warehouse_improvement.hold[2026-02]:reminder")
    assert reminder.explanation.causes == [violated.id]


@pytest.mark.parametrize("engine", ENGINES)
def test_goals_are_owned_on_each_side_and_explained(engine: str) -> None:
    events = events_of("goals_owned_on_both_sides.scenario.yaml", engine)
    picks = one(events, "assessment", "2026-01/Pick accuracy of at least 99%")
    forecasts = one(events, "assessment", "2026-01/Forecasts at least 5 days ahead")
    roles = {r.name: r.party for r in compile_or_raise(PLANS / "contract.clause").roles}
    assert roles[picks.parties["owner"]] == "supplier"
    assert roles[forecasts.parties["owner"]] == "buyer"
    assert picks.parties["plan owner"] == "supply_chain_director"
    assert (picks.clause, picks.ref, picks.verdict) == ("warehouse_improvement", "Sched. 5", "met")
    assert picks.explanation.facts == ["pr-01a", "pr-01b"]
    assert picks.explanation.values["pick_accuracy"] == "99.1%"
    assert forecasts.explanation.values["forecast_lead"] == "4.5"
    restated = one(events, "restatement", "2026-02/Pick accuracy of at least 99%")
    first = one(events, "assessment", "2026-02/Pick accuracy of at least 99%")
    assert restated.explanation.causes == [first.id]
    assert restated.explanation.facts == ["pr-02c"]
    assert restated.explanation.values["pick_accuracy"] == "99.167%"
    undetermined = one(events, "assessment", "2026-03/Pick accuracy of at least 99%")
    assert "pick_report" in undetermined.explanation.values["missing"]


@pytest.mark.parametrize(("policy", "verdict"), [("breach", "missed"), ("compliant", "met")])
def test_a_goal_without_data_follows_the_missing_policy(
    policy: str, verdict: str, tmp_path: Path
) -> None:
    text = (PLANS / "contract.clause").read_text(encoding="utf-8")
    changed = text.replace("grace 3 days", f"grace 3 days\n    missing {policy}", 1)
    assert changed != text
    path = tmp_path / "contract.clause"
    path.write_text(changed, encoding="utf-8")
    engine = Engine.load(path)
    events = engine.advance_to(datetime(2026, 2, 10, tzinfo=UTC))
    picks = one(events, "assessment", "2026-01/Pick accuracy of at least 99%")
    forecasts = one(events, "assessment", "2026-01/Forecasts at least 5 days ahead")
    assert (picks.verdict, forecasts.verdict) == (verdict, "undetermined")
    engine.close()
