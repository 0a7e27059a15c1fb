# 合作社经济台账 — the two commands the README gives are `make run` and `make test`.
VENV      := .venv
PY        := $(VENV)/bin/python
FLASK     := $(VENV)/bin/flask --app wsgi
PYTHON    ?= python3
HOST      ?= 127.0.0.1
PORT      ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test install translations lint test-sqlite test-postgres migrate demo clean fonts

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed fonts

# Chinese is the source language; the English catalogue is compiled here (the .mo is not committed).
translations: install
	$(VENV)/bin/pybabel compile --statistics -d coopapp/translations

migrate: install
	mkdir -p instance
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) coop demo --if-empty

run: translations demo
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check coopapp tests config.py wsgi.py

test-sqlite: translations
	TEST_DATABASE_URL= $(VENV)/bin/pytest

# Skips (all of it) on a laptop without PostgreSQL; with CI=true it fails instead.
test-postgres: translations
	TEST_DATABASE_URL=$(PG_TEST_URL) $(VENV)/bin/pytest

# The two databases run side by side (2 cores); each run's output is printed whole when it ends.
test: lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# A CJK font for the charts' Chinese labels: Debian's fonts-noto-cjk as root, else the PyPI
# package noto-cjk-sans-otc in the venv; says how to get one if neither works.
fonts: $(VENV)/.installed
	sh scripts/ensure_cjk_font.sh $(VENV)

# The benchmark (issue 6): a synthetic county in bench/.cache/, then timings → bench/results.json.
# BENCH_POSTGRES_URL (a database the bench may wipe) adds the same on PostgreSQL.
.PHONY: bench bench-quick
bench: translations
	$(PY) -m bench.run

bench-quick: translations
	$(PY) -m bench.run --entries 200000

# Production serving (issue 6 item 4): migrate DATABASE_URL, then gunicorn with gunicorn.conf.py
# (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT; DB_POOL_* for PostgreSQL).
# COOP_ENV defaults to production here, so SECRET_KEY and PUBLIC_BASE_URL must be set; see the README's deployment section.
.PHONY: serve
serve: export COOP_ENV ?= production
serve: translations
	mkdir -p instance
	$(FLASK) db upgrade
	exec $(VENV)/bin/gunicorn --config gunicorn.conf.py wsgi:app

# The bench at three sizes (docs/scaling.md's curve) → bench/curve.json.
.PHONY: bench-curve
bench-curve: translations
	$(PY) -m bench.curve
