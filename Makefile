# One-command setup on a fresh machine: each target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install redis-server faketime wrk demo test date-check serve lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("esafety-bot needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The test suite starts its own redis-server on a free port; install it when missing.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server with apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null; }
	@command -v redis-server >/dev/null 2>&1 || { echo "redis-server could not be installed" >&2; exit 1; }

# The date check runs the clock-sensitive tests with the machine's date moved a year ahead.
faketime:
	@command -v faketime >/dev/null 2>&1 || { \
	  echo "installing faketime with apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq faketime >/dev/null; }
	@command -v faketime >/dev/null 2>&1 || { echo "faketime could not be installed" >&2; exit 1; }

demo: install
	$(BIN)/esafety-bot demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install redis-server faketime lint
	$(BIN)/pytest
	$(MAKE) --no-print-directory date-check

# No test may depend on today's date: every test on a fixed clock passes with the machine a year on.
date-check: install redis-server faketime
	@echo "date check: the fixed-clock tests with the machine's date moved a year ahead"
	faketime -f +365d $(BIN)/pytest -q -m fixed_clock -p no:cacheprovider

serve: install
	$(BIN)/esafety-bot serve

# The webhook benchmarks load the server with wrk (a C load generator), as the README's figures do.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing wrk with apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
	@command -v wrk >/dev/null 2>&1 || { echo "wrk could not be installed" >&2; exit 1; }

bench: install redis-server wrk
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
