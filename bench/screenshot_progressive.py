"""Screenshots of teaching during a first scan: the scan paused partway, a label taught on the
photos read so far, its suggestions from every scene, and the status bar saying how much of the
library the suggestions cover (bench/screenshot.py's sample library).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/screenshot_progressive.py shots/
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from screenshot import _settle, _wait, close_sample, sample_being_scanned

from tests.app.helpers import pause_scan_at


def pause_at(app, window, embedded: int) -> None:
    """Run the scan until `embedded` photos are done, paused from its own thread (a pause
    from the GUI thread could come after the 78 small photos are all scanned)."""
    pause_scan_at(window, embedded, lambda done: _wait(app, done))
    window._refresh_while_scanning()


def main() -> None:
    out, app, library, window, photos = sample_being_scanned(__doc__.splitlines()[0])
    window.scan_worker.pause()
    pause_at(app, window, 16)
    _settle(app, window, 0.2)
    shown = {photo.path for photo in window.photo_model.photos()}
    window.tag_paths("Sunset", [str(p) for p in photos["sunset"] if str(p) in shown])
    pause_at(app, window, 40)
    window.sidebar.select("label", "Sunset")
    _settle(app, window, 1.5)
    window.grab().save(str(out / "teaching-while-scanning.png"))
    window.statusBar().grab().save(str(out / "scan-coverage.png"))
    window.cancel_scan()
    window.scan_worker.resume()
    _wait(app, lambda: window.scan_worker is None)
    close_sample(window, library, out)


if __name__ == "__main__":
    main()
