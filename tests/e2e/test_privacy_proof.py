"""The privacy proof in one story: every command a user runs on their photos, each as its own
process in which any attempt to reach the network is blocked and recorded, ends with zero
attempts. A positive control shows that the same guard does catch an attempt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.e2e.conftest import run_process
from tests.photos import write_photo
from tests.privacy import DENY_NETWORK, NETWORK_ATTEMPT, drop_photo_into_watch

CLI = "\nfrom phototag.cli.main import main\nmain()"


EVAL_QUICK = ("--model", "tiny-random", "--shots", "1", "--seeds", "1", "--method", "mwi")


def _guarded(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DENY_NETWORK + CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        **popen,
    )


def _stop(process: subprocess.Popen, sig: int) -> tuple[str, str]:
    process.send_signal(sig)
    return process.communicate(timeout=60)


def test_the_guard_catches_a_connection_attempt():
    attempt = (
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "except PermissionError:\n    print('blocked')\n"
        "try:\n    socket.getaddrinfo('example.invalid', 80)\n"
        "except PermissionError:\n    print('blocked')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", DENY_NETWORK + attempt], capture_output=True, text=True
    )
    assert completed.stdout.split() == ["blocked", "blocked"]
    assert completed.stderr.count(NETWORK_ATTEMPT) == 2


def test_every_command_but_download_and_the_app_attempt_no_connection(tmp_path):
    photos = tmp_path / "photos"
    for index in range(3):
        write_photo(photos / f"r{index}.jpg", ["red"], seed=index)
        write_photo(photos / f"b{index}.jpg", ["blue"], seed=50 + index)
    for label in ("red", "blue"):
        for index in range(3):
            write_photo(tmp_path / "dataset" / label / f"{index}.jpg", [label], seed=index)
    root = tmp_path / "library"
    library = ["--library", str(root)]
    commands = [
        ["folders", "add", str(photos)],
        ["scan", "--model", "tiny-random"],
        ["tag", "red", str(photos / "r0.jpg"), str(photos / "r1.jpg")],
        ["reject", "red", str(photos / "b0.jpg")],
        ["predict", "--json"],
        ["export", "--format", "csv", str(tmp_path / "out.csv")],
        ["export", "--format", "json", str(tmp_path / "out.json")],
        ["export", "--format", "xmp"],
        ["import-keywords"],
        ["refine"],
        ["eval", str(tmp_path / "dataset"), "--out", str(tmp_path / "eval"), *EVAL_QUICK],
        ["labels", "export-pack", "red", str(tmp_path / "red.json")],
        ["labels", "import-pack", str(tmp_path / "red.json"), "--name", "red again"],
        ["backup", str(tmp_path / "backup.db")],
        ["status", "--json"],
    ]
    for command in commands:
        result = run_process(*library, *command, prelude=DENY_NETWORK)
        assert NETWORK_ATTEMPT not in result.err, (command, result.err)
        assert result.code == 0, (command, result.err)

    watch = _guarded(*library, "watch")
    drop_photo_into_watch(watch, photos, root / "library.db", deadline_s=120)
    _, err = _stop(watch, signal.SIGTERM)
    assert NETWORK_ATTEMPT not in err, err
    assert watch.returncode == 0, err

    app = _guarded(*library, "gui")
    time.sleep(8)  # the window opens, checks weights, starts its watcher and thumbnails
    assert app.poll() is None, app.communicate()
    _, err = _stop(app, signal.SIGTERM)
    assert NETWORK_ATTEMPT not in err, err
