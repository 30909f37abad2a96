# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test catalogs lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# The libraries' -OO bytecode: `buurbot run` re-executes under -OO where it is there
	# (bot/lean_start.py: their docstrings left out, about 6 MB less resident). A file that
	# does not compile (a package's deliberately broken test data) is only left uncached.
	$(BIN)/python -OO -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $(STAMP)

## Set up and start the bot: Telegram with BUURBOT_TELEGRAM_TOKEN, else a chat in this terminal.
run: $(STAMP)
	$(BIN)/buurbot

## Set up and run every check: lint, format, types, catalogs, and the whole test suite (two
## workers: the suite is written so that its tests share nothing but PostgreSQL, each on its own
## database). mypy reads its settings from pyproject.toml and keeps its cache in .mypy_cache.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m bot.i18n.catalogs check
	$(BIN)/pytest -n 2

## After changing texts: extract them, update nl/en, merge delivered Dutch fragments.
catalogs: $(STAMP)
	$(BIN)/python -m bot.i18n.catalogs update

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
