"""The benchmark's entry point: `python -m bench.run [--quick]` (and `make bench`).

Measures in one run, each figure a median of repetitions: ingest throughput of the compiled and
rete engines and of the plain-Python baseline on one portfolio; latency of single-fact and
100-fact ingests; memory per loaded contract; compile time of a 1,000-clause contract and
`clausec check` time of the examples and stdlib; and scaling curves over facts and contracts.
Every run of an engine is checked against the baseline, contract by contract: any difference
in credits, damages, penalties, interest, triggers or escalations fails the benchmark (exit 1)
after the results are written. Results go to build/bench/results.json and a markdown report.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from dataclasses import replace
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from bench import anatomy, baseline, durable, floor, probes
from bench import portfolio as pf
from bench.config import FULL, QUICK, Config
from bench.generate import SEED, Portfolio, make_specs, make_stream
from bench.measure import Runs, machine, repeat, timed
from bench.report import write_report
from clausec import ir
from runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


class Bench:
    """One benchmark run: its configuration, its bundles, its results and its disagreements."""

    def __init__(self, config: Config, work: Path) -> None:
        self.config = config
        self.work = work
        self.results: dict[str, Any] = {"config": config.name, "seed": SEED}
        self.problems: list[str] = []
        self.specs = make_specs(config.max_contracts)
        self.bundle_file = work / "bundles.jsonl"
        self.loaded: tuple[int, dict[str, ir.Bundle]] = (0, {})
        self.started = time.perf_counter()
        self.rates: dict[int, list[float]] = {}  # compiled facts/s by contract count so far
        self.load_cost = 0.0  # seconds per contract to load, check and close its engine

    def log(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    # -- setup -----------------------------------------------------------------------------------

    def build(self) -> None:
        """Every contract's bundle, kept as a file of compiled JSON (as a service would keep
        them) so that only the bundles a measurement loads live in this process: the garbage
        collector's pauses grow with everything the process holds."""
        verify = 24 if self.config.name == "full" else 6
        built: dict[str, str] = {}
        seconds = timed(
            lambda: built.update(pf.build_bundles(self.specs, self.work / "contracts", verify))
        )
        with self.bundle_file.open("w", encoding="utf-8") as handle:
            for spec in self.specs:
                handle.write(built[spec.id] + "\n")
        shapes = len({s.shape for s in self.specs})
        self.results["bundles"] = {
            "contracts": len(built),
            "shapes": shapes,
            "verified_against_compiler": verify,
            "seconds": seconds,
        }
        self.log(f"{len(built)} bundles from {shapes} shapes in {seconds:.1f}s")

    def bundles(self, count: int) -> dict[str, ir.Bundle]:
        """The bundles of the first `count` contracts, loaded from their JSON."""
        if self.loaded[0] != count:
            self.loaded = (0, {})
            gc.collect()
            with self.bundle_file.open(encoding="utf-8") as handle:
                loaded = [ir.Bundle.model_validate_json(line) for line in islice(handle, count)]
            self.loaded = (count, {b.header.id: b for b in loaded})
        return self.loaded[1]

    def portfolio(self, contracts: int, facts: int) -> Portfolio:
        specs = self.specs[:contracts]
        return Portfolio(specs, make_stream(specs, facts))

    # -- throughput ------------------------------------------------------------------------------

    def check(self, label: str, engines: dict[str, Engine], expected: dict[str, Any]) -> None:
        figures = {cid: pf.figures(e) for cid, e in engines.items()}
        problems = pf.compare(figures, expected, label)
        for cid, engine in engines.items():
            owed = figures[cid]
            events = owed.credit + owed.damages + owed.penalty + owed.interest
            if pf.ledger_total(engine) != events:
                problems.append(f"{label} {cid}: ledger {pf.ledger_total(engine)}, events {events}")
            for diagnostic in engine.diagnostics:
                problems.append(f"{label} {cid}: run-time diagnostic {diagnostic.message}")
        if problems:
            self.log(f"DISAGREEMENT in {label}: {len(problems)} figures, e.g. {problems[0]}")
        self.problems.extend(problems[:50])

    def engine_runs(
        self,
        portfolio: Portfolio,
        engine: str,
        expected: dict[str, Any],
        reps: int,
        more: int = 0,
    ) -> tuple[Runs, int]:
        bundles = self.bundles(len(portfolio.specs))
        label = f"{engine} {len(portfolio.specs)}x{len(portfolio.stream.lines)}"
        events = 0

        def run() -> float:
            nonlocal events
            loading = time.perf_counter()
            engines = pf.load(bundles, engine)
            self.load_cost = max(self.load_cost, 2 * (time.perf_counter() - loading) / len(bundles))
            gc.collect()
            start = time.perf_counter()
            events = pf.feed(engines, portfolio.stream.lines)
            seconds = time.perf_counter() - start
            self.check(label, engines, expected)
            pf.close(engines.values())
            del engines
            gc.collect()
            return seconds

        return repeat(run, reps, quick_below=10.0, more=more), events

    def baseline_runs(self, portfolio: Portfolio, reps: int) -> tuple[Runs, dict[str, Any]]:
        expected: dict[str, Any] = {}

        def run() -> float:
            start = time.perf_counter()
            expected.update(baseline.run(portfolio.specs, portfolio.stream.lines))
            return time.perf_counter() - start

        return repeat(run, reps), expected

    def main_portfolio(self) -> None:
        c = self.config
        portfolio = self.portfolio(c.contracts, c.facts)
        facts = len(portfolio.stream.lines)
        self.results["workload"] = {
            "contracts": c.contracts,
            "facts": facts,
            "by_type": portfolio.stream.counts,
            "chunk": 1000,
        }
        _, expected = self.baseline_runs(portfolio, 1)  # warms its caches; not counted
        self.results["workload"]["owed"] = _sum_figures(expected)
        runs = {name: Runs() for name in ("baseline", "compiled", "rete")}
        events = 0
        for _ in range(c.reps):  # in rounds: each round's ratios are taken side by side
            runs["baseline"].seconds += self.baseline_runs(portfolio, 1)[0].seconds
            for engine in ("compiled", "rete"):
                done, events = self.engine_runs(portfolio, engine, expected, 1)
                runs[engine].seconds += done.seconds
        throughput: dict[str, Any] = {name: _rate(done, facts) for name, done in runs.items()}
        for name in ("compiled", "rete"):
            throughput[name]["events"] = events
        for name, rate in throughput.items():
            self.log(f"{name}: {rate['facts_per_s']:,.0f} facts/s")
        throughput["compiled_over_rete"] = _paired(runs["rete"], runs["compiled"])
        throughput["baseline_over_compiled"] = _paired(runs["compiled"], runs["baseline"])
        self.results["throughput"] = throughput
        self.rates.setdefault(c.contracts, []).append(throughput["compiled"]["facts_per_s"])

    def scaling_point(self, contracts: int, facts: int) -> dict[str, Any]:
        """One point of a curve: once, or three times when a run is short."""
        portfolio = self.portfolio(contracts, facts)
        base, expected = self.baseline_runs(portfolio, 1)
        runs, events = self.engine_runs(portfolio, "compiled", expected, 1, more=2)
        count = len(portfolio.stream.lines)
        self.rates.setdefault(contracts, []).append(count / runs.median)
        del portfolio, expected
        gc.collect()
        return _point(
            contracts, facts, {**_rate(runs, count), "events": events}, _rate(base, count)
        )

    def projection(self, contracts: int, facts: int) -> float:
        """Seconds a scaling point would take: generating and checking its facts, loading
        and closing its engines, and ingesting at the rate of the most facts measured so far
        for as many contracts (points run in order of facts; the slowest rate of any count if
        none), with half again to spare: more facts per contract make each fact dearer. (The
        rate of the fewest facts is no guide: the contracts' fixed work weighs most there.)"""
        rates = self.rates.get(contracts)
        rate = rates[-1] if rates else min(r for rs in self.rates.values() for r in rs)
        return facts * 30e-6 + contracts * self.load_cost + 1.5 * facts / rate

    def anatomy(self) -> None:
        """The main workload profiled once: where the time goes, for the limits in the report."""
        c = self.config
        portfolio = self.portfolio(c.contracts, c.facts)
        result = anatomy.anatomy(portfolio, self.bundles(c.contracts))
        result["floor"] = floor.floor(portfolio, self.bundles(c.contracts))
        self.results["anatomy"] = result
        self.log(
            f"anatomy: collector {result['gc_share']:.0%} of a plain run; JSON parsing alone "
            f"{result['parse_only_facts_per_s']:,.0f} facts/s; the engine's floor "
            f"{result['floor']['floor_ratio']:.1f}x the baseline"
        )

    # -- latency, memory, the compiler -----------------------------------------------------------

    def latency(self) -> None:
        contracts, facts = self.config.latency
        portfolio = self.portfolio(contracts, facts)
        result = probes.latency(portfolio, self.bundles(contracts), self.check)
        self.results["latency"] = result
        single, batch = result["single"], result["batch100"]
        self.log(
            f"latency: single p50 {single['p50_ms']:.3f} ms, p99 {single['p99_ms']:.3f} ms; "
            f"batch of 100 p99 {batch.get('p99_ms', float('nan')):.1f} ms"
        )

    def durable(self) -> None:
        contracts, facts, reps = self.config.durable
        portfolio = self.portfolio(contracts, facts)
        _, expected = self.baseline_runs(portfolio, 1)
        result = durable.durable(portfolio, self.bundles(contracts), expected, self.check, reps)
        self.results["durable"] = result
        for kind in ("sqlite", "postgresql"):
            rate = result[kind].get("facts_per_s")
            shown = f"{rate:,.0f} facts/s" if rate else result[kind].get("error", "?")
            self.log(f"durable {kind}: {shown}")

    def memory(self) -> None:
        rows = probes.memory(self.bundle_file, self.config.memory_counts, ROOT, self.problems)
        for row in rows:
            self.log(
                f"memory: {row['contracts']} {row['engine']} contracts, "
                f"{row['total_kb']:.1f} KB each ({row['method']})"
            )
        self.results["memory"] = rows

    def compiler(self) -> None:
        c = self.config
        compiled = probes.compile_big(self.work / "big", c.big_clauses, c.compile_reps)
        self.results["compile"] = compiled
        self.log(f"compile: {compiled['clauses']} clauses in {compiled['median_s']:.2f}s")
        checked = probes.check_tree(ROOT, c.compile_reps)
        self.results["check"] = checked
        self.log(f"clausec check examples stdlib: {checked['median_s']:.2f}s")

    # -- scaling ---------------------------------------------------------------------------------

    def scaling(self) -> None:
        c = self.config
        curves: dict[str, list[dict[str, Any]]] = {"facts": [], "contracts": []}
        points = [("facts", c.contracts, m) for m in c.fact_curve]
        points += [("contracts", n, c.facts) for n in c.contract_curve]
        points.sort(key=lambda p: (p[2], p[1]))  # the million facts last
        for curve, contracts, facts in points:
            if (contracts, facts) == (c.contracts, c.facts):
                reuse = self.results["throughput"]
                curves[curve].append(
                    _point(contracts, facts, reuse["compiled"], reuse["baseline"], reused=True)
                )
                continue
            projected = self.projection(contracts, facts)
            left = c.budget_s - (time.perf_counter() - self.started)
            if c.budget_s and projected > left:
                reason = f"projected {projected:.0f} s, {max(left, 0):.0f} s of the budget left"
                curves[curve].append({"contracts": contracts, "facts": facts, "skipped": reason})
                self.log(f"scaling {curve}: {contracts} contracts, {facts:,} facts: {reason}")
                continue
            curves[curve].append(self.scaling_point(contracts, facts))
            self.log(
                f"scaling {curve}: {contracts} contracts, {facts:,} facts: "
                f"{curves[curve][-1]['compiled']['facts_per_s']:,.0f} facts/s"
            )
        for rows in curves.values():
            rows.sort(key=lambda r: (r["contracts"], r["facts"]))
        self.results["scaling"] = curves


