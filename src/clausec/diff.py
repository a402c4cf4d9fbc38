"""The semantic diff of two compiled versions of a contract: what changed, not which lines.

Input: two IR bundles, old and new. Output: a `BundleDiff`, grouped as a reviewer reads a
contract: the header, parameters (old and new values), parties, roles, fact schemas,
contract-wide caps, and clauses (metrics, SLAs, obligations, escalations, triggers, incentives,
plans, close-out), each with its legal reference. A changed clause lists the facets that differ
(`clause_facets`): target, tier rows, caps, rates, deadlines, owners, parties. A clause whose
own terms are unchanged but that reads a changed parameter or metric is listed as `affected`,
because its money changes all the same. Clauses are matched by kind and name; a clause that
moves or is reformatted is unchanged. Deterministic: the order is the new version's, with
removed items where they stood in the old one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from clausec import ir
from clausec import show_ir as show
from clausec.clause_facets import (
    Facets,
    clause_facets,
    closeout_facets,
    header_facets,
    metric_facets,
    type_text,
)

K = TypeVar("K", bound=Hashable)
SECTIONS = ("parameters", "parties", "roles", "facts", "aggregate_caps", "clauses")
_QUIET = {"(none)", "no", ""}  # facet values not worth listing for a clause added or removed


@dataclass(frozen=True)
class Change:
    aspect: str
    old: str | None  # None: the aspect is new
    new: str | None  # None: the aspect is gone


@dataclass
class ItemDiff:
    kind: str  # param, party, role, fact, cap, metric, sla, obligation, ...
    name: str
    ref: str | None
    status: str  # added | removed | changed | affected
    changes: list[Change] = field(default_factory=list)
    reads_changed: list[str] = field(default_factory=list)


@dataclass
class BundleDiff:
    header: list[Change]
    sections: dict[str, list[ItemDiff]]

    def count(self, status: str) -> int:
        return sum(item.status == status for items in self.sections.values() for item in items)

    @property
    def unchanged(self) -> bool:
        return not self.header and not any(self.sections.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "header": [asdict(c) for c in self.header],
            **{name: [asdict(i) for i in items] for name, items in self.sections.items()},
            "summary": {s: self.count(s) for s in ("changed", "added", "removed", "affected")},
        }


@dataclass(frozen=True)
class _Entry:
    kind: str
    name: str
    ref: str | None
    facets: Facets
    reads: frozenset[str] = frozenset()


def _references(data: Any) -> Iterator[str]:
    """Parameters and metrics an IR tree reads, as 'parameter NAME' and 'metric NAME'."""
    if isinstance(data, list):
        if len(data) == 2 and data[0] in ("param", "metric") and isinstance(data[1], str):
            yield f"{'parameter' if data[0] == 'param' else 'metric'} {data[1]}"
        for item in data:
            yield from _references(item)
    elif isinstance(data, dict):
        if isinstance(data.get("metric"), str):  # an SLA's `measure`, a metric condition
            yield f"metric {data['metric']}"
        for value in data.values():
            yield from _references(value)


def _entry(kind: str, name: str, ref: str | None, facets: Facets, model: ir.Model) -> _Entry:
    return _Entry(kind, name, ref, facets, frozenset(_references(model.model_dump(mode="json"))))


def _clauses(bundle: ir.Bundle) -> list[_Entry]:
    out = [_entry("metric", m.id, m.ref, metric_facets(m), m) for m in bundle.metrics]
    out += [_entry(c.kind, c.id, c.ref, clause_facets(c), c) for c in bundle.clauses()]
    if bundle.closeout is not None:
        closeout = bundle.closeout
        out.append(
            _entry("closeout", "closeout", closeout.ref, closeout_facets(closeout), closeout)
        )
    return out


def _entries(bundle: ir.Bundle) -> dict[str, list[_Entry]]:
    caps = [
        _entry(
            "cap",
            f"on {', '.join(c.kinds)} {show.scope(c.scope)}",
            None,
            {"amount": show.expr(c.amount)},
            c,
        )
        for c in bundle.aggregate_caps
    ]
    return {
        "parameters": [
            _entry(
                "param", p.name, None, {"value": show.expr(p.value), "type": type_text(p.type)}, p
            )
            for p in bundle.params
        ],
        "parties": [
            _entry("party", p.name, None, {"legal name": p.legal_name}, p) for p in bundle.parties
        ],
        "roles": [
            _entry(
                "role",
                r.name,
                None,
                {"party": r.party, "contact": r.contact or "(none)", "raci": r.raci},
                r,
            )
            for r in bundle.roles
        ],
        "facts": [
            _entry(
                "fact",
                f.name,
                None,
                {"key": f.key or "(none)"}
                | {f"field {k}": type_text(t) for k, t in f.fields.items()},
                f,
            )
            for f in bundle.facts
        ],
        "aggregate_caps": caps,
        "clauses": _clauses(bundle),
    }


def merged_order(old: Iterable[K], new: Iterable[K]) -> list[K]:
    """The new order, with each key only in the old one placed after its old predecessor."""
    merged = list(dict.fromkeys(new))
    previous: K | None = None
    for label in old:
        if label not in merged:
            merged.insert(merged.index(previous) + 1 if previous is not None else 0, label)
        previous = label
    return merged


def compare_facets(old: Facets | None, new: Facets | None) -> list[Change]:
    """The facets that differ; tier and band rows are aligned first (`compare_rows`)."""
    if old is None or new is None:
        facets, added = (new, True) if old is None else (old, False)
        assert facets is not None
        return [
            Change(label, None if added else value, value if added else None)
            for label, value in facets.items()
            if value not in _QUIET and label != "legal reference"
        ]
    changes: list[Change] = []
    tables_done: set[str] = set()
    for label in merged_order(old, new):
        row = _ROW.match(label)
        if row is None:
            if old.get(label) != new.get(label):
                changes.append(Change(label, old.get(label), new.get(label)))
        elif row["table"] not in tables_done:
            tables_done.add(row["table"])
            changes += compare_rows(
                row["table"], _table(old, row["table"]), _table(new, row["table"])
            )
    return changes


_ROW = re.compile(r"^(?P<table>.+ (?:tier|band)) (?P<row>\d+)$")


def _table(facets: Facets, table: str) -> list[str]:
    return [v for k, v in facets.items() if (m := _ROW.match(k)) and m["table"] == table]


def _payout(row: str) -> str:
    """What a tier or band row pays: '25%' of '25% if availability < 99%'."""
    return (
        row.split(" if ")[0].removesuffix(" otherwise") if ": " not in row else row.rsplit(": ")[-1]
    )


def compare_rows(table: str, old: list[str], new: list[str]) -> list[Change]:
    """Rows of a tier or band table, aligned so that inserting a row does not show every row
    after it as changed; within a changed stretch, rows paying the same are paired first, so
    a moved threshold reads as one changed row. Rows are numbered as in the new table; a row
    only in the old one is named by its old number."""
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, pairs = list(range(i1, i2)), {}
        for j in range(j1, j2):
            same = next((i for i in olds if _payout(old[i]) == _payout(new[j])), None)
            if same is not None:
                pairs[j] = same
                olds.remove(same)
        for j in range(j1, j2):
            if j not in pairs and olds:
                pairs[j] = olds.pop(0)
        for j in range(j1, j2):
            i = pairs.get(j)
            moved = f" (was {i + 1})" if i is not None and i != j else ""
            changes.append(
                Change(f"{table} {j + 1}{moved}", old[i] if i is not None else None, new[j])
            )
        changes += [Change(f"old {table} {i + 1}", old[i], None) for i in olds]
    return changes


def _compare(old: list[_Entry], new: list[_Entry], changed: set[str]) -> list[ItemDiff]:
    before = {(e.kind, e.name): e for e in old}
    after = {(e.kind, e.name): e for e in new}
    out: list[ItemDiff] = []
    for key in merged_order(before, after):
        was, now = before.get(key), after.get(key)
        entry = now or was
        assert entry is not None
        changes = compare_facets(was.facets if was else None, now.facets if now else None)
        status = "added" if was is None else "removed" if now is None else "changed"
        reads = sorted(entry.reads & changed) if was and now else []
        if status == "changed" and not changes:
            if not reads:
                continue
            status = "affected"
        out.append(ItemDiff(entry.kind, entry.name, entry.ref, status, changes, reads))
    return out


def diff_bundles(old: ir.Bundle, new: ir.Bundle) -> BundleDiff:
    """Compare two compiled versions; parameters and metrics first, since a change to either
    shows up again in every clause that reads it."""
    before, after = _entries(old), _entries(new)
    sections: dict[str, list[ItemDiff]] = {}
    changed: set[str] = set()
    for name in SECTIONS:
        sections[name] = _compare(before[name], after[name], changed)
        if name == "parameters":
            changed |= {f"parameter {item.name}" for item in sections[name]}
    # A clause reading a changed metric is affected too: compare metrics, then the rest again.
    changed |= {f"metric {i.name}" for i in sections["clauses"] if i.kind == "metric"}
    sections["clauses"] = _compare(before["clauses"], after["clauses"], changed)
    header = compare_facets(header_facets(old.header), header_facets(new.header))
    return BundleDiff(header, sections)
