"""The library lock: every process that opens a library holds it shared; `restore` holds it
exclusively while it swaps the database file.

SQLite's own locks cannot cover a restore: they live on the database file, and a restore
replaces that file. A process that opened the old file just before the swap would write to a
file nobody reads again (a `tag` started during a `restore` printed "1 photos confirmed" and
the decision was in neither the restored database nor the before-restore copy), and one that
opened it during the swap failed with "attempt to write a readonly database" (42 of 100 raced
runs). So the lock is a file of its own beside the database, library.lock, which no restore
replaces: a restore is refused while any process holds it, and a process starting during a
restore waits for it to finish and then opens the restored database.

flock() locks are released by the kernel when their holder dies, so a killed process never
leaves the library locked. A library folder that cannot hold the lock file (read-only) cannot
be restored into either, so it is opened without one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path

from phototag.core.errors import EnvironmentProblem, UserError

LOCK_NAME = "library.lock"
# How long an opening process waits for a restore to finish: a restore holds the lock while it
# copies the current database aside and renames the new one in (about a second for 100 MB).
WAIT_FOR_RESTORE_S = 30.0
_POLL_S = 0.01

IN_USE = (
    "the library is open in another Phototag process (the app or 'phototag watch'); "
    "close it and try again"
)
RESTORING = (
    "the library at {root} is being restored by another process and the restore did not "
    "finish within {seconds:.0f} s; try again when it has"
)
_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)


class LibraryLock:
    """One hold on a library's lock file (shared or exclusive); release() lets it go."""

    def __init__(self, handle: int | None):
        self._handle = handle

    @classmethod
    def shared(cls, root: Path) -> LibraryLock:
        """Held by every open library: waits while a restore runs, then lets this one in."""
        handle = _open_lock_file(root)
        if handle is None:
            return cls(None)
        deadline = time.monotonic() + WAIT_FOR_RESTORE_S
        while not _try_flock(handle, fcntl.LOCK_SH):
            if time.monotonic() > deadline:
                os.close(handle)
                raise EnvironmentProblem(RESTORING.format(root=root, seconds=WAIT_FOR_RESTORE_S))
            time.sleep(_POLL_S)
        return cls(handle)

    @classmethod
    def exclusive(cls, root: Path) -> LibraryLock:
        """Held by a restore: refused at once while any other process has the library open."""
        handle = _open_lock_file(root)
        if handle is not None and not _try_flock(handle, fcntl.LOCK_EX):
            os.close(handle)
            raise UserError(IN_USE)
        return cls(handle)

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None

    def __enter__(self) -> LibraryLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def _open_lock_file(root: Path) -> int | None:
    """The lock file's descriptor (created 0600), or None where it cannot exist (read-only)."""
    path = root / LOCK_NAME
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno not in _READ_ONLY:
            raise
    try:
        return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in _READ_ONLY:
            return None
        raise


def _try_flock(handle: int, kind: int) -> bool:
    try:
        fcntl.flock(handle, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
