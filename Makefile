# Two commands on a fresh clone (plain Python 3.11 + pip, no conda):
#   make book   set up .venv, generate the default synthetic twin, execute every chapter,
#               build the site into _build/html
#   make test   set up .venv (with test tools), run the test suite, which executes every
#               chapter on a small twin and builds the site with warnings as errors; locally
#               the Spark engine's tests (marker `spark`) are skipped, CI (CI set) runs them all;
#               `make test-all` runs them all locally too
# Each target does its own set-up; a second run reuses .venv and is fast.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup book test test-all test-fast bench clean help lab browser java

help:
	@echo "make book   build the book on the synthetic twin (site in _build/html)"
	@echo "make test   run the tests (chapters executed on a small twin, site built); Spark's only in CI"
	@echo "make test-all  every test, the Spark engine's too (CI runs this set)"
	@echo "make bench  run the full-scale benchmarks (slow; see README Performance)"
	@echo "make clean  remove _build (generated data under data/ is kept)"

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required")'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

book: setup
	$(BIN)/kuailive book

# The Spark engine's tests (pytest marker `spark`: a JVM per process, local-mode jobs on every
# query) take minutes; `make test` skips them unless CI is set (CI runs every test).
SPARK_MARK := $(if $(CI),,-m "not spark")

test: setup browser java
	$(BIN)/python -m pytest $(SPARK_MARK)

test-all: setup browser java
	$(BIN)/python -m pytest

# The site's browser test needs Debian's Chromium; install it when missing and we are root
# (CI is). Without it the browser tests are skipped locally and fail in CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser test ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and not root: the browser tests will be skipped"; fi; }

# The Spark engine's tests need Java 17+ (PySpark 4); install Debian's when missing and root.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's openjdk-17-jre-headless for the Spark engine tests ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "java not found and not root: the Spark engine tests will be skipped"; fi; }

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf _build

lab: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "jupyterlab==4.6.6"
	$(BIN)/jupyter lab book/chapters $(LAB_FLAGS)

# Jupyter refuses to start as root without --allow-root (containers and these machines run as
# root); pass it only then.
LAB_FLAGS := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
