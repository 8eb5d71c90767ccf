# Each target sets everything up on a fresh machine (.venv, installed from constraints.txt):
#   make demo   - create .venv, install, search on breast_cancer, print the leaderboard
#   make test   - create .venv, install, run the test suite
#   make lint   - import-linter contracts, ruff check, ruff format --check
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/quickstart.py

test: $(STAMP)
	$(PY) -m pytest

# architecture contracts ([tool.importlinter] in pyproject.toml), then ruff
lint: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check skautoml tests benchmarks examples
	$(VENV)/bin/ruff format --check skautoml tests benchmarks examples

bench: $(STAMP)
	$(PY) benchmarks/bench_baselines.py

clean:
	rm -rf $(VENV) .pytest_cache
