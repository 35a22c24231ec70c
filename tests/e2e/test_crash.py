"""A killed process loses no user decision and the next scan resumes: real processes, SIGKILL,
a real SQLite file. Only the public command line and Library are driven, so these tests hold
whatever the scan pipeline looks like inside."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from phototag.core.library import Library
from tests.e2e.conftest import BUSY_WRITER, run_process
from tests.photos import COLOURS, colour_photo

BIG_FOLDER = 1000
KILL_WINDOW = (0.2, 0.8)  # kill once this share of the big folder is embedded


def _small_photos(folder: Path, count: int, first_seed: int) -> list[Path]:
    """Small photos keep a thousand-photo scan fast; each one is different content."""
    folder.mkdir(parents=True)
    names = list(COLOURS)
    paths = []
    for index in range(count):
        path = folder / f"{index:04d}.jpg"
        colour_photo([names[index % 4]], first_seed + index, size=(64, 48)).save(path, quality=80)
        paths.append(path)
    return paths


def _count(database: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql).fetchone()[0]


def _decisions(database: Path) -> set[tuple]:
    """Every example as (label, photo content, polarity): what the user decided."""
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return set(
            conn.execute(
                "SELECT labels.name, images.content_hash, examples.polarity FROM examples "
                "JOIN labels ON labels.id = examples.label_id "
                "JOIN images ON images.id = examples.image_id"
            ).fetchall()
        )


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from phototag.cli.main import main\nmain()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(process: subprocess.Popen, ready, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the scan never reached the kill window"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_a_scan_killed_midway_keeps_every_decision_and_resumes_where_it_stopped(tmp_path):
    small = _small_photos(tmp_path / "first", 12, first_seed=10_000)
    _small_photos(tmp_path / "second", BIG_FOLDER, first_seed=20_000)
    root = tmp_path / "library"
    with Library(root) as library:
        library.add_folder(tmp_path / "first")
        library.scan(model="tiny-random")
        library.tag("red", small[0:12:4])
        library.reject("red", small[1:3])
        library.tag("blue", small[2:12:4])
        library.add_folder(tmp_path / "second")
    database = root / "library.db"
    decided = _decisions(database)
    assert len(decided) == 8
    embedded = "SELECT COUNT(*) FROM embeddings"
    low, high = (12 + int(share * BIG_FOLDER) for share in KILL_WINDOW)

    started = time.monotonic()
    scan = _start("--library", str(root), "scan")
    _kill_when(scan, lambda: low <= _count(database, embedded) <= high)
    killed_after = time.monotonic() - started

    assert scan.returncode == -signal.SIGKILL
    assert _decisions(database) == decided
    done_before = _count(database, embedded)
    assert low <= done_before <= high + 64  # a batch or two may have committed meanwhile
    resumed = run_process("--library", str(root), "scan")
    assert resumed.code == 0, resumed.err
    total = 12 + BIG_FOLDER
    assert resumed.out.startswith(f"{total} files: {total - done_before} embedded"), resumed.out
    assert _count(database, embedded) == total
    assert _decisions(database) == decided
    print(
        f"\ncrash test: {BIG_FOLDER} + 12 photos, SIGKILL after {killed_after:.1f} s with "
        f"{done_before - 12} of {BIG_FOLDER} embedded; the resumed scan embedded "
        f"{total - done_before}, redid 0"
    )


def _positives_after(writes: int, photos: list[str]) -> set[str]:
    """What BUSY_WRITER leaves confirmed after its first `writes` writes."""
    confirmed: set[str] = set()
    for index in range(writes):
        photo = photos[index % len(photos)]
        if (index // len(photos)) % 2:
            confirmed.discard(photo)
        else:
            confirmed.add(photo)
    return confirmed


def _confirmed(library_dir: Path, label: str) -> set[str]:
    with Library(library_dir) as library:
        return {
            p.path
            for p in library.predictions(label)
            if label in p.labels and p.labels[label].confirmed
        }


def _imprints_match_examples(database: Path) -> None:
    """Each label's stored imprint counts exactly its stored positives: written together."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT labels.name, label_weights.n_pos, (SELECT COUNT(*) FROM examples WHERE "
            "examples.label_id = labels.id AND polarity = 1) FROM label_weights "
            "JOIN labels ON labels.id = label_weights.label_id"
        ).fetchall()
    assert all(saved == counted for _, saved, counted in rows), rows


@pytest.mark.parametrize("after_writes", [5, 13])
def test_a_process_killed_while_tagging_leaves_no_half_written_decision(
    library_dir, photo_set, after_writes
):
    _, made = photo_set
    photos = [str(p) for p in made["blue"][:4]]
    writer = subprocess.Popen(
        [sys.executable, "-c", BUSY_WRITER, str(library_dir), *photos],
        stdout=subprocess.PIPE,
        text=True,
    )
    for _ in range(after_writes):
        writer.stdout.readline()
    os.kill(writer.pid, signal.SIGKILL)
    printed = writer.communicate()[0].split()  # the writer may have run ahead of the reading
    last = int(printed[-1]) if printed else after_writes - 1

    assert _decisions(library_dir / "library.db") is not None  # integrity_check is ok
    _imprints_match_examples(library_dir / "library.db")
    confirmed = _confirmed(library_dir, "busy")
    # The kill may land before or after the commit of the write under way.
    possible = [_positives_after(n, photos) for n in (last + 1, last + 2)]
    assert confirmed in possible


# The command line's share of a GUI + CLI session: every kind of write, one process each.
def _cli_writes(made: dict) -> list[list[str]]:
    writes = [["tag", "shared", str(path)] for path in made["blue"][:3]]
    writes += [["labels", "add", "app"]]  # a rejection never creates a label
    writes += [["reject", "app", str(path)] for path in made["green"][:2]]
    writes += [["labels", "add", f"from the cli {i}"] for i in range(2)]
    return writes


APP_WRITER = """
import os, sys, time
from phototag.core.library import Library
library = Library(sys.argv[1])
stop, photos = sys.argv[2], sys.argv[3:]
index = 0
while index < len(photos) or not os.path.exists(stop):
    library.tag("app" if index % 2 else "shared", [photos[index % len(photos)]])
    print(index, flush=True)
    index += 1
    time.sleep(0.1)
"""


def test_the_app_and_the_command_line_write_at_once_without_losing_anything(
    library_dir, photo_set, tmp_path
):
    _, made = photo_set
    app_photos = [str(p) for p in made["red"] + made["yellow"]]
    stop = tmp_path / "stop"
    app = subprocess.Popen(
        [sys.executable, "-c", APP_WRITER, str(library_dir), str(stop), *app_photos],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert app.stdout.readline() == "0\n"
    results = [run_process("--library", str(library_dir), *w) for w in _cli_writes(made)]
    stop.touch()
    _, app_err = app.communicate(timeout=120)

    assert app.returncode == 0, app_err
    assert "locked" not in app_err
    for result in results:
        assert result.code == 0, result.err
        assert "locked" not in result.err
    with Library(library_dir) as library:
        labels = {info.name: info for info in library.labels()}
    assert set(labels) == {"app", "shared", "from the cli 0", "from the cli 1"}
    half = len(app_photos) // 2
    assert (labels["app"].confirmed, labels["app"].rejected) == (half, 2)
    assert labels["shared"].confirmed == half + 3
    _imprints_match_examples(library_dir / "library.db")
