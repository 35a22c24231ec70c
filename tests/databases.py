"""What happens to a library's database file behind a running process's back, for real: it is
deleted, or replaced (what a restore does, by hand: a copy renamed over it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.photos import write_photo


def delete(database: Path) -> None:
    database.unlink()


def replace(database: Path) -> None:
    copy = database.with_name("copy.db")
    shutil.copyfile(database, copy)
    copy.replace(database)


SWAPS = [delete, replace]
SWAP_NAMES = ["deleted", "replaced"]


def one_photo_library(tmp_path: Path) -> tuple[Path, Path]:
    """(library root, folder): a library of one scanned photo, for a watcher to hold open."""
    from phototag.core.library import Library

    folder = tmp_path / "photos"
    write_photo(folder / "red_0.jpg", ["red"], seed=1)
    root = tmp_path / "library"
    with Library(root) as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
    return root, folder
