"""What-if replay: the same facts under two versions of a contract, and the money difference.

Input: the old and new IR bundles, the facts (JSON objects, as `clausec run` reads them), an
optional `until` for the clock, and the date the new version takes effect (an amendment's
`effective`), or None. Output: a `WhatIf` with the money each clause charged under each version
(credits, penalties, bonuses, interest ... by currency), the totals owed to each party, and the
basis of the comparison in words.

The runtime loads one bundle per engine and has no way to switch bundles mid-run, so with an
effective date the new side is spliced from two complete replays: amounts charged for a time
before the effective date (an SLA credit is dated by its window's start, a penalty by the
performance it was charged on) come from the old version's replay, the rest from the new
one's. Caps and counts that span the effective date (a cap per contract year, an aggregate cap,
"3 breaches in 6 months") are computed within each replay and may differ from a real migration.
Without an effective date, or when asked, the new version applies to the whole period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from clausec import ir
from runtime.claims import is_forfeiture
from runtime.context import Charge
from runtime.engine import Engine

BATCH = 1000  # as `clausec run` ingests, so both give the same events


@dataclass(frozen=True)
class MoneyRow:
    """One clause and kind of amount (or one payee, for totals) in one currency."""

    clause: str
    ref: str | None
    kind: str
    currency: str
    old: Decimal
    new: Decimal

    @property
    def change(self) -> Decimal:
        return self.new - self.old


@dataclass
class WhatIf:
    facts: int
    held_back: int  # facts after `until`, not applied (as `clausec run --until` does)
    clock: datetime
    basis: str  # from_effective_date | whole_period
    effective: date | None
    note: str
    by_clause: list[MoneyRow] = field(default_factory=list)
    owed: list[MoneyRow] = field(default_factory=list)  # clause = the party owed
    diagnostics: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "facts": self.facts,
            "held_back": self.held_back,
            "clock": self.clock.isoformat().replace("+00:00", "Z"),
            "basis": self.basis,
            "effective": self.effective.isoformat() if self.effective else None,
            "note": self.note,
            "by_clause": [
                {"clause": r.clause, "ref": r.ref, "kind": r.kind} | _money(r)
                for r in self.by_clause
            ],
            "owed": [{"party": r.clause} | _money(r) for r in self.owed],
            "diagnostics": self.diagnostics,
        }


def _money(row: MoneyRow) -> dict[str, str]:
    """Amounts as the runtime writes them: Decimal digits and the currency, never a float."""
    return {
        "currency": row.currency,
        "old": f"{row.old} {row.currency}",
        "new": f"{row.new} {row.currency}",
        "change": f"{row.change} {row.currency}",
    }


def replay(
    bundle: ir.Bundle,
    facts: list[dict[str, Any]],
    until: datetime | None,
    amendment: ir.Bundle | None = None,
) -> Engine:
    """One version over the facts, as `clausec run` does (with an amendment loaded, in force
    from its effective date); raises FactError, applying nothing."""
    engine = Engine(bundle)
    if amendment is not None:
        engine.amend(amendment)
    accepted = engine.validate(facts)
    if until is not None:
        known = {f.id for f in accepted if f.time <= until}
        facts = [f for f in facts if f.get("id") in known]
    for start in range(0, len(facts), BATCH):
        engine.ingest(facts[start : start + BATCH])
    if until is not None and until > engine.clock:
        engine.advance_to(until)
    return engine


def _refs(bundle: ir.Bundle) -> dict[str, str | None]:
    refs: dict[str, str | None] = {c.id: c.ref for c in bundle.clauses()}
    if bundle.closeout is not None:
        refs.setdefault("closeout", bundle.closeout.ref)
    return refs


def _totals(charges: Iterable[Charge], key: str) -> dict[tuple[str, str, str], Decimal]:
    totals: dict[tuple[str, str, str], Decimal] = {}
    for charge in charges:
        if is_forfeiture(charge):
            # Whether a party claims its credits is not a term of either version (and a replay
            # of facts never claims): the diff prices what each version charges.
            continue
        group = (
            (charge.clause, charge.kind, charge.amount.currency)
            if key == "clause"
            else (charge.payee or "unassigned", "owed", charge.amount.currency)
        )
        totals[group] = totals.get(group, Decimal(0)) + charge.amount.amount
    return totals


def _rows(
    old: Iterable[Charge], new: Iterable[Charge], key: str, refs: dict[str, str | None]
) -> list[MoneyRow]:
    before, after = _totals(old, key), _totals(new, key)
    zero = Decimal(0)
    return [
        MoneyRow(name, refs.get(name), kind, currency, before.get(k, zero), after.get(k, zero))
        for k in sorted(before.keys() | after.keys())
        for name, kind, currency in [k]
    ]


def _note(effective: date | None, whole_period: bool) -> str:
    if effective is None:
        return (
            "NEW is a whole contract, not an amendment with an effective date: it applies to "
            "the whole period."
        )
    if whole_period:
        return (
            f"NEW applies to the whole period, as asked (--whole-period), although it takes "
            f"effect on {effective}."
        )
    return (
        f"NEW is loaded onto OLD as an amendment and takes over on {effective}, as in "
        "`clausec run --amend`: a window that began before that date is priced under OLD, "
        "and caps and counts run on across the date."
    )


def what_if(
    old: ir.Bundle,
    new: ir.Bundle,
    facts: list[dict[str, Any]],
    until: datetime | None,
    effective: date | None,
    whole_period: bool = False,
    amended: ir.Bundle | None = None,
) -> WhatIf:
    """Replay both versions over the facts and compare the money. With an amendment (the
    bundle `compile_amendment` makes, carrying its effective date) NEW is OLD with the
    amendment loaded, unless `whole_period`. Raises FactError naming the facts a version
    refuses (a new version may declare different fact schemas)."""
    only_new = {f.name for f in new.facts} - {f.name for f in old.facts}
    before = replay(old, [f for f in facts if f.get("type") not in only_new], until)
    splice = effective is not None and not whole_period and amended is not None
    after = replay(old, facts, until, amended) if splice else replay(new, facts, until)
    charges = after.ledger()
    refs = _refs(old) | _refs(new)
    applied = len(after.seen)
    return WhatIf(
        facts=applied,
        held_back=len(facts) - applied,
        clock=max(before.clock, after.clock),
        basis="from_effective_date" if splice else "whole_period",
        effective=effective,
        note=_note(effective, whole_period),
        by_clause=_rows(before.ledger(), charges, "clause", refs),
        owed=_rows(before.ledger(), charges, "payee", {}),
        diagnostics=[
            f"{side}: {d.level}[{d.code}]: {d.message}"
            for side, engine in (("old", before), ("new", after))
            for d in engine.diagnostics
        ],
    )
