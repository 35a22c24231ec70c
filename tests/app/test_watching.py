"""The window keeps itself current: the engine's folder watcher runs while it is open."""

from __future__ import annotations

from phototag.core.library import Library
from tests.app.helpers import shown_paths, wait_for_scan
from tests.photos import write_photo

WATCH_TIMEOUT_MS = 30_000


def _watched_library(tmp_path):
    folder = tmp_path / "photos"
    for index in range(3):
        write_photo(folder / f"red_{index}.jpg", ["red"], seed=index)
    with Library(tmp_path / "library") as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
    return folder, tmp_path / "library"


def _watching(window, folder) -> bool:
    watch = window.folder_watch
    return watch is not None and watch.states().get(str(folder)) == "watching"


def test_photos_added_and_deleted_in_a_folder_show_up_without_a_scan(qtbot, open_window, tmp_path):
    folder, root = _watched_library(tmp_path)
    window = open_window(root)
    qtbot.waitUntil(lambda: _watching(window, folder), timeout=WATCH_TIMEOUT_MS)

    arrived = write_photo(folder / "new" / "blue.jpg", ["blue"], seed=9)
    qtbot.waitUntil(lambda: str(arrived) in shown_paths(window), timeout=WATCH_TIMEOUT_MS)
    assert "Folders changed: +1 new" in window.statusBar().currentMessage()

    (folder / "red_0.jpg").unlink()
    qtbot.waitUntil(
        lambda: str(folder / "red_0.jpg") not in shown_paths(window), timeout=WATCH_TIMEOUT_MS
    )


def test_a_scan_pauses_the_watcher_and_it_resumes_after(qtbot, open_window, tmp_path):
    folder, root = _watched_library(tmp_path)
    window = open_window(root)
    qtbot.waitUntil(lambda: _watching(window, folder), timeout=WATCH_TIMEOUT_MS)
    window.start_scan()
    assert window.folder_watch is None
    wait_for_scan(qtbot, window)
    qtbot.waitUntil(lambda: _watching(window, folder), timeout=WATCH_TIMEOUT_MS)
