"""The obligation instances that are not final yet, indexed for the facts that concern them.

In: every instance the obligation kernel creates, in creation order. Out: the live ones of an
obligation, of an obligation and key (`for each` evidence of the same fact type), or of an
obligation whose record has a given value (evidence joined to its instance by a leading
equality, `payment where invoice_number == invoice.number`). Each list keeps creation order,
so the kernel visits candidates in the order a scan of every instance would.

Guarantees: a final instance (fulfilled, discharged, terminated: no transition leaves these)
is never returned, and the value indexes drop an instance once it has its evidence
(`performed`); any other live one is returned by every index it belongs to. The indexes only
narrow the candidates: the kernel still checks each one's state and whole filter. Deciding
which instances a fact fulfils is left to the kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.evaluate import comparable

if TYPE_CHECKING:
    from runtime.obligations import Instance

FINAL = ("fulfilled", "discharged", "terminated")

# (record, attribute) -> comparable value of `record.attribute` -> instances; None where an
# instance has no such record (it cannot be indexed: such obligations are scanned).
Joined = dict[tuple[str, str], dict[Any, list["Instance"]] | None]


def _live(found: list[Instance]) -> list[Instance]:
    return [i for i in found if i.state not in FINAL]


def _value(inst: Instance, record: str, attribute: str) -> tuple[bool, Any]:
    """(indexable, value): the value a residual filter reads as `record.attribute`, where
    the instance's record is bound under that name (see `ObligationKernel.residual_holds`)."""
    each = inst.spec.recurrence.get("fact") if inst.spec.recurrence else None
    if inst.record is None or each != record:
        return False, None
    value = comparable(inst.record.get(attribute))
    try:
        hash(value)
    except TypeError:
        return False, None
    return True, value


class LiveInstances:
    def __init__(self) -> None:
        self.by_spec: dict[str, list[Instance]] = {}
        # A key has one instance: a `for each` instance's id is made from its key, and an id
        # that comes again replaces its instance (`rebuild`). No list per key, then: a list
        # per incident or invoice ever seen would be that many more objects for the collector.
        self.by_key: dict[tuple[str, str], Instance] = {}
        self.by_value: dict[str, Joined] = {}  # built for an obligation at its first join

    def add(self, inst: Instance) -> None:
        if inst.state in FINAL:
            return
        spec = inst.spec.id
        self.by_spec.setdefault(spec, []).append(inst)
        if inst.key is not None:
            self.by_key[(spec, inst.key)] = inst
        for (record, attribute), index in self.by_value.get(spec, {}).items():
            if index is not None:
                self._file(index, inst, (spec, record, attribute))

    def _file(
        self, index: dict[Any, list[Instance]], inst: Instance, where: tuple[str, str, str]
    ) -> None:
        indexable, value = _value(inst, where[1], where[2])
        if indexable:
            index.setdefault(value, []).append(inst)
        else:
            self.by_value[where[0]][(where[1], where[2])] = None

    def rebuild(self, instances: list[Instance]) -> None:
        """From scratch, after an instance id was reused (its new instance takes the old
        one's place in the creation order)."""
        self.by_spec.clear()
        self.by_key.clear()
        self.by_value.clear()
        for inst in instances:
            self.add(inst)

    def of(self, spec: str, key: str | None = None) -> list[Instance]:
        """A new list of the live instances of `spec` (with that key); those that have
        become final since the last look are dropped from the index."""
        if key is not None:
            inst = self.by_key.get((spec, key))
            if inst is None:
                return []
            if inst.state in FINAL:
                del self.by_key[(spec, key)]
                return []
            return [inst]
        found = self.by_spec.get(spec)
        if not found:
            return []
        kept = _live(found)
        if len(kept) != len(found):
            self.by_spec[spec] = kept
        return kept

    def performed(self, inst: Instance) -> None:
        """`inst` has its evidence, so no later fact is evidence for it: the value indexes
        let it go now. (An invoice's number is looked up again only if it is paid twice;
        its entry would otherwise stay for good, one list per invoice paid.)"""
        spec = inst.spec.id
        for (record, attribute), index in self.by_value.get(spec, {}).items():
            if index is None:
                continue
            indexable, value = _value(inst, record, attribute)
            found = index.get(value) if indexable else None
            if found is None:
                continue
            kept = [i for i in found if i is not inst]
            if kept:
                index[value] = kept
            else:
                del index[value]

    def joined(self, spec: str, record: str, attribute: str, value: Any) -> list[Instance] | None:
        """The live instances of `spec` whose `record.attribute` equals `value`, or None when
        they cannot be indexed (an instance without that record, or a value with no hash)."""
        joins = self.by_value.setdefault(spec, {})
        if (record, attribute) not in joins:
            index: dict[Any, list[Instance]] = {}
            joins[(record, attribute)] = index
            for inst in self.of(spec):
                self._file(index, inst, (spec, record, attribute))
        built = joins[(record, attribute)]
        if built is None:
            return None
        try:
            found = built.get(value)
        except TypeError:
            return None
        if not found:
            return []
        kept = _live(found)
        if not kept:
            del built[value]
        elif len(kept) != len(found):
            built[value] = kept
        return kept
