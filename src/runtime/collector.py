"""The garbage collector's settings for a process that holds many contracts.

A loaded contract lives as long as the process, and so does most of what it builds as facts
arrive. CPython's collector still walks all of it in every full collection, and with its
default thresholds (700, 10, 10) it collects young objects after every 700 allocations: with a
thousand contracts loaded, about a quarter of ingest time (`make bench` measures it).

`service_collector()` freezes what the process holds when it starts, so that no collection
walks it again, and collects young objects less often; it puts both back when it ends. The
settings are the process's, not the engine's: the runtime changes them only when asked, by a
service around its ingest loop or by `clausec run` over a folder of contracts.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 20, 10)  # young objects, then the two older generations


@contextmanager
def service_collector(thresholds: tuple[int, int, int] = THRESHOLDS) -> Iterator[None]:
    """Within the block: `thresholds` set and, after a full collection, what the process
    held on entry frozen. A process that has frozen objects already (an outer block, a
    service that froze after loading) keeps them frozen: the block then freezes nothing and
    unfreezes nothing. Process-wide, like the collector: not for two threads at once."""
    before = gc.get_threshold()
    ours = gc.get_freeze_count() == 0
    try:
        if ours:
            gc.collect()
            gc.freeze()
        gc.set_threshold(*thresholds)
        yield
    finally:
        gc.set_threshold(*before)
        if ours:
            gc.unfreeze()
