"""A portfolio: many contracts in one store (SQLite and PostgreSQL), one fact stream routed by
contract id, a batch applied whole or not at all, and `clausec run DIR` / `clausec status`.

Expected figures are never typed in here: a portfolio must give, contract by contract, exactly
what each contract gives run alone in memory."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clausec import cli_portfolio
from clausec.cli import main
from clausec.cli_run import BATCH as CLI_BATCH
from clausec.compiler import compile_or_raise
from runtime.collector import THRESHOLDS
from runtime.engine import Engine
from runtime.facts import FactError
from runtime.portfolio import Portfolio
from runtime.report import build_report
from runtime.store import open_store, verify

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("managed_hosting", "it_outsourcing", "hardware_supply")
UNTIL = datetime(2026, 7, 10, tzinfo=UTC)
BATCH = 50


def example(name: str) -> tuple[Any, list[dict[str, Any]]]:
    folder = ROOT / "examples" / name
    bundle = compile_or_raise(folder / "contract.clause")
    lines = (folder / "facts.jsonl").read_text().splitlines()
    facts = [dict(json.loads(line), contract=bundle.header.id) for line in lines if line.strip()]
    return bundle, [f for f in facts if known(f)]


def known(fact: dict[str, Any]) -> bool:
    """Facts whose times are all before UNTIL: the feed as it stood then."""
    times = []
    for value in fact.values():
        try:
            times.append(datetime.fromisoformat(str(value)))
        except ValueError:
            continue
    return all(t <= UNTIL for t in times if t.tzinfo)


EXAMPLES = {name: example(name) for name in FOLDERS}


def stream() -> list[dict[str, Any]]:
    """The examples' facts interleaved by fact id order, as one feed would bring them (so
    some arrive after later ones of their contract: restatements)."""
    merged = [f for _, facts in EXAMPLES.values() for f in facts]
    return sorted(merged, key=lambda f: (str(f["id"]), str(f["contract"])))


def batches(size: int = BATCH) -> list[list[dict[str, Any]]]:
    feed = stream()
    return [feed[start:start + size] for start in range(0, len(feed), size)]


def run_alone(name: str, size: int = BATCH) -> Engine:
    """One contract in memory, given its share of each batch of the feed."""
    bundle, _ = EXAMPLES[name]
    engine = Engine(bundle)
    for batch in batches(size):
        engine.ingest([f for f in batch if f["contract"] == bundle.header.id])
    engine.advance_to(UNTIL)
    return engine


def alone(name: str, size: int = BATCH) -> list[dict[str, Any]]:
    return [e.model_dump() for e in run_alone(name, size).events()]


def loaded(url: str) -> Portfolio:
    portfolio = Portfolio.open(url)
    for bundle, _ in EXAMPLES.values():
        portfolio.load(bundle)
    return portfolio


def test_routed_facts_give_what_each_contract_gives_alone(store_url: str) -> None:
    portfolio = loaded(store_url)
    for batch in batches():
        portfolio.ingest(batch)
    portfolio.advance_to(UNTIL)
    for name, (bundle, _) in EXAMPLES.items():
        got = [e.model_dump() for e in portfolio.contracts[bundle.header.id].events()]
        assert got == alone(name), name
    assert verify(portfolio.store) == []
    portfolio.close()
    again = Portfolio.open(store_url)
    assert again.load_stored() == sorted(b.header.id for b, _ in EXAMPLES.values())
    for name, (bundle, _) in EXAMPLES.items():
        got = [e.model_dump() for e in again.contracts[bundle.header.id].events()]
        assert got == alone(name), f"{name} after a restart"


def ledger_rows(url: str) -> int:
    store = open_store(url)
    count = sum(1 for _ in store.rows())
    store.close()
    return count


@pytest.mark.parametrize(("bad", "words"), [
    ({"contract": "NO-SUCH-2026"}, "no contract 'NO-SUCH-2026' here"),
    ({"contract": None}, "which contract?"),
    ({"ticket": 17}, "ticket"),  # a schema error in one contract's fact
])
def test_a_bad_fact_for_one_contract_applies_nothing_to_any(store_url: str,
                                                            bad: dict[str, Any],
                                                            words: str) -> None:
    portfolio = loaded(store_url)
    before = ledger_rows(store_url)
    good = [f for _, facts in EXAMPLES.values() for f in facts[:3]]
    spoiled = dict(EXAMPLES["managed_hosting"][1][0], id="spoiled", **bad)
    if spoiled.get("contract") is None:
        spoiled.pop("contract")
    with pytest.raises(FactError, match=words):
        portfolio.ingest([*good, spoiled])
    assert ledger_rows(store_url) == before
    assert all(not e.events() or e.engine.seen == set() for e in portfolio.contracts.values())
    portfolio.ingest(good)  # the same batch without the bad fact lands whole
    assert ledger_rows(store_url) > before


def test_facts_validated_before_another_writers_are_validated_again(tmp_path: Path) -> None:
    """Two services on one store: the second validated its batch before catching up with the
    first's rows inside its transaction, so the facts the first applied are duplicates now."""
    url = str(tmp_path / "shared.db")
    first, second = loaded(url), loaded(url)
    facts = EXAMPLES["managed_hosting"][1][:3]
    first.ingest(facts)
    before = ledger_rows(url)
    with pytest.raises(FactError, match="duplicate fact id"):
        second.ingest(facts)
    assert ledger_rows(url) == before


