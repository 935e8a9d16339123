# One-command setup on a fresh machine: each target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install redis-server faketime wrk chromium axe demo test date-check faults serve lint bench bench-against clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("esafety-bot needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools' advisory about editable installs is the only line silenced; any other warning or error shows.
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Install a Debian package with apt when its command is missing (a fresh machine): $(1) command, $(2) package.
define apt_install
	@command -v $(1) >/dev/null 2>&1 || { \
	  echo "installing $(2) with apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) >/dev/null; }
	@command -v $(1) >/dev/null 2>&1 || { echo "$(2) could not be installed" >&2; exit 1; }
endef

# The test suite starts its own redis-server on a free port.
redis-server:
	$(call apt_install,redis-server,redis-server)

# The date check runs the clock-sensitive tests with the machine's date moved a year ahead.
faketime:
	$(call apt_install,faketime,faketime)

# The webhook benchmarks load the server with wrk (a C load generator), as the README's figures do.
wrk:
	$(call apt_install,wrk,wrk)

# The console's browser tests drive Debian's headless chromium through Playwright (no browser download);
# a small CJK font, so pages in Chinese render as text in screenshots, not as empty boxes.
chromium:
	$(call apt_install,chromium,chromium chromium-driver)
	@dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

# axe-core, the accessibility checker the console's browser tests run in every page, from the npm registry (locked).
AXE := tests/bots/console/a11y/node_modules/axe-core/axe.min.js
axe: $(AXE)

$(AXE): tests/bots/console/a11y/package-lock.json
	$(call apt_install,npm,nodejs npm)
	cd tests/bots/console/a11y && npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/esafety-bot demo
	@echo "To click through the safeguarding console in a browser afterwards: $(BIN)/esafety-bot demo --console"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy tests/state/contract  # each contract class uses only its own port

test: install redis-server faketime chromium axe lint
	$(BIN)/pytest
	$(MAKE) --no-print-directory date-check

# No test may depend on today's date: every test on a fixed clock passes with the machine a year on.
date-check: install redis-server faketime
	@echo "date check: the fixed-clock tests with the machine's date moved a year ahead"
	faketime -f +365d $(BIN)/pytest -q -m fixed_clock -p no:cacheprovider

# The long run of what `make test` runs capped: at least 100 kills of the real server, and the
# hostile-input properties with many more examples. `-s` prints each fault run's counts.
faults: install redis-server faketime
	ESAFETY_TEST_PROFILE=soak $(BIN)/pytest -q -s -p no:cacheprovider tests/faults tests/security

serve: install
	$(BIN)/esafety-bot serve

bench: install redis-server wrk
	$(BIN)/python -m bench

# The Teams end-to-end figure against an earlier revision, e.g. `make bench-against REV=1427968`.
bench-against: install
	$(BIN)/python -m bench.against_revision $(REV)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
