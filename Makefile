# The README's two commands: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench clean exiftool

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/phototag gui

# The XMP tests read sidecars back with a real reader. On a CI machine (root, Debian/Ubuntu)
# it is installed here; anywhere else the one line says how.
exiftool:
	@command -v exiftool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing exiftool (libimage-exiftool-perl) for the XMP tests"; \
	    apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends -q \
	      libimage-exiftool-perl >/dev/null 2>&1 || { \
	      apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null && \
	      apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends -q \
	        libimage-exiftool-perl >/dev/null; }; \
	  else \
	    echo "the XMP tests need exiftool: install it (Debian/Ubuntu: sudo apt-get install libimage-exiftool-perl; macOS: brew install exiftool)"; \
	    exit 1; \
	  fi; }

test: $(VENV)/.installed-test exiftool
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/score.py
	$(BIN)/python bench/encoders.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
