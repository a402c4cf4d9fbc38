"""The clause text of a clause taken from a template shows how the `use` binds it.

Data-driven: tests/data/instance_text/cases.toml lists `clausec explain` calls and the clause
lines each must show (in order) or must not show. A second test checks every contract under
tests/golden/good/ and examples/: a clause from a template ends its IR text with a `with
(use ...)` block naming only parameters of that template; a clause written in the contract has
none.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clausec import nodes as n
from clausec.cli import main
from clausec.compiler import compile_amendment, compile_contract, compile_or_raise

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = ROOT / "tests" / "data" / "instance_text" / "cases.toml"
CASES: list[dict[str, Any]] = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"]
CONTRACTS = sorted(
    path
    for path in [*(ROOT / "tests/golden/good").glob("*.clause"), *ROOT.glob("examples/*/*.clause")]
    if not path.name.startswith("amendment")  # checked against its base, not on its own
)


def clause_lines(output: str) -> list[str]:
    marked = [line for line in output.splitlines() if line.startswith("    | ")]
    return [line.removeprefix("    | ").strip() for line in marked]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_explanation_shows_bound_values(case: dict[str, Any]) -> None:
    args = ["explain", str(ROOT / case["contract"]), "--facts", str(ROOT / case["facts"])]
    result = CliRunner().invoke(main, [*args, "--until", case["until"], case["event"]])
    assert result.exit_code == 0, result.output
    lines = clause_lines(result.output)
    positions = [lines.index(wanted) for wanted in case["shows"]]
    assert positions == sorted(positions), lines
    for unwanted in case["hides"]:
        assert not any(line.startswith(unwanted) for line in lines), lines


def bundle_clauses(path: Path) -> tuple[dict[str, Any], dict[str, n.Origin | None]]:
    compiled = compile_contract(path)
    assert compiled.bundle is not None and compiled.contract is not None, path
    texts = {
        c["id"]: c["text"]
        for kind in ("slas", "obligations", "escalations", "triggers", "incentives", "plans")
        for c in compiled.bundle.model_dump()[kind]
    }
    origins = {m.name: m.origin for m in compiled.contract.members if isinstance(m, n.CLAUSE_TYPES)}
    return texts, origins


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_instance_text_has_bindings(path: Path) -> None:
    texts, origins = bundle_clauses(path)
    for name, text in texts.items():
        origin = origins.get(name)
        if origin is None:
            assert "\nwith (use " not in text, name
            continue
        body, _, block = text.partition("\nwith (use ")
        head, *bindings = block.splitlines()
        assert head.startswith(f"{origin.template} as {origin.alias}"), head
        assert len(bindings) <= len(origin.bindings)
        params = {b.param for b in origin.bindings}
        for line in bindings:
            param = line.strip().split(" = ")[0]
            assert param in params and param in body, (name, line)


def test_a_contract_parameter_is_named_not_valued() -> None:
    """`set monthly_fee = 47500 EUR` changes the parameter, not the clause's text: the text
    names the parameter, so a clause an amendment leaves alone reads the same in both versions."""
    base = compile_or_raise(ROOT / "examples" / "managed_hosting" / "contract.clause")
    compiled = compile_amendment(ROOT / "examples" / "managed_hosting" / "amendment_1.clause")
    assert compiled.amended is not None
    texts = [
        next(s.text for s in bundle.slas if s.id == "uptime.credits")
        for bundle in (base, compiled.amended)
    ]
    assert texts[0] == texts[1]
    assert "\n  fee = monthly_fee\n" in texts[0]
    fee = next(p for p in compiled.amended.params if p.name == "monthly_fee")
    assert fee.value is not None and "47500" in str(fee.value)
