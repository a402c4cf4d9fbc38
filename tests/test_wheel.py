"""The built wheel works on its own: installed into a clean virtualenv, run outside the checkout.

This catches what the in-repo tests cannot: a grammar or stdlib file missing from the wheel
(`resources.py` would silently find the checkout's copy), a missing dependency, or a broken
console-script entry point. It builds the wheel with `python -m build`, installs it with pip
(dependencies from the index; pip's cache makes re-runs fast) and runs `clausec` from a folder
outside the repository. Marked `slow`, but part of the default run; deselect it with
`pytest -m "not slow"` when iterating.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "managed_hosting" / "contract.clause"
BUILD_TIMEOUT, INSTALL_TIMEOUT, RUN_TIMEOUT = 600, 900, 120

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """The environment without this checkout's virtualenv or sources on any search path."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    return env


def run(args: list[str | Path], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, ROOT], ROOT, BUILD_TIMEOUT)
    [built] = dist.glob("clausec-*.whl")
    return built


@pytest.fixture(scope="module")
def venv_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", venv], venv, RUN_TIMEOUT)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", wheel], venv, INSTALL_TIMEOUT)
    return venv / "bin"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working folder outside the repository, holding a copy of the example contract."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert ROOT not in folder.parents
    shutil.copyfile(EXAMPLE, folder / "contract.clause")
    return folder


def test_wheel_carries_grammar_and_stdlib(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "clausec/_data/grammar/clause.lark" in names
    stdlib = sorted(p for p in (ROOT / "stdlib").rglob("*") if p.is_file())
    for path in stdlib:
        assert f"clausec/_data/stdlib/{path.relative_to(ROOT / 'stdlib').as_posix()}" in names
    assert "clausec/cli.py" in names and "clausec/py.typed" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_package_is_the_wheel_not_the_checkout(venv_bin: Path, outside: Path) -> None:
    probe = "import clausec.resources as r; print(r.grammar_path()); print(r.stdlib_dir())"
    result = run([venv_bin / "python", "-c", probe], outside, RUN_TIMEOUT)
    grammar, stdlib = (Path(line) for line in result.stdout.splitlines())
    venv = venv_bin.parent
    assert venv in grammar.parents and grammar.is_file()
    assert venv in stdlib.parents and stdlib.is_dir()


def test_installed_clausec_checks_and_compiles(venv_bin: Path, outside: Path) -> None:
    clausec = venv_bin / "clausec"
    checked = run([clausec, "check", "contract.clause"], outside, RUN_TIMEOUT)
    assert checked.stdout.strip().splitlines()[-1] == "checked 1 file: 0 errors, 0 warnings"
    run([clausec, "compile", "contract.clause", "-o", "out/bundle.json"], outside, RUN_TIMEOUT)
    bundle = json.loads((outside / "out" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["hash"].startswith("sha256:")
    version = run([clausec, "--version"], outside, RUN_TIMEOUT)
    assert "clausec" in version.stdout


def stdlib_importers() -> list[Path]:
    """Golden files that import a stdlib module by name, so the wheel's stdlib must resolve."""
    modules = {p.stem for p in (ROOT / "stdlib").glob("*.clause")}
    found = []
    for path in sorted((ROOT / "tests" / "golden" / "good").glob("*.clause")):
        imports = re.findall(r'^import "([^"]+)"', path.read_text(encoding="utf-8"), re.MULTILINE)
        if imports and all(name.removesuffix(".clause") in modules for name in imports):
            found.append(path)
    return found


def test_installed_clausec_resolves_stdlib_imports(venv_bin: Path, outside: Path) -> None:
    importers = stdlib_importers()
    if not importers:
        pytest.skip("no golden file imports the stdlib yet")
    for path in importers:
        shutil.copyfile(path, outside / path.name)
    result = run([venv_bin / "clausec", "check", *[p.name for p in importers]], outside, 120)
    assert f"checked {len(importers)} file" in result.stdout
