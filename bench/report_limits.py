"""The report's sections on the goals not met: where the time and the memory go, and the
limits that follow (`bench.anatomy`, `bench.memory_where`)."""

from __future__ import annotations

from typing import Any

from bench.markdown import number as _n
from bench.markdown import table as _table


def time_limits(results: dict[str, Any]) -> list[str]:
    """The profile of the main workload and the limits it sets on the goals not met."""
    a = results.get("anatomy")
    if not a:
        return []
    t = results["throughput"]
    compiled, rete = t["compiled"], t["rete"]
    matching = next(s["share"] for s in a["stages"] if s["stage"].startswith("matching"))
    bound = rete["median_s"] / (compiled["median_s"] * (1 - matching))
    base = t["baseline"]["facts_per_s"]
    stored = results.get("durable", {}).get("sqlite", {}).get("facts_per_s")
    lines = ["## Where the time goes", ""]
    rows = [(s["stage"], f"{s['share']:.0%}") for s in a["stages"]]
    lines += _table(("stage (its outermost calls, sampled, collector off)", "share"), rows)
    lines += [
        f"The main workload once more, profiled; stages nest, so shares overlap. In a plain"
        f" run the garbage collector took **{a['gc_share']:.0%}** of the time"
        f" ({a['gc_full_collections']} full collection"
        f"{'' if a['gc_full_collections'] == 1 else 's'} over everything the process holds).",
        "",
        "What this allows:",
        "",
        f"- **compiled vs rete.** Both engines run the same kernels and differ only in the"
        f" matcher, which is {matching:.1%} of the compiled engine's run. A compiled matcher"
        f" that cost nothing would make the engine at most **{bound:.2f}x** faster than rete;"
        " 20x would need rete to spend 95% of its time matching.",
        f"- **200,000 facts/s.** Parsing and routing the JSON lines alone, ingesting nothing,"
        f" runs at {_n(a['parse_only_facts_per_s'])} facts/s here, and the plain-Python"
        f" baseline, which computes the amounts with no validation, lifecycle, explanations or"
        f" events, at {_n(base)} facts/s: "
        + (
            "an engine doing at least the baseline's work cannot reach 200,000 facts/s in"
            " CPython on this machine."
            if base < 200_000
            else "the goal is within what the baseline shows possible."
        ),
    ]
    lines.append(_within_baseline(a, compiled["median_s"], t["baseline"]["median_s"]))
    if stored:
        lines.append(
            f"- **Durable on SQLite** runs at {stored / compiled['facts_per_s']:.0%} of the"
            " in-memory rate: it cannot pass the in-memory engine it wraps."
        )
    return [*lines, ""]


BASELINE_GOAL = 5  # the engine within this many times the baseline's time


def _within_baseline(a: dict[str, Any], compiled_s: float, baseline_s: float) -> str:
    """What the profile and the engine's floor say of its distance from the plain-Python
    baseline, both without the collector: `bench.floor` times both so, in one run; without
    it, the engine's time less the collector's share in the plain run."""
    floor = a.get("floor")
    engine = floor["engine_s"] if floor else compiled_s * (1 - a["gc_share"])
    base = floor["baseline_s"] if floor else baseline_s
    own = a["own_time"]
    first = own["top"][0]
    return (
        f"- **Within {BASELINE_GOAL}x of the baseline.** With no garbage collector at all the"
        f" engine takes {engine:.2f} s, **{engine / base:.1f}x** the baseline's {base:.2f} s"
        f"{' (timed with none either)' if floor else ''}."
        + (_floor(floor) if floor else "")
        + f" The profile is flat: the largest share of time spent in one function itself is"
        f" {first['share']:.1%} (`{first['function']}`), and {own['at_least_1_percent']}"
        " functions take 1% or more."
        + (_tuned(floor) if floor and "tuned_engine_s" in floor else "")
        + " Compiling the runtime to C as it is written, with mypyc, is measured apart, not"
        " in this run: `python -m bench.mypyc_probe`."
    )


def _tuned(f: dict[str, Any]) -> str:
    """The engine and the baseline with the collector tuned as a service would tune it."""
    young, middle, old = f["service_collector"]
    engine, base = f["tuned_engine_s"], f["tuned_baseline_s"]
    return (
        f" With the collector tuned as a service holding many contracts would tune it"
        f" (`runtime.collector.service_collector()`: `gc.freeze()` once they are loaded,"
        f" thresholds {_n(young)}, {middle}, {old}),"
        f" the engine takes {engine:.2f} s and the baseline {base:.2f} s: **{engine / base:.1f}x**."
    )


