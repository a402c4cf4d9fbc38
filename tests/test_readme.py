"""The README's examples run: its clause tour compiles and its Python examples execute."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from clausec.compiler import compile_contract

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_the_tour_compiles(tmp_path: Path) -> None:
    (tour,) = blocks("clause")
    path = tmp_path / "tour.clause"
    path.write_text(tour, encoding="utf-8")
    result = compile_contract(path)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.bundle is not None


@pytest.mark.parametrize("code", blocks("python"), ids=lambda c: c.splitlines()[0][:40])
def test_python_examples_run(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    runpy.run_path(str(script))
