"""`clausec diff OLD NEW`: golden cases as data, and the exit codes of the error cases.

Layout, one case per folder:

    tests/diff/CASE/old.clause       the version in force
    tests/diff/CASE/new.clause       a whole new version, or an amendment of old.clause
    tests/diff/CASE/facts.jsonl      optional: facts for the what-if replay (passed as --facts)
    tests/diff/CASE/args             optional: more runs, one a line, `NAME: ARGS...`
    tests/diff/CASE/expected.txt     `clausec diff old.clause new.clause [--facts ...]`
    tests/diff/CASE/expected.json    the same with --format json
    tests/diff/CASE/NAME.expected.txt, NAME.expected.json
                                     the run named NAME in `args`

Every case runs from the repository root with relative paths, so the recorded output does not
depend on where the checkout lives. Re-record the expected files with
`CLAUSEC_UPDATE_GOLDEN=1 pytest tests/test_diff.py` and review the change with `git diff`.
The `amendment` case is a copy of examples/managed_hosting (contract, amendment_1, facts), so
that changing the example does not change these expectations.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clausec.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "diff"
UPDATE = os.environ.get("CLAUSEC_UPDATE_GOLDEN") == "1"
HINT = "record it with CLAUSEC_UPDATE_GOLDEN=1 pytest tests/test_diff.py"


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, ["diff", *map(str, args)])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"clausec diff {args} raised {result.exception!r}") from (
            result.exception
        )
    return result


def runs() -> list[pytest.ParameterSet]:
    """(case folder, run name, extra arguments), one per expected output pair."""
    out = []
    for folder in sorted(p for p in CASES.iterdir() if (p / "old.clause").is_file()):
        extra = [("", [])]
        if (folder / "args").is_file():
            for line in (folder / "args").read_text(encoding="utf-8").splitlines():
                if line.strip():
                    name, _, args = line.partition(":")
                    extra.append((name.strip(), shlex.split(args)))
        for name, args in extra:
            out.append(pytest.param(folder, name, args, id=f"{folder.name}-{name or 'default'}"))
    return out


def check_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing; {HINT}"
    assert actual == path.read_text(encoding="utf-8"), f"output differs; {HINT}"


@pytest.mark.parametrize(("folder", "name", "args"), runs())
def test_case(folder: Path, name: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    relative = folder.relative_to(ROOT).as_posix()
    command = [f"{relative}/old.clause", f"{relative}/new.clause"]
    if (folder / "facts.jsonl").is_file():
        command += ["--facts", f"{relative}/facts.jsonl"]
    command += args
    prefix = f"{name}." if name else ""
    text = invoke(*command)
    assert text.exit_code == 0, text.output
    check_golden(folder / f"{prefix}expected.txt", text.stdout)
    data = invoke(*command, "--format", "json")
    assert data.exit_code == 0, data.output
    json.loads(data.stdout)
    check_golden(folder / f"{prefix}expected.json", data.stdout)


def test_no_case_is_left_without_its_expected_files() -> None:
    for folder, name, _ in (p.values for p in runs()):
        assert isinstance(folder, Path)
        prefix = f"{name}." if name else ""
        for suffix in ("txt", "json"):
            assert (folder / f"{prefix}expected.{suffix}").is_file(), (folder, name, HINT)


# ---------------------------------------------------------------- the money in the what-if


def test_what_if_shows_the_money_delta_of_a_new_version() -> None:
    case = CASES / "what_if_new_version"
    data = json.loads(
        invoke(
            case / "old.clause",
            case / "new.clause",
            "--facts",
            case / "facts.jsonl",
            "--until",
            "2026-05-01",
            "--format",
            "json",
        ).stdout
    )
    what_if = data["what_if"]
    assert what_if["basis"] == "whole_period"
    penalty = next(r for r in what_if["by_clause"] if r["clause"] == "deliver")
    # 3 days late (PO-1 accepted 4 March after a 1 March deadline): 0.5% -> 1% a day.
    assert (penalty["old"], penalty["new"], penalty["change"]) == (
        "1500.00 EUR",
        "3000.00 EUR",
        "1500.00 EUR",
    )


def test_an_amendment_changes_nothing_before_its_effective_date() -> None:
    case = CASES / "amendment"
    base = [case / "old.clause", case / "new.clause", "--facts", case / "facts.jsonl"]
    spliced = json.loads(invoke(*base, "--until", "2026-07-10", "--format", "json").stdout)
    assert spliced["what_if"]["basis"] == "from_effective_date"
    assert all(r["old"] == r["new"] for r in spliced["what_if"]["by_clause"])
    whole = json.loads(
        invoke(*base, "--until", "2026-07-10", "--whole-period", "--format", "json").stdout
    )
    assert whole["what_if"]["basis"] == "whole_period"
    assert any(r["old"] != r["new"] for r in whole["what_if"]["by_clause"])


# ---------------------------------------------------------------- errors


BROKEN = 'contract "Broken" {\n  param fee money = = 12 EUR\n'


def test_missing_file_exits_2(tmp_path: Path) -> None:
    good = CASES / "param_change" / "old.clause"
    assert invoke(tmp_path / "nowhere.clause", good).exit_code == 2
    assert invoke(good, tmp_path / "nowhere.clause").exit_code == 2
    assert invoke(good, good, "--facts", tmp_path / "nowhere.jsonl").exit_code == 2


@pytest.mark.parametrize("side", ["old", "new"])
def test_malformed_clause_exits_1_with_diagnostics(side: str, tmp_path: Path) -> None:
    good = CASES / "param_change" / "old.clause"
    broken = tmp_path / "broken.clause"
    broken.write_text(BROKEN, encoding="utf-8")
    files = (broken, good) if side == "old" else (good, broken)
    result = invoke(*files)
    assert result.exit_code == 1
    assert "error[CC1" in result.stdout and "broken.clause:2:" in result.stdout
    data = json.loads(invoke(*files, "--format", "json").stdout)
    assert data["errors"] >= 1 and data["diagnostics"][0]["code"].startswith("CC1")


def test_amendment_of_another_contract_exits_1(tmp_path: Path) -> None:
    amendment = (CASES / "amendment" / "new.clause").read_text(encoding="utf-8")
    other = tmp_path / "amendment.clause"
    other.write_text(amendment, encoding="utf-8")
    result = invoke(CASES / "param_change" / "old.clause", other)
    assert result.exit_code == 1
    assert "error[CC318]: this amends 'ACME-HOST-2026'" in result.stdout


def test_old_must_be_a_contract() -> None:
    result = invoke(CASES / "amendment" / "new.clause", CASES / "amendment" / "old.clause")
    assert result.exit_code == 2
    assert "OLD must be a contract" in result.output


def test_facts_the_contract_refuses_exit_2(tmp_path: Path) -> None:
    facts = tmp_path / "facts.jsonl"
    facts.write_text('{"id": "x-1", "type": "no_such_fact"}\n', encoding="utf-8")
    good = CASES / "param_change" / "old.clause"
    result = invoke(good, good, "--facts", facts)
    assert result.exit_code == 2
    assert "facts rejected" in result.output and "x-1" in result.output
