"""`clausec run DIR --store URL` and `clausec status STORE`: a folder of contracts in one store.

`run` with a folder compiles every contract in it, loads them into one store (a SQLite file or
a PostgreSQL URL; in memory without `--store`), routes the facts file by each fact's `contract`
id and prints the events with the contract they belong to. `status` reads a store alone and
shows, per contract, what a contract manager acts on: open and overdue obligations, credits
due, penalties owed, and rights about to lapse.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from clausec import ir
from clausec.cli_run import (
    ENGINE,
    _batches,
    input_errors,
    read_facts,
    refuse_changed,
    require_store,
    text_table,
)
from runtime.collector import service_collector
from runtime.engine import EngineError
from runtime.events import Event
from runtime.money import Money
from runtime.portfolio import Portfolio
from runtime.report import build_report
from runtime.store import StoreError

PENALTY_KINDS = ("penalty", "damages", "interest")


def compile_folder(folder: Path) -> list[ir.Bundle]:
    """Every contract in a folder, then every amendment in it (as the next version's bundle,
    in version order); any error stops the run with the diagnostics, as `clausec check`
    prints them."""
    from clausec.cli import UsageError, clause_files, emit_diagnostics
    from clausec.compiler import compile_contract

    results = [compile_contract(path) for path in clause_files([str(folder)])]
    failed = [r for r in results if not r.ok]
    if failed:
        emit_diagnostics(failed, "text", err=True)
        raise SystemExit(1)
    bundles = [r.bundle for r in results if r.bundle is not None]
    bundles += sorted(
        (r.amended for r in results if r.amended is not None),
        key=lambda b: (b.header.id, b.header.version),
    )
    ids = [b.header.id for b in bundles if b.amendment is None]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise UsageError(f"more than one contract in {folder} has the id {', '.join(twice)}")
    if not bundles:
        raise UsageError(f"no contract in {folder}")
    return bundles


def open_portfolio(store: str, engine: str) -> Portfolio:
    from clausec.cli import UsageError

    try:
        return Portfolio.open(store, engine)
    except (StoreError, EngineError) as error:
        raise UsageError(str(error)) from error


def run_portfolio(
    folder: Path, facts_path: str | None, until: datetime | None, engine: str, store: str | None
) -> Portfolio:

    bundles = compile_folder(folder)
    portfolio = open_portfolio(store or ":memory:", engine)
    with input_errors():
        for bundle in bundles:
            if bundle.amendment is None:
                portfolio.load(bundle)
            elif (
                bundle.header.version > portfolio.contracts[bundle.header.id].engine.latest_version
            ):
                portfolio.contracts[bundle.header.id].amend(bundle)
        facts = _unseen(portfolio, read_facts(Path(facts_path)) if facts_path else [])
        if until is not None:
            facts = [f for f in facts if _time_known(f, until)]
        with service_collector():  # the contracts are loaded: the collector need not walk them
            for batch in _batches(facts):
                portfolio.ingest(batch)
            if until is not None:
                portfolio.advance_to(until)
    return portfolio


def _time_known(fact: dict[str, Any], until: datetime) -> bool:
    """As of `until`: a fact whose date-times all fall after it is not known yet."""
    times = [_when(v) for v in fact.values() if isinstance(v, str)]
    known = [t for t in times if t is not None]
    return not known or max(known) <= until


def _when(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def portfolio_table(events: list[tuple[str, Event]]) -> Table:
    return text_table(
        ("time (UTC)", "contract", "kind", "clause", "amount", "what"),
        (
            (
                event.time[:16].replace("T", " "),
                contract,
                event.kind,
                event.clause + (f" ({event.ref})" if event.ref else ""),
                event.amount or "",
                event.explanation.summary,
            )
            for contract, event in events
        ),
    )


# ------------------------------------------------------------------ status


@dataclass
class Lapsing:
    contract: str
    clause: str
    holder: str
    right: str
    expires: str


@dataclass
class ContractStatus:
    contract: str
    title: str
    version: int
    clock: str
    open_obligations: int
    overdue: int
    credits_due: str
    penalties_owed: str
    owed: dict[str, str]
    rights_lapsed: int
    lapsing: list[Lapsing]
    overdue_obligations: list[dict[str, str]]


def _unseen(portfolio: Portfolio, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The facts the store does not hold yet; one it holds with other content is refused."""
    seen = {i for e in portfolio.contracts.values() for i in e.engine.seen}
    refuse_changed(
        [
            ident
            for durable in portfolio.contracts.values()
            for ident in durable.differing_facts(
                f for f in facts if f.get("id") in durable.engine.seen
            )
        ]
    )
    return [f for f in facts if f.get("id") not in seen]


