"""Screenshots of finding in the desktop app: more like this, a smart album and a proposed
group of look-alike photos, on bench/screenshot.py's sample library.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/screenshot_finding.py shots/
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from screenshot import _settle, _wait, close_sample, scanned_sample


def main() -> None:
    out, app, library, window, photos = scanned_sample(__doc__.splitlines()[0])
    window.tag_paths("Sunset", [str(p) for p in photos["sunset"][:3]])
    window.tag_paths("Sea", [str(p) for p in photos["sea"][:3]])

    window.sidebar.select("all", None)
    window.finding.more_like([str(photos["forest"][0])])
    window.grid.setCurrentIndex(window.photo_model.index(0))
    _settle(app, window, 1.5)
    window.grab().save(str(out / "more-like-this.png"))

    library.save_album("Sunsets or the sea", 'Sunset OR "Sea" AND NOT folder:/nowhere')
    window.refresh_albums()
    window.finding.open_album("Sunsets or the sea")
    _settle(app, window, 1.5)
    window.grab().save(str(out / "smart-album.png"))

    window.finding.new_album()
    dialog = window.finding.dialog
    dialog.name.setText("Summer with the sea")
    dialog.query.setText('Sea AND (taken:2023-06..2023-08 OR "Sunset"')
    dialog._try_save()
    _settle(app, window, 0.5)
    dialog.grab().save(str(out / "album-dialog.png"))
    dialog.reject()

    window.finding.discover()
    _wait(app, lambda: window.finding.discover_task is None, 300)
    window.finding.offer.show_button.click()
    _settle(app, window, 1.5)
    window.grab().save(str(out / "proposed-group.png"))
    close_sample(window, library, out)


if __name__ == "__main__":
    main()
