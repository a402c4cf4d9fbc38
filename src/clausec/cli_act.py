"""`clausec exercise` and `clausec discharge`: the parties' decisions, recorded in a store.

A right to claim a credit, to suspend or to terminate is exercised by its holder, and an
obligation is waived or released by the party it is owed to. Neither is a fact the contract
measures, so neither comes in a facts file: each is an input of its own, appended to the
contract's ledger with the events it fires (runtime.durable). The names to give are the ones
`clausec report --store` shows: a right's "exercise as" name, an obligation instance's id.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from rich.console import Console

from clausec.cli_run import (
    ENGINE,
    _aware,
    event_table,
    input_errors,
    report_runtime_diagnostics,
    require_store,
)
from runtime.durable import DurableEngine
from runtime.engine import EngineError, load_bundle
from runtime.events import Event
from runtime.matchers import MatcherUnavailable
from runtime.store import StoreError, open_store

AT = click.option(
    "--at",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="When the decision was made: the clock moves there first, in the same transaction "
    "(a date means its start in UTC). Default: the store's clock for the contract.",
)
STORE = click.option(
    "--store",
    required=True,
    help="The store that holds the contract's state: a SQLite file or a postgresql:// URL.",
)
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@click.command()
@click.argument("contract", type=click.Path(exists=True, dir_okay=False))
@click.argument("right")
@STORE
@AT
@click.option("--note", default="", help="What the holder said, kept with the event.")
@ENGINE
@FORMAT
def exercise(
    contract: str,
    right: str,
    store: str,
    at: datetime | None,
    note: str,
    engine: str,
    fmt: str,
) -> None:
    """Exercise an open RIGHT of CONTRACT, named as the report shows it ("exercise as"):
    a credit claim, a suspension, a termination. Prints the events it fires; nothing is
    recorded if the right is not open."""
    _decide(contract, store, engine, fmt, lambda d: d.exercise(right, note, _aware(at)))


@click.command()
@click.argument("contract", type=click.Path(exists=True, dir_okay=False))
@click.argument("obligation")
@click.option("--reason", required=True, help="Why it is waived or released, kept with the event.")
@STORE
@AT
@ENGINE
@FORMAT
def discharge(
    contract: str,
    obligation: str,
    reason: str,
    store: str,
    at: datetime | None,
    engine: str,
    fmt: str,
) -> None:
    """Waive or release an open obligation instance of CONTRACT, by its id as the report
    shows it. Prints the events it fires; nothing is recorded if it is not open."""
    _decide(contract, store, engine, fmt, lambda d: d.discharge(obligation, reason, _aware(at)))


def _decide(
    contract: str,
    store: str,
    engine: str,
    fmt: str,
    decision: Callable[[DurableEngine], list[Event]],
) -> None:
    """Open the contract's state in `store`, record the decision, print what it fired."""
    durable = open_stored(contract, engine, store)
    try:
        earlier = len(durable.diagnostics)  # the history's own were reported when it ran
        with input_errors():
            events = decision(durable)
        zone = durable.engine.ctx.time.zone
        report_runtime_diagnostics(durable.engine, since=earlier)
    finally:
        durable.close()
    if fmt == "json":
        click.echo(json.dumps([e.model_dump() for e in events], indent=2))
        return
    Console(width=160).print(event_table(events, zone))


def open_stored(contract: str, engine: str, store: str) -> DurableEngine:
    """The contract's state in a store that already holds it: a decision about, or a report
    on, a contract the store has never run is a mistake in the name of one or the other."""
    from clausec.cli import UsageError

    require_store(store)
    try:
        bundle = load_bundle(contract)
    except EngineError as error:  # the contract does not compile: its diagnostics
        click.echo(str(error), err=True)
        sys.exit(1)
    try:
        opened = open_store(store)
    except StoreError as error:
        raise UsageError(str(error)) from error
    try:
        if bundle.header.id not in opened.contracts():
            raise UsageError(
                f"{store} does not hold contract {bundle.header.id}: start it with "
                f"`clausec run {contract} --store {store}`"
            )
        return DurableEngine(bundle, opened, engine)
    except (StoreError, MatcherUnavailable) as error:
        opened.close()
        raise UsageError(str(error)) from error
    except BaseException:
        opened.close()
        raise


@contextmanager
def reading_store(
    contract: str, engine: str, store: str, more_inputs: bool
) -> Iterator[DurableEngine]:
    """The contract's state in `store`, to read (`report --store`, `explain --store`): a
    command that reads a store adds nothing to it, so facts, amendments or a clock move
    given with it are refused rather than quietly recorded."""
    from clausec.cli import UsageError

    if more_inputs:
        raise UsageError(
            "--store reads what the store holds: add facts, amendments or move the clock "
            "with `clausec run --store` first"
        )
    durable = open_stored(contract, engine, store)
    try:
        yield durable
    finally:
        durable.close()