def contract_status(contract: str, portfolio: Portfolio, within: int) -> ContractStatus:
    engine = portfolio.contracts[contract].engine
    report = build_report(engine)
    zero = Money.zero(report.currency)
    horizon = (engine.clock + timedelta(days=within)).date().isoformat()
    lapsing = [
        Lapsing(contract, r.clause, r.holder, r.what, r.expires)
        for r in report.rights
        if r.open and r.expires != "never" and r.expires <= horizon
    ]
    overdue = [d for d in report.duties if d.state == "violated"]
    header = engine.ctx.bundle.header  # the version in force at the clock
    return ContractStatus(
        contract=contract,
        title=header.title,
        version=header.version,
        clock=engine.clock.isoformat(),
        open_obligations=len(report.duties),
        overdue=len(overdue),
        credits_due=str(report.money.get("credit", zero)),
        penalties_owed=str(sum((report.money.get(k, zero) for k in PENALTY_KINDS), zero)),
        owed={party: str(amount) for party, amount in sorted(report.owed.items())},
        rights_lapsed=sum(1 for r in report.rights if r.lapsed),
        lapsing=lapsing,
        overdue_obligations=[
            {"obligation": d.obligation, "owner": d.owner, "deadline": d.deadline} for d in overdue
        ],
    )


def render_status(location: str, statuses: list[ContractStatus], within: int) -> None:
    console = Console(width=160)
    columns = (
        "contract",
        "version",
        "as of (UTC)",
        "open obligations",
        "overdue",
        "credits",
        "penalties",
        "rights lapsed",
        "lapsing soon",
    )
    summary = [
        (
            s.contract,
            s.version,
            s.clock[:16].replace("T", " "),
            s.open_obligations,
            s.overdue,
            s.credits_due,
            s.penalties_owed,
            s.rights_lapsed,
            len(s.lapsing),
        )
        for s in statuses
    ]
    console.print(text_table(columns, summary, f"Contracts in {location}"))
    console.print(
        text_table(
            ("contract", "clause", "holder", "right", "expires"),
            [
                (r.contract, r.clause, r.holder, r.right, r.expires)
                for s in statuses
                for r in s.lapsing
            ],
            f"Rights that lapse within {within} days unless exercised",
        )
    )
    console.print(
        text_table(
            ("contract", "obligation", "owner", "deadline"),
            [
                (s.contract, d["obligation"], d["owner"], d["deadline"])
                for s in statuses
                for d in s.overdue_obligations
            ],
            "Overdue obligations",
        )
    )


@click.command()
@click.argument("store")
@click.option(
    "--within",
    default=30,
    type=click.IntRange(0, 3660),
    show_default=True,
    help="Show rights that lapse within this many days of each contract's clock.",
)
@ENGINE
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def status(store: str, within: int, engine: str, fmt: str) -> None:
    """Every contract in a store: open and overdue obligations, credits due, penalties owed
    and rights about to lapse, as recorded (nothing is added to the store)."""
    from clausec.cli import UsageError

    require_store(store)
    portfolio = open_portfolio(store, engine)
    try:
        contracts = portfolio.load_stored()
    except (StoreError, EngineError) as error:
        raise UsageError(str(error)) from error
    statuses = [contract_status(c, portfolio, within) for c in contracts]
    portfolio.close()
    if fmt == "json":
        click.echo(json.dumps([asdict(s) for s in statuses], indent=2))
        return
    render_status(store, statuses, within)
