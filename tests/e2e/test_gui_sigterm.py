"""The app on SIGTERM (a session ending, `kill`), as a real process under Qt's offscreen
platform: it quits as the Quit menu does, with exit status 0, while its watcher's decode
workers are running, and no process it started prints a traceback (a worker's EOFError used
to reach stderr)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from phototag.core.library import Library
from tests.core.ingest.test_decode_pool import decode_workers
from tests.e2e.test_scan_resume import alive
from tests.photos import write_photo

CLI = "from phototag.cli.main import main\nmain()"


def test_sigterm_quits_the_app_with_status_0_and_no_traceback(tmp_path):
    folder, root = tmp_path / "photos", tmp_path / "library"
    for index in range(4):
        write_photo(folder / f"{index}.jpg", ["red"], seed=index)
    with Library(root) as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
    for index in range(12):  # the window's watcher takes these in when it starts
        write_photo(folder / f"new_{index}.jpg", ["blue"], seed=100 + index)
    app = subprocess.Popen(
        [sys.executable, "-c", CLI, "--library", str(root), "gui"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        deadline = time.monotonic() + 180
        while not (workers := decode_workers(app.pid)):
            assert app.poll() is None, app.communicate()
            assert time.monotonic() < deadline, "the app started no decode worker"
            time.sleep(0.05)
        app.send_signal(signal.SIGTERM)
        _, errors = app.communicate(timeout=120)
    finally:
        app.kill()
    assert app.returncode == 0, errors
    assert "Traceback" not in errors
    assert "Error" not in errors
    assert not [pid for pid in workers if alive(pid)]
