# `make run`: set up and serve the shipped fixtures/default on 127.0.0.1:8000.
# `make test`: set up and run the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench container-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mockidp serve $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check mockidp tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockidp tests bench
	$(BIN)/ruff format --check mockidp tests bench

bench: $(STAMP)
	$(BIN)/python bench/run.py

container-check:
	../shared/tools/container-check .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
