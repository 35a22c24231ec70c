"""The watcher against real observers on temporary folders, the tiny model and a real SQLite file.

Every assertion about the library polls its final state with a timeout: the watcher works on its
own thread and the file system's events arrive when they arrive.
"""

from __future__ import annotations

import errno
import hashlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlite_utils
from watchdog.observers import Observer

from phototag.cli.main import main
from phototag.core.ingest import watch as watching
from phototag.core.ingest.scan import BATCH_SIZE
from phototag.core.ingest.watch import POLLING, UNAVAILABLE, WATCHING, Batch, Watcher, describe
from phototag.core.library import Library
from phototag.core.model.onnx_encoder import EncoderBase
from phototag.core.store.database import DB_NAME, MIGRATIONS
from tests.photos import colour_photo, write_photo
from tests.privacy import DENY_NETWORK, NETWORK_ATTEMPT

CLI = "from phototag.cli.main import main; main()"
FAST = {"settle_seconds": 0.2, "folder_check_seconds": 0.3, "poll_seconds": 0.3}
# Deadlines that only bound a hang: a loaded machine may be slow, never this slow.
HANG_SECONDS = 120


def wait_until(predicate, timeout: float = 20.0, what: str = "the library to catch up"):
    """Poll until predicate() is truthy; its value is returned, or the test fails."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def files(library: Library) -> dict[str, dict]:
    return {r["path"]: r for r in library.store.query("SELECT * FROM files ORDER BY path")}


def present(library: Library, path: Path) -> dict | None:
    """The file's row once it is in the library with an embedding, else None."""
    rows = library.store.query(
        "SELECT files.* FROM files JOIN embeddings ON embeddings.image_id = files.image_id "
        "WHERE files.path = ? AND files.status = 'ok'",
        (str(path),),
    )
    return rows[0] if rows else None


def embeddings(library: Library) -> int:
    return library.store.scalar("SELECT COUNT(*) FROM embeddings")


def confirmed(library: Library, path: Path) -> set[str]:
    return {
        name
        for p in library.predictions()
        if p.path == str(path)
        for name, score in p.labels.items()
        if score.confirmed
    }


@pytest.fixture
def folder(tmp_path) -> Path:
    photos = tmp_path / "photos"
    for index in range(3):
        write_photo(photos / f"red_{index}.jpg", ["red"], seed=index)
    write_photo(photos / "album" / "blue_0.jpg", ["blue"], seed=10)
    write_photo(photos / "album" / "blue_1.jpg", ["blue"], seed=11)
    return photos


@pytest.fixture
def library(tmp_path, folder):
    opened = Library(tmp_path / "library")
    opened.add_folder(folder)
    opened.scan(model="tiny-random")
    yield opened
    opened.close()


@pytest.fixture
def watcher(library):
    """Start a watcher on the library (keyword arguments tune it) and wait for its start-up
    reconcile; it is stopped, and must have stopped cleanly, when the test ends."""
    started: list[Watcher] = []

    def start(**options) -> tuple[Watcher, list]:
        events: list = []
        running = Watcher(library.root, on_event=events.append, **{**FAST, **options})
        started.append(running)
        running.start()
        wait_until(lambda: any(isinstance(e, Batch) for e in events), what="the start-up batch")
        return running, events

    yield start
    for running in started:
        running.stop(timeout=30)
        assert not running.running
        assert running.error is None


def test_a_new_photo_is_embedded_with_the_default_settle_time(library, folder, watcher):
    watcher(settle_seconds=watching.SETTLE_SECONDS)
    write_photo(folder / "new.jpg", ["green"], seed=50)
    wait_until(lambda: present(library, folder / "new.jpg"), timeout=HANG_SECONDS)


def test_a_changed_photo_is_embedded_again(library, folder, watcher):
    before = files(library)[str(folder / "red_0.jpg")]["image_id"]
    watcher()
    write_photo(folder / "red_0.jpg", ["yellow"], seed=77)
    row = wait_until(
        lambda: (r := present(library, folder / "red_0.jpg")) and r["image_id"] != before and r
    )
    assert row["size"] == (folder / "red_0.jpg").stat().st_size


def test_a_renamed_photo_keeps_its_identity_and_tags_without_re_embedding(library, folder, watcher):
    library.tag("red", [folder / "red_0.jpg"])
    image = files(library)[str(folder / "red_0.jpg")]["image_id"]
    count = embeddings(library)
    _, events = watcher()

    (folder / "red_0.jpg").rename(folder / "renamed.jpg")

    wait_until(lambda: str(folder / "red_0.jpg") not in files(library))
    assert present(library, folder / "renamed.jpg")["image_id"] == image
    assert confirmed(library, folder / "renamed.jpg") == {"red"}
    assert embeddings(library) == count
    assert library.status().missing == 0
    assert "1 moved" in [describe(e.report) for e in events if isinstance(e, Batch)]


