# `make run`: set up and serve the shipped fixtures/default on 127.0.0.1:8000; `make run ARGS="--port 9000
#   --auto-login"` passes ARGS to `mockidp serve` (see `mockidp serve --help`).
# `make test`: set up and run the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The OCI CLI, for the admin-API tests, in a venv of its own: oci-cli pins exact versions (oci, click, certifi,
# PyYAML, cryptography) that, in the test venv, force pip to downgrade them and to backtrack for minutes.
OCI_CLI_VENV ?= .venv-oci-cli
OCI_CLI_STAMP := $(OCI_CLI_VENV)/.installed

.PHONY: run test lint bench container-check compose-check clean

# The first time takes about a minute (pip installs mockidp and its test tools): say so, and show pip's progress.
$(STAMP): pyproject.toml
	@echo "mockidp: setting up $(VENV) (the first time takes about a minute; later runs start at once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -e '.[test]'
	@touch $(STAMP)
	@echo "mockidp: $(VENV) is ready"

$(OCI_CLI_STAMP):
	$(PYTHON) -m venv $(OCI_CLI_VENV)
	$(OCI_CLI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OCI_CLI_VENV)/bin/python -m pip install --quiet 'oci-cli>=3.50'
	touch $(OCI_CLI_STAMP)

run: $(STAMP)
	$(BIN)/mockidp serve $(ARGS)

test: $(STAMP) $(OCI_CLI_STAMP)
	$(BIN)/ruff check mockidp tests bench tools docs
	MOCKIDP_OCI_CLI=$(abspath $(OCI_CLI_VENV))/bin/oci $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockidp tests bench tools docs
	$(BIN)/ruff format --check mockidp tests bench tools docs/examples docs/make_screenshot.py

# `make bench`: start-up, tokens/s and JWKS requests/s under wrk, peak RSS (figures only; see bench/README.md).
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null) || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# `make container-check`: build the Dockerfile and run the image with podman, through the team's harness
# ../shared/tools/container-check (beside this checkout, not part of it).
CONTAINER_CHECK ?= ../shared/tools/container-check
container-check:
	@test -x $(CONTAINER_CHECK) || { \
	  echo "make container-check needs $(CONTAINER_CHECK) (the container harness kept beside this checkout;"; \
	  echo "point CONTAINER_CHECK=/path/to/container-check at it). Without it, with Docker or podman:"; \
	  echo "  docker build -t mockidp . && docker run --rm -p 8000:8000 mockidp"; exit 2; }
	$(CONTAINER_CHECK) .

# `make compose-check`: docs/examples/scaling/compose.yaml for real — Redis, three replicas, nginx on localhost:8000 —
# with podman and podman-compose (local stand-ins for redis:7 and nginx:1.27 where no registry is reachable),
# checked through the load balancer and taken down again: tools/compose-check. Not part of `make test` or CI (CI
# has no podman).
compose-check: $(STAMP)
	PYTHON=$(abspath $(BIN))/python tools/compose-check

clean:
	rm -rf $(VENV) $(OCI_CLI_VENV) build dist *.egg-info .pytest_cache .ruff_cache
