"""The parties' decisions on a stored contract: `clausec exercise`, `clausec discharge` and
`DurableEngine.exercise(..., at=)`, and how `clausec report --store` and `clausec status` show
them.

The hardware supply example: lot 1 is accepted 26 days late and lot 2 never comes, so on
2026-07-30 16:00 CEST the buyer may terminate for lot 2 (more than 30 days late), within 60
days. The buyer terminates on 2026-08-10 10:00 CEST: the contract ends, lot 2's damages are
settled (6,200.00 EUR after the aggregate cap) and the close-out duties start."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from clausec.cli import main
from clausec.compiler import compile_or_raise
from runtime.durable import DurableEngine
from runtime.engine import Engine, EngineError
from runtime.store import open_store

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "examples/hardware_supply/contract.clause"
LOT1 = {"id": "del-0412", "type": "delivery", "order": "PO-2026-0412",
        "at": "2026-05-11T12:00:00+02:00", "accepted": True}
POWER = "lot2.deliver/lot2.deliver:terminate"
TERMINATED = datetime(2026, 8, 10, 8, 0, tzinfo=UTC)


def clausec(*args: str) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture()
def store(tmp_path: Path) -> str:
    """A store whose contract has run to 1 August, the right to terminate open."""
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps(LOT1) + "\n", encoding="utf-8")
    path = str(tmp_path / "hardware.db")
    done = clausec("run", CONTRACT, "--facts", facts, "--until", "2026-08-01", "--store", path)
    assert done.exit_code == 0, done.output
    return path


def report(store: str) -> dict[str, Any]:
    done = clausec("report", CONTRACT, "--store", store, "--format", "json")
    assert done.exit_code == 0, done.output
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def ledger_rows(store: str) -> int:
    opened = open_store(store)
    try:
        return len(list(opened.rows()))
    finally:
        opened.close()


def test_the_report_names_an_open_right_and_exercising_it_closes_it(store: str) -> None:
    (right,) = report(store)["rights"]
    assert right["name"] == POWER and right["exercised"] == "" and right["expires"] == "2026-09-28"
    done = clausec("exercise", CONTRACT, POWER, "--store", store, "--at",
                   "2026-08-10T10:00+0200", "--note", "Letter ref. AC-LEG-2026-114",
                   "--format", "json")
    assert done.exit_code == 0, done.output
    fired = json.loads(done.stdout)
    assert fired[0]["kind"] == "power.exercised" and fired[0]["time"] == "2026-08-10T08:00:00Z"
    assert fired[0]["explanation"]["summary"].endswith(": Letter ref. AC-LEG-2026-114")
    closeout = next(e for e in fired if e["kind"] == "closeout")
    assert closeout["amount"] == "24800.00 EUR"
    explained = clausec("explain", CONTRACT, "closeout:closeout", "--store", store)
    assert explained.exit_code == 0, explained.output
    assert "lot2.deliver (damages): 6200.00 EUR" in explained.stdout
    (right,) = report(store)["rights"]
    assert right["exercised"] == "2026-08-10"
    text = clausec("report", CONTRACT, "--store", store).stdout
    exercised = text[text.index("Rights exercised") : text.index("Rights that lapsed")]
    assert "lot2.deliver" in exercised and "2026-08-10" in exercised
    status = clausec("status", store, "--within", "60", "--format", "json")
    assert json.loads(status.stdout)[0]["lapsing"] == []  # exercised: it cannot lapse


def test_the_store_holds_the_same_history_as_an_engine_told_the_same(store: str) -> None:
    assert clausec("exercise", CONTRACT, POWER, "--store", store, "--at", "2026-08-10T08:00+0000"
                   ).exit_code == 0
    memory = Engine.load(CONTRACT)
    memory.ingest([LOT1])
    memory.advance_to(datetime(2026, 8, 1, tzinfo=UTC))
    memory.advance_to(TERMINATED)
    memory.exercise(POWER)
    reopened = DurableEngine.open(CONTRACT, store)
    try:
        assert [e.model_dump() for e in reopened.events()] == [
            e.model_dump() for e in memory.events()
        ]
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exercise", "lot2.deliver/lot2.deliver:renegotiate", "--at", "2026-08-10"],
         "no power 'lot2.deliver/lot2.deliver:renegotiate'; open powers: " + POWER),
        (["exercise", POWER, "--at", "2026-07-01"], "a decision cannot be recorded earlier"),
        (["discharge", "lot9.deliver", "--reason", "waived", "--at", "2026-08-10"],
         "no obligation 'lot9.deliver'"),
    ],
)
def test_a_refused_decision_records_nothing_not_even_its_clock(
    store: str, args: list[str], message: str
) -> None:
    before = ledger_rows(store)
    done = clausec(args[0], CONTRACT, *args[1:], "--store", store)
    assert done.exit_code == 2 and message in done.output, done.output
    assert ledger_rows(store) == before
    assert report(store)["clock"].startswith("2026-08-01")


def test_tables_print_ids_and_notes_as_written(store: str) -> None:
    """Nothing a contract or a party writes is read as rich markup: an instance id keeps its
    brackets, and a note with a closing tag in it is printed, not a crash."""
    text = clausec("report", CONTRACT, "--store", store).stdout
    assert "late_lot2.recovery_plan[lot2.deliver]" in text
    done = clausec("exercise", CONTRACT, POWER, "--store", store, "--note", "per letter [/ref] 114")
    assert done.exit_code == 0, done.output
    assert "per letter [/ref] 114" in done.stdout


def test_a_right_is_exercised_once(store: str) -> None:
    assert clausec("exercise", CONTRACT, POWER, "--store", store).exit_code == 0
    again = clausec("exercise", CONTRACT, POWER, "--store", store)
    assert again.exit_code == 2 and "was already exercised" in again.output


def test_discharge_waives_an_open_obligation_once(store: str) -> None:
    duty = "late_lot2.recovery_plan[lot2.deliver]"
    assert any(d["obligation"] == duty for d in report(store)["duties"])
    done = clausec("discharge", CONTRACT, duty, "--reason", "waived at the steering meeting",
                   "--store", store, "--at", "2026-08-03", "--format", "json")
    assert done.exit_code == 0, done.output
    (event,) = [e for e in json.loads(done.stdout) if e["kind"] == "obligation.discharged"]
    assert event["time"] == "2026-08-03T00:00:00Z"
    assert event["explanation"]["values"]["reason"] == "waived at the steering meeting"
    assert all(d["obligation"] != duty for d in report(store)["duties"])
    again = clausec("discharge", CONTRACT, duty, "--reason", "again", "--store", store)
    assert again.exit_code == 2 and "only an open obligation can be discharged" in again.output


def test_a_decision_needs_a_store_that_holds_the_contract(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    done = clausec("exercise", CONTRACT, POWER, "--store", missing)
    assert done.exit_code == 2 and f"no such store: {missing}" in done.output
    assert not missing.exists()
    other = tmp_path / "other.db"
    ran = clausec("run", ROOT / "examples/managed_hosting/contract.clause", "--store", other)
    assert ran.exit_code == 0, ran.output
    before = ledger_rows(str(other))
    done = clausec("exercise", CONTRACT, POWER, "--store", other)
    assert done.exit_code == 2 and "does not hold contract ACME-HW-2026-07" in done.output
    assert ledger_rows(str(other)) == before


@pytest.mark.parametrize("command", [["report"], ["explain", "closeout:closeout"]])
def test_reading_a_store_adds_nothing_to_it(store: str, command: list[str]) -> None:
    before = ledger_rows(store)
    done = clausec(
        command[0], CONTRACT, *command[1:], "--store", store, "--until", "2026-09-01"
    )
    assert done.exit_code == 2 and "--store reads what the store holds" in done.output
    assert report(store)["clock"].startswith("2026-08-01")
    assert ledger_rows(store) == before


def test_a_refused_exercise_at_a_later_time_leaves_the_engine_usable(store_url: str) -> None:
    """Through the API, on both stores: the clock input before a refused exercise is not
    kept, and the engine rebuilds itself from the store before its next input."""
    bundle = compile_or_raise(CONTRACT)
    engine = DurableEngine(bundle, open_store(store_url))
    try:
        engine.ingest([LOT1])
        with pytest.raises(EngineError, match=r"no power 'lot2\.deliver/nothing'"):
            engine.exercise("lot2.deliver/nothing", at=TERMINATED)
        assert engine.clock < TERMINATED
        fired = [e.kind for e in engine.exercise(POWER, "by letter", at=TERMINATED)]
        assert fired.index("power.granted") < fired.index("power.exercised")  # the move grants
        assert engine.clock == TERMINATED
    finally:
        engine.close()
    reopened = DurableEngine(bundle, open_store(store_url))
    try:
        assert reopened.clock == TERMINATED
        assert [e.kind for e in reopened.events()].count("power.exercised") == 1
    finally:
        reopened.close()


def test_a_snapshot_after_a_refused_decision_holds_only_what_the_store_holds(
    tmp_path: Path,
) -> None:
    """The refused decision's clock move never reached the store, so a snapshot taken next
    must not carry it: restart from the snapshot equals a replay of the ledger."""
    bundle = compile_or_raise(CONTRACT)
    path = tmp_path / "store.db"
    engine = DurableEngine(bundle, open_store(path))
    engine.ingest([LOT1])
    with pytest.raises(EngineError):
        engine.exercise("lot2.deliver/nothing", at=TERMINATED)
    engine.snapshot()
    engine.close()
    restored = DurableEngine(bundle, open_store(path))
    replayed = DurableEngine(bundle, open_store(path), snapshot_every=0)
    try:
        assert restored.restored_from > 0 and replayed.restored_from == 0
        assert restored.clock == replayed.clock < TERMINATED
        assert [e.id for e in restored.events()] == [e.id for e in replayed.events()]
    finally:
        restored.close()
        replayed.close()


@pytest.mark.parametrize(
    "command",
    [
        ["ledger", "verify"],
        ["ledger", "history"],
        ["status"],
        ["report", str(CONTRACT), "--store"],
        ["exercise", str(CONTRACT), POWER, "--store"],
    ],
    ids=lambda c: " ".join(c[:2]) if c[0] == "ledger" else c[0],
)
@pytest.mark.parametrize("scheme", ["", "sqlite:///"])
def test_a_missing_store_is_named_and_not_created(
    tmp_path: Path, command: list[str], scheme: str
) -> None:
    """A mistyped path must not pass as an empty store (`ledger verify` said 'ledger ok: 0
    rows' and exited 0), and must not be created."""
    missing = tmp_path / "mistyped.db"
    done = clausec(*command, f"{scheme}{missing}")
    assert done.exit_code == 2 and "no such store" in done.output, done.output
    assert not missing.exists()
