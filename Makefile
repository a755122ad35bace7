# Two commands on a fresh machine (Python 3.11+): `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bench lint clean lock audit

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Temporal dev server + worker + demo data on SQLite; Ctrl-C stops everything.
run: $(STAMP)
	$(BIN)/gcu-review up

## The whole test suite (set TEST_POSTGRES_URL to run the database tests on PostgreSQL too).
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## ruff (lint and format check) and mypy over the source; CI runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/rules_bench.py

## requirements.lock: every dependency pinned with its hashes, resolved from PyPI (the Docker image
## installs exactly this). Run after changing pyproject.toml's dependencies.
lock: $(STAMP)
	$(BIN)/pip install --quiet -e '.[audit]'
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(BIN)/pip-compile --quiet --generate-hashes --strip-extras \
		--allow-unsafe --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
		--output-file requirements.lock pyproject.toml

## Known vulnerabilities in the locked dependencies (PyPI's advisory data).
audit: $(STAMP)
	$(BIN)/pip install --quiet -e '.[audit]'
	.ci/audit

clean:
	rm -rf var .pytest_cache
