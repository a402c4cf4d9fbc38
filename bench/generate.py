"""A realistic benchmark portfolio from a fixed seed: contracts and a year of facts.

In: a contract count, a fact count and a seed. Out: a `Portfolio` (the contracts' parameters,
see `contracts.py`, and the fact stream, see `facts.py`), and, written to a folder, the template
libraries, one `.clause` file per contract and `facts.jsonl`:

    python -m bench.generate --contracts 100 --facts 10000 --out build/bench/portfolio
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from bench.contracts import (
    SEED,
    ContractSpec,
    Shape,
    contract_text,
    library_name,
    library_text,
    make_specs,
)
from bench.facts import Stream, make_stream

__all__ = [
    "SEED",
    "ContractSpec",
    "Portfolio",
    "Stream",
    "make_portfolio",
    "make_specs",
    "make_stream",
    "write_libraries",
    "write_portfolio",
]


@dataclass(frozen=True, slots=True)
class Portfolio:
    specs: list[ContractSpec]
    stream: Stream


def make_portfolio(contracts: int, facts: int, seed: int = SEED) -> Portfolio:
    specs = make_specs(contracts, seed)
    return Portfolio(specs, make_stream(specs, facts, seed))


def write_libraries(folder: Path) -> None:
    """The template library of every (bounds, unit) combination, beside the contracts."""
    folder.mkdir(parents=True, exist_ok=True)
    for exclusive in (False, True):
        for weekly in (False, True):
            shape = Shape(0, exclusive, weekly, False)
            (folder / f"{library_name(shape)}.clause").write_text(
                library_text(exclusive, weekly), encoding="utf-8"
            )


def write_portfolio(portfolio: Portfolio, folder: Path) -> Path:
    """Write the template libraries, one .clause file per contract and facts.jsonl."""
    write_libraries(folder)
    for spec in portfolio.specs:
        (folder / spec.file_name).write_text(contract_text(spec), encoding="utf-8")
    (folder / "facts.jsonl").write_text(portfolio.stream.text(), encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=100)
    parser.add_argument("--facts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=Path("build/bench/portfolio"))
    args = parser.parse_args()
    folder = write_portfolio(make_portfolio(args.contracts, args.facts, args.seed), args.out)
    print(f"wrote {args.contracts} contracts and {args.facts} facts to {folder}")


if __name__ == "__main__":
    main()
