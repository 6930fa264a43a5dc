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

.PHONY: widget-model widget-export help install install-system lock lint book test test-unit test-notebooks test-nbval test-slow test-web test-build test-student execute student clean

help:
	@echo "make install   create .venv, install requirements.txt pinned by requirements.lock, Chromium, the"
	@echo "               browser tests' npm packages and the website's (web/: the widget's runtime, MathJax);"
	@echo "               the targets below run it when needed"
	@echo "make lock      regenerate requirements.lock from requirements.txt (keeps pins; UPGRADE=1 for the newest)"
	@echo "make lint      ruff: lint and format check of the .py files, lint of the chapters' code cells"
	@echo "make book      build the website into _build/html (creates .venv if needed)"
	@echo "make test      make lint, then every tier below, in this order (pytest tiers select by marker, see pyproject.toml):"
	@echo "  make test-unit       unit tests (about a minute)"
	@echo "  make test-notebooks  checks of the stored notebooks: table of contents, template, hashes"
	@echo "  make test-nbval      nbval re-runs every chapter and compares its outputs"
	@echo "  make test-slow       unit tests that take minutes: nbval fails altered chapters, pip install from git"
	@echo "  make test-student    the perturbed run: every chapter of the student edition, top to bottom, with another"
	@echo "                       seed and other CPU kernels, each exercise tried with its stub, then its solution"
	@echo "  make test-grading    nbgrader end to end: chapter 1's assignment generated, a folder of submissions of"
	@echo "                       every kind graded (correct, stub, printed PASS, crash, copied numbers), then a"
	@echo "                       correct submission of every other chapter (about as long as nbval)"
	@echo "  make test-web        the draw-a-digit widget's JavaScript preparation (web/prepare.mjs) against Python's"
	@echo "                       prepare_digit on shared canvases (node --test in web/; seconds)"
	@echo "  make test-build      strict site build, then checks of the built site"
	@echo "  make test-browser    the built site in headless Chromium (after make book or make test-build), the"
	@echo "                       draw-a-digit widget included (tests/browser/widget.test.js)"
	@echo "make execute   re-run chapters top to bottom and store outputs (CHAPTERS=... for some); with chapter 7,"
	@echo "               it also republishes the website's model (web/model/digits.onnx, as make widget-model)"
	@echo "make widget-model  run chapter 7 and export its model for the website's draw-a-digit widget"
	@echo "make bench     train chapter 5's recipes and the keras-io reference in one run, print a table"
	@echo "               (35-50 minutes on 2 cores; BENCH=book-cnn,keras-io-convnet for some, STORE=merge to put"
	@echo "               their rows in place of the stored ones; not in make test)"
	@echo "make student   write the student edition (solutions replaced by stubs, through nbgrader) to _build/student"
	@echo "make grade CHAPTER=chapters/NN_name.ipynb SUBMISSIONS=folder/  grade one STUDENT_ID.ipynb per student with"
	@echo "               nbgrader: grades.csv and feedback in _build/grades/NN_name/ (TIMEOUT=600 s a notebook;"
	@echo "               WRITTEN=grades.csv with the written answers' points; instructors.md)"
	@echo "make clean     remove _build/"

install: $(INSTALLED) install-system

# requirements.txt keeps ranges for readers; requirements.lock (make lock) pins what gets installed.
$(INSTALLED): requirements.txt requirements.lock pyproject.toml
	@if [ ! -x "$(PYTHON)" ]; then echo "Creating virtual environment in $(VENV)"; python3 -m venv "$(VENV)"; fi
	@echo "Installing requirements.txt, pinned by requirements.lock, into $(VENV) (a few minutes the first time)"
	@# A new venv's pip can be old (23.x rejects some direct URL requirements); Colab's is recent.
	@$(PYTHON) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	@$(call timed,install,$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements.txt -c requirements.lock 2>&1 | { grep -v '^WARNING: Location' || true; })
	@touch "$@"

