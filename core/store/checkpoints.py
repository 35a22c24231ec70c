"""Committed writes reach library.db itself within a second, not only its write-ahead log.

SQLite copies the WAL into the database file (a checkpoint) only every 1,000 pages or when the
last connection closes. A process that stays open (`phototag watch`, the app) would keep a
decision in library.db-wal alone for hours: a copy of library.db alone (a file-level backup of
a running app) would not have it, nor would a database whose -wal went missing.

So each Store checkpoints after its commits: at once when its last checkpoint is a second old
or more, else once a timer has made it so. A passive checkpoint (it never waits for a reader or
a writer) took 12 ms median after a `tag` on this machine (the fsync; load average 19) and
0.05 ms with nothing to copy; at most one a second, a scan's thousands of small commits pay it
once a second. The timer checkpoints through a connection of its own, opened only for it (a
sqlite3 connection is not for two threads at once); a checkpoint on any connection copies every
process's commits. Closing the Store does a pending one at once, so a command that exits right
after a write, while the app keeps the library open, leaves nothing in the WAL alone.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing, suppress
from pathlib import Path

CHECKPOINT_SECONDS = 1.0
_CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"


def checkpoint(conn: sqlite3.Connection) -> None:
    """A checkpoint comes after a commit, so it never fails the write: one that cannot run now
    (another connection is checkpointing, this one is mid-statement) is left for the next."""
    with suppress(sqlite3.OperationalError):
        conn.execute(_CHECKPOINT).fetchone()


class Checkpoints:
    """When one Store's commits are copied into the database file (see the module doc)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, still_ours: Callable[[], bool]):
        self._path = path
        self._conn = conn
        self._still_ours = still_ours
        self._lock = threading.Lock()
        self._last = -CHECKPOINT_SECONDS
        self._timer: threading.Timer | None = None

    def committed(self) -> None:
        """Called after each commit, on the Store's own thread."""
        with self._lock:
            if self._timer is not None:
                return
            wait = self._last + CHECKPOINT_SECONDS - time.monotonic()
            if wait > 0:
                self._timer = threading.Timer(wait, self._on_timer)
                self._timer.daemon = True
                self._timer.name = "phototag-checkpoint"
                self._timer.start()
                return
            self._last = time.monotonic()
        checkpoint(self._conn)

    def close(self) -> None:
        """Before the Store's connection closes: a checkpoint still waiting runs now."""
        with self._lock:
            pending, self._timer = self._timer, None
        if pending is not None:
            pending.cancel()
            checkpoint(self._conn)

    def _on_timer(self) -> None:
        with self._lock:
            if self._timer is None:  # closed meanwhile, which checkpointed
                return
            self._timer = None
            self._last = time.monotonic()
        # mode=rw: a database deleted meanwhile is not created anew; a replaced one is not ours.
        if not self._still_ours():
            return
        with suppress(sqlite3.Error):
            uri = f"{self._path.absolute().as_uri()}?mode=rw"
            with closing(sqlite3.connect(uri, uri=True, timeout=0)) as conn:
                checkpoint(conn)
