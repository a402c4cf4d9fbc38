"""Sharing loaded bundles' parts (`clausec.share_ir`) and compiled filters between engines:
equal parts are one object, a bundle stays equal to what it was, and what no bundle or
engine uses any more is let go."""

from __future__ import annotations

import gc
import json
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from clausec import ir, share_ir
from clausec.compiler import compile_or_raise
from clausec.share_ir import Held, SharedList
from runtime.engine import Engine
from runtime.matchers import compiled

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/contract.clause"))


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {path.parent.name: compile_or_raise(path).to_json() for path in EXAMPLES}


@pytest.mark.parametrize("name", [path.parent.name for path in EXAMPLES])
def test_a_loaded_bundle_dumps_to_the_json_it_was_loaded_from(
    texts: dict[str, str], name: str
) -> None:
    first = ir.Bundle.model_validate_json(texts[name])
    second = ir.Bundle.model_validate_json(texts[name])
    assert first.to_json() == second.to_json() == texts[name]
    assert first is not second
    # The same contract twice: its header and clauses are its own (`never_shared`), and
    # every part of them is shared.
    assert first.header == second.header and first.header is not second.header
    one, other = first.clauses()[0], second.clauses()[0]
    assert one is not other and one.span is other.span and one.text is other.text
    assert first.facts is second.facts


def test_parts_in_common_are_shared_and_own_parts_are_not(texts: dict[str, str]) -> None:
    data = json.loads(texts["managed_hosting"])
    data["header"]["id"] = "ACME-HOST-2027"
    data["params"][0]["value"] = ["lit", "money", "99999", "EUR"]
    first = ir.Bundle.model_validate_json(texts["managed_hosting"])
    second = ir.Bundle.model_validate_json(json.dumps(data))
    assert first.header is not second.header
    assert second.header.id == "ACME-HOST-2027"
    assert first.params[0] is not second.params[0]
    assert first.params[1] is second.params[1]
    assert first.facts is second.facts


class Part:
    """Something to hold: a class instance, so that the test, not the interpreter, owns it."""

    def __init__(self, inner: object = None) -> None:
        self.inner = inner


def test_held_values_are_kept_while_used_and_dropped_after() -> None:
    table: Held[Part] = Held()
    kept, dropped = Part(), Part()
    table.setdefault(1, kept)
    table.setdefault(2, dropped)
    table.setdefault(3, Part(dropped))  # used by nothing but the table, it holds `dropped`
    del dropped
    table.sweep()
    assert len(table) == 1  # the entry 3 went, then the part only it held
    assert table.get(1) is kept
    assert table.get(2) is None


def test_held_entries_count_the_use_of_the_part_they_name() -> None:
    table: Held[tuple[str, SharedList]] = Held(lambda entry: entry[1])
    used = SharedList(["lit", "number", "5"])
    table.setdefault(1, ("five", used))
    table.setdefault(2, ("six", SharedList(["lit", "number", "6"])))
    table.sweep()
    assert table.get(1) == ("five", used)
    assert table.get(2) is None


def test_held_sweeps_itself_as_it_grows() -> None:
    table: Held[Part] = Held()
    for digest in range(5000):
        table.setdefault(digest, Part())
    assert len(table) < 2048  # nothing used them: each sweep let them go


def test_a_sweep_keeps_the_parts_of_loaded_bundles(texts: dict[str, str]) -> None:
    first = ir.Bundle.model_validate_json(texts["saas_subscription"])
    share_ir._PARTS.sweep()
    second = ir.Bundle.model_validate_json(texts["saas_subscription"])
    assert second.clauses()[0].span is first.clauses()[0].span
    assert second.metrics is first.metrics


def test_held_gives_the_value_held_first() -> None:
    table: Held[Part] = Held()
    first, second = Part(), Part()
    assert table.setdefault(7, first) is first
    assert table.setdefault(7, second) is first


def test_engines_share_compiled_filters_while_they_run(texts: dict[str, str]) -> None:
    bundle = ir.Bundle.model_validate_json(texts["managed_hosting"])
    one = Engine(bundle)
    compiled._COMPILED.sweep()  # the filters one engine uses stay for the next
    two = Engine(bundle)
    tables = (one.matcher._by_type, two.matcher._by_type)  # type: ignore[attr-defined]
    assert tables[0] and tables[0] == tables[1]  # the same predicates, by identity
    assert all(tables[0][kind] is tables[1][kind] for kind in tables[0])  # the same rows
    assert one.schemas.models is two.schemas.models  # the same validators' table
    before = len(compiled._COMPILED)
    one.close()
    two.close()
    del one, two, tables
    gc.collect()
    compiled._ROWS.sweep()  # the engines' rows of patterns, then the filters they held
    compiled._COMPILED.sweep()
    assert len(compiled._COMPILED) < before


def test_held_takes_puts_and_sweeps_from_several_threads() -> None:
    table: Held[Part] = Held()
    kept = [Part() for _ in range(100)]
    errors: list[BaseException] = []

    def load(first: int) -> None:
        try:
            for digest in range(first, first + 3000):
                table.setdefault(digest, Part())
            for offset, part in enumerate(kept):
                table.setdefault(first + 10_000 + offset, part)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=load, args=(n * 100_000,)) for n in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    table.sweep()
    assert errors == []
    assert len(table) == 4 * len(kept)  # each thread's kept parts, and nothing else


def test_a_compact_part_is_equal_frozen_and_smaller(texts: dict[str, str]) -> None:
    bundle = ir.Bundle.model_validate_json(texts["managed_hosting"])
    part = bundle.obligations[0]
    made = share_ir.compact(part)
    assert made == part and made.model_dump_json() == part.model_dump_json()
    assert made.model_copy(update={"ref": "9.9"}).ref == "9.9" and made.ref == part.ref
    with pytest.raises(ValueError):
        made.ref = "9.9"  # type: ignore[misc]
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        copies = [part.model_copy() for _ in range(200)]
        copied = tracemalloc.get_traced_memory()[0] - start
        compacts = [share_ir.compact(part) for _ in range(200)]
        compacted = tracemalloc.get_traced_memory()[0] - start - copied
    finally:
        tracemalloc.stop()
    assert len(copies) == len(compacts) and compacted < 0.7 * copied


def test_an_amendment_changes_its_own_engines_validators_only(texts: dict[str, str]) -> None:
    bundle = ir.Bundle.model_validate_json(texts["managed_hosting"])
    one, two = Engine(bundle), Engine(bundle)
    shared = two.schemas.models
    amended = bundle.model_copy(update={"facts": [*bundle.facts, _fact_type("site_visit")]})
    one.schemas.adopt(amended)
    assert "site_visit" in one.schemas.models and "site_visit" not in two.schemas.models
    assert two.schemas.models is shared and "site_visit" in one.windows_kernel.schemas
    one.close()
    two.close()


def _fact_type(name: str) -> ir.FactSchema:
    at = ir.TypeIR(kind="datetime")
    return ir.FactSchema(name=name, key=None, fields={"at": at})
