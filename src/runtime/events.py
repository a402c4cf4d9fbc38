"""Events out: what the runtime fires, each with the explanation behind it.

`Event` is a pydantic model because it crosses the API boundary. Its id is derived from the
contract, the clause, the window or instance, the kind and an occurrence number, so the same
inputs always give the same ids. Money is a string ("21000.00 EUR"), times are ISO 8601 in UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any, overload

from pydantic import BaseModel, ConfigDict

KINDS = (
    "obligation.created",
    "obligation.in_effect",
    "obligation.fulfilled",
    "obligation.violated",
    "obligation.suspended",
    "obligation.resumed",
    "obligation.discharged",
    "obligation.terminated",
    "assessment",
    "penalty",
    "credit",
    "incentive",
    "escalation",
    "notice",
    "trigger",
    "power.granted",
    "power.exercised",
    "power.expired",
    "restatement",
    "amendment",
    "closeout",
)

INCENTIVE_KINDS = ("incentive", "bonus", "rebate")


def money_kind(amount_kind: str) -> str:
    """The event kind an amount fires as, by the way the money goes: `credit`, `incentive`
    (a bonus, a rebate) or `penalty` (a penalty, damages, interest). The ledger keeps the
    amount's own kind."""
    if amount_kind == "credit":
        return "credit"
    return "incentive" if amount_kind in INCENTIVE_KINDS else "penalty"


class Explanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    summary: str
    clause_text: str = ""
    facts: list[str] = []
    values: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    causes: list[str] = []  # ids of earlier events this one follows from


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    seq: int
    contract: str
    version: int
    clause: str
    ref: str | None
    span: str
    kind: str
    time: str
    instance: str | None = None
    amount: str | None = None
    verdict: str | None = None
    parties: dict[str, Any] = {}
    explanation: Explanation

    def line(self) -> str:
        amount = f" {self.amount}" if self.amount else ""
        return f"{self.time} {self.kind:<22} {self.clause}{amount}: {self.explanation.summary}"


# Every field is set on every event, so all events share one set of names: pydantic never
# changes a frozen model's set in place (`model_copy` updates a copy).
_EVENT_FIELDS = set(Event.model_fields)
_EXPLANATION_FIELDS = set(Explanation.model_fields)
_new = object.__new__
_set = object.__setattr__


