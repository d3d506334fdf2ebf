# budget-tool: the daily commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format golden samples docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,web]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@bash samples/demo.sh $(BIN)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check budget_tool tests samples bench
	$(BIN)/ruff format --check budget_tool tests samples bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format budget_tool tests samples bench
	$(BIN)/ruff check --fix budget_tool tests samples bench

golden: $(STAMP)
	$(BIN)/python tests/golden.py

samples: $(STAMP)
	$(BIN)/python samples/make_samples.py

docs: $(STAMP)
	$(BIN)/budget-tool rules --format markdown > docs/regles.md

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache
