"""Keeps a library current while Phototag runs: new, changed, moved and deleted photos flow in
without a rescan.

One Watcher follows every watched folder through the system's change events (watchdog's native
observer), or by polling for folders marked so (network shares deliver no events) and for any
folder whose native watch cannot be set up. Events only name paths; a path waits until it has
settled (the same size and mtime, or the same absence, at two checks half a second apart), so a
file still being copied is never read half-written. Settled paths go through the ingest pipeline
together: a burst of thousands of files becomes a few batches, one encoder call per 32 photos.
Folders are checked every two seconds: one that cannot be read (an unplugged drive) is paused,
never emptied, and is reconciled when it comes back; folders added to or removed from the
library are picked up the same way, and the start is a reconcile of every folder.

The work happens on the watcher's own thread with its own Library (a SQLite connection belongs to
one thread), and what happens is reported through a callback on that thread. No Qt here: the GUI
forwards the callback to its own thread and calls its Library's reload() after a batch.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from phototag.core.ingest import scan as ingest
from phototag.core.ingest.scan import ScanReport
from phototag.core.library import Library

SETTLE_SECONDS = 0.5
FOLDER_CHECK_SECONDS = 2.0
POLL_SECONDS = 3.0
# Paths per ingest call: small enough that a stop request or a status line waits for little.
BATCH_LIMIT = 256

WATCHING = "watching"
POLLING = "polling"
UNAVAILABLE = "unavailable"
REMOVED = "removed"

# Opening and reading a file (our own hashing and decoding among them) is not a change.
_EVENT_TYPES = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileAttribEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]


@dataclass(frozen=True)
class FolderStatus:
    """A folder's state changed: watching (system events), polling, unavailable, or removed
    from the library; detail says why it is unavailable, or why it is polled after all."""

    path: str
    state: str
    detail: str = ""


@dataclass(frozen=True)
class Batch:
    """Settled changes went through the ingest pipeline, or a folder was reconciled."""

    report: ScanReport


@dataclass(frozen=True)
class Stopped:
    """The watcher's thread ended: on request (error None), or because of error."""

    error: BaseException | None


WatchEvent = FolderStatus | Batch | Stopped


def describe(report: ScanReport) -> str:
    """One line for a batch, e.g. '+3 new, 1 moved, 2 missing'; empty when nothing changed."""
    counts = [
        (report.embedded, "+{} new"),
        (report.moved, "{} moved"),
        (report.linked - report.moved, "{} copied"),
        (report.paired, "{} RAW paired with their JPEG"),
        (report.missing, "{} missing"),
        (len(report.unreadable), "{} unreadable"),
        (report.vanished, "{} vanished while read"),
    ]
    return ", ".join(text.format(count) for count, text in counts if count)


class _Stopping(Exception):
    """Raised from the ingest progress callback to end a pass at its last commit."""


class _Inbox(FileSystemEventHandler):
    """Runs on watchdog's threads, so it only filters and queues: an observer never waits for an
    ingest. Entries are (path, expand); expand marks a folder that appeared, whose photos are
    looked up on the watcher's thread."""

    def __init__(
        self, root: str, skip: set[str], entries: queue.SimpleQueue, wake: threading.Event
    ):
        self._root = root
        self._skip = skip
        self._entries = entries
        self._wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileMovedEvent | DirMovedEvent):
            self._put(os.fsdecode(event.src_path), event.is_directory, expand=False)
            self._put(os.fsdecode(event.dest_path), event.is_directory, expand=event.is_directory)
        else:
            appeared = isinstance(event, DirCreatedEvent)
            self._put(os.fsdecode(event.src_path), event.is_directory, expand=appeared)

    def _put(self, path: str, is_dir: bool, expand: bool) -> None:
        if path and ingest.in_scope(path, self._root, self._skip, is_dir):
            self._entries.put((path, expand))
            self._wake.set()


_UNCHECKED = object()


