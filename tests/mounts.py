"""Real file-system faults for tests: a small tmpfs mounted for one test, filled to the last
byte or remounted read-only. Mounting needs root (CI runs as root); elsewhere the test is
skipped, saying why."""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*arguments: str) -> None:
    done = subprocess.run(["mount", *arguments], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")


@contextmanager
def tmpfs(mount_point: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of `size` at mount_point for the block; unmounted afterwards."""
    mount_point.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point))
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def remount_read_only(mount_point: Path) -> None:
    _mount("-o", "remount,ro", str(mount_point))


def fill(folder: Path, name: str = "filler") -> Path:
    """Write into folder until its file system has no byte left (ENOSPC); the filler's path."""
    filler = folder / name
    chunk = b"\0" * 4096
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler
