"""Driving the window the way a person would, for the app tests."""

from __future__ import annotations

SCAN_TIMEOUT_MS = 60_000


def wait_for_scan(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.scan_worker is None, timeout=SCAN_TIMEOUT_MS)


def select_paths(window, paths) -> None:
    """Select these photos in the grid, as Ctrl+clicks would."""
    from PySide6.QtCore import QItemSelectionModel

    model = window.photo_model
    selection = window.grid.selectionModel()
    selection.clearSelection()
    for path in map(str, paths):
        row = model.row_of(path)
        assert row is not None, f"{path} is not in the grid"
        selection.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)


def shown_paths(window) -> list[str]:
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