def test_a_lone_contract_needs_no_contract_field(tmp_path: Path) -> None:
    bundle, facts = EXAMPLES["managed_hosting"]
    portfolio = Portfolio.open(tmp_path / "one.db")
    portfolio.load(bundle)
    portfolio.ingest([{k: v for k, v in f.items() if k != "contract"} for f in facts])
    assert len(portfolio.contracts[bundle.header.id].engine.seen) == len(facts)


def watch_collector(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """The collector's thresholds each time the CLI enters the real `service_collector`."""
    entered: list[tuple[int, int, int]] = []
    real = cli_portfolio.service_collector

    @contextmanager
    def watched() -> Iterator[None]:
        with real():
            entered.append(gc.get_threshold())
            yield

    monkeypatch.setattr(cli_portfolio, "service_collector", watched)
    return entered


def portfolio_folder(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "contracts"
    for name in FOLDERS:
        (folder / name).mkdir(parents=True)
        source = ROOT / "examples" / name / "contract.clause"  # amendments: see test_amend
        (folder / name / source.name).write_text(source.read_text())
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(f) + "\n" for f in stream()))
    return folder, feed


def test_run_a_folder_into_a_store_then_status(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, feed = portfolio_folder(tmp_path)
    runner = CliRunner()
    args = ["run", str(folder), "--facts", str(feed), "--until", "2026-07-10",
            "--store", store_url, "--format", "json"]
    collector, entered = gc.get_threshold(), watch_collector(monkeypatch)
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    # It ingests within service_collector(), and leaves the process's collector as it was.
    assert entered == [THRESHOLDS]
    assert gc.get_threshold() == collector and gc.get_freeze_count() == 0
    events = json.loads(first.stdout)
    expected = sorted((e for name in FOLDERS for e in alone(name, CLI_BATCH)),
                      key=lambda e: (e["contract"], e["seq"]))
    assert sorted(events, key=lambda e: (e["contract"], e["seq"])) == expected
    second = runner.invoke(main, args)  # the same feed again: nothing new, same events
    assert second.exit_code == 0 and json.loads(second.stdout) == events
    # A fact that comes back changed under its id is a correction, refused whole.
    lines = feed.read_text(encoding="utf-8").splitlines()
    first_fact = json.loads(lines[0])
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join([json.dumps({**first_fact, "ref_note": 1}), *lines[1:]]) + "\n")
    refused = runner.invoke(main, [*args[:3], str(changed), *args[4:]])
    assert refused.exit_code == 2 and f"none applied: {first_fact['id']}" in refused.output
    assert runner.invoke(main, args).stdout == second.stdout
    status = runner.invoke(main, ["status", store_url, "--format", "json", "--within", "90"])
    assert status.exit_code == 0, status.output
    by_contract = {s["contract"]: s for s in json.loads(status.stdout)}
    for name, (bundle, _) in EXAMPLES.items():
        report = build_report(run_alone(name, CLI_BATCH))
        shown = by_contract[bundle.header.id]
        assert shown["credits_due"] == str(report.money["credit"])
        assert shown["open_obligations"] == len(report.duties)
        assert shown["owed"] == {p: str(m) for p, m in sorted(report.owed.items())}
        assert shown["clock"] == UNTIL.isoformat()
    text = runner.invoke(main, ["status", store_url])
    assert text.exit_code == 0 and "Rights that lapse within 30 days" in text.stdout


def test_status_of_a_missing_or_foreign_store_is_a_usage_error(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["status", str(tmp_path / "nothing.db")])
    assert missing.exit_code == 2 and "no such store" in missing.output
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database\n" * 100)
    refused = runner.invoke(main, ["status", str(foreign)])
    assert refused.exit_code == 2 and "not a usable SQLite database" in refused.output
    assert foreign.read_text() == "not a database\n" * 100