def _paired(slower: Runs, faster: Runs) -> float:
    """How many times faster one measurement is than another: the median of the ratios of
    the runs made side by side, round by round (the machine's load shifts between rounds)."""
    return statistics.median(s / f for s, f in zip(slower.seconds, faster.seconds, strict=True))


def _rate(runs: Runs, facts: int) -> dict[str, Any]:
    low, high = runs.spread
    return {
        "facts_per_s": facts / runs.median,
        "runs": len(runs.seconds),
        "median_s": runs.median,
        "min_s": low,
        "max_s": high,
    }


def _point(
    contracts: int,
    facts: int,
    compiled: dict[str, Any],
    base: dict[str, Any],
    reused: bool = False,
) -> dict[str, Any]:
    return {
        "contracts": contracts,
        "facts": facts,
        "compiled": compiled,
        "baseline_facts_per_s": base["facts_per_s"],
        "baseline_over_compiled": base["facts_per_s"] / compiled["facts_per_s"],
        "reused_main": reused,
    }


def _sum_figures(figures: dict[str, Any]) -> dict[str, str]:
    total: dict[str, Decimal] = {}
    for owed in figures.values():
        for name, value in owed.as_dict().items():
            total[name] = total.get(name, Decimal(0)) + Decimal(value)
    return {name: str(value) for name, value in total.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run for CI (~30 s)")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "bench",
        help="where results.json and the generated files go",
    )
    parser.add_argument(
        "--doc",
        type=Path,
        default=None,
        help="the markdown report (default: docs/performance.md for a full "
        "run, OUT/performance-quick.md for --quick)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds the whole run may take: scaling points projected to go past it are "
        f"skipped (full run: {FULL.budget_s:.0f}; 0: no limit, runs the million-fact point)",
    )
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    doc = args.doc or (
        args.out / "performance-quick.md" if args.quick else ROOT / "docs" / "performance.md"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    if args.budget is not None:
        config = replace(config, budget_s=args.budget)
    bench = Bench(config, args.out)
    bench.results["machine"] = machine()
    bench.log(f"{config.name} run on {bench.results['machine']['cpu']}")
    bench.build()
    bench.compiler()
    bench.main_portfolio()
    bench.anatomy()
    bench.latency()
    bench.durable()
    bench.memory()
    bench.scaling()
    bench.bundle_file.unlink()
    bench.results["wall_s"] = time.perf_counter() - bench.started
    bench.results["budget_s"] = config.budget_s
    bench.results["problems"] = bench.problems
    (args.out / "results.json").write_text(
        json.dumps(bench.results, indent=2, default=str) + "\n", encoding="utf-8"
    )
    write_report(bench.results, doc)
    bench.log(f"done in {bench.results['wall_s']:.0f}s: {args.out / 'results.json'}, {doc}")
    if bench.problems:
        print("\nTHE ENGINE AND THE BASELINE DISAGREE:", file=sys.stderr)
        for problem in bench.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
