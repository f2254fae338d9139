# Two commands on a fresh machine: `make build` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
export AGGLO_WAREHOUSE ?= $(CURDIR)/warehouse/agglo.duckdb
DBT := $(BIN)/dbt
DBT_ARGS := --project-dir dbt_project --profiles-dir dbt_project

.PHONY: install build load dbt test lint format bench docs demo-data clean dq-docs report browser-deps sql

install: $(STAMP)

# Re-install only when the packaging changes; the package itself is installed editable.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## build: install, then load raw/, dbt build (models + tests) and estimate on a staged copy of the
## warehouse that replaces it only when every step succeeded
build: install
	$(BIN)/agglo build
	@echo "warehouse: $(AGGLO_WAREHOUSE)"

load: install
	$(BIN)/agglo load

dbt: install
	$(DBT) build $(DBT_ARGS) --quiet

## test: install if needed, then the whole test suite (unit, reference, end-to-end)
test: install browser-deps
	$(BIN)/pytest

## browser-deps: headless Chromium + chromedriver for the report's browser test (Debian packages)
browser-deps:
	@(test -x /usr/bin/chromium && test -x /usr/bin/chromedriver) || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver)

## report: static HTML replication report of the warehouse (reports/report/index.html)
report: install
	$(BIN)/agglo report

## lint: ruff, sqlfluff, and the import contracts of pyproject.toml (lint-imports)
lint: install
	$(BIN)/ruff check src estimation tests bench
	$(BIN)/ruff format --check src estimation tests bench
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format src estimation tests bench
	$(BIN)/ruff check --fix src estimation tests bench

## bench: timings and memory: agglo build per stage (cold / no change / one new file, in a temp
## dir); GMM on abdata and 5,000 x 10; demo generation; Tables 1-8 on the warehouse
bench: install
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_gmm.py
	$(BIN)/python bench/bench_demo.py
	@test -f "$(AGGLO_WAREHOUSE)" || $(MAKE) build
	$(BIN)/python bench/bench_estimate.py

## docs: the dbt docs site and the codebook (reports/codebook.md, .html) of the built warehouse
docs: install
	$(DBT) docs generate $(DBT_ARGS)
	$(BIN)/agglo codebook
	@echo "dbt docs: open dbt_project/target/index.html (or: $(DBT) docs serve $(DBT_ARGS))"

## sql: read-only SQL shell on the warehouse (agglo sql; `.help` inside)
sql: install
	@test -f "$(AGGLO_WAREHOUSE)" || $(MAKE) build
	$(BIN)/agglo sql

demo-data: install
	$(BIN)/agglo demo-data

## dq-docs: Great Expectations Data Docs of the latest load-gate results (reports/dq-docs/)
dq-docs: install
	$(BIN)/agglo dq-docs

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs
