"""`clausec diff OLD NEW`: what a new version or an amendment changes, term by term, and with
`--facts` what it changes in money over the same facts.

NEW is a whole contract (the next version) or an amendment of OLD; an amendment is applied to
OLD by the compiler's own `apply_to_base`, exactly as `clausec check` applies it to the contract
beside it. Exit codes: 0 when the diff is computed (differences are not failures), 1 when either
side has compile errors (printed as `clausec check` prints them) or a clause failed at run time
in the what-if, 2 for usage and input errors.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from clausec import ir
from clausec import nodes as n
from clausec.check_library import amends, check_amendment
from clausec.cli_run import UNTIL, _aware, input_errors, read_facts
from clausec.compiler import Compilation, apply_to_base, compile_contract, read_and_parse
from clausec.diagnostics import Diagnostic
from clausec.diff import BundleDiff, diff_bundles
from clausec.diff_text import render_diff, render_what_if
from clausec.what_if import WhatIf, what_if

DIFF_FORMAT = 1  # the version of the JSON document


@dataclass
class Side:
    path: str
    compilation: Compilation
    bundle: ir.Bundle | None
    amendment: n.AmendmentDecl | None = None

    def stmt(self, kind: str) -> n.AmendmentStmt | None:
        stmts = self.amendment.stmts if self.amendment else ()
        return next((s for s in stmts if s.kind == kind), None)

    @property
    def effective(self) -> date | None:
        stmt = self.stmt("effective")
        value = stmt.values[0] if stmt and stmt.values else None
        return value if isinstance(value, date) else None


def load_old(path: str) -> Side:
    from clausec.cli import UsageError, require_file

    result = compile_contract(require_file(path))
    if result.ok and result.bundle is None:
        raise UsageError(f"{path} holds no contract: OLD must be a contract")
    return Side(path, result, result.bundle)


def load_new(path: str, old: Side) -> Side:
    """NEW as a whole contract, or an amendment applied to OLD (not to a file beside it)."""
    from clausec.cli import UsageError, require_file

    result = Compilation(path)
    source, diagnostics = read_and_parse(Path(require_file(path)), result.sources)
    if not result.add(diagnostics) or source is None:
        return Side(path, result, None)
    amendment = next((i for i in source.items if isinstance(i, n.AmendmentDecl)), None)
    if amendment is None or any(isinstance(i, n.ContractDecl) for i in source.items):
        whole = compile_contract(path)
        if whole.ok and whole.bundle is None:
            raise UsageError(f"{path} holds no contract or amendment: NEW must be one of them")
        return Side(path, whole, whole.bundle)
    side = Side(path, result, None, amendment)
    if old.bundle is None or not result.add(list(check_amendment(amendment))):
        return side
    if not result.add(_another_contract(side, old.path, old.bundle.header.id)):
        return side
    amended = apply_to_base(result, amendment, old.compilation, Path(old.path))
    side.bundle = amended.bundle if amended is not None and result.ok else None
    return side


def _another_contract(side: Side, old_path: str, old_id: str) -> list[Diagnostic]:
    """`clausec check` finds an amendment's contract by its id; here the user names it."""
    target = amends(side.amendment) if side.amendment else None
    if target is None or target[0] == old_id or side.amendment is None:
        return []
    line = side.stmt("amends")
    return [
        Diagnostic(
            "CC318",
            f"this amends '{target[0]}', but {old_path} is contract '{old_id}'",
            line.span if line else side.amendment.span,
            help="compare an amendment with the contract it amends",
        )
    ]


def _describe(side: Side) -> dict[str, Any]:
    header = side.bundle.header if side.bundle else None
    out: dict[str, Any] = {
        "path": side.path,
        "id": header.id if header else None,
        "title": header.title if header else None,
        "version": header.version if header else None,
        "amendment": None,
    }
    if side.amendment is not None:
        summary = side.stmt("summary")
        out["amendment"] = {
            "title": side.amendment.title,
            "effective": side.effective.isoformat() if side.effective else None,
            "summary": str(summary.values[0]) if summary and summary.values else None,
            "live_obligations": _live_lines(side.amendment),
        }
    return out


