"""`clausec report`: the position a contract manager reads, checked against the events it sums.

The flagship's facts make no claims, so its three uptime credits are forfeited when their claim
windows close: the report must say how much was lost that way, not only what is still owed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from clausec.cli import main
from runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "examples/managed_hosting"
ARGS = [str(FLAGSHIP / "contract.clause"), "--facts", str(FLAGSHIP / "facts.jsonl"),
        "--until", "2026-07-10"]


def forfeited_in_events() -> Decimal:
    engine = Engine.load(FLAGSHIP / "contract.clause")
    engine.ingest(json.loads(line) for line in (FLAGSHIP / "facts.jsonl").read_text().splitlines())
    engine.advance_to(datetime(2026, 7, 10, tzinfo=UTC))
    return -sum(
        (Decimal(e.amount.split()[0]) for e in engine.events()
         if e.kind == "credit" and (e.instance or "").startswith("forfeited:")),
        Decimal(0),
    )


def test_the_report_names_the_credits_forfeited() -> None:
    lost = forfeited_in_events()
    assert lost > 0
    shown = CliRunner().invoke(main, ["report", *ARGS, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["forfeited"] == {
        "buyer": {"amount": f"{lost:.2f}", "currency": "EUR"}
    }
    text = CliRunner().invoke(main, ["report", *ARGS])
    assert f"{lost:.2f} EUR of credits forfeited by buyer" in text.stdout
