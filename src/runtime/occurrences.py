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
