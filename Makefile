# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test system lint bench bench-reveal clean example

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[server,test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m server

# The example site (examples/site/) beside the service, both on the development key;
# prints both URLs. Ctrl-C stops both.
example: $(STAMP)
	$(PY) -m examples.site

# The Debian packages the suite needs (.ci/apt-packages.txt); apt runs only for missing ones.
system:
	bash .ci/system-packages

test: system $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/tokens_speed.py

# What the reveal proof of work costs a visitor in Chromium and scrapers in Python and Node.
bench-reveal: $(STAMP)
	$(PY) bench/reveal_pow.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