def _trusted(model: type[BaseModel], values: dict[str, Any], fields: set[str]) -> Any:
    instance = _new(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", fields)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def new_event(values: dict[str, Any], explanation: dict[str, Any]) -> Event:
    """The event that `Event(**values, explanation=Explanation(**explanation))` validates to,
    built without validating: the runtime makes one or more per fact, from values it has
    already given the declared types (a fresh list or dict for each container field, as
    validation would copy them). Every field is given, as in the validating call."""
    values["explanation"] = _trusted(Explanation, explanation, _EXPLANATION_FIELDS)
    event: Event = _trusted(Event, values, _EVENT_FIELDS)
    return event


# An event at rest: its fields as a tuple of strings, numbers and tuples of them. Tuples of
# such atoms are dropped from the garbage collector's watch after their first collection,
# while a pydantic event is ten containers it must walk in every full collection: with a
# log of events per contract, those walks were a third of the run time.
Row = tuple[Any, ...]
_SCALARS = (
    *("id", "seq", "contract", "version", "clause", "ref", "span", "kind", "time"),
    *("instance", "amount", "verdict"),
)


_scalars = itemgetter(*_SCALARS)


def to_row(event: Event, known: dict[Row, Row] | None = None) -> Row:
    """`event` at rest. With `known`, its parties are the tuple already in `known` when an
    earlier event had the same: the events of one instance all name the same parties, and
    that tuple of tuples was the largest part of a log's rows."""
    fields = event.__dict__
    why = fields["explanation"].__dict__
    return (
        *_scalars(fields),
        party_row(fields["parties"], known),
        *rest_of_row(why["summary"], why["clause_text"], why["facts"], why["values"], why["steps"]),
        tuple(why["causes"]),
    )


def party_row(parties: dict[str, Any], known: dict[Row, Row] | None = None) -> Row:
    """An event's parties at rest; the tuple already in `known` when it has the same."""
    if not parties:
        return ()
    row = tuple(
        [
            (key, True, tuple(value)) if isinstance(value, list) else (key, False, value)
            for key, value in parties.items()
        ]
    )
    return row if known is None else known.setdefault(row, row)


def rest_of_row(
    summary: str,
    text: str,
    facts: list[str],
    values: dict[str, str],
    steps: list[dict[str, str]],
) -> Row:
    """The explanation's summary, clause text, facts, values and steps, at rest."""
    return (
        summary,
        text,
        tuple(facts),
        _flat(values),
        tuple([_flat(step) for step in steps]) if steps else (),
    )


def _flat(mapping: dict[str, Any]) -> Row:
    """A dict's keys and values, one after the other: (k1, v1, k2, v2 ...), one tuple
    where its items would be one tuple per item and another of them."""
    return tuple([part for item in mapping.items() for part in item])


def _unflat(flat: Row) -> dict[str, Any]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def from_row(row: Row) -> Event:
    parties, summary, text, facts, values, steps, causes = row[len(_SCALARS) :]
    return new_event(
        {
            **dict(zip(_SCALARS, row, strict=False)),
            "parties": {key: list(v) if is_list else v for key, is_list, v in parties},
        },
        {
            "summary": summary,
            "clause_text": text,
            "facts": list(facts),
            "values": _unflat(values),
            "steps": [_unflat(step) for step in steps],
            "causes": list(causes),
        },
    )


class EventLog(Sequence[Event]):
    """Every event fired, in order, kept at rest (see `Row`): reading it gives events equal
    to those fired, made afresh."""

    __slots__ = ("_parties", "_rows")

    def __init__(self) -> None:
        self._rows: list[Row] = []
        self._parties: dict[Row, Row] = {}  # each distinct parties tuple, kept once

    def record(
        self,
        head: Row,
        parties: dict[str, Any],
        summary: str,
        text: str,
        facts: list[str],
        values: dict[str, str],
        steps: list[dict[str, str]],
        causes: list[str],
    ) -> Event:
        """Append the event whose scalar fields are `head` (in `_SCALARS` order) and return
        it: its row is made from these values, without reading the new event back."""
        self._rows.append(
            (
                *head,
                party_row(parties, self._parties),
                *rest_of_row(summary, text, facts, values, steps),
                tuple(causes),
            )
        )
        return new_event(
            {**dict(zip(_SCALARS, head, strict=True)), "parties": parties},
            {
                "summary": summary,
                "clause_text": text,
                "facts": facts,
                "values": values,
                "steps": steps,
                "causes": causes,
            },
        )

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [from_row(row) for row in self._rows[index]]
        return from_row(self._rows[index])

    def __iter__(self) -> Iterator[Event]:
        for row in self._rows:
            yield from_row(row)

    def find(self, event_id: str) -> Event | None:
        for row in self._rows:
            if row[0] == event_id:
                return from_row(row)
        return None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_quote = encode_basestring_ascii  # what json.dumps writes for a string


def event_id(contract: str, clause: str, instance: str | None, kind: str, occurrence: int) -> str:
    # The text json.dumps([contract, clause, instance, kind, occurrence]) gives, written out.
    return event_id_after(event_id_prefix(contract, clause), instance, kind, occurrence)


def event_id_prefix(contract: str, clause: str) -> str:
    """The start of the hashed text that every event id of one clause shares."""
    return f"[{_quote(contract)}, {_quote(clause)}, "


def event_id_after(prefix: str, instance: str | None, kind: str, occurrence: int) -> str:
    """`event_id` from the clause's `event_id_prefix`."""
    where = "null" if instance is None else _quote(instance)
    text = f"{prefix}{where}, {_quote(kind)}, {occurrence}]"
    return "ev-" + hashlib.sha256(text.encode()).hexdigest()[:16]
