"""`clausec diff` as text: the semantic diff grouped by section and clause, and the what-if
money table. Plain text with fixed columns, no colour or box drawing, so that the output is
the same on every terminal and in a golden file.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal

from clausec.diff import BundleDiff, Change, ItemDiff
from clausec.what_if import MoneyRow, WhatIf

_TITLES = {
    "parameters": "Parameters",
    "parties": "Parties",
    "roles": "Roles",
    "facts": "Fact schemas",
    "aggregate_caps": "Contract-wide caps",
    "clauses": "Clauses",
}
_WIDTH = 100


def _value(text: str | None) -> str:
    return "(none)" if text is None else text


def _change(change: Change, status: str) -> str:
    if status == "added":
        return f"{change.aspect}: {_value(change.new)}"
    if status == "removed":
        return f"{change.aspect}: {_value(change.old)}"
    return f"{change.aspect}: {_value(change.old)} → {_value(change.new)}"


def _item(item: ItemDiff) -> list[str]:
    ref = f' "{item.ref}"' if item.ref else ""
    kind = "" if item.kind in ("param", "party", "role", "fact", "cap") else f"{item.kind} "
    head = f"  {item.status:<8} {kind}{item.name}{ref}"
    if item.status == "changed" and [c.aspect for c in item.changes] == ["value"]:
        return [f"{head}: {_value(item.changes[0].old)} → {_value(item.changes[0].new)}"]
    lines = [head]
    lines += [f"      {_change(c, item.status)}" for c in item.changes]
    if item.reads_changed:
        lines.append(f"      reads changed {', '.join(item.reads_changed)}")
    return lines


def render_diff(diff: BundleDiff) -> list[str]:
    """The semantic differences, one section per kind of declaration."""
    if diff.unchanged:
        return ["No differences: the two versions compile to the same terms."]
    lines: list[str] = []
    if diff.header:
        lines += ["Header"] + [f"  {_change(c, 'changed')}" for c in diff.header] + [""]
    for name, items in diff.sections.items():
        if items:
            lines.append(_TITLES.get(name, name))
            for item in items:
                lines += _item(item)
            lines.append("")
    lines.append("In all: " + "; ".join(_tally(diff)) + ".")
    return lines


def _tally(diff: BundleDiff) -> list[str]:
    """Per section, how many items changed, were added, removed or are affected."""
    out = []
    for name, items in diff.sections.items():
        statuses = ("changed", "added", "removed", "affected")
        counts = {s: sum(i.status == s for i in items) for s in statuses}
        words = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        if words:
            out.append(f"{_TITLES.get(name, name).lower()} {words}")
    return out or ["only the header"]


def signed(amount: Decimal) -> str:
    return f"+{amount}" if amount > 0 else str(amount)


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _money_rows(rows: list[MoneyRow], owed: bool) -> list[list[str]]:
    return [
        [
            f"owed to {r.clause}" if owed else r.clause + (f' "{r.ref}"' if r.ref else ""),
            "" if owed else r.kind,
            f"{r.old} {r.currency}",
            f"{r.new} {r.currency}",
            f"{signed(r.change)} {r.currency}",
        ]
        for r in rows
    ]


def render_what_if(result: WhatIf, facts_path: str) -> list[str]:
    """The money each clause charged under OLD and NEW over the same facts, and the totals."""
    clock = result.clock.isoformat().replace("+00:00", "Z")
    held = f", {result.held_back} later facts held back" if result.held_back else ""
    lines = [f"What-if over {facts_path}: {result.facts} facts{held}, clock at {clock}"]
    lines += textwrap.wrap(result.note, _WIDTH - 2, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    if not result.by_clause:
        return [*lines, "  No amounts charged under either version."]
    rows = [["clause", "kind", "old", "new", "change"]]
    rows += _money_rows(result.by_clause, owed=False)
    rows += _money_rows(result.owed, owed=True)
    lines += _table(rows, right={2, 3, 4})
    lines += [f"  {d}" for d in result.diagnostics]
    return lines
