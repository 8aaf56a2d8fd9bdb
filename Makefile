# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# The suite on every core, up to four (pytest-xdist: a test database per worker; each worker keeps
# pytest-django's order, so the tests that empty the database run after the others). PYTEST_ARGS= runs it
# in one process; a single file is quicker run directly (.venv/bin/pytest tests/...).
PYTEST_ARGS ?= -n auto --maxprocesses 4

.PHONY: demo test worker lint format bench clean prod-local smoke faults

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Serving on http://127.0.0.1:$(PORT)/  (staff cartable: http://127.0.0.1:$(PORT)/admin/)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py lint_migrations
	$(BIN)/pytest $(PYTEST_ARGS)

worker: $(STAMP)
	$(BIN)/python manage.py qcluster

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The production stack on this machine (Debian's PostgreSQL and Redis, gunicorn, qcluster): see deploy/.
prod-local: $(STAMP)
	deploy/prod-local.sh run

# The same stack started in the background, the smoke suite through HTTP against it, then stopped.
smoke: $(STAMP)
	PROD_LOCAL_FRESH=1 deploy/prod-local.sh start \
	  && SMOKE_ENV_FILE=$${PROD_LOCAL_DIR:-/tmp/sso-prod-local}/stack.env $(BIN)/pytest tests/smoke -p no:cacheprovider; \
	status=$$?; deploy/prod-local.sh stop; exit $$status

bench: $(STAMP)
	$(BIN)/python bench/run.py

# SMS under faults (provider errors, a killed worker, Redis and PostgreSQL restarted): none lost, none doubled.
faults: $(STAMP)
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
