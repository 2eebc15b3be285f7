# mixite — commandes de mise en place. `make demo` et `make test` font tout sur une machine neuve.
# Les versions installées sont exactement celles de requirements.lock (avec leurs empreintes) ;
# `make lock` recalcule ce fichier depuis les bornes de pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock

.PHONY: install demo test lint bench fuzz probe lock clean

$(STAMP): $(LOCK) pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-deps --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mixite demo --dossier demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m benchmarks

fuzz: $(STAMP)
	$(BIN)/python -m benchmarks.fuzz_readers

probe: $(STAMP)
	$(BIN)/python scripts/probe_robustness.py

# Recompute the lock (newest versions allowed by pyproject.toml, Python 3.11 on Linux x86_64).
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --generate-hashes --no-annotate \
		--python-version 3.11.7 --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command "make lock" -o $(LOCK)

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