def _signature(path: str) -> object:
    """What a settled path must keep between two checks: size and mtime, or its absence."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return ("error", exc.errno)
    return info.st_size, info.st_mtime_ns


class _Pending:
    """Changed paths waiting to settle. Paths only: a burst of thousands of photos costs a few
    hundred kilobytes here, however large the photos are."""

    def __init__(self) -> None:
        self._last: dict[str, object] = {}

    def __bool__(self) -> bool:
        return bool(self._last)

    def add(self, path: str) -> None:
        """A new event restarts the wait: the file is being written again."""
        self._last[path] = _UNCHECKED

    def settled(self, limit: int) -> list[str]:
        """Up to limit paths unchanged since the previous check; the rest wait for the next."""
        ready: list[str] = []
        for path, last in list(self._last.items()):
            current = _signature(path)
            if current != last:
                self._last[path] = current
                continue
            del self._last[path]
            ready.append(path)
            if len(ready) == limit:
                break
        return ready

    def drop_under(self, folder: str) -> None:
        """A paused folder's changes are left to the reconcile when it comes back."""
        for path in [p for p in self._last if ingest.is_within(p, folder)]:
            del self._last[path]


@dataclass(frozen=True)
class _Watch:
    observer: BaseObserver
    watch: ObservedWatch
    poll: bool


