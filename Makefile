# Kindred: developer and CI entry points.
#
#   make run      install everything, migrate the SQLite database, serve on :5000
#   make demo     the same, with demo members and help requests seeded first
#   make test     run the test suite (KINDRED_ENV=testing), in PYTEST_WORKERS processes
#   make lint     ruff check + ruff format --check
#   make lock     regenerate requirements.lock from pyproject.toml
#
# Needs only python3 (>= 3.11, with the venv module) and node/npm. Re-running is
# cheap: the Python and npm installs are redone only when their lock files change.

PYTHON ?= python3
NPM ?= npm
VENV := .venv
BIN := $(VENV)/bin
VENDOR := community/static/vendor
PYTEST_ARGS ?=
# Two test processes (one per core here); each has its own database (tests/conftest.py).
PYTEST_WORKERS ?= 2
PIP_COMPILE_ARGS ?=

PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
VENDOR_FILES := $(VENDOR)/pico.min.css $(VENDOR)/socket.io.min.js

.DEFAULT_GOAL := help
.PHONY: help venv install assets db run demo test lint lock clean distclean

help:
	@echo "make run | demo | test | lint | db | install | assets | lock | clean | distclean"

# --- Python -----------------------------------------------------------------

venv install: $(PY_STAMP)

# pip is the sentinel, not python: Debian's `python3 -m venv` without the
# python3-venv package leaves a .venv with python but no pip.
$(BIN)/pip:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: $(PYTHON) not found. Install Python 3.11 or newer (Debian/Ubuntu: sudo apt install python3 python3-venv)." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: Kindred needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) -V 2>&1). Run make PYTHON=python3.11 (or newer)." >&2; exit 1; }
	@existed=; test -d $(VENV) && existed=1; \
	$(PYTHON) -m venv $(VENV) || { \
	  test -n "$$existed" || rm -rf $(VENV); \
	  echo "error: '$(PYTHON) -m venv' failed. On Debian/Ubuntu: sudo apt install python3-venv" >&2; exit 1; }
	@test -x $@ || { echo "error: $(VENV) has no pip. On Debian/Ubuntu: sudo apt install python3-venv, then rm -rf $(VENV) and run make again." >&2; exit 1; }

$(PY_STAMP): requirements.lock pyproject.toml | $(BIN)/pip
	$(BIN)/pip install --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check --no-deps -e .
	@touch $@

# --- Front-end files (never committed: community/static/vendor/ is ignored) --

assets: $(VENDOR_FILES)

$(NPM_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { \
	  echo "error: npm not found. Kindred's CSS and Socket.IO client come from npm." >&2; \
	  echo "       Install Node.js 18+ with npm (Debian/Ubuntu: sudo apt install nodejs npm)." >&2; exit 1; }
	$(NPM) ci --no-audit --no-fund
	@touch $@

$(VENDOR)/pico.min.css: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/@picocss/pico/css/pico.min.css $@

$(VENDOR)/socket.io.min.js: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/socket.io-client/dist/socket.io.min.js $@
	@if [ -f node_modules/socket.io-client/dist/socket.io.min.js.map ]; then \
	  cp node_modules/socket.io-client/dist/socket.io.min.js.map $(@D)/; fi

# --- Running ----------------------------------------------------------------

# Target-specific exports also reach these targets' prerequisites.
db run demo: export KINDRED_ENV = development
test: export KINDRED_ENV = testing

db: install
	$(BIN)/flask --app wsgi db upgrade

run: install assets db
	$(BIN)/flask --app wsgi serve

demo: install assets db
	$(BIN)/flask --app wsgi seed-demo
	$(BIN)/flask --app wsgi serve

test: install assets
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# pip-compile keeps existing pins; `make lock PIP_COMPILE_ARGS=--upgrade` to bump.
lock: install
	$(BIN)/pip-compile --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
	  $(PIP_COMPILE_ARGS) -o requirements.lock pyproject.toml

# --- Cleaning ---------------------------------------------------------------

# Keeps .venv and instance/ (the development database and mail); distclean
# also removes .venv.
clean:
	rm -rf node_modules $(VENDOR) .pytest_cache .ruff_cache test-results *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
