"""Timing and memory helpers: medians of repetitions, percentiles, resident memory, the machine.

The benchmark machine is shared and noisy, so every figure is a median of repetitions (or says
that it ran once), and comparisons are ratios measured in the same run.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


@dataclass
class Runs:
    """Wall-clock seconds of each repetition of one measurement."""

    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.seconds), max(self.seconds)


def repeat(run: Callable[[], float], reps: int, quick_below: float = 0.0, more: int = 0) -> Runs:
    """Run `reps` times (each call returns its own timed seconds); when the first run took
    less than `quick_below` seconds, run `more` extra times as well."""
    runs = Runs()
    for _ in range(reps):
        runs.seconds.append(run())
    if runs.seconds[0] < quick_below:
        for _ in range(more):
            runs.seconds.append(run())
    return runs


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class GcPauses:
    """The garbage collector's pauses while the block runs, by generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0

    def _note(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((int(info["generation"]), time.perf_counter() - self._start))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._note)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        gc.callbacks.remove(self._note)

    def summary(self) -> dict[str, float]:
        oldest = [seconds for generation, seconds in self.pauses if generation == 2]
        return {
            "collections": len(self.pauses),
            "gen2": len(oldest),
            "gen2_max_ms": max(oldest, default=0.0) * 1000,
            "total_ms": sum(seconds for _, seconds in self.pauses) * 1000,
        }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]


def rss_bytes() -> int:
    """Resident memory of this process, from /proc (Linux); 0 where there is none."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            resident = int(handle.read().split()[1])
    except OSError:
        return 0
    return resident * os.sysconf("SC_PAGE_SIZE")


def machine() -> dict[str, str]:
    """Cores, CPU model, Python and the date, as the report states them."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    date = subprocess.run(
        ["date", "+%Y-%m-%d %H:%M %Z"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores": str(os.cpu_count() or 0),
        "cpu": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "date": date,
    }
