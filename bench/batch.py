"""`phototag batch embed --address local` against `phototag scan` on the same photos, in one run.

Prints photos/s of each and the overhead a photo of the batch path (its seconds a photo minus the
scan's), with the load average, as every figure here is measured in one run. Both run as the
command line runs them, as processes; the batch figure includes starting the local Ray runtime.
On a real cluster: prepare the job here, then time `phototag batch embed JOB SOURCE --address
auto` on the head node over the same photos. With --s3 the same archive is also embedded from
an s3:// prefix of a loopback S3 server (moto's, from the test extra), to show what reading
through the object-store API costs against reading the folder.

    .venv/bin/python bench/batch.py [--photos 64] [--s3]
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
    parser.add_argument("--s3", action="store_true", help="also embed from a loopback S3 server")
    arguments = parser.parse_args()
    count = arguments.photos
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
        from_s3 = embed_from_s3(root / "job", archive, root / "out-s3") if arguments.s3 else None
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{count} photos of 1600x1200, tiny-random model, load average {load}")
    print(f"scan:        {count / scan:6.2f} photos/s ({scan:.1f} s, model loading included)")
    print(f"batch embed: {count / batch:6.2f} photos/s ({batch:.1f} s, Ray start included)")
    print(f"overhead:    {(batch - scan) / count * 1000:6.1f} ms a photo")
    if from_s3 is not None:
        print(f"from s3://:  {count / from_s3:6.2f} photos/s ({from_s3:.1f} s, loopback moto)")
        print(f"s3 overhead: {(from_s3 - batch) / count * 1000:6.1f} ms a photo over the folder")


def embed_from_s3(job: Path, archive: Path, out: Path) -> float:
    """The archive uploaded to a loopback S3 server, then embedded from its prefix."""
    from tests.objectstore import S3_ENV, put, s3_server, tree

    os.environ.update(S3_ENV)
    with s3_server() as endpoint:
        put(endpoint, "photos", tree(archive, "archive"))
        source = ["s3://photos/archive", "--s3-endpoint", endpoint]
        return phototag("batch", "embed", str(job), *source, "--out", str(out))


if __name__ == "__main__":
    main()
