"""Amendments on a running contract: the next version takes over at its effective date.

    engine.amend(compile_amendment("amendment_1.clause").amended)

At the start of the effective date (in the contract's zone) the engine:
1. adopts the new version's terms: parameters, clauses, metrics, triggers; events from then
   on carry the new version number;
2. migrates live obligations as the amendment says, and only as it says: `discharge X` and
   `migrate X to Y` discharge every open instance of X with the amendment's reason, and
   `migrate` creates each one's replacement under Y's new terms (`Y@v2`, `Y[key]@v2`). An
   instance not named keeps the terms it was created under;
3. starts what the new version adds: new obligations, and the windows of new metrics;
4. emits an `amendment` event that explains the change.

A measurement window is always assessed under the terms in force at its start, so a June
window assessed in July is priced as June's contract says. Other amounts (a penalty for a
late delivery, interest) are computed under the terms in force when they fall due.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from clausec import ir
from runtime.derived import derived_obligations

if TYPE_CHECKING:
    from runtime.context import Context
    from runtime.engine import Engine


class AmendmentError(ValueError):
    """An amendment that cannot be loaded onto this engine."""


@dataclass(frozen=True, slots=True)
class Terms:
    """One version's terms, as the kernels read them from the context."""

    since: datetime | None  # None: from the contract's start
    bundle: ir.Bundle
    params: dict[str, Any]
    clauses: dict[str, ir.Clause]


def clauses_of(bundle: ir.Bundle) -> dict[str, ir.Clause]:
    return {c.id: c for c in bundle.clauses()}


@contextmanager
def terms_at(ctx: Context, moment: datetime) -> Iterator[None]:
    """Read the contract as it stood at `moment` for the duration of the block."""
    chosen = None
    for terms in ctx.versions:
        if terms.since is None or terms.since <= moment:
            chosen = terms
    if chosen is None or chosen.bundle is ctx.bundle:
        yield
        return
    saved = (ctx.bundle, ctx.params, ctx.clauses)
    ctx.bundle, ctx.params, ctx.clauses = chosen.bundle, chosen.params, chosen.clauses
    try:
        yield
    finally:
        ctx.bundle, ctx.params, ctx.clauses = saved


def schedule(engine: Engine, bundle: ir.Bundle) -> datetime:
    """Check an amended bundle against the engine and put its switch on the agenda."""
    ctx = engine.ctx
    record = bundle.amendment
    if record is None:
        raise AmendmentError("this bundle is a contract, not an amendment (compile_amendment)")
    header, latest = bundle.header, engine.latest_version
    if header.id != ctx.bundle.header.id:
        raise AmendmentError(
            f"the amendment is of contract {header.id}, not {ctx.bundle.header.id}"
        )
    if record.amends_version != latest:
        raise AmendmentError(
            f"the amendment amends version {record.amends_version}, but the contract is at "
            f"version {latest}"
        )
    effective = ctx.time.midnight(date.fromisoformat(record.effective))
    if effective < ctx.clock:
        raise AmendmentError(
            f"the amendment takes effect on {record.effective}, before the clock "
            f"({ctx.clock.isoformat()}): load it before facts after its effective date"
        )
    engine.latest_version = header.version
    ctx.agenda.schedule(
        effective, lambda now: switch(engine, bundle, now), f"amend v{header.version}"
    )
    return effective


def switch(engine: Engine, bundle: ir.Bundle, now: datetime) -> None:
    ctx = engine.ctx
    if not ctx.versions:
        ctx.versions.append(Terms(None, ctx.bundle, ctx.params, ctx.clauses))
    old = ctx.bundle
    ctx.bundle, ctx.clauses = bundle, clauses_of(bundle)
    ctx.params = ctx.evaluate_params()
    ctx.versions.append(Terms(now, bundle, ctx.params, ctx.clauses))
    added = _register(engine, old, bundle)
    _explain(engine, old, bundle, now, added)
    _migrate(engine, bundle, now)
    engine.obligations_kernel.start_specs(added, now)
    engine.windows_kernel.adopt(bundle, now)


def _migrate(engine: Engine, bundle: ir.Bundle, now: datetime) -> None:
    """Discharge the open instances each migrate/discharge line names; create replacements."""
    kernel = engine.obligations_kernel
    record = bundle.amendment
    assert record is not None
    version = bundle.header.version
    for migration in record.migrations:
        why = f"superseded by {record.title} (version {version}): {migration.reason}"
        open_ = [
            inst
            for inst in list(kernel.instances.values())
            if inst.spec.id == migration.obligation
            and inst.state in ("created", "in_effect", "suspended")
        ]
        for inst in open_:
            kernel.discharge(inst, now, why)
            if migration.to is None:
                continue
            spec = kernel.specs[migration.to]
            suffix = inst.id[len(migration.obligation) :]
            replacement = f"{migration.to}{suffix}@v{version}"
            kernel.create(spec, now, replacement, inst.record, inst.key, anchor=now)


def _register(engine: Engine, old: ir.Bundle, bundle: ir.Bundle) -> list[ir.Obligation]:
    """Register every obligation of the new version, so that instances created from now on
    (replacements included) follow its terms; returns those it adds."""
    kernel = engine.obligations_kernel
    before = len(kernel.patterns)
    for spec in [*bundle.obligations, *derived_obligations(bundle)]:
        kernel.register(spec)
    engine.matcher.load(kernel.patterns[before:])
    known = {spec.id for spec in old.obligations}
    return [spec for spec in bundle.obligations if spec.id not in known]


def _explain(
    engine: Engine,
    old: ir.Bundle,
    bundle: ir.Bundle,
    now: datetime,
    added: list[ir.Obligation],
) -> None:
    record = bundle.amendment
    assert record is not None
    before = {p.name: p.value for p in old.params}
    changed = [p.name for p in bundle.params if before.get(p.name) != p.value]
    old_clauses = clauses_of(old)
    replaced = [
        c for c, spec in clauses_of(bundle).items() if c in old_clauses and spec != old_clauses[c]
    ]
    removed = sorted(set(old_clauses) - set(clauses_of(bundle)))
    engine.ctx.emit(
        "amendment",
        "amendment",
        now,
        f"{record.title} in force: version {bundle.header.version} replaces version "
        f"{record.amends_version}" + (f" ({record.summary})" if record.summary else ""),
        instance=f"v{bundle.header.version}",
        values={
            "effective": record.effective,
            "parameters changed": ", ".join(changed) or "none",
            "clauses changed": ", ".join(replaced) or "none",
            "clauses added": ", ".join(spec.id for spec in added) or "none",
            "clauses removed": ", ".join(removed) or "none",
            "migrations": "; ".join(
                f"{m.obligation} -> {m.to or 'discharged'}" for m in record.migrations
            )
            or "none",
            "bundle": bundle.hash,
        },
    )
