# The two commands of README.md: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint messages system-deps bench clean

install: $(VENV)/.installed messages

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Compiled translations are built, not committed (polib: no GNU gettext needed on the machine).
messages: $(VENV)/.installed
	$(BIN)/python scripts/compile_messages.py

system-deps:
	bash scripts/system-deps.sh

run: install
	$(BIN)/tousu migrate --noinput
	$(BIN)/tousu demo
	$(BIN)/tousu serve --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/tousu makemigrations --check --dry-run
	$(BIN)/mypy

test: install system-deps
	bash scripts/test.sh

bench: install
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/assess.py
	$(BIN)/python bench/sweep.py

clean:
	rm -rf $(VENV) var
