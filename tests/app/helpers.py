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


def pause_scan_at(window, embedded: int, wait) -> None:
    """Let the window's scan run until it reports `embedded` photos done and pause it there
    from its own thread (it stops at its next photo), so a small library cannot be scanned
    to its end before a pause from the GUI thread lands; `wait(condition)` spins the event
    loop until the condition holds (qtbot.waitUntil in a test)."""
    from PySide6.QtCore import Qt

    from phototag.app.tasks import _gui_dispatcher

    worker = window.scan_worker
    dispatcher = _gui_dispatcher()

    def hold(task, values: tuple) -> None:
        if task is worker and isinstance(values[0], int) and values[0] >= embedded:
            worker.pause()

    dispatcher.progressed.connect(hold, Qt.ConnectionType.DirectConnection)
    try:
        worker.resume()
        wait(worker.is_paused)
    finally:
        dispatcher.progressed.disconnect(hold)
