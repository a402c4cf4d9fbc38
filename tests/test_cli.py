"""Tests for the `clausec` command line: exit codes, output formats, and never a traceback.

DESIGN §4: exit 0 means ok, 1 means check or test failures, 2 means usage or input errors;
`--format json` prints results as JSON; a user never sees a Python traceback. Most tests drive
the click group in-process with `CliRunner`; a few run the installed console script, so the
entry point itself (`clausec.cli:run`) is exercised too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clausec.cli import main
from clausec.format import format_source

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "managed_hosting" / "contract.clause"
SUMMARY_OK = "checked 1 file: 0 errors, 0 warnings"

BAD_CONTRACT = """\
contract "Bad" {
  id "BAD-1"
  version 1
  effective 2026-01-01 until 2026-12-31
  timezone "Europe/Berlin"
  currency EUR
  calendar DE
  param fee: mony = 12 EUR
}
"""
NOT_PARSING = 'contract "Broken" {\n  param fee money = = 12 EUR\n'


def invoke(*args: str | Path) -> Result:
    """Run `clausec ARGS` in-process; fail on any exception but a clean exit."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"clausec {args} raised {result.exception!r}") from result.exception
    return result


def copy_example(folder: Path, name: str = "contract.clause") -> Path:
    path = folder / name
    shutil.copyfile(EXAMPLE, path)
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def assert_caret_diagnostic(output: str, code: str, source_line: str) -> None:
    """A compiler-style diagnostic: header with the code, the source line, a caret underline."""
    lines = output.splitlines()
    [header] = [i for i, line in enumerate(lines) if f"error[{code}]" in line]
    assert lines[header + 2].endswith(f"| {source_line}"), lines[header : header + 4]
    assert lines[header + 3].lstrip(" |").startswith("^"), lines[header : header + 4]


# ---------------------------------------------------------------- check


