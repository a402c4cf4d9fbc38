"""`clausec ledger verify STORE`: check the hash chain of a store and name any broken row."""

from __future__ import annotations

import json
import sys

import click

from runtime.store import StoreError, open_store, verify


@click.group()
def ledger() -> None:
    """Inspect the ledger of a store."""


@ledger.command(name="verify")
@click.argument("store")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def verify_command(store: str, fmt: str) -> None:
    """Check that no ledger row was edited, deleted or reordered."""
    from clausec.cli import UsageError

    try:
        opened = open_store(store)
        rows = sum(1 for _ in opened.rows())
        breaks = verify(opened)
        opened.close()
    except StoreError as error:
        raise UsageError(str(error)) from error
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "store": store,
                    "rows": rows,
                    "ok": not breaks,
                    "breaks": [{"seq": b.seq, "problem": b.problem} for b in breaks],
                }
            )
        )
    elif breaks:
        for problem in breaks:
            click.echo(f"{store}: {problem}")
        click.echo(f"ledger broken: {len(breaks)} problem(s) in {rows} rows")
    else:
        click.echo(f"ledger ok: {rows} rows, every hash chained")
    sys.exit(1 if breaks else 0)
