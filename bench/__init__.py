"""The in-memory benchmark of the clausec runtime: `python -m bench.run [--quick]`.

- `generate`: a seeded portfolio of contracts and a year of facts;
- `portfolio`: compiles the contracts and routes the fact stream to one engine per contract;
- `baseline`: the same credits and penalties computed by a hand-written loop;
- `measure`: timing and memory helpers;
- `bigcontract`: a 1,000-clause contract for compile time;
- `report`: results.json and docs/performance.md;
- `run`: the entry point; `profile`: cProfile of the compiled engine on the portfolio.
"""
