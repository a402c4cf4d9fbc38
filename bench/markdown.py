"""Markdown for the benchmark's report: numbers and tables."""

from __future__ import annotations

from collections.abc import Sequence


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]
