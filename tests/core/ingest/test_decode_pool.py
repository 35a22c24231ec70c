"""Decoding in worker processes: order, bounded work in flight, and workers that die."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phototag.core.ingest.decode import decode_image
from phototag.core.ingest.decode_pool import (
    REASON_DECODER_CRASHED,
    DecodePool,
    Pixels,
    decode_in_order,
)
from phototag.core.ingest.pixels import PixelRecipe
from tests.photos import write_photo

RECIPE = PixelRecipe(
    resize=224,
    resample=Image.Resampling.BICUBIC,
    crop=(224, 224),
    mean=(0.48145466, 0.4578275, 0.40821073),
    std=(0.26862954, 0.26130258, 0.27577711),
)


def decode_workers(parent: int | None = None) -> set[int]:
    """The children of parent (this process) that run a spawned multiprocessing worker."""
    parent = os.getpid() if parent is None else parent
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            started_by = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if started_by == parent and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def kill(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("pool")
    made = [
        write_photo(folder / f"{i:02d}.jpg", ["red", "blue"][i % 2 :][:1], seed=i, quality=80)
        for i in range(24)
    ]
    (folder / "note.jpg").write_text("not a photo")
    return [*made[:5], folder / "note.jpg", *made[5:]]


@pytest.fixture
def pool():
    opened = DecodePool(workers=2)
    yield opened
    opened.close()


def expected_crop(path: Path) -> np.ndarray:
    return RECIPE.crop_of(decode_image(path, RECIPE.min_side).image)


def test_results_come_in_order_with_a_bounded_number_in_flight(photos, pool):
    drawn: list[Path] = []

    def lazily():
        for path in photos:
            drawn.append(path)
            yield path

    results = []
    for item, result in decode_in_order(lazily(), str, RECIPE, in_flight=4, pool=pool):
        assert len(drawn) <= len(results) + 4
        results.append((item, result))

    assert [item for item, _ in results] == photos
    reasons = {item.name: result for item, result in results if isinstance(result, str)}
    assert reasons == {"note.jpg": "not an image or unsupported format"}
    for item, result in results:
        if isinstance(result, Pixels):
            assert np.array_equal(result.crop, expected_crop(item))
            assert (result.width, result.height) == Image.open(item).size


def test_a_killed_worker_loses_no_photo(photos, pool):
    """A worker killed from outside (say, by the OOM killer): its photo is tried again."""
    before = decode_workers()
    results = []
    for item, result in decode_in_order(photos, str, RECIPE, in_flight=8, pool=pool):
        if not results:
            started = decode_workers() - before
            kill(started)  # both of this pool's workers, mid-scan
        results.append((item, result))

    assert len(started) == 2
    assert not started & decode_workers()
    assert [item for item, _ in results] == photos
    assert [r for _, r in results if isinstance(r, str)] == ["not an image or unsupported format"]
    for item, result in results:
        if isinstance(result, Pixels):
            assert np.array_equal(result.crop, expected_crop(item))


def test_a_photo_that_keeps_crashing_its_decoder_is_named_and_the_rest_goes_on(photos, pool):
    """Every worker dies as soon as it starts, as if each photo crashed its decoder."""
    outside = decode_workers()
    stop = threading.Event()

    def killer():
        while not stop.wait(0.005):
            kill(decode_workers() - outside)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        results = list(decode_in_order(photos[:3], str, RECIPE, in_flight=2, pool=pool))
    finally:
        stop.set()
        thread.join()

    assert results == [(path, REASON_DECODER_CRASHED) for path in photos[:3]]
    # Once the crashes stop, the same pool decodes again.
    ((_, result),) = decode_in_order(photos[:1], str, RECIPE, in_flight=2, pool=pool)
    assert np.array_equal(result.crop, expected_crop(photos[0]))


def test_stopping_early_leaves_the_pool_ready_for_the_next_run(photos, pool):
    decoded = decode_in_order(photos, str, RECIPE, in_flight=8, pool=pool)
    next(decoded)
    decoded.close()  # the scan was cancelled with photos in flight

    results = list(decode_in_order(photos[6:9], str, RECIPE, in_flight=8, pool=pool))
    assert [item for item, _ in results] == photos[6:9]
    for item, result in results:
        assert np.array_equal(result.crop, expected_crop(item))


def test_a_worker_whose_parent_end_closes_ends_quietly(photos, capfd):
    """The parent gone (its pipe closed without a stop) used to end each worker in an EOFError
    traceback on the terminal: the GUI's stderr after a SIGTERM."""
    pool = DecodePool(workers=1)
    assert len(list(pool.decode_in_order(photos[:2], str, RECIPE, in_flight=2))) == 2
    [worker] = pool._workers
    worker.connection.close()
    worker.process.join(timeout=30)
    assert worker.process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


_PARENT_KILLED = """
import os, signal, sys
from phototag.core.ingest.decode_pool import DecodePool
from phototag.core.ingest.pixels import PixelRecipe
RECIPE = PixelRecipe(224, 3, (224, 224), (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
if __name__ == "__main__":
    pool = DecodePool(workers=2)
    list(pool.decode_in_order(sys.argv[1:], str, RECIPE, in_flight=4))
    os.kill(os.getpid(), signal.SIGTERM)
"""


def test_a_parent_killed_by_sigterm_leaves_no_traceback_from_its_workers(photos, tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(_PARENT_KILLED)
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, str(script), *map(str, photos[:4])],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == -signal.SIGTERM
        assert done.stderr == ""
