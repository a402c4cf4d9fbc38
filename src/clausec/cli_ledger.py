"""`clausec ledger verify STORE`: check the hash chain of a store and name any broken row;
`clausec ledger history STORE`: the version chain of each contract in it."""

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
    from clausec.cli_run import require_store

    require_store(store)  # a mistyped path must not pass as an empty, intact ledger
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


@ledger.command(name="history")
@click.argument("store")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def history_command(store: str, fmt: str) -> None:
    """The version chain of every contract in a store: each bundle and amendment loaded,
    with the ledger row that records it."""
    from clausec.cli import UsageError
    from clausec.cli_run import require_store

    require_store(store)
    chain: list[dict[str, object]] = []
    try:
        opened = open_store(store)
        for row in opened.rows():
            if row.kind in ("bundle", "amendment"):
                payload = json.loads(row.payload)
                bundle = payload.get("bundle", {})
                chain.append(
                    {
                        "contract": row.contract,
                        "row": row.seq,
                        "version": bundle.get("header", {}).get("version"),
                        "effective": payload.get("effective")
                        or bundle.get("header", {}).get("effective_from"),
                        "title": payload.get("title") or bundle.get("header", {}).get("title"),
                        "hash": payload["hash"],
                    }
                )
        opened.close()
    except (StoreError, ValueError, KeyError) as error:
        raise UsageError(f"{store}: {error}") from error
    if fmt == "json":
        click.echo(json.dumps(chain, indent=2))
        return
    for link in chain:
        click.echo(
            f"{link['contract']} version {link['version']} in force from {link['effective']}: "
            f"{link['title']} (row {link['row']}, {link['hash']})"
        )
