"""No silent waits: on a terminal, the model's one-time conversion before the first photo says
what it does and how far it is; the next scan, with the conversion cached, says nothing of it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys


def _scan_on_a_terminal(library: str, env: dict) -> str:
    """stderr of `phototag scan` when it is a real terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from phototag.cli.main import main\nmain()",
            "--library",
            library,
            "scan",
            "--model",
            "tiny-random",
        ],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=300) == 0
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_the_first_scan_names_the_conversion_steps_and_the_second_is_quiet(tmp_path, photo_set):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}  # no converted model yet
    library = str(tmp_path / "library")
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "phototag.cli.main",
            "--library",
            library,
            "folders",
            "add",
            str(photo_set[0]),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    first = _scan_on_a_terminal(library, env)
    assert "converting the image model for this computer (once)... (step 1 of 2)" in first
    assert "converting the text model for this computer (once)... (step 2 of 2)" in first

    second = _scan_on_a_terminal(library, env)
    assert "converting" not in second
