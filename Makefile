# Everything installs what it needs: a fresh clone with Python, pip, git and make is enough.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: run test lint bench browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## run: the main job on this repository's own registry (validate, check, audit, publish)
run: $(STAMP)
	$(BIN)/subreg validate
	$(BIN)/subreg check --all
	$(BIN)/subreg audit --out build/audit
	$(BIN)/subreg publish --out build/site
	@echo "reports in build/audit, public page in build/site/index.html"

## test: lint, types, and the whole test suite with branch coverage
test: $(STAMP) browser
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q --cov=subreg --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=90

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## browser: Debian's headless Chromium for the page test (installed when root and missing)
browser:
	@sh scripts/ensure-chromium

## bench: generated repositories, timed against their floors (a benchmark, not a test)
bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build .coverage .pytest_cache .mypy_cache .ruff_cache
