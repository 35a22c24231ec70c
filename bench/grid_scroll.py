"""How smoothly the thumbnail grid scrolls through 50,000 photos (offscreen, real widgets).

    .venv/bin/python bench/grid_scroll.py [--photos 50000]

Fills the grid's model with N entries (a few real photos repeated under distinct content
hashes, so every cell needs its own thumbnail job), then scrolls step by step and prints the
layout time and the per-frame repaint times. 60 frames a second is 16.7 ms a frame.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=50_000)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()

    from PIL import Image

    from phototag.app.grid import PhotoGrid
    from phototag.app.main import make_application
    from phototag.app.photo_model import PhotoModel
    from phototag.app.thumbnail_loader import ThumbnailLoader
    from phototag.core.browsing import PhotoRef

    work = Path(tempfile.mkdtemp(prefix="phototag-scroll-"))
    sources = []
    for index in range(16):
        path = work / f"photo{index}.jpg"
        Image.new("RGB", (640, 480), (index * 15, 80, 200 - index * 10)).save(path)
        sources.append(str(path))
    app = make_application()
    loader = ThumbnailLoader(work / "thumbnails", 208)
    model = PhotoModel(loader)
    grid = PhotoGrid(model)
    grid.resize(1000, 800)
    grid.show()
    app.processEvents()
    refs = [PhotoRef(sources[i % len(sources)], f"{i:064x}") for i in range(args.photos)]
    started = time.perf_counter()
    model.set_photos(refs)
    app.processEvents()
    layout = time.perf_counter() - started
    bar = grid.verticalScrollBar()
    frames = []
    for _ in range(args.frames):
        bar.setValue(bar.value() + 120)
        started = time.perf_counter()
        grid.viewport().repaint()
        app.processEvents()
        frames.append((time.perf_counter() - started) * 1000)
    loader.drop_waiting()
    loader.wait_idle()
    app.processEvents()
    frames.sort()
    p95 = frames[int(0.95 * len(frames))]
    print(f"{args.photos:,} photos: model reset + layout {layout * 1000:.0f} ms")
    print(
        f"frame repaint while scrolling: median {statistics.median(frames):.1f} ms, "
        f"p95 {p95:.1f} ms, max {frames[-1]:.1f} ms (budget 16.7 ms: "
        f"median is {statistics.median(frames) / 16.7:.2f}x of it)"
    )


if __name__ == "__main__":
    main()
