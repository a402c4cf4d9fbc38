"""What `<clause> <event>` in a contract means in terms of emitted events."""

from __future__ import annotations

from clausec import ir
from runtime.events import Event

_KINDS: dict[str, tuple[str, str | None]] = {
    "fulfilled": ("obligation.fulfilled", None),
    "violated": ("obligation.violated", None),
    "suspended": ("obligation.suspended", None),
    "breached": ("assessment", "breached"),
    "met": ("assessment", "met"),
    "assessed": ("assessment", None),
    "granted": ("power.granted", None),
    "expired": ("power.expired", None),
}
_FIRED = ("trigger", "incentive", "escalation")


def matches(ref: ir.EventRef, event: Event) -> bool:
    if event.clause != ref.clause:
        return False
    if ref.event == "fired":
        return event.kind in _FIRED
    kind, verdict = _KINDS.get(ref.event, ("", None))
    return event.kind == kind and (verdict is None or event.verdict == verdict)


def starting_event(spec: ir.Obligation) -> ir.EventRef | None:
    """The event an obligation waits for before it comes into effect: its `starts when`, else
    the event its deadline counts from (`within 30 days after deliver fulfilled`), since such
    a duty cannot come due before that event happens."""
    if spec.starts_when is not None:
        return spec.starts_when
    deadline = spec.duty.deadline
    if deadline is not None and deadline.anchor is not None and deadline.anchor.kind == "event":
        return deadline.anchor.event
    return None
