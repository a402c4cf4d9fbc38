"""The markdown report of a benchmark run (docs/performance.md), from its results.

In: the results dict that `run.py` also writes as JSON. Out: a page with the machine and date,
the goals of the "Benchmark" issue with the measured value and whether each is met, and a
table per measurement. It formats only; every number comes from the results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.markdown import number as _n
from bench.markdown import table as _table
from bench.report_limits import memory_limits, time_limits

PENDING = "pending: needs the store (issue 5)"


def goals(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(goal, target, measured, met) for each goal of the issue."""
    t = results["throughput"]
    compiled = t["compiled"]["facts_per_s"]
    single = results["latency"]["single"]
    memory = [r for r in results["memory"] if r["engine"] == "compiled" and r["method"] == "rss"]
    idle = max(memory, key=lambda r: r["contracts"]) if memory else None
    compile_s = results["compile"]["median_s"]

    def met(ok: bool) -> str:
        return "met" if ok else "**not met**"

    rows = [
        (
            "compiled matcher vs rete",
            ">= 20x",
            f"{t['compiled_over_rete']:.2f}x",
            met(t["compiled_over_rete"] >= 20),
        ),
        (
            "compiled vs plain-Python baseline",
            "within 5x",
            f"{t['baseline_over_compiled']:.1f}x slower",
            met(t["baseline_over_compiled"] <= 5),
        ),
        (
            "in-memory ingest throughput",
            ">= 200,000 facts/s",
            f"{_n(compiled)} facts/s",
            met(compiled >= 200_000),
        ),
        (
            "single-fact ingest latency, p99",
            "< 1 ms",
            f"{single['p99_ms']:.3f} ms",
            met(single["p99_ms"] < 1),
        ),
        (
            f"compile a {results['compile']['clauses']:,}-clause contract",
            "< 1 s",
            f"{compile_s:.2f} s",
            met(compile_s < 1),
        ),
    ]
    if idle is not None:
        rows.append(
            (
                f"idle loaded contract (at {idle['contracts']:,} contracts, RSS)",
                "< 20 KB",
                f"{idle['total_kb']:.1f} KB",
                met(idle["total_kb"] < 20),
            )
        )
    stored = results.get("durable", {})
    for kind, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        rate = stored.get(kind, {}).get("facts_per_s")
        if kind == "sqlite":
            rows.append(
                (
                    "durable ingest on SQLite, batches of 1,000",
                    ">= 50,000 facts/s",
                    f"{_n(rate)} facts/s" if rate else PENDING,
                    met(bool(rate) and rate >= 50_000) if rate else PENDING,
                )
            )
        else:
            rows.append(
                (
                    f"durable ingest on {name}, batches of 1,000",
                    "(measured)",
                    f"{_n(rate)} facts/s" if rate else stored.get(kind, {}).get("error", PENDING),
                    "-",
                )
            )
    return rows


def _durable(stored: dict[str, Any] | None) -> list[str]:
    if not stored:
        return []
    rows = [
        (
            kind,
            _n(stored[kind]["facts_per_s"]),
            f"{stored[kind]['median_s']:.2f} s",
            _n(stored[kind]["ledger_rows"]),
        )
        for kind in ("sqlite", "postgresql")
        if "facts_per_s" in stored.get(kind, {})
    ]
    return [
        "## Durable ingest",
        "",
        *_table(("store", "facts/s", "median", "ledger rows"), rows),
        f"{stored['contracts']} contracts and {stored['facts']:,} facts through"
        " `runtime.portfolio.Portfolio`: each chunk of 1,000 JSON lines parsed, routed, validated"
        " whole and written with every event it fires in one transaction (synchronous commit),"
        " snapshots every 100 inputs per contract; PostgreSQL is a local server started by the"
        " benchmark (Unix socket). Checked against the baseline like every other run.",
        "",
    ]


def _runs(entry: dict[str, Any]) -> str:
    if entry.get("runs", 1) == 1:
        return "1 run"
    return f"median of {entry['runs']} ({entry['min_s']:.2f}-{entry['max_s']:.2f} s)"