def test_check_good_file(tmp_path: Path) -> None:
    result = invoke("check", copy_example(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1] == SUMMARY_OK


def test_check_bad_file_reports_error_with_caret(tmp_path: Path) -> None:
    result = invoke("check", write(tmp_path / "bad.clause", BAD_CONTRACT))
    assert result.exit_code == 1
    assert_caret_diagnostic(result.output, "CC209", "  param fee: mony = 12 EUR")
    assert "bad.clause:8:14: error[CC209]" in result.output
    assert "help: did you mean 'money'?" in result.output
    assert "checked 1 file: 1 error," in result.output


def test_check_folder_is_recursive(tmp_path: Path) -> None:
    (tmp_path / "top").mkdir()
    copy_example(tmp_path / "top", "good.clause")
    write(tmp_path / "top" / "deep" / "deeper" / "bad.clause", BAD_CONTRACT)
    write(tmp_path / "top" / "notes.txt", "not a contract")
    result = invoke("check", tmp_path / "top")
    assert result.exit_code == 1
    assert re.search(r"^checked 2 files: 1 error, \d+ warnings?$", result.output, re.MULTILINE)
    assert str(Path("deep", "deeper", "bad.clause")) in result.output


def test_check_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("check", tmp_path / "nowhere.clause")
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_check_json(tmp_path: Path) -> None:
    good = copy_example(tmp_path)
    bad = write(tmp_path / "bad.clause", BAD_CONTRACT)
    result = invoke("check", "--format", "json", good, bad)
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert {"files", "errors", "warnings", "diagnostics"} <= payload.keys()
    assert payload["files"] == [str(good), str(bad)]
    assert payload["errors"] == 1
    assert payload["warnings"] == len(payload["diagnostics"]) - 1
    [diagnostic] = [d for d in payload["diagnostics"] if d["severity"] == "error"]
    assert (diagnostic["code"], diagnostic["severity"]) == ("CC209", "error")
    assert diagnostic["span"]["line"] == 8


def test_check_json_on_good_file_exits_0(tmp_path: Path) -> None:
    result = invoke("check", "--format", "json", copy_example(tmp_path))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["errors"] == 0


# ---------------------------------------------------------------- compile


def test_compile_writes_a_deterministic_bundle(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    first, second = tmp_path / "out" / "one.json", tmp_path / "out" / "two.json"
    assert invoke("compile", source, "-o", first).exit_code == 0
    assert invoke("compile", source, "-o", second).exit_code == 0
    bundle = json.loads(first.read_text(encoding="utf-8"))
    assert bundle["hash"].startswith("sha256:")
    assert first.read_bytes() == second.read_bytes()
    to_stdout = invoke("compile", source)
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout == first.read_text(encoding="utf-8")


def test_compile_json_reports_output_and_hash(tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    result = invoke("compile", copy_example(tmp_path), "-o", out, "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report == {"output": str(out), "hash": json.loads(out.read_text())["hash"]}


def test_compile_bad_file_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    result = invoke("compile", write(tmp_path / "bad.clause", BAD_CONTRACT), "-o", out)
    assert result.exit_code == 1
    assert "error[CC209]" in result.output
    assert not out.exists()


def test_compile_file_without_contract_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("compile", write(tmp_path / "comments.clause", "# nothing here yet\n"))
    assert result.exit_code == 2
    assert "holds no contract" in result.output


# ---------------------------------------------------------------- graph


def test_graph_dot(tmp_path: Path) -> None:
    result = invoke("graph", copy_example(tmp_path), "--format", "dot")
    assert result.exit_code == 0
    assert result.stdout.startswith("digraph")
    assert result.stdout.rstrip().endswith("}")


def test_graph_json(tmp_path: Path) -> None:
    result = invoke("graph", copy_example(tmp_path), "--format", "json")
    assert result.exit_code == 0
    graph = json.loads(result.stdout)
    assert {"nodes", "edges", "order"} <= graph.keys()
    ids = {node["id"] for node in graph["nodes"]}
    assert ids and graph["edges"] and graph["order"]
    assert all(isinstance(node, dict) and "id" in node for node in graph["nodes"])
    assert json.dumps(graph["edges"])  # plain JSON all the way down


def test_graph_bad_file_exits_1(tmp_path: Path) -> None:
    result = invoke("graph", write(tmp_path / "bad.clause", BAD_CONTRACT))
    assert result.exit_code == 1
    assert "error[CC209]" in result.output


def fake_dot(folder: Path, script: str) -> Path:
    """A `dot` on PATH that runs a shell script, standing in for Graphviz."""
    folder.mkdir(parents=True, exist_ok=True)
    dot = folder / "dot"
    dot.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    dot.chmod(0o755)
    return folder


FAKE_SVG = (
    "cat >/dev/null\n"
    'printf \'<?xml version="1.0"?>\\n<svg xmlns="http://www.w3.org/2000/svg"></svg>\\n\'\n'
)


def assert_svg_result(result: Result, graphviz: bool) -> None:
    if graphviz:
        assert result.exit_code == 0, result.output
        assert result.stdout.lstrip().startswith(("<?xml", "<svg")), result.stdout[:200]
        assert "</svg>" in result.stdout
    else:
        assert result.exit_code == 2
        assert "Graphviz" in result.output
        assert "apt-get install graphviz" in result.output
        assert "--format dot" in result.output


SVG_BRANCH = "graphviz-installed" if shutil.which("dot") else "graphviz-missing"


@pytest.mark.parametrize("branch", [SVG_BRANCH])
def test_graph_svg_in_this_environment(branch: str, tmp_path: Path) -> None:
    """The branch this machine takes, named in the test id so the report shows which ran."""
    result = invoke("graph", copy_example(tmp_path), "--format", "svg")
    assert_svg_result(result, graphviz=branch == "graphviz-installed")


@pytest.mark.parametrize("graphviz", [False, True], ids=["dot-absent", "dot-present"])
def test_graph_svg_both_branches(
    graphviz: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both branches on every machine: an empty PATH, or a stand-in `dot` first on PATH."""
    bin_dir = fake_dot(tmp_path / "bin", FAKE_SVG) if graphviz else tmp_path / "empty"
    bin_dir.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(bin_dir))
    result = invoke("graph", copy_example(tmp_path), "--format", "svg")
    assert_svg_result(result, graphviz)


def test_graph_writes_output_file(tmp_path: Path) -> None:
    out = tmp_path / "graph.json"
    assert invoke("graph", copy_example(tmp_path), "--format", "json", "-o", out).exit_code == 0
    assert "nodes" in json.loads(out.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- fmt


def canonical_copy(folder: Path) -> Path:
    path = folder / "canonical.clause"
    return write(path, format_source(EXAMPLE.read_text(encoding="utf-8"), str(path)))


def badly_spaced(text: str) -> str:
    return "\n".join("      " + " ".join(line.split()) for line in text.splitlines()) + "\n\n\n"


def test_fmt_check_on_canonical_file_exits_0(tmp_path: Path) -> None:
    result = invoke("fmt", "--check", canonical_copy(tmp_path))
    assert result.exit_code == 0
    assert result.output == ""


def test_fmt_check_lists_files_that_would_change(tmp_path: Path) -> None:
    canonical = canonical_copy(tmp_path)
    messy = write(tmp_path / "messy.clause", badly_spaced(canonical.read_text(encoding="utf-8")))
    before = messy.read_bytes()
    result = invoke("fmt", "--check", canonical, messy)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"would reformat {messy}"]
    assert messy.read_bytes() == before


def test_fmt_rewrites_in_place_then_check_passes(tmp_path: Path) -> None:
    canonical = canonical_copy(tmp_path)
    messy = write(tmp_path / "messy.clause", badly_spaced(canonical.read_text(encoding="utf-8")))
    result = invoke("fmt", messy)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"reformatted {messy}"]
    assert messy.read_text(encoding="utf-8") == canonical.read_text(encoding="utf-8")
    assert invoke("fmt", "--check", messy).exit_code == 0


def test_fmt_json(tmp_path: Path) -> None:
    messy = write(tmp_path / "messy.clause", badly_spaced(EXAMPLE.read_text(encoding="utf-8")))
    result = invoke("fmt", "--check", "--format", "json", messy)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"changed": [str(messy)], "check": True, "unparsable": []}


def test_fmt_file_that_does_not_parse(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.clause", NOT_PARSING)
    for flags in ([], ["--check"]):
        result = invoke("fmt", *flags, broken)
        assert result.exit_code == 1
        assert "error[CC1" in result.output
        assert broken.read_text(encoding="utf-8") == NOT_PARSING


def test_fmt_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("fmt", tmp_path / "nowhere.clause")
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


# ---------------------------------------------------------------- new


def test_new_scaffolds_a_contract_that_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "acme_hosting")
    assert result.exit_code == 0
    folder = tmp_path / "acme_hosting"
    assert (folder / "contract.clause").is_file()
    scenarios = list((folder / "scenarios").glob("*.scenario.yaml"))
    assert scenarios
    assert all(f"created {p.relative_to(tmp_path)}" in result.output for p in scenarios)
    checked = invoke("check", "acme_hosting")
    assert checked.exit_code == 0
    assert SUMMARY_OK in checked.output
    tested = invoke("test", "acme_hosting")  # the first scenario passes as scaffolded
    assert tested.exit_code == 0, tested.output
    assert "1 scenarios: 2 passed, 0 failed" in tested.output


def test_new_refuses_an_existing_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "acme").exit_code == 0
    contract = (tmp_path / "acme" / "contract.clause").read_bytes()
    result = invoke("new", "acme")
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (tmp_path / "acme" / "contract.clause").read_bytes() == contract


def test_new_refuses_an_unusable_name(tmp_path: Path) -> None:
    result = invoke("new", "no spaces please", "--dir", tmp_path)
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- bugs found by these tests


@pytest.mark.parametrize("command", ["compile", "graph"])
def test_missing_input_file_exits_2(command: str, tmp_path: Path) -> None:
    result = invoke(command, tmp_path / "nowhere.clause")
    assert result.exit_code == 2


def test_graph_file_without_contract_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("graph", write(tmp_path / "comments.clause", "# nothing here yet\n"))
    assert result.exit_code == 2
    assert "holds no contract" in result.output


def test_graph_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    result = invoke("graph", source, "-o", source / "graph.dot")
    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_graph_svg_when_dot_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = "cat >/dev/null\necho 'Error: <stdin>: syntax error in line 1' >&2\nexit 1\n"
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", script)))
    result = invoke("graph", copy_example(tmp_path), "--format", "svg")
    assert result.exit_code in (1, 2)
    assert "syntax error in line 1" in result.output


@pytest.mark.parametrize("check_only", [False, True], ids=["fmt", "fmt-check"])
def test_fmt_on_non_utf8_file(check_only: bool, tmp_path: Path) -> None:
    path = tmp_path / "latin1.clause"
    path.write_bytes('contract "Caf\u00e9" {\n}\n'.encode("latin-1"))
    result = invoke("fmt", *(["--check"] if check_only else []), path)
    assert result.exit_code in (1, 2)
    assert "UTF-8" in result.output


def test_new_scaffold_is_canonically_formatted(tmp_path: Path) -> None:
    assert invoke("new", "tidy", "--dir", tmp_path).exit_code == 0
    result = invoke("fmt", "--check", tmp_path / "tidy")
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- the installed console script


def console_script() -> Path:
    """The `clausec` entry point installed beside this interpreter (the project's .venv)."""
    beside = Path(sys.executable).with_name("clausec")
    found = beside if beside.is_file() else shutil.which("clausec")
    assert found, f"no clausec console script beside {sys.executable} or on PATH"
    return Path(found)


def run_clausec(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(console_script()), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_console_script_check_and_compile(tmp_path: Path) -> None:
    copy_example(tmp_path)
    checked = run_clausec("check", "contract.clause", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().splitlines()[-1] == SUMMARY_OK
    compiled = run_clausec("compile", "contract.clause", "-o", "bundle.json", cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    assert json.loads((tmp_path / "bundle.json").read_text())["hash"].startswith("sha256:")


def test_console_script_errors_without_traceback(tmp_path: Path) -> None:
    write(tmp_path / "bad.clause", BAD_CONTRACT)
    bad = run_clausec("check", "bad.clause", cwd=tmp_path)
    assert bad.returncode == 1
    assert "error[CC209]" in bad.stdout
    missing = run_clausec("check", "nowhere.clause", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr


def test_console_script_never_shows_a_traceback_even_for_a_crash(tmp_path: Path) -> None:
    """An input that once crashed clausec (fmt on a Latin-1 file): still no traceback."""
    (tmp_path / "latin1.clause").write_bytes('contract "Caf\u00e9" {\n}\n'.encode("latin-1"))
    result = run_clausec("fmt", "latin1.clause", cwd=tmp_path)
    assert result.returncode in (1, 2)
    assert "utf-8" in (result.stderr + result.stdout).lower()


# ---------------------------------------------------------------- facts files and scenario files

FLAGSHIP_CONTRACT = ROOT / "examples/managed_hosting/contract.clause"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2]\n", "facts.jsonl:1: a fact is a JSON object {...}, not an array"),
        (b'\n\n"downtime"\n', "facts.jsonl:3: a fact is a JSON object {...}, not a string"),
        (b"null\n", "facts.jsonl:1: a fact is a JSON object {...}, not null"),
        (b"42\n", "facts.jsonl:1: a fact is a JSON object {...}, not a number"),
        ("{\"id\": \"d\u00e9\"}\n".encode("latin-1"), "facts.jsonl: not UTF-8 text (byte 9)"),
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", "facts.jsonl:1: nested too deeply"),
    ],
    ids=["array", "string", "null", "number", "latin-1", "deep"],
)
def test_a_facts_line_that_is_no_fact_is_named(
    tmp_path: Path, content: bytes, message: str
) -> None:
    facts = tmp_path / "facts.jsonl"
    facts.write_bytes(content)
    result = invoke("run", FLAGSHIP_CONTRACT, "--facts", facts)
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_misspelt_event_kind_is_refused(tmp_path: Path) -> None:
    """`only: [credits]` would compare no event at all and pass with an empty `expect`."""
    scenario = tmp_path / "credits.scenario.yaml"
    scenario.write_text(
        f"contract: {FLAGSHIP_CONTRACT}\nsteps:\n  - advance_to: '2026-02-01T00:00:00Z'\n"
        "only: [credits]\nexpect: []\n",
        encoding="utf-8",
    )
    result = invoke("test", scenario)
    assert result.exit_code != 0 and "unknown event kind credits" in result.output, result.output
    run = invoke("run", FLAGSHIP_CONTRACT, "--kind", "credits")
    assert run.exit_code == 2 and "'credits' is not one of" in run.output


def test_test_on_a_folder_with_no_scenarios_fails(tmp_path: Path) -> None:
    """A CI job pointed at the wrong folder must not pass on nothing."""
    result = invoke("test", tmp_path)
    assert result.exit_code == 2 and "no scenario files" in result.output


def test_a_fact_resent_with_other_content_is_refused(tmp_path: Path) -> None:
    """Re-running a facts file into a store skips the facts it holds; one that comes back
    changed under the same id is a correction that needs an id of its own, not a silent skip."""
    facts = ROOT / "examples/managed_hosting/facts.jsonl"
    store = tmp_path / "hosting.db"
    assert invoke("run", FLAGSHIP_CONTRACT, "--facts", facts, "--store", store).exit_code == 0
    again = invoke("run", FLAGSHIP_CONTRACT, "--facts", facts, "--store", store)
    assert again.exit_code == 0 and "28 facts already in the store, skipped" in again.output
    changed = tmp_path / "changed.jsonl"
    text = facts.read_text(encoding="utf-8")
    end = '"end": "2026-03-03T22:00:00+01:00"'
    edited = text.replace(end, end.replace("03T22", "05T22"))
    assert edited != text
    changed.write_text(edited, encoding="utf-8")
    refused = invoke("run", FLAGSHIP_CONTRACT, "--facts", changed, "--store", store)
    assert refused.exit_code == 2, refused.output
    assert "with other content, none applied: dt-NL-2026-0303" in refused.output
