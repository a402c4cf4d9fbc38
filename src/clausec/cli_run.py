"""`clausec run`, `clausec explain` and `clausec test`: the runtime from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from runtime.durable import DurableEngine
from runtime.engine import Engine, EngineError
from runtime.events import KINDS, Event
from runtime.facts import Fact, FactError
from runtime.matchers import MatcherUnavailable
from runtime.store import StoreError

BATCH = 1000
ENGINE = click.option(
    "--engine",
    type=click.Choice(["compiled", "rete"]),
    default="compiled",
    show_default=True,
    help="The matcher that runs the contract.",
)


def read_facts(path: Path) -> list[dict[str, Any]]:
    """JSON lines; decimals are read exactly (as Decimal), never through a float."""
    from clausec.cli import UsageError

    facts: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: not UTF-8 text (byte {error.start})") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            fact = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise UsageError(f"{path}:{number}:{error.colno}: not JSON: {error.msg}") from error
        except RecursionError as error:
            raise UsageError(f"{path}:{number}: nested too deeply to be a fact") from error
        if not isinstance(fact, dict):
            kind = {list: "an array", str: "a string", bool: "true or false"}.get(
                type(fact), "null" if fact is None else "a number"
            )
            raise UsageError(f"{path}:{number}: a fact is a JSON object {{...}}, not {kind}")
        facts.append(fact)
    return facts


@contextmanager
def input_errors() -> Iterator[None]:
    """Facts a contract refuses, and engine or store errors, as usage errors (exit 2)."""
    from clausec.cli import UsageError

    try:
        yield
    except FactError as error:
        raise UsageError(
            "facts rejected, none applied:\n  " + "\n  ".join(str(p) for p in error.problems)
        ) from error
    except (EngineError, StoreError) as error:
        raise UsageError(str(error)) from error


def _batches(facts: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(facts), BATCH):
        yield facts[start : start + BATCH]


def require_store(store: str) -> None:
    """A store to read must exist: opening a missing SQLite file would create an empty one."""
    from clausec.cli import UsageError

    if store.startswith(("postgresql://", "postgres://")):
        return
    path = Path(store.removeprefix("sqlite:///"))
    if ("://" not in str(path)) and not path.is_file():
        raise UsageError(f"no such store: {store}")


def _open(contract: str, engine: str, store: str | None) -> Engine | DurableEngine:
    try:
        if store is not None:
            return DurableEngine.open(contract, store, engine=engine)
        return Engine.load(contract, engine=engine)
    except (EngineError, MatcherUnavailable, StoreError) as error:
        click.echo(str(error), err=True)
        sys.exit(1 if isinstance(error, EngineError) else 2)


def _as_of(
    facts: list[dict[str, Any]], accepted: list[Fact], until: datetime | None
) -> list[dict[str, Any]]:
    """Evaluating as of `until` means what was known then: later facts wait."""
    if until is None:
        return facts
    known = {f.id for f in accepted if f.time <= until}
    if len(facts) > len(known):
        click.echo(
            f"{len(facts) - len(known)} facts after {until.isoformat()} not applied", err=True
        )
    return [f for f in facts if f.get("id") in known]


AMEND = click.option(
    "--amend",
    "amendments",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="An amendment file to load, in force from its effective date (repeat in order).",
)


def load_amendments(runner: Engine | DurableEngine, paths: tuple[str, ...]) -> None:
    """Compile and load each amendment; one the store already holds is skipped."""
    from clausec.cli import UsageError, emit_diagnostics, require_file
    from clausec.compiler import compile_amendment

    core = runner.engine if isinstance(runner, DurableEngine) else runner
    for path in paths:
        result = compile_amendment(require_file(path))
        if result.amended is None:
            emit_diagnostics([result], "text", err=True)
            sys.exit(1)
        if result.amended.header.version <= core.latest_version:
            continue
        try:
            runner.amend(result.amended)
        except (EngineError, StoreError) as error:
            raise UsageError(f"{path}: {error}") from error


def run_engine(
    contract: str,
    facts_path: str | None,
    until: datetime | None,
    engine: str,
    show_progress: bool,
    store: str | None = None,
    amendments: tuple[str, ...] = (),
) -> Engine:
    """Load, feed the facts file (whole or nothing) and move the clock. With a store, facts
    it already holds are skipped, so re-running a growing facts file is idempotent; one it
    holds with other content is refused."""

    runner = _open(contract, engine, store)
    load_amendments(runner, amendments)
    core = runner.engine if isinstance(runner, DurableEngine) else runner
    facts = read_facts(Path(facts_path)) if facts_path else []
    recorded = [f for f in facts if f.get("id") in core.seen]
    if recorded and isinstance(runner, DurableEngine):
        refuse_changed(runner.differing_facts(recorded))
    if recorded:
        click.echo(f"{len(recorded)} facts already in the store, skipped", err=True)
        facts = [f for f in facts if f.get("id") not in core.seen]
    with input_errors():
        facts = _as_of(facts, core.validate(facts), until)
        with Progress(transient=True, disable=not show_progress or len(facts) < 5 * BATCH) as bar:
            task = bar.add_task("ingesting facts", total=len(facts))
            for batch in _batches(facts):
                runner.ingest(batch)
                bar.advance(task, len(batch))
        if until is not None and until > core.clock:
            runner.advance_to(until)
    return core


def refuse_changed(changed: list[str]) -> None:
    """Facts the store holds with other content stop the run before anything is applied."""
    from clausec.cli import UsageError

    if changed:
        raise UsageError(
            f"{len(changed)} facts are already in the store with other content, none "
            f"applied: {', '.join(changed[:5])}; a correction needs an id of its own"
        )


def report_runtime_diagnostics(runner: Engine, since: int = 0) -> None:
    """Clauses that failed at run time (from the `since`-th diagnostic on) go to stderr; the
    exit code becomes 1 at the end."""
    fresh = runner.diagnostics[since:]
    for diagnostic in fresh:
        click.echo(f"{diagnostic.level}[{diagnostic.code}]: {diagnostic.message}", err=True)
    if fresh:
        click.get_current_context().call_on_close(lambda: sys.exit(1))


def text_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None
) -> Table:
    """A table of plain text: no cell is read as rich markup, so an instance id such as
    `plan[lot2.deliver]` or a note with brackets in it prints as it was written."""
    table = Table(title=Text(title) if title else None, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(str(cell)) for cell in row))
    return table


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def event_table(events: list[Event], zone: Any) -> Table:
    return text_table(
        ("time", "kind", "clause", "amount", "what"),
        (
            (
                f"{_moment(e.time).astimezone(zone):%Y-%m-%d %H:%M}",
                e.kind,
                e.clause + (f" ({e.ref})" if e.ref else ""),
                e.amount or "",
                e.explanation.summary,
            )
            for e in events
        ),
    )


UNTIL = click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="Move the clock to this time after the facts (a date means its start in UTC).",
)


def _selects(wanted: str, event_id: str, event: Event) -> bool:
    """An event id or its prefix, or KIND:CLAUSE[:INSTANCE], like credit:uptime:2026-03."""
    if ":" not in wanted:
        return event_id.startswith(wanted)
    kind, clause, *instance = wanted.split(":", 2)
    return (
        event.kind == kind
        and event.clause == clause
        and (not instance or event.instance == instance[0])
    )


def _aware(moment: datetime | None) -> datetime | None:
    from datetime import UTC

    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command(name="run")
@click.argument("contract", type=click.Path(exists=True))
@click.option("--facts", "facts_path", type=click.Path(dir_okay=False), help="JSON lines file.")
@UNTIL
@ENGINE
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    metavar="KIND",
    help="Show only events of this kind (repeat for several): " + ", ".join(KINDS) + ".",
)
@AMEND
@click.option(
    "--store",
    help="Keep state in this store, durable and resumable: a SQLite file or a postgresql:// URL.",
)
def run_command(
    contract: str,
    facts_path: str | None,
    until: datetime | None,
    engine: str,
    fmt: str,
    kinds: tuple[str, ...],
    amendments: tuple[str, ...],
    store: str | None,
) -> None:
    """Run a contract, or every contract in a folder, over facts and print the events they
    fire (with --store, every event the store holds for them, from earlier runs too). Facts
    for a folder name their contract in a `contract` field."""
    if Path(contract).is_dir():
        _run_folder(Path(contract), facts_path, _aware(until), engine, fmt, kinds, store)
        return
    runner = run_engine(
        contract, facts_path, _aware(until), engine, fmt == "table", store, amendments
    )
    report_runtime_diagnostics(runner)
    events = [e for e in runner.events() if not kinds or e.kind in kinds]
    if fmt == "json":
        click.echo(json.dumps([e.model_dump() for e in events], indent=2))
        return
    Console(width=160).print(event_table(events, runner.ctx.time.zone))


@click.command()
@click.argument("contract", type=click.Path(dir_okay=False))
@click.argument("event_ids", nargs=-1, required=True)
@click.option("--facts", "facts_path", type=click.Path(dir_okay=False), help="JSON lines file.")
@UNTIL
@ENGINE
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@AMEND
@click.option(
    "--store",
    help="Explain events a store holds (`clausec run --store`, `clausec exercise`), as "
    "recorded: a SQLite file or a postgresql:// URL.",
)
def explain(
    contract: str,
    event_ids: tuple[str, ...],
    facts_path: str | None,
    until: datetime | None,
    engine: str,
    fmt: str,
    amendments: tuple[str, ...],
    store: str | None,
) -> None:
    """Explain events, named by id (or a prefix) or as KIND:CLAUSE[:INSTANCE]: the clause, the
    facts and the figures behind each."""
    from clausec.cli import UsageError
    from clausec.explain_text import render_explanation

    by_id = {
        e.id: e for e in _events_to_explain(contract, facts_path, until, engine, amendments, store)
    }
    chosen: list[Event] = []
    for wanted in event_ids:
        found = [e for i, e in by_id.items() if _selects(wanted, i, e)]
        if len(found) != 1:
            raise UsageError(f"{'no' if not found else 'more than one'} event matches '{wanted}'")
        chosen.append(found[0])
    if fmt == "json":
        click.echo(json.dumps([e.model_dump() for e in chosen], indent=2))
        return
    for event in chosen:
        click.echo(render_explanation(event, by_id))


def _events_to_explain(
    contract: str,
    facts_path: str | None,
    until: datetime | None,
    engine: str,
    amendments: tuple[str, ...],
    store: str | None,
) -> list[Event]:
    """The events of a run over a facts file, or those a store holds (read, not added to)."""
    from clausec.cli_act import reading_store

    if store is None:
        return run_engine(
            contract, facts_path, _aware(until), engine, False, None, amendments
        ).events()
    with reading_store(contract, engine, store, bool(facts_path or until or amendments)) as read:
        return read.events()


def _run_folder(
    folder: Path,
    facts_path: str | None,
    until: datetime | None,
    engine: str,
    fmt: str,
    kinds: tuple[str, ...],
    store: str | None,
) -> None:
    from clausec.cli_portfolio import portfolio_table, run_portfolio

    portfolio = run_portfolio(folder, facts_path, until, engine, store)
    for durable in portfolio.contracts.values():
        report_runtime_diagnostics(durable.engine)
    events = [
        (contract, e)
        for contract in sorted(portfolio.contracts)
        for e in portfolio.contracts[contract].events()
        if not kinds or e.kind in kinds
    ]
    events.sort(key=lambda pair: (pair[1].time, pair[0]))
    portfolio.close()
    if fmt == "json":
        click.echo(json.dumps([e.model_dump() for _, e in events], indent=2))
        return
    Console(width=170).print(portfolio_table(events))
