"""Profile the compiled engine on the benchmark portfolio: `python -m bench.profile`.

Runs the main workload (`--contracts`, `--facts`) from JSON lines to events as the benchmark
times it: once plain, to measure the garbage collector's share of the wall time, then under
cProfile with the collector off, so that its pauses are not charged to whichever function
happened to allocate when a collection started. Prints the functions that take the most time,
by their own time and by cumulative time, each with its file:line and its share of the run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import tempfile
from pathlib import Path

from bench import portfolio as pf
from bench.generate import make_portfolio
from bench.measure import GcPauses, timed


def _where(key: tuple[str, int, str]) -> str:
    path, line, name = key
    for marker in ("/src/", "/site-packages/", "/lib/python"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line} {name}" if line else name


def report(stats: pstats.Stats, top: int) -> str:
    table = stats.stats  # type: ignore[attr-defined]
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    rows = [(key, value[2], value[3]) for key, value in table.items()]
    lines = [f"total {total:.2f} s", "", "by own time:"]
    for key, own, _ in sorted(rows, key=lambda r: -r[1])[:top]:
        lines.append(f"  {own / total:6.1%}  {own:7.2f} s  {_where(key)}")
    lines += ["", "by cumulative time:"]
    for key, _, cumulative in sorted(rows, key=lambda r: -r[2])[:top]:
        lines.append(f"  {cumulative / total:6.1%}  {cumulative:7.2f} s  {_where(key)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None, help="also save the raw profile")
    args = parser.parse_args()
    portfolio = make_portfolio(args.contracts, args.facts)
    with tempfile.TemporaryDirectory() as folder:
        bundles = pf.parse_bundles(pf.build_bundles(portfolio.specs, Path(folder), verify=0))
    engines = pf.load(bundles, "compiled")
    gc.collect()
    with GcPauses() as pauses:
        wall = timed(lambda: pf.feed(engines, portfolio.stream.lines))
    pf.close(engines.values())
    del engines
    gc.collect()
    collector = pauses.summary()
    print(
        f"without the profiler: {wall:.2f} s, of which the garbage collector "
        f"{collector['total_ms'] / 1000:.2f} s ({collector['total_ms'] / 1000 / wall:.0%}) in "
        f"{collector['collections']:,} collections, {collector['gen2']} full, the longest "
        f"{collector['gen2_max_ms']:.0f} ms\n"
    )
    engines = pf.load(bundles, "compiled")
    gc.collect()
    gc.disable()
    profiler = cProfile.Profile()
    profiler.enable()
    pf.feed(engines, portfolio.stream.lines)
    profiler.disable()
    gc.enable()
    stats = pstats.Stats(profiler)
    if args.out:
        stats.dump_stats(args.out)
    print("under cProfile, the collector off:")
    print(report(stats, args.top))


if __name__ == "__main__":
    main()
