"""The window's scan, search box and folder watcher run on threads of their own, each with its own
Library, and share the process's one loaded model (core/model/shared.py): counted by the ONNX
Runtime sessions the process creates, one per tower, whatever runs."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.app.helpers import shown_paths, wait_for_scan
from tests.core.model.test_shared import SessionCount, own_weights, scanned_library
from tests.photos import write_photo

WATCH_TIMEOUT_MS = 30_000


def test_scan_search_and_watcher_of_the_window_load_the_model_once(
    qtbot, open_window, tmp_path, photo_set, monkeypatch
):
    sessions = SessionCount(monkeypatch)
    root = scanned_library(tmp_path, own_weights(tmp_path / "weights"))
    window = open_window(root, model=None)  # scans with the library's model: its own weights

    window.library.add_folder(photo_set[0])
    window.start_scan()
    window.progress.pause_button.click()  # the scan holds its model, waiting
    qtbot.keyClicks(window.search_box, "a red photo")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.query is not None, timeout=30_000)
    assert window.scan_worker is not None
    assert window.scan_worker.is_paused()
    assert window.photo_model.photos()  # the search answered during the scan

    window.progress.pause_button.click()
    wait_for_scan(qtbot, window)
    folder = tmp_path / "photos"
    qtbot.waitUntil(
        lambda: (
            window.folder_watch is not None
            and window.folder_watch.states().get(str(folder)) == "watching"
        ),
        timeout=WATCH_TIMEOUT_MS,
    )
    window.header.clear_search.click()
    arrived = write_photo(folder / "blue_new.jpg", ["blue"], seed=7)
    qtbot.waitUntil(lambda: str(arrived) in shown_paths(window), timeout=WATCH_TIMEOUT_MS)

    assert sorted(sessions.graphs) == ["own.text.onnx", "own.visual.onnx"]
