"""`clausec test`: run scenario files on both matchers and compare with what they expect."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree

import click

from runtime.scenario import ENGINES, Outcome, ScenarioError, load_scenario, record, run_scenario


def scenario_files(paths: tuple[str, ...]) -> list[Path]:
    from clausec.cli import UsageError

    found: list[Path] = []
    for raw in paths or (".",):
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.scenario.yaml") if ".venv" not in p.parts))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {raw}")
    return found


def run_one(path: Path, update: bool) -> list[Outcome]:
    """Run on every engine the scenario names; engines must also agree with each other."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        return [Outcome(path, "-", False, message=str(error))]
    outcomes = [run_scenario(path, engine) for engine in scenario.engines if engine in ENGINES]
    ran = [o for o in outcomes if not o.message.startswith("skipped")]
    if len(ran) > 1 and any(o.actual != ran[0].actual for o in ran[1:]):
        outcomes.append(
            Outcome(
                path,
                "differential",
                False,
                message="the engines disagree: compiled and rete fired different events",
            )
        )
    clean = all(not o.problem for o in ran)
    if update and ran and clean and all(o.actual == ran[0].actual for o in ran):
        record(path, ran[0].actual)
        outcomes = [Outcome(o.path, o.engine, True, o.actual, o.actual, "recorded") for o in ran]
    return outcomes


def junit(outcomes: list[Outcome]) -> str:
    failures = sum(not o.passed for o in outcomes)
    suite = ElementTree.Element(
        "testsuite", name="clausec scenarios", tests=str(len(outcomes)), failures=str(failures)
    )
    for outcome in outcomes:
        case = ElementTree.SubElement(
            suite, "testcase", classname=str(outcome.path), name=outcome.engine
        )
        if not outcome.passed:
            failure = ElementTree.SubElement(case, "failure", message=outcome.message[:200])
            failure.text = outcome.message
        elif outcome.message.startswith("skipped"):
            ElementTree.SubElement(case, "skipped", message=outcome.message)
    return ElementTree.tostring(suite, encoding="unicode")


@click.command(name="test")
@click.argument("paths", nargs=-1)
@click.option("--update", is_flag=True, help="Re-record each scenario's expected events.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text")
def test_command(paths: tuple[str, ...], update: bool, fmt: str) -> None:
    """Run the scenario files (*.scenario.yaml) under PATHS on both engines."""
    files = scenario_files(paths)
    if not files:  # a CI job pointed at the wrong folder must not pass on nothing
        from clausec.cli import UsageError

        where = ", ".join(paths) or "."
        raise UsageError(f"no scenario files (*.scenario.yaml) under {where}")
    outcomes = [o for path in files for o in run_one(path, update)]
    failed = [o for o in outcomes if not o.passed]
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "scenario": str(o.path),
                        "engine": o.engine,
                        "passed": o.passed,
                        "message": o.message,
                    }
                    for o in outcomes
                ],
                indent=2,
            )
        )
    elif fmt == "junit":
        click.echo(junit(outcomes))
    else:
        for outcome in outcomes:
            mark = "ok  " if outcome.passed else "FAIL"
            note = f"  ({outcome.message})" if outcome.passed and outcome.message else ""
            click.echo(f"{mark} {outcome.path} [{outcome.engine}]{note}")
            if not outcome.passed:
                click.echo("     " + outcome.message.replace("\n", "\n     "))
        scenarios = len({o.path for o in outcomes})
        click.echo(
            f"{scenarios} scenarios: {len(outcomes) - len(failed)} passed, {len(failed)} failed"
        )
    sys.exit(1 if failed else 0)
