"""The benchmark of the clausec runtime: `python -m bench.run [--quick]`.

- `generate`, `contracts`, `facts`: a seeded portfolio of contracts and a year of facts;
- `portfolio`: compiles the contracts and routes the fact stream to one engine per contract;
- `baseline`: the same credits and penalties computed by a hand-written loop;
- `durable`: ingest into the SQLite and PostgreSQL stores;
- `probes`: latency, memory (in fresh processes, `memory`), compile and check times;
- `anatomy`: where the time goes (a pyinstrument profile, the collector's share);
- `floor`: the engine's validation and event recording timed alone, against the baseline;
- `memory_where`: where an idle contract's memory goes;
- `measure`: timing and memory helpers; `bigcontract`: a 1,000-clause contract;
- `report`, `report_limits`, `markdown`: results.json and docs/performance.md;
- `run`: the entry point, `config`: what the full and quick runs measure; `profile`: a
  pyinstrument profile to read by eye.
"""
