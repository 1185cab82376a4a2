# Everything installs what it needs: a fresh clone with Python, pip, git and make is enough.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
# What users get: the sdist, the wheel built from it, and a clean virtualenv holding
# only that wheel (and its dependencies). The end-to-end tests run its `subreg`.
DIST       := dist
TREE_WHEEL := dist-tree
WHEEL_VENV := .venv-wheel

.PHONY: run test lint bench mutation browser dist wheel-venv reference clean

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

## dist: the sdist, the wheel built from the sdist, and (to compare) a wheel built from the tree
dist: $(STAMP)
	rm -rf $(DIST) $(TREE_WHEEL) build/lib build/bdist.*
	$(BIN)/python -m build -q --outdir $(DIST) .
	$(BIN)/python -m build -q --wheel --outdir $(TREE_WHEEL) .
	$(BIN)/twine check --strict $(DIST)/*

## wheel-venv: a clean virtualenv with the built wheel installed, as `pip install` gives users
wheel-venv: dist
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet $(DIST)/subreg-*.whl

## test: lint, types, and the whole test suite with branch coverage, end to end on the wheel
test: $(STAMP) browser wheel-venv
	$(BIN)/ruff check src tests bench scripts checks
	$(BIN)/mypy
	SUBREG_BIN=$(CURDIR)/$(WHEEL_VENV)/bin/subreg SUBREG_DIST=$(CURDIR)/$(DIST) \
	SUBREG_TREE_WHEEL=$(CURDIR)/$(TREE_WHEEL) SUBREG_REQUIRE_WHEEL=1 \
	$(BIN)/pytest -q --cov=subreg --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=90

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts checks
	$(BIN)/mypy

## browser: Debian's headless Chromium and axe-core (npm) for the page test (installed when missing)
browser:
	@sh scripts/ensure-chromium
	@sh scripts/ensure-axe

## bench: generated repositories, timed against their floors (a benchmark, not a test)
bench: wheel-venv
	$(WHEEL_VENV)/bin/python bench/run.py

## reference: regenerate the checks section of docs/reference.md from the checks' docstrings
reference: $(STAMP)
	$(BIN)/python scripts/reference.py

## mutation: mutation testing of the gate-critical modules (a report, not a CI step)
mutation: $(STAMP)
	$(BIN)/python scripts/mutate.py --jobs 2

clean:
	rm -rf $(VENV) $(WHEEL_VENV) $(DIST) $(TREE_WHEEL) build .coverage .pytest_cache .mypy_cache .ruff_cache
