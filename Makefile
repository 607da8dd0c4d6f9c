# Two commands for a newcomer: `make run` and `make test`. Both bootstrap .venv from requirements.lock.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-long bench ui demo-data lock lint clean system-packages

# Bytecode is compiled once here: uv does not compile it, and where PYTHONDONTWRITEBYTECODE is set every process
# (the run, its read-ahead workers, dbt) would compile each module it imports from source, every time.
$(STAMP): requirements.lock pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip install -q --python $(BIN)/python --index-url https://pypi.org/simple --require-hashes -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 assets pipelines \
		$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
	$(BIN)/python -m pipelines.cli prepare
	touch $(STAMP)

## run: the whole pipeline on the embedded default (DuckDB, local Dagster storage, demo data)
run: $(STAMP)
	$(BIN)/edusandbox run --demo-if-empty

## test: every test (PostgreSQL and Chromium are installed and started by the tests' own set-up)
test: $(STAMP) system-packages
	$(BIN)/python -m pytest -q

## system-packages: PostgreSQL and Chromium from Debian's packages (skips what is installed)
system-packages:
	bash .ci/install_system_packages.sh

test-long: $(STAMP) system-packages
	$(BIN)/python -m pytest -q --run-long

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

ui: $(STAMP)
	$(BIN)/edusandbox ui

demo-data: $(STAMP)
	$(BIN)/edusandbox demo-data

lint: $(STAMP)
	$(BIN)/ruff check .

## lock: re-resolve pinned dependencies after editing pyproject.toml
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--index-url https://pypi.org/simple -o requirements.lock

clean:
	rm -rf $(VENV) .edusandbox
