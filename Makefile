# 一号通 (Yihaotong): the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_URL_TEST ?= redis://127.0.0.1:6379/15

.PHONY: setup demo test test-sqlite test-pg lint format serve worker clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent
	touch $@

## Set everything up and run the demo on http://127.0.0.1:8000 (SQLite, demo data, printed logins).
demo: setup
	$(BIN)/yihaotong demo

## Set everything up and run the whole test suite (lint + tests on the embedded default, SQLite).
test: setup lint test-sqlite

test-sqlite: setup
	$(BIN)/pytest -n 2

## The same suite against PostgreSQL and Redis on 127.0.0.1 (what CI runs as well).
test-pg: setup
	# Redis carries the huey queue (tests/workorders/test_tasks.py); the query-count tests need a cache of
	# their own per process, so the Django cache stays local here.
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_URL_TEST) CACHE_URL=locmem:// $(BIN)/pytest -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve: setup
	$(BIN)/yihaotong serve

worker: setup
	$(BIN)/yihaotong worker

clean:
	rm -rf $(VENV) var node_modules
