"""`phototag batch embed --address local` against `phototag scan` on the same photos, in one run.

Prints photos/s of each and the overhead a photo of the batch path (its seconds a photo minus the
scan's), with the load average, as every figure here is measured in one run. Both run as the
command line runs them, as processes; the batch figure includes starting the local Ray runtime.
On a real cluster: prepare the job here, then time `phototag batch embed JOB SOURCE --address
auto` on the head node over the same photos.

    .venv/bin/python bench/batch.py [--photos 64]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.photos import colour_photo

COLOURS = ["red", "green", "blue", "yellow"]


def phototag(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from phototag.cli.main import main; main()", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=64)
    count = parser.parse_args().photos
    with tempfile.TemporaryDirectory(prefix="phototag-bench-batch-") as folder:
        root = Path(folder)
        os.environ["XDG_DATA_HOME"] = str(root / "data")
        os.environ["XDG_CACHE_HOME"] = str(root / "cache")
        photos, archive = root / "photos", root / "archive"
        for index in range(count):
            colours = [COLOURS[index % 4], COLOURS[(index + 1) % 4]]
            for where, seed in ((photos, index), (archive, index + count)):
                where.mkdir(exist_ok=True)
                colour_photo(colours, seed, (1600, 1200)).save(where / f"{index:05d}.jpg")
        library = ["--library", str(root / "library")]
        phototag(*library, "folders", "add", str(photos))
        scan = phototag(*library, "scan", "--model", "tiny-random")
        phototag(*library, "batch", "prepare", str(root / "job"))
        batch = phototag(
            "batch", "embed", str(root / "job"), str(archive), "--out", str(root / "out")
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{count} photos of 1600x1200, tiny-random model, load average {load}")
    print(f"scan:        {count / scan:6.2f} photos/s ({scan:.1f} s, model loading included)")
    print(f"batch embed: {count / batch:6.2f} photos/s ({batch:.1f} s, Ray start included)")
    print(f"overhead:    {(batch - scan) / count * 1000:6.1f} ms a photo")


if __name__ == "__main__":
    main()
