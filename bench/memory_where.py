"""Where an idle loaded contract's memory goes: the parts of its bundle that are its own, and
its engine's state by the module that made it.

In: the loaded bundles, and tracemalloc snapshots taken before and after their engines were
built (`bench.memory --tracemalloc`). Out: a dict for the report:
  - `own`: per contract, what its bundle holds that no other bundle of the sample shares (the
    loader shares every part that two bundles have in common, `clausec.share_ir`), by the
    bundle's field: the objects' own sizes (`sys.getsizeof`, and for a model the table of
    its fields' values; a little under what the allocator spends on them) and how many of
    them are pydantic models, the form the IR has in memory;
  - `engine`: the engine state's allocations by module, per contract.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections import Counter
from typing import Any

from pydantic import BaseModel

from clausec import ir

SAMPLE = 50  # bundles compared with one another (own parts are those the others lack)


def _objects(bundle: ir.Bundle) -> dict[int, tuple[Any, str]]:
    """Every object reachable from `bundle`, by id, with the bundle field it hangs from."""
    found: dict[int, tuple[Any, str]] = {id(bundle): (bundle, "bundle")}
    stack = [(getattr(bundle, field), field) for field in type(bundle).model_fields]
    while stack:
        item, field = stack.pop()
        if id(item) in found:
            continue
        found[id(item)] = (item, field)
        if isinstance(item, BaseModel):  # by attribute: reading `__dict__` would make one
            stack.extend((getattr(item, name), field) for name in type(item).model_fields)
        elif isinstance(item, dict):
            stack.extend((child, field) for child in (*item.keys(), *item.values()))
        elif isinstance(item, list | tuple):
            stack.extend((child, field) for child in item)
    return found


def _size(item: Any) -> int:
    """An object's own size; a model's with its fields' values, which `sys.getsizeof` leaves
    out when they are kept in the shared-keys form (`clausec.share_ir.compact`): a pointer
    each, after a header of about one."""
    size = sys.getsizeof(item)
    if isinstance(item, BaseModel):
        size += 8 * (len(type(item).model_fields) + 1)
    return size


def own_parts(bundles: list[ir.Bundle]) -> dict[str, Any]:
    """What each bundle of a sample holds alone, averaged over the sample."""
    sample = bundles[:SAMPLE]
    walks = [_objects(bundle) for bundle in sample]
    holders = Counter(key for walk in walks for key in walk)
    sizes: Counter[str] = Counter()
    models = 0
    for walk in walks:
        for key, (item, field) in walk.items():
            if holders[key] == 1:
                sizes[field] += _size(item)
                models += isinstance(item, BaseModel)
    count = len(sample)
    return {
        "sample": count,
        "kb": sum(sizes.values()) / count / 1024,
        "models": models / count,
        "by_field": {field: size / count / 1024 for field, size in sizes.most_common()},
    }


def engine_by_module(
    before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, count: int
) -> dict[str, float]:
    """KB per contract allocated between two snapshots, by the module of clausec that
    allocated it. Traced with one frame per allocation, which keeps the run short: a
    dataclass's instances are charged to its generated `__init__`, and each `Engine`
    object itself to the line that built it, outside `src/`."""
    by_module: Counter[str] = Counter()
    for stat in after.compare_to(before, "filename"):
        path = stat.traceback[0].filename
        if "/src/" in path:
            name = path.split("/src/", 1)[1]
        elif path == "<string>":
            name = "dataclass instances (their generated `__init__`)"
        else:
            name = "outside src/ (the engine objects, first imports)"
        by_module[name] += stat.size_diff
    return {name: size / count / 1024 for name, size in by_module.most_common() if size > 0}
