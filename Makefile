# The two commands in README.md: `make run` and `make test`. Everything else supports them.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test install lint format clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)
	scripts/install-system-deps.sh

## Serve the platform on the embedded default (SQLite + local files) at http://127.0.0.1:8000
run: install
	$(VENV)/bin/nbopen serve --host 127.0.0.1 --port 8000

## Install everything and run the whole test suite (lint, types, unit, e2e with real clients)
test: $(STAMP)
	scripts/install-system-deps.sh --test
	scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts && $(VENV)/bin/mypy src && $(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench && $(VENV)/bin/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) build src/*.egg-info