def test_a_folder_moved_within_and_a_photo_moved_across_folders_keep_their_tags(
    library, folder, tmp_path, watcher
):
    other = tmp_path / "other"
    other.mkdir()
    library.add_folder(other)
    library.tag("blue", [folder / "album"])
    library.tag("red", [folder / "red_1.jpg"])
    before = files(library)
    count = embeddings(library)
    watcher()

    (folder / "album").rename(folder / "album 2023")
    shutil.move(folder / "red_1.jpg", other / "red_1.jpg")

    moved = {
        folder / "album" / "blue_0.jpg": folder / "album 2023" / "blue_0.jpg",
        folder / "album" / "blue_1.jpg": folder / "album 2023" / "blue_1.jpg",
        folder / "red_1.jpg": other / "red_1.jpg",
    }
    wait_until(lambda: not any(str(old) in files(library) for old in moved))
    for old, new in moved.items():
        assert present(library, new)["image_id"] == before[str(old)]["image_id"]
    assert confirmed(library, other / "red_1.jpg") == {"red"}
    assert confirmed(library, folder / "album 2023" / "blue_0.jpg") == {"blue"}
    assert embeddings(library) == count
    assert library.status().missing == 0


def test_a_deleted_photo_is_missing_and_keeps_its_examples_until_purged(library, folder, watcher):
    library.tag("red", [folder / "red_0.jpg", folder / "red_1.jpg"])
    watcher()

    (folder / "red_0.jpg").unlink()

    wait_until(lambda: files(library)[str(folder / "red_0.jpg")]["status"] == "missing")
    red = next(info for info in library.labels() if info.name == "red")
    assert (red.confirmed, red.missing_confirmed) == (1, 1)

    purged = library.purge()

    assert (purged.files, purged.photos, purged.examples) == ([str(folder / "red_0.jpg")], 1, 1)
    assert library.status().missing == 0
    assert next(info for info in library.labels() if info.name == "red").confirmed == 1


def test_a_burst_of_500_copies_is_embedded_in_batches(
    library, folder, tmp_path, watcher, monkeypatch
):
    calls: list[int] = []
    encode = EncoderBase.encode_crops

    def counted(self, crops, projection=None):
        calls.append(len(crops))
        return encode(self, crops, projection)

    monkeypatch.setattr(EncoderBase, "encode_crops", counted)
    staging = tmp_path / "camera"
    staging.mkdir()
    for index in range(500):
        colour_photo(["green"], seed=1000 + index, size=(64, 48)).save(staging / f"{index}.jpg")
    watcher()

    (folder / "burst").mkdir()
    for source in sorted(staging.iterdir()):
        shutil.copy(source, folder / "burst")

    wait_until(
        lambda: (
            library.store.scalar(
                "SELECT COUNT(*) FROM files JOIN embeddings USING (image_id) "
                "WHERE path LIKE ? AND status = 'ok'",
                (f"{folder / 'burst'}/%",),
            )
            == 500
        ),
        timeout=60,
    )
    embedded = [n for n in calls if n]
    assert sum(embedded) == 500
    assert max(embedded) == BATCH_SIZE
    assert len(embedded) <= 500 / 4