# Regenerate requirements.lock from requirements.txt with uv's universal resolution: one file for
# Python 3.11 and 3.12 on any OS. Pins already in the lock are kept while requirements.txt allows
# them (so stored outputs stay valid); `make lock UPGRADE=1` moves every package to its newest release.
UPGRADE ?=
LOCK_ARGS := requirements.txt --universal --python-version 3.11 --no-emit-package mnist-book
lock:
	@if [ ! -x "$(PYTHON)" ]; then echo "Creating virtual environment in $(VENV)"; python3 -m venv "$(VENV)"; fi
	@[ -x "$(VENV)/bin/uv" ] || $(PYTHON) -m pip install -q --disable-pip-version-check "uv>=0.5" 2>&1 | { grep -v '^WARNING: Location' || true; }
	@tmp=$$(mktemp); trap 'rm -f "$$tmp"' EXIT; [ ! -f requirements.lock ] || cp requirements.lock "$$tmp"; \
	"$(VENV)/bin/uv" pip compile $(LOCK_ARGS) $(if $(UPGRADE),--upgrade) --no-header --quiet -o "$$tmp"; \
	{ echo "# requirements.lock: every package that make install installs, pinned (pip install -r requirements.txt -c requirements.lock)."; \
	  echo "# Generated by 'make lock' (uv pip compile $(LOCK_ARGS)$(if $(UPGRADE), --upgrade)), valid for Python 3.11 and 3.12."; \
	  echo "# Do not edit: change requirements.txt, then run 'make lock' (keeps current pins) or 'make lock UPGRADE=1'."; \
	  cat "$$tmp"; } > requirements.lock
	@echo "Wrote requirements.lock: $$(grep -c '^[A-Za-z0-9]' requirements.lock) pins; 'make install' installs them"

# What the build and the tests need from outside Python, set up once by make install: Chromium from
# Debian for the browser tests (apt-get, with sudo when not root; skipped when $(CHROMIUM) exists, so
# CHROMIUM=/path chooses another), their npm packages (tests/browser/package-lock.json) and the
# website's (web/package-lock.json: onnxruntime-web for the draw-a-digit widget, MathJax).
CHROMIUM ?= /usr/bin/chromium
BROWSER_MODULES := tests/browser/node_modules/.package-lock.json
WEB_MODULES := web/node_modules/.package-lock.json
install-system: $(BROWSER_MODULES) $(WEB_MODULES)
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if ! command -v apt-get >/dev/null; then echo "No $(CHROMIUM) and no apt-get: install Chromium, then set CHROMIUM=/path/to/it (make test-browser needs it)"; exit 0; fi; \
		echo "Installing Chromium for the browser tests (apt-get install chromium)"; sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

$(BROWSER_MODULES): tests/browser/package-lock.json
	@if command -v npm >/dev/null; then echo "Installing the browser tests' npm packages (npm ci in tests/browser)"; \
		cd tests/browser && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "No npm: install Node.js 20 or later (make test-browser needs it)"; fi

# make book needs these: the site serves the widget's runtime and MathJax itself.
$(WEB_MODULES): web/package-lock.json
	@if command -v npm >/dev/null; then echo "Installing the website's npm packages (npm ci in web/)"; \
		cd web && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "No npm: install Node.js 20 or later (make book needs it for web/)"; exit 1; fi

# ruff, configured in pyproject.toml. The chapters are linted but never formatted: their code hash is
# stored with their outputs. `ruff format FILE.py` and `ruff check --fix` fix most findings.
lint: install
	@status=0; $(PYTHON) -m ruff check . || status=1; $(PYTHON) -m ruff format --check . || status=1; \
	[ $$status -eq 0 ] && echo "[lint] ruff: no findings"; exit $$status

book: install student
	@$(call timed,build,$(JB_BUILD))
	@echo "The website is in _build/html: open file://$(CURDIR)/_build/html/index.html"
	@echo "Size of the built site: $$(du -sh _build/html | cut -f1)"

test: install
	@total=$$(date +%s); \
	$(MAKE) --no-print-directory lint test-unit test-notebooks test-nbval test-slow test-student test-grading test-web test-build test-browser; \
	echo "[time] make test total: $$(( $$(date +%s) - total )) s"

# The pytest tiers select by marker (pyproject.toml); unmarked tests are the unit tests.
test-unit: install
	@$(call timed,unit tests,$(PYTHON) -m pytest -q -m "not (notebooks or site or student or slow or grading)" tests)

test-notebooks: install
	@$(call timed,notebook checks,$(PYTHON) -m pytest -q -m notebooks tests)

test-nbval: install
	@$(call timed,nbval,$(PYTHON) -m pytest -q $(NBVAL_FLAGS) chapters)

# Unit tests that take minutes: nbval must fail altered chapters, the Colab install line builds.
test-slow: install
	@$(call timed,slow tests,$(PYTHON) -m pytest -q -m "slow and not student" tests)

