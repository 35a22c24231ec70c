"""Watcher benchmark: how soon a new photo is in the library, and how a burst of copies goes.

Runs the real Watcher (native observer, default settle time) on a temporary folder with the
tiny-random model. Latency: a photo is written, and the clock runs from the end of its last
write until its embedding is in the database (median over --files photos, one at a time).
Burst: --burst distinct small JPEGs are copied into the folder as fast as the disk allows; the
clock runs from the first copy until every one is embedded, and the process's resident memory is
sampled throughout (a flat peak is the point: the watcher holds paths, not photos). The tiny
model's encoder is far faster than a real one, so the burst figure measures the pipeline around
the model (events, settling, stat, hash, decode, SQLite), not CLIP. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from phototag.core.ingest.watch import Batch, Watcher
from phototag.core.library import Library

TARGET_LATENCY_S = 5.0


def write_jpeg(path: Path, seed: int, size: tuple[int, int]) -> None:
    """A photo-sized JPEG of smooth colour plus noise: distinct content, so distinct photos."""
    rng = np.random.default_rng(seed)
    width, height = size
    base = rng.integers(0, 256, 3)
    pixels = base + rng.normal(0, 25, (height, width, 3))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, quality=85)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakMemory:
    """Samples resident memory every 50 ms on a thread until stopped."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


def embedded(library: Library, pattern: str) -> int:
    return library.store.scalar(
        "SELECT COUNT(*) FROM files JOIN embeddings USING (image_id) "
        "WHERE files.status = 'ok' AND files.path LIKE ?",
        (pattern,),
    )


def wait_for(library: Library, pattern: str, count: int, timeout: float) -> float:
    """Seconds on the perf_counter clock at which count files matching pattern were embedded."""
    deadline = time.perf_counter() + timeout
    while embedded(library, pattern) < count:
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out: {embedded(library, pattern)} of {count} embedded")
        time.sleep(0.01)
    return time.perf_counter()


def measure_latency(library: Library, folder: Path, files: int) -> list[float]:
    latencies = []
    for index in range(files):
        path = folder / f"latency_{index:03d}.jpg"
        write_jpeg(path, seed=index, size=(640, 480))
        written = time.perf_counter()
        latencies.append(wait_for(library, str(path), 1, timeout=60) - written)
    return latencies


def measure_burst(library: Library, folder: Path, staging: Path, count: int) -> tuple[float, float]:
    """(seconds, peak resident MB) for copying count photos in and having them all embedded."""
    target = folder / "burst"
    target.mkdir()
    with PeakMemory() as memory:
        start = time.perf_counter()
        for source in sorted(staging.iterdir()):
            shutil.copy(source, target)
        done = wait_for(library, f"{target}/%", count, timeout=count)
    return done - start, memory.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="photos for the latency median")
    parser.add_argument("--burst", type=int, default=1000, help="photos copied in one burst")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="phototag-bench-watch-") as scratch:
        root = Path(scratch)
        folder, staging = root / "photos", root / "staging"
        folder.mkdir()
        staging.mkdir()
        for index in range(args.burst):
            write_jpeg(staging / f"{index:05d}.jpg", seed=10_000 + index, size=(320, 240))
        with Library(root / "library") as library:
            library.add_folder(folder)
            library.scan(model="tiny-random")
            ready = threading.Event()
            watcher = Watcher(library.root, on_event=lambda e: isinstance(e, Batch) and ready.set())
            watcher.start()
            try:
                ready.wait(120)  # the start-up reconcile: model loaded, folder watched
                latencies = measure_latency(library, folder, args.files)
                before = rss_mb()
                seconds, peak = measure_burst(library, folder, staging, args.burst)
            finally:
                watcher.stop()
            if watcher.error is not None:
                raise watcher.error

    median = statistics.median(latencies)
    verdict = "met" if median < TARGET_LATENCY_S else "NOT met"
    print(
        f"latency, last write -> embedding in the database: median {median:.2f} s, "
        f"max {max(latencies):.2f} s over {args.files} photos "
        f"(target < {TARGET_LATENCY_S:.0f} s: {verdict})"
    )
    print(
        f"burst of {args.burst} JPEG copies (320x240, tiny model): {seconds:.1f} s, "
        f"{args.burst / seconds:.0f} photos/s"
    )
    print(f"resident memory: {before:.0f} MB before the burst, peak {peak:.0f} MB during it")


if __name__ == "__main__":
    main()
