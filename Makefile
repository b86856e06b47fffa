# Two commands on a fresh machine: `make run` (the main job) and `make test` (the test suite).
PYTHON ?= $(shell scripts/find-python)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-all lint bench viz clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "no Python >= 3.12 found: set PYTHON=/path/to/python3.12" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,dask]"
	@touch $(STAMP)

# The main job: the baseline year (summary table on screen), then the reform comparison and its report.
run: $(STAMP)
	$(BIN)/leniency run --out out/baseline --force
	$(BIN)/leniency sweep experiments/reforms.toml --out results/reforms --force
	$(BIN)/leniency report results/reforms

test: $(STAMP)
	$(BIN)/ruff format --check sim tests
	$(BIN)/ruff check sim tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "slow or not slow"

bench: $(STAMP)
	$(BIN)/leniency bench

viz: $(STAMP)
	$(BIN)/leniency viz

clean:
	rm -rf $(VENV) out .pytest_cache
