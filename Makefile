# Anmin — quickstart: `make demo` then `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Tests need a SECRET_KEY (production refuses to start without one); the demo runs with DEBUG on.
TEST_ENV := SECRET_KEY=anmin-test-only-not-secret

.PHONY: demo test lint bench install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	DEBUG=true $(BIN)/anmin demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(TEST_ENV) $(BIN)/python manage.py check
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest -q

bench: $(BIN)/.installed
	DEBUG=true $(BIN)/anmin bench dispatch
	DEBUG=true $(BIN)/anmin bench api
	DEBUG=true $(BIN)/anmin bench deadlines
	DEBUG=true $(BIN)/anmin bench portal

clean:
	rm -rf $(VENV) var *.egg-info
