# The two commands the README promises: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck pytest bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ironriver demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Two workers on a two-core machine (-n auto: one per core), each test file on one worker
# (--dist loadfile: a module's fixtures, such as a world generated once, are made once); each
# worker resets a PostgreSQL database of its own (tests/conftest.py).
pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench ingest
	$(BIN)/python -m bench reads
	$(BIN)/python -m bench world
	$(BIN)/python -m bench strategy
	$(BIN)/python -m bench replace

clean:
	rm -rf $(VENV) build *.egg-info
