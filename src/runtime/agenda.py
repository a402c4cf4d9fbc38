"""The deadline agenda: what the logical clock will fire, in time order.

Items at the same time fire in the order they were scheduled (a stable sequence number), so a
replay of the same facts and clock moves fires them in the same order. Cancelled items stay in
the heap and are skipped when popped.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_FIRST_SWEEP = 64


@dataclass(order=True, slots=True)
class Item:
    time: datetime
    seq: int
    action: Callable[[datetime], object] = field(compare=False)
    label: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)


class Call:
    """An action that calls `function(owner, subject, time)` (or `function(owner, subject,
    detail, time)`): one small object where a lambda with its closure is four or more, and
    an engine keeps one per deadline it waits for. (It pickles, for snapshots.)"""

    __slots__ = ("detail", "function", "owner", "subject", "takes_detail")

    def __init__(
        self, function: Callable[..., object], owner: Any, subject: Any, *detail: Any
    ) -> None:
        if len(detail) > 1:
            raise TypeError("a Call takes at most three arguments before the time")
        self.function = function
        self.owner = owner
        self.subject = subject
        self.takes_detail = bool(detail)
        self.detail = detail[0] if detail else None

    def __call__(self, time: datetime) -> object:
        if self.takes_detail:
            return self.function(self.owner, self.subject, self.detail, time)
        return self.function(self.owner, self.subject, time)


class Series:
    """`function(owner, subject, step, time)` for each of `steps` in turn, at `timing(step)`
    (times that grow with the steps): the steps wait on the agenda one at a time, under
    sequence numbers reserved at once, so they fire exactly where items scheduled one per
    step would. An idle contract's year of monthly windows is one item, not twelve."""

    __slots__ = (
        "agenda",
        "first",
        "function",
        "index",
        "label",
        "owner",
        "steps",
        "subject",
        "timing",
    )

    def __init__(
        self,
        agenda: Agenda,
        steps: Sequence[Any],
        timing: Callable[[Any], datetime],
        call: tuple[Callable[..., object], Any, Any],
        label: str,
    ) -> None:
        self.agenda = agenda
        self.steps = steps
        self.timing = timing
        self.function, self.owner, self.subject = call
        # An item's label is this and its step's id: the same for every contract on the
        # same terms, so one string for all of them.
        self.label = sys.intern(label)
        self.first = agenda.reserve(len(steps))
        self.index = 0
        if steps:
            self._schedule()

    def _schedule(self) -> None:
        step = self.steps[self.index]
        seq, label = self.first + self.index, sys.intern(f"{self.label} {step.id}")
        self.agenda.schedule_as(seq, self.timing(step), self, label)

    def __call__(self, time: datetime) -> object:
        step = self.steps[self.index]
        self.index += 1
        if self.index < len(self.steps):  # first, so that a step that fails ends no series
            self._schedule()
        return self.function(self.owner, self.subject, step, time)


class Agenda:
    def __init__(self) -> None:
        # (time, seq, item): the heap compares the tuples in C; seq is unique, so an item
        # itself is never compared.
        self._heap: list[tuple[datetime, int, Item]] = []
        self._seq = 0
        self._sweep_at = _FIRST_SWEEP

    def schedule(self, time: datetime, action: Callable[[datetime], object], label: str) -> Item:
        self._seq += 1
        return self.schedule_as(self._seq, time, action, label)

    def reserve(self, count: int) -> int:
        """The first of `count` sequence numbers kept for items scheduled later with
        `schedule_as`: at equal times they fire as if they had been scheduled now. A series
        of deadlines known in advance (a metric's windows) waits as one item, not as many."""
        first = self._seq + 1
        self._seq += count
        return first

    def schedule_as(
        self, seq: int, time: datetime, action: Callable[[datetime], object], label: str
    ) -> Item:
        """Schedule under a sequence number from `schedule` or `reserve`."""
        item = Item(time, seq, action, label)
        heapq.heappush(self._heap, (time, seq, item))
        if len(self._heap) >= self._sweep_at:
            self._sweep()
        return item

    def _sweep(self) -> None:
        """Drop the cancelled items (deadlines met early wait here until their time), each
        time the heap has doubled since the last sweep: amortised O(1) per item, and the order
        items fire in is unchanged, since (time, seq) orders them totally."""
        self._heap = [entry for entry in self._heap if not entry[2].cancelled]
        heapq.heapify(self._heap)
        self._sweep_at = max(_FIRST_SWEEP, 2 * len(self._heap))

    def due(self, until: datetime, inclusive: bool) -> Item | None:
        """Pop the next live item at or before `until` (strictly before unless inclusive)."""
        heap = self._heap
        while heap:
            time, _, head = heap[0]
            if time > until or (time == until and not inclusive):
                return None
            heapq.heappop(heap)
            if not head.cancelled:
                return head
        return None

    def pending(self) -> list[Item]:
        return sorted(i for _, _, i in self._heap if not i.cancelled)
