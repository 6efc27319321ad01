# `make run`: set up and serve the shipped fixtures/default on 127.0.0.1:8000.
# `make test`: set up and run the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The OCI CLI, for the admin-API tests, in a venv of its own: oci-cli pins exact versions (oci, click, certifi,
# PyYAML, cryptography) that, in the test venv, force pip to downgrade them and to backtrack for minutes.
OCI_CLI_VENV ?= .venv-oci-cli
OCI_CLI_STAMP := $(OCI_CLI_VENV)/.installed

.PHONY: run test lint bench container-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(OCI_CLI_STAMP):
	$(PYTHON) -m venv $(OCI_CLI_VENV)
	$(OCI_CLI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OCI_CLI_VENV)/bin/python -m pip install --quiet 'oci-cli>=3.50'
	touch $(OCI_CLI_STAMP)

run: $(STAMP)
	$(BIN)/mockidp serve $(ARGS)

test: $(STAMP) $(OCI_CLI_STAMP)
	$(BIN)/ruff check mockidp tests bench
	MOCKIDP_OCI_CLI=$(abspath $(OCI_CLI_VENV))/bin/oci $(BIN)/python -m pytest $(PYTEST_ARGS)

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
	rm -rf $(VENV) $(OCI_CLI_VENV) build dist *.egg-info .pytest_cache .ruff_cache
