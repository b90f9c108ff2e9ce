# Autodiff from Scratch: set-up, book and tests.
#   make book    create .venv, install the pinned environment, build the HTML into _build/html
#   make test    the same set-up, then every test (package, notebooks, book build, the book in a
#                browser); summary at the end
#   make lab     open JupyterLab in the project's environment
# Run `make help` for the rest.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# A stamp that is newer than every file the environment is made from.
STAMP  := $(VENV)/.installed

export PATH := $(abspath $(BIN)):$(PATH)
# Quiets a debugger warning that ipykernel prints when the kernel starts.
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup system-book system-test book test lab notebooks bench lock clean distclean

help:
	@sed -n 's/^#   /  /p' Makefile
	@echo "  make notebooks NB=\"path.ipynb ...\"   re-execute notebooks and save them with outputs"
	@echo "  make bench   run the benchmarks in benchmarks/ (installs micrograd 0.1.0 into .venv)"
	@echo "  make lock    regenerate constraints.txt from the current .venv"
	@echo "  make clean   remove _build (keeps .venv)"

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "error: could not create $(VENV) with '$(PYTHON) -m venv'."; \
	  echo "       Install Python 3.10+ with its venv module (Debian/Ubuntu: apt-get install python3-venv)."; \
	  exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

setup: $(STAMP) system-book

# System programs, installed with apt-get when missing and possible: the book needs Graphviz `dot`;
# the tests also need Chromium (tests/browser opens every page of the built book in it).
system-book:
	@sh tools/ensure_system_packages.sh dot

system-test:
	@sh tools/ensure_system_packages.sh dot chromium

book: setup
	$(PY) tools/run_suite.py book

test: setup system-test
	$(PY) tools/run_suite.py

lab: setup
	$(BIN)/jupyter lab

notebooks: setup
	@test -n "$(NB)" || { echo 'usage: make notebooks NB="chapters/01_three_ways.ipynb ..."'; exit 2; }
	$(PY) tools/execute_notebooks.py $(NB)

bench: setup
	$(PY) -m pip install --quiet micrograd==0.1.0
	$(PY) benchmarks/run_all.py

lock: $(STAMP)
	@{ echo "# The full resolved environment of requirements.txt, pinned (pip freeze, Python 3.11)."; \
	   echo "# Regenerate with \`make lock\` after changing requirements.txt."; \
	   $(PY) -m pip freeze --exclude-editable | sed -E 's/^(torch==[0-9.]+)\+cpu$$/\1/'; } > constraints.txt

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV)
