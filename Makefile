# The README's two commands: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench mutate clean tools desktop-libs lock bundle

# setuptools too: Python 3.11's venv brings one older than build-system.requires, and with a
# new enough one tests/test_packaging.py builds its wheel without fetching a build environment.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools

# Every install takes the versions CI passed with from the lock file (-c: pins, not a list to
# install). `make lock` refreshes it after a dependency changes in pyproject.toml: it keeps every
# pin that still fits and resolves the rest from the registry (LOCK_FLAGS=--upgrade: all newest).
LOCK := requirements.lock
LOCK_EXTRAS := --extra torch --extra cluster --extra test --extra bundle --extra mutate --extra bench

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	touch $@

# The tests use torch and open_clip as the oracle for the torch-free towers; `make run` has neither.
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test,torch,bundle,cluster]'
	touch $@

lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_EXTRAS) --universal --python-version 3.11 \
	  --custom-compile-command 'make lock' --quiet $(LOCK_FLAGS) -o $(LOCK)

run: $(VENV)/.installed desktop-libs
	$(BIN)/phototag gui

# Outside tools the tests drive for real: exiftool reads sidecars back (XMP tests), strace sees
# every socket a process tree opens, native code included (privacy proof); Xvfb, xwininfo and
# ImageMagick's import run the real app on an X display and photograph it (xcb smoke test);
# ss lists every listener of a batch job's Ray processes while it runs (tests/e2e/test_batch_cli.py).
# On a CI machine (root, Debian/Ubuntu) they are installed here; anywhere else the one line says
# how. To add one: put "command:debian-package" in TEST_TOOLS.
TEST_TOOLS := exiftool:libimage-exiftool-perl strace:strace Xvfb:xvfb xwininfo:x11-utils \
  import:imagemagick ss:iproute2
# Libraries, not commands, checked with dpkg -s: what Qt's xcb platform plugin links
# (ldd PySide6/Qt/plugins/platforms/libqxcb.so) and loads (QT_DEBUG_PLUGINS=1). Without them
# `phototag gui` cannot open a window on X11. Only checked where dpkg exists.
TEST_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1 libegl1 libgl1 \
  libfontconfig1 libdbus-1-3

# Installs $$missing (a shell variable set by the recipe) as root on Debian/Ubuntu; elsewhere
# one line says how. $(1): what they are for.
define install_missing
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing for $(1)"; \
	    apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends -q $$missing \
	      >/dev/null 2>&1 || { \
	      apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null && \
	      apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends -q $$missing \
	        >/dev/null; }; \
	  else \
	    echo "$(1) need$$missing: install them (Debian/Ubuntu: sudo apt-get install$$missing)"; \
	    exit 1; \
	  fi; \
	fi
endef

# The packages in TEST_PACKAGES that dpkg does not list as installed (nothing where dpkg is absent).
MISSING_PACKAGES = if command -v dpkg >/dev/null 2>&1; then \
	  for package in $(TEST_PACKAGES); do \
	    dpkg -s "$$package" 2>/dev/null | grep -q '^Status: install ok installed' || \
	      missing="$$missing $$package"; \
	  done; \
	fi

tools:
	@missing=""; for pair in $(TEST_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	$(MISSING_PACKAGES); \
	$(call install_missing,the tests)

# What the window needs from the system (`phototag gui` checks it too, cli/system.py).
desktop-libs:
	@missing=""; $(MISSING_PACKAGES); \
	$(call install_missing,the desktop app)

test: $(VENV)/.installed-test tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest
	$(MAKE) bundle
	$(BIN)/python -m pytest -m slow tests/test_bundle.py

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/score.py
	$(BIN)/python bench/encoders.py

# Mutation testing of the engine's decision code (bench/mutation/run.py, README: Development).
# Not part of `make test`: it takes about half an hour on two cores.
$(VENV)/.installed-mutate: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test,torch,mutate]'
	touch $@

mutate: $(VENV)/.installed-mutate tools
	$(BIN)/python bench/mutation/run.py

# The desktop package (packaging/README.md): dist/phototag_<version>_<arch>.deb, no Python needed.
bundle: $(VENV)/.installed-test
	nice -n 10 $(BIN)/python packaging/build.py

clean:
	rm -rf $(VENV) build/mutate build/bundle dist .pytest_cache .ruff_cache .mypy_cache
