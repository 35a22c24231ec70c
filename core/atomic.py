"""Files written whole or not at all: exports, thumbnails and the tiny model's weights are read
by other processes (and threads), which must see the old file or the new one, never half."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from phototag.core.errors import UserError


class NotAFile(UserError):
    """The path to write names something that must not be replaced: a symbolic link (whose
    target would silently stay as it was while the link became a file), a FIFO, a device or
    a folder. As root, `export /dev/full` used to replace the device node itself."""


def require_regular_or_absent(path: Path) -> None:
    """Raise NotAFile unless path is absent or a regular file (not followed if a link)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise NotAFile(f"{path} is a symbolic link: give the path of the file itself")
    if not stat.S_ISREG(mode):
        raise NotAFile(f"{path} is not a regular file ({file_kind(mode)}): give a file's path")


def file_kind(mode: int) -> str:
    """What a stat mode that is not a regular file's names: 'a FIFO', 'a character device'..."""
    kinds = [
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a file")


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside target to write to; it replaces target when the block succeeds
    and is removed when it fails. Being in the same folder makes the rename atomic. A target
    that is not a regular file is refused before anything is written (NotAFile)."""
    require_regular_or_absent(target)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
