"""Where the grammar and the standard library live, in a source checkout or an installed wheel.

The wheel carries `grammar/` and `stdlib/` under `clausec/_data/` (hatchling force-include); a
checkout has them at the repository root, two levels above this package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name


def grammar_path() -> Path:
    return _data_dir("grammar") / "clause.lark"


def stdlib_dir() -> Path:
    return _data_dir("stdlib")
