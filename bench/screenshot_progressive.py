"""Screenshots of teaching during a first scan: the scan paused partway, a label taught on the
photos read so far, its suggestions from every scene, and the status bar saying how much of the
library the suggestions cover (bench/screenshot.py's sample library).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/screenshot_progressive.py shots/
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from screenshot import _settle, _wait, close_sample, open_sample_window


def pause_at(app, window, embedded: int) -> None:
    """Run the scan until it reports `embedded` photos, pausing it from its own thread there
    (a pause from the GUI thread could come after the scan of 78 small photos has ended)."""
    from PySide6.QtCore import Qt

    from phototag.app.tasks import _gui_dispatcher

    worker = window.scan_worker
    dispatcher = _gui_dispatcher()

    def hold(task, values: tuple) -> None:
        if task is worker and isinstance(values[0], int) and values[0] >= embedded:
            worker.pause()

    dispatcher.progressed.connect(hold, Qt.ConnectionType.DirectConnection)
    worker.resume()
    _wait(app, worker.is_paused)
    dispatcher.progressed.disconnect(hold)
    window._refresh_while_scanning()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="phototag-shot-"))
    app, library, window, photos = open_sample_window(work)
    window.add_folder(str(work / "Pictures"))
    window.scan_worker.pause()
    pause_at(app, window, 16)
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
