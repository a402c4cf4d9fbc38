"""What compiling the runtime to C with mypyc would give: an experiment, not part of `make bench`.

    python -m bench.mypyc_probe [--facts 50000] [--rounds 3]    # about 2 minutes

The benchmark's goal of `compiled` within 5x of the plain-Python baseline is far off, and the
engine's profile is flat, so no single function is worth rewriting. This probe measures the one
change of execution model that needs no rewrite: mypyc, which compiles type-annotated Python
(the runtime is `mypy --strict` clean) to C extension modules.

It copies `src/` to a temporary folder and compiles the runtime's modules there (`MODULES`,
about a minute with gcc). A few classes keep their state in `__dict__`, so they are marked to
stay Python classes (`PYTHON_CLASSES`); their methods are still compiled. Then it times the
main workload's ingest (1,000 contracts) with the runtime as it is and with the compiled copy,
one after the other in fresh processes, round after round, beside the baseline. Both must give
the same events and charges (a digest of all of them), or the probe fails.

What it does not give: compiled engines cannot be snapshotted. mypyc makes a native class
only through its `__init__`, which unpickling cannot call, and its frozen dataclasses refuse
the unpickler's `__setattr__`. In a trial, keeping the engine's eleven stateful classes as
Python classes, so that pickling could rebuild them, cost about a third of the gain, with the
frozen dataclasses still to solve. Needs mypy (the `dev` extra) and a C compiler.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The runtime's modules that take part in ingest. Left out: `events` (mypyc fails on its
# pydantic models), the stores, snapshots, scenarios, reports and the rete matcher.
MODULES = [
    *("agenda", "amend", "amounts", "calendar", "claims", "closeout", "context", "deadlines"),
    *("derived", "earn_back", "engine", "evaluate", "evidence", "facts", "live", "metrics"),
    *("money", "obligations", "occurrences", "patterns", "plans", "portfolio", "powers"),
    *("reparation", "restate", "slas", "suspension", "triggers", "windows"),
    *("matchers/compiled", "matchers/encode_values"),
]

# module -> (class, why it must stay a Python class under mypyc)
PYTHON_CLASSES = {
    "calendar": ("ContractTime", "its zone and holiday table are cached properties"),
    "context": ("Context", "it pickles through `__dict__`"),
    "slas": ("WindowKernel", "`_by_fact` is a cached property"),
    "reparation": ("Lateness", "`business_days` is a cached property"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_ingest(args.facts)))
        return
    with tempfile.TemporaryDirectory(prefix="clausec-mypyc-") as folder:
        compiled = build(Path(folder))
        _report(_rounds(compiled, args.facts, args.rounds))


def build(folder: Path) -> Path:
    """A copy of `src/` with the runtime's modules compiled in place; its path."""
    src = folder / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    for data in ("grammar", "stdlib"):  # found next to src/, as in the checkout
        (folder / data).symlink_to(ROOT / data)
    for module, (name, why) in PYTHON_CLASSES.items():
        mark_python_class(src / "runtime" / f"{module}.py", name, why)
    paths = [f"runtime/{m}.py" for m in MODULES]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mypyc", *paths],
        cwd=src,
        env={**os.environ, "MYPYPATH": str(src)},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"mypyc failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    built = sum(
        1 for path in (src / "runtime").rglob("*") if path.name.endswith(tuple(EXTENSION_SUFFIXES))
    )
    print(f"compiled {built} modules with mypyc in {time.perf_counter() - started:.0f} s")
    return src


def mark_python_class(path: Path, name: str, why: str) -> None:
    """Put `@mypyc_attr(native_class=False)` on class `name` (above its decorators)."""
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"^(@dataclass[^\n]*\n)?class {name}\b", text, re.MULTILINE)
    if found is None:
        raise SystemExit(f"{path.name} has no class {name} to mark: update PYTHON_CLASSES")
    marked = f"# mypyc: a Python class, as {why}\n@mypyc_attr(native_class=False)\n"
    text = text[: found.start()] + marked + text[found.start() :]
    text = text.replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom mypy_extensions import mypyc_attr\n",
        1,
    )
    path.write_text(text, encoding="utf-8")


def _rounds(compiled: Path, facts: int, rounds: int) -> dict[str, list[float]]:
    """Each round runs the runtime as it is and the compiled copy, each in a fresh process
    that also times the baseline. Both must fire the same events."""
    found: dict[str, list[float]] = {"python": [], "mypyc": [], "baseline": []}
    digests: set[str] = set()
    for number in range(rounds):
        pair = [("python", ROOT / "src"), ("mypyc", compiled)]
        for label, src in pair if number % 2 == 0 else pair[::-1]:
            run = _child(src, facts)
            if run["compiled"] != (label == "mypyc"):
                sys.exit(f"the {label} run imported the wrong runtime")
            found[label].append(float(run["engine_s"]))
            found["baseline"].append(float(run["baseline_s"]))
            digests.add(str(run["digest"]))
        print(
            f"round {number + 1}: python {found['python'][-1]:.2f} s, "
            f"mypyc {found['mypyc'][-1]:.2f} s"
        )
    if len(digests) != 1:
        sys.exit(f"the compiled runtime fired other events or charges: {sorted(digests)}")
    print(f"the same events and charges with and without mypyc (digest {digests.pop()})")
    return found


def _child(src: Path, facts: int) -> dict[str, float | str | bool]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    command = [sys.executable, "-m", "bench.mypyc_probe", "--child", "--facts", str(facts)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the run under {src} failed:\n{result.stderr[-3000:]}")
    loaded: dict[str, float | str | bool] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def _ingest(facts: int) -> dict[str, float | str | bool]:
    """In a fresh process: the baseline, then the main workload's ingest, and the event
    digest. The baseline runs first, so that its collections do not walk the engines' state,
    and twice, timed the second time, once its caches (holidays, zones) are warm."""
    import runtime.engine
    from bench import baseline
    from bench import portfolio as pf
    from bench.generate import make_portfolio
    from bench.measure import timed

    where = Path(runtime.engine.__file__)
    portfolio = make_portfolio(1000, facts)
    with tempfile.TemporaryDirectory() as folder:
        texts = pf.build_bundles(portfolio.specs, Path(folder), verify=0)
    bundles = pf.parse_bundles(texts)
    baseline.run(portfolio.specs, portfolio.stream.lines)
    baseline_s = timed(lambda: baseline.run(portfolio.specs, portfolio.stream.lines))
    engines = pf.load(bundles, "compiled")
    engine_s = timed(lambda: pf.feed(engines, portfolio.stream.lines))
    digest = hashlib.sha256()
    for contract in sorted(engines):
        for event in engines[contract].events():
            digest.update(event.model_dump_json().encode())
        for charge in engines[contract].ledger():
            digest.update(f"{charge.clause}|{charge.kind}|{charge.amount}|{charge.time}".encode())
    return {
        "engine_s": engine_s,
        "baseline_s": baseline_s,
        "digest": digest.hexdigest()[:16],
        "compiled": any(where.name.endswith(end) for end in EXTENSION_SUFFIXES),
    }


def _report(found: dict[str, list[float]]) -> None:
    python, mypyc, base = (statistics.median(found[k]) for k in ("python", "mypyc", "baseline"))
    print(
        f"ingest, medians of {len(found['python'])} rounds: python {python:.2f} s, "
        f"mypyc {mypyc:.2f} s: {python / mypyc:.2f}x faster"
    )
    print(
        f"baseline {base:.2f} s: python {python / base:.1f}x the baseline, "
        f"mypyc {mypyc / base:.1f}x"
    )


if __name__ == "__main__":
    main()
