"""Shared fixtures. Every test runs with private user folders and an empty model cache, so
nothing a developer has downloaded can make a test pass, and no test touches real user data."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Set before anything imports huggingface_hub or platformdirs: both read these once.
_PRIVATE = tempfile.mkdtemp(prefix="phototag-tests-")
# Removed when the test session's process ends (20-60 MB of models and caches otherwise stay).
atexit.register(shutil.rmtree, _PRIVATE, ignore_errors=True)
for _name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "HF_HOME"):
    os.environ[_name] = os.path.join(_PRIVATE, _name.lower())
os.environ["HF_HUB_CACHE"] = os.path.join(_PRIVATE, "hf_home", "hub")
os.environ.pop("PHOTOTAG_LIBRARY", None)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.hub import (  # noqa: E402, F401  (fixtures)
    local_hub,
    small_vit_hub,
    vit_b_32_random,
    vit_hub,
)
from tests.photos import make_library_folder  # noqa: E402


@pytest.fixture(scope="session")
def photo_set(tmp_path_factory) -> tuple[Path, dict[str, list[Path]]]:
    """A folder of generated colour photos (read-only: tests that change files copy it)."""
    root = tmp_path_factory.mktemp("photos")
    return root, make_library_folder(root)


@pytest.fixture(scope="session")
def scanned_template(tmp_path_factory, photo_set) -> Path:
    """A library that has scanned photo_set with the tiny model, made once per session."""
    from phototag.core.library import Library

    root = tmp_path_factory.mktemp("template") / "library"
    with Library(root) as library:
        library.add_folder(photo_set[0])
        library.scan(model="tiny-random")
    return root


@pytest.fixture
def library_dir(tmp_path, scanned_template) -> Path:
    """A private copy of the scanned library for one test to change."""
    target = tmp_path / "library"
    shutil.copytree(scanned_template, target)
    return target


@pytest.fixture
def library(library_dir):
    from phototag.core.library import Library

    with Library(library_dir) as opened:
        yield opened


@pytest.fixture
def writable_photos(tmp_path, photo_set) -> tuple[Path, Path]:
    """(library dir, folder): three red and three blue photos copied to a folder of this test's
    own (tests that write beside photos, e.g. XMP sidecars), scanned with the tiny model."""
    from phototag.core.library import Library

    folder = tmp_path / "photos"
    folder.mkdir()
    for path in photo_set[1]["red"][:3] + photo_set[1]["blue"][:3]:
        shutil.copy(path, folder / path.name)
    root = tmp_path / "own-library"
    with Library(root) as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
    return root, folder
