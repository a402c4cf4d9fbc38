"""Golden tests for the compiler: whole `.clause` files in, recorded output out.

Layout, one case per `.clause` file:

    tests/golden/good/NAME.clause          a valid contract
    tests/golden/good/NAME.ir.json         its IR, `bundle.to_json()`
    tests/golden/good/NAME.expected.txt    its warnings as `clausec check` prints them; only when
                                           it has some (a good case without one has none)
    tests/golden/bad/ccNNN_what.clause     a realistic contract with one mistake, named after the
                                           code it must raise and the mistake
    tests/golden/bad/ccNNN_what.expected.txt
                                           every diagnostic as `clausec check` prints it
                                           (`render_all`), so each error asserts its code, message,
                                           underlined snippet, help and notes

Files whose name starts with `_` are not cases but support files: `bad/_ticketing_base.clause` is
the contract that the amendment cases amend (an amendment is checked against the contract with
its `amends` id in the same folder).

Every case is compiled from the repository root with a relative path, so the paths in the
recorded output do not depend on where the checkout lives. Re-record the expected files with
`CLAUSEC_UPDATE_GOLDEN=1 pytest tests/test_golden.py` and review the change with `git diff`.

`golden/known_bugs.toml` lists the cases that show a compiler bug. They are strict xfails: their
expected diagnostics are written by hand with the correct output and are never re-recorded, so a
fix turns them into XPASS, which fails until the entry is removed.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from clausec.compiler import Compilation, compile_contract
from clausec.diagnostics import render_all

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
GOOD_DIR = GOLDEN / "good"
BAD_DIR = GOLDEN / "bad"
UPDATE_GOLDEN = os.environ.get("CLAUSEC_UPDATE_GOLDEN") == "1"
RECORD_HINT = "record it with CLAUSEC_UPDATE_GOLDEN=1 pytest tests/test_golden.py"


def known_bugs() -> dict[str, str]:
    """Case name -> the compiler bug it shows, from golden/known_bugs.toml."""
    with (GOLDEN / "known_bugs.toml").open("rb") as file:
        bugs = tomllib.load(file).get("bugs", {})
    assert all(isinstance(v, str) for v in bugs.values())
    return dict(bugs)


KNOWN_BUGS = known_bugs()


def cases(folder: Path) -> list[Path]:
    """The `.clause` cases of a folder, in name order; `_support` files are not cases."""
    return sorted(p for p in folder.glob("*.clause") if not p.name.startswith("_"))


def params(folder: Path) -> list[pytest.ParameterSet]:
    """One test parameter per case, id'd by its stem; known bugs are strict xfails."""
    out = []
    for path in cases(folder):
        bug = KNOWN_BUGS.get(path.stem)
        marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


def compile_case(path: Path, monkeypatch: pytest.MonkeyPatch) -> Compilation:
    """Compile as `clausec check tests/golden/...` does when run from the repository root."""
    monkeypatch.chdir(ROOT)
    return compile_contract(path.relative_to(ROOT).as_posix())


def rendered(result: Compilation) -> str:
    """What `clausec check` prints before its summary line; empty without diagnostics."""
    text = render_all(result.diagnostics, result.sources)
    return text + "\n" if text else ""


def expected_path(case: Path, suffix: str) -> Path:
    return case.with_name(case.stem + suffix)


def check_golden(case: Path, suffix: str, actual: str, *, may_record: bool = True) -> None:
    """Compare `actual` with the recorded file, recording it first under CLAUSEC_UPDATE_GOLDEN."""
    path = expected_path(case, suffix)
    if UPDATE_GOLDEN and may_record:
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no {path.relative_to(ROOT)}; {RECORD_HINT}")
    assert actual == path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- valid contracts


@pytest.mark.parametrize("case", params(GOOD_DIR))
def test_good(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = compile_case(case, monkeypatch)
    text = rendered(result)
    assert result.ok, f"a good case must compile without errors:\n{text}"
    assert result.bundle is not None, "a good case must hold a contract"
    check_golden(case, ".ir.json", result.bundle.to_json())
    check_warnings(case, text)


def check_warnings(case: Path, text: str) -> None:
    """A good case records its warnings only if it has some; none is recorded as no file.

    The IR never depends on diagnostics, so a known bug freezes only the warnings file.
    """
    path = expected_path(case, ".expected.txt")
    may_record = case.stem not in KNOWN_BUGS
    if UPDATE_GOLDEN and may_record and not text:
        path.unlink(missing_ok=True)
    if path.exists() or (text and may_record):
        check_golden(case, ".expected.txt", text, may_record=may_record)
    else:
        assert text == "", "unexpected diagnostics in a good case"


# ---------------------------------------------------------------- one mistake per file


@pytest.mark.parametrize("case", params(BAD_DIR))
def test_bad(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = compile_case(case, monkeypatch)
    text = rendered(result)
    assert result.diagnostics, "a bad case must produce at least one diagnostic"
    check_golden(case, ".expected.txt", text, may_record=case.stem not in KNOWN_BUGS)


def test_cases_exist() -> None:
    assert len(cases(GOOD_DIR)) >= 4
    assert len(cases(BAD_DIR)) >= 30


def test_known_bugs_name_existing_cases() -> None:
    names = {p.stem for p in cases(GOOD_DIR) + cases(BAD_DIR)}
    assert sorted(set(KNOWN_BUGS) - names) == []


def test_no_orphan_expected_files() -> None:
    """Every recorded file belongs to a case, so a renamed case leaves nothing behind."""
    names = {p.stem for p in cases(GOOD_DIR) + cases(BAD_DIR)}
    recorded = [*GOLDEN.glob("*/*.expected.txt"), *GOLDEN.glob("*/*.ir.json")]
    orphans = [p.name for p in recorded if p.name.split(".")[0] not in names]
    assert orphans == []


@pytest.mark.parametrize("support", sorted(BAD_DIR.glob("_*.clause")), ids=lambda p: p.stem)
def test_support_files_compile_cleanly(support: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The amendment cases must show only the amendment's mistake, not their base contract's."""
    result = compile_case(support, monkeypatch)
    assert result.diagnostics == [], rendered(result)
    assert result.bundle is not None


# ---------------------------------------------------------------- CC100: the file cannot be read


def test_cc100_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = compile_contract("contracts/hosting.clause")
    assert [d.code for d in result.diagnostics] == ["CC100"]
    assert result.bundle is None
    assert rendered(result) == (
        "contracts/hosting.clause:0:0: error[CC100]: "
        "cannot read contracts/hosting.clause: No such file or directory\n"
    )


def test_cc100_file_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Saved in Latin-1 by an old editor: the umlaut is the single byte 0xFC.
    text = 'contract "Reinigungsvertrag" {\n  party client "Kaltenbach Rechtsanwälte GmbH"\n}\n'
    Path("cleaning.clause").write_bytes(text.encode("latin-1"))
    result = compile_contract("cleaning.clause")
    assert [d.code for d in result.diagnostics] == ["CC100"]
    assert result.bundle is None
    assert rendered(result) == (
        "cleaning.clause:0:0: error[CC100]: cannot read cleaning.clause: it is not UTF-8 text\n"
    )
