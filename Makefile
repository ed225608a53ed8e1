# The two commands of the README: `make demo` (main job) and `make test` (whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium
# apt-get as root, else through sudo when there is one.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || { command -v sudo >/dev/null && echo sudo; })

.PHONY: demo test lint typecheck install browser bench bench-web clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The ATT&CK Enterprise release at hand, if any (the shared datasets beside the checkout); the knowledge
## base then holds the current ATT&CK groups and their techniques, not only the galaxy's copy.
ATTACK ?= $(firstword $(wildcard ../shared/data/attack/enterprise-attack*.json))
## EuRepoC v1.1 at hand, if any: the workspace then opens on 1,643 real incidents (re-running adds none).
EUREPOC ?= $(wildcard ../shared/data/eurepoc)

## Main job: set up, load the offline knowledge base into the default SQLite store, serve the workspace.
demo: $(STAMP)
	$(BIN)/cirx init $(if $(ATTACK),--attack $(ATTACK))
	$(if $(EUREPOC),$(BIN)/cirx import eurepoc $(EUREPOC))
	@echo "cirx: the workspace opens on http://127.0.0.1:8000 (Ctrl-C stops the server)"
	$(BIN)/cirx serve --anonymous-read

## Debian's Chromium for the browser tests (Playwright drives it; its own browsers are never downloaded).
## Outside CI a failed install only warns: the browser tests then skip, saying why.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing Debian's Chromium for the browser tests"; \
	  { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver; } \
	  || { [ "$$CI" != true ] && echo "warning: could not install Chromium; the browser tests will skip"; }; \
	fi

## Whole test suite: lint, type check, tests (PostgreSQL and browser tests required when CI=true).
## The browser tests start one live server and one Chromium per xdist worker.
test: $(STAMP) browser lint typecheck
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

## Page load of the workspace (server time, paint, 20 users) on the EuRepoC-loaded store.
bench-web: $(STAMP) browser
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