class Watcher:
    """Keeps one library current until stopped; start() and stop() may be called from any
    thread. on_event receives FolderStatus, Batch and Stopped events on the watcher's thread
    and must return quickly without raising."""

    def __init__(
        self,
        library_root: str | Path,
        on_event: Callable[[WatchEvent], None] | None = None,
        *,
        settle_seconds: float = SETTLE_SECONDS,
        folder_check_seconds: float = FOLDER_CHECK_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        batch_limit: int = BATCH_LIMIT,
    ):
        self.library_root = Path(library_root)
        self.error: BaseException | None = None
        self._on_event = on_event or (lambda event: None)
        self._settle_seconds = settle_seconds
        self._folder_check_seconds = folder_check_seconds
        self._batch_limit = batch_limit
        self._native = Observer()
        self._polling = PollingObserver(timeout=poll_seconds)
        self._entries: queue.SimpleQueue = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pending = _Pending()
        self._watches: dict[str, _Watch] = {}
        self._states: dict[str, FolderStatus] = {}
        self._states_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin with a reconcile of every folder (what changed while Phototag was closed)."""
        if self._thread is not None:
            raise RuntimeError("a Watcher can be started once")
        self._thread = threading.Thread(target=self._run, name="phototag-watcher", daemon=True)
        self._thread.start()

    def run(self) -> None:
        """Watch on the calling thread until stop() (from another thread): for a caller that
        runs its background work on threads of its own, like the GUI's task helper. The last
        event is Stopped, as with start()."""
        self._run()

    def stop(self, timeout: float | None = None) -> None:
        """Stop and wait for the thread. The photos in hand are finished and committed; changes
        that had not settled yet are found by the reconcile at the next start."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def statuses(self) -> dict[str, FolderStatus]:
        """Each folder's latest state, for a status bar opened after the events went by."""
        with self._states_lock:
            return dict(self._states)

    # ----- the watcher's thread --------------------------------------------------------------

    def _run(self) -> None:
        library = None
        try:
            self._native.start()
            self._polling.start()
            library = Library(self.library_root)
            self._loop(library)
        except _Stopping:
            pass
        except BaseException as exc:
            self.error = exc
        finally:
            for observer in (self._native, self._polling):
                if observer.is_alive():
                    observer.stop()
                    observer.join()
            if library is not None:
                library.close()
            self._on_event(Stopped(self.error))

    def _loop(self, library: Library) -> None:
        next_folder_check = next_settle_check = 0.0
        while not self._stopping.is_set():
            if time.monotonic() >= next_folder_check:
                self._follow_folders(library)
                next_folder_check = time.monotonic() + self._folder_check_seconds
            self._take_entries()
            if self._pending and time.monotonic() >= next_settle_check:
                ready = self._pending.settled(self._batch_limit)
                next_settle_check = time.monotonic() + self._settle_seconds
                if ready:
                    self._ingest(library, ready)
            self._wait(next_folder_check, next_settle_check)

    def _wait(self, next_folder_check: float, next_settle_check: float) -> None:
        """While paths are settling the wait runs to the next check whatever arrives (events are
        taken then); with nothing pending, the next event or folder check ends it."""
        if self._pending:
            deadline = min(next_folder_check, next_settle_check)
            self._stopping.wait(max(0.0, deadline - time.monotonic()))
        else:
            self._wake.wait(max(0.0, next_folder_check - time.monotonic()))
            self._wake.clear()

    def _take_entries(self) -> None:
        while True:
            try:
                path, expand = self._entries.get_nowait()
            except queue.Empty:
                return
            if not expand:
                self._pending.add(path)
                continue
            # Each photo settles on its own: some may still be being copied into the folder.
            for found in ingest.discover(Path(path), set()):
                if isinstance(found, Path):
                    self._pending.add(str(found))

    def _ingest(self, library: Library, paths: list[str]) -> None:
        report = library.ingest_paths(paths, progress=self._raise_if_stopping)
        self._on_event(Batch(report))

    def _raise_if_stopping(self, done: int, total: int) -> None:
        if self._stopping.is_set():
            raise _Stopping

    def _follow_folders(self, library: Library) -> None:
        """Match the watches to the library's folders: pause the ones that cannot be read, and
        reconcile the ones that came back or are new before their events are taken.

        First, the database must still be the file opened: deleted or replaced under a running
        watcher, it stops with the one-line error (EnvironmentProblem) rather than carry on with
        a file nobody will read again. It does not reopen: a deleted library would come back
        empty, and a replaced one is the user's to open again (`phototag watch`)."""
        library.check_database()
        wanted = library.watched_folders()
        for path in [p for p, w in self._watches.items() if wanted.get(p) != w.poll]:
            self._unwatch(path)
        for path in [p for p in self.statuses() if p not in wanted]:
            self._set_state(path, REMOVED)
        inner_dirs = set(wanted) | {os.path.realpath(library.root)}
        reconcile = []
        for path, poll in wanted.items():
            problem = library.folder_problem(path)
            if problem is not None:
                self._pause(path, problem)
            elif path not in self._watches and self._watch(path, poll, inner_dirs):
                reconcile.append(path)
        if reconcile:
            self._ingest(library, reconcile)

    def _pause(self, path: str, problem: str) -> None:
        if path in self._watches:
            self._unwatch(path)
        self._pending.drop_under(path)
        self._set_state(path, UNAVAILABLE, problem)

    def _watch(self, path: str, poll: bool, inner_dirs: set[str]) -> bool:
        """Native events where they work, else polling (with a one-line reason)."""
        handler = _Inbox(path, ingest.skipped_inside(path, inner_dirs), self._entries, self._wake)
        detail = ""
        if not poll:
            try:
                self._schedule(self._native, handler, path, poll)
                self._set_state(path, WATCHING)
                return True
            except OSError as exc:
                detail = f"system change events unavailable ({exc.strerror or exc}); polling"
        try:
            self._schedule(self._polling, handler, path, poll)
        except OSError as exc:
            self._pause(path, exc.strerror or str(exc))
            return False
        self._set_state(path, POLLING, detail)
        return True

    def _schedule(self, observer: BaseObserver, handler: _Inbox, path: str, poll: bool) -> None:
        watch = observer.schedule(handler, path, recursive=True, event_filter=_EVENT_TYPES)
        self._watches[path] = _Watch(observer, watch, poll)

    def _unwatch(self, path: str) -> None:
        entry = self._watches.pop(path)
        # An emitter whose folder vanished may already have taken itself out.
        with contextlib.suppress(KeyError):
            entry.observer.unschedule(entry.watch)

    def _set_state(self, path: str, state: str, detail: str = "") -> None:
        status = FolderStatus(path, state, detail)
        with self._states_lock:
            if self._states.get(path) == status:
                return
            if state == REMOVED:
                del self._states[path]
            else:
                self._states[path] = status
        self._on_event(status)
