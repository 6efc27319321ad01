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

# `make bench`: start-up, tokens/s and JWKS requests/s under wrk, peak RSS (figures only; see bench/README.md).
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null) || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

container-check:
	../shared/tools/container-check .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
