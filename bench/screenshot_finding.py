"""Screenshots of finding in the desktop app: more like this, a smart album and a proposed
group of look-alike photos, on bench/screenshot.py's sample library.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/screenshot_finding.py shots/
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from screenshot import _settle, _wait, open_sample_window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="phototag-shot-"))
    args.out.mkdir(parents=True, exist_ok=True)
    app, library, window, photos = open_sample_window(work)
    window.add_folder(str(work / "Pictures"))
    _wait(app, lambda: window.scan_worker is None, 600)
    window.problems.hide()
    window.tag_paths("Sunset", [str(p) for p in photos["sunset"][:3]])
    window.tag_paths("Sea", [str(p) for p in photos["sea"][:3]])

    window.sidebar.select("all", None)
    window.finding.more_like([str(photos["forest"][0])])
    window.grid.setCurrentIndex(window.photo_model.index(0))
    _settle(app, window, 1.5)
    window.grab().save(str(args.out / "more-like-this.png"))

    library.save_album("Sunsets or the sea", 'Sunset OR "Sea" AND NOT folder:/nowhere')
    window.refresh_albums()
    window.finding.open_album("Sunsets or the sea")
    _settle(app, window, 1.5)
    window.grab().save(str(args.out / "smart-album.png"))

    window.finding.new_album()
    dialog = window.finding.dialog
    dialog.name.setText("Summer with the sea")
    dialog.query.setText('Sea AND (taken:2023-06..2023-08 OR "Sunset"')
    dialog._try_save()
    _settle(app, window, 0.5)
    dialog.grab().save(str(args.out / "album-dialog.png"))
    dialog.reject()

    window.finding.discover()
    _wait(app, lambda: window.finding.discover_task is None, 300)
    window.finding.offer.show_button.click()
    _settle(app, window, 1.5)
    window.grab().save(str(args.out / "proposed-group.png"))
    window.close()
    library.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
