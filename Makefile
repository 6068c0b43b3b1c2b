# perpgraph: every command installs what it needs first (into .venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo replay test audit check lint format schema bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# the JavaScript clients the tests run (graphql-http's audit suite, graphql-ws, graphql-sse,
# playwright-core), exactly as package-lock.json pins them, and Debian's Chromium for GraphiQL
CLIENTS_STAMP := tests/clients/node_modules/.installed
$(CLIENTS_STAMP): tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --silent --no-audit --no-fund
	@test -x /usr/bin/chromium || { export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } \
	  || { echo "Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium, as root)" >&2; exit 1; }
	touch $(CLIENTS_STAMP)

## run: install, then serve the API against the live venues (GraphiQL at /graphql)
run: $(STAMP)
	$(BIN)/perpgraph serve

## demo: install, then serve offline against the replay exchange (recorded data)
demo: $(STAMP)
	$(BIN)/perpgraph serve --replay

replay: $(STAMP)
	$(BIN)/perpgraph replay

## test: install, then run the whole test suite (needs PostgreSQL and Redis on loopback)
test: $(STAMP) $(CLIENTS_STAMP)
	$(BIN)/pytest

## audit: the GraphQL over HTTP spec's audit suite (graphql-http) against a test server
audit: $(STAMP) $(CLIENTS_STAMP)
	$(BIN)/pytest -q tests/graph/test_conformance.py -k audit

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy engine providers resolvers graph tests bench tools

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## check: what CI runs: formatting, lint, types, then the tests
check: lint test

## schema: regenerate schema.graphql from the code
schema: $(STAMP)
	$(BIN)/perpgraph export-schema > schema.graphql

## bench: benchmarks on loopback; figures go to bench/results.json
bench: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
	$(BIN)/python bench/run.py

## fuzz: schemathesis on the replay, FUZZ_EXAMPLES (100) a REST operation and a GraphQL field
FUZZ_EXAMPLES ?= 100
fuzz: $(STAMP)
	@started=$$(date +%s); \
	PERPGRAPH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/graph/test_fuzz.py; status=$$?; \
	echo "make fuzz: $(FUZZ_EXAMPLES) examples an operation, $$(( $$(date +%s) - started )) s"; \
	exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/clients/node_modules
