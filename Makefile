# The README's two commands: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench mutate clean tools

# setuptools too: Python 3.11's venv brings one older than build-system.requires, and with a
# new enough one tests/test_packaging.py builds its wheel without fetching a build environment.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,cluster]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/phototag gui

# Outside tools the tests drive for real: exiftool reads sidecars back (XMP tests), strace sees
# every socket a process tree opens, native code included (privacy proof); Xvfb, xwininfo and
# ImageMagick's import run the real app on an X display and photograph it (xcb smoke test).
# On a CI machine (root, Debian/Ubuntu) they are installed here; anywhere else the one line says
# how. To add one: put "command:debian-package" in TEST_TOOLS.
TEST_TOOLS := exiftool:libimage-exiftool-perl strace:strace Xvfb:xvfb xwininfo:x11-utils \
  import:imagemagick
# Libraries, not commands, checked with dpkg -s: what Qt's xcb platform plugin links
# (ldd PySide6/Qt/plugins/platforms/libqxcb.so) and loads (QT_DEBUG_PLUGINS=1). Without them
# `phototag gui` cannot open a window on X11. Only checked where dpkg exists.
TEST_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1 libegl1 libgl1 \
  libfontconfig1 libdbus-1-3

tools:
	@missing=""; for pair in $(TEST_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if command -v dpkg >/dev/null 2>&1; then \
	  for package in $(TEST_PACKAGES); do \
	    dpkg -s "$$package" 2>/dev/null | grep -q '^Status: install ok installed' || \
	      missing="$$missing $$package"; \
	  done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing for the tests"; \
	    apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends -q $$missing \
	      >/dev/null 2>&1 || { \
	      apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null && \
	      apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends -q $$missing \
	        >/dev/null; }; \
	  else \
	    echo "the tests need$$missing: install them (Debian/Ubuntu: sudo apt-get install$$missing)"; \
	    exit 1; \
	  fi; \
	fi

test: $(VENV)/.installed-test tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/score.py
	$(BIN)/python bench/encoders.py

# Mutation testing of the engine's decision code (bench/mutation/run.py, README: Development).
# Not part of `make test`: it takes about half an hour on two cores.
$(VENV)/.installed-mutate: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,mutate]'
	touch $@

mutate: $(VENV)/.installed-mutate tools
	$(BIN)/python bench/mutation/run.py

clean:
	rm -rf $(VENV) build/mutate .pytest_cache .ruff_cache .mypy_cache
