"""Profile the compiled engine on the benchmark portfolio: `python -m bench.profile`.

Runs the main workload (`--contracts`, `--facts`) from JSON lines to events as the benchmark
times it: once plain, to measure the garbage collector's share of the wall time, then under
pyinstrument (a sampling profiler) with the collector off, so that its pauses are not charged
to whichever function happened to allocate when a collection started. Prints the call tree
with each call's share of the run, and the functions with the most time of their own;
`--html FILE` also writes pyinstrument's interactive page.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
from pathlib import Path

from pyinstrument import Profiler

from bench import portfolio as pf
from bench.anatomy import SAMPLE_S, own_times
from bench.generate import make_portfolio
from bench.measure import GcPauses, timed
from clausec import ir


def _plain(bundles: dict[str, ir.Bundle], lines: list[str]) -> str:
    engines = pf.load(bundles, "compiled")
    gc.collect()
    with GcPauses() as pauses:
        wall = timed(lambda: pf.feed(engines, lines))
    pf.close(engines.values())
    collector = pauses.summary()
    return (
        f"without the profiler: {wall:.2f} s, of which the garbage collector "
        f"{collector['total_ms'] / 1000:.2f} s ({collector['total_ms'] / 1000 / wall:.0%}) in "
        f"{collector['collections']:,} collections, {collector['gen2']} full, the longest "
        f"{collector['gen2_max_ms']:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--html", type=Path, default=None, help="also write the profile as HTML")
    args = parser.parse_args()
    portfolio = make_portfolio(args.contracts, args.facts)
    with tempfile.TemporaryDirectory() as folder:
        bundles = pf.parse_bundles(pf.build_bundles(portfolio.specs, Path(folder), verify=0))
    print(_plain(bundles, portfolio.stream.lines), end="\n\n")
    engines = pf.load(bundles, "compiled")
    gc.collect()
    gc.disable()
    profiler = Profiler(interval=SAMPLE_S, use_timing_thread=True)
    profiler.start()
    try:
        pf.feed(engines, portfolio.stream.lines)
    finally:
        profiler.stop()
        gc.enable()
    print("under pyinstrument, the collector off:")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    session = profiler.last_session
    root = session.root_frame(trim_stem=False) if session is not None else None
    if root is not None:
        print("by own time:")
        for row in own_times(root, args.top)["top"]:
            print(f"  {row['share']:6.1%}  {row['function']}")
    if args.html:
        args.html.write_text(profiler.output_html(), encoding="utf-8")
        print(f"\nwrote {args.html}")


if __name__ == "__main__":
    main()