def _scaling_row(p: dict[str, Any]) -> tuple[str, ...]:
    if "skipped" in p:
        why = f"not run: {p['skipped']} (`--budget 0` runs it)"
        return (_n(p["contracts"]), _n(p["facts"]), "-", "-", "-", why)
    return (
        _n(p["contracts"]),
        _n(p["facts"]),
        _n(p["compiled"]["facts_per_s"]),
        _n(p["baseline_facts_per_s"]),
        f"{p['baseline_over_compiled']:.1f}x",
        "main workload" if p["reused_main"] else _runs(p["compiled"]),
    )


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    w = results["workload"]
    t = results["throughput"]
    lines = [
        "# Performance",
        "",
        f"Measured by `python -m bench.run{' --quick' if results['config'] == 'quick' else ''}`"
        f" on {m['date']}: {m['cores']} cores, {m['cpu']}, {m['implementation']} {m['python']}"
        f" ({m['platform']}). The machine is shared and noisy: every figure is a median of"
        " repetitions unless it says it ran once, and comparisons are ratios from the same run."
        f" The whole run took {results['wall_s']:.0f} s"
        + (
            f" (budget {results['budget_s']:.0f} s: scaling points projected past it are not run)."
            if results["budget_s"]
            else "."
        ),
        "",
        "## Goals",
        "",
    ]
    lines += _table(("goal", "target", "measured", "status"), goals(results))
    lines += [
        "## The workload",
        "",
        f"A seeded portfolio (seed {results['seed']}, `bench/generate.py`) of"
        f" {w['contracts']:,} managed-service contracts for 2026, each an engine of its own, and"
        f" {w['facts']:,} facts over the year, routed by contract: "
        + ", ".join(f"{count:,} {kind}" for kind, count in sorted(w["by_type"].items()))
        + ". Each contract has an availability SLA with three credit tiers and a monthly cap,"
        " incident resolution by priority (lookup deadlines, a capped penalty per hour late, an"
        " escalation ladder), a delivery with liquidated damages, late-payment interest on every"
        " invoice, and a trigger on three breaches in six months. Contracts differ in region"
        " (zone and holidays), bounds, damages unit, service level and every figure.",
        "",
        "Ingest is end to end: JSON lines are parsed (`parse_float=Decimal`), routed and ingested"
        f" in chunks of {w['chunk']:,} lines (one `ingest` per contract per chunk), then every"
        " clock is moved past the settlement. Every run is checked against the baseline: what"
        " the events add up to per contract must equal what the baseline computes.",
        "",
        "Owed over the year: " + ", ".join(f"{k} {v}" for k, v in w["owed"].items()) + ".",
        "",
        "## Throughput",
        "",
    ]
    rows = [
        (name, _n(t[name]["facts_per_s"]), f"{t[name]['median_s']:.2f} s", _runs(t[name]))
        for name in ("compiled", "rete", "baseline")
    ]
    lines += _table(("engine", "facts/s", "time", "runs"), rows)
    lines += [
        f"compiled / rete: **{t['compiled_over_rete']:.2f}x**; the baseline is"
        f" **{t['baseline_over_compiled']:.1f}x** faster than the compiled engine. The three"
        " ran in rounds, one run each per round, after a run of the baseline to warm its"
        " caches; each ratio is the median of the rounds' ratios.",
        "",
        "## Latency (compiled)",
        "",
    ]
    lat = results["latency"]
    lines += _table(
        ("ingest", "samples", "p50", "p99", "max"),
        [
            (
                name,
                _n(lat[key]["samples"]),
                f"{lat[key]['p50_ms']:.3f} ms",
                f"{lat[key]['p99_ms']:.3f} ms",
                f"{lat[key]['max_ms']:.1f} ms",
            )
            for name, key in (("one fact", "single"), ("a batch of 100 facts", "batch100"))
            if lat[key]["samples"]
        ],
    )
    lines += [
        f"Over the whole year of a portfolio of {lat['contracts']} contracts and"
        f" {lat['facts']:,} facts: each fact parsed and ingested on its own, then each"
        " contract's facts in batches of 100 (only full batches are counted). During the"
        f" single-fact pass the garbage collector ran {lat['gc_during_single']['collections']:,}"
        f" times, {lat['gc_during_single']['gen2']} of them full (generation 2) collections, the"
        f" longest {lat['gc_during_single']['gen2_max_ms']:.1f} ms; such pauses land on"
        " whichever ingest triggers them, and they grow with everything the process holds."
        " A fact's latency includes the window assessments and deadlines it makes due.",
        "",
    ]
    lines += time_limits(results)
    lines += _durable(results.get("durable"))
    lines += [
        "## Memory per loaded contract",
        "",
    ]
    lines += _table(
        ("contracts", "engine", "method", "bundle", "engine state", "total", "load time"),
        [
            (
                _n(r["contracts"]),
                r["engine"],
                r["method"],
                f"{r['bundle_kb']:.1f} KB",
                f"{r['engine_kb']:.1f} KB",
                f"{r['total_kb']:.1f} KB",
                f"{r['bundle_load_ms'] + r['engine_load_ms']:.2f} ms",
            )
            for r in results["memory"]
        ],
    )
    lines += [
        "An idle contract is its bundle (the IR, from its JSON) and an engine with no facts,"
        " measured in a fresh process. RSS is what the operating system sees; tracemalloc"
        " counts Python allocations only. The rete row leaves out nothing: durable-rules'"
        " native memory is in its RSS.",
        "",
    ]
    lines += memory_limits(results)
    lines += ["## Compiler", ""]
    comp, check = results["compile"], results["check"]
    mix = comp["mix"]
    lines += _table(
        ("what", "size", "time", "runs"),
        [
            (
                f"compile a generated contract ({mix['slas']} SLAs, {mix['triggers']} triggers,"
                f" {mix['deliveries']} deliveries, {mix['incident_queues']} incident queues)",
                f"{comp['clauses']:,} clauses, {comp['metrics']} metrics, {comp['lines']:,} lines",
                f"{comp['median_s']:.2f} s",
                _runs(comp),
            ),
            ("load its bundle into an engine", "", f"{comp['engine_load_s']:.2f} s", "1 run"),
            (
                "`clausec check examples stdlib` (a process)",
                f"{check['files']} files",
                f"{check['median_s']:.2f} s",
                _runs(check) + f", exit {check['exit']}",
            ),
        ],
    )
    lines += ["## Scaling (compiled)", ""]
    for curve, title in (("facts", "facts"), ("contracts", "contracts")):
        points = [_scaling_row(p) for p in results["scaling"][curve]]
        lines += [f"As the {title} grow:", ""]
        lines += _table(
            (
                "contracts",
                "facts",
                "compiled facts/s",
                "baseline facts/s",
                "baseline faster by",
                "runs",
            ),
            points,
        )
    lines += [
        "Throughput counts everything from the first line to the settlement, so work that"
        " does not depend on the facts (assessing each contract's twelve monthly windows,"
        " close-out, the settlement statement) weighs more per fact where contracts have few"
        " facts; where they have many, the work per fact grows with the state each contract"
        " holds.",
        "",
        "## How to run",
        "",
        "`make bench` runs the full benchmark and rewrites this page; `python -m bench.run"
        " --quick` is the smoke run that CI's `tests/test_bench_smoke.py` uses. Raw results are"
        " in `build/bench/results.json`, the generated contracts and facts in `build/bench/`."
        " `python -m bench.profile` profiles the compiled engine on the same workload.",
        "",
    ]
    if results["problems"]:
        lines += ["## Disagreements with the baseline", ""]
        lines += [f"- {p}" for p in results["problems"][:20]] + [""]
    return "\n".join(lines)


def write_report(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results), encoding="utf-8")
