# budget-tool: the daily commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format golden samples docs bench clean

$(STAMP): pyproject.toml
	@echo "Installation de budget-tool et de ses dépendances dans $(VENV)/ (une à deux minutes)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,web]'
	@$(BIN)/budget-tool --version >/dev/null
	@echo "budget-tool $$($(BIN)/budget-tool --version | cut -d' ' -f2) est installé et répond."
	@echo "Lancez-le avec $(BIN)/budget-tool --help (ou source $(BIN)/activate), ou essayez make demo."
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@bash samples/demo.sh $(BIN)

test: $(STAMP)
	$(BIN)/python -m pytest -q -rs

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
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache .mypy_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
