# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLAGSHIP := examples/managed_hosting
CONTRACT := $(FLAGSHIP)/contract.clause
FACTS := $(FLAGSHIP)/facts.jsonl
UNTIL := 2026-07-10

.PHONY: demo test bench lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The flagship contract over six months of facts: what is owed, which rights lapsed, and why.
demo: $(STAMP)
	@echo "== clausec check: every example and stdlib template"
	$(BIN)/clausec check examples stdlib
	@echo "== clausec compile: the flagship's IR bundle"
	$(BIN)/clausec compile $(CONTRACT) -o build/managed_hosting.bundle.json
	@echo "== clausec run: credits, damages, escalations, triggers and powers"
	$(BIN)/clausec run $(CONTRACT) --facts $(FACTS) --until $(UNTIL) \
	  --kind penalty --kind credit --kind trigger --kind escalation --kind notice \
	  --kind power.granted --kind power.expired --kind obligation.violated
	@echo "== clausec report: the position on $(UNTIL)"
	$(BIN)/clausec report $(CONTRACT) --facts $(FACTS) --until $(UNTIL)
	@echo "== clausec explain: March's uptime credit and the late-delivery damages"
	$(BIN)/clausec explain $(CONTRACT) --facts $(FACTS) --until $(UNTIL) \
	  credit:uptime.credits:2026-03 penalty:servers.deliver

test: $(STAMP)
	$(BIN)/pytest
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# The in-memory benchmark (bench/): throughput, latency, memory, compile time and scaling,
# checked against a plain-Python baseline; writes build/bench/ and docs/performance.md.
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
