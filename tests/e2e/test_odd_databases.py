"""Library databases that are not what a command expects: an empty file, and a file deleted or
replaced while `phototag watch` has it open. Each ends in one line and the contract's exit code,
and nothing is written where nobody will read it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from phototag.core.errors import EnvironmentProblem
from phototag.core.library import Library
from tests.databases import SWAP_NAMES, SWAPS, one_photo_library
from tests.e2e.conftest import run_process

CLI = "from phototag.cli.main import main; main()"
# Bounds a hang only: the watcher checks the database every folder check (2 s).
HANG_SECONDS = 120


@pytest.mark.parametrize(
    "command", [["status"], ["labels", "list"], ["tag", "red", "."], ["watch"]]
)
def test_an_empty_database_file_is_refused_not_taken_for_a_new_library(tmp_path, command):
    root = tmp_path / "library"
    root.mkdir()
    (root / "library.db").write_bytes(b"")

    result = run_process("--library", str(root), *command)

    assert result.code == EnvironmentProblem.exit_code, result
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    assert "empty file (0 bytes)" in result.err
    assert "phototag restore" in result.err
    assert (root / "library.db").stat().st_size == 0


def test_a_new_library_never_shows_an_empty_database_file(tmp_path):
    with Library(tmp_path / "library") as made:
        assert made.store.path.stat().st_size > 0
    # library.lock is restore's lock (core/store/lock.py), not a leftover of the creation.
    assert sorted(p.name for p in (tmp_path / "library").iterdir()) == [
        "library.db",
        "library.lock",
    ]


def _start_watch(root: Path, folder: Path) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "--library", str(root), "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    _wait_for(lambda: f"watching: {folder}\n" in lines, process)
    return process, lines


@pytest.mark.parametrize("swap", SWAPS, ids=SWAP_NAMES)
def test_watch_stops_in_one_line_when_its_database_is_deleted_or_replaced(tmp_path, swap):
    """The command's side: one line and exit 2. That an idle watcher notices at all, with no
    write of its own to fail, is tests/core/ingest/test_watch_database.py."""
    root, folder = one_photo_library(tmp_path)
    process, _ = _start_watch(root, folder)
    try:
        swap(root / "library.db")
        code = process.wait(timeout=HANG_SECONDS)
    finally:
        process.kill()
    errors = process.stderr.read()

    assert code == EnvironmentProblem.exit_code, errors
    assert "Traceback" not in errors, errors
    [error] = [line for line in errors.splitlines() if line.startswith("phototag:")]
    assert "was replaced or deleted while this command had it open" in error


def _wait_for(predicate, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + HANG_SECONDS
    while not predicate():
        assert process.poll() is None, "the watch stopped early"
        assert time.monotonic() < deadline, "the watch did not start"
        time.sleep(0.05)
