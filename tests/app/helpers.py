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
