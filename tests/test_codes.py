"""Every diagnostic code in `codes.CODES` is pinned by a golden case, and every case by its name.

A bad case is named after the code it must raise (`cc301_tier_gap.clause` raises CC301), and its
recorded output (`cc301_tier_gap.expected.txt`, see tests/test_golden.py) must show that code.
Together the cases that the compiler already gets right must raise every registered code, except
the few in NOT_COVERED, each with the reason it cannot be a golden file. A code added to the
registry therefore needs a golden case before the suite passes again.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

from clausec.codes import CODES

GOLDEN = Path(__file__).resolve().parent / "golden"
BAD_DIR = GOLDEN / "bad"
CASE_NAME = re.compile(r"cc(\d{3})_[a-z0-9]+(_[a-z0-9]+)*")
RECORD = "CLAUSEC_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
RENDERED_CODE = re.compile(r"^\S+:\d+:\d+: (?:error|warning)\[([A-Z]+\d{3})\]: ", re.MULTILINE)

# Codes that no golden file raises, each with the reason. Keep this list short: a code belongs
# here only when a `.clause` file cannot produce it.
NOT_COVERED: dict[str, str] = {
    # An I/O failure is not a property of a file's text, and a golden case is a file's text.
    # tests/test_golden.py covers it: test_cc100_missing_file and test_cc100_file_is_not_utf8.
    "CC100": "file cannot be read: covered by test_cc100_* in tests/test_golden.py",
}


@cache
def known_bugs() -> frozenset[str]:
    """The cases that show a compiler bug; their hand-written output proves nothing yet."""
    with (GOLDEN / "known_bugs.toml").open("rb") as file:
        return frozenset(tomllib.load(file).get("bugs", {}))


def bad_cases() -> list[Path]:
    return sorted(p for p in BAD_DIR.glob("*.clause") if not p.name.startswith("_"))


def expected_output(case: Path) -> str:
    path = case.with_name(case.stem + ".expected.txt")
    if not path.exists():
        pytest.fail(f"no {path.name}; record it with {RECORD}")
    return path.read_text(encoding="utf-8")


def codes_in(text: str) -> set[str]:
    """The codes in the header lines of rendered diagnostics (`path:1:2: error[CC101]: ...`)."""
    return set(RENDERED_CODE.findall(text))


def covered_codes() -> set[str]:
    """The codes raised by the bad cases the compiler already gets right."""
    covered: set[str] = set()
    for case in bad_cases():
        if case.stem not in known_bugs():
            covered |= codes_in(expected_output(case))
    return covered


def test_every_code_has_a_golden_case() -> None:
    compile_codes = {code for code in CODES if code.startswith("CC")}
    missing = sorted(compile_codes - covered_codes() - set(NOT_COVERED))
    assert missing == [], (
        "no golden bad case raises these codes; add tests/golden/bad/ccNNN_<mistake>.clause "
        f"for each, or list it in NOT_COVERED with the reason: {', '.join(missing)}"
    )


def test_not_covered_list_is_current() -> None:
    assert sorted(set(NOT_COVERED) - set(CODES)) == [], "NOT_COVERED names unregistered codes"
    now_covered = sorted(set(NOT_COVERED) & covered_codes())
    assert now_covered == [], f"golden cases raise these now, drop them: {now_covered}"


@pytest.mark.parametrize("case", bad_cases(), ids=lambda p: p.stem)
def test_bad_case_is_named_after_its_code(case: Path) -> None:
    match = CASE_NAME.fullmatch(case.stem)
    assert match, f"name bad cases ccNNN_what_is_wrong, not {case.name}"
    code = f"CC{match.group(1)}"
    assert code in CODES, f"{case.name} is named after {code}, which codes.CODES does not know"
    assert code in codes_in(expected_output(case)), f"{case.name} must raise {code}"


def scenario_diagnostics() -> set[str]:
    """Runtime codes that some scenario file expects (its `diagnostics:` list)."""
    root = Path(__file__).resolve().parent
    found: set[str] = set()
    for path in root.glob("scenarios/**/*.scenario.yaml"):
        found |= set(re.findall(r"\bRT4\d\d\b", path.read_text(encoding="utf-8")))
    return found


def test_every_runtime_code_has_a_scenario() -> None:
    """RT4xx diagnostics come from running a contract, so scenarios, not golden files, show
    them. RT402 guards an invariant the compiler and fact validation already keep (currencies
    are converted on arrival), so nothing reaches it from the outside."""
    runtime_codes = {code for code in CODES if code.startswith("RT")} - {"RT402"}
    assert sorted(runtime_codes - scenario_diagnostics()) == []
