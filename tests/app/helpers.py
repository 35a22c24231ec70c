"""Driving the window the way a person would, for the app tests."""

from __future__ import annotations

import time

SCAN_TIMEOUT_MS = 60_000
LIBRARY_TIMEOUT_MS = 30_000  # only against a hang: decisions take milliseconds here


def settle(window) -> None:
    """Wait, running the event loop, until the window's library thread has run and shown
    every job asked of it (decisions and the views they leave)."""
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + LIBRARY_TIMEOUT_MS / 1000
    while not window.library_thread.idle:
        assert time.monotonic() < deadline, "the library thread did not finish its jobs"
        QTest.qWait(5)


def wait_for_scan(qtbot, window) -> None:
    """Wait for the scan an action started (adding a folder starts it once it is added)."""
    settle(window)
    qtbot.waitUntil(lambda: window.scan_worker is None, timeout=SCAN_TIMEOUT_MS)
    settle(window)


def select_paths(window, paths) -> None:
    """Select these photos in the grid, as Ctrl+clicks would."""
    from PySide6.QtCore import QItemSelectionModel

    settle(window)
    model = window.photo_model
    selection = window.grid.selectionModel()
    selection.clearSelection()
    for path in map(str, paths):
        row = model.row_of(path)
        assert row is not None, f"{path} is not in the grid"
        selection.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
    settle(window)  # the details pane shows the selection


def shown_paths(window) -> list[str]:
    settle(window)
    return [photo.path for photo in window.photo_model.photos()]
