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

# Every benchmark the README's performance tables cite, once each, and no other. Each exits non-zero
# when a target is missed or a request failed; all of them run, then the target fails if any did.
# The PostgreSQL and multi-worker rows run only when given a database (an empty one, it is written
# afresh) and a Redis: make bench BENCH_DATABASE_URL=postgres://… BENCH_REDIS_URL=redis://…
SOAK_MINUTES ?= 30
BENCH_DATABASE_URL ?=
BENCH_REDIS_URL ?=
BENCH_RUNS := "dispatch" "api" "api --rate 100" "deadlines" "stats" "portal" "soak --minutes $(SOAK_MINUTES)"
BENCH_RUNS += "lanes" "addresses" "categories" "hotspots"
BENCH_RUNS += $(if $(BENCH_REDIS_URL),"api --workers 2 --redis-url $(BENCH_REDIS_URL)")
BENCH_RUNS += $(if $(BENCH_DATABASE_URL),"deadlines --database-url $(BENCH_DATABASE_URL)")
BENCH_RUNS += $(if $(BENCH_DATABASE_URL),"stats --database-url $(BENCH_DATABASE_URL)")

bench: $(BIN)/.installed
	@failed=""; for run in $(BENCH_RUNS); do \
		echo "== anmin bench $$run"; \
		$(BIN)/anmin bench $$run || failed="$$failed [$$run]"; \
	done; \
	if [ -n "$$failed" ]; then echo "benchmarks that failed or missed a target:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) var *.egg-info
