# Two commands on a fresh machine: `make demo` and `make test`. Every step is idempotent and
# skips what is already done.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/modelbeacon/web/vendor
NODE_STAMP := node_modules/.package-lock.json

.PHONY: install web test test-python test-js lint bench demo serve clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating the virtual environment and installing modelbeacon (first run: a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e '.[dev,redis]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@echo "==> installing the chart library (uPlot) from npm"
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(VENDOR)/uPlot.esm.js: $(NODE_STAMP)
	mkdir -p $(VENDOR)
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css $(VENDOR)/

web: $(VENDOR)/uPlot.esm.js

test: install web
	./scripts/ensure-services.sh
	./scripts/ensure-chromium.sh
	$(MAKE) test-js
	$(MAKE) test-python

test-python: install
	$(BIN)/pytest -q -ra

test-js: web
	node --test tests/js/

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/bench_metrics.py
	$(BIN)/python benchmarks/bench_health.py
	$(BIN)/python benchmarks/bench_predict.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_logging.py

serve: install web
	$(BIN)/modelbeacon serve

demo: install web
	$(BIN)/modelbeacon demo

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache .mypy_cache
