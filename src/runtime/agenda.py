"""The deadline agenda: what the logical clock will fire, in time order.

Items at the same time fire in the order they were scheduled (a stable sequence number), so a
replay of the same facts and clock moves fires them in the same order. Cancelled items stay in
the heap and are skipped when popped.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(order=True)
class Item:
    time: datetime
    seq: int
    action: Callable[[datetime], object] = field(compare=False)
    label: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)


class Agenda:
    def __init__(self) -> None:
        self._heap: list[Item] = []
        self._seq = 0

    def schedule(self, time: datetime, action: Callable[[datetime], object], label: str) -> Item:
        self._seq += 1
        item = Item(time, self._seq, action, label)
        heapq.heappush(self._heap, item)
        return item

    def due(self, until: datetime, inclusive: bool) -> Item | None:
        """Pop the next live item at or before `until` (strictly before unless inclusive)."""
        while self._heap:
            head = self._heap[0]
            if head.time > until or (head.time == until and not inclusive):
                return None
            heapq.heappop(self._heap)
            if not head.cancelled:
                return head
        return None

    def pending(self) -> list[Item]:
        return sorted(i for i in self._heap if not i.cancelled)
