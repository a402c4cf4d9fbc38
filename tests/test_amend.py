"""Amendments on a running, durable contract: the version chain is in the hash-chained ledger,
a restart (full replay or snapshot) loads it again, and the command line loads amendments.

The engine semantics (effective date, migration, windows priced by their start) are tested by
the scenario files in tests/scenarios/amendments/; this file covers what they cannot."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clausec.cli import main
from clausec.compiler import compile_amendment, compile_or_raise
from runtime.durable import DurableEngine
from runtime.engine import Engine, EngineError
from runtime.store import StoreError, open_store, verify

HERE = Path(__file__).resolve().parent / "scenarios" / "amendments"
CONTRACT = HERE / "contract.clause"
AMENDMENT = HERE / "amendment_1.clause"
BASE = compile_or_raise(CONTRACT)
AMENDED = compile_amendment(AMENDMENT).amended
FACTS = [
    {
        "id": "dt-jun",
        "type": "downtime",
        "ticket": "MP-5521",
        "start": "2026-06-10T10:00:00+02:00",
        "end": "2026-06-10T12:00:00+02:00",
    },
    {
        "id": "dt-jul",
        "type": "downtime",
        "ticket": "MP-5790",
        "start": "2026-07-14T10:00:00+02:00",
        "end": "2026-07-14T10:30:00+02:00",
    },
    {
        "id": "cap-jul",
        "type": "capacity_report",
        "month": "2026-07",
        "at": "2026-08-05T09:00:00+02:00",
    },
    {"id": "ho-c12", "type": "handover", "cage": "C-12", "at": "2026-10-02T10:00:00+02:00"},
]
END = datetime(2026, 10, 5, tzinfo=UTC)


def dump(events: list[Any]) -> list[str]:
    return [re.sub(r" at 0x[0-9a-f]+", "", e.model_dump_json()) for e in events]


def in_memory() -> list[str]:
    engine = Engine(BASE)
    engine.amend(AMENDED)
    for fact in FACTS:
        engine.ingest([fact])
    engine.advance_to(END)
    return dump(engine.events())


def test_the_amended_bundle_carries_its_amendment() -> None:
    assert AMENDED is not None and AMENDED.amendment is not None
    assert (AMENDED.header.version, AMENDED.amendment.effective) == (2, "2026-07-01")
    assert [(m.obligation, m.to) for m in AMENDED.amendment.migrations] == [
        ("cage_handover", "cage_handover")
    ]
    assert BASE.amendment is None and '"amendment"' not in BASE.canonical_json()


@pytest.mark.parametrize("every", [0, 1])
def test_the_version_chain_is_in_the_ledger_and_replays(store_url: str, every: int) -> None:
    engine = DurableEngine(BASE, open_store(store_url), snapshot_every=every)
    engine.amend(AMENDED)
    for fact in FACTS:
        engine.ingest([fact])
    engine.advance_to(END)
    assert dump(engine.events()) == in_memory()
    engine.close()
    store = open_store(store_url)
    chain = [json.loads(r.payload) for r in store.rows() if r.kind in ("bundle", "amendment")]
    assert [(c["version"], c.get("effective")) for c in chain] == [(1, None), (2, "2026-07-01")]
    assert [c["hash"] for c in chain] == [BASE.hash, AMENDED.hash]
    assert verify(store) == []
    again = DurableEngine(BASE, store, snapshot_every=every)
    assert dump(again.events()) == in_memory()
    assert (again.restored_from > 0) == bool(every)
    assert again.engine.ctx.bundle.header.version == 2


def test_opening_with_the_amended_bundle_starts_from_the_original(store_url: str) -> None:
    engine = DurableEngine(BASE, open_store(store_url))
    engine.amend(AMENDED)
    engine.close()
    again = DurableEngine(AMENDED, open_store(store_url))
    assert again.bundle.hash == BASE.hash
    assert again.engine.latest_version == 2


def test_an_amendment_alone_is_not_a_contract(store_url: str) -> None:
    with pytest.raises(StoreError, match="load the contract first"):
        DurableEngine(AMENDED, open_store(store_url))


def test_an_amendment_twice_or_out_of_order_is_refused() -> None:
    engine = Engine(BASE)
    engine.amend(AMENDED)
    with pytest.raises(EngineError, match="amends version 1, but the contract is at version 2"):
        engine.amend(AMENDED)
    with pytest.raises(EngineError, match="a contract, not an amendment"):
        engine.amend(BASE)


def test_run_and_report_load_amendments(tmp_path: Path) -> None:
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(f) + "\n" for f in FACTS))
    runner = CliRunner()
    common = [
        str(CONTRACT),
        "--facts",
        str(facts),
        "--until",
        "2026-10-05",
        "--amend",
        str(AMENDMENT),
    ]
    ran = runner.invoke(main, ["run", *common, "--format", "json"])
    assert ran.exit_code == 0, ran.output
    events = json.loads(ran.stdout)
    assert [json.dumps(e, separators=(",", ":")) for e in events] == [
        json.dumps(json.loads(e), separators=(",", ":")) for e in in_memory()
    ]
    store = tmp_path / "colo.db"
    for _ in range(2):  # the second run finds the amendment in the store and skips it
        stored = runner.invoke(main, ["run", *common, "--store", str(store)])
        assert stored.exit_code == 0, stored.output
    history = runner.invoke(main, ["ledger", "history", str(store)])
    assert history.exit_code == 0, history.output
    assert "version 2" in history.stdout and "2026-07-01" in history.stdout
    report = runner.invoke(main, ["report", *common, "--format", "json"])
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["owed"] == {
        "customer": {"amount": "5700.00", "currency": "EUR"}
    }


def test_a_folder_run_loads_the_amendments_beside_their_contracts(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    for source in (CONTRACT, AMENDMENT):
        (folder / source.name).write_text(source.read_text())
    facts = tmp_path / "feed.jsonl"
    facts.write_text("".join(json.dumps(dict(f, contract="KLM-COLO-2026")) + "\n" for f in FACTS))
    store = str(tmp_path / "portfolio.db")
    runner = CliRunner()
    ran = runner.invoke(
        main,
        [
            "run",
            str(folder),
            "--facts",
            str(facts),
            "--until",
            "2026-10-05",
            "--store",
            store,
            "--format",
            "json",
        ],
    )
    assert ran.exit_code == 0, ran.output
    assert [json.dumps(e, separators=(",", ":")) for e in json.loads(ran.stdout)] == [
        json.dumps(json.loads(e), separators=(",", ":")) for e in in_memory()
    ]
    status = runner.invoke(main, ["status", store, "--format", "json"])
    assert json.loads(status.stdout)[0]["version"] == 2


def test_an_amendment_names_a_template_clause_by_its_instance(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "examples/hardware_supply/contract.clause"
    (tmp_path / "contract.clause").write_text(source.read_text())
    (tmp_path / "amendment_1.clause").write_text(
        'amendment "Hardware Supply Agreement, Amendment No. 1" {\n'
        '  amends "ACME-HW-2026-07" version 1\n  version 2\n  effective 2026-05-01\n'
        '  migrate lot2.deliver to lot2.deliver "lot 2 re-planned with the new rack layout"\n}\n'
    )
    amended = compile_amendment(tmp_path / "amendment_1.clause").amended
    assert amended is not None and amended.amendment is not None
    assert [(m.obligation, m.to) for m in amended.amendment.migrations] == [
        ("lot2.deliver", "lot2.deliver")
    ]
    engine = Engine(compile_or_raise(tmp_path / "contract.clause"))
    engine.amend(amended)
    events = engine.advance_to(datetime(2026, 5, 2, tzinfo=UTC))
    moved = [(e.kind, e.instance) for e in events if e.clause == "lot2.deliver"]
    assert ("obligation.discharged", "lot2.deliver") in moved
    assert ("obligation.created", "lot2.deliver@v2") in moved
