# Alignment Course: the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# Production-like values for `make serve` and the deploy check; never used for real secrets.
PROD_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=local-production-check-$$(hostname)-a8f3k2m9q7w1e5r4t6y8u0i2o3p DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost

.PHONY: run serve test test-fast lint format browser-deps install migrate course demo check-deploy clear-sessions check-labs clean bench bench-smoke wrk-deps

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## The labs venv: lime, shap, scikit-learn and PyRIT at the versions lessons were checked with
LABS_VENV := .venv-labs
LABS_STAMP := $(LABS_VENV)/.installed

$(LABS_STAMP): requirements-labs.txt
	$(PYTHON) -m venv $(LABS_VENV)
	$(LABS_VENV)/bin/pip install --quiet --upgrade pip
	$(LABS_VENV)/bin/pip install --quiet -r requirements-labs.txt
	touch $(LABS_STAMP)

## make check-labs: run every code block a lesson marks as runnable and compare the output it shows
check-labs: $(LABS_STAMP)
	$(LABS_VENV)/bin/python -m lessons.labs fixtures/course

migrate: install
	$(PY) manage.py migrate --noinput

course: migrate
	$(PY) manage.py import_course

demo: migrate
	$(PY) manage.py seed_demo

## make run: install, migrate, import the course, create demo accounts, serve on :8000
run: course demo
	@echo ""
	@echo "  Alignment Course is starting on http://127.0.0.1:8000"
	@echo "  Demo logins: learner / learner-demo-pass · instructor / instructor-demo-pass · admin / admin-demo-pass"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

## make serve: production-style serving (gunicorn + whitenoise, DEBUG off) on :8000
serve: course
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PROD_ENV) DJANGO_SECURE_SSL_REDIRECT=0 $(VENV)/bin/gunicorn alignment_course.wsgi --bind 127.0.0.1:8000 --workers 3

## Chromium for browser tests comes from Debian; no test tool downloads its own browser.
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || exit 1; \
	  else \
	    echo "Browser tests need Chromium at $(CHROMIUM). Install it with: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

## make test: the whole suite (pure, endpoint and browser tests) plus lint and checks
test: install browser-deps lint
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-deploy
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser"

## make lint: the hooks of .pre-commit-config.yaml over every file (ruff, ruff format,
## django-upgrade, djhtml), all from the venv; a hook that changes a file fails the run.
lint: install
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

## make format: let the same tools rewrite what lint would complain about
format: install
	-$(VENV)/bin/pre-commit run --all-files

check-deploy: install
	$(PROD_ENV) $(PY) manage.py check --deploy --fail-level WARNING

## wrk for the benchmark comes from Debian, like Chromium.
wrk-deps:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's wrk for the benchmark..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || exit 1; \
	  else \
	    echo "The benchmark needs wrk. Install it with: sudo apt-get install wrk"; exit 1; \
	  fi; \
	fi

## make bench: gunicorn (2 workers, production settings) measured with wrk against a bare
## view, on SQLite and, when DATABASE_URL is set, on that database too
bench: install wrk-deps
	$(PY) manage.py bench

## make bench-smoke: the same, a second per figure, so CI keeps it working
bench-smoke: install wrk-deps
	$(PY) manage.py bench --seconds 1 --rounds 1

## make clear-sessions: delete expired sessions (guests' included); run it daily from cron in production
clear-sessions: install
	$(PY) manage.py clearsessions

clean:
	rm -rf $(VENV) $(LABS_VENV) staticfiles .pytest_cache .ruff_cache .bench.sqlite3*