def _live_lines(amendment: n.AmendmentDecl) -> list[str]:
    """`migrate` and `discharge` lines: what becomes of live obligations."""
    lines = []
    for stmt in amendment.stmts:
        reason = f' "{stmt.values[0]}"' if stmt.values else ""
        if stmt.kind == "migrate":
            lines.append(f"migrate {stmt.name} to {stmt.target}{reason}")
        elif stmt.kind == "discharge":
            lines.append(f"discharge {stmt.name}{reason}")
    return lines


def _heading(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = [f'OLD  {old["path"]}: {old["id"]} version {old["version"]}, "{old["title"]}"']
    amendment = new["amendment"]
    if amendment is None:
        lines.append(f'NEW  {new["path"]}: {new["id"]} version {new["version"]}, "{new["title"]}"')
        return [*lines, ""]
    lines.append(
        f'NEW  {new["path"]}: amendment "{amendment["title"]}" makes version {new["version"]}, '
        f"effective {amendment['effective']}"
    )
    if amendment["summary"]:
        lines.append(f"     {amendment['summary']}")
    return [*lines, ""]


def _text(
    described: tuple[dict[str, Any], dict[str, Any]],
    changes: BundleDiff,
    replayed: WhatIf | None,
    facts_path: str | None,
) -> list[str]:
    lines = _heading(*described) + render_diff(changes)
    amendment = described[1]["amendment"]
    if amendment and amendment["live_obligations"]:
        lines += ["", "Live obligations", *(f"  {x}" for x in amendment["live_obligations"])]
    if replayed is not None:
        lines += ["", *render_what_if(replayed, facts_path or "no facts")]
    return lines


def _replay(
    old: Side, new: Side, facts_path: str | None, until: datetime | None, whole: bool
) -> WhatIf:
    from clausec.cli import require_file

    assert old.bundle is not None and new.bundle is not None
    facts = read_facts(Path(require_file(facts_path))) if facts_path else []
    with input_errors():
        amended = new.compilation.amended
        return what_if(old.bundle, new.bundle, facts, until, new.effective, whole, amended)


@click.command(name="diff")
@click.argument("old_path", metavar="OLD", type=click.Path(dir_okay=False))
@click.argument("new_path", metavar="NEW", type=click.Path(dir_okay=False))
@click.option("--facts", "facts_path", type=click.Path(dir_okay=False), help="JSON lines file.")
@UNTIL
@click.option(
    "--whole-period",
    is_flag=True,
    help="With an amendment, apply NEW to the whole period, not only from its effective date.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def diff_command(
    old_path: str,
    new_path: str,
    facts_path: str | None,
    until: datetime | None,
    whole_period: bool,
    fmt: str,
) -> None:
    """What NEW (a new version, or an amendment of OLD) changes: parameters, clauses, tiers,
    caps, deadlines and owners; with --facts, the money each clause charges under each."""
    from clausec.cli import EXIT_FAIL, EXIT_USAGE, emit_diagnostics

    old = load_old(old_path)
    new = load_new(new_path, old)
    if old.bundle is None or new.bundle is None:
        # Only errors stop a side from compiling, so this exits 1.
        sys.exit(emit_diagnostics([old.compilation, new.compilation], fmt) or EXIT_USAGE)
    changes = diff_bundles(old.bundle, new.bundle)
    wanted = facts_path is not None or until is not None
    replayed = _replay(old, new, facts_path, _aware(until), whole_period) if wanted else None
    described = _describe(old), _describe(new)
    if fmt == "json":
        document = {"diff_format": DIFF_FORMAT, "old": described[0], "new": described[1]}
        document |= changes.to_json()
        document["what_if"] = replayed.to_json() if replayed else None
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(_text(described, changes, replayed, facts_path)))
    if replayed is not None and replayed.diagnostics:
        for line in replayed.diagnostics:
            click.echo(line, err=True)
        sys.exit(EXIT_FAIL)