def test_a_file_still_being_written_waits_until_it_is_complete(library, folder, tmp_path, watcher):
    _, events = watcher()
    source = write_photo(tmp_path / "download.jpg", ["yellow"], seed=5, quality=95)
    data = source.read_bytes()
    target = folder / "slow.jpg"
    with target.open("wb") as out:
        for start in range(0, len(data), len(data) // 20 + 1):
            out.write(data[start : start + len(data) // 20 + 1])
            out.flush()
            time.sleep(0.1)

    row = wait_until(lambda: present(library, target))
    digest = library.store.scalar(
        "SELECT content_hash FROM images WHERE id = ?", (row["image_id"],)
    )
    assert digest == hashlib.sha256(data).hexdigest()
    assert library.store.scalar("SELECT COUNT(*) FROM images") == 6
    unreadable = [path for e in events if isinstance(e, Batch) for path, _ in e.report.unreadable]
    assert str(target) not in unreadable


def test_a_folder_that_disappears_is_paused_and_resumes_when_it_returns(
    library, folder, tmp_path, watcher
):
    running, _ = watcher()
    before = {p: r["image_id"] for p, r in files(library).items()}
    unplugged = tmp_path / "unplugged"

    folder.rename(unplugged)
    wait_until(lambda: running.statuses()[str(folder)].state == UNAVAILABLE)
    write_photo(unplugged / "while_away.jpg", ["green"], seed=60)
    (unplugged / "red_2.jpg").unlink()
    assert all(row["status"] == "ok" for row in files(library).values())
    unplugged.rename(folder)

    # The reconcile commits the new photo's embedding before it marks the gone one missing:
    # wait for both, not for the first.
    wait_until(
        lambda: (
            present(library, folder / "while_away.jpg")
            and files(library)[str(folder / "red_2.jpg")]["status"] == "missing"
        )
    )
    assert running.statuses()[str(folder)].state == WATCHING
    now = files(library)
    for path, image in before.items():
        if path != str(folder / "red_2.jpg"):
            assert (now[path]["status"], now[path]["image_id"]) == ("ok", image)


def test_changes_made_while_nothing_watched_are_reconciled_at_start(library, folder, watcher):
    library.tag("red", [folder / "red_0.jpg"])
    (folder / "red_0.jpg").rename(folder / "album" / "red_moved.jpg")
    (folder / "red_1.jpg").unlink()
    write_photo(folder / "offline.jpg", ["yellow"], seed=70)

    watcher()

    assert present(library, folder / "offline.jpg")
    assert confirmed(library, folder / "album" / "red_moved.jpg") == {"red"}
    assert files(library)[str(folder / "red_1.jpg")]["status"] == "missing"
    assert str(folder / "red_0.jpg") not in files(library)


def test_hidden_partial_and_other_files_are_ignored(library, folder, watcher):
    watcher()
    for name in (".hidden.jpg", "a.jpg.part", "b.jpg.crdownload", "c.jpg~", "d.tmp", "e.xmp"):
        (folder / name).write_bytes(b"not yet a photo")
    write_photo(folder / ".thumbnails" / "t.jpg", ["red"], seed=80)
    write_photo(folder / "real.jpg", ["blue"], seed=81)

    # Written last, so by the time it is in, anything let through would be in too.
    wait_until(lambda: present(library, folder / "real.jpg"))
    assert sorted(Path(p).name for p in files(library)) == sorted(
        ["red_0.jpg", "red_1.jpg", "red_2.jpg", "blue_0.jpg", "blue_1.jpg", "real.jpg"]
    )


def test_a_library_kept_inside_a_watched_folder_ignores_its_own_files(folder):
    inside = folder / "Phototag Library"
    write_photo(inside / "cache" / "thumbnails" / "old.jpg", ["red"], seed=82)
    with Library(inside) as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
        running = Watcher(library.root, **FAST)
        running.start()
        try:
            write_photo(inside / "cache" / "thumbnails" / "new.jpg", ["red"], seed=83)
            write_photo(folder / "real.jpg", ["blue"], seed=84)
            wait_until(lambda: present(library, folder / "real.jpg"))
        finally:
            running.stop(timeout=30)
        assert not any(path.startswith(str(inside)) for path in files(library))


def test_a_polled_folder_is_followed_without_system_events(library, folder, watcher):
    library.set_polling(folder, True)
    running, _ = watcher()
    assert running.statuses()[str(folder)].state == POLLING

    write_photo(folder / "from_the_share.jpg", ["green"], seed=90)

    wait_until(lambda: present(library, folder / "from_the_share.jpg"))


def test_a_folder_without_system_events_falls_back_to_polling(
    library, folder, watcher, monkeypatch
):
    class Exhausted(Observer):
        def schedule(self, *args, **kwargs):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watching, "Observer", Exhausted)
    running, _ = watcher()
    status = running.statuses()[str(folder)]
    assert status.state == POLLING
    assert "inotify watch limit reached" in status.detail

    write_photo(folder / "still_seen.jpg", ["green"], seed=91)

    wait_until(lambda: present(library, folder / "still_seen.jpg"))


def test_a_folder_added_while_watching_is_scanned_and_followed(library, tmp_path, watcher):
    watcher()
    card = tmp_path / "card"
    write_photo(card / "dsc_0001.jpg", ["red"], seed=95)

    library.add_folder(card)

    wait_until(lambda: present(library, card / "dsc_0001.jpg"))
    write_photo(card / "dsc_0002.jpg", ["red"], seed=96)
    wait_until(lambda: present(library, card / "dsc_0002.jpg"))


def _counting(watcher: Watcher, method: str) -> list[None]:
    """Wrap one of the watcher's methods to record each call, then run it as before."""
    calls: list[None] = []
    real = getattr(watcher, method)

    def counted(*args, **kwargs):
        calls.append(None)
        return real(*args, **kwargs)

    setattr(watcher, method, counted)
    return calls


def test_an_idle_watcher_sleeps_from_one_folder_check_to_the_next(
    library, folder, tmp_path, watcher
):
    gone = tmp_path / "unplugged"
    gone.mkdir()
    library.add_folder(gone)
    gone.rmdir()
    running, _ = watcher()
    wait_until(lambda: running.statuses()[str(gone)].state == UNAVAILABLE)
    write_photo(folder / "last.jpg", ["green"], seed=51)  # events have come and gone
    wait_until(lambda: present(library, folder / "last.jpg"), timeout=HANG_SECONDS)

    # Count the watcher loop's rounds (each takes the queued events) against its folder checks:
    # with nothing to do it must sleep from one check to the next, not spin. The wrappers only
    # count; the real methods run.
    rounds = _counting(running, "_take_entries")
    checks = _counting(running, "_follow_folders")
    wait_until(lambda: len(checks) >= 10, timeout=HANG_SECONDS, what="ten folder checks")

    assert len(rounds) <= len(checks) + 2, (len(rounds), len(checks))


# ----- the scan's side of an unplugged drive ---------------------------------------------------


def test_a_scan_leaves_a_vanished_folder_as_it_was(library, folder, tmp_path):
    folder.rename(tmp_path / "elsewhere")

    report = library.scan()

    assert [path for path, _ in report.unavailable] == [str(folder)]
    assert report.missing == 0
    assert library.status().missing == 0
    assert all(row["status"] == "ok" for row in files(library).values())


def test_a_scan_takes_an_empty_mount_point_for_an_unplugged_drive(library, folder):
    shutil.rmtree(folder)
    folder.mkdir()

    report = library.scan()

    assert "empty" in dict(report.unavailable)[str(folder)]
    assert library.status().missing == 0


def test_libraries_from_before_watching_get_the_polling_column(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("INSERT INTO folders(path, added_at) VALUES ('/photos', 'then')")
    conn.execute("PRAGMA user_version = 1")
    conn.close()

    with Library(tmp_path) as upgraded:
        assert upgraded.watched_folders() == {"/photos": False}


# ----- the command line ------------------------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main([str(a) for a in args])
    return int(stopped.value.code or 0), capsys.readouterr().out


def test_folders_add_poll_marks_a_folder_for_polling(library, tmp_path, capsys):
    share = tmp_path / "share"
    share.mkdir()
    code, out = run_cli(capsys, "--library", library.root, "folders", "add", share, "--poll")
    assert (code, out.strip()) == (0, f"added: {share} (watched by polling)")
    assert library.watched_folders()[str(share)] is True


def test_purge_lists_then_removes_missing_photos_with_their_examples(library, folder, capsys):
    library.tag("red", [folder / "red_0.jpg"])
    (folder / "red_0.jpg").unlink()
    library.scan()

    code, out = run_cli(capsys, "--library", library.root, "purge", "--dry-run")
    assert code == 0
    assert out.splitlines() == [
        str(folder / "red_0.jpg"),
        "would remove 1 missing files, 1 photos and 1 examples",
    ]
    assert library.status().missing == 1

    code, out = run_cli(capsys, "--library", library.root, "purge")
    assert (code, out.strip()) == (0, "removed 1 missing files, 1 photos and 1 examples")
    assert library.status().missing == 0


def test_phototag_watch_stops_cleanly_on_sigterm_loses_nothing_and_stays_offline(library, folder):
    library.tag("red", [folder / "red_0.jpg"])
    process = subprocess.Popen(
        [sys.executable, "-c", f"{DENY_NETWORK}\n{CLI}", "--library", str(library.root), "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []

    def read_lines() -> None:
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    try:
        wait_until(lambda: f"watching: {folder}\n" in lines, timeout=60, what="the watch to start")
        for index in range(3):
            write_photo(folder / f"live_{index}.jpg", ["green"], seed=200 + index)
        wait_until(lambda: all(present(library, folder / f"live_{i}.jpg") for i in range(3)))
        write_photo(folder / "at_the_last_moment.jpg", ["blue"], seed=210)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        process.kill()
    reader.join(timeout=10)

    errors = process.stderr.read()
    assert code == 0, errors
    assert "Traceback" not in errors
    assert NETWORK_ATTEMPT not in errors
    assert any(line.startswith("+") and "new" in line for line in lines)
    assert library.store.scalar("PRAGMA integrity_check") == "ok"
    assert confirmed(library, folder / "red_0.jpg") == {"red"}
    library.ingest_paths([folder])  # the next start's reconcile
    for name in ("live_0.jpg", "live_1.jpg", "live_2.jpg", "at_the_last_moment.jpg"):
        assert present(library, folder / name)
    assert library.status().missing == 0
