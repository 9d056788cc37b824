# The CNN course companion: two commands on a fresh machine with Python 3.11+ (and npm):
#   make book    create .venv, install the pinned environment and cnnlib, build the HTML book
#   make test    the library's tests, the browser test over the built book, nbval over notebooks
# Other targets: make lab | notebooks | exercises | bench | vendor | env | clean

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cnnbook-env

# Vendored JavaScript for the offline book (see book/_assets/VENDORED.md). The tarball's
# SHA-256 is checked, so a change upstream cannot slip into the book.
MATHJAX_VERSION := 3.2.2
MATHJAX_SHA256 := 1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09
VENDOR := .vendor
MATHJAX_DIR := $(VENDOR)/html/mathjax
MATHJAX_STAMP := $(MATHJAX_DIR)/.version-$(MATHJAX_VERSION)

NOTEBOOKS = $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
NBVAL_ARGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
              -n 2 --dist loadscope -p no:cacheprovider
PYTEST_ARGS ?=

.PHONY: book html test lab notebooks exercises bench vendor env clean

# --- environment -------------------------------------------------------------------------------

env: $(STAMP)

# Reinstalls only when a file that pins the environment changes (idempotent, fast otherwise).
$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e . \
	  || $(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@

# --- vendored assets (MathJax 3 from the npm registry) -------------------------------------------

vendor: $(MATHJAX_STAMP)

$(MATHJAX_STAMP):
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed once to fetch MathJax"; exit 1; }
	rm -rf $(VENDOR)/npm $(MATHJAX_DIR)
	mkdir -p $(VENDOR)/npm $(MATHJAX_DIR)
	cd $(VENDOR)/npm && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null
	echo "$(MATHJAX_SHA256)  $(VENDOR)/npm/mathjax-$(MATHJAX_VERSION).tgz" | sha256sum -c --quiet
	tar -xzf $(VENDOR)/npm/mathjax-$(MATHJAX_VERSION).tgz -C $(VENDOR)/npm
	cp $(VENDOR)/npm/package/LICENSE $(VENDOR)/npm/package/package.json $(MATHJAX_DIR)/
	mkdir -p $(MATHJAX_DIR)/es5
	cp -r $(VENDOR)/npm/package/es5/tex-svg.js $(VENDOR)/npm/package/es5/input \
	      $(VENDOR)/npm/package/es5/output $(VENDOR)/npm/package/es5/ui \
	      $(VENDOR)/npm/package/es5/a11y $(VENDOR)/npm/package/es5/sre \
	      $(VENDOR)/npm/package/es5/adaptors $(MATHJAX_DIR)/es5/
	@touch $@

# --- the book ----------------------------------------------------------------------------------

# Builds from the repository root without executing notebooks (they are stored with outputs);
# any Sphinx warning fails the build. Always a full build (--all): Sphinx neither notices edited
# docstrings nor repeats a warning for a page it has already read, so an incremental build can pass
# where a fresh clone fails.
html: env vendor
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going --quiet
	@test -f _build/html/index.html

book: html
	@echo
	@echo "The book is built. Open it in a browser:"
	@echo "  file://$(CURDIR)/_build/html/index.html"

# --- tests -------------------------------------------------------------------------------------

# 1. build the book (fast: nothing is executed), which the browser test opens;
# 2. the library's tests, including the browser test (skipped without Chromium outside CI);
# 3. nbval over every notebook under book/ (pytest's exit code 5, "no tests", is not a failure).
test: html
	$(BIN)/python -m pytest tests -n 2 -p no:cacheprovider $(PYTEST_ARGS)
	@if [ -z "$(NOTEBOOKS)" ]; then \
	  echo "nbval: no notebooks under book/ yet, nothing to check"; \
	else \
	  echo "nbval: $(words $(NOTEBOOKS)) notebook(s)"; \
	  rc=0; $(BIN)/python -m pytest $(NBVAL_ARGS) $(NOTEBOOKS) || rc=$$?; \
	  if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; \
	fi

# --- working on the notebooks --------------------------------------------------------------------

lab: env
	$(BIN)/jupyter lab --notebook-dir=.

# Re-execute every notebook top to bottom in a fresh kernel, in place, keeping widget state.
notebooks: env
	@if [ -z "$(NOTEBOOKS)" ]; then echo "no notebooks under book/"; exit 0; fi
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 \
	    --ExecutePreprocessor.store_widget_state=True "$$nb"; \
	done

# Student versions of the practice notebooks: every `### BEGIN SOLUTION` ... `### END SOLUTION`
# region becomes `raise NotImplementedError`, outputs are cleared (cnnlib/practice/exercises.py).
EXERCISES := _build/exercises

exercises: env
	rm -rf $(EXERCISES)
	$(BIN)/python -m cnnlib.practice.exercises book --out $(EXERCISES)

bench: env
	$(BIN)/python -m bench
	$(BIN)/python -m bench.peers
	$(BIN)/python -m bench.throughput
	$(BIN)/python -m bench.style
	$(BIN)/python -m bench.nms
	$(BIN)/python -m bench.runall

clean:
	rm -rf _build $(VENDOR) .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find book -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
