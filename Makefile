# The one entry point for humans and CI. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Use the active virtual environment if there is one, else create .venv.
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
PYTHON := $(VENV)/bin/python
# The notebook kernels must start from this environment too.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONDONTWRITEBYTECODE := 1

INSTALLED := $(VENV)/.mnist-book-installed
CHAPTERS ?=
JB_BUILD := jupyter-book build . -W -n --keep-going
NBVAL_FLAGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	--nbval-kernel-startup-timeout 180 --nbval-cell-timeout 900

# Print how long a step took: $(call timed,label,command)
timed = start=$$(date +%s); $(2); echo "[time] $(1): $$(( $$(date +%s) - start )) s"

.PHONY: help install book test test-unit test-notebooks test-nbval test-build test-student execute student clean

help:
	@echo "make book      build the website into _build/html (creates .venv if needed)"
	@echo "make test      unit tests, notebook checks, nbval over every chapter, strict build"
	@echo "make test-browser  the built site in headless Chromium (part of make test; after make book)"
	@echo "make execute   re-run chapters top to bottom and store outputs (CHAPTERS=... for some)"
	@echo "make bench     train chapter 5's recipes and the keras-io reference in one run, print a table"
	@echo "               (35-50 minutes on 2 cores; BENCH=book-cnn,keras-io-convnet for some; not in make test)"
	@echo "make student   write the student edition (solutions replaced by stubs) to _build/student"
	@echo "make clean     remove _build/"

install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	@if [ ! -x "$(PYTHON)" ]; then echo "Creating virtual environment in $(VENV)"; python3 -m venv "$(VENV)"; fi
	@echo "Installing requirements.txt into $(VENV) (a few minutes the first time)"
	@# A new venv's pip can be old (23.x rejects some direct URL requirements); Colab's is recent.
	@$(PYTHON) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	@$(call timed,install,$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | { grep -v '^WARNING: Location' || true; })
	@touch "$@"

book: install student
	@$(call timed,build,$(JB_BUILD))
	@echo "The website is in _build/html: open file://$(CURDIR)/_build/html/index.html"
	@echo "Size of the built site: $$(du -sh _build/html | cut -f1)"

test: install
	@total=$$(date +%s); \
	$(MAKE) --no-print-directory test-unit test-notebooks test-nbval test-student test-build test-browser; \
	echo "[time] make test total: $$(( $$(date +%s) - total )) s"

test-unit: install
	@$(call timed,unit tests,$(PYTHON) -m pytest -q tests --ignore=tests/test_notebooks.py --ignore=tests/site --ignore=tests/test_student_edition.py)

test-notebooks: install
	@$(call timed,notebook checks,$(PYTHON) -m pytest -q tests/test_notebooks.py)

test-nbval: install
	@$(call timed,nbval,$(PYTHON) -m pytest -q $(NBVAL_FLAGS) chapters)

test-build: install student
	@mkdir -p _build; $(call timed,strict build,$(JB_BUILD) >_build/build.log 2>&1 || { cat _build/build.log; exit 1; }; tail -n 3 _build/build.log)
	@echo "Size of the built site: $$(du -sh _build/html | cut -f1)"
	@$(call timed,site checks,$(PYTHON) -m pytest -q tests/site)

# The built site (_build/html) in a real browser: tests/browser, headless Chromium from Debian driven
# by playwright-core, accessibility by axe-core. Screenshots and page weights go to _build/screenshots.
.PHONY: test-browser
CHROMIUM ?= /usr/bin/chromium
test-browser:
	@test -f _build/html/index.html || { echo "No site in _build/html: run 'make book' or 'make test-build' first"; exit 1; }
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Chromium (apt-get install chromium)"; sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@cd tests/browser && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }
	@$(call timed,browser tests,cd tests/browser && CHROMIUM_PATH=$(CHROMIUM) node --test --test-reporter=spec site.test.js)

execute: install
	@$(PYTHON) -m tools.execute $(CHAPTERS)

student: install
	@$(PYTHON) -m tools.student_edition

test-student: install
	@$(call timed,student edition,$(PYTHON) -m pytest -q tests/test_student_edition.py)

# Not part of `make test`: it trains for many minutes. A full run also stores its results in
# mnist_book/bench_results.json, which chapter 5 shows.
.PHONY: bench
BENCH ?=
bench: install
	@$(call timed,bench,$(PYTHON) -m tools.bench $(if $(BENCH),--only $(BENCH)))

clean:
	rm -rf _build
