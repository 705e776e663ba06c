# civicgrid: `make demo` builds the demo district and serves it; `make test` runs the whole suite.
# Both work on a fresh machine with Python 3.11+ and npm (the chart library is built from npm at install time;
# `make test` also installs Debian's chromium); each creates .venv when missing and is safe to rerun.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.civicgrid-installed
VENDOR := src/civicgrid/entrypoints/web/static/vendor
ASSETS := $(VENDOR)/echarts.min.js
DEMO_DB ?= sqlite:///demo.db

.PHONY: install assets demo test lint typecheck bench clean browser screenshots

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "civicgrid needs Python 3.11 or newer"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Front-end libraries that no PyPI package ships (ECharts) come from npm at build time, never at run time.
$(ASSETS): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "civicgrid's charts need npm (Node.js) at build time: apt-get install npm"; exit 1; }
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR)
	cp frontend/node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js

assets: $(ASSETS)

install: $(STAMP) $(ASSETS)

demo: install
	$(BIN)/civicgrid demo --db $(DEMO_DB)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

# The browser tests drive Debian's chromium (Playwright's Python package is in the dev extras and never
# downloads a browser). Installed here when missing and we may (root with apt-get); otherwise they skip.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "browser tests will SKIP: $(CHROMIUM) is missing (install Debian's chromium as root)"; fi

test: lint typecheck browser
	$(BIN)/pytest -n 2

# PNGs of every page, both languages, phone and desk sizes, into docs/screenshots/ (see bench/screenshots.py).
screenshots: install browser
	$(BIN)/python bench/screenshots.py

bench: install
	$(BIN)/python bench/locate.py

clean:
	rm -rf $(VENV) frontend/node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache demo.db* civicgrid.db*
