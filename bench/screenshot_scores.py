"""Screenshots of scores people can read: the review header with the threshold readout (one
slider step off automatic) and the details pane of a photo with a rejection, on
bench/screenshot.py's sample library.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/screenshot_scores.py shots/
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
    window.tag_paths("Forest", [str(p) for p in photos["forest"][:3]])

    window.sidebar.select("label", "Sunset")
    slider = window.header.review.slider
    slider.setValue(slider.value() + 1)  # one step: one suggestion fewer
    _settle(app, window, 1.0)
    window.grid.setCurrentIndex(window.photo_model.index(0))
    _settle(app, window, 1.0)
    window.header.grab().save(str(args.out / "review-header.png"))
    window.grab().save(str(args.out / "review-scores.png"))

    rejected = str(photos["forest"][5])
    library.reject("Sunset", [rejected])
    window.sidebar.select("all", None)
    window.grid.setCurrentIndex(window.photo_model.index(window.photo_model.row_of(rejected)))
    _settle(app, window, 1.5)
    window.details.grab().save(str(args.out / "details-rejection.png"))
    window.grab().save(str(args.out / "window-rejection.png"))
    window.close()
    library.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
