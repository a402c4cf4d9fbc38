"""What a benchmark run measures: the full run (`make bench`) and the quick smoke run
(`python -m bench.run --quick`, part of `make test`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    """What one run measures: the main portfolio, the curves, the repetitions and the time
    budget that the largest scaling points must fit in."""

    name: str
    contracts: int
    facts: int
    reps: int  # rounds on the main portfolio: the baseline and each engine once
    latency: tuple[int, int]  # contracts, facts
    durable: tuple[int, int, int]  # contracts, facts, repetitions
    memory_counts: tuple[int, ...]
    fact_curve: tuple[int, ...]  # at `contracts`
    contract_curve: tuple[int, ...]  # at `facts`
    big_clauses: int
    compile_reps: int
    budget_s: float  # 0: none

    @property
    def max_contracts(self) -> int:
        return max(self.contracts, self.latency[0], *self.memory_counts, *self.contract_curve)


FULL = Config(
    name="full",
    contracts=1000,
    facts=50_000,
    reps=3,
    latency=(200, 40_000),
    durable=(200, 10_000, 3),
    memory_counts=(1000, 10_000),
    fact_curve=(10_000, 50_000, 100_000, 1_000_000),
    contract_curve=(10, 100, 1000, 10_000),
    big_clauses=1000,
    compile_reps=3,
    budget_s=555,  # ten minutes, less the virtualenv a fresh clone installs first
)
QUICK = Config(
    name="quick",
    contracts=50,
    facts=5000,
    reps=2,
    latency=(10, 2000),
    durable=(10, 1000, 1),
    memory_counts=(100, 300),
    fact_curve=(1000, 5000),
    contract_curve=(10, 50),
    big_clauses=1000,
    compile_reps=1,
    budget_s=0,
)
