"""`clausec report`: what a contract manager needs to see today, as tables or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clausec.cli_run import AMEND, ENGINE, UNTIL, _aware, run_engine, text_table
from runtime.report import Report, build_report


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Table:
    return text_table(columns, rows, title)


def render(report: Report, console: Console) -> None:
    owed = "; ".join(f"{amount} owed to {party}" for party, amount in sorted(report.owed.items()))
    lost = "; ".join(
        f"{amount} of credits forfeited by {party}: claims not made in time"
        for party, amount in sorted(report.forfeited.items())
    )
    console.print(
        f"[bold]Position at {report.clock:%Y-%m-%d %H:%M} UTC[/bold]: "
        f"{escape(owed) or 'nothing owed either way'}."
        + (f" [bold red]{escape(lost)}.[/bold red]" if lost else "")
    )
    console.print(_table("Money by clause", ("clause", "kind", "amount"), report.by_clause))
    console.print(
        _table(
            "Rights that can still be exercised",
            ("clause", "holder", "right", "expires", "exercise as"),
            [(r.clause, r.holder, r.what, r.expires, r.name) for r in report.rights if r.open],
        )
    )
    console.print(
        _table(
            "Rights exercised",
            ("clause", "holder", "right", "exercised"),
            [(r.clause, r.holder, r.what, r.exercised) for r in report.rights if r.exercised],
        )
    )
    lapsed = [r for r in report.rights if r.lapsed]
    console.print(
        _table(
            "Rights that lapsed unexercised",
            ("clause", "holder", "right", "expired"),
            [(r.clause, r.holder, r.what, r.expires) for r in lapsed],
        )
    )
    console.print(
        _table(
            "Open obligations",
            ("obligation", "debtor", "owner", "state", "deadline"),
            [(d.obligation, d.debtor, d.owner, d.state, d.deadline) for d in report.duties],
        )
    )


@click.command()
@click.argument("contract", type=click.Path(dir_okay=False))
@click.option("--facts", "facts_path", type=click.Path(dir_okay=False), help="JSON lines file.")
@UNTIL
@ENGINE
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@AMEND
@click.option(
    "--store",
    help="Report on the state this store holds (`clausec run --store`), as recorded: a "
    "SQLite file or a postgresql:// URL.",
)
def report(
    contract: str,
    facts_path: str | None,
    until: datetime | None,
    engine: str,
    fmt: str,
    amendments: tuple[str, ...],
    store: str | None,
) -> None:
    """Money owed, rights open, exercised and lapsed, and open obligations with their
    owners."""
    if store is None:
        result = build_report(
            run_engine(contract, facts_path, _aware(until), engine, fmt == "text", None, amendments)
        )
    else:
        result = _stored_report(contract, engine, store, bool(facts_path or until or amendments))
    if fmt == "json":
        data = asdict(result)
        data["alerts"] = [e.id for e in result.alerts]
        click.echo(json.dumps(data, indent=2, default=str))
        return
    render(result, Console(width=160))


def _stored_report(contract: str, engine: str, store: str, more_inputs: bool) -> Report:
    """The report on what a store holds: it reads the store and adds nothing to it."""
    from clausec.cli_act import reading_store

    with reading_store(contract, engine, store, more_inputs) as durable:
        return build_report(durable.engine)
