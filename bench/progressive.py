"""Progressive first scan: how many folders have a scored photo after the first minute.

A generated library of 40 folders (small JPEGs, each folder its own colour mix) is scanned
from scratch with the tiny-random model twice in one run, each time stopped after --seconds
(60) of scanning: once in the scan's spread order (core/ingest/order.py) and once folder after
folder, as scans ran before it. For each it prints the folders with at least one embedded
photo, the photos embedded and the photos per second, with the load average; the model is
loaded and converted once before either is timed. The last line reads
`scan_first_minute_folders=<fraction>`: the spread order's share of the 40 folders.

    .venv/bin/python bench/progressive.py [--folders 40] [--per-folder 60] [--seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from phototag.core.ingest import scan as ingest
from phototag.core.ingest.order import in_listing_order, spread_order
from phototag.core.library import Library
from phototag.core.store import photos as files

MODEL = "tiny-random"
DRAWN = 4  # distinct pictures a folder


class Minute(Exception):
    """Raised from the progress callback once the time is up: what was committed stays."""


def make_library(folder: Path, folders: int, per_folder: int) -> None:
    """`folders` folders of `per_folder` photos, each folder its own colour mix. A few distinct
    pictures a folder are drawn (tests/photos.py); the rest are their bytes with a unique tail
    after the JPEG's end, which decoders ignore: other content to the scan (each is hashed,
    decoded and embedded), at the cost of a file write instead of a drawing."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.photos import COLOURS, colour_photo

    names = list(COLOURS)
    for index in range(folders):
        colours = [names[index % len(names)], names[(index // len(names)) % len(names)]]
        drawn = [_jpeg(colour_photo(colours, index * DRAWN + k)) for k in range(DRAWN)]
        event = folder / f"event-{index:02d}"
        event.mkdir(parents=True)
        for number in range(per_folder):
            tail = f"phototag bench {index} {number}".encode()
            (event / f"IMG_{number:04d}.jpg").write_bytes(drawn[number % DRAWN] + tail)


def _jpeg(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def warm_up(work: Path, photo: Path) -> None:
    """Load (and on first use convert) the model, so neither timed scan pays for it."""
    (work / "warm").mkdir()
    (work / "warm" / photo.name).write_bytes(photo.read_bytes())
    with Library(work / "warm-library") as library:
        library.add_folder(work / "warm")
        library.scan(model=MODEL)


def scan_for(root: Path, photos: Path, seconds: float, order: ingest.Ordering) -> tuple:
    """(folders with an embedded photo, photos embedded, seconds scanned) of one first scan in
    `order`, stopped after `seconds`: Library.scan's own steps, with the order passed in."""
    with Library(root) as library:
        library.add_folder(photos)
        encoder = library._encoder(MODEL)
        encoder.prepare(None)
        model_id = library._encoders.register(encoder, None)
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            if time.monotonic() - started >= seconds:
                raise Minute

        folders = [dict(f) for f in files.all_folders(library.store)]
        with contextlib.suppress(Minute):
            ingest.scan(library.store, encoder, model_id, folders, progress, order)
        elapsed = time.monotonic() - started
        embedded = library.photos()
    reached = {os.path.dirname(photo.path) for photo in embedded}
    return len(reached), len(embedded), elapsed


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=40)
    # Enough that a minute cannot scan it all (the tiny model embeds 150-350 small photos a
    # second here): a real first scan takes about an hour.
    parser.add_argument("--per-folder", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="phototag-bench-progressive-"))
    photos = work / "photos"
    made = time.monotonic()
    make_library(photos, args.folders, args.per_folder)
    print(
        f"{args.folders} folders x {args.per_folder} photos generated in "
        f"{time.monotonic() - made:.0f} s; scanning each order for {args.seconds:.0f} s"
    )
    warm_up(work, next(photos.rglob("*.jpg")))
    fractions = {}
    # The spread first: anything the first scan warms (the disk cache) helps the baseline.
    for name, order in (("spread order", spread_order), ("folder order", in_listing_order)):
        before = load()
        reached, embedded, elapsed = scan_for(work / name, photos, args.seconds, order)
        fractions[name] = reached / args.folders
        print(
            f"{name}: {reached}/{args.folders} folders reached, {embedded} photos embedded in "
            f"{elapsed:.1f} s ({embedded / elapsed:.1f} photos/s); "
            f"load average {before} before, {load()} after"
        )
    shutil.rmtree(work)
    print(f"folder_order_first_minute_folders={fractions['folder order']:.3f}")
    print(f"scan_first_minute_folders={fractions['spread order']:.3f}")


if __name__ == "__main__":
    main()
