"""The standard library's documentation: every whole-file example on docs/stdlib.md and
docs/stdlib/*.md compiles against the real templates, and every template has a page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clausec.compiler import compile_contract
from clausec.diagnostics import render_all

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "docs" / "stdlib.md", *sorted((ROOT / "docs" / "stdlib").glob("*.md"))]


def examples() -> list[pytest.ParameterSet]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"```clause\n(.*?)```", text, re.S):
            body = match.group(1)
            first = next((line for line in body.splitlines()
                          if line.strip() and not line.lstrip().startswith("#")), "")
            if first.split(" ", 1)[0] in ("import", "contract"):
                line = text.count("\n", 0, match.start()) + 1
                found.append(pytest.param(body, id=f"{page.name}:{line}"))
    return found


@pytest.mark.parametrize("body", examples())
def test_example_compiles(body: str, tmp_path: Path) -> None:
    path = tmp_path / "example.clause"
    path.write_text(body, encoding="utf-8")
    result = compile_contract(path)
    assert result.ok, render_all(result.diagnostics, result.sources)


def test_every_stdlib_file_has_a_page_and_a_row() -> None:
    index = (ROOT / "docs" / "stdlib.md").read_text(encoding="utf-8")
    for template in sorted((ROOT / "stdlib").glob("*.clause")):
        assert (ROOT / "docs" / "stdlib" / f"{template.stem}.md").is_file(), template.stem
        assert f"`{template.stem}`" in index, f"{template.stem} is missing from docs/stdlib.md"
