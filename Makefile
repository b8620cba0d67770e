# Every target bootstraps .venv from nothing, so a fresh clone needs only `make`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint format install bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/workledger serve

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_architecture.py

# `workledger` on the PATH from this checkout: uv (from .venv) installs it as a tool of
# its own, in ~/.local/bin; run it again after pulling. `uv tool uninstall workledger` removes it.
install: $(STAMP)
	$(BIN)/uv tool install --reinstall --python $(PYTHON) .

format: $(STAMP)
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

# Runs every benchmark, saves the figures and writes README.md's table from them.
bench: $(STAMP)
	$(BIN)/python -m bench.run_all --json bench/results.json
	$(BIN)/python -m bench.readme_table --results bench/results.json --readme README.md

# The README's pictures of the web pages, taken by the browser tests.
screenshots: $(STAMP)
	WORKLEDGER_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/web -k "sqlite and (teams_ledger or screenshot_of_an_items or agents_claim)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
