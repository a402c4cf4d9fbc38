"""Memory per loaded contract, measured in a fresh process: `python -m bench.memory`.

In: a file of compiled bundles (one canonical JSON per line) and a count. It loads that many
bundles, then one idle engine per bundle, and prints JSON: the resident-memory growth (RSS) of
each step, or with `--tracemalloc` the Python allocations, divided by the count, and where they
go (`bench.memory_where`). A fresh process keeps earlier work's freed memory out of the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from itertools import islice
from pathlib import Path

from bench.measure import rss_bytes
from bench.memory_where import engine_by_module, own_parts
from clausec import ir
from runtime.engine import Engine


def _used(traced: bool) -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0] if traced else rss_bytes()


def measure(path: Path, count: int, engine: str, traced: bool) -> dict[str, object]:
    with path.open(encoding="utf-8") as handle:
        lines = list(islice(handle, count))
    if len(lines) < count:
        raise SystemExit(f"{path} holds {len(lines)} bundles, not {count}")
    if traced:
        tracemalloc.start()
    before = _used(traced)
    start = time.perf_counter()
    bundles = [ir.Bundle.model_validate_json(line) for line in lines]
    loaded = time.perf_counter()
    after_bundles = _used(traced)
    snapshot = tracemalloc.take_snapshot() if traced else None
    engines = [Engine(bundle, engine) for bundle in bundles]
    built = time.perf_counter()
    after_engines = _used(traced)
    result: dict[str, object] = {
        "contracts": count,
        "engine": engine,
        "method": "tracemalloc" if traced else "rss",
        "bundle_kb": (after_bundles - before) / count / 1024,
        "engine_kb": (after_engines - after_bundles) / count / 1024,
        "total_kb": (after_engines - before) / count / 1024,
        "bundle_load_ms": (loaded - start) / count * 1000,
        "engine_load_ms": (built - loaded) / count * 1000,
    }
    if snapshot is not None:
        result["where"] = {
            "own": own_parts(bundles),
            "engine": engine_by_module(snapshot, tracemalloc.take_snapshot(), count),
        }
    for item in engines:
        item.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=Path, required=True)
    parser.add_argument("--contracts", type=int, required=True)
    parser.add_argument("--engine", default="compiled")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.bundles, args.contracts, args.engine, args.tracemalloc)))


if __name__ == "__main__":
    main()
