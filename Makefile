# CMOselect: `make run` serves the app with demo data; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test install sysdeps migrate seed worker beat lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@

install: $(VENV)/.installed

sysdeps:
	@bash scripts/system-deps.sh $(if $(BROWSER),--browser,)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --with-users

# The web server, a Celery worker and beat in one terminal; one Ctrl-C stops all three.
run: sysdeps seed
	@echo "Serving CMOselect on http://$(HOST)/ with a worker and beat (Ctrl-C stops all)"
	HOST=$(HOST) $(BIN)/honcho start

# Tests that start a worker on the embedded broker use a queue folder of their own.
test: install
	@bash scripts/system-deps.sh --browser
	rm -rf var/test-broker
	BROKER_DIR=$(CURDIR)/var/test-broker DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A cmoselect worker --loglevel=INFO $(if $(CELERY_BROKER_URL),,--pool solo)

beat: install
	$(BIN)/celery -A cmoselect beat --loglevel=INFO --schedule=var/celerybeat-schedule

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var/*.sqlite3 var/media var/staticfiles
