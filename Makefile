# bgwizard — every target bootstraps the environment it needs from nothing.
# The environment lives in .venv/ (Python 3.11+), filled from requirements/lock.txt (hashes).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=


.PHONY: check-site help setup run demo dev lint imports typecheck test snapshot-update checkall check bench lock system-deps

help: # help: list the targets
	@grep -E '^[a-z-]+:.*# help:' Makefile | sed -E 's/:.*# help:/\t/'

$(STAMP): requirements/lock.txt requirements/bootstrap.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements/bootstrap.txt
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python --require-hashes -r requirements/lock.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP) # help: create .venv and install the locked dependencies
	@true

system-deps: # help: install the Debian packages the tests need (ssh-keygen, poppler), when missing
	@bash .ci/system-deps.sh

run: setup # help: start the TUI against a real tenant
	$(BIN)/bgwizard

demo: setup # help: start the TUI on the embedded emulator with the sample tenant
	$(BIN)/bgwizard demo

dev: setup # help: the demo with Textual devtools (run `.venv/bin/textual console` in another terminal)
	TEXTUAL=devtools,debug $(BIN)/bgwizard demo

# mypy and import-linter cannot follow the editable install's package-dir mapping
# (STYLE.md §2), so both run on a non-editable copy of the package in build/check/site.
check-site: setup
	@rm -rf build/check && mkdir -p build/check
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --no-build-isolation --target build/check/site .
	@rm -rf build/lib build/bdist* *.egg-info

lint: setup # help: ruff, import contracts, codespell
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory imports
	$(BIN)/codespell bgwizard screens runbook_templates tests README.md docs

imports: setup check-site # help: the import-linter contracts of pyproject.toml
	cd build/check && PYTHONPATH=site ../../$(BIN)/lint-imports --no-cache ../../pyproject.toml

typecheck: setup check-site # help: mypy --strict on a non-editable install of the package
	cd build/check && MYPYPATH=site ../../$(BIN)/mypy --config-file ../../pyproject.toml -p bgwizard
	# The Pilot tests' fakes must satisfy the ports they stand in for (their _check_ports).
	cd build/check && MYPYPATH=site:../../tests ../../$(BIN)/mypy --config-file ../../pyproject.toml ../../tests/fakes.py ../../tests/fakes_setup.py ../../tests/fakes_drill.py

test: setup system-deps # help: run the test suite
	bash tests/kql/install.sh
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

snapshot-update: setup # help: accept new SVG snapshots (read the report first)
	$(BIN)/pytest tests/ui --snapshot-update

checkall: lint typecheck test # help: lint, type checks and the whole test suite
	@true

check: checkall # help: the README's test command
	@true

bench: setup # help: print start-up, memory, emulator and PDF speed numbers
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/printing.py
	$(BIN)/python bench/signin.py

lock: # help: re-lock requirements/lock.txt from pyproject.toml (needs uv in .venv)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements/lock.txt -q
