# The two set-up commands of the README: `make run` and `make test`. Both install what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOME_DIR ?= $(CURDIR)/var
BIND ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test lint bench system-packages clean translations translations-extract image image-test

# With no scanner attached, the development box scans a sample stack through SANE's pnm backend. It serves
# plain HTTP on loopback, so its cookies cannot be HTTPS-only; the appliance image serves HTTPS.
RUN_ENV = DANGAN_HOME=$(HOME_DIR) DANGAN_WEB_BIND=$(BIND) DANGAN_AGENT_VIRTUAL_SCANNER=$(VIRTUAL_SCANNER) \
	DANGAN_WEB_SECURE_COOKIES=false
VIRTUAL_SCANNER ?= true

# The console's message catalogues, compiled from the .po files kept in git.
CATALOGUES := $(wildcard web/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

run: system-packages $(STAMP) translations
	$(RUN_ENV) $(BIN)/dangan init
	$(RUN_ENV) $(BIN)/dangan demo
	$(RUN_ENV) exec $(BIN)/dangan run

test: system-packages $(STAMP) translations lint
	$(BIN)/pytest --durations=15 $(PYTEST_ARGS)  # the slowest, so CI shows where the minutes go

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/catalogue_bench.py
	$(BIN)/python bench/barcode_bench.py
	$(BIN)/python bench/ocr_bench.py
	$(BIN)/python bench/capture_bench.py
	$(BIN)/python bench/watermark_bench.py
	$(BIN)/python bench/web_load_bench.py
	$(BIN)/python bench/archival_checks_bench.py
	$(BIN)/python bench/appraisal_bench.py
	$(BIN)/python bench/backup_bench.py
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/segmentation_bench.py
	$(BIN)/python bench/suggestion_bench.py

system-packages:
	@bash scripts/install-system-packages.sh

# The appliance's disk image (image/out/dangan.raw and .qcow2), built without loop devices; needs root (or sudo).
image: $(STAMP)
	bash image/build.sh

# Boots the image under qemu (TCG) with an answers drive: the console over HTTPS, the services over ssh.
image-test: image
	DANGAN_IMAGE=image/out/dangan.qcow2 $(BIN)/pytest -s -p no:cacheprovider tests/image/test_boot.py

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

translations: $(COMPILED)

web/translations/%/LC_MESSAGES/messages.mo: web/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After changing strings: extract them, merge them into each catalogue, then translate what is new.
translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -o web/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