test-build: install student
	@mkdir -p _build; $(call timed,strict build,$(JB_BUILD) >_build/build.log 2>&1 || { cat _build/build.log; exit 1; }; tail -n 3 _build/build.log)
	@echo "Size of the built site: $$(du -sh _build/html | cut -f1)"
	@$(call timed,site checks,$(PYTHON) -m pytest -q -m site tests)

# The built site (_build/html) in a real browser: tests/browser, headless Chromium from Debian driven
# by playwright-core, accessibility by axe-core. Screenshots and page weights go to _build/screenshots.
# Chromium and the npm packages come from make install (install-system).
.PHONY: test-browser
test-browser:
	@test -f _build/html/index.html || { echo "No site in _build/html: run 'make book' or 'make test-build' first"; exit 1; }
	@[ -x "$(CHROMIUM)" ] || { echo "No Chromium at $(CHROMIUM): run 'make install' (it installs Chromium), or set CHROMIUM=/path/to/chromium"; exit 1; }
	@[ $(BROWSER_MODULES) -nt tests/browser/package-lock.json ] || { echo "tests/browser's npm packages are missing or out of date: run 'make install'"; exit 1; }
	@$(call timed,browser tests,cd tests/browser && CHROMIUM_PATH=$(CHROMIUM) PYTHON=$(abspath $(PYTHON)) node --test --test-reporter=spec site.test.js widget.test.js)

# The widget's JavaScript preparation against Python's prepare_digit: fixtures made here, from the
# book's drawn digits and synthetic canvases, into _build/widget_fixtures (never committed).
test-web: install
	@$(call timed,widget preparation (JavaScript vs Python),$(PYTHON) -m tools.widget_fixtures && cd web && node --test --test-reporter=spec test/)

# Chapter 7 trains the model that the website's widget runs: executing it (alone or with the whole
# book) republishes that model through widget-export, so that the stored run and the site's model agree.
WIDGET_KERAS := _build/widget/widget.keras
WIDGET_CHAPTER := chapters/07_save_load_handwriting.ipynb
execute: install
	@rm -f $(WIDGET_KERAS); mkdir -p $(dir $(WIDGET_KERAS))
	@MNIST_BOOK_WIDGET_KERAS=$(abspath $(WIDGET_KERAS)) $(PYTHON) -m tools.execute $(CHAPTERS)
	@if [ -f $(WIDGET_KERAS) ]; then $(MAKE) --no-print-directory widget-export; fi

# Run chapter 7 and publish its model for real handwriting as web/model/digits.onnx (commit both).
widget-model:
	@$(MAKE) --no-print-directory execute CHAPTERS=$(WIDGET_CHAPTER)

widget-export: install
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-widget.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
	@$(PYTHON) -m tools.export_widget_model $(WIDGET_KERAS)

student: $(INSTALLED)
	@$(PYTHON) -m tools.student_edition

# Graded assignments (tests/test_grading.py): nbgrader generates chapter 1's assignment and grades a
# folder of submissions of every kind, each one a full run of the chapter; then one correct submission
# of every other chapter (on 2 cores, about as long as the whole book runs).
.PHONY: test-grading grade
test-grading: install
	@$(call timed,grading (nbgrader end to end),$(PYTHON) -m pytest -q -m grading tests)

# Grade a folder of submissions (instructors.md, "The workflow, step by step").
TIMEOUT ?= 600
grade: $(INSTALLED)
	@[ -n "$(CHAPTER)" ] && [ -n "$(SUBMISSIONS)" ] || { echo "usage: make grade CHAPTER=chapters/NN_name.ipynb SUBMISSIONS=folder/ [TIMEOUT=600] [WRITTEN=grades.csv]"; exit 2; }
	@$(PYTHON) -m tools.grade "$(CHAPTER)" "$(SUBMISSIONS)" --timeout $(TIMEOUT) $(if $(WRITTEN),--written-scores "$(WRITTEN)")

# The perturbed run (tests/test_student_edition.py): it stands in for another machine and a GPU.
# ONLY=04_ (a pytest -k expression) runs some chapters only.
test-student: install
	@$(call timed,student edition (perturbed run),$(PYTHON) -m pytest -q -m student $(if $(ONLY),-k "$(ONLY)") tests)

# Not part of `make test`: it trains for many minutes. A full run also stores its results in
# mnist_book/bench_results.json, which chapter 5 shows.
.PHONY: bench
BENCH ?=
bench: install
	@$(call timed,bench,$(PYTHON) -m tools.bench $(if $(BENCH),--only $(BENCH)) $(if $(STORE),--store $(STORE)))

clean:
	rm -rf _build
