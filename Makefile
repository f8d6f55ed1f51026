# Two commands do all set-up:  `make run`  and  `make test`.
# Both create .venv with a Python >= 3.11 and install what they need into it.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test install install-test bench clean chromium

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is needed (python3.11 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# The dashboard tests drive Debian's Chromium (no browser downloads are possible).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "warning: /usr/bin/chromium missing and cannot apt-get install it; browser tests will skip"; \
		fi; \
	fi

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: set up and run the main job (ARGS="--catalog FILE" to run offline)
run: install
	$(BIN)/orbitwatch run $(ARGS)

## make test: set up test dependencies and run the whole suite
test: install-test chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: benchmark scripts (full catalogs; minutes)
bench: install-test
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
