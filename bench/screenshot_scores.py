"""Screenshots of scores people can read: the review header with the threshold readout (one
slider step off automatic) and the details pane of a photo with a rejection, on
bench/screenshot.py's sample library.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/screenshot_scores.py shots/
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from screenshot import _settle, close_sample, scanned_sample


def main() -> None:
    out, app, library, window, photos = scanned_sample(__doc__.splitlines()[0])
    window.tag_paths("Sunset", [str(p) for p in photos["sunset"][:3]])
    window.tag_paths("Forest", [str(p) for p in photos["forest"][:3]])

    window.sidebar.select("label", "Sunset")
    slider = window.header.review.slider
    slider.setValue(slider.value() + 1)  # one step: one suggestion fewer
    _settle(app, window, 1.0)
    window.grid.setCurrentIndex(window.photo_model.index(0))
    _settle(app, window, 1.0)
    window.header.grab().save(str(out / "review-header.png"))
    window.grab().save(str(out / "review-scores.png"))

    rejected = str(photos["forest"][5])
    library.reject("Sunset", [rejected])
    window.sidebar.select("all", None)
    window.grid.setCurrentIndex(window.photo_model.index(window.photo_model.row_of(rejected)))
    _settle(app, window, 1.5)
    window.details.grab().save(str(out / "details-rejection.png"))
    window.grab().save(str(out / "window-rejection.png"))
    close_sample(window, library, out)


if __name__ == "__main__":
    main()
