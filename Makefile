# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test system lint bench bench-hostile bench-legibility bench-ocr bench-reveal bench-rewrite clean dist example

# The helper (glyphveil, the root) and the service (glyphveil-server, whose folder links to
# server/ and fonts/), both editable: `glyphveil serve` finds the service's entry point.
SERVER_DIST := packaging/glyphveil-server
INSTALL_BOTH := -e . -e $(SERVER_DIST)

$(STAMP): setup.cfg setup.py pyproject.toml $(SERVER_DIST)/setup.cfg
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -e $(SERVER_DIST)
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

# Both distributions, each an sdist and the wheel built from it, in dist/: glyphveil (the
# website's helper, cryptography only) and glyphveil-server (the service and its fonts).
# The venv's setuptools and wheel build them (--no-isolation).
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .
	$(PY) -m build --no-isolation --outdir dist $(SERVER_DIST)

# Benchmarks run in their own venv (Flask, gunicorn, py-spy, uvloop), never the project's.
BENCH_VENV ?= bench/.venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): setup.cfg setup.py pyproject.toml $(SERVER_DIST)/setup.cfg bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet $(INSTALL_BOTH) -r bench/requirements.txt
	touch $(BENCH_STAMP)

# All benches side by side (about 6 minutes); ARGS="--quick", "--only baseline ceiling",
# "--profile hits" and more: see bench/suite.py.
bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || { echo "make bench: wrk is missing: apt-get install wrk"; exit 1; }
	$(BENCH_VENV)/bin/python bench/suite.py $(ARGS)

# 20,000 hostile requests against a service it starts (status histogram, drops, RSS),
# then overload, abandoned renders and SIGTERM with a full queue.
bench-hostile: $(STAMP)
	$(PY) bench/hostile.py
	$(PY) bench/overload.py

# OCR attack bench (docs/protection.md): its own venv with the OCR packages; Debian's
# tesseract-ocr from `make system`. Run without network where unshare allows it, which
# proves every model comes from the wheels. OCR_ARGS=--quick for a 1-2 minute check.
OCR_VENV ?= bench/.venv-ocr
OCR_STAMP := $(OCR_VENV)/.installed
OCR_ARGS ?= --sheets docs

$(OCR_STAMP): setup.cfg pyproject.toml $(SERVER_DIST)/setup.cfg bench/requirements-ocr.txt
	test -x $(OCR_VENV)/bin/python || $(PYTHON) -m venv $(OCR_VENV)
	$(OCR_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OCR_VENV)/bin/python -m pip install --quiet $(INSTALL_BOTH) -r bench/requirements-ocr.txt
	touch $(OCR_STAMP)

bench-ocr: $(OCR_STAMP)
	@command -v tesseract >/dev/null || { echo "bench-ocr needs tesseract 5: run make system"; exit 1; }
	@if unshare --net --map-root-user true 2>/dev/null; then \
		unshare --net --map-root-user $(OCR_VENV)/bin/python bench/ocr.py $(OCR_ARGS); \
	else \
		echo "unshare --net unavailable here: the bench runs with the network on"; \
		$(OCR_VENV)/bin/python bench/ocr.py $(OCR_ARGS); \
	fi

# Legibility bench (docs/legibility.md): trains a small recognizer on the renderer in its
# own venv (a CPU build of torch), keeps it in bench/.cache-legibility/ per rendering, and
# reports what it reads. First run about an hour of CPU; a rerun on the same rendering a
# few minutes. LEGIBILITY_ARGS=--quick for a short check.
LEGIBILITY_VENV ?= bench/.venv-legibility
LEGIBILITY_STAMP := $(LEGIBILITY_VENV)/.installed
LEGIBILITY_ARGS ?= --sheets docs

$(LEGIBILITY_STAMP): setup.cfg pyproject.toml $(SERVER_DIST)/setup.cfg bench/requirements-legibility.txt
	test -x $(LEGIBILITY_VENV)/bin/python || $(PYTHON) -m venv $(LEGIBILITY_VENV)
	$(LEGIBILITY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LEGIBILITY_VENV)/bin/python -m pip install --quiet $(INSTALL_BOTH) -r bench/requirements-legibility.txt
	$(LEGIBILITY_VENV)/bin/python -c 'import torch, sys; sys.exit(0 if torch.version.cuda is None else "bench-legibility: torch is a CUDA build; want the CPU build of torch==2.13.0")'
	touch $(LEGIBILITY_STAMP)

bench-legibility: $(LEGIBILITY_STAMP)
	nice -n 15 $(LEGIBILITY_VENV)/bin/python bench/legibility.py $(LEGIBILITY_ARGS)

# Reveal: hash rates, a visitor in Chromium, a native harvester through nginx, two instances
# and Redis (about 9 minutes; needs chromium, node, nginx, redis-server, cc and libssl-dev).
bench-reveal: $(STAMP)
	$(PY) bench/reveal_pow.py

# tokens.rewrite on a 100 KB page, with and without values, beside a plain regex substitution.
bench-rewrite: $(STAMP)
	$(PY) bench/rewrite_speed.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(OCR_VENV) $(LEGIBILITY_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info build dist $(SERVER_DIST)/*.egg-info $(SERVER_DIST)/build
