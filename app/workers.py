"""Everything that runs the model, off the GUI thread, as tasks of app/tasks.py.

SQLite connections stay in the thread that opened them, so each task opens its own Library on
the same folder. A scan is paused by blocking inside its progress callback and cancelled by
raising from it (control.check()): each batch is already committed, and the next scan resumes
where this one stopped. The GUI's Library reloads once a scan has finished.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

from phototag.app.tasks import Done, Task, TaskControl, run_task
from phototag.core import (
    DownloadProgress,
    FolderStatus,
    Library,
    PhototagError,
    WatchBatch,
    Watcher,
    WatchStopped,
    WeightsMissing,
    describe_changes,
    download_weights,
)

log = logging.getLogger(__name__)


def failure(exc: BaseException) -> tuple[str, str]:
    """(kind, one-line message): 'weights' gets its own dialog, the rest a message."""
    if isinstance(exc, WeightsMissing):
        return "weights", str(exc)
    if isinstance(exc, PhototagError):
        return "error", str(exc)
    log.error("unexpected failure in a worker:\n%s", "".join(traceback.format_exception(exc)))
    return "error", f"{type(exc).__name__}: {exc}"


def _scan(root: Path, model: str | None, weights: str | None, control: TaskControl):
    def progress(done: int, total: int) -> None:
        control.check()
        control.report(done, total, final=done >= total)

    def stage(what: str, step: int, steps: int) -> None:
        control.report(what, step, steps)

    with Library(root) as library:
        return library.scan(model, weights, progress=progress, stage=stage)


def start_scan(
    root: Path,
    model: str | None,
    weights: str | None,
    on_done: Done,
    on_progress: Callable[..., None],
    parent: QObject,
) -> Task:
    """One scan of the library's folders; pause, resume and cancel it through the Task.
    on_progress gets (done, total) photos, or (what, step, steps) of the model's one-time
    conversion before the first photo."""
    return run_task(
        partial(_scan, root, model, weights), on_done, on_progress=on_progress, parent=parent
    )


def _refine(root: Path, revert: bool, control: TaskControl):
    def progress(stage: str, done: int, total: int) -> None:
        control.report(stage, done, total, final=done >= total)

    with Library(root) as library:
        if revert:
            return library.revert_refinement(progress=progress)
        return library.refine(progress=progress)


def start_refine(
    root: Path,
    revert: bool,
    on_done: Done,
    on_progress: Callable[[str, int, int], None],
    parent: QObject,
) -> Task:
    """ProLIP's refine, or a revert, on its own Library; every embedding is recomputed and
    every label refitted before on_done(library.ProjectionChange, None)."""
    return run_task(partial(_refine, root, revert), on_done, on_progress=on_progress, parent=parent)


def _download(model: str, control: TaskControl) -> str:
    def progress(state: DownloadProgress) -> None:
        control.check()  # a cancel stops the transfer here; the partial file stays for later
        control.report(state, final=state.done >= state.total)

    return str(download_weights(model, progress=progress))


def start_download(
    model: str, on_done: Done, on_progress: Callable[[DownloadProgress], None], parent: QObject
) -> Task:
    """The one network use: fetching a model's weights once; on_done gets their path. Cancel
    it through the Task; the next download resumes where this one stopped."""
    return run_task(partial(_download, model), on_done, on_progress=on_progress, parent=parent)


def start_call(
    function: Callable[[], object], on_result: Callable[[Any], None], parent: QObject
) -> Task:
    """Run one slow, read-only function (no Library) off the GUI thread; None if it fails."""

    def done(result, error) -> None:
        if error is not None:
            failure(error)
        on_result(None if error is not None else result)

    return run_task(lambda _control: function(), done, parent=parent)


class TextEncoder(QObject):
    """CLIP's text tower on one long-lived thread, so the model loads once per session.

    Every request is a task on a one-thread pool, so each runs where the first opened the
    Library; only the latest request's answer is delivered.
    """

    encoded = Signal(object)  # embedding of the latest text
    failed = Signal(str, str)

    def __init__(self, root: Path, parent=None):
        super().__init__(parent)
        self.root = root
        self._latest = 0
        self._library: Library | None = None  # opened and used on the pool's thread only
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)  # keep the thread, and the Library opened on it

    def encode(self, text: str) -> None:
        self._latest += 1
        request = self._latest
        run_task(
            lambda _control: self._embed(text),
            lambda vector, error: self._answered(request, vector, error),
            parent=self,
            pool=self._pool,
        )

    def stop(self) -> None:
        run_task(lambda _control: self._close(), lambda *_: None, parent=self, pool=self._pool)
        self._pool.waitForDone()

    def _embed(self, text: str) -> np.ndarray:
        if self._library is None:
            self._library = Library(self.root)
        return np.asarray(self._library.embed_text(text))

    def _close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None

    def _answered(self, request: int, vector, error: BaseException | None) -> None:
        if request != self._latest:
            return
        if error is not None:
            self.failed.emit(*failure(error))
        else:
            self.encoded.emit(vector)


class FolderWatch(QObject):
    """The engine's folder watcher for the window: it runs as a task with its own Library, and
    what it reports arrives here, in the GUI thread, as task progress."""

    changed = Signal(object)  # ingest.ScanReport of a batch that changed the library
    folder_state = Signal(object)  # FolderStatus
    failed = Signal(str, str)  # kind, message

    def __init__(self, root: Path, parent=None):
        super().__init__(parent)
        self._watcher: Watcher | None = None
        self._root = root
        self._task: Task | None = None

    def start(self) -> None:
        self._task = run_task(self._watch, lambda *_: None, on_progress=self._dispatch, parent=self)

    def stop(self) -> None:
        """Finishes the batch in hand; the next start catches up with the rest."""
        if self._task is not None:
            self._task.cancel()
            self._task.wait()

    def states(self) -> dict[str, str]:
        """Each folder's state: watching, polling or unavailable."""
        if self._watcher is None:
            return {}
        return {path: status.state for path, status in self._watcher.statuses().items()}

    def _watch(self, control: TaskControl) -> None:
        """The task: the watcher's events leave its thread as progress reports."""
        watcher = Watcher(self._root, on_event=control.report)
        self._watcher = watcher
        control.on_cancel(watcher.stop)
        watcher.run()

    def _dispatch(self, event) -> None:
        if isinstance(event, WatchBatch) and describe_changes(event.report):
            self.changed.emit(event.report)
        elif isinstance(event, FolderStatus):
            self.folder_state.emit(event)
        elif isinstance(event, WatchStopped) and event.error is not None:
            self.failed.emit(*failure(event.error))
