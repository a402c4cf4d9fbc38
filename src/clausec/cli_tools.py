"""`clausec graph`, `clausec fmt` and `clausec new`: the authoring tools of the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click

from clausec.compiler import compile_contract


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["dot", "json", "svg"]), default="dot", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
def graph(file: str, fmt: str, output: str | None) -> None:
    """Print the dependency graph of a contract (DOT, JSON, or SVG through Graphviz)."""
    from clausec.cli import EXIT_FAIL, UsageError, emit_diagnostics, require_file, write_output

    result = compile_contract(require_file(file))
    if result.graph is None:
        if result.ok:
            raise UsageError(f"{file} holds no contract (only templates or an amendment)")
        sys.exit(emit_diagnostics([result], "text", err=True) or EXIT_FAIL)
    text = result.graph.to_json() + "\n" if fmt == "json" else result.graph.to_dot()
    if fmt == "svg":
        text = _svg(text)
    if output:
        write_output(output, text)
    else:
        click.echo(text, nl=False)


def _svg(dot_text: str) -> str:
    from clausec.cli import UsageError

    dot = shutil.which("dot")
    if dot is None:
        raise UsageError(
            "SVG needs Graphviz's `dot`, which is not installed: install it "
            "(apt-get install graphviz, brew install graphviz), or use "
            "--format dot and render it elsewhere"
        )
    done = subprocess.run(
        [dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise UsageError(f"Graphviz's dot failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


@click.command(name="fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file would change."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def fmt_command(paths: tuple[str, ...], check_only: bool, fmt: str) -> None:
    """Format .clause files in place: indentation and spacing, keeping every comment."""
    from clausec.cli import EXIT_FAIL, EXIT_OK, clause_files, emit_diagnostics
    from clausec.compiler import Compilation
    from clausec.format import format_text

    changed: list[str] = []
    failed: list[Compilation] = []
    for file in clause_files(paths):
        try:
            # Bytes, not read_text: universal newlines would hide CRLF line endings from --check.
            text = file.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            failed.append(compile_contract(file))  # reports CC100 with the reason
            continue
        result = format_text(text, str(file))
        if result.text is None:
            failed.append(Compilation(str(file), {str(file): text}, list(result.diagnostics)))
            continue
        if result.text != text:
            changed.append(str(file))
            if not check_only:
                file.write_text(result.text, encoding="utf-8")
    if fmt == "json":
        click.echo(
            json.dumps(
                {"changed": changed, "check": check_only, "unparsable": [c.path for c in failed]}
            )
        )
    else:
        if failed:
            emit_diagnostics(failed, "text", err=True)
        verb = "would reformat" if check_only else "reformatted"
        for path in changed:
            click.echo(f"{verb} {path}")
    sys.exit(EXIT_FAIL if failed or (check_only and changed) else EXIT_OK)


@click.command()
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Create the contract folder under this one.",
)
def new(name: str, directory: str) -> None:
    """Scaffold a contract folder NAME with a contract and a scenario file."""
    from clausec.cli import UsageError
    from clausec.scaffold import scaffold

    try:
        created = scaffold(name, Path(directory))
    except (FileExistsError, ValueError) as error:
        raise UsageError(str(error)) from error
    for path in created:
        click.echo(f"created {path}")
