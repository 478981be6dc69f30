# batchctl — the two commands of the README: `make demo` and `make test`.
# Both install what is missing first (idempotent): virtualenv, Python packages,
# a Docker engine with no bridge network, and the offline base images.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
BATCHCTL := $(BIN)/batchctl
# Tools whose dependencies conflict with batchctl's (checkov) live in a virtualenv of their own.
TOOLS_VENV := $(VENV)-tools
export BATCHCTL_CHECKOV ?= $(abspath $(TOOLS_VENV))/bin/checkov
# Everything batchctl keeps on this machine (emulator state and logs, dockerd log).
export BATCHCTL_HOME ?= $(HOME)/.batchctl
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 14,16,18,20
PYTEST_ARGS ?=

.PHONY: help setup python tools docker registry images browser lint test test-fast demo demo-clean clean

help:
	@echo "make demo   deploy the demo cluster into the local emulator and run the helloworld jobs"
	@echo "make test   the whole test suite (unit, integration, end-to-end with real containers)"
	@echo "make lint   ruff + mypy"
	@echo "make setup  install what is missing (virtualenv, packages, checkov tool venv, Docker engine, registry, base images, browser)"

setup: python tools docker registry images browser

python: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@scripts/setup-python.sh "$(PYTHON)" "$(VENV)"
	@touch $@

tools: python
	@scripts/setup-tools.sh "$(PYTHON)" "$(TOOLS_VENV)"

docker:
	@scripts/setup-docker.sh

# The image registry the local emulator runs beside it (ECR repository URIs resolve to it).
registry:
	@scripts/setup-registry.sh

images: docker
	@scripts/build-base-images.sh

# A real browser (Debian's Chromium and ChromeDriver) for the dashboard's browser tests.
browser:
	@scripts/setup-browser.sh

lint: python
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: setup lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Unit tier only: no emulator, no Docker.
test-fast: python
	$(BIN)/pytest -m "not integration and not e2e" $(PYTEST_ARGS)

demo: setup
	@scripts/demo.sh "$(BATCHCTL)"

demo-clean: python
	-$(BATCHCTL) --local destroy --yes --delete-data
	-$(BATCHCTL) local down

clean:
	rm -rf $(VENV) $(TOOLS_VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
