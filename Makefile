# The two set-up commands in the README are `make run` and `make test`; both create .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check lint format clean

$(BIN)/golive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

run: $(BIN)/golive
	$(BIN)/golive

test: $(BIN)/golive
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

check: test
	$(BIN)/mypy providers storage

format: $(BIN)/golive
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
