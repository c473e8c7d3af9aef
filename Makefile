# Theory Workbench. Main job: `make book`; checks: `make test`. Both start from nothing but
# Python >= 3.10, make and node: they create .venv and install the pinned packages themselves.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# .ci/run keys its cached virtualenv on this file's lines that run pip or create the venv, and on
# every line that names the install stamp: a new line of that kind builds a new virtualenv there
# Notebooks are executed once per change (of a notebook, the library or the scale) into the
# jupyter-cache that both the notebook tests and the book read (tools/nbcache.py), two at a time,
# each kernel in the book's IPython profile (book/ipython: explorers add their static view).
JB     := IPYTHONDIR=$(CURDIR)/book/ipython $(BIN)/jupyter-book build . --config book/_config.yml \
          --toc book/_toc.yml --path-output book
NBRUN  := $(BIN)/python tools/nbcache.py run --jobs 2  # 2 kernels x (cores/2) torch threads
# the browser tests' driver (playwright-core) from npm
NPM_PLAYWRIGHT := npm install --prefix tests/browser --no-audit --no-fund --silent
export PYTHONHASHSEED := 0
# pytest workers: one per core (pytest-xdist), each with one torch thread; --dist loadscope keeps
# a test module (so a notebook's cells, and the tests reading the cached executions) on one worker
JOBS   ?= $(shell $(PYTHON) -c 'import os; print(os.cpu_count() or 1)')
# nbval runs every notebook in `make unit`: the words of each checked cell's output are compared
# by nbval (numbers sanitised), its numbers within the cell's tolerance by tests/nbval_book.py,
# which also stores nbval's execution in the jupyter-cache the book reads (one execution per change)
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tools/nbval_sanitize.cfg
# a pytest worker (one per core) and the notebook kernels it starts compute on one thread: torch's
# and OpenBLAS's (numpy and scipy start a BLAS thread per core otherwise, which two workers share)
ONE_THREAD := THEORYBENCH_TORCH_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# torch threads per process: half the cores (theorybench.device.torch_threads), so two notebook
# kernels, or a notebook beside the tests, never oversubscribe the machine
export MPLBACKEND := Agg
# expensive experiment results computed once per library version and reused by the notebooks and
# the test fixtures that make the same call (theorybench._memo)
export THEORYBENCH_RESULTS := $(CURDIR)/book/_build/.results

.PHONY: book test fast lab unit nbval book-strict browser lab-browser book-browser bench plan-full chapter unchapter lint vendor chromium lock clean

## Environment ---------------------------------------------------------------------------------
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt setuptools wheel
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt \
	    --no-build-isolation -e '.[dev,book]'
	@touch $@

vendor:  ## browser scripts for offline pages (widgets manager, require.js, MathJax) from npm
	@bash book/vendor.sh

## Main job --------------------------------------------------------------------------------------
book: $(STAMP) vendor  ## execute every notebook (unless cached) and build the HTML book
	$(NBRUN)
	$(JB)
	@echo "Book: $(CURDIR)/book/_build/html/index.html"

## Checks ----------------------------------------------------------------------------------------
test: lint unit chromium  ## everything CI runs: lint, unit + nbval, then the book and the browser
	$(NPM_PLAYWRIGHT)
	$(MAKE) --no-print-directory -j2 --output-sync=target lab-browser book-browser

fast: lint  ## the fast lane: lint + unit/property/symbolic tests, no notebooks, book or browser
	$(BIN)/python -m pytest -m "not slow and not browser" tests

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check lib tests bench tools notebooks book/_ext
	$(BIN)/ruff format --check lib tests bench tools book/_ext

unit: $(STAMP)  ## unit, property and symbolic tests of lib/ + every notebook (nbval), on every core
	$(ONE_THREAD) $(BIN)/python -m pytest -m "not browser" -n $(JOBS) \
	    --dist loadscope --durations=25 tests $(NBVAL) notebooks

nbval: $(STAMP)  ## nbval alone: it executes every notebook itself, cell by cell
	$(ONE_THREAD) $(BIN)/python -m pytest -m "not browser" -n $(JOBS) \
	    --dist loadscope $(NBVAL) notebooks

book-strict: $(STAMP) vendor  ## the book build with warnings as errors (from scratch)
	$(NBRUN)
	$(JB) --all -W -n --keep-going

browser: $(STAMP) chromium  ## headless-Chromium tests of the built book (drags sliders too)
	$(NPM_PLAYWRIGHT)
	$(BIN)/python -m pytest -m browser tests

# In `make test` the browser stage runs as two lanes (make -j2): the JupyterLab live path, which
# needs no built book, beside the strict book build followed by the book's page checks (on 2
# cores: 115 s instead of 131 s one after the other). These two targets are make test's lanes
# (it installs what they need first); `make browser` runs both tests in turn.
lab-browser:
	$(BIN)/python -m pytest -m browser -p no:cacheprovider tests/test_lab_browser.py

book-browser: book-strict
	$(BIN)/python -m pytest -m browser -p no:cacheprovider \
	    --ignore=tests/test_lab_browser.py tests

chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "make: could not install chromium from Debian; the browser test will be skipped"; \
	  else echo "make: chromium missing and apt-get unavailable; the browser test will be skipped"; fi; }

## Extras ----------------------------------------------------------------------------------------
lab: $(STAMP)  ## JupyterLab on notebooks/ on a free port: every slider live (config: tools/lab)
	@port=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	  echo "make lab: JupyterLab on http://127.0.0.1:$$port/lab (the line with ?token= below opens it)"; \
	  JUPYTER_CONFIG_DIR=$(CURDIR)/tools/lab $(BIN)/jupyter lab --ServerApp.port=$$port

plan-full: $(STAMP)  ## `full` scale: each experiment's peak memory and time, from its shapes
	$(BIN)/python -m theorybench.plan

chapter: $(STAMP)  ## a new chapter that works at once: make chapter NAME=<name> TITLE="<title>"
	$(BIN)/python tools/new_chapter.py add "$(NAME)" "$(TITLE)"

unchapter: $(STAMP)  ## remove a chapter that `make chapter` made: make unchapter NAME=<name>
	$(BIN)/python tools/new_chapter.py remove "$(NAME)"

bench: $(STAMP)  ## performance ratios, printed as one table
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lock:  ## re-resolve constraints.txt from scratch (torch stays pinned)
	rm -rf /tmp/theorybench-lock && $(PYTHON) -m venv /tmp/theorybench-lock
	/tmp/theorybench-lock/bin/pip install -q torch==2.13.0 -e '.[dev,book]'
	{ head -2 constraints.txt; /tmp/theorybench-lock/bin/pip freeze --all --exclude-editable \
	    | grep -v '^pip==' | sed 's/+cpu//'; } > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf book/_build .pytest_cache .hypothesis
