"""Decisions reach library.db itself while a process keeps the library open, not only its WAL:
a copy of library.db alone (what a file-level backup of a running app takes) has them."""

from __future__ import annotations

import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from phototag.core.library import Library
from phototag.core.store.checkpoints import CHECKPOINT_SECONDS

# Bounds a hang only: a commit reaches the file within CHECKPOINT_SECONDS.
HANG_SECONDS = 60


def examples_in_the_file_alone(library: Library, tmp_path: Path) -> int:
    """Examples in a copy of library.db made without its -wal, as a file copy would be."""
    alone = tmp_path / f"alone-{time.monotonic_ns()}"
    alone.mkdir()
    shutil.copyfile(library.store.path, alone / "library.db")
    with closing(sqlite3.connect(alone / "library.db")) as conn:
        return conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0]


def test_decisions_reach_the_database_file_while_the_library_stays_open(
    library, photo_set, tmp_path
):
    """A tag is several commits in a row (the label, then its examples): the ones after the
    first checkpoint come within a second of it, and a timer copies them over."""
    red = photo_set[1]["red"]
    library.tag("red", red[:2])
    library.tag("red", red[2:3])

    deadline = time.monotonic() + HANG_SECONDS
    while examples_in_the_file_alone(library, tmp_path) != 3:
        assert time.monotonic() < deadline, "the decisions stayed in the WAL"
        time.sleep(CHECKPOINT_SECONDS / 4)


def test_a_command_that_exits_while_another_process_holds_the_library_leaves_nothing_in_the_wal(
    library_dir, photo_set, tmp_path
):
    """Its close is not the last one, which SQLite would checkpoint: it checkpoints itself."""
    with Library(library_dir) as app:
        with Library(library_dir) as command:
            command.tag("red", photo_set[1]["red"][:2])
            command.tag("red", photo_set[1]["red"][2:3])
        assert examples_in_the_file_alone(app, tmp_path) == 3
