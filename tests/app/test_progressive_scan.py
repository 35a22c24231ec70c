"""Teaching during a first scan: photos show up as they are embedded, a label taught on the first
ones suggests photos embedded after it while the scan still runs, and the status bar says how
much of the library the suggestions cover."""

from __future__ import annotations

import math
import os

from phototag.app.progress import describe_coverage
from phototag.core import Coverage
from tests.app.helpers import pause_scan_at, shown_paths, wait_for_scan
from tests.photos import make_library_folder

STEP_MS = 60_000


def pause_after(qtbot, window, embedded: int) -> None:
    """Pause the scan once `embedded` photos are done, and refresh as the live timer does."""
    pause_scan_at(window, embedded, lambda done: qtbot.waitUntil(done, timeout=STEP_MS))
    window._refresh_while_scanning()


def test_photos_and_suggestions_reach_new_folders_while_the_scan_runs(qtbot, open_window, tmp_path):
    folder = tmp_path / "photos"
    # Enough photos that the scan cannot end between two of its progress reports (0.1 s apart).
    made = make_library_folder(folder, per_colour=40, pairs=10)
    total = sum(len(paths) for paths in made.values())
    window = open_window(tmp_path / "library")
    window.add_folder(str(folder))  # the scan starts once the library thread added it
    qtbot.waitUntil(lambda: window.scan_worker is not None, timeout=STEP_MS)
    window.scan_worker.pause()  # held while it loads the model, before any photo

    pause_after(qtbot, window, 16)
    first = set(shown_paths(window))
    assert 16 <= len(first) < total
    assert len({os.path.dirname(p) for p in first}) == 5  # a photo of every folder
    reds = [p for p in map(str, made["red"]) if p in first]
    window.tag_paths("red", reds)

    pause_after(qtbot, window, len(first) + 24)
    assert window.scan_worker is not None, "the scan must still be running"
    window.sidebar.select("label", "red")
    suggested = set(shown_paths(window))
    assert suggested - first, "photos embedded after the tag are suggested during the scan"
    coverage = window.library.coverage(window.progress.listed)
    assert coverage.known == total
    assert len(first) < coverage.seen < total
    share = math.floor(100 * coverage.seen / total)
    assert window.coverage.text() == (
        f"Suggestions cover {coverage.seen:,} of {total:,} photos ({share}%) — scanning…"
    )
    assert window.coverage.isVisible()

    window.scan_worker.resume()
    wait_for_scan(qtbot, window)
    assert not window.coverage.isVisible()


def test_the_coverage_share_is_rounded_down_so_100_percent_means_every_photo():
    assert describe_coverage(Coverage(49_990, 50_000)) == (
        "Suggestions cover 49,990 of 50,000 photos (99%) — scanning…"
    )
    assert describe_coverage(Coverage(12_500, 50_000)).endswith("(25%) — scanning…")
    assert Coverage(0, 0).fraction == 1.0
