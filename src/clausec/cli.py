"""The `clausec` command line. Exit codes: 0 ok, 1 diagnostics or failures, 2 usage or I/O.

Every command that prints results takes `--format json`. Commands never show a Python
traceback for bad input: the compiler reports diagnostics, and I/O problems exit with 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from clausec.compiler import Compilation, compile_contract
from clausec.diagnostics import Diagnostic, render_all

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(click.UsageError):
    exit_code = EXIT_USAGE


def clause_files(paths: Iterable[str]) -> list[Path]:
    """Expand files and folders into .clause files, sorted; a missing path is a usage error."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.clause") if ".venv" not in p.parts))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {raw}")
    return files


def summary(errors: int, warnings: int, files: int) -> str:
    def plural(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return (
        f"checked {plural(files, 'file')}: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
    )


def emit_diagnostics(results: list[Compilation], fmt: str, err: bool = False) -> int:
    diagnostics: list[Diagnostic] = [d for r in results for d in r.diagnostics]
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if fmt == "json":
        payload = {
            "files": [r.path for r in results],
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [d.to_json() for d in diagnostics],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        sources = {k: v for r in results for k, v in r.sources.items()}
        if diagnostics:
            click.echo(render_all(diagnostics, sources) + "\n", err=err)
        click.echo(summary(errors, warnings, len(results)), err=err)
    return EXIT_FAIL if errors else EXIT_OK


def require_file(raw: str) -> str:
    """An input file must exist: a missing one is a usage error (exit 2), not a diagnostic."""
    if not Path(raw).is_file():
        raise UsageError(f"no such file: {raw}")
    return raw


def write_output(output: str, text: str) -> None:
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror}") from error


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clausec")
def main() -> None:
    """clausec: compile contracts written as .clause files and run them as guardrails."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@FORMAT
def check(paths: tuple[str, ...], fmt: str) -> None:
    """Check .clause files (or folders of them) and report every problem found."""
    results = [compile_contract(path) for path in clause_files(paths)]
    sys.exit(emit_diagnostics(results, fmt))


@main.command(name="compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the IR bundle here.")
@FORMAT
def compile_command(file: str, output: str | None, fmt: str) -> None:
    """Compile a contract to its IR bundle (JSON, with a content hash)."""
    result = compile_contract(require_file(file))
    if result.bundle is None:
        if result.ok:
            raise UsageError(f"{file} holds no contract (only templates or an amendment)")
        sys.exit(emit_diagnostics([result], fmt, err=fmt == "text"))
    text = result.bundle.to_json()
    if output is None:
        click.echo(text, nl=False)
        sys.exit(EXIT_OK)
    write_output(output, text)
    if fmt == "json":
        click.echo(json.dumps({"output": output, "hash": result.bundle.hash}))
    else:
        emit_diagnostics([result], fmt, err=True)
        click.echo(f"wrote {output} ({result.bundle.hash})", err=True)


from clausec.cli_act import discharge, exercise  # noqa: E402
from clausec.cli_diff import diff_command  # noqa: E402
from clausec.cli_ledger import ledger  # noqa: E402  (commands register on main)
from clausec.cli_portfolio import status  # noqa: E402
from clausec.cli_report import report  # noqa: E402
from clausec.cli_run import explain, run_command  # noqa: E402
from clausec.cli_test import test_command  # noqa: E402
from clausec.cli_tools import fmt_command, graph, new  # noqa: E402

main.add_command(graph)
main.add_command(fmt_command)
main.add_command(new)
main.add_command(run_command)
main.add_command(explain)
main.add_command(test_command)
main.add_command(report)
main.add_command(ledger)
main.add_command(diff_command)
main.add_command(status)
main.add_command(exercise)
main.add_command(discharge)


def run() -> None:
    """The console entry point: users never see a Python traceback, even for a clausec bug."""
    try:
        main(standalone_mode=True)
    except Exception as error:  # the last line of defence, reported plainly
        click.echo(f"clausec: internal error: {type(error).__name__}: {error}", err=True)
        click.echo(
            "This is a bug in clausec; please report it with the file that caused it.", err=True
        )
        sys.exit(EXIT_USAGE)
