"""Files written whole or not at all: exports, thumbnails and the tiny model's weights are read
by other processes (and threads), which must see the old file or the new one, never half."""

from __future__ import annotations

import fcntl
import glob
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


# Temporary files are named .<target>.phototag-<random>.tmp: recognisably ours, so the leftovers
# of a killed process can be removed without ever touching a file of the user's.
_MARK = "phototag-"
_SUFFIX = ".tmp"
# What SQLite may have put beside a temporary database file.
_COMPANIONS = ("-journal", "-wal", "-shm")


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside target to write to; it replaces target when the block succeeds
    and is removed when it fails. Being in the same folder makes the rename atomic. A target
    that is not a regular file is refused before anything is written (NotAFile).

    The temporary file is locked (flock) until it is renamed or removed, so
    remove_stale_temporaries() can tell a live one from the leftover of a killed process."""
    require_regular_or_absent(target)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.{_MARK}", suffix=_SUFFIX
    )
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield Path(temporary)
        os.replace(temporary, target)
    except BaseException:
        _remove_with_companions(Path(temporary))
        raise
    finally:
        os.close(handle)


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove what a killed replacing() of target left beside it (its temporary file and any
    SQLite journal of it); returns what was removed. Only names of replacing()'s own pattern
    are considered, and a temporary file still locked by a live process is left alone."""
    pattern = f".{glob.escape(target.name)}.{_MARK}*{_SUFFIX}"
    removed: list[Path] = []
    for temporary in target.parent.glob(pattern):
        if _is_unlocked_file(temporary):
            removed += _remove_with_companions(temporary)
    return removed


def _is_unlocked_file(path: Path) -> bool:
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return False
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(handle)
    return True


def _remove_with_companions(temporary: Path) -> list[Path]:
    removed = []
    for path in (temporary, *(Path(f"{temporary}{tail}") for tail in _COMPANIONS)):
        if os.path.lexists(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
