"""A watcher whose library database is deleted or replaced while it idles stops with the one-line
error, rather than go on (for hours, in the app) with a file nobody will read again."""

from __future__ import annotations

import time

import pytest

from phototag.core.errors import EnvironmentProblem
from phototag.core.ingest.watch import Batch, Stopped, Watcher
from tests.databases import SWAP_NAMES, SWAPS, one_photo_library

FAST = {"settle_seconds": 0.2, "folder_check_seconds": 0.3, "poll_seconds": 0.3}
# Bounds a hang only: the watcher checks the database at every folder check (0.3 s here).
HANG_SECONDS = 60


def _wait_for(events: list, kind: type) -> object:
    deadline = time.monotonic() + HANG_SECONDS
    while True:
        found = [event for event in events if isinstance(event, kind)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {kind.__name__} after {HANG_SECONDS} s: {events}"
        time.sleep(0.05)


@pytest.mark.parametrize("swap", SWAPS, ids=SWAP_NAMES)
def test_an_idle_watcher_stops_when_its_database_is_deleted_or_replaced(tmp_path, swap):
    root, _ = one_photo_library(tmp_path)
    events: list = []
    watcher = Watcher(root, on_event=events.append, **FAST)
    watcher.start()
    try:
        _wait_for(events, Batch)  # the start-up reconcile: after it, nothing is left to write
        swap(root / "library.db")
        stopped = _wait_for(events, Stopped)
    finally:
        watcher.stop(timeout=HANG_SECONDS)

    assert isinstance(stopped, Stopped)
    assert isinstance(stopped.error, EnvironmentProblem)
    assert "was replaced or deleted" in str(stopped.error)
