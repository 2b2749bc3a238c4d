# make run   - set up and start everything (embedded PostgreSQL, no Redis needed), demo data
# make test  - set up and run ruff and the whole test suite against PostgreSQL and Redis
# make bench - the benchmarks (figures and ratios against an in-run baseline)

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
# Django 6.1 needs Python 3.12+. pyenv users get it from .python-version; elsewhere a
# python3.12 (or newer) on PATH is enough.
PYTHON_CANDIDATES := python3.12 python3.13 python3.14 python3
FIND_PYTHON = $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1 && echo $(p))))

# Tests: PostgreSQL and Redis on loopback; the `postgres` role must be trusted there
# (elsewhere: `docker compose up -d db redis` and set PRM_ADMIN_DATABASE_URL).
PRM_ADMIN_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_WORKERS ?= auto

.PHONY: help setup run test lint bench e2e clean

help:
	@echo "make run    start the demo at http://acme.localhost:8000 (PORT overrides)"
	@echo "make test   ruff + the whole test suite (PostgreSQL and Redis on loopback)"
	@echo "make bench  benchmarks"

$(BIN)/.installed: requirements.lock
	@py="$(FIND_PYTHON)"; \
	if [ -z "$$py" ]; then \
	  echo "No Python 3.12 or newer found (tried: $(PYTHON_CANDIDATES))." >&2; \
	  echo "Install Python 3.12+ (e.g. 'pyenv install 3.12' - .python-version pins it) and retry." >&2; \
	  exit 1; \
	fi; \
	echo "Creating $(VENV) with $$py ($$($$py --version))"; \
	$$py -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

static/vendor/htmx.min.js: package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install front-end assets (htmx)." >&2; exit 1; }
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

locale/de/LC_MESSAGES/django.mo: locale/de/LC_MESSAGES/django.po $(BIN)/.installed
	@command -v msgfmt >/dev/null || { echo "GNU gettext (msgfmt) is needed to compile translations." >&2; exit 1; }
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=$(VENV) --ignore=node_modules -v 0

setup: $(BIN)/.installed static/vendor/htmx.min.js locale/de/LC_MESSAGES/django.mo

run: setup
	$(BIN)/python -m prm.devrun

lint: setup
	$(BIN)/ruff check .

test: setup
	$(BIN)/python -m prm.dbsetup --admin-url "$(PRM_ADMIN_DATABASE_URL)"
	$(BIN)/ruff check .
	PRM_TESTING=true REDIS_URL="$(TEST_REDIS_URL)" $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m prm.dbsetup --admin-url "$(PRM_ADMIN_DATABASE_URL)"
	PRM_TESTING=true REDIS_URL="$(TEST_REDIS_URL)" $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules static/vendor var
