"""The benchmark's smoke run (`python -m bench.run --quick`): it must finish, agree with the
plain-Python baseline on every contract, and write its results, here into a temporary folder
rather than docs/."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def bench_module(*args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """`python -m ARGS` from the checkout, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


def test_quick_benchmark_agrees_with_the_baseline(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    bench_module("bench.run", "--quick", "--out", str(tmp_path), "--doc", str(doc), timeout=300)
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["problems"] == []
    assert results["config"] == "quick"
    throughput = results["throughput"]
    for engine in ("compiled", "rete", "baseline"):
        assert throughput[engine]["facts_per_s"] > 0
    # The engine was checked against the baseline on a portfolio that owes money of each kind.
    owed = results["workload"]["owed"]
    for figure in ("credit", "damages", "penalty", "interest"):
        assert float(owed[figure]) > 0
    assert results["bundles"]["verified_against_compiler"] > 0
    # Durable ingest ran on both stores, and was checked against the baseline like the rest.
    for store in ("sqlite", "postgresql"):
        assert results["durable"][store]["facts_per_s"] > 0, results["durable"][store]
        assert results["durable"][store]["ledger_rows"] > 0
    report = doc.read_text(encoding="utf-8")
    assert "## Durable ingest" in report
    # Where the time went: every stage was found in the profile, the matcher among them.
    stages = {s["stage"]: s["share"] for s in results["anatomy"]["stages"]}
    assert all(0 < share <= 1 for share in stages.values()), stages
    assert 0 < results["anatomy"]["gc_share"] < 1
    assert "A compiled matcher that cost nothing" in report
    own_time = results["anatomy"]["own_time"]
    assert own_time["top"] and own_time["at_least_1_percent"] >= 1
    assert results["anatomy"]["events"] > 0
    assert "With no garbage collector at all" in report
    # The design's floor: its events are the engine's, replayed (and checked) one for one.
    floor = results["anatomy"]["floor"]
    assert floor["events"] == results["anatomy"]["events"]
    assert floor["validate_keep_s"] > 0 and floor["events_s"] > 0 and floor["engine_s"] > 0
    parts = floor["baseline_s"] + floor["validate_keep_s"] + floor["events_s"]
    assert floor["floor_s"] == pytest.approx(parts)
    assert "that floor is" in report
    # The same workload once more with the collector set as the README recommends a service.
    assert floor["tuned_engine_s"] > 0 and floor["tuned_baseline_s"] > 0
    assert "tuned as a service holding many contracts" in report
    assert results["anatomy"]["state_kb_per_contract"] > 0
    assert "after the main workload's year" in report
    # Where an idle contract's memory went: the bundle's own parts and the engine by module.
    traced = next(r for r in results["memory"] if r["method"] == "tracemalloc")
    own, engine = traced["where"]["own"], traced["where"]["engine"]
    assert 0 < own["kb"] < traced["bundle_kb"] and own["models"] >= 1
    assert {"header", "params"} <= set(own["by_field"])
    assert "runtime/context.py" in engine and 0 < engine["runtime/context.py"] < traced["engine_kb"]
    assert "## Where an idle contract's memory goes" in report


def test_the_check_fails_on_a_wrong_figure() -> None:
    """The comparison is not vacuous: a baseline that is one cent off is reported."""
    from decimal import Decimal

    sys.path.insert(0, str(ROOT))
    from bench.baseline import Figures
    from bench.portfolio import compare

    engine = {"BENCH-00001": Figures(credit=Decimal("100.00"), escalations=2)}
    right = {"BENCH-00001": Figures(credit=Decimal("100"), escalations=2)}
    wrong = {"BENCH-00001": Figures(credit=Decimal("100.01"), escalations=2)}
    assert compare(engine, right, "x") == []
    assert compare(engine, wrong, "x") == ["x BENCH-00001 credit: engine 100.00, baseline 100.01"]


def test_the_floor_fails_on_a_replay_that_differs(tmp_path: Path) -> None:
    """The floor's replay records the engine's very events, or it says so."""
    sys.path.insert(0, str(ROOT))
    from bench import floor
    from bench import portfolio as pf
    from bench.generate import make_portfolio

    workload = make_portfolio(3, 300)
    bundles = pf.parse_bundles(pf.build_bundles(workload.specs, tmp_path, verify=0))
    _, fired = floor._engine(bundles, workload.stream.lines)
    calls = {cid: [floor._call(event) for event in events] for cid, events in fired.items()}
    assert sum(len(events) for events in fired.values()) > 0
    assert floor._replayed(bundles, calls, fired) > 0
    contract = next(cid for cid, made in calls.items() if made)
    (clause, kind, moment, summary), extra = calls[contract][0]
    calls[contract][0] = ((clause, kind, moment, summary + "!"), extra)
    with pytest.raises(RuntimeError, match=f"replaying the events of {contract}"):
        floor._replayed(bundles, calls, fired)


@pytest.mark.slow
def test_mypyc_probe_compiles_the_runtime_and_fires_the_same_events() -> None:
    """The mypyc experiment (bench/mypyc_probe.py) still builds, and the compiled runtime
    fires the very events and charges of the runtime as it is (the probe exits non-zero
    otherwise). Skipped only where there is no C compiler for mypyc to use."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"mypyc needs a C compiler, and {compiler} is not on this machine")
    sys.path.insert(0, str(ROOT))
    from bench.mypyc_probe import MODULES

    done = bench_module("bench.mypyc_probe", "--facts", "2000", "--rounds", "1", timeout=600)
    assert f"compiled {len(MODULES)} modules with mypyc" in done.stdout
    assert "the same events and charges with and without mypyc" in done.stdout
