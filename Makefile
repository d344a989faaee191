# heli: `make demo` installs and runs the demo; `make test` installs and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_ENV := var/demo.env
PORT ?= 8000

.PHONY: demo test install messages clean

$(BIN)/heli: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Compile the translation catalogues (Babel: no system gettext needed).
messages: $(BIN)/heli
	$(BIN)/pybabel -q compile -d heli/locale -D django

install: $(BIN)/heli node_modules/.installed messages

$(DEMO_ENV):
	mkdir -p var
	$(BIN)/python scripts/demo_env.py $@

# HELI_DEMO=1 also here, for a var/demo.env written before the variable existed; a key of the
# audit chain is added to such a file once.
demo: install $(DEMO_ENV)
	grep -q '^HELI_AUDIT_KEY=' $(DEMO_ENV) || \
	  $(BIN)/python -c 'import secrets; print(f"HELI_AUDIT_KEY={secrets.token_hex(32)}")' >> $(DEMO_ENV)
	set -a && . ./$(DEMO_ENV) && set +a && export HELI_DEMO=1 && \
	$(BIN)/heli migrate --noinput -v0 && \
	$(BIN)/heli collectstatic --noinput -v0 && \
	$(BIN)/heli demo --if-empty && \
	echo "Open http://127.0.0.1:$(PORT)/ and log in with an account above." && \
	{ $(BIN)/heli worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/heli runserver 127.0.0.1:$(PORT); }

test: install
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/test.sh

clean:
	rm -rf $(VENV) node_modules var