def _floor(f: dict[str, Any]) -> str:
    """The engine's floor (`bench.floor`) and the room it leaves the rest of the engine."""
    base = f["baseline_s"]
    rest = (f["engine_s"] - f["floor_s"]) / base
    room = BASELINE_GOAL - f["floor_ratio"]
    if room <= 0:
        need = f"the floor alone is past {BASELINE_GOAL}x"
    elif rest <= room:
        need = f"that fits in the {room:.1f}x the goal leaves it"
    else:
        need = f"within {BASELINE_GOAL}x it could take {room:.1f}x, {1 - room / rest:.0%} less"
    return (
        f" Part of that is what the engine must do and the baseline does not, timed alone"
        f" (`bench/floor.py`): validating and keeping every fact, {f['validate_keep_s']:.2f} s,"
        f" and recording the same {_n(f['events'])} events with their ids,"
        f" {f['events_s']:.2f} s. With the baseline's own time that floor is"
        f" **{f['floor_ratio']:.1f}x** the baseline (the baseline and the validators both"
        " parse the dates, so it is not a strict lower bound). The rest of the engine"
        " (matching, lifecycles, composing explanations, the agenda, windows, caps and"
        f" triggers) takes {max(rest, 0.0):.1f}x the baseline; {need}."
    )


def memory_limits(results: dict[str, Any]) -> list[str]:
    """Where an idle contract's memory goes (the traced run), and what the goal would take."""
    traced = [r for r in results["memory"] if r["method"] == "tracemalloc" and "where" in r]
    if not traced:
        return []
    row = traced[0]
    own, engine = row["where"]["own"], row["where"]["engine"]
    lines = ["## Where an idle contract's memory goes", ""]
    lines += _table(
        ("the bundle's own parts, by field", "per contract"),
        [(field, f"{kb:.2f} KB") for field, kb in own["by_field"].items()]
        + [("**all**", f"**{own['kb']:.1f} KB**")],
    )
    top = list(engine.items())[:8]
    rest = sum(kb for _, kb in list(engine.items())[8:])
    lines += _table(
        ("the engine's state, by the module that made it", "per contract"),
        [(f"`{name}`", f"{kb:.2f} KB") for name, kb in top]
        + [("the rest", f"{rest:.2f} KB"), ("**all**", f"**{row['engine_kb']:.1f} KB**")],
    )
    largest = max(engine.values()) if engine else 0.0
    lines += [
        f"From the traced run of {_n(row['contracts'])} contracts. A bundle's own parts are"
        f" those no other bundle of a sample of {own['sample']} shares (the loader shares"
        " every part two bundles have in common): its header, parties, roles and parameter"
        " values, and the clauses whose span or text names its own file. They are"
        f" {own['kb']:.1f} KB in {own['models']:.0f} pydantic models and their values, each"
        " model kept compact (its fields in a table whose keys its class shares, not a dict"
        " of its own); the rest of the bundle's"
        f" {row['bundle_kb']:.1f} KB is the allocator's overhead and the entries of the table"
        " that shares the parts. The engine's"
        f" {row['engine_kb']:.1f} KB is spread over {len(engine)} modules, none above"
        f" {largest:.1f} KB: parameter values, patterns, compiled filters, windows, the"
        " agenda's first items and the kernels' empty tables.",
        "",
        "What this allows:",
        "",
        _idle_goal(results),
        "",
    ]
    anatomy = results.get("anatomy") or {}
    if "state_kb_per_contract" in anatomy:
        grown = anatomy["state_kb_per_contract"]
        per_fact = grown * 1024 * results["workload"]["contracts"] / anatomy["facts"]
        lines += [
            f"Once it is working, a contract holds more: after the main workload's year, each"
            f" engine held {grown:.0f} KB more than when idle (tracemalloc), about"
            f" {per_fact:,.0f} bytes per fact: the events, facts, instances and readings it"
            " keeps for explanations, restatements and later windows.",
            "",
        ]
    return lines


IDLE_GOAL_KB = 20


def _idle_goal(results: dict[str, Any]) -> str:
    """The idle-memory goal, as the goals table measures it: RSS at the most contracts."""
    rss = [r for r in results["memory"] if r["engine"] == "compiled" and r["method"] == "rss"]
    idle = max(rss, key=lambda r: r["contracts"])
    total, count = idle["total_kb"], _n(idle["contracts"])
    if total < IDLE_GOAL_KB:
        return (
            f"- **{IDLE_GOAL_KB} KB per idle contract** is met: {total:.1f} KB at {count}"
            f" contracts ({idle['bundle_kb']:.1f} KB of bundle, {idle['engine_kb']:.1f} KB of"
            f" engine), {IDLE_GOAL_KB - total:.1f} KB under the goal."
        )
    return (
        f"- **{IDLE_GOAL_KB} KB per idle contract** needs {total - IDLE_GOAL_KB:.1f} KB more"
        f" off the {total:.1f} KB measured at {count} contracts: the engine's state has no"
        " single part to cut, and the bundle's own parts are the contract's own figures,"
        " names and texts."
    )
