# The two set-up commands of the README: `make run` and `make test`. Both install what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOME_DIR ?= $(CURDIR)/var
BIND ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test lint bench system-packages clean

# With no scanner attached, the development box scans a sample stack through SANE's pnm backend.
RUN_ENV = DANGAN_HOME=$(HOME_DIR) DANGAN_WEB_BIND=$(BIND) DANGAN_AGENT_VIRTUAL_SCANNER=$(VIRTUAL_SCANNER)
VIRTUAL_SCANNER ?= true

run: system-packages $(STAMP)
	$(RUN_ENV) $(BIN)/dangan init
	$(RUN_ENV) $(BIN)/dangan demo
	$(RUN_ENV) exec $(BIN)/dangan run

test: system-packages $(STAMP) lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/catalogue_bench.py
	$(BIN)/python bench/barcode_bench.py
	$(BIN)/python bench/ocr_bench.py
	$(BIN)/python bench/capture_bench.py

system-packages:
	@bash scripts/install-system-packages.sh

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
