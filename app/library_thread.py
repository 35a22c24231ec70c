"""The window's Library on a thread of its own: the GUI thread never waits for a decision.

    library_thread.run(work, apply)

`work(library)` runs on the library thread, a one-thread pool of app/tasks.py, so the jobs of a
session run one at a time in the order they were asked for: a second click while a decision is
in flight queues behind it. A job makes its Library call and reads what the view needs (the
label list and counts, the photos shown) into a plain snapshot; `apply(snapshot)` then runs on
the GUI thread, which only fills widgets. A job's error reaches `notify` as one line.

The window's Library has one SQLite connection and one in-memory label state; neither may be
used from two threads at once. Every job holds `lock` while it runs, and the GUI thread reads
the Library only through `library`, a view of it that takes the same lock for each call. The
reads left there are a few whose answer a dialog needs at once, each one short query: an
album's query when it opens or is edited, the album texts the model has not read yet, the
sidecar setting when the window is built, and remembering a text the model has read. While a
job runs such a read waits for it, so everything slow (decisions, rescoring, the grid's photos,
a photo's details, the sidebar and the menus' contents) goes through `run` instead.

Measured with bench/responsiveness.py (100k photos, 50 labels, a ViT-B-32-sized model loaded,
load average about 1): a tag froze the window for the whole decision and refresh before (worst
frame 2.4 s); now the GUI thread only applies the snapshot (median 6 ms, at most 10 ms), and
the worst frame, 114-137 ms, is the library thread holding the GIL while it builds per-photo
Python objects.

Closing the window calls `drain()`: every queued job still runs, so nothing the user decided
is lost, and none is applied to the closed window.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from PySide6.QtCore import QObject, QThreadPool

from phototag.app.tasks import run_task
from phototag.app.workers import failure
from phototag.core import Library

T = TypeVar("T")

# The window's _change(work, then): work(library) and the refresh it causes, as one job on the
# library thread; then(work's result) on the GUI thread once the window shows it.
Change = Callable[[Callable[[Library], Any], Callable[[Any], None]], None]


class _Serialized:
    """The Library as the GUI thread reads it: each attribute read and call under `lock`."""

    def __init__(self, library: Library, lock: threading.RLock):
        object.__setattr__(self, "_library", library)
        object.__setattr__(self, "_lock", lock)

    def __getattr__(self, name: str) -> Any:
        if isinstance(getattr(type(self._library), name, None), property):
            with self._lock:  # a property (sidecars_on_confirm) may read the database
                return getattr(self._library, name)
        value = getattr(self._library, name)  # a method, or a plain attribute (root)
        if not callable(value):
            return value

        @functools.wraps(value)
        def locked(*args, **kwargs):
            with self._lock:
                return value(*args, **kwargs)

        return locked

    def __setattr__(self, name: str, value: object) -> None:
        with self._lock:
            setattr(self._library, name, value)


class LibraryThread(QObject):
    def __init__(self, library: Library, notify: Callable[[str], None], parent: QObject):
        super().__init__(parent)
        self._library = library
        self._notify = notify
        self.lock = threading.RLock()
        self.library = cast(Library, _Serialized(library, self.lock))
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one thread: the jobs run in order, never together
        self._pool.setExpiryTimeout(-1)
        self._waiting = 0
        self._closed = False

    def run(self, work: Callable[[Library], T], apply: Callable[[T], None]) -> None:
        """Queue work(library) on the library thread; apply(its result) on the GUI thread."""
        if self._closed:
            return
        self._waiting += 1
        run_task(
            lambda _control: self._locked(work),
            lambda result, error: self._deliver(apply, result, error),
            parent=self,
            pool=self._pool,
        )

    @property
    def idle(self) -> bool:
        """No job is queued, running or waiting to be applied."""
        return self._waiting == 0

    def drain(self) -> None:
        """On close: let every queued job run (decisions are recorded), apply none of them."""
        self._closed = True
        self._pool.waitForDone()

    def _locked(self, work: Callable[[Library], T]) -> T:
        with self.lock:
            return work(self._library)

    def _deliver(self, apply: Callable[[T], None], result: T, error: BaseException | None) -> None:
        self._waiting -= 1
        if self._closed:
            return
        if error is not None:
            self._notify(failure(error)[1])
        else:
            apply(result)
