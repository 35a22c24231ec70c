"""Drive the real `phototag` entry point: in-process for speed, as a subprocess where the
process itself is under test (exit codes, network, terminals)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from phototag.cli.main import main

# The app's way of writing: the Library API, tagging and untagging in a loop, one line per write.
BUSY_WRITER = """
import sys
from phototag.core.library import Library
library = Library(sys.argv[1])
photos = sys.argv[2:]
for index in range(100000):
    photo = photos[index % len(photos)]
    if (index // len(photos)) % 2:
        library.untag("busy", [photo])
    else:
        library.tag("busy", [photo])
    print(index, flush=True)
"""


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def phototag(capsys, library_dir):
    """Run `phototag --library <private copy of the scanned library> ARGS...` in-process."""

    def run(*args: str, library: object = library_dir) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as stopped:
            main(["--library", str(library), *map(str, args)])
        captured = capsys.readouterr()
        return Result(int(stopped.value.code or 0), captured.out, captured.err)

    return run


def run_process(*args: str, env: dict | None = None, prelude: str = "") -> Result:
    """`phototag ARGS...` as its own Python process; prelude runs before the CLI starts."""
    code = f"{prelude}\nfrom phototag.cli.main import main\nmain()"
    completed = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)
