"""A `phototag scan` killed outright keeps every committed batch; the next scan does the rest."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from phototag.core.library import Library
from phototag.core.store.database import DB_NAME
from tests.photos import write_photo

PHOTOS = 400


def embedded(library: Path) -> int:
    with sqlite3.connect(library / DB_NAME, timeout=10) as conn:
        return conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid
            ):
                found.add(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_killed_scan_resumes_where_its_last_batch_was_committed(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    library = tmp_path / "library"
    with Library(library) as opened:
        opened.add_folder(photos)
        opened.scan(model="tiny-random")  # makes the model file and its ONNX export
    for index in range(PHOTOS):
        write_photo(photos / f"{index:03d}.jpg", [("red", "green", "blue")[index % 3]], index)

    command = ["--library", str(library), "scan", "--model", "tiny-random"]
    scan = subprocess.Popen(
        [sys.executable, "-c", "from phototag.cli.main import main; main()", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: embedded(library) >= 16)
        workers = children(scan.pid)
        scan.send_signal(signal.SIGKILL)
    finally:
        scan.wait()
    committed = embedded(library)
    assert committed < PHOTOS, "the scan finished before it could be killed"
    assert workers
    wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10)

    with Library(library) as opened:
        report = opened.scan(model="tiny-random")
    assert (report.files, report.embedded, report.unchanged) == (
        PHOTOS,
        PHOTOS - committed,
        committed,
    )
    assert embedded(library) == PHOTOS
