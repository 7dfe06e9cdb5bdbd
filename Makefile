# Two commands for a new user: `make demo` and `make test`. Everything else here serves those two.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_HOME ?= demo-home
PYTEST_ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test setup test-setup lint check bench clean docs

## make demo: create the virtualenv, build the demo instance and serve the portal on http://127.0.0.1:$(PORT)
demo: setup
	$(BIN)/wierde demo --home $(DEMO_HOME) --port $(PORT)

## make test: install what the tests need (Python packages, Debian's Chromium, Node tools) and run lint + tests
test: test-setup lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

setup: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv sync --locked --no-dev
	@touch $@

test-setup: $(VENV)/.synced-dev node_modules/.installed
	@command -v chromium >/dev/null && command -v java >/dev/null && command -v gdalinfo >/dev/null && [ -x /usr/lib/postgresql/15/bin/pg_ctl ] || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver gdal-bin postgresql-15 openjdk-17-jre-headless >/dev/null; }

$(VENV)/.synced-dev: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv sync --locked
	@touch $@ $(VENV)/.synced

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.synced-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

## make bench: side-by-side speed measurements (see bench/README.md)
bench: test-setup
	uv sync --locked --group bench
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) node_modules $(DEMO_HOME)

## make docs: regenerate the CLI reference from the commands' own help
docs: $(VENV)/.synced-dev
	$(BIN)/typer wierde.cli utils docs --name wierde --output docs/cli.md
